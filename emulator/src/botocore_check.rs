//! Test support: checks a local API answer against botocore's output shape of the
//! operation (types, required members, no unknown keys, enums, timestamps as epoch
//! numbers), with the system Python's botocore: AWS's own service models. One copy for
//! every emulated service's unit tests.

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
