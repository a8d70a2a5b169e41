//! The AWS API endpoint: one loopback HTTP server for every service, like
//! `AWS_ENDPOINT_URL` expects. JSON 1.1 services (ECS, CodeDeploy, ECR) are told apart by
//! `X-Amz-Target`; query-protocol ones (ELBv2, IAM, STS, CloudWatch) by the form's `Version`
//! (or the SigV4 credential scope); CloudWatch also in JSON 1.0 (`X-Amz-Target:
//! GraniteServiceVersion20100801.<Operation>`, what recent botocore sends) and by the Smithy
//! RPC v2 CBOR path the Rust SDK calls
//! (`/service/GraniteServiceVersion20100801/operation/<Operation>`). Errors have the shapes the SDKs parse: JSON 1.1
//! `{"__type": Code, "message": ...}` with `x-amzn-ErrorType`, query-protocol
//! `<ErrorResponse><Error><Code>`. Signatures are not checked (any credentials work).
//!
//! Also serves the ECS task metadata endpoint v4 (`/v4/<task-id>`, `/v4/<task-id>/task`)
//! that each task finds in `ECS_CONTAINER_METADATA_URI_V4`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::codepipeline::driver::LocalPipeline;
use crate::runtime::records;
use crate::runtime::stack::Stack;
use crate::wire::error::{ApiError, Common};
use crate::wire::query::{xml_error, xml_response, Form};
use crate::wire::{cbor, json};
use crate::{
    autoscaling, cloudwatch, codebuild, codedeploy, codepipeline, ecr, ecs, elbv2, iam, lambda,
    logs, sts,
};
use deployer_models::time::{now_millis as now_ms, now_secs as now};

pub(crate) fn router(stack: Arc<Stack>) -> Router {
    Router::new()
        .route("/", post(handle))
        .route("/v4/{task}", get(metadata_container))
        .route("/v4/{task}/task", get(metadata_task))
        .route("/_local/status", get(local_status))
        .route("/service/{service}/operation/{op}", post(rpc_v2_cbor))
        .route(
            "/2015-03-31/functions/{name}/invocations",
            post(lambda::api::invoke),
        )
        .route(
            "/2015-03-31/functions/{name}",
            get(lambda::api::get_function),
        )
        .with_state(stack)
}

/// Who may call the endpoint (loopback-http's guard, the one the dashboard uses too): only a
/// request whose Host is this endpoint's own loopback address and that carries no Origin. The
/// SDKs, the AWS CLI and the stack's own tasks and build stand-ins send exactly that; a web
/// page cannot (its browser sends the page's Host name and an Origin), so neither a
/// cross-site request nor DNS rebinding reaches an operation (RegisterTaskDefinition's
/// health-check command runs on this machine). Refused in AWS's error shape of the request's
/// protocol, before anything is read or changed.
pub(crate) async fn guard(
    State(guard): State<Arc<loopback_http::Guard>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match guard.check(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(refusal) => {
            tracing::warn!(target: "api", path = %req.uri().path(), "refused a request: {refusal}");
            let message = refusal.to_string();
            if req.headers().contains_key("x-amz-target")
                || req.method() != axum::http::Method::POST
            {
                json::error(&ApiError::new(Common::AccessDeniedException, message))
            } else {
                xml_error("", &ApiError::new(Common::AccessDenied, message))
            }
        }
    }
}

/// The largest request body the endpoint reads (axum's default limit, which answered
/// `413 length limit exceeded` in plain text: no SDK could parse it).
const BODY_LIMIT: usize = 2 * 1024 * 1024;

async fn handle(
    State(stack): State<Arc<Stack>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    // Read here rather than by the `Bytes` extractor, so that a body over the limit is
    // answered in the protocol's error shape (HTTP 413, as AWS's front ends answer it).
    // A Content-Length over the limit is refused before reading a byte (as AWS's front ends
    // do); a chunked body is cut at the limit.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let read = match declared {
        Some(n) if n > BODY_LIMIT as u64 => None,
        _ => axum::body::to_bytes(body, BODY_LIMIT).await.ok(),
    };
    let body: Bytes = match read {
        Some(b) => b,
        None => {
            let e = ApiError {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "RequestEntityTooLargeException",
                message: format!("Request body exceeds the endpoint's limit of {BODY_LIMIT} bytes"),
            };
            return if headers.contains_key("x-amz-target") {
                json::error(&e)
            } else {
                xml_error("", &e)
            };
        }
    };
    let request = match headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        Some(t) => Protocol::Json(t.to_string()),
        None => match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
            Ok(pairs) => Protocol::Query(Form(pairs)),
            Err(e) => {
                let e = ApiError::new(
                    Common::MalformedQueryString,
                    format!("cannot parse the form body: {e}"),
                );
                return xml_error("", &e);
            }
        },
    };
    let operation = request.operation().to_string();
    let writes = request.keeps_records(&headers) && !records::reads_only(&operation);
    // No change is made while the records cannot be written: it would be answered as made
    // and lost at the next crash.
    if writes {
        if let Err(e) = crate::runtime::stack::ready_for_writes(&stack).await {
            let e = ApiError::new(
                Common::ServiceUnavailable,
                format!(
                    "the local stack cannot write its records, so it makes no change until it \
                     can ({e:#}); `deployer local status` says since when; free the disk or \
                     restore the state dir, then retry"
                ),
            );
            return request.server_error(&e);
        }
    }
    let response = match &request {
        Protocol::Json(target) => json_protocol(&stack, target, &body),
        Protocol::Query(form) => query_action(&stack, &headers, form, &operation),
    };
    // Every change is on disk before its answer leaves (a no-op when nothing changed).
    if writes {
        if let Err(e) = crate::runtime::stack::persist_after(&stack, &operation).await {
            let e = ApiError::new(
                Common::InternalFailure,
                format!(
                    "{operation} was made in memory but the local stack could not write it to \
                     its records ({e:#}): a crash now would undo it; it is written with the \
                     next write that succeeds (`deployer local status`), and until then the \
                     stack refuses changes"
                ),
            );
            return request.server_error(&e);
        }
    }
    response
}

/// A request in one of the two protocols the endpoint's `POST /` speaks.
enum Protocol {
    /// JSON 1.0/1.1: the `X-Amz-Target` header (`<Service prefix>.<Operation>`).
    Json(String),
    /// Query: the form body (`Action`, `Version`, ...).
    Query(Form),
}

impl Protocol {
    fn operation(&self) -> &str {
        match self {
            Protocol::Json(t) => t.rsplit('.').next().unwrap_or_default(),
            Protocol::Query(form) => form.get("Action").unwrap_or(""),
        }
    }

    /// Whether the request's service keeps its state in the records (`runtime::records`):
    /// ECS, CodeDeploy, ECR, CodePipeline, CodeBuild, ELBv2 (the listeners' routes).
    /// CloudWatch, Logs, Application Auto Scaling, IAM and STS keep nothing there: their
    /// writes neither wait for the records nor are refused while the records cannot be
    /// written.
    fn keeps_records(&self, headers: &HeaderMap) -> bool {
        match self {
            Protocol::Json(t) => matches!(
                t.split('.').next().unwrap_or_default(),
                "AmazonEC2ContainerServiceV20141113"
                    | "CodeDeploy_20141006"
                    | "AmazonEC2ContainerRegistry_V20150921"
                    | "CodePipeline_20150709"
                    | "CodeBuild_20161006"
            ),
            Protocol::Query(form) => is_elbv2(form, credential_scope(headers)),
        }
    }

    /// A server error in the request's protocol: JSON (with the query error header
    /// CloudWatch's JSON 1.0 clients read) or query XML.
    fn server_error(&self, e: &ApiError) -> Response {
        match self {
            Protocol::Json(t) if t.starts_with(cloudwatch::api::CBOR_SERVICE) => {
                cbor::with_query_error(json::error(e), e)
            }
            Protocol::Json(_) => json::error(e),
            Protocol::Query(_) => xml_error("", e),
        }
    }
}

/// Whether a query request is for ELBv2: its `Version`, or when it has none, the service of
/// its credential scope.
fn is_elbv2(form: &Form, scope: &str) -> bool {
    match form.get("Version") {
        Some(v) => v == elbv2::api::VERSION,
        None => scope == "elasticloadbalancing",
    }
}

/// The service named in the request's SigV4 credential scope (`""` when unsigned).
fn credential_scope(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("")
}

fn json_protocol(stack: &Arc<Stack>, target: &str, body: &[u8]) -> Response {
    let Some((prefix, op)) = target.split_once('.') else {
        return json::error(&ApiError::new(
            Common::UnknownOperationException,
            format!("X-Amz-Target {target:?} names no operation"),
        ));
    };
    let input = match json::parse_body(body) {
        Ok(v) => v,
        Err(e) => return json::error(&e),
    };
    let result = match prefix {
        "AmazonEC2ContainerServiceV20141113" => ecs::api::handle(stack, op, input),
        "CodeDeploy_20141006" => codedeploy::api::handle(stack, op, &input),
        "AmazonEC2ContainerRegistry_V20150921" => ecr::api::handle(stack, op, &input),
        "CodePipeline_20150709" => {
            pipeline(stack).and_then(|p| codepipeline::api::handle(p, op, &input))
        }
        "CodeBuild_20161006" if op == "StopBuild" => pipeline(stack).and_then(|p| {
            codebuild::api::stop_build(|id| p.stop_build(id), &stack.cfg.region, &input)
        }),
        "CodeBuild_20161006" => pipeline(stack)
            .and_then(|p| codebuild::api::handle(&p.builds(), &stack.cfg.region, op, &input)),
        logs::api::TARGET_PREFIX => logs::api::handle(&stack.logs, op, &input, now_ms()),
        autoscaling::api::TARGET_PREFIX => {
            autoscaling::api::handle(&stack.autoscaling, op, &input, now())
        }
        // CloudWatch in JSON 1.0 (awsQueryCompatible): what botocore picks when its model
        // lists `json` beside `query` and `smithy-rpc-v2-cbor`.
        cloudwatch::api::CBOR_SERVICE => {
            match cloudwatch::api::handle(&stack.cloudwatch, op, cloudwatch::api::Input::Json(&input), now_ms()) {
                Ok(v) => return json::ok(&v),
                Err(e) => {
                    tracing::info!(target: "api", "CloudWatch.{op}: {}: {}", e.code, e.message);
                    return cbor::with_query_error(json::error(&e), &e);
                }
            }
        }
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!("service {prefix:?} is not served by the local stack (ECS, CodeDeploy, ECR, CodePipeline, CodeBuild, CloudWatch Logs, CloudWatch, Application Auto Scaling, ELBv2, IAM are)"),
        )),
    };
    tracing::debug!(target: "api", "{prefix}.{op} -> {}", if result.is_ok() { "ok" } else { "error" });
    match result {
        Ok(v) => json::ok(&v),
        Err(e) => {
            tracing::info!(target: "api", "{prefix}.{op}: {}: {}", e.code, e.message);
            json::error(&e)
        }
    }
}

/// The local CodePipeline/CodeBuild, once the stack attached it.
fn pipeline(stack: &Stack) -> Result<&LocalPipeline, ApiError> {
    stack.pipeline.get().map(|p| &**p).ok_or_else(|| {
        ApiError::new(
            codepipeline::Error::PipelineNotFoundException,
            "the local stack's pipeline is not running",
        )
    })
}

fn query_action(stack: &Arc<Stack>, headers: &HeaderMap, form: &Form, action: &str) -> Response {
    let scope = credential_scope(headers);
    let (ns, result) = match (form.get("Version"), scope) {
        _ if is_elbv2(form, scope) => (
            elbv2::api::NAMESPACE,
            elbv2::api::handle(stack, action, form),
        ),
        (Some(iam::api::VERSION), _) | (None, "iam") => {
            (iam::api::NAMESPACE, iam::api::handle(stack, action, form))
        }
        (Some(sts::api::VERSION), _) | (None, "sts") => {
            (sts::api::NAMESPACE, sts::api::handle(action, form))
        }
        (Some(cloudwatch::api::VERSION), _) | (None, "monitoring") => (
            cloudwatch::api::NAMESPACE,
            cloudwatch::api::handle(
                &stack.cloudwatch,
                action,
                cloudwatch::api::Input::Query(form),
                now_ms(),
            )
            .map(cloudwatch::api::for_query),
        ),
        (version, _) => {
            return xml_error(
                "",
                &ApiError::new(
                    Common::InvalidAction,
                    format!(
                        "no JSON X-Amz-Target and no known query API version ({version:?}): \
                         the local stack serves ELBv2 (2015-12-01), IAM (2010-05-08), STS \
                         (2011-06-15) and CloudWatch (2010-08-01)"
                    ),
                ),
            )
        }
    };
    match result {
        Ok(v) => xml_response(ns, action, &v),
        Err(e) => {
            tracing::info!(target: "api", "{action}: {}: {}", e.code, e.message);
            xml_error(ns, &e)
        }
    }
}

/// Smithy RPC v2 CBOR (`POST /service/<Service>/operation/<Operation>`): CloudWatch, as
/// the Rust SDK calls it.
async fn rpc_v2_cbor(
    State(stack): State<Arc<Stack>>,
    Path((service, op)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if service != cloudwatch::api::CBOR_SERVICE {
        return cbor::error(&ApiError::new(
            Common::UnknownOperationException,
            format!("service {service:?} is not served by the local stack over RPC v2 CBOR (CloudWatch, {} is)", cloudwatch::api::CBOR_SERVICE),
        ));
    }
    let result = cbor::parse_body(&body).and_then(|input| {
        cloudwatch::api::handle(
            &stack.cloudwatch,
            &op,
            cloudwatch::api::Input::Json(&input),
            now_ms(),
        )
    });
    match result {
        Ok(v) => cbor::ok(&v, cloudwatch::api::TIMESTAMPS),
        Err(e) => {
            tracing::info!(target: "api", "CloudWatch.{op}: {}: {}", e.code, e.message);
            cbor::error(&e)
        }
    }
}

async fn local_status(State(stack): State<Arc<Stack>>) -> Response {
    axum::Json(stack.status_json()).into_response()
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
