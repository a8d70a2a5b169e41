//! Smithy RPC v2 CBOR (`smithy-protocol: rpc-v2-cbor`), what the Rust SDK speaks to
//! CloudWatch: `POST /service/<ServiceShape>/operation/<Operation>` with a CBOR map body
//! (RFC 8949), answered with a CBOR map; timestamps are tag 1 (epoch seconds); errors are
//! `{"__type": Code, "message": ...}` with the query code in `x-amzn-query-error`
//! (`Code;Sender`), as services that moved from the query protocol (awsQueryCompatible)
//! answer. The request becomes the same JSON value the other protocols hand to a service's
//! API layer, and its answer (a JSON value, timestamps as epoch numbers) becomes CBOR here.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use ciborium::Value as Cbor;
use serde_json::{json, Value};

use super::error::{ApiError, Common};

const CONTENT_TYPE: &str = "application/cbor";

/// The request body as JSON: a CBOR map (an empty body is `{}`); tag 1 timestamps become
/// epoch seconds; byte strings (blobs) are refused, as no served operation takes one.
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    let v: Cbor = ciborium::from_reader(body).map_err(|e| {
        ApiError::new(
            Common::SerializationException,
            format!("the request body is not CBOR: {e}"),
        )
    })?;
    match to_json(v) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(ApiError::new(
            Common::SerializationException,
            "the request body is not a CBOR map",
        )),
        Err(e) => Err(ApiError::new(Common::SerializationException, e)),
    }
}

fn to_json(v: Cbor) -> Result<Value, String> {
    Ok(match v {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Text(s) => Value::String(s),
        Cbor::Integer(i) => {
            let i = i128::from(i);
            match (i64::try_from(i), u64::try_from(i)) {
                (Ok(n), _) => json!(n),
                (_, Ok(n)) => json!(n),
                _ => return Err(format!("integer {i} out of range")),
            }
        }
        Cbor::Float(f) => json!(f),
        Cbor::Tag(_, inner) => to_json(*inner)?,
        Cbor::Array(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Cbor::Map(entries) => {
            let mut m = serde_json::Map::new();
            for (k, v) in entries {
                let Cbor::Text(k) = k else {
                    return Err("a map key is not text".into());
                };
                m.insert(k, to_json(v)?);
            }
            Value::Object(m)
        }
        Cbor::Bytes(_) => return Err("byte strings are not read by the local stack".into()),
        _ => return Err("an unsupported CBOR item".into()),
    })
}

/// `v` as CBOR; numbers under the member names in `timestamps` become tag 1 timestamps.
fn to_cbor(v: &Value, timestamps: &[&str], is_timestamp: bool) -> Cbor {
    match v {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::String(s) => Cbor::Text(s.clone()),
        Value::Number(n) if is_timestamp => {
            Cbor::Tag(1, Box::new(Cbor::Float(n.as_f64().unwrap_or(0.0))))
        }
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Cbor::Integer(i.into()),
            (_, Some(u)) => Cbor::Integer(u.into()),
            _ => Cbor::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::Array(items) => Cbor::Array(
            items
                .iter()
                .map(|x| to_cbor(x, timestamps, false))
                .collect(),
        ),
        Value::Object(m) => Cbor::Map(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| {
                    (
                        Cbor::Text(k.clone()),
                        to_cbor(x, timestamps, timestamps.contains(&k.as_str())),
                    )
                })
                .collect(),
        ),
    }
}

fn respond(status: axum::http::StatusCode, body: &Cbor) -> Response {
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::into_writer(body, &mut bytes);
    (
        status,
        [
            (header::CONTENT_TYPE, CONTENT_TYPE),
            (
                header::HeaderName::from_static("smithy-protocol"),
                "rpc-v2-cbor",
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A 200 answer; `timestamps` names the members that are timestamps.
pub(crate) fn ok(v: &Value, timestamps: &[&str]) -> Response {
    respond(axum::http::StatusCode::OK, &to_cbor(v, timestamps, false))
}

/// An error: `__type` and `message`, and the query code in `x-amzn-query-error`.
pub(crate) fn error(e: &ApiError) -> Response {
    let body = Cbor::Map(vec![
        (Cbor::Text("__type".into()), Cbor::Text(e.code.into())),
        (Cbor::Text("message".into()), Cbor::Text(e.message.clone())),
    ]);
    with_query_error(respond(e.status, &body), e)
}

/// Adds `x-amzn-query-error: Code;Sender` (awsQueryCompatible services, in JSON 1.0 or
/// CBOR): the SDKs read the query code from it.
pub(crate) fn with_query_error(mut resp: Response, e: &ApiError) -> Response {
    let fault = if e.status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    if let Ok(v) = HeaderValue::from_str(&format!("{};{fault}", e.code)) {
        resp.headers_mut().insert("x-amzn-query-error", v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_round_trips_and_timestamps_are_tag_1() {
        let v = json!({"A": 1, "B": [true, "x"], "At": 1.5, "N": null});
        let c = to_cbor(&v, &["At"], false);
        let mut bytes = Vec::new();
        ciborium::into_writer(&c, &mut bytes).unwrap();
        let back: Cbor = ciborium::from_reader(bytes.as_slice()).unwrap();
        let Cbor::Map(m) = &back else { panic!("a map") };
        assert!(m
            .iter()
            .any(|(k, v)| k == &Cbor::Text("At".into()) && matches!(v, Cbor::Tag(1, _))));
        assert_eq!(
            parse_body(&bytes).unwrap(),
            json!({"A": 1, "B": [true, "x"], "At": 1.5})
        );
        assert!(parse_body(b"\xff\x00").is_err());
    }
}
