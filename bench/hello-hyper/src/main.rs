//! Benchmark baseline: the smallest sensible hyper 1.x server.
//!
//! Answers every request with `200 Hello World!` over HTTP/1.1 (keep-alive), one task per
//! connection on tokio's default multi-threaded runtime, exactly like hyper's own
//! "hello" example. The benchmark (`bench/run.sh`) pins it to one core, where tokio starts
//! one worker, and compares `demo` against it.
//!
//! Environment: `HOST` (default `127.0.0.1`), `PORT` (default `3000`).
//! SIGTERM/SIGINT use the default action (immediate exit): the baseline has no draining.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

async fn hello(_: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello World!",
    ))))
}

fn listen_addr() -> Result<SocketAddr, String> {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let port: u16 = port
        .parse()
        .map_err(|e| format!("PORT={port:?} is not a port number: {e}"))?;
    let ip = host
        .parse()
        .map_err(|e| format!("HOST={host:?} is not an IP address: {e}"))?;
    Ok(SocketAddr::new(ip, port))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let addr = match listen_addr() {
        Ok(addr) => addr,
        Err(msg) => {
            eprintln!("hello-hyper: {msg}");
            return std::process::ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("hello-hyper: cannot listen on {addr}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            // Out of file descriptors and the like: keep serving the open connections.
            Err(e) => {
                eprintln!("hello-hyper: accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await;
        });
    }
}
