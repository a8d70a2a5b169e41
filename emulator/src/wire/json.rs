//! AWS JSON 1.1: the request body as a JSON object, read into each operation's serde type
//! ([`request`]), and the response and error shapes (`__type` plus `x-amzn-ErrorType`).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::error::{ApiError, Common};

/// What a JSON 1.1 operation answers: the response document, or an AWS error.
pub(crate) type ApiResult = Result<Value, ApiError>;

/// The body of a JSON 1.1 request: a JSON object (an empty body is `{}`).
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(ApiError::new(
            Common::SerializationException,
            "the request body is not a JSON object",
        )),
        Err(e) => Err(ApiError::new(
            Common::SerializationException,
            format!("the request body is not JSON: {e}"),
        )),
    }
}

/// A request as its serde type (botocore's input shape): a member of the wrong type is a
/// `SerializationException`, as AWS answers it; members this stack does not read are
/// ignored.
pub(crate) fn request<T: serde::de::DeserializeOwned>(input: &Value) -> Result<T, ApiError> {
    T::deserialize(input).map_err(|e| ApiError::new(Common::SerializationException, e.to_string()))
}

/// An operation's typed answer (its serde response type) as the response document.
pub(crate) fn answer<T: serde::Serialize>(response: T) -> ApiResult {
    // A response type has string keys and plain members only: serializing it cannot fail.
    Ok(serde_json::to_value(response).expect("a response type serializes to JSON"))
}

/// A 200 JSON 1.1 response.
pub(crate) fn ok(v: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        v.to_string(),
    )
        .into_response()
}

pub(crate) fn error(e: &ApiError) -> Response {
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
