//! The Lambda API (rest-json): Invoke (`POST /2015-03-31/functions/{name}/invocations`,
//! RequestResponse, Event and DryRun, `X-Amz-Log-Type: Tail`) and GetFunction
//! (`GET /2015-03-31/functions/{name}`), with Lambda's error shape (`x-amzn-ErrorType`,
//! `{"Type": "User", "message"}`) and codes ([`super::Error`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::backend::{Function, LATEST, RUNTIME};
use super::runner;
use super::Error;
use crate::runtime::stack::Stack;
use crate::wire::error::ApiError;

/// Lambda's limits on a payload: 6 MB synchronous, 1 MB asynchronous.
const MAX_SYNC_PAYLOAD: usize = 6 * 1024 * 1024;
const MAX_ASYNC_PAYLOAD: usize = 1024 * 1024;

/// InvocationRequest: its members come from the path, the query and headers (the payload
/// is the body).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InvocationRequest {
    function_name: Option<String>,
    invocation_type: Option<String>,
    log_type: Option<String>,
    qualifier: Option<String>,
}

/// GetFunctionRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetFunctionRequest {
    function_name: Option<String>,
    qualifier: Option<String>,
}

/// FunctionConfiguration (the members a local function has).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct FunctionConfiguration<'a> {
    function_name: &'a str,
    function_arn: &'a str,
    runtime: &'static str,
    role: &'a str,
    handler: &'static str,
    code_size: u64,
    description: &'a str,
    timeout: u64,
    memory_size: u32,
    last_modified: &'a str,
    code_sha256: &'a str,
    version: &'static str,
    environment: EnvironmentResponse<'a>,
    state: &'static str,
    last_update_status: &'static str,
    package_type: &'static str,
    architectures: [&'static str; 1],
    logging_config: LoggingConfig,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct EnvironmentResponse<'a> {
    variables: &'a BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct LoggingConfig {
    log_format: &'static str,
    log_group: String,
}

fn configuration(f: &Function) -> FunctionConfiguration<'_> {
    FunctionConfiguration {
        function_name: f.name(),
        function_arn: &f.arn,
        runtime: RUNTIME,
        role: &f.def.role,
        handler: "bootstrap",
        code_size: f.code_size,
        description: &f.def.description,
        timeout: f.def.timeout.as_secs().max(1),
        memory_size: f.def.memory_mb,
        last_modified: &f.last_modified,
        code_sha256: &f.code_sha256,
        version: LATEST,
        environment: EnvironmentResponse {
            variables: &f.def.environment,
        },
        state: "Active",
        last_update_status: "Successful",
        package_type: "Zip",
        architectures: [architecture()],
        logging_config: LoggingConfig {
            log_format: "Text",
            log_group: f.log_group(),
        },
    }
}

fn architecture() -> &'static str {
    if std::env::consts::ARCH == "aarch64" {
        "arm64"
    } else {
        "x86_64"
    }
}

/// GetFunctionResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetFunctionResponse<'a> {
    configuration: FunctionConfiguration<'a>,
    code: FunctionCodeLocation,
    /// The local functions have no tags.
    tags: BTreeMap<String, String>,
}

/// FunctionCodeLocation: the function's binary on this machine.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct FunctionCodeLocation {
    repository_type: &'static str,
    location: String,
}

fn get_function_response(f: &Function) -> GetFunctionResponse<'_> {
    GetFunctionResponse {
        configuration: configuration(f),
        code: FunctionCodeLocation {
            repository_type: "S3",
            location: format!("file://{}", f.def.code.display()),
        },
        tags: BTreeMap::new(),
    }
}

/// The body of Lambda's errors (the code is the `x-amzn-ErrorType` header).
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    /// `User`: every error the local Lambda answers is the caller's.
    #[serde(rename = "Type")]
    kind: &'static str,
    message: &'a str,
}

/// Lambda's error shape.
fn error(e: &ApiError) -> Response {
    let body = ErrorBody {
        kind: "User",
        message: &e.message,
    };
    let mut resp = (
        e.status,
        [("content-type", "application/json")],
        axum::Json(body),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(e.code) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    tracing::info!(target: "api", "Lambda: {}: {}", e.code, e.message);
    resp
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `GET /2015-03-31/functions/{name}`.
pub(crate) async fn get_function(
    State(stack): State<Arc<Stack>>,
    Path(name): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let req = GetFunctionRequest {
        function_name: Some(name),
        qualifier: query.get("Qualifier").cloned(),
    };
    tracing::debug!(target: "api", "Lambda.GetFunction");
    match stack.lambda.get(
        req.function_name.as_deref().unwrap_or_default(),
        req.qualifier.as_deref(),
    ) {
        Ok(f) => axum::Json(get_function_response(&f)).into_response(),
        Err(e) => error(&e.into()),
    }
}

/// `POST /2015-03-31/functions/{name}/invocations`.
pub(crate) async fn invoke(
    State(stack): State<Arc<Stack>>,
    Path(name): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = InvocationRequest {
        function_name: Some(name),
        invocation_type: header(&headers, "x-amz-invocation-type").map(str::to_owned),
        log_type: header(&headers, "x-amz-log-type").map(str::to_owned),
        qualifier: query.get("Qualifier").cloned(),
    };
    tracing::debug!(target: "api", "Lambda.Invoke");
    match invoke_checked(&stack, req, body).await {
        Ok(r) => r,
        Err(e) => error(&e),
    }
}

async fn invoke_checked(
    stack: &Arc<Stack>,
    req: InvocationRequest,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = stack.lambda.get(
        req.function_name.as_deref().unwrap_or_default(),
        req.qualifier.as_deref(),
    )?;
    let kind = req.invocation_type.as_deref().unwrap_or("RequestResponse");
    let limit = match kind {
        "RequestResponse" | "DryRun" => MAX_SYNC_PAYLOAD,
        "Event" => MAX_ASYNC_PAYLOAD,
        other => {
            return Err(ApiError::new(
                Error::InvalidParameterValueException,
                format!("X-Amz-Invocation-Type {other:?}: RequestResponse, Event or DryRun"),
            ))
        }
    };
    let tail = match req.log_type.as_deref().unwrap_or("None") {
        "None" => false,
        "Tail" => true,
        other => {
            return Err(ApiError::new(
                Error::InvalidParameterValueException,
                format!("X-Amz-Log-Type {other:?}: None or Tail"),
            ))
        }
    };
    if body.len() > limit {
        return Err(ApiError::new(
            Error::RequestTooLargeException,
            format!(
                "Request must be smaller than {limit} bytes for the {kind} invocation type (got {})",
                body.len()
            ),
        ));
    }
    let payload = if body.iter().all(u8::is_ascii_whitespace) {
        Bytes::from_static(b"{}")
    } else {
        serde_json::from_slice::<serde::de::IgnoredAny>(&body).map_err(|e| {
            ApiError::new(
                Error::InvalidRequestContentException,
                format!("Could not parse request body into json: {e}"),
            )
        })?;
        body
    };
    let sandbox = stack.lambda_sandbox();
    match kind {
        "DryRun" => Ok(StatusCode::NO_CONTENT.into_response()),
        "Event" => {
            tokio::spawn(async move {
                if let Err(e) = runner::invoke(&sandbox, &f, payload).await {
                    tracing::error!(target: "lambda", "{}: {e:#}", f.name());
                }
            });
            Ok(StatusCode::ACCEPTED.into_response())
        }
        _ => {
            let out = runner::invoke(&sandbox, &f, payload)
                .await
                .map_err(|e| ApiError::new(Error::ServiceException, format!("{e:#}")))?;
            let mut resp = (
                StatusCode::OK,
                [
                    ("content-type", "application/json"),
                    ("x-amz-executed-version", LATEST),
                ],
                out.payload,
            )
                .into_response();
            let h = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&out.request_id) {
                h.insert("x-amzn-requestid", v);
            }
            if let Some(fe) = out.function_error {
                h.insert("x-amz-function-error", HeaderValue::from_static(fe));
            }
            if tail {
                if let Ok(v) =
                    HeaderValue::from_str(&aws_smithy_types::base64::encode(out.log_tail))
                {
                    h.insert("x-amz-log-result", v);
                }
            }
            Ok(resp)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::botocore_check::{fits_botocore, request_fits_botocore};
    use crate::lambda::backend::{Lambda, NewFunction};

    #[test]
    fn requests_fit_botocore() {
        request_fits_botocore::<InvocationRequest>("lambda", "Invoke");
        request_fits_botocore::<GetFunctionRequest>("lambda", "GetFunction");
    }

    #[test]
    fn get_function_fits_botocore() {
        let f = Lambda::new("us-east-1", "000000000000")
            .create(NewFunction {
                name: "demo-validate".into(),
                code: std::env::current_exe().unwrap(),
                timeout: Duration::from_secs(120),
                memory_mb: 256,
                environment: BTreeMap::from([("HOOK_PATH".into(), "/".into())]),
                role: "arn:aws:iam::000000000000:role/demo-validate".into(),
                description: "the validation hook".into(),
            })
            .unwrap();
        let v = serde_json::to_value(get_function_response(&f)).unwrap();
        assert_eq!(v["Configuration"]["Timeout"], 120);
        assert_eq!(
            v["Configuration"]["Environment"]["Variables"]["HOOK_PATH"],
            "/"
        );
        assert_eq!(v["Code"]["RepositoryType"], "S3");
        assert_eq!(v["Tags"], serde_json::json!({}));
        fits_botocore("lambda", "GetFunction", &v);
    }

    /// The error body: Lambda's `{"Type": "User", "message"}`, its code in the header.
    #[tokio::test]
    async fn an_error_has_lambdas_shape() {
        let resp = error(&ApiError::new(Error::ResourceNotFoundException, "gone"));
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            resp.headers()["x-amzn-errortype"],
            "ResourceNotFoundException"
        );
        let body = axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v, serde_json::json!({"Type": "User", "message": "gone"}));
    }

    /// The shape check can fail: a member of the wrong type.
    #[test]
    #[should_panic(expected = "does not fit botocore")]
    fn a_member_of_the_wrong_type_does_not_fit() {
        let v = serde_json::json!({"Configuration": {"Timeout": "120"}});
        fits_botocore("lambda", "GetFunction", &v);
    }
}
