//! The wire layer under every service API: the two protocols the local stack speaks and
//! the error shape they share.
//!
//! - [`error`]: an AWS error (a typed code per service, an HTTP status, a message).
//! - [`json`]: AWS JSON 1.1 (ECS, CodeDeploy, ECR, CloudWatch Logs, Application Auto
//!   Scaling, CodePipeline, CodeBuild): the request body, members read with AWS's errors,
//!   `{"__type": Code, "message": ...}` with `x-amzn-ErrorType`.
//! - [`cbor`]: Smithy RPC v2 CBOR (CloudWatch, as the Rust SDK calls it): CBOR maps,
//!   `__type` errors with the query code in `x-amzn-query-error`.
//! - [`query`]: the query protocol (ELBv2, IAM, STS, CloudWatch as the AWS CLI calls it):
//!   the form body read into serde request types, `<ActionResponse>` XML and
//!   `<ErrorResponse><Error><Code>`.
//! - [`shape`]: what the services' answer types share (a typed status by its AWS name).
//! - [`validation`]: AWS's model validation messages (`1 validation error detected: ...`).
//!
//! Request limits are axum's defaults (a 2 MB body); AWS's own (1 MB for most JSON
//! operations) are not enforced. Signatures are not checked (any credentials work).

pub(crate) mod cbor;
pub(crate) mod error;
pub(crate) mod json;
pub(crate) mod query;
pub(crate) mod shape;
pub(crate) mod validation;
