//! AWS errors as the backends and API modules raise them: a typed code (one enum per
//! service, spelled as AWS spells it), an HTTP status and a message. [`super::json`] and [`super::query`]
//! renders them in the protocol's shape (JSON 1.1 `__type` or query `<Error><Code>`).

use axum::http::StatusCode;

/// An error code enum of one service; its variant names are the AWS codes.
pub(crate) trait ErrorCode: Copy + Into<&'static str> {}

/// An AWS error: HTTP status, error code, message.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    /// A 400 client error.
    pub(crate) fn new(code: impl ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: code.into(),
            message: message.into(),
        }
    }

    /// A 404 (IAM's `NoSuchEntity`).
    pub(crate) fn not_found(code: impl ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: code.into(),
            message: message.into(),
        }
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
}
impl ErrorCode for Common {}
