//! The accept loop of a loopback server, with bounds on silent connections.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How long a connection may hold a slot without sending a request, and how many may.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A request head must arrive within this, and a keep-alive connection's next request
    /// head within this after the previous answer (hyper's `header_read_timeout` covers
    /// both); else the connection is closed.
    pub header_read_timeout: Duration,
    /// Connections served at once; more wait in the kernel's listen backlog.
    pub max_connections: usize,
    /// After the shutdown signal, how long requests in flight may still take.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    /// 10 s for a head or an idle gap (the SDKs send a head in one write and keep pooled
    /// connections only as long as the server does: a closed idle connection is not an
    /// error to them), 256 connections (a stack serves one user's tools), 5 s of grace.
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 256,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Serves `router` on `listener` (HTTP/1.1) until `shutdown` completes, then lets requests
/// in flight finish for up to [`Limits::shutdown_grace`].
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&slots).acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: transient, try again shortly.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let conn = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(router.clone()),
        );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _slot = permit;
            if let Err(e) = conn.await {
                // A client that went away, or one closed for its silence: not the server's error.
                tracing::debug!("connection ended: {e}");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!("connections still open after {:?}: closed", limits.shutdown_grace);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio::sync::oneshot;

    async fn start(
        limits: Limits,
    ) -> (
        std::net::SocketAddr,
        oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(serve(listener, router, limits, async move {
            let _ = rx.await;
        }));
        (addr, tx, handle)
    }

    fn quick() -> Limits {
        Limits {
            header_read_timeout: Duration::from_millis(300),
            max_connections: 8,
            shutdown_grace: Duration::from_secs(1),
        }
    }

    /// Reads until the server closes the connection; how long that took (bounded).
    async fn closed_after(mut s: TcpStream) -> Duration {
        let t = Instant::now();
        let mut buf = [0u8; 1024];
        loop {
            match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return t.elapsed(),
                Ok(Ok(_)) => continue,
                Err(_) => panic!("the server kept the connection open for 5 s"),
            }
        }
    }

    #[tokio::test]
    async fn a_silent_connection_is_closed() {
        let (addr, stop, handle) = start(quick()).await;
        let silent = TcpStream::connect(addr).await.unwrap();
        assert!(closed_after(silent).await < Duration::from_secs(3));
        stop.send(()).unwrap();
        handle.await.unwrap();
    }

    #[tokio::test]
    async fn a_half_sent_head_is_closed() {
        let (addr, stop, handle) = start(quick()).await;
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        assert!(closed_after(slow).await < Duration::from_secs(3));
        stop.send(()).unwrap();
        handle.await.unwrap();
    }

    #[tokio::test]
    async fn a_request_is_answered_and_an_idle_keep_alive_connection_closed() {
        let (addr, stop, handle) = start(quick()).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 1024];
        let n = s.read(&mut buf).await.unwrap();
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("ok"), "{answer}");
        assert!(closed_after(s).await < Duration::from_secs(3));
        stop.send(()).unwrap();
        handle.await.unwrap();
    }

    #[tokio::test]
    async fn shutdown_stops_accepting() {
        let (addr, stop, handle) = start(quick()).await;
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(3), handle)
            .await
            .unwrap()
            .unwrap();
        assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
    }
}
