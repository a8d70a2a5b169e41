//! `demo healthcheck` exit codes against a healthy, an unhealthy and an absent server.

use crate::helpers::{run_healthcheck, DemoProcess};

#[test]
fn healthy_server_exits_0() {
    let (_server, addr) = DemoProcess::serve(&[]);
    let port = addr.port().to_string();

    let (code, stderr) = run_healthcheck(&[("PORT", &port)]);

    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn unhealthy_server_exits_1_with_the_reason() {
    let (_server, addr) = DemoProcess::serve(&[("DEMO_FAIL_HEALTH", "1")]);
    let port = addr.port().to_string();

    let (code, stderr) = run_healthcheck(&[("PORT", &port), ("HOST", "0.0.0.0")]);

    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("503") && stderr.contains("failing"),
        "{stderr}"
    );
}

#[test]
fn absent_server_exits_1_with_the_reason() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port().to_string();
    drop(free);

    let (code, stderr) = run_healthcheck(&[("PORT", &port)]);

    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");
}

#[test]
fn silent_server_exits_1_after_the_timeout() {
    // Accepts connections (kernel backlog) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();

    let (code, stderr) =
        run_healthcheck(&[("PORT", &port), ("DEMO_HEALTHCHECK_TIMEOUT_SECS", "0.3")]);

    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("within"), "{stderr}");
}

#[test]
fn bad_port_exits_2_naming_the_variable() {
    let (code, stderr) = run_healthcheck(&[("PORT", "abc")]);

    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("PORT=\"abc\""), "{stderr}");
}
