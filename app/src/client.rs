//! A minimal HTTP/1.1 GET for the two outbound calls the binary makes (the ECS metadata
//! endpoint at startup and `demo healthcheck`): plain http, one connection, bounded in
//! time and body size. A full client (reqwest, TLS) would double the binary for this.

use std::time::Duration;

use bytes::Bytes;
use http::{header, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Why a GET did not produce a response.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    /// The URL has no host (or is not http).
    #[error("{0}: not an http:// URL with a host")]
    BadUrl(Uri),
    /// The whole exchange took longer than the timeout.
    #[error("no answer from {uri} within {timeout:?}")]
    Timeout {
        /// Where.
        uri: Uri,
        /// The bound.
        timeout: Duration,
    },
    /// TCP connect failed.
    #[error("cannot connect to {uri}: {source}")]
    Connect {
        /// Where.
        uri: Uri,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP exchange failed or the body was too large.
    #[error("{uri}: {message}")]
    Http {
        /// Where.
        uri: Uri,
        /// Why.
        message: String,
    },
}

/// GETs `uri`, returning the status and the body (at most `max_body` bytes).
pub async fn get(
    uri: &Uri,
    timeout: Duration,
    max_body: usize,
) -> Result<(StatusCode, Bytes), GetError> {
    match tokio::time::timeout(timeout, get_inner(uri, max_body)).await {
        Ok(result) => result,
        Err(_) => Err(GetError::Timeout {
            uri: uri.clone(),
            timeout,
        }),
    }
}

async fn get_inner(uri: &Uri, max_body: usize) -> Result<(StatusCode, Bytes), GetError> {
    let (Some("http"), Some(host)) = (uri.scheme_str(), uri.host()) else {
        return Err(GetError::BadUrl(uri.clone()));
    };
    let port = uri.port_u16().unwrap_or(80);
    // `Uri::host` keeps the brackets of an IPv6 literal; connect wants them off.
    let host_for_connect = host.trim_start_matches('[').trim_end_matches(']');
    let stream = TcpStream::connect((host_for_connect, port))
        .await
        .map_err(|source| GetError::Connect {
            uri: uri.clone(),
            source,
        })?;
    let http_err = |message: String| GetError::Http {
        uri: uri.clone(),
        message,
    };
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| http_err(e.to_string()))?;
    let _conn = AbortOnDrop(tokio::spawn(conn));
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or(host);
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let request = Request::get(path)
        .header(header::HOST, authority)
        .header(
            header::USER_AGENT,
            concat!("demo/", env!("CARGO_PKG_VERSION")),
        )
        .header(header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| http_err(e.to_string()))?;
    async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| http_err(e.to_string()))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), max_body)
            .collect()
            .await
            .map_err(|e| http_err(format!("reading the body: {e}")))?
            .to_bytes();
        Ok((status, body))
    }
    .await
}

/// Stops the connection task however the request ends (including the caller's timeout).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
