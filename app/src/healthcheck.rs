//! `demo healthcheck`: the container health check (the image has no shell and no curl).

use http::{StatusCode, Uri};

use crate::client;
use crate::configuration::HealthcheckSettings;

/// Largest `/health` body read.
const MAX_BODY: usize = 4096;

/// GETs `http://<addr>/health`: `Ok` on 200, else a one-line reason.
pub async fn probe(settings: &HealthcheckSettings) -> Result<(), String> {
    let uri: Uri = format!("http://{}/health", settings.addr)
        .parse()
        .map_err(|e| format!("bad health URL: {e}"))?;
    match client::get(&uri, settings.timeout, MAX_BODY).await {
        Ok((StatusCode::OK, _)) => Ok(()),
        Ok((status, body)) => {
            let body = String::from_utf8_lossy(&body);
            let body: String = body.trim().chars().take(200).collect();
            Err(format!("{uri} answered {status}: {body}"))
        }
        Err(e) => Err(e.to_string()),
    }
}
