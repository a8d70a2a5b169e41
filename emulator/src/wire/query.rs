//! The query protocol (ELBv2, IAM): the form body, `<ActionResponse>` documents written
//! from a JSON value (objects become elements, arrays `<member>` lists, scalars text) and
//! `<ErrorResponse>`.

use aws_smithy_xml::encode::{ScopeWriter, XmlWriter};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::ApiError;

/// What a query-protocol operation answers: the `<ActionResult>` content, or an AWS error.
pub(crate) type QueryResult = Result<Value, ApiError>;

/// Form parameters of a query-protocol request, in order.
pub(crate) struct Form(pub(crate) Vec<(String, String)>);

impl Form {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    /// `Prefix.member.1`, `Prefix.member.2`, ... in index order.
    pub(crate) fn list(&self, prefix: &str) -> Vec<String> {
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

    /// The form as the JSON object of its members, for a service whose API layer reads
    /// serde types (CloudWatch): `A.member.N` is a list, `A.B` a nested structure; values
    /// stay strings (read them with [`lenient`]); `Action` and `Version` are left out.
    pub(crate) fn to_json(&self) -> Value {
        let mut root = Value::Object(serde_json::Map::new());
        for (k, v) in &self.0 {
            if k == "Action" || k == "Version" {
                continue;
            }
            let mut node = &mut root;
            for part in k.split('.') {
                if !node.is_object() {
                    *node = Value::Object(serde_json::Map::new());
                }
                node = node
                    .as_object_mut()
                    .expect("an object")
                    .entry(part.to_string())
                    .or_insert(Value::Null);
            }
            *node = Value::String(v.clone());
        }
        lists(root)
    }
}

/// `{"member": {"1": a, "2": b}}` becomes `[a, b]`, recursively.
fn lists(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            if m.len() == 1 {
                if let Some(Value::Object(items)) = m.get("member") {
                    let mut items: Vec<(u32, Value)> = items
                        .iter()
                        .filter_map(|(i, x)| Some((i.parse().ok()?, x.clone())))
                        .collect();
                    items.sort_by_key(|(i, _)| *i);
                    return Value::Array(items.into_iter().map(|(_, x)| lists(x)).collect());
                }
            }
            Value::Object(m.into_iter().map(|(k, x)| (k, lists(x))).collect())
        }
        other => other,
    }
}

/// serde helpers for members that the query protocol sends as strings and the JSON and
/// CBOR protocols as numbers or booleans: both are read.
pub(crate) mod lenient {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Num(f64),
        Bool(bool),
        Text(String),
    }

    fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Scalar>, D::Error> {
        Option::<Scalar>::deserialize(d)
    }

    pub(crate) fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        match scalar(d)? {
            None => Ok(None),
            Some(Scalar::Num(n)) => Ok(Some(n)),
            Some(Scalar::Text(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom(format!("{s:?} is not a number"))),
            Some(Scalar::Bool(b)) => Err(D::Error::custom(format!("{b} is not a number"))),
        }
    }

    pub(crate) fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        match f64(d)? {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
                Ok(Some(n as u32))
            }
            Some(n) => Err(D::Error::custom(format!("{n} is not a whole number"))),
        }
    }

    pub(crate) fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match scalar(d)? {
            None => Ok(None),
            Some(Scalar::Bool(b)) => Ok(Some(b)),
            Some(Scalar::Text(s)) if s == "true" => Ok(Some(true)),
            Some(Scalar::Text(s)) if s == "false" => Ok(Some(false)),
            Some(_) => Err(D::Error::custom("not a boolean")),
        }
    }

    /// A timestamp: epoch seconds (JSON, CBOR) or ISO 8601 (query).
    pub(crate) fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        match scalar(d)? {
            None => Ok(None),
            Some(Scalar::Num(n)) => Ok(Some(n)),
            Some(Scalar::Text(s)) => humantime::parse_rfc3339_weak(s.trim_end_matches('Z'))
                .map(|t| {
                    Some(
                        t.duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.as_secs_f64())
                            .unwrap_or(0.0),
                    )
                })
                .map_err(|e| D::Error::custom(format!("{s:?} is not a timestamp: {e}"))),
            Some(Scalar::Bool(_)) => Err(D::Error::custom("not a timestamp")),
        }
    }
}

/// ISO 8601 (what query-protocol answers carry) from epoch seconds.
pub(crate) fn iso8601(secs: f64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(secs.max(0.0));
    humantime::format_rfc3339_millis(t).to_string()
}

/// `<ActionResponse xmlns=..><ActionResult>{value}</ActionResult><ResponseMetadata>..`.
/// JSON objects become elements, arrays become `<member>` lists, scalars text.
pub(crate) fn xml_response(ns: &str, action: &str, value: &Value) -> Response {
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

pub(crate) fn xml_error(_ns: &str, e: &ApiError) -> Response {
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
