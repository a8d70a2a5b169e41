//! The local CloudWatch as older botocore (and so older AWS CLIs) calls it: the query
//! protocol, each request written by botocore's own query serializer and each answer read
//! by its query parser (what a client whose CloudWatch model speaks only query does on the
//! wire, whichever botocore is installed), against a running local stack: every served
//! operation, and refusals in the query error shape with AWS's codes.

use std::process::Command;

use crate::support::LocalStack;

const SCRIPT: &str = r#"
import datetime, json, sys, urllib.error, urllib.parse, urllib.request
import botocore.session
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

endpoint = sys.argv[1]
model = botocore.session.get_session().get_service_model("cloudwatch")
serializer, parser = create_serializer("query"), create_parser("query")

def send(body):
    req = urllib.request.Request(endpoint + "/", data=urllib.parse.urlencode(body).encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

def call(op, **params):
    om = model.operation_model(op)
    status, headers, body = send(serializer.serialize_to_request(params, om)["body"])
    assert headers.get("content-type", "").startswith("text/xml"), (op, headers)
    parsed = parser.parse({"body": body, "headers": headers, "status_code": status}, om.output_shape)
    if status >= 400:
        return status, parsed["Error"]["Code"], parsed["Error"]["Message"]
    return parsed

def error_of(status, headers, body):
    e = parser.parse({"body": body, "headers": headers, "status_code": status}, None)["Error"]
    return status, e["Code"], e["Message"]

def refused(op, **params):
    answer = call(op, **params)
    assert isinstance(answer, tuple), f"{op} {params}: accepted: {answer}"
    return answer

# A day-long period: no evaluation moves the alarm during the test (24 minutes even at
# `--alarm-minute 1s`).
call("PutMetricAlarm", AlarmName="by-hand", Namespace="demo/service", MetricName="Http5xx",
     Statistic="Sum", Period=86400, EvaluationPeriods=2, DatapointsToAlarm=1, Threshold=3.0,
     ComparisonOperator="GreaterThanThreshold", Dimensions=[{"Name": "Service", "Value": "demo"}],
     AlarmActions=["arn:aws:sns:us-east-1:000000000000:by-hand"], ActionsEnabled=False,
     Tags=[{"Key": "team", "Value": "web"}])
[a] = call("DescribeAlarms", AlarmNames=["by-hand"], StateValue="INSUFFICIENT_DATA", MaxRecords=5)["MetricAlarms"]
assert (a["Threshold"], a["Period"], a["EvaluationPeriods"], a["ActionsEnabled"]) == (3.0, 86400, 2, False), a
assert a["Dimensions"] == [{"Name": "Service", "Value": "demo"}], a
assert a["AlarmActions"] == ["arn:aws:sns:us-east-1:000000000000:by-hand"], a
assert isinstance(a["StateUpdatedTimestamp"], datetime.datetime), a
names = [x["AlarmName"] for x in call("DescribeAlarms", ActionPrefix="arn:aws:sns:us-east-1:000000000000:by")["MetricAlarms"]]
assert names == ["by-hand"], names
call("SetAlarmState", AlarmName="by-hand", StateValue="ALARM", StateReason="by hand", StateReasonData='{"x": 1}')
[a] = call("DescribeAlarms", AlarmNames=["by-hand"], StateValue="ALARM")["MetricAlarms"]
assert a["StateReason"] == "by hand", a
items = call("DescribeAlarmHistory", AlarmName="by-hand", StartDate=datetime.datetime(2020, 1, 1),
             ScanBy="TimestampAscending")["AlarmHistoryItems"]
assert [i["HistoryItemType"] for i in items] == ["ConfigurationUpdate", "StateUpdate"], items
# The same history a page of one item at a time, following the NextTokens.
paged, token = [], None
for _ in range(5):
    page = call("DescribeAlarmHistory", AlarmName="by-hand", ScanBy="TimestampAscending",
                MaxRecords=1, **({"NextToken": token} if token else {}))
    paged += page["AlarmHistoryItems"]
    token = page.get("NextToken")
    if not token:
        break
assert paged == items, paged
page = call("DescribeAlarms", MaxRecords=1)
assert len(page["MetricAlarms"]) == 1 and page["NextToken"], page
after = call("DescribeAlarms", MaxRecords=1, NextToken=page["NextToken"])["MetricAlarms"]
assert after and after[0]["AlarmName"] != page["MetricAlarms"][0]["AlarmName"], after
out = {
    # What a client that does not validate its parameters could send.
    "wrong_type": error_of(*send({"Action": "DescribeAlarms", "Version": "2010-08-01", "MaxRecords": "many"})),
    "unknown": error_of(*send({"Action": "DescribeAlarms", "Version": "2010-08-01", "AlarmName": "by-hand"})),
    "constraint": refused("DescribeAlarms", MaxRecords=500),
    "enum": refused("SetAlarmState", AlarmName="by-hand", StateValue="Alarm", StateReason="r"),
    "missing": refused("PutMetricAlarm", AlarmName="x", EvaluationPeriods=1, ComparisonOperator="GreaterThanThreshold"),
    "not_found": refused("DeleteAlarms", AlarmNames=["nope"]),
}
call("DeleteAlarms", AlarmNames=["by-hand"])
assert call("DescribeAlarms", AlarmNames=["by-hand"])["MetricAlarms"] == []
print(json.dumps(out))
"#;

#[test]
fn older_botocore_calls_cloudwatch_in_the_query_protocol() {
    let python = crate::support::venv_python();
    let stack = LocalStack::start();
    let out = Command::new(&python)
        .args(["-c", SCRIPT, &stack.api_url])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "the query-protocol calls failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refusals: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the script prints the refusals as JSON");
    let refusal = |k: &str| {
        let r = &refusals[k];
        (
            r[0].as_u64().unwrap_or(0),
            r[1].as_str().unwrap_or("").to_string(),
            r[2].as_str().unwrap_or("").to_string(),
        )
    };
    assert_eq!(
        refusal("wrong_type"),
        (
            400,
            "ValidationError".into(),
            "the value 'many' of the parameter MaxRecords is not a whole number".into()
        )
    );
    assert_eq!(
        refusal("unknown"),
        (
            400,
            "ValidationError".into(),
            "The parameter AlarmName is not recognized".into()
        )
    );
    assert_eq!(
        refusal("constraint"),
        (
            400,
            "ValidationError".into(),
            "1 validation error detected: Value '500' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100".into()
        )
    );
    let (status, code, message) = refusal("enum");
    assert_eq!(
        (status, code.as_str()),
        (400, "ValidationError"),
        "{message}"
    );
    assert!(message.contains("at 'stateValue'"), "{message}");
    assert_eq!(
        refusal("missing"),
        (
            400,
            "MissingParameter".into(),
            "The parameter Statistic is required.".into()
        )
    );
    let (status, code, _) = refusal("not_found");
    assert_eq!((status, code.as_str()), (404, "ResourceNotFound"));
}
