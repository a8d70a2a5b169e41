//! The one place that sets up logging: JSON lines (CloudWatch) or readable text, filtered
//! by `RUST_LOG`, on stdout. Panics are logged as events too, so a JSON log stays JSON.
//!
//! Lines are formatted on the request path but written by a background thread
//! (tracing-appender's non-blocking writer): a request never waits for a `write(2)`, and
//! under load the thread writes many lines per system call (it flushes whenever its
//! queue is empty, so a quiet service still logs each line at once). If stdout stalls and
//! the queue fills, new lines are dropped rather than blocking requests; the count is
//! logged at shutdown.

use std::io::{BufWriter, IsTerminal};
use std::sync::OnceLock;

use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::configuration::LogFormat;
use crate::log_format::JsonLines;

/// Lines that may wait for the writer thread. The queue's slots are allocated up front, so
/// this is also a memory bound (about 40 bytes a slot, plus the lines themselves).
pub const QUEUED_LINES: usize = 8192;

/// The log writer, when the installed subscriber writes JSON lines through it: the access
/// log writes its lines here directly (`crate::access_log`), past `tracing`'s dispatch.
static JSON_WRITER: OnceLock<NonBlocking> = OnceLock::new();

/// Where the access log writes its JSON lines itself; `None` (text logs, or another
/// subscriber was installed first, as in tests) means through a `tracing` event.
pub fn json_writer() -> Option<&'static NonBlocking> {
    JSON_WRITER.get()
}

/// Keeps the writer thread; dropping it writes out the queued lines (bounded to about 1 s).
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _worker: WorkerGuard,
    dropped: ErrorCounter,
}

impl LogGuard {
    /// Lines dropped so far because the queue was full.
    pub fn dropped_lines(&self) -> usize {
        self.dropped.dropped_lines()
    }
}

/// Installs the global subscriber. `filter` was validated by the configuration.
pub fn init(format: LogFormat, filter: &str) -> LogGuard {
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let filter = EnvFilter::builder()
        .parse(filter)
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, worker) = NonBlockingBuilder::default()
        .buffered_lines_limit(QUEUED_LINES)
        .lossy(true)
        .thread_name("demo-log")
        .finish(BufWriter::with_capacity(64 * 1024, std::io::stdout()));
    let dropped = writer.error_counter();
    let direct = writer.clone();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = if json {
        let installed = builder.event_format(JsonLines).try_init();
        if installed.is_ok() {
            let _ = JSON_WRITER.set(direct);
        }
        installed
    } else {
        builder
            .with_ansi(std::io::stdout().is_terminal())
            .try_init()
    };
    // A second init (tests that build several apps) keeps the first subscriber.
    drop(installed);
    install_panic_hook();
    LogGuard {
        _worker: worker,
        dropped,
    }
}

/// Logs panics as `error` events (with location) instead of raw stderr text.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(non-string panic payload)");
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        tracing::error!(panic = message, location, "panic");
    }));
}
