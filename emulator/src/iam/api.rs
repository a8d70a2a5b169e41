//! IAM's query API: GetRole.

use axum::http::StatusCode;
use serde_json::json;

use crate::names::{EXECUTION_ROLE, TASK_ROLE};
use crate::runtime::stack::Stack;
use crate::wire::error::{ApiError, Common, ErrorCode};
use crate::wire::query::{Form, QueryResult};

/// IAM error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum IamError {
    ValidationError,
    NoSuchEntity,
}
impl ErrorCode for IamError {
    fn status(self) -> StatusCode {
        match self {
            IamError::NoSuchEntity => StatusCode::NOT_FOUND,
            IamError::ValidationError => StatusCode::BAD_REQUEST,
        }
    }
}

pub(crate) fn handle(stack: &Stack, action: &str, form: &Form) -> QueryResult {
    match action {
        "GetRole" => {
            let name = form
                .get("RoleName")
                .ok_or_else(|| ApiError::new(IamError::ValidationError, "RoleName is required"))?;
            if name != EXECUTION_ROLE && name != TASK_ROLE {
                return Err(ApiError::new(
                    IamError::NoSuchEntity,
                    format!("The role with name {name} cannot be found."),
                ));
            }
            let policy = json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"
            }]})
            .to_string();
            let created = iso_timestamp(stack.started_at);
            Ok(json!({"Role": {
                "Path": "/",
                "RoleName": name,
                "RoleId": format!("AROA{}", name.to_uppercase().replace('-', "")),
                "Arn": stack.names().role_arn(name),
                "CreateDate": created,
                "AssumeRolePolicyDocument": form_urlencoded(&policy),
                "MaxSessionDuration": 3600
            }}))
        }
        _ => Err(ApiError::new(
            Common::InvalidAction,
            format!("IAM action {action:?} is not served by the local stack"),
        )),
    }
}

/// IAM (query protocol) returns the trust policy URL-encoded.
fn form_urlencoded(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').replace('+', "%20"))
        .unwrap_or_default()
}

/// ISO 8601 (query protocols carry timestamps as text).
fn iso_timestamp(epoch: f64) -> String {
    rfc3339(epoch as u64)
}

fn rfc3339(secs: u64) -> String {
    use aws_smithy_types::date_time::{DateTime, Format};
    DateTime::from_secs(i64::try_from(secs).unwrap_or(i64::MAX))
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn trust_policy_is_url_encoded() {
        assert_eq!(form_urlencoded("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }
}
