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
