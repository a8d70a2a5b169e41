//! Building and running the server: the router with its middleware, our own accept loop
//! (hyper's HTTP/1 limits, a connection cap), and the drain on SIGTERM/SIGINT.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Semaphore;
use tower::{Service, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;

use crate::access_log::AccessLogLayer;
use crate::configuration::Settings;
use crate::connections::{Connections, Tracked};
use crate::fd_limit;
use crate::metadata;
use crate::request_id::RequestIdLayer;
use crate::routes;
use crate::state::{AppState, Identity};
use crate::timeout::RequestTimeoutLayer;

/// The request id header, kept from the request or generated (UUID v4).
pub use crate::request_id::REQUEST_ID_HEADER;

/// Largest request head (request line + headers) accepted; larger gets 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Most request headers accepted; more gets 431.
pub const MAX_HEADERS: usize = 64;

/// The kernel's queue of connections not yet accepted (capped by `net.core.somaxconn`,
/// 4096 by default). It absorbs a burst while the accept loop makes room at the cap; beyond
/// it the kernel drops new connections' SYNs and their clients retry only after a second,
/// longer than a health check may wait. Standard library's and mio's 128 overflowed under a
/// burst of a few hundred connections (app/tests/api/flood.rs).
pub const LISTEN_BACKLOG: u32 = 1024;

/// Limits applied by the middleware.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests slower than this get 408.
    pub request_timeout: Duration,
    /// Bodies larger than this get 413.
    pub max_body_bytes: usize,
    /// Serve the `/debug/...` fault-injection routes.
    pub debug_endpoints: bool,
}

impl From<&Settings> for Limits {
    fn from(s: &Settings) -> Self {
        Self {
            request_timeout: s.request_timeout,
            max_body_bytes: s.max_body_bytes,
            debug_endpoints: s.debug_endpoints,
        }
    }
}

/// The routes and the middleware, ready to serve (or to call with `oneshot` in tests).
///
/// Outermost first: request id (set, then copied to the response), access log, panic
/// -> 500, body limit -> 413, timeout -> 408, then the routes (404/405 from the router).
///
/// The middleware wraps the router once, from outside, rather than with `Router::layer`,
/// which wraps every route on its own: then each request clones a boxed copy of the whole
/// stack and boxes its future once more (bench/README.md, "Where the time goes").
pub fn router<B>(
    state: AppState,
    limits: Limits,
) -> impl Service<
    Request<B>,
    Response = Response<impl hyper::body::Body<Data = Bytes, Error = BoxError> + Send + 'static>,
    Error = Infallible,
    Future = impl Future + Send + 'static,
> + Clone
       + Send
       + Sync
       + 'static
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let routes = routes::hot::HotPaths::new(state.clone(), axum_routes(state, &limits));
    ServiceBuilder::new()
        .layer(RequestIdLayer)
        .layer(AccessLogLayer)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        // Not tower-http's TimeoutLayer: it arms a timer on every request, see
        // crate::timeout.
        .layer(RequestTimeoutLayer::new(limits.request_timeout))
        .service(routes)
}

/// The routes as an axum `Router` (404 fallback, 405 for wrong methods, HEAD for GET
/// routes). [`router`] serves them behind [`routes::hot::HotPaths`].
pub fn axum_routes(state: AppState, limits: &Limits) -> Router {
    let mut routes = Router::new()
        .route("/", get(routes::index::index))
        .route("/health", get(routes::health::health));
    if limits.debug_endpoints {
        routes = routes
            .route("/debug/delay/{ms}", get(routes::debug::delay))
            .route("/debug/panic", get(routes::debug::panic));
    }
    let faults = state.faults().copied();
    let routes = routes
        .fallback(routes::not_found::not_found)
        .with_state(state);
    match faults {
        Some(active) => routes.layer(axum::middleware::from_fn_with_state(
            active,
            crate::faults::middleware,
        )),
        None => routes,
    }
}

/// The error type of boxed errors (bodies, the router's request body bound).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response<String> {
    // The panic hook has logged the message and location already.
    let mut response = Response::new("{\"error\":\"internal server error\"}\n".to_owned());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// SIGTERM and SIGINT, registered when created (so a signal arriving right after startup
/// is never lost to the default action).
pub struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    /// Registers the handlers. Needs a Tokio runtime.
    pub fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the next SIGTERM or SIGINT; returns its name.
    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

/// How the server stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReport {
    /// All connections finished within the drain bound.
    pub drained: bool,
    /// Connections still open when the drain bound (or a second signal) cut them off.
    pub cut_connections: usize,
}

/// A bound listener with everything needed to serve.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    state: AppState,
    settings: Settings,
    connections: Arc<Connections>,
}

impl Application {
    /// Reads the task metadata (if any; bounded by a short timeout), renders the `GET /`
    /// bodies and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let task = match &settings.metadata_uri {
            None => None,
            Some(uri) => match metadata::fetch(uri, settings.metadata_timeout).await {
                Ok(task) => Some(task),
                Err(e) => {
                    tracing::warn!(error = %e, "ECS task metadata unavailable; reporting the hostname only");
                    None
                }
            },
        };
        let identity = Identity::new(&settings, metadata::hostname(), task);
        // The fault clock (DEMO_FAIL_AFTER_SECS) starts here, with the process.
        let state = AppState::with_faults(identity, settings.fail_health, settings.faults.start());
        let nofile = fd_limit::current().context("reading the open-file limit (RLIMIT_NOFILE)")?;
        let cap = settings.connection_cap(nofile.soft)?;
        let connections = Arc::new(Connections::new(cap));
        let addr = settings.listen_addr();
        let listener =
            listen(addr).with_context(|| format!("cannot listen on {addr} (HOST/PORT)"))?;
        let local_addr = listener.local_addr().context("reading the bound address")?;
        Ok(Self {
            listener,
            local_addr,
            state,
            settings,
            connections,
        })
    }

    /// The port actually bound (useful with `PORT=0`).
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The handlers' state (tests use it to watch the draining switch).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The open connections and what was closed at the cap (tests watch them).
    pub fn connections(&self) -> Arc<Connections> {
        self.connections.clone()
    }

    /// Serves until SIGTERM/SIGINT, then drains; a second signal stops the drain at once.
    pub async fn run_until_signal(self, mut signals: Signals) -> StopReport {
        let (first_tx, first_rx) = tokio::sync::oneshot::channel::<&'static str>();
        let (second_tx, second_rx) = tokio::sync::oneshot::channel::<&'static str>();
        tokio::spawn(async move {
            let _ = first_tx.send(signals.recv().await);
            let _ = second_tx.send(signals.recv().await);
        });
        self.run_until(
            async move { first_rx.await.unwrap_or("shutdown") },
            async move {
                if second_rx.await.is_err() {
                    std::future::pending::<()>().await;
                }
            },
        )
        .await
    }

    /// Serves until `shutdown` resolves (with a reason for the log), then stops accepting
    /// and lets open requests finish within `DEMO_SHUTDOWN_TIMEOUT_SECS`, or until `force`.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = &'static str>,
        force: impl Future<Output = ()>,
    ) -> StopReport {
        let Self {
            listener,
            local_addr,
            state,
            settings,
            connections,
        } = self;
        let max_connections = connections.cap();
        let app = router::<hyper::body::Incoming>(state.clone(), Limits::from(&settings));
        let service = TowerToHyperService::new(app);
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(settings.header_read_timeout)
            .max_buf_size(MAX_HEADER_BYTES.max(8192))
            .max_headers(MAX_HEADERS)
            .max_header_size(MAX_HEADER_BYTES);
        let http = Arc::new(http);
        let graceful = GracefulShutdown::new();
        let slots = Arc::new(Semaphore::new(max_connections));
        let pressure = tokio::spawn(connections.clone().watch_pressure());

        let identity = state.identity();
        tracing::info!(
            addr = %local_addr,
            version = %identity.version,
            commit = %identity.commit,
            task = identity.task.as_ref().map(|t| t.arn.as_str()).unwrap_or("-"),
            max_connections,
            open_file_limit = fd_limit::current().map(|l| l.soft).unwrap_or(0),
            "listening"
        );

        tokio::pin!(shutdown);
        let reason = 'accept: loop {
            let (stream, _peer) = tokio::select! {
                biased;
                reason = &mut shutdown => break reason,
                accepted = listener.accept() => match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        accept_error(e).await;
                        continue;
                    }
                },
            };
            // A free slot, or at the cap: make room by closing the connection that has
            // waited longest without a request in flight (crate::connections). When every
            // connection has a request in flight, this one waits for a slot and the ones
            // after it wait in the kernel's listen backlog.
            let permit = match slots.clone().try_acquire_owned() {
                Ok(permit) => permit,
                Err(_) => loop {
                    let closing = connections.close_oldest();
                    // The closed connection's task frees its slot within microseconds;
                    // if it does not (it started a request after all), close another.
                    let retry = if closing {
                        Duration::from_millis(20)
                    } else {
                        Duration::from_millis(10)
                    };
                    tokio::select! {
                        biased;
                        reason = &mut shutdown => break 'accept reason,
                        permit = slots.clone().acquire_owned() => {
                            break permit.expect("semaphore never closed");
                        }
                        _ = tokio::time::sleep(retry) => {}
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let (io, slot) = connections.register(stream);
            let conn = http.serve_connection(TokioIo::new(io), Tracked::new(service.clone(), slot));
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                drop(permit);
            });
        };

        // Stop accepting first, then tell health checks, then wait for open requests.
        drop(listener);
        state.start_draining();
        let open = graceful.count();
        let timeout = settings.shutdown_timeout;
        tracing::info!(
            reason,
            open_connections = open,
            timeout_secs = timeout.as_secs_f64(),
            "draining"
        );
        let started = Instant::now();
        let drained = tokio::select! {
            _ = graceful.shutdown() => true,
            _ = tokio::time::sleep(timeout) => false,
            _ = force => false,
        };
        // Every open connection holds a slot: the slots in use are the ones being cut.
        let cut_connections = if drained {
            0
        } else {
            max_connections - slots.available_permits()
        };
        pressure.abort();
        if drained {
            tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "stopped");
        } else {
            tracing::warn!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                cut_connections,
                "stopped before every request finished"
            );
        }
        StopReport {
            drained,
            cut_connections,
        }
    }
}

/// Binds `addr` with a listen backlog of [`LISTEN_BACKLOG`] (`TcpListener::bind` uses 128).
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Accept errors: per-connection ones (reset before accept) are skipped; resource
/// exhaustion (EMFILE/ENFILE/ENOMEM) is logged and retried after a pause instead of
/// spinning or exiting.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted) {
        return;
    }
    tracing::warn!(error = %e, "accept failed; retrying in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
