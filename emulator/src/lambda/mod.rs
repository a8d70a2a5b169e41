//! Lambda, as far as CodeDeploy's lifecycle hooks need it: functions whose code is a local
//! executable (a custom runtime's `bootstrap`, as on `provided.al2023`), invoked the way
//! Lambda runs them. [`backend`] holds the functions (no HTTP); [`runner`] runs one
//! invocation: the executable as a process whose `AWS_LAMBDA_RUNTIME_API` points at a
//! loopback Runtime API ([`runtime_api`]) that hands it the event and takes its answer,
//! its output into the local Logs service under `/aws/lambda/<name>` with Lambda's
//! START/END/REPORT lines; [`api`] answers Invoke and GetFunction (rest-json).
//!
//! Where it falls short of Lambda: every invocation is a cold start (the process is
//! stopped after its answer, no execution environment is kept warm or frozen); one
//! invocation at a time per call, no concurrency limits, no versions or aliases (only
//! `$LATEST`), no layers, no memory limit enforced (the size is reported, not applied).

pub(crate) mod api;
pub(crate) mod backend;
pub(crate) mod runner;
pub(crate) mod runtime_api;

use axum::http::StatusCode;

use crate::wire::error::ErrorCode;

/// Lambda error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum Error {
    /// 404: no function by that name.
    ResourceNotFoundException,
    /// 400: a parameter's value is not allowed.
    InvalidParameterValueException,
    /// 400: the payload is not JSON.
    InvalidRequestContentException,
    /// 413: the payload is larger than Lambda accepts.
    RequestTooLargeException,
    /// 500: the function could not be started.
    ServiceException,
}

impl ErrorCode for Error {
    fn status(self) -> StatusCode {
        match self {
            Error::ResourceNotFoundException => StatusCode::NOT_FOUND,
            Error::RequestTooLargeException => StatusCode::PAYLOAD_TOO_LARGE,
            Error::ServiceException => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}
