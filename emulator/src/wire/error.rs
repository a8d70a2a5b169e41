//! AWS errors, one way for every service: each service has an enum of its error codes
//! (variants spelled as AWS spells the codes) that implements [`ErrorCode`]; its backend
//! raises an [`AwsError`] of that enum (a code and a message, no HTTP); the API layer turns
//! it into an [`ApiError`] (the code's HTTP status added), which [`super::json`] and
//! [`super::query`] render in the protocol's shape (JSON 1.1 `__type` or query
//! `<Error><Code>`).

use axum::http::StatusCode;

/// An error code enum of one service; its variant names are the AWS codes.
pub(crate) trait ErrorCode: Copy + Into<&'static str> {
    /// The HTTP status AWS answers the code with (400 unless the service says otherwise).
    fn status(self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

/// An error a backend raises: one of its service's codes and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsError<C> {
    pub(crate) code: C,
    pub(crate) message: String,
}

impl<C: ErrorCode> AwsError<C> {
    pub(crate) fn new(code: C, message: impl Into<String>) -> Self {
        AwsError {
            code,
            message: message.into(),
        }
    }

    /// The code as AWS spells it (what tests compare).
    #[cfg(test)]
    pub(crate) fn code_str(&self) -> &'static str {
        self.code.into()
    }
}

impl<C: ErrorCode> std::fmt::Display for AwsError<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl<C: ErrorCode + std::fmt::Debug> std::error::Error for AwsError<C> {}

/// A required string member of a request: missing or empty is `code`, as AWS answers
/// (with the member's name in the message).
pub(crate) fn required<'a, C: ErrorCode>(
    value: Option<&'a str>,
    key: &str,
    code: C,
) -> Result<&'a str, AwsError<C>> {
    match value {
        None => Err(AwsError::new(code, format!("{key} is required"))),
        Some("") => Err(AwsError::new(code, format!("{key} must not be empty"))),
        Some(v) => Ok(v),
    }
}

/// An AWS error on the wire: HTTP status, error code, message.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    /// An error with `code`'s status.
    pub(crate) fn new(code: impl ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status: code.status(),
            code: code.into(),
            message: message.into(),
        }
    }
}

impl<C: ErrorCode> From<AwsError<C>> for ApiError {
    fn from(e: AwsError<C>) -> Self {
        ApiError::new(e.code, e.message)
    }
}

/// Codes every protocol uses: a body that does not parse, an operation not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum Common {
    /// JSON 1.1: the body is not a JSON object, or a member has the wrong type.
    SerializationException,
    /// JSON 1.1: an `X-Amz-Target` this stack does not serve.
    UnknownOperationException,
    /// Query protocol: an `Action` (or API version) this stack does not serve.
    InvalidAction,
    /// Query protocol: the form body does not parse.
    MalformedQueryString,
    /// JSON 1.1: a request from a stranger (a foreign Host, a browser's Origin): 403.
    AccessDeniedException,
    /// Query protocol: the same refusal, as query services spell it: 403.
    AccessDenied,
    /// Every protocol: a temporary failure (the local stack: its records cannot be
    /// written, so it makes no change): 503, which the SDKs retry.
    ServiceUnavailable,
    /// Every protocol: the request failed for a reason on the server's side (the local
    /// stack: a change it made could not be written to its records): 500.
    InternalFailure,
}
impl ErrorCode for Common {
    fn status(self) -> StatusCode {
        match self {
            Common::AccessDeniedException | Common::AccessDenied => StatusCode::FORBIDDEN,
            Common::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Common::InternalFailure => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}
