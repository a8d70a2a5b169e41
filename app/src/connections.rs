//! The open connections: what each is doing, and which to close when the cap is full.
//!
//! A flood of idle connections must not lock out the load balancer's health checks
//! (a flood that fills the cap must still leave room for them). Each connection is in one of these phases, kept in one atomic word
//! (phase and a millisecond timestamp) that its own task updates without locks:
//!
//! | phase | from | to |
//! | --- | --- | --- |
//! | `WAIT(t)` | accepted at `t`, or the first byte of the next head read | `BUSY` when hyper has the whole head |
//! | `BUSY` | hyper calls the service (the head is complete): a request in flight | `FLUSH` when the response body is done |
//! | `FLUSH` | the response body is done, hyper may still hold bytes of it | `IDLE(t)` when hyper flushed them into the socket |
//! | `IDLE(t)` | keep-alive, nothing of a next request read since `t` | `WAIT` on the next byte |
//! | `SHED` | chosen to be closed (below) | - |
//!
//! (`t` is read from the clock at accept only; phase changes on the request path are
//! stamped by the pressure task, see `UNSTAMPED`.)
//!
//! **At the cap** (`DEMO_MAX_CONNECTIONS`), a new connection is admitted by closing one
//! with no request in flight, as nginx reuses its oldest keep-alive connection when it runs
//! out of connections: the one that has gone longest without a request, `IDLE` since its
//! last response or `WAIT` since it opened or began its head (its request has not started).
//! `BUSY` and `FLUSH` are never chosen. Oldest first, not idle-before-waiting: a client
//! that keeps its connection busy is idle for microseconds between two requests, and must
//! not be closed ahead of a flood of silent connections (bench/flood.py saw it happen). If
//! every connection has a request in flight, new ones wait in the listen backlog.
//!
//! **Near the cap** (7/8 of it or more), a connection gets [`PRESSURE_HEAD_TIMEOUT`] (2 s)
//! instead of `DEMO_HEADER_READ_TIMEOUT_SECS` (30 s) to complete a request head. Why 2 s:
//! a real client sends its head at once, in one flight of segments (16 KiB at most, within
//! TCP's initial window), so it completes within one round trip plus, on a lossy path, a
//! retransmission (Linux's retransmission timeout is 200 ms at least, 1 s before a round
//! trip was measured); 2 s covers that. A slowloris connection, which never completes its
//! head, then holds a slot 2 s instead of 30 s, and at the cap itself it is displaced by the
//! next newcomer anyway. Idle keep-alive connections keep the 30 s bound (they are the first
//! to go at the cap, and a client can reuse them at once, which is their point).
//!
//! **Closing** is `shutdown(SHUT_RD)` on the socket: the connection's task wakes, hyper
//! reads end-of-file and closes the connection itself. The decision is a compare-and-swap
//! on the phase word, so it loses against the connection starting a request: a connection
//! whose next request arrived (bytes waiting in the socket, seen with `MSG_PEEK`) or that
//! left `IDLE`/`WAIT` is skipped; bytes read after the decision are dropped and reported as
//! end-of-file, so no request starts on a connection being closed. (One race is left: a
//! `WAIT` connection whose head completes inside hyper in the microsecond between the
//! decision and hyper calling the service; its request is cancelled, like any request on a
//! connection that closes while the client sends it, RFC 9112 section 9.6.)
//!
//! **Cost per request** without a flood: a few relaxed atomic loads and stores, one
//! compare-and-swap and one reference count on the response body: nothing shared between
//! connections, no lock, no clock read (the pressure task stamps the times, see
//! `UNSTAMPED`). The registry (a lock) is touched once when a connection opens and once
//! when it closes.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// Near the cap, a request head must be complete within this (see the module docs).
pub const PRESSURE_HEAD_TIMEOUT: Duration = Duration::from_secs(2);

/// How often the head bound is checked, and the ages stamped, while near the cap (so the
/// bound is 2 to 2.5 s).
pub const PRESSURE_SWEEP_INTERVAL: Duration = Duration::from_millis(250);

/// At most one log line about closed connections per this interval.
pub const LOG_INTERVAL: Duration = Duration::from_secs(1);

/// Candidates for closing are picked this many at a time (one scan of the registry) ...
const CANDIDATE_BATCH: usize = 64;
/// ... and the batch is thrown away after this long (newer idle connections may have come).
const CANDIDATE_MAX_AGE_MS: u64 = 100;

const PHASE_SHIFT: u32 = 61;
const TIME_MASK: u64 = (1 << PHASE_SHIFT) - 1;
const WAIT: u64 = 0;
const IDLE: u64 = 1;
const BUSY: u64 = 2;
const FLUSH: u64 = 3;
const SHED: u64 = 4;

fn word(phase: u64, ms: u64) -> u64 {
    (phase << PHASE_SHIFT) | (ms & TIME_MASK)
}

fn phase(word: u64) -> u64 {
    word >> PHASE_SHIFT
}

fn since(word: u64) -> u64 {
    word & TIME_MASK
}

/// The time of a phase change on the request path: not read there (it is the one clock
/// read a request would pay for); the pressure task stamps it on its next pass, so ages
/// are late by up to [`PRESSURE_SWEEP_INTERVAL`], and an unstamped connection counts as
/// the youngest.
const UNSTAMPED: u64 = 0;

/// The age order of a phase word: when it began, unstamped ones last.
fn age_key(word: u64) -> u64 {
    match since(word) {
        UNSTAMPED => u64::MAX,
        t => t,
    }
}

/// Milliseconds of `CLOCK_MONOTONIC_COARSE`: a few milliseconds of resolution, enough to
/// order connections, and read from the vDSO without the cost of a precise clock.
fn now_ms() -> u64 {
    use nix::time::{clock_gettime, ClockId};
    match clock_gettime(ClockId::CLOCK_MONOTONIC_COARSE) {
        Ok(t) => (t.tv_sec() as u64) * 1000 + (t.tv_nsec() as u64) / 1_000_000,
        Err(_) => 0,
    }
}

/// What one connection is doing (the phase word of the module docs).
#[derive(Debug)]
pub struct Slot {
    state: AtomicU64,
}

impl Slot {
    fn new(now: u64) -> Self {
        Self {
            state: AtomicU64::new(word(WAIT, now)),
        }
    }

    /// Bytes were read from the socket. Returns false when the connection is being closed:
    /// the bytes must not reach hyper.
    fn on_bytes(&self) -> bool {
        let mut current = self.state.load(Ordering::Relaxed);
        loop {
            match phase(current) {
                // A compare-and-swap: it must lose against the decision to close, and it
                // may lose against the pressure task stamping the idle time (then retry).
                IDLE => match self.state.compare_exchange(
                    current,
                    word(WAIT, UNSTAMPED),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return true,
                    Err(actual) => current = actual,
                },
                SHED => return false,
                _ => return true,
            }
        }
    }

    /// hyper has a complete head and calls the service.
    fn on_request(&self) {
        self.state.store(word(BUSY, 0), Ordering::Release);
    }

    /// The response body is done (or dropped).
    fn on_response_done(&self) {
        let current = self.state.load(Ordering::Relaxed);
        if phase(current) == BUSY {
            // Only this connection's task moves a connection out of BUSY.
            self.state.store(word(FLUSH, 0), Ordering::Release);
        }
    }

    /// hyper flushed its write buffer into the socket.
    fn on_flushed(&self) {
        let current = self.state.load(Ordering::Relaxed);
        if phase(current) == FLUSH {
            // Only this connection's task moves a connection out of FLUSH.
            self.state.store(word(IDLE, UNSTAMPED), Ordering::Release);
        }
    }
}

/// Why connections were closed, counted since the start.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    /// Idle keep-alive connections closed at the cap to admit a new one.
    pub idle: u64,
    /// Connections without a complete head closed at the cap to admit a new one.
    pub waiting: u64,
    /// Connections closed near the cap for not completing a head within
    /// [`PRESSURE_HEAD_TIMEOUT`].
    pub slow_heads: u64,
}

impl Closed {
    /// All closed connections.
    pub fn total(&self) -> u64 {
        self.idle + self.waiting + self.slow_heads
    }

    fn since(&self, earlier: &Closed) -> Closed {
        Closed {
            idle: self.idle - earlier.idle,
            waiting: self.waiting - earlier.waiting,
            slow_heads: self.slow_heads - earlier.slow_heads,
        }
    }
}

struct Entry {
    fd: RawFd,
    slot: Arc<Slot>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    open: HashMap<u64, Entry>,
    /// The oldest closable connections of the last scan: (id, phase word when scanned).
    candidates: VecDeque<(u64, u64)>,
    candidates_at: u64,
    closed: Closed,
}

impl Registry {
    /// One scan: the [`CANDIDATE_BATCH`] connections that have gone longest without a
    /// request in flight (`IDLE` or `WAIT`), oldest first.
    fn refill(&mut self, now: u64) {
        // (since, class, id, word): the longest without a request in flight first, an idle
        // keep-alive connection before a waiting one of the same age.
        let mut all: Vec<(u64, u8, u64, u64)> = self
            .open
            .iter()
            .filter_map(|(id, e)| {
                let w = e.slot.state.load(Ordering::Acquire);
                match phase(w) {
                    IDLE => Some((age_key(w), 0, *id, w)),
                    WAIT => Some((age_key(w), 1, *id, w)),
                    _ => None,
                }
            })
            .collect();
        if all.len() > CANDIDATE_BATCH {
            all.select_nth_unstable(CANDIDATE_BATCH);
            all.truncate(CANDIDATE_BATCH);
        }
        all.sort_unstable();
        self.candidates.clear();
        self.candidates
            .extend(all.into_iter().map(|(_, _, id, w)| (id, w)));
        self.candidates_at = now;
    }
}

/// The registry of open connections (one per server).
pub struct Connections {
    cap: usize,
    near_cap: usize,
    registry: Mutex<Registry>,
    pressure: Notify,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections")
            .field("cap", &self.cap)
            .field("open", &self.open())
            .finish()
    }
}

impl Connections {
    /// A registry for a server that admits `cap` connections.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            near_cap: cap - cap / 8,
            registry: Mutex::new(Registry::default()),
            pressure: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock leaves plain data behind: keep going.
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().open.len()
    }

    /// What was closed to make room, since the start.
    pub fn closed(&self) -> Closed {
        self.lock().closed
    }

    /// Registers an accepted connection; returns its stream (which unregisters itself when
    /// dropped) and its slot (for [`Tracked`]).
    pub fn register(self: &Arc<Self>, stream: TcpStream) -> (TrackedStream, Arc<Slot>) {
        let slot = Arc::new(Slot::new(now_ms()));
        let fd = stream.as_raw_fd();
        let (id, open) = {
            let mut registry = self.lock();
            let id = registry.next_id;
            registry.next_id += 1;
            registry.open.insert(
                id,
                Entry {
                    fd,
                    slot: slot.clone(),
                },
            );
            (id, registry.open.len())
        };
        if open >= self.near_cap {
            self.pressure.notify_one();
        }
        let stream = TrackedStream {
            stream,
            slot: slot.clone(),
            connections: self.clone(),
            id,
        };
        (stream, slot)
    }

    /// Closes the connection that has gone longest without a request in flight (idle, or
    /// without a complete head). Returns false when every connection has a request in
    /// flight.
    pub fn close_oldest(&self) -> bool {
        let now = now_ms();
        let mut guard = self.lock();
        let registry = &mut *guard;
        for _ in 0..2 {
            if registry.candidates.is_empty()
                || now.saturating_sub(registry.candidates_at) > CANDIDATE_MAX_AGE_MS
            {
                registry.refill(now);
            }
            while let Some((id, expected)) = registry.candidates.pop_front() {
                let Some(entry) = registry.open.get(&id) else {
                    continue;
                };
                if entry.slot.state.load(Ordering::Acquire) != expected
                    || next_request_arrived(entry.fd)
                {
                    continue;
                }
                if entry
                    .slot
                    .state
                    .compare_exchange(
                        expected,
                        word(SHED, now),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    )
                    .is_err()
                {
                    continue;
                }
                shut_read(entry.fd);
                if phase(expected) == IDLE {
                    registry.closed.idle += 1;
                } else {
                    registry.closed.waiting += 1;
                }
                self.pressure.notify_one();
                return true;
            }
            // The batch is used up: one fresh scan before giving up.
            registry.candidates_at = 0;
        }
        false
    }

    /// Stamps the phase changes of the request path with the time (see `UNSTAMPED`),
    /// then closes the connections that have been waiting for a complete head longer than
    /// `bound`; returns how many.
    pub fn close_slow_heads(&self, bound: Duration) -> usize {
        let now = now_ms();
        let bound = bound.as_millis() as u64;
        let mut guard = self.lock();
        let registry = &mut *guard;
        let mut closed = 0;
        for entry in registry.open.values() {
            let w = entry.slot.state.load(Ordering::Acquire);
            let p = phase(w);
            if (p == IDLE || p == WAIT) && since(w) == UNSTAMPED {
                // Lost only to the connection's own next phase change, which is fine.
                let _ = entry.slot.state.compare_exchange(
                    w,
                    word(p, now),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
                continue;
            }
            if p != WAIT || now.saturating_sub(since(w)) < bound {
                continue;
            }
            if next_request_arrived(entry.fd) {
                // Bytes waiting: the task has not run yet; not the client's fault.
                continue;
            }
            if entry
                .slot
                .state
                .compare_exchange(w, word(SHED, now), Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                shut_read(entry.fd);
                closed += 1;
            }
        }
        registry.closed.slow_heads += closed as u64;
        closed
    }

    fn unregister(&self, id: u64) {
        self.lock().open.remove(&id);
    }

    /// Runs while the server does: near the cap, applies the shorter head bound every
    /// [`PRESSURE_SWEEP_INTERVAL`]; logs what was closed, at most once per [`LOG_INTERVAL`].
    /// Sleeps on a notification while far from the cap and nothing is left to log.
    pub async fn watch_pressure(self: Arc<Self>) {
        let mut logged = Closed::default();
        let mut last_log: Option<tokio::time::Instant> = None;
        loop {
            let near = self.open() >= self.near_cap;
            if near {
                // With DEMO_HEADER_READ_TIMEOUT_SECS below this bound, hyper's own timer
                // closes slow heads first; the pass still stamps the ages.
                self.close_slow_heads(PRESSURE_HEAD_TIMEOUT);
            }
            let (closed, open) = {
                let registry = self.lock();
                (registry.closed, registry.open.len())
            };
            let pending = closed != logged;
            let may_log = last_log.is_none_or(|t| t.elapsed() >= LOG_INTERVAL);
            if pending && may_log {
                let new = closed.since(&logged);
                tracing::warn!(
                    closed_idle = new.idle,
                    closed_waiting = new.waiting,
                    closed_slow_heads = new.slow_heads,
                    closed_total = closed.total(),
                    open,
                    max_connections = self.cap,
                    "connection cap reached: closed connections without a request in flight"
                );
                logged = closed;
                last_log = Some(tokio::time::Instant::now());
            }
            if near || closed != logged {
                tokio::time::sleep(PRESSURE_SWEEP_INTERVAL).await;
            } else {
                self.pressure.notified().await;
            }
        }
    }
}

/// Whether bytes are waiting in the socket (a request arrived that the connection's task
/// has not read yet).
fn next_request_arrived(fd: RawFd) -> bool {
    use nix::sys::socket::{recv, MsgFlags};
    let mut byte = [0u8; 1];
    matches!(
        recv(fd, &mut byte, MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT),
        Ok(n) if n > 0
    )
}

/// Makes the connection's reads return end-of-file, which wakes its task; hyper then
/// closes it. Called with the registry locked, so `fd` is still this connection's socket.
fn shut_read(fd: RawFd) {
    use nix::sys::socket::{shutdown, Shutdown};
    if let Err(e) = shutdown(fd, Shutdown::Read) {
        tracing::debug!(error = %e, "shutdown(SHUT_RD) of a connection to close failed");
    }
}

/// A connection's socket, registered in [`Connections`] while it lives. Reports the
/// bytes it reads to the connection's [`Slot`].
pub struct TrackedStream {
    stream: TcpStream,
    slot: Arc<Slot>,
    connections: Arc<Connections>,
    id: u64,
}

impl Drop for TrackedStream {
    fn drop(&mut self) {
        // Runs before `stream` closes its socket: once unregistered, nobody else uses the fd.
        self.connections.unregister(self.id);
    }
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            if buf.filled().len() > before && !this.slot.on_bytes() {
                // Being closed: no request starts here; hyper sees end-of-file.
                buf.set_filled(before);
            }
        }
        result
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.stream).poll_flush(cx);
        if let Poll::Ready(Ok(())) = result {
            // hyper flushes the socket only once its own write buffer is empty.
            this.slot.on_flushed();
        }
        result
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A connection's service: marks the request in flight from the call until its response
/// body is done.
#[derive(Debug, Clone)]
pub struct Tracked<S> {
    inner: S,
    slot: Arc<Slot>,
}

impl<S> Tracked<S> {
    /// Wraps the service of the connection that `slot` describes.
    pub fn new(inner: S, slot: Arc<Slot>) -> Self {
        Self { inner, slot }
    }
}

impl<S, ReqBody, ResBody> hyper::service::Service<Request<ReqBody>> for Tracked<S>
where
    S: hyper::service::Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<TrackedBody<ResBody>>;
    type Error = S::Error;
    type Future = TrackedFuture<S::Future>;

    fn call(&self, req: Request<ReqBody>) -> Self::Future {
        self.slot.on_request();
        TrackedFuture {
            inner: self.inner.call(req),
            slot: Some(self.slot.clone()),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Tracked`].
    pub struct TrackedFuture<F> {
        #[pin]
        inner: F,
        slot: Option<Arc<Slot>>,
    }
}

impl<F, B, E> Future for TrackedFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<TrackedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(cx));
        let slot = this.slot.take().expect("polled after completion");
        Poll::Ready(match result {
            Ok(response) => Ok(response.map(|inner| TrackedBody { inner, slot })),
            Err(e) => {
                slot.on_response_done();
                Err(e)
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that tells its connection's [`Slot`] when it is done (dropped).
    pub struct TrackedBody<B> {
        #[pin]
        inner: B,
        slot: Arc<Slot>,
    }

    impl<B> PinnedDrop for TrackedBody<B> {
        fn drop(this: Pin<&mut Self>) {
            this.slot.on_response_done();
        }
    }
}

impl<B: Body> Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phase_word_keeps_phase_and_time_apart() {
        let w = word(IDLE, 123_456_789);
        assert_eq!((phase(w), since(w)), (IDLE, 123_456_789));
        assert_eq!(phase(word(SHED, u64::MAX)), SHED);
    }

    #[test]
    fn a_slot_follows_a_request() {
        let slot = Slot::new(5);
        assert_eq!(phase(slot.state.load(Ordering::Relaxed)), WAIT);
        assert!(slot.on_bytes());
        assert_eq!(slot.state.load(Ordering::Relaxed), word(WAIT, 5));
        slot.on_request();
        assert_eq!(phase(slot.state.load(Ordering::Relaxed)), BUSY);
        // Flushing a response head or a body chunk does not end the request.
        slot.on_flushed();
        assert_eq!(phase(slot.state.load(Ordering::Relaxed)), BUSY);
        slot.on_response_done();
        assert_eq!(phase(slot.state.load(Ordering::Relaxed)), FLUSH);
        slot.on_flushed();
        assert_eq!(slot.state.load(Ordering::Relaxed), word(IDLE, UNSTAMPED));
        assert!(slot.on_bytes());
        assert_eq!(slot.state.load(Ordering::Relaxed), word(WAIT, UNSTAMPED));
    }

    #[test]
    fn bytes_read_after_the_decision_to_close_are_refused() {
        let slot = Slot::new(5);
        slot.state.store(word(SHED, 7), Ordering::Relaxed);
        assert!(!slot.on_bytes());
        slot.on_response_done();
        slot.on_flushed();
        assert_eq!(phase(slot.state.load(Ordering::Relaxed)), SHED);
    }

    #[test]
    fn closing_order_is_oldest_first_idle_before_waiting_of_the_same_age() {
        let mut registry = Registry::default();
        for (id, w) in [
            (1, word(WAIT, 10)),
            (2, word(IDLE, 50)),
            (3, word(BUSY, 0)),
            (4, word(IDLE, 20)),
            (5, word(FLUSH, 0)),
            (6, word(WAIT, 5)),
            (7, word(SHED, 1)),
            (8, word(IDLE, 10)),
            (9, word(IDLE, UNSTAMPED)),
        ] {
            registry.open.insert(
                id,
                Entry {
                    fd: -1,
                    slot: Arc::new(Slot {
                        state: AtomicU64::new(w),
                    }),
                },
            );
        }
        registry.refill(100);
        let order: Vec<u64> = registry.candidates.iter().map(|(id, _)| *id).collect();
        assert_eq!(order, [6, 8, 1, 4, 2, 9]);
    }
}
