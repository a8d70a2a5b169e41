//! AWS faults, answered by a small fault-injecting endpoint on 127.0.0.1 in the AWS
//! JSON 1.1 error shape (`__type`, `message`, HTTP status): throttling (after the
//! SDK's retries), access denied, a missing service, a missing deployment group,
//! expired credentials. Each must give a clear message and the documented exit code,
//! and change nothing.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

type Answers = HashMap<&'static str, (u16, String)>;

/// The fault endpoint: answers each operation (the `X-Amz-Target` suffix, or the
/// query protocol's `Action`) from a table, and records which operations were called.
struct FaultServer {
    addr: SocketAddr,
    calls: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultServer {
    fn start(answers: Answers) -> FaultServer {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = calls.clone();
        let answers = Arc::new(answers);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
                    let answers = answers.clone();
                    let recorded = recorded.clone();
                    async move { answer(&answers, &recorded, &headers, &body) }
                });
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx.recv().expect("fault server address");
        FaultServer {
            addr,
            calls,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn count(&self, op: &str) -> usize {
        self.calls().iter().filter(|c| *c == op).count()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(
    answers: &Answers,
    recorded: &Mutex<Vec<String>>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let op = match headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        Some(t) => t.rsplit('.').next().unwrap_or(t).to_owned(),
        None => String::from_utf8_lossy(body)
            .split('&')
            .find_map(|kv| kv.strip_prefix("Action=").map(str::to_owned))
            .unwrap_or_else(|| "?".into()),
    };
    recorded.lock().unwrap().push(op.clone());
    if op == "GetCallerIdentity" && !answers.contains_key("GetCallerIdentity") {
        // The fixture's account, so that the preflight's account check passes.
        return (
            [("content-type", "text/xml")],
            caller_identity("123456789012"),
        )
            .into_response();
    }
    let (status, body) = answers.get(op.as_str()).cloned().unwrap_or_else(|| {
        (
            400,
            aws_error(
                "UnknownOperationException",
                &format!("fault server: no answer for {op}"),
            ),
        )
    });
    let status = StatusCode::from_u16(status).unwrap();
    // Query-protocol answers (ELBv2, STS) are XML.
    let content_type = if body.starts_with('<') {
        "text/xml"
    } else {
        "application/x-amz-json-1.1"
    };
    (status, [("content-type", content_type)], body).into_response()
}

/// STS GetCallerIdentity's XML answer for `account`.
fn caller_identity(account: &str) -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <GetCallerIdentityResult><Arn>arn:aws:iam::{account}:user/dev</Arn>\
         <UserId>AIDAEXAMPLE</UserId><Account>{account}</Account></GetCallerIdentityResult>\
         <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>\
         </GetCallerIdentityResponse>"
    )
}

fn aws_error(code: &str, message: &str) -> String {
    serde_json::json!({ "__type": code, "message": message }).to_string()
}

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform-outputs.json")
}

fn deployer(server: &FaultServer, args: &[&str], max_attempts: &str) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_deployer"))
        .args(args)
        .arg("--outputs")
        .arg(fixture())
        .env("AWS_ENDPOINT_URL", format!("http://{}", server.addr))
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_SESSION_TOKEN", "token")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_MAX_ATTEMPTS", max_attempts)
        .env("AWS_RETRY_MODE", "standard")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("DEPLOYER_OUTPUTS")
        .output()
        .expect("run the deployer binary");
    (out, started.elapsed())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A CODE_DEPLOY service as DescribeServices answers it.
fn service_ok() -> (u16, String) {
    (
        200,
        serde_json::json!({
            "services": [{
                "serviceArn": "arn:aws:ecs:eu-west-1:123456789012:service/demo/demo",
                "serviceName": "demo",
                "clusterArn": "arn:aws:ecs:eu-west-1:123456789012:cluster/demo",
                "status": "ACTIVE",
                "desiredCount": 2, "runningCount": 2, "pendingCount": 0,
                "deploymentController": {"type": "CODE_DEPLOY"},
                "taskDefinition": "arn:aws:ecs:eu-west-1:123456789012:task-definition/demo:1"
            }],
            "failures": []
        })
        .to_string(),
    )
}

const NO_CHANGES: [&str; 4] = [
    "RegisterTaskDefinition",
    "CreateDeployment",
    "StopDeployment",
    "ContinueDeployment",
];

fn assert_nothing_changed(server: &FaultServer) {
    for op in NO_CHANGES {
        assert_eq!(server.count(op), 0, "{op} was called: {:?}", server.calls());
    }
}

#[test]
fn throttling_is_retried_then_reported() {
    let server = FaultServer::start(HashMap::from([(
        "DescribeServices",
        (400, aws_error("ThrottlingException", "Rate exceeded")),
    )]));
    let (out, took) = deployer(&server, &["status"], "3");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("throttled ecs:DescribeServices"), "{err}");
    assert!(
        err.contains("Rate exceeded") && err.contains("AWS_MAX_ATTEMPTS"),
        "{err}"
    );
    // The SDK's standard strategy retried (3 attempts), within a bounded time.
    assert_eq!(server.count("DescribeServices"), 3, "{:?}", server.calls());
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[test]
fn access_denied_names_the_missing_permission() {
    let server = FaultServer::start(HashMap::from([(
        "DescribeServices",
        (
            400,
            aws_error(
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: \
                 ecs:DescribeServices on resource: arn:aws:ecs:eu-west-1:123456789012:service/demo/demo",
            ),
        ),
    )]));
    let (out, _) = deployer(&server, &["deploy", "--image", "demo:v2", "--no-wait"], "1");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("access denied to ecs:DescribeServices"),
        "{err}"
    );
    assert!(err.contains("must allow ecs:DescribeServices"), "{err}");
    assert_nothing_changed(&server);
}

#[test]
fn a_missing_service_is_bad_input_naming_it() {
    let server = FaultServer::start(HashMap::from([(
        "DescribeServices",
        (
            200,
            serde_json::json!({"services": [], "failures": [{
                "arn": "arn:aws:ecs:eu-west-1:123456789012:service/demo/demo",
                "reason": "MISSING"}]})
            .to_string(),
        ),
    )]));
    let (out, _) = deployer(&server, &["status"], "1");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("ECS service `demo` not found in cluster `demo` (MISSING)"),
        "{err}"
    );
    assert!(
        err.contains("service_name"),
        "names the outputs field: {err}"
    );
}

#[test]
fn a_missing_cluster_is_bad_input() {
    let server = FaultServer::start(HashMap::from([(
        "DescribeServices",
        (
            400,
            aws_error("ClusterNotFoundException", "Cluster not found."),
        ),
    )]));
    let (out, _) = deployer(&server, &["status"], "1");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("ClusterNotFoundException") && err.contains("cluster `demo`"),
        "{err}"
    );
}

#[test]
fn a_missing_deployment_group_stops_deploy_before_any_change() {
    let missing = (
        400,
        aws_error(
            "DeploymentGroupDoesNotExistException",
            "No Deployment Group found for name: demo",
        ),
    );
    let server = FaultServer::start(HashMap::from([
        ("DescribeServices", service_ok()),
        ("GetDeploymentGroup", missing.clone()),
        ("ListDeployments", missing),
    ]));
    let (out, _) = deployer(&server, &["deploy", "--image", "demo:v2", "--no-wait"], "1");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("preflight failed, nothing was changed"),
        "{err}"
    );
    assert!(
        err.contains("DeploymentGroupDoesNotExistException"),
        "{err}"
    );
    assert!(
        err.contains("codedeploy_group_name"),
        "names the outputs field: {err}"
    );
    assert!(
        err.contains("ok   service"),
        "the passing check is shown too: {err}"
    );
    assert_nothing_changed(&server);
}

#[test]
fn expired_credentials_say_how_to_refresh() {
    let server = FaultServer::start(HashMap::from([(
        "DescribeServices",
        (
            400,
            aws_error(
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ),
        ),
    )]));
    let (out, _) = deployer(&server, &["status"], "1");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("AWS rejected the credentials for ecs:DescribeServices"),
        "{err}"
    );
    assert!(
        err.contains("is expired") && err.contains("aws sso login"),
        "{err}"
    );
    // The secret never shows up in the output.
    assert!(
        !err.contains("secret") && !err.contains("AKIDEXAMPLE"),
        "{err}"
    );
}

#[test]
fn a_deployment_in_flight_is_named_and_nothing_changes() {
    let server = FaultServer::start(HashMap::from([
        ("DescribeServices", service_ok()),
        (
            "GetDeploymentGroup",
            (
                200,
                serde_json::json!({"deploymentGroupInfo": {
                    "applicationName": "demo",
                    "deploymentGroupName": "demo",
                    "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
                    "ecsServices": [{"serviceName": "demo", "clusterName": "demo"}],
                    "deploymentStyle": {"deploymentType": "BLUE_GREEN",
                                        "deploymentOption": "WITH_TRAFFIC_CONTROL"},
                    "loadBalancerInfo": {"targetGroupPairInfoList": [{"targetGroups": [
                        {"name": "demo-blue"}, {"name": "demo-green"}]}]}
                }})
                .to_string(),
            ),
        ),
        (
            "DescribeTargetGroups",
            (
                200,
                "<DescribeTargetGroupsResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">\
                 <DescribeTargetGroupsResult><TargetGroups>\
                 <member><TargetGroupName>demo-blue</TargetGroupName><Protocol>TCP</Protocol></member>\
                 <member><TargetGroupName>demo-green</TargetGroupName><Protocol>TCP</Protocol></member>\
                 </TargetGroups></DescribeTargetGroupsResult></DescribeTargetGroupsResponse>"
                    .to_owned(),
            ),
        ),
        (
            "ListDeployments",
            (
                200,
                serde_json::json!({"deployments": ["d-INFLIGHT1"]}).to_string(),
            ),
        ),
        (
            "BatchGetDeployments",
            (
                200,
                serde_json::json!({"deploymentsInfo": [{
                    "deploymentId": "d-INFLIGHT1", "status": "InProgress",
                    "createTime": 1_764_230_400.0
                }]})
                .to_string(),
            ),
        ),
    ]));
    let (out, _) = deployer(&server, &["deploy", "--image", "demo:v2", "--no-wait"], "1");
    let err = stderr(&out);
    // Its own exit code: not an AWS or network error (1), not bad input (2).
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(err.contains("d-INFLIGHT1 is InProgress"), "{err}");
    assert!(err.contains("deployer wait d-INFLIGHT1"), "{err}");
    assert_nothing_changed(&server);
}

/// An endpoint that accepts connections (the kernel completes the handshake for the
/// listener's backlog) and never answers: every AWS call is bounded by the default
/// timeouts, and the error names the endpoint and the operation (exit 1).
#[test]
fn a_silent_endpoint_ends_status_and_deploy_within_the_default_bound() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let run = |args: &'static [&'static str]| {
        let endpoint = endpoint.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut child = Command::new(env!("CARGO_BIN_EXE_deployer"))
                .args(args)
                .arg("--outputs")
                .arg(fixture())
                .env("AWS_ENDPOINT_URL", &endpoint)
                .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
                .env("AWS_SECRET_ACCESS_KEY", "secret")
                .env("AWS_REGION", "eu-west-1")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env_remove("AWS_PROFILE")
                .env_remove("AWS_MAX_ATTEMPTS")
                .env_remove("DEPLOYER_OUTPUTS")
                .env_remove("DEPLOYER_AWS_TIMEOUT")
                .env_remove("DEPLOYER_AWS_ATTEMPT_TIMEOUT")
                .env_remove("DEPLOYER_AWS_CONNECT_TIMEOUT")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run the deployer binary");
            // Bounded even if the bound under test is gone: killed (by PID) after 90s.
            while child.try_wait().expect("wait for the deployer").is_none() {
                if started.elapsed() > Duration::from_secs(90) {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let out = child.wait_with_output().expect("the deployer's output");
            (out, started.elapsed())
        })
    };
    let status = run(&["status"]);
    let deploy = run(&["deploy", "--image", "demo:v2", "--no-wait"]);
    for (what, handle) in [("status", status), ("deploy", deploy)] {
        let (out, took) = handle.join().expect("the deployer ran");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        // The default call bound is 30s; the slack is for a loaded machine.
        assert!(
            took < Duration::from_secs(45),
            "{what} took {took:?}: {err}"
        );
        assert!(
            err.contains(&format!("no answer from {endpoint}")),
            "{what} names the endpoint: {err}"
        );
        // ... and the operation, as `service:Operation`.
        let op = err
            .split("cannot reach AWS for ")
            .nth(1)
            .and_then(|rest| rest.split([' ', ':']).nth(1))
            .unwrap_or_default();
        assert!(
            op.starts_with(|c: char| c.is_ascii_uppercase()),
            "{what} names the operation: {err}"
        );
        assert!(err.contains("--aws-timeout"), "{what}: {err}");
    }
    drop(silent);
}

/// No credentials anywhere is not the same as credentials AWS refused: the message says
/// none were found and how to provide them (and nothing is sent).
#[test]
fn no_credentials_at_all_say_none_were_found() {
    let server = FaultServer::start(HashMap::from([("DescribeServices", service_ok())]));
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_deployer"))
        .args(["status", "--outputs"])
        .arg(fixture())
        .env("AWS_ENDPOINT_URL", format!("http://{}", server.addr))
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env_remove("DEPLOYER_OUTPUTS")
        .output()
        .expect("run the deployer binary");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no AWS credentials found"), "{err}");
    assert!(!err.contains("rejected"), "{err}");
    assert!(server.calls().is_empty(), "{:?}", server.calls());
}
