//! Who is answering: the ECS task (metadata endpoint v4) or, outside ECS, the hostname.
//!
//! Read once at startup with a short timeout; `GET /` serves bodies rendered from it.
//! `${ECS_CONTAINER_METADATA_URI_V4}` describes this container (its `Image`),
//! `${ECS_CONTAINER_METADATA_URI_V4}/task` the task (`TaskARN`, `AvailabilityZone`,
//! `Containers`). See the "Amazon ECS task metadata v4" pages of the ECS developer guide.

use std::time::Duration;

use http::{StatusCode, Uri};
use serde::{Deserialize, Serialize};

use crate::client;

/// The container name in the task definition (`docs/CONTRACTS.md`); used to pick our
/// container out of the task's list when the container endpoint does not answer.
pub const CONTAINER_NAME: &str = "demo";

/// Largest metadata document accepted (real ones are a few KiB).
const MAX_METADATA_BYTES: usize = 1024 * 1024;

/// The task serving the request, as reported in `GET /`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskInfo {
    /// The task ARN.
    pub arn: String,
    /// The task ID (the ARN's last path segment).
    pub id: String,
    /// The availability zone (Fargate platform 1.4+), or `unknown`.
    pub availability_zone: String,
    /// The container image, or `unknown`.
    pub image: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TaskMetadata {
    #[serde(rename = "TaskARN")]
    task_arn: String,
    #[serde(default)]
    availability_zone: Option<String>,
    #[serde(default)]
    containers: Vec<ContainerMetadata>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerMetadata {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    image: Option<String>,
}

/// Why the metadata could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// The request failed.
    #[error(transparent)]
    Get(#[from] client::GetError),
    /// A status other than 200.
    #[error("{uri} answered {status}")]
    Status {
        /// Where.
        uri: Uri,
        /// What.
        status: StatusCode,
    },
    /// A body that is not the documented JSON.
    #[error("{uri}: unexpected document: {source}")]
    Parse {
        /// Where.
        uri: Uri,
        /// Why.
        source: serde_json::Error,
    },
}

/// Reads the task and container metadata from the v4 endpoint at `base`.
pub async fn fetch(base: &Uri, timeout: Duration) -> Result<TaskInfo, MetadataError> {
    let task_uri = join(base, "task");
    let (task, container) = tokio::join!(
        get_json::<TaskMetadata>(&task_uri, timeout),
        get_json::<ContainerMetadata>(base, timeout),
    );
    let task = task?;
    // Our own image comes from the container endpoint; failing that, from our entry in the
    // task's container list (by name, or the only container).
    let image = match container {
        Ok(c) => c.image,
        Err(_) => {
            let ours = task
                .containers
                .iter()
                .find(|c| c.name.as_deref() == Some(CONTAINER_NAME))
                .or(match task.containers.as_slice() {
                    [only] => Some(only),
                    _ => None,
                });
            ours.and_then(|c| c.image.clone())
        }
    };
    let id = task
        .task_arn
        .rsplit('/')
        .next()
        .unwrap_or(&task.task_arn)
        .to_owned();
    Ok(TaskInfo {
        id,
        arn: task.task_arn,
        availability_zone: task
            .availability_zone
            .filter(|az| !az.is_empty())
            .unwrap_or_else(|| "unknown".into()),
        image: image
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| "unknown".into()),
    })
}

async fn get_json<T: serde::de::DeserializeOwned>(
    uri: &Uri,
    timeout: Duration,
) -> Result<T, MetadataError> {
    let (status, body) = client::get(uri, timeout, MAX_METADATA_BYTES).await?;
    if status != StatusCode::OK {
        return Err(MetadataError::Status {
            uri: uri.clone(),
            status,
        });
    }
    serde_json::from_slice(&body).map_err(|source| MetadataError::Parse {
        uri: uri.clone(),
        source,
    })
}

/// `base` + `/segment`, keeping a query string off (the endpoint has none).
fn join(base: &Uri, segment: &str) -> Uri {
    let path = base.path().trim_end_matches('/');
    let mut parts = base.clone().into_parts();
    parts.path_and_query = format!("{path}/{segment}").parse().ok();
    Uri::from_parts(parts).unwrap_or_else(|_| base.clone())
}

/// This machine's hostname (the container ID under Docker), or `unknown`.
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_appends_a_segment() {
        let base: Uri = "http://169.254.170.2/v4/abc-123".parse().unwrap();
        assert_eq!(
            join(&base, "task").to_string(),
            "http://169.254.170.2/v4/abc-123/task"
        );
        let base: Uri = "http://127.0.0.1:9/v4/x/".parse().unwrap();
        assert_eq!(
            join(&base, "task").to_string(),
            "http://127.0.0.1:9/v4/x/task"
        );
    }

    #[test]
    fn hostname_is_not_empty() {
        assert!(!hostname().is_empty());
    }
}
