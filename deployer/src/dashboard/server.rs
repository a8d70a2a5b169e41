//! The dashboard's HTTP server: the page (one embedded bundle), a server-sent-events
//! stream of snapshots and probe series, and, with `--allow-actions`, the action
//! endpoint. Bound to 127.0.0.1 only.
//!
//! One poller per server calls the [`Source`] no faster than the poll interval, and only
//! while a page is connected; every page gets the same serialized snapshot.
//!
//! Security model (the page can change a deployment, so it is treated like a local admin
//! port):
//! - loopback only; the `Host` header must be `127.0.0.1:<port>` or `localhost:<port>`
//!   (a DNS-rebinding page on another name is refused), and an `Origin` header, when
//!   present, must be the same host (no other site can read or post);
//! - read-only unless actions are on; then every path starts with a per-run random
//!   token (`/<token>/...`, 244 random bits) printed once with the URL, and actions are
//!   `POST` with a JSON body (so a plain HTML form cannot send them), after a
//!   confirmation in the page;
//! - `Referrer-Policy: no-referrer` (the token is in the URL), a CSP that allows only the
//!   bundle itself, `X-Frame-Options: DENY`, `Cache-Control: no-store`.

#![warn(unreachable_pub)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::assets;
use super::probe;
use super::snapshot::{now_ms, ActionKind, Snapshot};
use super::source::{ActionRequest, Source};
use crate::exit::BadInput;

/// Pages that may follow the stream at once (each holds one connection).
pub(crate) const MAX_STREAMS: usize = 32;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// 0: any free port.
    pub port: u16,
    /// Serve the action endpoint (behind the token).
    pub allow_actions: bool,
    /// Least time between two polls of the source.
    pub interval: Duration,
    /// Probe the NLB and chart its answers.
    pub probe: Option<ProbeOptions>,
}

#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// `http://host:port/` of the production listener.
    pub url: String,
    /// Probes per second (at most [`probe::MAX_RATE`]).
    pub rate: u32,
    /// How many seconds the chart shows.
    pub window_seconds: u64,
}

/// A running dashboard. Dropping it does not stop it: call [`Running::shutdown`].
pub struct Running {
    /// What to open: `http://127.0.0.1:<port>/` or `http://127.0.0.1:<port>/<token>/`.
    pub url: String,
    pub addr: SocketAddr,
    /// The per-run token (only with actions on).
    pub token: Option<String>,
    stop: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// A token that stops the server when cancelled (e.g. from a Ctrl-C handler).
    pub(crate) fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Serves until [`Running::stop_token`] is cancelled, then waits for the server and
    /// its poller and probe to finish.
    pub async fn wait(self) -> anyhow::Result<()> {
        let result = self.server.await;
        self.stop.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
        result
            .context("the dashboard server task panicked")?
            .context("the dashboard server failed")
    }

    /// Stops serving (open event streams end) and waits for everything to finish.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.wait().await
    }
}

struct AppState {
    source: Arc<dyn Source>,
    allow_actions: bool,
    index_html: String,
    snapshot: watch::Receiver<Option<Arc<str>>>,
    probe: watch::Receiver<Option<Arc<str>>>,
    /// Wakes the poller (a page connected, or an action was taken).
    wake: Arc<Notify>,
    /// Someone asked for `snapshot.json`: poll even if no page is connected.
    wanted: Arc<AtomicBool>,
    streams: Arc<AtomicUsize>,
    stop: CancellationToken,
}

/// Binds 127.0.0.1:`port`, starts the poller (and the probe) and serves.
pub async fn start(opts: Options, source: Arc<dyn Source>) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, opts.port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", opts.port))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let token = opts.allow_actions.then(new_token);
    let base = match &token {
        Some(t) => format!("/{t}/"),
        None => "/".to_owned(),
    };
    let stop = CancellationToken::new();
    let wake = Arc::new(Notify::new());
    let wanted = Arc::new(AtomicBool::new(false));

    let (snap_tx, snap_rx) = watch::channel(None);
    let (probe_tx, probe_rx) = watch::channel(None);
    let mut tasks = vec![tokio::spawn(poll_loop(
        source.clone(),
        opts.interval,
        STALL_AFTER.max(opts.interval),
        snap_tx,
        wake.clone(),
        wanted.clone(),
        stop.clone(),
    ))];
    if let Some(p) = &opts.probe {
        tasks.push(tokio::spawn(probe::run(
            p.url.clone(),
            p.rate,
            p.window_seconds,
            probe_tx,
            stop.clone(),
        )));
    }

    let state = Arc::new(AppState {
        source,
        allow_actions: opts.allow_actions,
        index_html: assets::index_html(opts.allow_actions, opts.interval, opts.probe.is_some()),
        snapshot: snap_rx,
        probe: probe_rx,
        wake,
        wanted,
        streams: Arc::new(AtomicUsize::new(0)),
        stop: stop.clone(),
    });
    let guard = Arc::new(Guard {
        port: addr.port(),
        token: token.clone(),
    });
    let app = router(&base, state, guard);
    // loopback-http's accept loop: a silent or half-sent connection is closed after the
    // header-read bound instead of holding a slot (server-sent-event streams are responses
    // in progress, not bound by it).
    let server = tokio::spawn({
        let stop = stop.clone();
        async move {
            loopback_http::serve(
                listener,
                app,
                loopback_http::Limits::default(),
                stop.cancelled_owned(),
            )
            .await;
            Ok(())
        }
    });
    Ok(Running {
        url: format!("http://127.0.0.1:{}{base}", addr.port()),
        addr,
        token,
        stop,
        server,
        tasks,
    })
}

fn router(base: &str, state: Arc<AppState>, guard: Arc<Guard>) -> Router {
    let mut r = Router::new()
        .route(base, get(index))
        .route(&format!("{base}app.js"), get(app_js))
        .route(&format!("{base}app.css"), get(app_css))
        .route(&format!("{base}events"), get(events))
        .route(&format!("{base}snapshot.json"), get(snapshot_json));
    if state.allow_actions {
        r = r.route(&format!("{base}actions/{{kind}}"), post(action));
    }
    r.fallback(not_found)
        .layer(DefaultBodyLimit::max(4096))
        .layer(middleware::from_fn_with_state(guard, guard_layer))
        .with_state(state)
}

/// 64 hex digits from two v4 UUIDs (244 random bits from the OS's generator).
fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The checks every request goes through before routing: loopback-http's Host and Origin
/// guard (the one every loopback server of the project uses; the page's own origin is
/// allowed), then the per-run token when actions are on.
#[derive(Debug)]
pub(crate) struct Guard {
    pub port: u16,
    pub token: Option<String>,
}

impl Guard {
    /// `Err((status, why))` when the request must be refused.
    pub(crate) fn check(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), (StatusCode, String)> {
        loopback_http::Guard::new(self.port, loopback_http::OriginRule::Own)
            .check(headers)
            .map_err(|refusal| (StatusCode::FORBIDDEN, refusal.to_string()))?;
        if let Some(token) = &self.token {
            let given = uri
                .path()
                .strip_prefix('/')
                .and_then(|p| p.split_once('/'))
                .map_or("", |(t, _)| t);
            if !loopback_http::same_secret(given.as_bytes(), token.as_bytes()) {
                return Err((
                    StatusCode::FORBIDDEN,
                    "this dashboard has actions on: open the URL it printed (with its token)"
                        .to_owned(),
                ));
            }
        }
        Ok(())
    }
}

async fn guard_layer(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let mut resp = match guard.check(req.uri(), req.headers()) {
        Ok(()) => next.run(req).await,
        Err((status, why)) => {
            tracing::info!(status = %status, path = %req.uri().path(), "dashboard refused a request: {why}");
            (status, why).into_response()
        }
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
             img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn index(State(s): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        s.index_html.clone(),
    )
        .into_response()
}

async fn app_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        assets::APP_JS,
    )
        .into_response()
}

async fn app_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        assets::APP_CSS,
    )
        .into_response()
}

async fn not_found(method: Method, uri: Uri) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("no such page: {method} {}", uri.path()),
    )
        .into_response()
}

/// The last snapshot (for scripts and `curl`); 503 until the first poll answered.
async fn snapshot_json(State(s): State<Arc<AppState>>) -> Response {
    s.wanted.store(true, Ordering::SeqCst);
    s.wake.notify_one();
    let snap = s.snapshot.borrow().clone();
    match snap {
        Some(json) => (
            [(header::CONTENT_TYPE, "application/json")],
            json.to_string(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no snapshot yet: the first poll has not answered",
        )
            .into_response(),
    }
}

/// Decrements the open-stream count when a stream ends (page closed, server stopping).
struct StreamSlot(Arc<AtomicUsize>);

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Server-sent events: `snapshot` (one per poll) and `probe` (about once a second).
/// The current values come first, so a page shows something at once.
async fn events(State(s): State<Arc<AppState>>) -> Response {
    if s.streams.fetch_add(1, Ordering::SeqCst) >= MAX_STREAMS {
        s.streams.fetch_sub(1, Ordering::SeqCst);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("too many pages open (at most {MAX_STREAMS}): close one"),
        )
            .into_response();
    }
    let slot = StreamSlot(s.streams.clone());
    let mut snap = s.snapshot.clone();
    let mut probe = s.probe.clone();
    snap.mark_changed();
    probe.mark_changed();
    s.wake.notify_one();
    let stop = s.stop.clone();
    // The probe's channel closes when there is no probe (or it stopped): the stream
    // then carries snapshots only.
    let stream = futures_util::stream::unfold(
        (snap, probe, true, stop, slot),
        |(mut snap, mut probe, mut probing, stop, slot)| async move {
            loop {
                let (name, value) = tokio::select! {
                    () = stop.cancelled() => return None,
                    r = snap.changed() => {
                        if r.is_err() { return None; }
                        ("snapshot", snap.borrow_and_update().clone())
                    }
                    r = probe.changed(), if probing => {
                        if r.is_err() { probing = false; continue; }
                        ("probe", probe.borrow_and_update().clone())
                    }
                };
                if let Some(json) = value {
                    let event = Event::default().event(name).data(&*json);
                    return Some((
                        Ok::<_, std::convert::Infallible>(event),
                        (snap, probe, probing, stop, slot),
                    ));
                }
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    deployment_id: String,
}

async fn action(
    State(s): State<Arc<AppState>>,
    Path(kind): Path<String>,
    body: Result<Json<ActionBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Some(kind) = ActionKind::parse(&kind) else {
        return (
            StatusCode::NOT_FOUND,
            format!("no such action {kind:?}: approve, end-wait or rollback"),
        )
            .into_response();
    };
    let body = match body {
        Ok(Json(b)) => b,
        Err(rej) => {
            return (
                rej.status(),
                format!(
                    "action body: {} (expected JSON {{\"deployment_id\": \"d-...\"}})",
                    rej.body_text()
                ),
            )
                .into_response()
        }
    };
    let id = body.deployment_id.trim();
    if id.is_empty() || id.len() > 64 {
        return (
            StatusCode::BAD_REQUEST,
            format!(
                "action body: deployment_id {:?} is not a deployment id",
                body.deployment_id
            ),
        )
            .into_response();
    }
    let req = ActionRequest {
        kind,
        deployment_id: id.to_owned(),
    };
    tracing::info!(action = kind.as_str(), deployment = id, "dashboard action");
    let result = s.source.act(req).await;
    s.wake.notify_one();
    match result {
        Ok(message) => Json(serde_json::json!({ "message": message })).into_response(),
        Err(err) => {
            let status = if err.chain().any(|e| e.downcast_ref::<BadInput>().is_some()) {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_GATEWAY
            };
            (status, format!("{err:#}")).into_response()
        }
    }
}

/// How long a poll may go unanswered before the page is told (the last good snapshot with
/// an error saying since when). Each AWS call gives up by itself after `--aws-timeout`;
/// this tells the page sooner, while the poll still waits.
const STALL_AFTER: Duration = Duration::from_secs(5);

/// Polls the source while a page is connected, at most once per `interval`, and
/// publishes each snapshot (serialized once) to every page; a poll that has not answered
/// after `stall_after` publishes the last good snapshot with the stall as its error (again
/// every `stall_after`), and the next answer replaces it.
async fn poll_loop(
    source: Arc<dyn Source>,
    interval: Duration,
    stall_after: Duration,
    out: watch::Sender<Option<Arc<str>>>,
    wake: Arc<Notify>,
    wanted: Arc<AtomicBool>,
    stop: CancellationToken,
) {
    let mut last_good: Option<Snapshot> = None;
    let mut last_poll: Option<tokio::time::Instant> = None;
    loop {
        // Sleep until a page is connected (its stream holds a receiver; the server holds
        // one more) or someone asked for snapshot.json.
        while out.receiver_count() <= 1 && !wanted.swap(false, Ordering::SeqCst) {
            tokio::select! {
                () = stop.cancelled() => return,
                () = wake.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        if let Some(at) = last_poll {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep_until(at + interval) => {}
            }
        }
        let started = tokio::time::Instant::now();
        last_poll = Some(started);
        let poll = source.snapshot();
        tokio::pin!(poll);
        let snap = loop {
            tokio::select! {
                () = stop.cancelled() => return,
                r = &mut poll => break r,
                () = tokio::time::sleep(stall_after) => {
                    let waited = started.elapsed().as_secs();
                    tracing::warn!("dashboard poll: no answer for {waited}s");
                    let mut s = last_good.clone().unwrap_or_default();
                    s.error = Some(format!(
                        "AWS has not answered this poll for {waited}s (still waiting; each \
                         call gives up after --aws-timeout)"
                    ));
                    s.taken_at_ms = now_ms();
                    publish(&out, &s);
                }
            }
        };
        let shown = match snap {
            Ok(mut s) => {
                s.error = None;
                last_good = Some(s.clone());
                s
            }
            Err(err) => {
                tracing::warn!("dashboard poll failed: {err:#}");
                let mut s = last_good.clone().unwrap_or_default();
                s.error = Some(format!("{err:#}"));
                s.taken_at_ms = now_ms();
                s
            }
        };
        publish(&out, &shown);
    }
}

/// Sends a snapshot (serialized once) to every page.
fn publish(out: &watch::Sender<Option<Arc<str>>>, snap: &Snapshot) {
    match serde_json::to_string(snap) {
        Ok(json) => {
            out.send_replace(Some(Arc::from(json)));
        }
        Err(err) => tracing::warn!("dashboard: cannot serialize a snapshot: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn uri(p: &str) -> Uri {
        p.parse().unwrap()
    }

    #[test]
    fn host_must_be_loopback_with_our_port() {
        let g = Guard {
            port: 4242,
            token: None,
        };
        assert!(g
            .check(&uri("/"), &headers(&[("host", "127.0.0.1:4242")]))
            .is_ok());
        assert!(g
            .check(&uri("/"), &headers(&[("host", "LOCALHOST:4242")]))
            .is_ok());
        for bad in [
            "127.0.0.1:4243",
            "evil.example:4242",
            "127.0.0.1",
            "localhost",
        ] {
            let err = g.check(&uri("/"), &headers(&[("host", bad)])).unwrap_err();
            assert_eq!(err.0, StatusCode::FORBIDDEN, "{bad}");
            assert!(err.1.contains(bad), "{}", err.1);
        }
        assert!(g.check(&uri("/"), &HeaderMap::new()).is_err());
    }

    #[test]
    fn origin_when_present_must_be_the_same_host() {
        let g = Guard {
            port: 4242,
            token: None,
        };
        let ok = headers(&[
            ("host", "127.0.0.1:4242"),
            ("origin", "http://127.0.0.1:4242"),
        ]);
        assert!(g.check(&uri("/"), &ok).is_ok());
        for bad in [
            "http://evil.example",
            "http://localhost:4242",
            "https://127.0.0.1:4242",
            "null",
        ] {
            let h = headers(&[("host", "127.0.0.1:4242"), ("origin", bad)]);
            assert!(g.check(&uri("/"), &h).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_is_the_first_path_segment() {
        let g = Guard {
            port: 1,
            token: Some("abc123".into()),
        };
        let h = headers(&[("host", "127.0.0.1:1")]);
        assert!(g.check(&uri("/abc123/"), &h).is_ok());
        assert!(g.check(&uri("/abc123/events"), &h).is_ok());
        for bad in [
            "/",
            "/abc123",
            "/abc12/",
            "/abc1234/",
            "/events",
            "/x/abc123/",
        ] {
            assert_eq!(
                g.check(&uri(bad), &h).unwrap_err().0,
                StatusCode::FORBIDDEN,
                "{bad}"
            );
        }
    }

    /// A source whose first poll hangs until `gate` opens and then fails as a timed-out
    /// AWS call does; the second waits for `gate` again and answers, as do later ones.
    struct Stalling {
        gate: Arc<Notify>,
        calls: AtomicUsize,
    }

    impl Source for Stalling {
        fn snapshot(&self) -> super::super::source::BoxFuture<'_, anyhow::Result<Snapshot>> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                if n <= 1 {
                    self.gate.notified().await;
                }
                if n == 0 {
                    anyhow::bail!("no answer from http://127.0.0.1:9 (operation timeout)");
                }
                Ok(Snapshot::default())
            })
        }

        fn act(
            &self,
            _: ActionRequest,
        ) -> super::super::source::BoxFuture<'_, anyhow::Result<String>> {
            Box::pin(async { anyhow::bail!("no actions here") })
        }
    }

    /// The error of each snapshot published, in order, until `done` says stop (bounded).
    async fn errors_until(
        rx: &mut watch::Receiver<Option<Arc<str>>>,
        done: impl Fn(&[Option<String>]) -> bool,
    ) -> Vec<Option<String>> {
        let mut seen = Vec::new();
        for _ in 0..200 {
            if done(&seen) {
                break;
            }
            tokio::time::timeout(Duration::from_secs(5), rx.changed())
                .await
                .expect("a snapshot within 5s")
                .expect("the poller is running");
            let json = rx.borrow_and_update().clone().expect("a snapshot");
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            seen.push(v["error"].as_str().map(str::to_owned));
        }
        seen
    }

    #[tokio::test]
    async fn a_stalled_poll_is_shown_and_the_next_answer_clears_it() {
        let gate = Arc::new(Notify::new());
        let source = Arc::new(Stalling {
            gate: gate.clone(),
            calls: AtomicUsize::new(0),
        });
        let (tx, mut rx) = watch::channel(None);
        // A page is connected (the server itself holds the other receiver).
        let _server = rx.clone();
        let stop = CancellationToken::new();
        let poller = tokio::spawn(poll_loop(
            source.clone(),
            Duration::from_millis(10),
            Duration::from_millis(300),
            tx,
            Arc::new(Notify::new()),
            Arc::new(AtomicBool::new(false)),
            stop.clone(),
        ));
        // The hanging poll is shown as a stall, with no snapshot answered yet.
        let seen = errors_until(&mut rx, |s| !s.is_empty()).await;
        let stall = seen[0].clone().unwrap_or_default();
        assert!(stall.contains("has not answered this poll"), "{seen:?}");
        // The call gives up: its error is shown.
        gate.notify_one();
        let timed_out = |e: &Option<String>| {
            e.as_deref()
                .is_some_and(|e| e.contains("no answer from http://127.0.0.1:9"))
        };
        let seen = errors_until(&mut rx, |s| s.iter().any(timed_out)).await;
        assert!(seen.iter().any(timed_out), "{seen:?}");
        // The endpoint answers again: the error is gone.
        gate.notify_one();
        let seen = errors_until(&mut rx, |s| s.last().is_some_and(Option::is_none)).await;
        assert_eq!(seen.last(), Some(&None), "recovered: {seen:?}");
        assert!(source.calls.load(Ordering::SeqCst) >= 2);
        stop.cancel();
        poller.await.unwrap();
    }

    #[test]
    fn tokens_are_long_and_fresh() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_token());
    }
}
