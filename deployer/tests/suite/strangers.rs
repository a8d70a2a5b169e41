//! The local stack's API is closed to strangers: a request whose Host is not the API's own
//! loopback address (DNS rebinding: a page's name resolving to 127.0.0.1) or that carries an
//! Origin (any browser page) is refused in AWS's error shape and changes nothing; the SDK,
//! the deployer and the AWS CLI, which send neither, work as before (the other modules).
//! A connection that never sends a request is closed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{self, LocalStack};

/// One raw POST to the API with Host `host`: (status, body).
fn post(stack: &LocalStack, host: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    support::http_post(&stack.api_url, Some(host), headers, body).expect("POST to the API")
}

fn ecs(op: &str) -> [(&'static str, String); 2] {
    [
        (
            "X-Amz-Target",
            format!("AmazonEC2ContainerServiceV20141113.{op}"),
        ),
        ("Content-Type", "application/x-amz-json-1.1".to_owned()),
    ]
}

fn revisions(stack: &LocalStack) -> usize {
    let host = stack
        .api_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let h = ecs("ListTaskDefinitions");
    let headers: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = post(stack, &host, &headers, "{}");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["taskDefinitionArns"].as_array().unwrap().len()
}

#[test]
fn a_foreign_host_or_any_origin_is_refused_and_changes_nothing() {
    let stack = LocalStack::start();
    let port = stack
        .api_url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let witness = stack.state_dir().join("witness");
    // What a rebinding page would send: a task definition whose health check runs a command.
    let payload = serde_json::json!({
        "family": "demo",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{
            "name": "demo",
            "image": "demo:v9",
            "portMappings": [{"containerPort": 3000}],
            "healthCheck": {"command": ["CMD-SHELL", format!("id > {}", witness.display())]}
        }]
    })
    .to_string();
    let before = revisions(&stack);
    let h = ecs("RegisterTaskDefinition");
    let headers: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();

    for (host, origin) in [
        (format!("evil.example:{port}"), None),
        (format!("127.0.0.1.nip.io:{port}"), None),
        (format!("127.0.0.1:{port}"), Some("http://evil.example")),
        (
            format!("127.0.0.1:{port}"),
            Some(format!("http://127.0.0.1:{port}").leak() as &str),
        ),
    ] {
        let mut with_origin = headers.clone();
        if let Some(o) = origin {
            with_origin.push(("Origin", o));
        }
        let (status, body) = post(&stack, &host, &with_origin, &payload);
        assert_eq!(status, 403, "Host {host}, Origin {origin:?}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("a JSON 1.1 error");
        assert_eq!(v["__type"], "AccessDeniedException", "{body}");
        assert!(v["message"].as_str().unwrap().contains("refused"), "{body}");
    }
    // Query protocol (ELBv2): the same refusal in its XML shape.
    let (status, body) = post(
        &stack,
        &format!("evil.example:{port}"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "Action=DescribeTargetGroups&Version=2015-12-01",
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");

    assert_eq!(
        revisions(&stack),
        before,
        "a refused request registered a revision"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(!witness.exists(), "a refused request's command ran");
}

#[test]
fn a_silent_connection_is_closed() {
    let stack = LocalStack::start();
    let hostport = stack
        .api_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut s = TcpStream::connect(&hostport).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let t = Instant::now();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the server sent something to a silent client");
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "a silent connection stayed open {:?}",
        t.elapsed()
    );
}

/// A body over the endpoint's limit is answered 413 in AWS's error shape of the request's
/// protocol (JSON `__type` with X-Amz-Target, else the query protocol's XML), not in plain
/// text, and without reading the body.
#[test]
fn an_oversized_body_is_answered_413_in_aws_error_shape() {
    let stack = LocalStack::start();
    let hostport = stack
        .api_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let ask = |json: bool| {
        let mut s = TcpStream::connect(&hostport).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let target = if json {
            "X-Amz-Target: AmazonEC2ContainerServiceV20141113.ListClusters\r\nContent-Type: application/x-amz-json-1.1\r\n"
        } else {
            "Content-Type: application/x-www-form-urlencoded\r\n"
        };
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n{target}Content-Length: {}\r\n\r\n",
            3 * 1024 * 1024
        );
        // Only the head: the endpoint refuses by Content-Length, before reading the body.
        s.write_all(head.as_bytes()).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).to_string()
    };
    let answer = ask(true);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(r#""__type":"RequestEntityTooLargeException""#),
        "{answer}"
    );
    let answer = ask(false);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("<Code>RequestEntityTooLargeException</Code>"),
        "{answer}"
    );
}
