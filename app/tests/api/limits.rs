use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{client, spawn_app};

/// Sends raw bytes on a fresh connection and returns what comes back until the server
/// closes or 5 s pass.
async fn raw_exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let app = spawn_app(&[]).await;

    let response = client().get(app.url("/nope")).send().await.unwrap();

    assert_eq!(response.status(), 404);
    assert!(is_uuid(
        response.headers()["x-request-id"].to_str().unwrap()
    ));
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let app = spawn_app(&[]).await;

    for path in ["/", "/health"] {
        let response = client().post(app.url(path)).send().await.unwrap();

        assert_eq!(response.status(), 405, "{path}");
        let allow = response.headers()["allow"].to_str().unwrap();
        assert!(allow.contains("GET"), "{allow}");
    }
    let response = client().delete(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app(&[("DEMO_MAX_BODY_BYTES", "1024")]).await;

    let big = client()
        .post(app.url("/"))
        .body(vec![b'x'; 1025])
        .send()
        .await
        .unwrap();
    let small = client()
        .post(app.url("/"))
        .body(vec![b'x'; 1024])
        .send()
        .await
        .unwrap();

    assert_eq!(big.status(), 413);
    assert!(is_uuid(big.headers()["x-request-id"].to_str().unwrap()));
    // Within the limit the request reaches the router, which refuses the method.
    assert_eq!(small.status(), 405);
}

#[tokio::test]
async fn slow_requests_are_408() {
    let app = spawn_app(&[
        ("DEMO_DEBUG_ENDPOINTS", "1"),
        ("DEMO_REQUEST_TIMEOUT_SECS", "0.2"),
    ])
    .await;

    let slow = client()
        .get(app.url("/debug/delay/2000"))
        .send()
        .await
        .unwrap();
    let fast = client()
        .get(app.url("/debug/delay/10"))
        .send()
        .await
        .unwrap();

    assert_eq!(slow.status(), 408);
    assert!(is_uuid(slow.headers()["x-request-id"].to_str().unwrap()));
    assert_eq!(fast.status(), 200);
}

#[tokio::test]
async fn debug_endpoints_are_off_by_default() {
    let app = spawn_app(&[]).await;

    for path in ["/debug/panic", "/debug/delay/1"] {
        let response = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn request_id_is_kept_or_generated() {
    let app = spawn_app(&[]).await;

    let kept = client()
        .get(app.url("/health"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    let generated_a = client().get(app.url("/health")).send().await.unwrap();
    let generated_b = client().get(app.url("/health")).send().await.unwrap();

    assert_eq!(kept.headers()["x-request-id"], "abc-123");
    let a = generated_a.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let b = generated_b.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(is_uuid(&a) && is_uuid(&b), "{a} {b}");
    assert_ne!(a, b);
}

#[tokio::test]
async fn oversized_headers_are_refused_with_431() {
    let app = spawn_app(&[]).await;
    let huge = "x".repeat(demo::startup::MAX_HEADER_BYTES + 1);
    let too_many: String = (0..=demo::startup::MAX_HEADERS)
        .map(|i| format!("x-h{i}: v\r\n"))
        .collect();

    let big = raw_exchange(
        app.addr,
        format!("GET / HTTP/1.1\r\nhost: t\r\nx-big: {huge}\r\n\r\n").as_bytes(),
    )
    .await;
    let many = raw_exchange(
        app.addr,
        format!("GET / HTTP/1.1\r\nhost: t\r\n{too_many}\r\n").as_bytes(),
    )
    .await;
    let fine = client()
        .get(app.url("/health"))
        .header("x-big", "x".repeat(4000))
        .send()
        .await
        .unwrap();

    assert!(big.starts_with("HTTP/1.1 431"), "{big}");
    assert!(many.starts_with("HTTP/1.1 431"), "{many}");
    assert_eq!(fine.status(), 200);
}

#[tokio::test]
async fn a_client_that_never_sends_its_head_is_disconnected() {
    let app = spawn_app(&[("DEMO_HEADER_READ_TIMEOUT_SECS", "0.3")]).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: t\r\n")
        .await
        .unwrap();

    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;

    // Closed by the server well before our 5 s bound, without a response.
    assert!(read.is_ok(), "the connection stayed open");
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_while_every_slot_has_a_request_in_flight() {
    // Arrange: one slot, taken by a request in flight (a handler that takes 1 s).
    let app = spawn_app(&[("DEMO_MAX_CONNECTIONS", "1"), ("DEMO_DEBUG_ENDPOINTS", "1")]).await;
    let mut busy = TcpStream::connect(app.addr).await.unwrap();
    busy.write_all(b"GET /debug/delay/1000 HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Act: a second connection sends a request.
    let mut second = TcpStream::connect(app.addr).await.unwrap();
    second
        .write_all(b"GET /health HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let while_full =
        tokio::time::timeout(Duration::from_millis(300), second.read_to_end(&mut buf)).await;

    // Assert: no answer while the slot's request is in flight (it is not cut for the
    // newcomer); both answered once it is done.
    assert!(
        while_full.is_err(),
        "answered beyond the cap: {:?}",
        String::from_utf8_lossy(&buf)
    );
    let mut first = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), busy.read_to_end(&mut first))
        .await
        .expect("the request in flight finishes")
        .unwrap();
    assert!(String::from_utf8_lossy(&first).starts_with("HTTP/1.1 200"));
    tokio::time::timeout(Duration::from_secs(5), second.read_to_end(&mut buf))
        .await
        .expect("answered once the slot is free")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn at_the_cap_an_idle_connection_makes_room_for_a_new_one() {
    // Arrange: one slot, taken by a keep-alive connection that had one request.
    let app = spawn_app(&[("DEMO_MAX_CONNECTIONS", "1")]).await;
    let mut idle = TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 12];
    idle.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");

    // Act
    let response = client().get(app.url("/health")).send().await.unwrap();

    // Assert: the newcomer is served at once, the idle connection was closed for it.
    assert_eq!(response.status(), 200);
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut rest))
        .await
        .expect("the idle connection is closed")
        .unwrap();
    assert_eq!(app.connections.closed().idle, 1);
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed_after_the_header_read_timeout() {
    let app = spawn_app(&[("DEMO_HEADER_READ_TIMEOUT_SECS", "0.3")]).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    // Then silence: the server closes the kept-alive connection instead of holding a slot.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;

    assert!(closed.is_ok(), "the idle connection stayed open");
}
