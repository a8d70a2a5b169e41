//! The AWS API endpoint: one loopback HTTP server for every service, like
//! `AWS_ENDPOINT_URL` expects. JSON 1.1 services (ECS, CodeDeploy, ECR) are told apart by
//! `X-Amz-Target`; query-protocol ones (ELBv2, IAM) by the form's `Version` (or the
//! SigV4 credential scope). Errors have the shapes the SDKs parse: JSON 1.1
//! `{"__type": Code, "message": ...}` with `x-amzn-ErrorType`, query-protocol
//! `<ErrorResponse><Error><Code>`. Signatures are not checked (any credentials work).
//!
//! Also serves the ECS task metadata endpoint v4 (`/v4/<task-id>`, `/v4/<task-id>/task`)
//! that each task finds in `ECS_CONTAINER_METADATA_URI_V4`.

use std::sync::Arc;

use aws_smithy_xml::encode::{ScopeWriter, XmlWriter};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::error::{ApiError, Common, ErrorCode};
use super::stack::Stack;
use super::{autoscaling, codedeploy, ecs, elbv2, logs, registry};

pub type ApiResult = Result<Value, ApiError>;

pub fn router(stack: Arc<Stack>) -> Router {
    Router::new()
        .route("/", post(handle))
        .route("/v4/{task}", get(metadata_container))
        .route("/v4/{task}/task", get(metadata_task))
        .route("/_local/status", get(local_status))
        .with_state(stack)
}

async fn handle(State(stack): State<Arc<Stack>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return json_protocol(&stack, target, &body);
    }
    query_protocol(&stack, &headers, &body)
}

fn json_protocol(stack: &Arc<Stack>, target: &str, body: &[u8]) -> Response {
    let Some((prefix, op)) = target.split_once('.') else {
        return json_error(&ApiError::new(
            Common::UnknownOperationException,
            format!("X-Amz-Target {target:?} names no operation"),
        ));
    };
    let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                return json_error(&ApiError::new(
                    Common::SerializationException,
                    "the request body is not a JSON object",
                ))
            }
            Err(e) => {
                return json_error(&ApiError::new(
                    Common::SerializationException,
                    format!("the request body is not JSON: {e}"),
                ))
            }
        }
    };
    let result = match prefix {
        "AmazonEC2ContainerServiceV20141113" => ecs::api::handle(stack, op, &input),
        "CodeDeploy_20141006" => codedeploy::api::handle(stack, op, &input),
        "AmazonEC2ContainerRegistry_V20150921" => registry::ecr(stack, op, &input),
        "CodePipeline_20150709" => super::pipeline::driver::codepipeline(stack, op, &input),
        "CodeBuild_20161006" => super::pipeline::driver::codebuild(stack, op, &input),
        logs::api::TARGET_PREFIX => logs::api::handle(&stack.logs, op, &input, logs::now_ms()),
        autoscaling::api::TARGET_PREFIX => {
            autoscaling::api::handle(&stack.autoscaling, op, &input, super::model::now())
        }
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!("service {prefix:?} is not served by the local stack (ECS, CodeDeploy, ECR, CodePipeline, CodeBuild, CloudWatch Logs, Application Auto Scaling, ELBv2, IAM are)"),
        )),
    };
    tracing::debug!(target: "api", "{prefix}.{op} -> {}", if result.is_ok() { "ok" } else { "error" });
    match result {
        Ok(v) => (
            [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
            v.to_string(),
        )
            .into_response(),
        Err(e) => {
            tracing::info!(target: "api", "{prefix}.{op}: {}: {}", e.code, e.message);
            json_error(&e)
        }
    }
}

fn json_error(e: &ApiError) -> Response {
    let mut resp = (
        e.status,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        json!({"__type": e.code, "message": e.message}).to_string(),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(e.code) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp
}

/// Form parameters of a query-protocol request, in order.
pub struct Form(pub Vec<(String, String)>);

impl Form {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    /// `Prefix.member.1`, `Prefix.member.2`, ... in index order.
    pub fn list(&self, prefix: &str) -> Vec<String> {
        let head = format!("{prefix}.member.");
        let mut items: Vec<(u32, String)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(&head)?.parse().ok()?;
                Some((n, v.clone()))
            })
            .collect();
        items.sort_by_key(|(n, _)| *n);
        items.into_iter().map(|(_, v)| v).collect()
    }
}

fn query_protocol(stack: &Arc<Stack>, headers: &HeaderMap, body: &[u8]) -> Response {
    let form = match serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) {
        Ok(pairs) => Form(pairs),
        Err(e) => {
            return xml_error(
                "",
                &ApiError::new(
                    Common::MalformedQueryString,
                    format!("cannot parse the form body: {e}"),
                ),
            )
        }
    };
    let action = form.get("Action").unwrap_or("").to_string();
    let scope = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("");
    let (ns, result) = match (form.get("Version"), scope) {
        (Some("2015-12-01"), _) | (None, "elasticloadbalancing") => (
            "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
            elbv2::handle(stack, &action, &form),
        ),
        (Some("2010-05-08"), _) | (None, "iam") => (
            "https://iam.amazonaws.com/doc/2010-05-08/",
            registry::iam(stack, &action, &form),
        ),
        (version, _) => {
            return xml_error(
                "",
                &ApiError::new(
                    Common::InvalidAction,
                    format!(
                        "no JSON X-Amz-Target and no known query API version ({version:?}): \
                         the local stack serves ELBv2 (2015-12-01) and IAM (2010-05-08)"
                    ),
                ),
            )
        }
    };
    match result {
        Ok(v) => xml_response(ns, &action, &v),
        Err(e) => {
            tracing::info!(target: "api", "{action}: {}: {}", e.code, e.message);
            xml_error(ns, &e)
        }
    }
}

/// `<ActionResponse xmlns=..><ActionResult>{value}</ActionResult><ResponseMetadata>..`.
/// JSON objects become elements, arrays become `<member>` lists, scalars text.
fn xml_response(ns: &str, action: &str, value: &Value) -> Response {
    let mut doc = String::new();
    {
        let mut w = XmlWriter::new(&mut doc);
        let root_tag = format!("{action}Response");
        let mut root = w.start_el(&root_tag).write_ns(ns, None).finish();
        let result_tag = format!("{action}Result");
        let mut result = root.start_el(&result_tag).finish();
        write_value(&mut result, value);
        result.finish();
        let mut meta = root.start_el("ResponseMetadata").finish();
        let mut rid = meta.start_el("RequestId").finish();
        rid.data(&uuid::Uuid::new_v4().to_string());
        rid.finish();
        meta.finish();
        root.finish();
    }
    ([(header::CONTENT_TYPE, "text/xml")], doc).into_response()
}

fn write_value(w: &mut ScopeWriter<'_, '_>, value: &Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if v.is_null() {
                    continue;
                }
                let mut el = w.start_el(k).finish();
                write_value(&mut el, v);
                el.finish();
            }
        }
        Value::Array(items) => {
            for v in items {
                let mut el = w.start_el("member").finish();
                write_value(&mut el, v);
                el.finish();
            }
        }
        Value::String(s) => w.data(s),
        Value::Null => {}
        other => w.data(&other.to_string()),
    }
}

fn xml_error(_ns: &str, e: &ApiError) -> Response {
    let mut doc = String::new();
    {
        let mut w = XmlWriter::new(&mut doc);
        let mut root = w.start_el("ErrorResponse").finish();
        let mut err = root.start_el("Error").finish();
        for (tag, text) in [
            (
                "Type",
                if e.status.is_server_error() {
                    "Receiver"
                } else {
                    "Sender"
                },
            ),
            ("Code", e.code),
            ("Message", e.message.as_str()),
        ] {
            let mut el = err.start_el(tag).finish();
            el.data(text);
            el.finish();
        }
        err.finish();
        let mut rid = root.start_el("RequestId").finish();
        rid.data(&uuid::Uuid::new_v4().to_string());
        rid.finish();
        root.finish();
    }
    (e.status, [(header::CONTENT_TYPE, "text/xml")], doc).into_response()
}

async fn local_status(State(stack): State<Arc<Stack>>) -> Response {
    axum::Json(super::stack::status_json(&stack)).into_response()
}

async fn metadata_container(State(stack): State<Arc<Stack>>, Path(task): Path<String>) -> Response {
    match ecs::api::task_metadata(&stack, &task) {
        Some(v) => axum::Json(v["Containers"][0].clone()).into_response(),
        None => (StatusCode::NOT_FOUND, "no such task").into_response(),
    }
}

async fn metadata_task(State(stack): State<Arc<Stack>>, Path(task): Path<String>) -> Response {
    match ecs::api::task_metadata(&stack, &task) {
        Some(v) => axum::Json(v).into_response(),
        None => (StatusCode::NOT_FOUND, "no such task").into_response(),
    }
}

/// Input helpers for JSON handlers: a required string member, with the AWS-style error.
pub fn req_str<'a>(input: &'a Value, key: &str, code: impl ErrorCode) -> Result<&'a str, ApiError> {
    match input.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::Null) | None => Err(ApiError::new(code, format!("{key} is required"))),
        Some(Value::String(_)) => Err(ApiError::new(code, format!("{key} must not be empty"))),
        Some(other) => Err(ApiError::new(
            Common::SerializationException,
            format!("{key}: expected a string, got {other}"),
        )),
    }
}

pub fn opt_str<'a>(input: &'a Value, key: &str) -> Result<Option<&'a str>, ApiError> {
    match input.get(key) {
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Null) | None => Ok(None),
        Some(other) => Err(ApiError::new(
            Common::SerializationException,
            format!("{key}: expected a string, got {other}"),
        )),
    }
}

pub fn str_list(input: &Value, key: &str) -> Result<Vec<String>, ApiError> {
    match input.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str().map(String::from).ok_or_else(|| {
                    ApiError::new(
                        Common::SerializationException,
                        format!("{key}: expected a list of strings, got {v}"),
                    )
                })
            })
            .collect(),
        Some(Value::Null) | None => Ok(Vec::new()),
        Some(other) => Err(ApiError::new(
            Common::SerializationException,
            format!("{key}: expected a list, got {other}"),
        )),
    }
}
