//! Test support: checks a local API answer against botocore's output shape of the
//! operation (types, required members, no unknown keys, enums, timestamps as epoch
//! numbers), and a serde request type against its input shape (every member it reads is
//! one of the operation's, and a request with every member botocore allows deserializes),
//! with the system Python's botocore: AWS's own service models. One copy for every
//! emulated service's unit tests.

use serde::de::{DeserializeOwned, Error as _, Visitor};
use serde_json::Value;

const SCRIPT: &str = r#"
import json, sys, botocore.session
service, op, value = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
m = botocore.session.get_session().get_service_model(service)
def check(shape, v, path):
    t = shape.type_name
    if t == 'structure':
        assert isinstance(v, dict), path
        for k in shape.required_members: assert k in v, f'{path}.{k} missing'
        for k, x in v.items():
            assert k in shape.members, f'{path}.{k} unknown'
            check(shape.members[k], x, f'{path}.{k}')
    elif t == 'list':
        assert isinstance(v, list), path
        for i, x in enumerate(v): check(shape.member, x, f'{path}[{i}]')
    elif t == 'map':
        assert isinstance(v, dict), path
        for k, x in v.items(): check(shape.value, x, f'{path}.{k}')
    elif t in ('long', 'integer'): assert isinstance(v, int) and not isinstance(v, bool), path
    elif t in ('double', 'float'): assert isinstance(v, (int, float)) and not isinstance(v, bool), path
    elif t == 'timestamp': assert isinstance(v, (int, float)) and not isinstance(v, bool), f'{path}: epoch number'
    elif t == 'boolean': assert isinstance(v, bool), path
    elif t == 'string':
        assert isinstance(v, str), path
        if shape.enum: assert v in shape.enum, f'{path}: {v} not in enum'
check(m.operation_model(op).output_shape, value, op)
"#;

/// Panics (failing the test) when `value` does not fit the output shape of `service`'s
/// operation `op` in botocore's model, or when python3 with botocore is missing.
pub(crate) fn fits_botocore(service: &str, op: &str, value: &Value) {
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT, service, op, &value.to_string()])
        .output()
        .expect("python3 with botocore is needed for this test (apt-get install python3-botocore)");
    assert!(
        out.status.success(),
        "{service} {op} answer does not fit botocore's model: {}\n{value}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const INPUT_SCRIPT: &str = r#"
import json, sys, botocore.session
service = sys.argv[1]
m = botocore.session.get_session().get_service_model(service)
def example(shape, depth):
    t = shape.type_name
    if t == 'structure':
        return {k: example(v, depth + 1) for k, v in shape.members.items()} if depth < 6 else {}
    if t == 'list': return [example(shape.member, depth + 1)] if depth < 6 else []
    if t == 'map': return {'k': example(shape.value, depth + 1)} if depth < 6 else {}
    if t in ('long', 'integer'): return 1
    if t in ('double', 'float', 'timestamp'): return 1.5
    if t == 'boolean': return True
    if t == 'blob': return 'eA=='
    return shape.enum[0] if shape.enum else 'x'
def form(op, params):
    # What botocore sends for a query-protocol service: the form's pairs, values as text
    # (also for a service whose model lists the query protocol beside newer ones, as
    # CloudWatch's does: older botocore spoke query to it).
    if 'query' not in m.metadata.get('protocols', [m.protocol]): return []
    from botocore.serialize import create_serializer
    body = create_serializer('query', include_validation=False).serialize_to_request(params, m.operation_model(op))['body']
    return [[k, v if isinstance(v, str) else str(v)] for k, v in body.items()]
def describe(op):
    shape = m.operation_model(op).input_shape
    if shape is None: return {'members': [], 'example': {}, 'form': form(op, {})}
    ex = example(shape, 0)
    return {'members': list(shape.members), 'example': ex, 'form': form(op, ex)}
print(json.dumps({op: describe(op) for op in m.operation_names}))
"#;

/// Every operation's input members and a request with all of them, by service: one
/// python3 (loading botocore and the service's model, about half a second) per service
/// and test process, not one per operation.
fn input_shapes(service: &str) -> serde_json::Map<String, Value> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, serde_json::Map<String, Value>>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(shapes) = deployer_models::sync::lock(cache).get(service) {
        return shapes.clone();
    }
    let out = std::process::Command::new("python3")
        .args(["-c", INPUT_SCRIPT, service])
        .output()
        .expect("python3 with botocore is needed for this test (apt-get install python3-botocore)");
    assert!(
        out.status.success(),
        "{service}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shapes: serde_json::Map<String, Value> =
        serde_json::from_slice(&out.stdout).expect("the script prints a JSON object");
    deployer_models::sync::lock(cache).insert(service.to_string(), shapes.clone());
    shapes
}

/// A request of `service`'s operation `op` with every member botocore allows (each nested
/// structure to a depth of six), for a request read by hand rather than by a serde type.
pub(crate) fn input_example(service: &str, op: &str) -> Value {
    input_shapes(service)
        .get(op)
        .unwrap_or_else(|| panic!("{service} has no operation {op} in botocore's model"))["example"]
        .clone()
}

/// The member names a serde request type reads (its struct fields, as serde names them).
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Fields<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Fields<'_> {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Self::Error::custom("a request type is a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(Self::Error::custom("fields read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Fields(&mut fields));
    fields
}

/// The operation's entry of [`input_shapes`], after checking that every member the
/// request type `T` reads is one of the operation's input members (or one of `newer`).
fn members_fit<T: DeserializeOwned>(service: &str, op: &str, newer: &[&str]) -> Value {
    let shapes = input_shapes(service);
    let v = shapes
        .get(op)
        .unwrap_or_else(|| panic!("{service} has no operation {op} in botocore's model"))
        .clone();
    let members: Vec<&str> = v["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let fields = fields_of::<T>();
    assert!(
        !fields.is_empty() || members.is_empty(),
        "{op}: the request type is not a struct"
    );
    for f in fields {
        assert!(
            members.contains(f) || newer.contains(f),
            "{service} {op}: the request type reads {f:?}, which botocore's input shape does not have ({members:?})"
        );
    }
    v
}

/// Panics (failing the test) when the request type `T` reads a member that `service`'s
/// operation `op` does not have in botocore's model, or cannot read a request that has
/// every member botocore allows (a type that disagrees with the model).
pub(crate) fn request_fits_botocore<T: DeserializeOwned>(service: &str, op: &str) {
    request_fits_botocore_or_newer::<T>(service, op, &[]);
}

/// [`request_fits_botocore`] for a type that also reads `newer`: members a newer botocore
/// model has that an older one installed here may lack (the tests run with whichever
/// botocore `python3` finds: the `.venv`'s under `scripts/test`, the system's otherwise).
pub(crate) fn request_fits_botocore_or_newer<T: DeserializeOwned>(
    service: &str,
    op: &str,
    newer: &[&str],
) {
    let v = members_fit::<T>(service, op, newer);
    if let Err(e) = T::deserialize(&v["example"]) {
        panic!(
            "{service} {op}: a request with every member botocore allows does not deserialize: {e}\n{}",
            v["example"]
        );
    }
}

/// The query protocol's [`request_fits_botocore`]: `T` reads only members of the
/// operation's input shape, and the form botocore sends for a request with every member
/// it allows (lists as `A.member.N`, numbers and booleans as text) is read by
/// [`crate::wire::query::request`] into `T`, unknown parameters refused as for any call.
pub(crate) fn query_request_fits_botocore<T: DeserializeOwned>(service: &str, op: &str) {
    query_request_fits_botocore_or_newer::<T>(service, op, &[]);
}

/// [`query_request_fits_botocore`] for a type that also reads `newer` (see
/// [`request_fits_botocore_or_newer`]).
pub(crate) fn query_request_fits_botocore_or_newer<T: DeserializeOwned>(
    service: &str,
    op: &str,
    newer: &[&str],
) {
    use crate::wire::query::{request, Form};
    let v = members_fit::<T>(service, op, newer);
    let pairs: Vec<(String, String)> = serde_json::from_value(v["form"].clone())
        .unwrap_or_else(|e| panic!("{service} {op}: no form from botocore's serializer: {e}"));
    assert!(
        pairs.iter().any(|(k, _)| k == "Action"),
        "{service} is not a query-protocol service in botocore's model"
    );
    if let Err(e) = request::<T>(
        &Form(pairs.clone()),
        crate::wire::error::Common::InvalidAction,
    ) {
        panic!(
            "{service} {op}: the form botocore sends for a request with every member it allows is not read: {}\n{pairs:?}",
            e.message
        );
    }
}

const QUERY_ANSWER_SCRIPT: &str = r#"
import json, sys, botocore.session, xml.etree.ElementTree as ET
from botocore.parsers import create_parser
from botocore.utils import parse_timestamp
service, op, doc = sys.argv[1], sys.argv[2], sys.argv[3]
om = botocore.session.get_session().get_service_model(service).operation_model(op)
def local(tag): return tag.split('}', 1)[-1]
def check(shape, el, path):
    t = shape.type_name
    if t == 'structure':
        names = {m.serialization.get('name', k): (k, m) for k, m in shape.members.items()}
        seen = set()
        for child in el:
            tag = local(child.tag)
            assert tag in names, f'{path}.{tag} unknown'
            k, m = names[tag]
            assert k not in seen, f'{path}.{tag} twice'
            seen.add(k)
            check(m, child, f'{path}.{tag}')
        for k in shape.required_members: assert k in seen, f'{path}.{k} missing'
    elif t == 'list':
        assert not shape.serialization.get('flattened'), f'{path}: flattened lists are not written'
        name = shape.member.serialization.get('name', 'member')
        for i, child in enumerate(el):
            assert local(child.tag) == name, f'{path}[{i}]: <{local(child.tag)}> is not <{name}>'
            check(shape.member, child, f'{path}[{i}]')
    elif t == 'map':
        for i, entry in enumerate(el):
            assert local(entry.tag) == 'entry', f'{path}[{i}]'
            kids = {local(c.tag): c for c in entry}
            assert set(kids) == {'key', 'value'}, f'{path}[{i}]: {set(kids)}'
            check(shape.value, kids['value'], f'{path}.{kids["key"].text}')
    else:
        assert len(el) == 0, f'{path}: a scalar with children'
        text = el.text or ''
        if t in ('long', 'integer'): int(text)
        elif t in ('double', 'float'): float(text)
        elif t == 'boolean': assert text in ('true', 'false'), f'{path}: {text!r} is not a boolean'
        elif t == 'timestamp':
            assert 'T' in text, f'{path}: {text!r} is not ISO 8601'
            parse_timestamp(text)
        elif t == 'string':
            if shape.enum: assert text in shape.enum, f'{path}: {text} not in enum'
root = ET.fromstring(doc)
assert local(root.tag) == op + 'Response', local(root.tag)
shape = om.output_shape
wrapper = shape.serialization.get('resultWrapper', op + 'Result')
results = [c for c in root if local(c.tag) == wrapper]
assert len(results) == 1, f'one <{wrapper}> expected'
check(shape, results[0], op)
parsed = create_parser('query').parse({'body': doc.encode(), 'headers': {}, 'status_code': 200}, shape)
assert 'Error' not in parsed, parsed
"#;

/// Panics (failing the test) when `value`, written as the query protocol's XML answer
/// (what the router sends), does not fit the output shape of `service`'s operation `op`:
/// every element a member of its structure, the required ones there, lists as `<member>`,
/// integers, booleans, ISO 8601 timestamps and enums as botocore reads them; and
/// botocore's own query parser reads it.
pub(crate) fn query_fits_botocore(service: &str, op: &str, value: &Value) {
    let doc = crate::wire::query::xml_document("urn:local", op, value);
    let out = std::process::Command::new("python3")
        .args(["-c", QUERY_ANSWER_SCRIPT, service, op, &doc])
        .output()
        .expect("python3 with botocore is needed for this test (apt-get install python3-botocore)");
    assert!(
        out.status.success(),
        "{service} {op} answer does not fit botocore's model: {}\n{doc}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg(test)]
mod tests {
    //! The checks can fail: each is shown a value or a type that disagrees with botocore.

    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[test]
    #[should_panic(expected = "unknown")]
    fn a_query_answer_with_a_member_botocore_lacks_fails() {
        query_fits_botocore(
            "elbv2",
            "DescribeTargetGroups",
            &json!({"TargetGroups": [{"Colour": "blue"}]}),
        );
    }

    #[test]
    #[should_panic(expected = "is not a boolean")]
    fn a_query_answer_with_a_scalar_of_the_wrong_type_fails() {
        query_fits_botocore(
            "elbv2",
            "DescribeTargetGroups",
            &json!({"TargetGroups": [{"HealthCheckEnabled": "yes"}]}),
        );
    }

    #[test]
    #[should_panic(expected = "is not ISO 8601")]
    fn a_query_answer_with_an_epoch_timestamp_fails() {
        query_fits_botocore(
            "iam",
            "GetRole",
            &json!({"Role": {"Path": "/", "RoleName": "r", "RoleId": "AROAR0000000000000000",
                "Arn": "arn:aws:iam::000000000000:role/r", "CreateDate": 1700000000}}),
        );
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct ReadsTooMuch {
        role_name: Option<String>,
        colour: Option<String>,
    }

    #[test]
    #[should_panic(expected = "which botocore's input shape does not have")]
    fn a_request_type_reading_a_member_botocore_lacks_fails() {
        query_request_fits_botocore::<ReadsTooMuch>("iam", "GetRole");
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct ReadsTooLittle {
        marker: Option<String>,
    }

    #[test]
    #[should_panic(expected = "is not read")]
    fn a_request_type_without_a_member_botocore_sends_fails() {
        query_request_fits_botocore::<ReadsTooLittle>("iam", "ListRoles");
    }
}
