//! The real binary: signals, drain, exit codes, configuration errors, logs.

use std::time::Duration;

use nix::sys::signal::Signal;

use crate::helpers::{client, DemoProcess};

fn json_lines(process: &DemoProcess) -> Vec<serde_json::Value> {
    process
        .stdout_lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn messages(process: &DemoProcess) -> Vec<String> {
    json_lines(process)
        .iter()
        .map(|j| j["message"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_in_flight_finish_then_exits_0() {
    // Arrange: a request that takes 1 s is in flight when SIGTERM arrives.
    let (mut server, addr) = DemoProcess::serve(&[("DEMO_DEBUG_ENDPOINTS", "1")]);
    let in_flight = tokio::spawn(
        client()
            .get(format!("http://{addr}/debug/delay/1000"))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(400)).await;

    // Act
    server.signal(Signal::SIGTERM);

    // Assert: new connections are refused once draining...
    server
        .wait_for_stdout(Duration::from_secs(5), |l| {
            l.contains("\"message\":\"draining\"")
        })
        .expect("a draining line");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after SIGTERM"
    );
    // ...the request in flight completes with 200...
    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight request completes");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{\"delayed_ms\":1000}\n");
    // ...and the process exits 0 after logging `stopped`.
    let status = server.finish(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{:?}", server.stdout_lines());
    let messages = messages(&server);
    assert!(messages.contains(&"stopped".to_owned()), "{messages:?}");
    let draining = json_lines(&server)
        .into_iter()
        .find(|j| j["message"] == "draining")
        .unwrap();
    assert_eq!(draining["reason"], "SIGTERM");
    assert_eq!(draining["open_connections"], 1);
}

#[test]
fn sigterm_when_idle_exits_0() {
    let (mut server, _addr) = DemoProcess::serve(&[]);

    server.signal(Signal::SIGTERM);

    let status = server.finish(Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
    assert_eq!(messages(&server), ["listening", "draining", "stopped"]);
}

#[test]
fn sigint_also_drains_and_exits_0() {
    let (mut server, _addr) = DemoProcess::serve(&[]);

    server.signal(Signal::SIGINT);

    assert_eq!(server.finish(Duration::from_secs(5)).code(), Some(0));
    let draining = json_lines(&server)
        .into_iter()
        .find(|j| j["message"] == "draining")
        .expect("a draining line");
    assert_eq!(draining["reason"], "SIGINT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drain_is_bounded() {
    // A request far longer than the 0.3 s drain bound.
    let (mut server, addr) = DemoProcess::serve(&[
        ("DEMO_DEBUG_ENDPOINTS", "1"),
        ("DEMO_SHUTDOWN_TIMEOUT_SECS", "0.3"),
    ]);
    let in_flight = tokio::spawn(
        client()
            .get(format!("http://{addr}/debug/delay/20000"))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.signal(Signal::SIGTERM);

    // Exits well before the request would have finished, and says what it cut.
    let status = server.finish(Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
    let cut = json_lines(&server)
        .into_iter()
        .find(|j| j["message"] == "stopped before every request finished")
        .expect("a warning about the cut request");
    assert_eq!(cut["cut_connections"], 1);
    assert!(
        in_flight.await.unwrap().is_err(),
        "the cut request has no response"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_ends_the_drain_at_once() {
    let (mut server, addr) = DemoProcess::serve(&[("DEMO_DEBUG_ENDPOINTS", "1")]);
    let _in_flight = tokio::spawn(
        client()
            .get(format!("http://{addr}/debug/delay/20000"))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.signal(Signal::SIGTERM);
    server
        .wait_for_stdout(Duration::from_secs(5), |l| {
            l.contains("\"message\":\"draining\"")
        })
        .expect("a draining line");
    server.signal(Signal::SIGTERM);

    // The default 20 s drain bound is not waited for.
    assert_eq!(server.finish(Duration::from_secs(5)).code(), Some(0));
}

#[test]
fn bad_configuration_exits_2_naming_the_variable_and_value() {
    for (var, value) in [
        ("PORT", "abc"),
        ("HOST", "not-an-ip"),
        ("DEMO_SHUTDOWN_TIMEOUT_SECS", "soon"),
        ("DEMO_LOG_FORMAT", "xml"),
        ("RUST_LOG", "demo=shout"),
    ] {
        let mut process = DemoProcess::start(&[], &[(var, value)]);

        let status = process.finish(Duration::from_secs(5));

        let stderr = process.stderr_lines().join("\n");
        assert_eq!(status.code(), Some(2), "{var}={value}: {stderr}");
        assert!(stderr.contains(&format!("{var}={value:?}")), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(process.stdout_lines().is_empty());
    }
}

#[test]
fn a_port_in_use_exits_1_naming_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut process = DemoProcess::start(
        &["serve"],
        &[
            ("HOST", "127.0.0.1"),
            ("PORT", &port),
            ("DEMO_LOG_FORMAT", "json"),
        ],
    );

    let status = process.finish(Duration::from_secs(5));

    assert_eq!(status.code(), Some(1));
    let out = process.stdout_lines().join("\n");
    assert!(out.contains(&format!("127.0.0.1:{port}")), "{out}");
    assert!(out.contains("\"level\":\"ERROR\""), "{out}");
}

#[test]
fn unknown_subcommands_are_usage_errors() {
    let mut process = DemoProcess::start(&["frobnicate"], &[]);

    assert_eq!(process.finish(Duration::from_secs(5)).code(), Some(2));
    assert!(process.stderr_lines().join("\n").contains("frobnicate"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_gets_one_json_log_line() {
    let (mut server, addr) = DemoProcess::serve(&[("DEMO_DEBUG_ENDPOINTS", "1")]);
    let http = client();
    http.get(format!("http://{addr}/health"))
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    http.get(format!("http://{addr}/missing"))
        .send()
        .await
        .unwrap();
    http.get(format!("http://{addr}/debug/panic"))
        .send()
        .await
        .unwrap();

    server.signal(Signal::SIGTERM);
    server.finish(Duration::from_secs(5));

    let lines = json_lines(&server); // panics on any non-JSON line
    let requests: Vec<_> = lines.iter().filter(|j| j["message"] == "request").collect();
    assert_eq!(requests.len(), 3, "{lines:?}");
    let health = requests[0];
    assert_eq!(health["method"], "GET");
    assert_eq!(health["path"], "/health");
    assert_eq!(health["status"], 200);
    assert_eq!(health["request_id"], "req-42");
    assert_eq!(health["level"], "INFO");
    assert!(health["latency_ms"].as_f64().unwrap() >= 0.0);
    assert!(health["timestamp"].is_string());
    assert_eq!(requests[1]["status"], 404);
    assert_eq!(requests[2]["status"], 500);
    let panic = lines
        .iter()
        .find(|j| j["message"] == "panic")
        .expect("a panic line");
    assert_eq!(panic["level"], "ERROR");
    assert!(panic["panic"]
        .as_str()
        .unwrap()
        .contains("GET /debug/panic"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_log_filters_the_lines() {
    // Lifecycle lines kept (the helper waits for `listening`), request lines off.
    let (mut server, addr) = DemoProcess::serve(&[("RUST_LOG", "warn,demo::startup=info")]);
    client()
        .get(format!("http://{addr}/health"))
        .send()
        .await
        .unwrap();

    server.signal(Signal::SIGTERM);
    server.finish(Duration::from_secs(5));

    assert_eq!(messages(&server), ["listening", "draining", "stopped"]);
}

#[test]
fn text_logs_on_request() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port().to_string();
    drop(free);
    let mut server = DemoProcess::start(
        &[],
        &[
            ("HOST", "127.0.0.1"),
            ("PORT", &port),
            ("DEMO_LOG_FORMAT", "text"),
        ],
    );
    let line = server
        .wait_for_stdout(Duration::from_secs(10), |l| l.contains("listening"))
        .expect("a listening line");

    server.signal(Signal::SIGTERM);
    server.finish(Duration::from_secs(5));

    assert!(
        serde_json::from_str::<serde_json::Value>(&line).is_err(),
        "{line}"
    );
    assert!(
        line.contains("INFO") && line.contains(&format!("127.0.0.1:{port}")),
        "{line}"
    );
}

/// On the real binary, so the panic goes through the service's own hook (a JSON log
/// line, no backtrace symbolization on the request path even with RUST_BACKTRACE set).
#[tokio::test]
async fn a_panicking_handler_gives_500_is_logged_and_the_server_lives_on() {
    let (mut demo, addr) =
        DemoProcess::serve(&[("DEMO_DEBUG_ENDPOINTS", "1"), ("RUST_BACKTRACE", "1")]);

    let panicked = client()
        .get(format!("http://{addr}/debug/panic"))
        .header("x-request-id", "panic-1")
        .send()
        .await
        .unwrap();
    let after = client()
        .get(format!("http://{addr}/health"))
        .send()
        .await
        .unwrap();

    assert_eq!(panicked.status(), 500);
    assert_eq!(panicked.headers()["x-request-id"], "panic-1");
    assert_eq!(after.status(), 200);
    let logged = demo.wait_for_stdout(Duration::from_secs(5), |l| l.contains("\"panic\""));
    let logged: serde_json::Value =
        serde_json::from_str(&logged.expect("the panic is logged")).expect("a JSON line");
    assert_eq!(logged["level"], "ERROR", "{logged}");
    demo.signal(Signal::SIGTERM);
    assert!(demo.finish(Duration::from_secs(10)).success());
}

#[test]
fn the_soft_open_file_limit_is_raised_to_the_hard_one_and_sets_the_default_cap() {
    let hard = demo::fd_limit::current().unwrap().hard;

    let (mut server, _addr) = DemoProcess::serve(&[]);
    server.signal(Signal::SIGTERM);
    server.finish(Duration::from_secs(5));

    let listening = json_lines(&server)
        .into_iter()
        .find(|j| j["message"] == "listening")
        .unwrap();
    assert_eq!(listening["open_file_limit"], hard, "{listening}");
    assert_eq!(
        listening["max_connections"],
        demo::fd_limit::default_max_connections(hard) as u64,
        "{listening}"
    );
}

#[test]
fn a_cap_the_open_file_limit_cannot_hold_is_exit_2() {
    // 1048576 is the kernel's default ceiling for any open-file limit (fs.nr_open).
    let mut server = DemoProcess::start(
        &["serve"],
        &[
            ("HOST", "127.0.0.1"),
            ("PORT", "0"),
            ("DEMO_MAX_CONNECTIONS", "1048576"),
        ],
    );

    let status = server.finish(Duration::from_secs(10));

    assert_eq!(status.code(), Some(2));
    let stderr = server.stderr_lines().join("\n");
    assert!(
        stderr.contains("invalid DEMO_MAX_CONNECTIONS=\"1048576\"")
            && stderr.contains("RLIMIT_NOFILE"),
        "{stderr}"
    );
}

/// Milliseconds since midnight of a log line's `timestamp` (`...T07:59:30.936Z`).
fn day_ms(line: &serde_json::Value) -> i64 {
    let ts = line["timestamp"].as_str().expect("a timestamp");
    let time = &ts[ts.find('T').expect("ISO 8601") + 1..ts.len() - 1];
    let mut parts = time.split(':');
    let h: i64 = parts.next().unwrap().parse().unwrap();
    let m: i64 = parts.next().unwrap().parse().unwrap();
    let s: f64 = parts.next().unwrap().parse().unwrap();
    (h * 3600 + m * 60) * 1000 + (s * 1000.0).round() as i64
}

#[test]
fn connections_closed_at_the_cap_are_logged_at_most_once_a_second_with_counts() {
    // Arrange: a cap of 20, then 150 silent connections over 3 s (50 a second, each
    // beyond the cap admitted by closing another).
    const CAP: u64 = 20;
    const CLOSED: u64 = 150 - CAP;
    let (mut server, addr) = DemoProcess::serve(&[("DEMO_MAX_CONNECTIONS", "20")]);
    let mut flood = Vec::new();
    for _ in 0..150 {
        flood.push(std::net::TcpStream::connect(addr).expect("connect"));
        std::thread::sleep(Duration::from_millis(20));
    }
    // The last line comes at most a second after the last connection closed: wait for the
    // one that counts at least the 130 beyond the cap (150 connections, 20 at a time).
    let closed = CLOSED;
    let last = server.wait_for_stdout(Duration::from_secs(10), |l| {
        serde_json::from_str::<serde_json::Value>(l)
            .is_ok_and(|j| j["closed_total"].as_u64().is_some_and(|n| n >= closed))
    });
    assert!(
        last.is_some(),
        "no line counting {closed} closed connections within 10 s: {:?}",
        server.stdout_lines()
    );
    drop(flood);
    server.signal(Signal::SIGTERM);
    server.finish(Duration::from_secs(10));

    // Assert
    let lines: Vec<serde_json::Value> = json_lines(&server)
        .into_iter()
        .filter(|j| {
            j["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("connection cap reached"))
        })
        .collect();
    assert!(lines.len() >= 2, "expected a line per second: {lines:?}");
    assert!(lines.len() <= 6, "more than one line per second: {lines:?}");
    for pair in lines.windows(2) {
        let gap = (day_ms(&pair[1]) - day_ms(&pair[0])).rem_euclid(86_400_000);
        assert!(gap >= 990, "two lines {gap} ms apart: {pair:?}");
    }
    let mut sum = 0;
    for line in &lines {
        assert_eq!(line["level"], "WARN", "{line}");
        assert_eq!(line["max_connections"], CAP, "{line}");
        let count = |k: &str| line[k].as_u64().unwrap_or_else(|| panic!("{k} in {line}"));
        sum += count("closed_idle") + count("closed_waiting") + count("closed_slow_heads");
        assert_eq!(line["closed_total"], sum, "{line}");
    }
    // Every connection beyond the cap was admitted by closing one.
    assert!(sum >= 150 - CAP, "closed {sum}: {lines:?}");
}
