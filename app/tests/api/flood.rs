//! Connection floods: with the cap full of idle or slowloris connections, new
//! connections are still served, and requests in flight are never cut.
//!
//! Each test runs its own server on 127.0.0.1 with a small cap (`CAP`), opens `CAP + 500`
//! flood connections, keeps that many open (reopening the ones the server closes, at most
//! `REOPEN_PER_TICK` every `TICK`, at most `MAX_OPENS` in all), and probes `GET /health` on
//! a new connection every 100 ms for `PROBE_FOR`; every probe must answer 200 within 1 s.
//! Everything is bounded in count and time, and every socket is closed at the end (the
//! flood and the probes own their sockets; dropping them closes them).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::helpers::{spawn_app, TestApp};

const CAP: usize = 100;
const EXTRA: usize = 500;
const PROBE_FOR: Duration = Duration::from_secs(10);
const PROBE_EVERY: Duration = Duration::from_millis(100);
const PROBE_BOUND: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(50);
const REOPEN_PER_TICK: usize = 10;
const MAX_OPENS: usize = 5_000;

/// What a flood connection sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Nothing at all.
    Silent,
    /// One request (its answer read), then silence: an idle keep-alive connection.
    OneRequest,
    /// Part of a request head, never finished (slowloris).
    Slowloris,
}

/// Makes sure this process may open the sockets of a flood test (both ends of every
/// connection live in this process): raises the soft open-file limit to the hard one.
fn ensure_fd_limit() {
    // Flood and server ends, probes, and the other tests running at the same time.
    let need = 2 * (CAP + EXTRA) + 2 * CAP + 1024;
    let (_, limit) = demo::fd_limit::raise_to_hard().expect("getrlimit/setrlimit");
    assert!(
        limit.soft >= need as u64,
        "the flood tests need {need} open files; RLIMIT_NOFILE allows {} (hard {}): \
         raise the hard limit (ulimit -Hn, /etc/security/limits.conf, or the container's \
         --ulimit nofile)",
        limit.soft,
        limit.hard
    );
}

async fn open_one(addr: SocketAddr, kind: Kind) -> Option<TcpStream> {
    let mut stream = tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr))
        .await
        .ok()?
        .ok()?;
    match kind {
        Kind::Silent => {}
        Kind::Slowloris => {
            stream
                .write_all(b"GET /health HTTP/1.1\r\nhost: flood\r\nx-slow: ")
                .await
                .ok()?;
        }
        Kind::OneRequest => {
            stream
                .write_all(b"GET /health HTTP/1.1\r\nhost: flood\r\n\r\n")
                .await
                .ok()?;
            // Not waiting for the answer here: connections beyond the cap are answered
            // only once admitted. `Flood::tick` reads it.
        }
    }
    Some(stream)
}

/// Keeps `CAP + EXTRA` flood connections open until told to stop; returns how many
/// connections the server closed and how many were opened in all.
struct Flood {
    stop: watch::Sender<bool>,
    task: JoinHandle<(usize, usize)>,
}

impl Flood {
    async fn start(addr: SocketAddr, kind: Kind) -> Self {
        let mut streams = Vec::with_capacity(CAP + EXTRA);
        let mut failed_in_a_row = 0;
        while streams.len() < CAP + EXTRA && failed_in_a_row < 10 {
            match open_one(addr, kind).await {
                Some(s) => {
                    streams.push(s);
                    failed_in_a_row = 0;
                }
                // The listen backlog overflowed: the server is not making room.
                None => failed_in_a_row += 1,
            }
        }
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut opened = CAP + EXTRA;
            let mut closed_by_server = 0;
            let mut buf = [0u8; 4096];
            let deadline = Instant::now() + PROBE_FOR + Duration::from_secs(20);
            while !*stopped.borrow() && Instant::now() < deadline {
                // Drop the connections the server closed (end-of-file or reset).
                streams.retain(|s| loop {
                    match s.try_read(&mut buf) {
                        // The answer to a `OneRequest`: read it, stay open.
                        Ok(n) if n > 0 => continue,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break true,
                        // End-of-file or reset: the server closed it.
                        Ok(_) | Err(_) => {
                            closed_by_server += 1;
                            break false;
                        }
                    }
                });
                let missing = (CAP + EXTRA).saturating_sub(streams.len());
                let budget = MAX_OPENS.saturating_sub(opened);
                for _ in 0..missing.min(REOPEN_PER_TICK).min(budget) {
                    opened += 1;
                    if let Some(s) = open_one(addr, kind).await {
                        streams.push(s);
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(TICK) => {}
                    _ = stopped.changed() => {}
                }
            }
            // Dropping `streams` closes every flood socket.
            (closed_by_server, opened)
        });
        Self { stop, task }
    }

    async fn stop(self) -> (usize, usize) {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the flood stops within 10 s")
            .expect("the flood task does not panic")
    }
}

/// `GET /health` on a new connection: the status line, and how long it took.
async fn probe(addr: SocketAddr) -> Result<Duration, String> {
    let started = Instant::now();
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        stream
            .write_all(b"GET /health HTTP/1.1\r\nhost: probe\r\nconnection: close\r\n\r\n")
            .await
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        stream
            .read_to_end(&mut out)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(String::from_utf8_lossy(&out).into_owned())
    };
    match tokio::time::timeout(PROBE_BOUND, exchange).await {
        Err(_) => Err(format!("no answer within {PROBE_BOUND:?}")),
        Ok(Err(e)) => Err(e),
        Ok(Ok(text)) if text.starts_with("HTTP/1.1 200") => Ok(started.elapsed()),
        Ok(Ok(text)) => Err(format!("answered {:?}", text.lines().next())),
    }
}

/// Probes every `PROBE_EVERY` for `PROBE_FOR`; returns the slowest answer and how many
/// probes there were. Panics with every failure when one fails.
async fn probe_for_a_while(app: &TestApp) -> (Duration, usize) {
    let until = Instant::now() + PROBE_FOR;
    let mut failures = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut count = 0;
    let mut at_cap = 0;
    while Instant::now() < until {
        count += 1;
        if app.connections.open() >= CAP - 1 {
            at_cap += 1;
        }
        match probe(app.addr).await {
            Ok(took) => slowest = slowest.max(took),
            Err(e) => failures.push(format!("probe {count}: {e}")),
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
    assert!(
        failures.is_empty(),
        "{} of {count} probes failed: {failures:?}",
        failures.len()
    );
    // The flood kept the server at its cap for (nearly) the whole time.
    assert!(
        at_cap * 10 >= count * 8,
        "the server was at its cap for only {at_cap} of {count} probes"
    );
    (slowest, count)
}

async fn flood_test(kind: Kind) {
    // Arrange
    ensure_fd_limit();
    let cap = CAP.to_string();
    let app = spawn_app(&[("DEMO_MAX_CONNECTIONS", cap.as_str())]).await;
    let flood = Flood::start(app.addr, kind).await;

    // Act
    let (slowest, probes) = probe_for_a_while(&app).await;
    let (closed_by_server, opened) = flood.stop().await;

    // Assert: the server made room by closing flood connections, as many as it counted.
    let closed = app.connections.closed();
    eprintln!(
        "{kind:?}: {probes} probes, slowest {slowest:?}; flood opened {opened}, the server \
         closed {closed_by_server}; server counts {closed:?}"
    );
    assert!(
        closed.total() >= EXTRA as u64,
        "closed only {closed:?} with {EXTRA} connections beyond the cap"
    );
    match kind {
        Kind::OneRequest => assert!(closed.idle >= EXTRA as u64, "{closed:?}"),
        Kind::Silent | Kind::Slowloris => {
            assert_eq!(closed.idle, 0, "{closed:?}");
            assert!(
                closed.waiting + closed.slow_heads >= EXTRA as u64,
                "{closed:?}"
            );
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_within_1s_while_idle_keep_alive_connections_flood_the_cap() {
    flood_test(Kind::OneRequest).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_within_1s_while_silent_connections_flood_the_cap() {
    flood_test(Kind::Silent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_within_1s_while_slowloris_connections_flood_the_cap() {
    flood_test(Kind::Slowloris).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_are_never_closed_to_make_room() {
    // Arrange: two requests in flight on connections that look idle on the wire: one
    // waits in its handler, one sends its body a byte at a time.
    ensure_fd_limit();
    let cap = CAP.to_string();
    let app = spawn_app(&[
        ("DEMO_MAX_CONNECTIONS", cap.as_str()),
        ("DEMO_DEBUG_ENDPOINTS", "1"),
    ])
    .await;
    let addr = app.addr;
    let waiting = tokio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /debug/delay/4000 HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    });
    let slow_body = tokio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(
            b"GET /debug/delay/0 HTTP/1.1\r\nhost: t\r\ncontent-length: 8\r\nconnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            s.write_all(b"x").await.unwrap();
        }
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Act: flood the cap while both are in flight (about 4 s), probing as usual.
    let flood = Flood::start(app.addr, Kind::Silent).await;
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        probe(app.addr).await.expect("GET /health during the flood");
        tokio::time::sleep(PROBE_EVERY).await;
    }
    let waited = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the delayed request finishes")
        .unwrap();
    let slow = tokio::time::timeout(Duration::from_secs(10), slow_body)
        .await
        .expect("the slow-body request finishes")
        .unwrap();
    flood.stop().await;

    // Assert: both answered in full while the server closed flood connections around them.
    assert!(waited.starts_with("HTTP/1.1 200"), "{waited}");
    assert!(waited.ends_with("{\"delayed_ms\":4000}\n"), "{waited}");
    assert!(slow.starts_with("HTTP/1.1 200"), "{slow}");
    assert!(slow.ends_with("{\"delayed_ms\":0}\n"), "{slow}");
    let closed = app.connections.closed();
    assert!(closed.total() >= EXTRA as u64, "{closed:?}");
    app.stop().await;
}
