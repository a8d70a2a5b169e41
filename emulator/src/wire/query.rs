//! The query protocol (ELBv2, IAM, STS, CloudWatch as the AWS CLI calls it): the form body
//! read into each operation's serde request type ([`request`]: `A.member.N` lists, `A.B`
//! structures, numbers and booleans parsed from their text, unknown parameters refused),
//! `<ActionResponse>` documents written from a serializable answer (objects become
//! elements, arrays `<member>` lists, scalars text) and `<ErrorResponse>`.
//!
//! Why a codec of our own: the crates that read forms into serde types (`serde_qs`,
//! `serde_urlencoded`) speak `a[0]`/`a[b]` brackets or flat pairs; none reads AWS's
//! `Names.member.1` lists, so a request type would otherwise be read by hand.

use std::collections::BTreeMap;

use aws_smithy_xml::encode::{ScopeWriter, XmlWriter};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde_json::Value;

use super::error::{ApiError, Common, ErrorCode};

/// What a query-protocol operation answers: the `<ActionResult>` content, or an AWS error.
pub(crate) type QueryResult = Result<Value, ApiError>;

/// Form parameters of a query-protocol request, in order.
pub(crate) struct Form(pub(crate) Vec<(String, String)>);

impl Form {
    /// A form from literal pairs (the services' unit tests).
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> Form {
        Form(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A query-protocol request as its serde type (botocore's input shape, members in
/// PascalCase as the form names them): `A.member.N` is a list (in index order; `A=` with
/// no value an empty one), `A.B` a nested structure, numbers and booleans are parsed from
/// their text. A parameter the type does not have, or a value that does not parse, is
/// `code` (the service's validation error) naming the parameter; a form that is not a
/// tree of parameters (`A=1&A.B=2`, a key given twice) is `MalformedQueryString`.
/// `Action` and `Version` are the router's, not the operation's.
pub(crate) fn request<T: DeserializeOwned>(
    form: &Form,
    code: impl ErrorCode,
) -> Result<T, ApiError> {
    let tree = Node::of_form(form)
        .map_err(|message| ApiError::new(Common::MalformedQueryString, message))?;
    T::deserialize(NodeDe {
        node: &tree,
        path: "",
    })
    .map_err(|e| ApiError::new(code, e.0))
}

/// The form as a tree: a value, or named children.
#[derive(Debug, PartialEq)]
enum Node {
    Leaf(String),
    Branch(BTreeMap<String, Node>),
}

impl Node {
    fn of_form(form: &Form) -> Result<Node, String> {
        let mut root = Node::Branch(BTreeMap::new());
        for (key, value) in &form.0 {
            if key == "Action" || key == "Version" {
                continue;
            }
            let parts: Vec<&str> = key.split('.').collect();
            if parts.iter().any(|p| p.is_empty()) {
                return Err(format!("the parameter name {key:?} has an empty part"));
            }
            let mut node = &mut root;
            for (i, part) in parts.iter().enumerate() {
                // `A=` (an empty list or structure) followed by `A.member.1=...`.
                if matches!(node, Node::Leaf(v) if v.is_empty()) {
                    *node = Node::Branch(BTreeMap::new());
                }
                let Node::Branch(children) = node else {
                    let prefix = parts[..i].join(".");
                    return Err(format!(
                        "the parameter {prefix} is given both a value and members ({key})"
                    ));
                };
                let last = i + 1 == parts.len();
                if last {
                    match children.get(*part) {
                        None => {
                            children.insert((*part).to_string(), Node::Leaf(value.clone()));
                        }
                        // An empty value beside members changes nothing.
                        Some(Node::Branch(_)) if value.is_empty() => {}
                        Some(Node::Branch(_)) => {
                            return Err(format!(
                                "the parameter {key} is given both a value and members"
                            ))
                        }
                        Some(Node::Leaf(_)) => {
                            return Err(format!("the parameter {key} is given more than once"))
                        }
                    }
                    break;
                }
                node = children
                    .entry((*part).to_string())
                    .or_insert_with(|| Node::Branch(BTreeMap::new()));
            }
        }
        Ok(root)
    }
}

/// Why a form does not fit a request type; the message names the parameter.
#[derive(Debug)]
struct FormError(String);

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for FormError {}
impl de::Error for FormError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        FormError(msg.to_string())
    }
}

/// The members of `A=` (an empty structure or map).
static EMPTY: BTreeMap<String, Node> = BTreeMap::new();

/// One node of the tree and the parameter name that leads to it (for messages).
struct NodeDe<'a> {
    node: &'a Node,
    path: &'a str,
}

impl NodeDe<'_> {
    fn leaf(&self, what: &str) -> Result<&str, FormError> {
        match self.node {
            Node::Leaf(s) => Ok(s),
            Node::Branch(_) => Err(FormError(format!(
                "the parameter {} must be {what}, not a structure or list",
                self.path
            ))),
        }
    }

    fn parse<N: std::str::FromStr>(&self, what: &str) -> Result<N, FormError> {
        let s = self.leaf(what)?;
        s.parse().map_err(|_| {
            FormError(format!(
                "the value '{s}' of the parameter {} is not {what}",
                self.path
            ))
        })
    }

    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

macro_rules! parse_number {
    ($($method:ident $visit:ident $ty:ty, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, FormError> {
            v.$visit(self.parse::<$ty>($what)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = FormError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, FormError> {
        match self.node {
            Node::Leaf(s) => v.visit_str(s),
            Node::Branch(children) => v.visit_map(Members::new(children, self.path)),
        }
    }

    parse_number! {
        deserialize_i8 visit_i8 i8, "an integer";
        deserialize_i16 visit_i16 i16, "an integer";
        deserialize_i32 visit_i32 i32, "an integer";
        deserialize_i64 visit_i64 i64, "an integer";
        deserialize_u8 visit_u8 u8, "a whole number";
        deserialize_u16 visit_u16 u16, "a whole number";
        deserialize_u32 visit_u32 u32, "a whole number";
        deserialize_u64 visit_u64 u64, "a whole number";
        deserialize_f32 visit_f32 f32, "a number";
        deserialize_f64 visit_f64 f64, "a number";
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, FormError> {
        match self.leaf("true or false")? {
            "true" => v.visit_bool(true),
            "false" => v.visit_bool(false),
            other => Err(FormError(format!(
                "the value '{other}' of the parameter {} is not true or false",
                self.path
            ))),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, FormError> {
        v.visit_str(self.leaf("a string")?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, FormError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, FormError> {
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, FormError> {
        v.visit_newtype_struct(self)
    }

    /// `A.member.1`, `A.member.2`, ... in index order; `A=` is an empty list.
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, FormError> {
        let not_a_list = || {
            FormError(format!(
                "the parameter {} is a list: give it as {0}.member.1, {0}.member.2, ...",
                self.path
            ))
        };
        let items = match self.node {
            Node::Leaf(s) if s.is_empty() => Vec::new(),
            Node::Leaf(_) => return Err(not_a_list()),
            Node::Branch(children) => {
                let Some(Node::Branch(members)) = children.get("member") else {
                    return Err(not_a_list());
                };
                if children.len() != 1 {
                    return Err(not_a_list());
                }
                let mut items = Vec::with_capacity(members.len());
                for (index, node) in members {
                    let n: u32 = index.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        FormError(format!(
                            "the parameter {}.member.{index}: a list index is a whole number from 1",
                            self.path
                        ))
                    })?;
                    items.push((n, format!("{}.member.{index}", self.path), node));
                }
                items.sort_by_key(|(n, _, _)| *n);
                items
            }
        };
        v.visit_seq(Items(items.into_iter()))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, FormError> {
        let children = match self.node {
            Node::Branch(children) => children,
            Node::Leaf(s) if s.is_empty() => &EMPTY,
            Node::Leaf(_) => {
                return Err(FormError(format!(
                    "the parameter {} is a structure: give its members as {0}.Name",
                    self.path
                )))
            }
        };
        if let Some(unknown) = children.keys().find(|k| !fields.contains(&k.as_str())) {
            return Err(FormError(format!(
                "The parameter {} is not recognized",
                self.child_path(unknown)
            )));
        }
        v.visit_map(Members::new(children, self.path))
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, FormError> {
        match self.node {
            Node::Branch(children) => v.visit_map(Members::new(children, self.path)),
            Node::Leaf(s) if s.is_empty() => v.visit_map(Members::new(&EMPTY, self.path)),
            Node::Leaf(_) => Err(FormError(format!(
                "the parameter {} is a structure",
                self.path
            ))),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, FormError> {
        let s = self.leaf("one of its values")?;
        let de: de::value::StrDeserializer<'_, FormError> = s.into_deserializer();
        v.visit_enum(de)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, FormError> {
        v.visit_unit()
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, FormError> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit_struct tuple tuple_struct identifier
    }
}

/// A structure's members, in name order.
struct Members<'a> {
    iter: std::collections::btree_map::Iter<'a, String, Node>,
    path: &'a str,
    value: Option<(String, &'a Node)>,
}

impl<'a> Members<'a> {
    fn new(children: &'a BTreeMap<String, Node>, path: &'a str) -> Self {
        Members {
            iter: children.iter(),
            path,
            value: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for Members<'_> {
    type Error = FormError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, FormError> {
        let Some((key, node)) = self.iter.next() else {
            return Ok(None);
        };
        let path = if self.path.is_empty() {
            key.clone()
        } else {
            format!("{}.{key}", self.path)
        };
        self.value = Some((path, node));
        let de: de::value::StrDeserializer<'_, FormError> = key.as_str().into_deserializer();
        seed.deserialize(de).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, FormError> {
        let (path, node) = self
            .value
            .take()
            .ok_or_else(|| FormError("a value without its key".into()))?;
        seed.deserialize(NodeDe { node, path: &path })
            .map_err(|e| naming(e, &path))
    }
}

/// An error about the parameter `path` that does not name it yet (a type's own
/// `Deserialize` error, serde's `missing field`), with its name.
fn naming(e: FormError, path: &str) -> FormError {
    if e.0.contains(path) {
        e
    } else {
        FormError(format!("the parameter {path}: {}", e.0))
    }
}

/// A list's members, in index order, each with its parameter name.
struct Items<'a>(std::vec::IntoIter<(u32, String, &'a Node)>);

impl<'de> de::SeqAccess<'de> for Items<'_> {
    type Error = FormError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, FormError> {
        match self.0.next() {
            None => Ok(None),
            Some((_, path, node)) => seed
                .deserialize(NodeDe { node, path: &path })
                .map(Some)
                .map_err(|e| naming(e, &path)),
        }
    }
}

/// A timestamp member of a request, in epoch seconds: a number in JSON and CBOR, ISO 8601
/// text (`2026-12-04T18:20:00Z`, fractions of a second allowed) in the query protocol, as
/// botocore writes each; epoch seconds given as text are read too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RequestTimestamp(pub(crate) f64);

impl<'de> serde::Deserialize<'de> for RequestTimestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Seconds;
        impl Visitor<'_> for Seconds {
            type Value = RequestTimestamp;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a timestamp (epoch seconds or ISO 8601)")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RequestTimestamp, E> {
                Ok(RequestTimestamp(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RequestTimestamp, E> {
                Ok(RequestTimestamp(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RequestTimestamp, E> {
                Ok(RequestTimestamp(v as f64))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RequestTimestamp, E> {
                if let Ok(n) = s.parse::<f64>() {
                    return Ok(RequestTimestamp(n));
                }
                let t = humantime::parse_rfc3339_weak(s.trim_end_matches('Z')).map_err(|e| {
                    E::custom(format!(
                        "the value '{s}' is not a timestamp (ISO 8601): {e}"
                    ))
                })?;
                Ok(RequestTimestamp(
                    t.duration_since(std::time::UNIX_EPOCH)
                        .map_or(0.0, |d| d.as_secs_f64()),
                ))
            }
        }
        d.deserialize_any(Seconds)
    }
}

/// ISO 8601 (what query-protocol answers carry) from epoch seconds.
pub(crate) fn iso8601(secs: f64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(secs.max(0.0));
    humantime::format_rfc3339_millis(t).to_string()
}

/// A typed answer (an operation's response type, members in PascalCase) as the value
/// [`xml_response`] writes.
pub(crate) fn answer<T: serde::Serialize>(value: &T) -> Value {
    // Response types are structures of strings, numbers, booleans and lists: they always
    // have a JSON form.
    serde_json::to_value(value).expect("a response type serializes to JSON")
}

/// A timestamp member of an answer (epoch seconds), written as ISO 8601 as the query
/// protocol carries timestamps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Timestamp(pub(crate) f64);

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&iso8601(self.0))
    }
}

/// `<ActionResponse xmlns=..><ActionResult>{value}</ActionResult><ResponseMetadata>..`.
/// JSON objects become elements, arrays become `<member>` lists, scalars text.
pub(crate) fn xml_response(ns: &str, action: &str, value: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "text/xml")],
        xml_document(ns, action, value),
    )
        .into_response()
}

/// The document [`xml_response`] answers with.
pub(crate) fn xml_document(ns: &str, action: &str, value: &Value) -> String {
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
    doc
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

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
    enum TestError {
        ValidationError,
    }
    impl ErrorCode for TestError {}

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Target {
        id: String,
        port: Option<u16>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Req {
        #[serde(default)]
        names: Vec<String>,
        #[serde(default)]
        targets: Vec<Target>,
        marker: Option<String>,
        page_size: Option<i64>,
        enabled: Option<bool>,
    }

    fn form(pairs: &[(&str, &str)]) -> Form {
        Form::from_pairs(pairs)
    }

    fn read(pairs: &[(&str, &str)]) -> Result<Req, ApiError> {
        request::<Req>(&form(pairs), TestError::ValidationError)
    }

    #[test]
    fn member_lists_structures_and_scalars_are_read() {
        let r = read(&[
            ("Action", "DescribeThings"),
            ("Version", "2015-12-01"),
            ("Names.member.10", "j"),
            ("Names.member.2", "b"),
            ("Names.member.1", "a"),
            ("Targets.member.2.Id", "10.0.0.2"),
            ("Targets.member.1.Id", "10.0.0.1"),
            ("Targets.member.1.Port", "3000"),
            ("Marker", "m"),
            ("PageSize", "400"),
            ("Enabled", "true"),
        ])
        .unwrap();
        assert_eq!(r.names, ["a", "b", "j"], "index order, not text order");
        assert_eq!(
            r.targets,
            [
                Target {
                    id: "10.0.0.1".into(),
                    port: Some(3000)
                },
                Target {
                    id: "10.0.0.2".into(),
                    port: None
                }
            ]
        );
        assert_eq!(r.marker.as_deref(), Some("m"));
        assert_eq!(r.page_size, Some(400));
        assert_eq!(r.enabled, Some(true));
    }

    #[test]
    fn absent_members_are_none_and_an_empty_value_is_an_empty_list() {
        let r = read(&[("Names", "")]).unwrap();
        assert!(r.names.is_empty() && r.targets.is_empty());
        assert_eq!((r.marker, r.page_size, r.enabled), (None, None, None));
        // What botocore sends for an empty list, then members: the members count.
        let r = read(&[("Names", ""), ("Names.member.1", "a")]).unwrap();
        assert_eq!(r.names, ["a"]);
    }

    #[test]
    fn unknown_parameters_are_refused_by_name() {
        for (key, named) in [
            ("Nmaes.member.1", "Nmaes"),
            ("Targets.member.1.Ip", "Targets.member.1.Ip"),
        ] {
            let e = read(&[("Targets.member.1.Id", "x"), (key, "a")]).unwrap_err();
            assert_eq!(e.code, "ValidationError");
            assert_eq!(
                e.message,
                format!("The parameter {named} is not recognized")
            );
        }
    }

    #[test]
    fn values_that_do_not_parse_name_the_parameter() {
        let e = read(&[("PageSize", "ten")]).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert!(
            e.message.contains("'ten'") && e.message.contains("PageSize"),
            "{}",
            e.message
        );
        let e = read(&[
            ("Targets.member.1.Id", "x"),
            ("Targets.member.1.Port", "70000"),
        ])
        .unwrap_err();
        assert!(e.message.contains("Targets.member.1.Port"), "{}", e.message);
        let e = read(&[("Enabled", "yes")]).unwrap_err();
        assert!(e.message.contains("Enabled"), "{}", e.message);
        // A list given as a value, a structure member given as a list.
        let e = read(&[("Names", "a")]).unwrap_err();
        assert!(e.message.contains("Names.member.1"), "{}", e.message);
        let e = read(&[("Names.member.0", "a")]).unwrap_err();
        assert!(e.message.contains("Names.member.0"), "{}", e.message);
        let e = read(&[("Marker.member.1", "a")]).unwrap_err();
        assert!(e.message.contains("Marker"), "{}", e.message);
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Dated {
        start: Option<RequestTimestamp>,
        #[serde(default)]
        windows: Vec<Window>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Window {
        /// Required: serde's own `missing field` error.
        end: RequestTimestamp,
    }

    #[test]
    fn timestamps_are_iso_8601_or_epoch_seconds_and_their_errors_name_the_parameter() {
        let read =
            |pairs: &[(&str, &str)]| request::<Dated>(&form(pairs), TestError::ValidationError);
        let d = read(&[
            ("Start", "2023-11-14T22:13:20Z"),
            ("Windows.member.1.End", "2023-11-14T22:13:20.250000Z"),
            ("Windows.member.2.End", "1700000000"),
        ])
        .unwrap();
        assert_eq!(d.start, Some(RequestTimestamp(1_700_000_000.0)));
        assert_eq!(d.windows[0].end, RequestTimestamp(1_700_000_000.25));
        assert_eq!(d.windows[1].end, RequestTimestamp(1_700_000_000.0));
        // The JSON and CBOR bodies carry epoch numbers.
        let d: Dated = serde_json::from_value(serde_json::json!({"Start": 1.5})).unwrap();
        assert_eq!(d.start, Some(RequestTimestamp(1.5)));
        let e = read(&[("Start", "yesterday")]).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert!(
            e.message
                .starts_with("the parameter Start: the value 'yesterday' is not a timestamp"),
            "{}",
            e.message
        );
        let e = read(&[("Windows.member.1.Start", "2023-11-14T22:13:20Z")]).unwrap_err();
        assert_eq!(
            e.message,
            "The parameter Windows.member.1.Start is not recognized"
        );
        let e = read(&[("Windows", "")]).map(|d| d.windows.len()).unwrap();
        assert_eq!(e, 0);
        let e = read(&[("Windows.member.1", "")]).unwrap_err();
        assert_eq!(
            e.message,
            "the parameter Windows.member.1: missing field `End`"
        );
    }

    #[test]
    fn a_form_that_is_not_a_tree_is_malformed() {
        for pairs in [
            &[("Marker", "a"), ("Marker", "b")][..],
            &[("Names.member.1", "a"), ("Names.member.1.X", "b")][..],
            &[("Names.member.1.X", "b"), ("Names.member.1", "a")][..],
            &[("Names..1", "a")][..],
        ] {
            let e = read(pairs).unwrap_err();
            assert_eq!(e.code, "MalformedQueryString", "{pairs:?}");
        }
    }

    #[test]
    fn answers_write_timestamps_as_iso_8601() {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Out {
            create_date: Timestamp,
            names: Vec<&'static str>,
            marker: Option<String>,
        }
        let v = answer(&Out {
            create_date: Timestamp(1_700_000_000.0),
            names: vec!["a"],
            marker: None,
        });
        let doc = xml_document("urn:x", "Describe", &v);
        assert!(
            doc.contains("<CreateDate>2023-11-14T22:13:20.000Z</CreateDate>")
                && doc.contains("<Names><member>a</member></Names>")
                && !doc.contains("Marker"),
            "{doc}"
        );
    }
}
