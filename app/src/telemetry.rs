//! The one place that sets up logging: JSON lines (CloudWatch) or readable text, filtered
//! by `RUST_LOG`, on stdout. Panics are logged as events too, so a JSON log stays JSON.
//!
//! Lines are formatted on the request path but written by a background thread
//! ([`crate::log_writer`]): a request never waits for a `write(2)`, and under load the
//! thread writes many lines per system call, while a quiet service still logs each line at
//! once. If stdout stalls and the buffer fills, new lines are dropped rather than blocking
//! requests; the count is logged at shutdown.

use std::io::IsTerminal;
use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;

use crate::configuration::LogFormat;
use crate::log_format::JsonLines;
use crate::log_writer::{LogWriter, WriterGuard};

/// Bytes of log lines that may wait for the writer thread (about 4,000 access lines); a
/// memory bound too, allocated only as the buffer fills.
pub const QUEUED_BYTES: usize = 1 << 20;

/// The log writer, when the installed subscriber writes JSON lines through it: the access
/// log writes its lines here directly (`crate::access_log`), past `tracing`'s dispatch.
static JSON_WRITER: OnceLock<LogWriter> = OnceLock::new();

/// Where the access log writes its JSON lines itself; `None` (text logs, or another
/// subscriber was installed first, as in tests) means through a `tracing` event.
pub fn json_writer() -> Option<&'static LogWriter> {
    JSON_WRITER.get()
}

/// Keeps the writer thread; dropping it writes out the queued lines (bounded to about 1 s).
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    writer: WriterGuard,
}

impl LogGuard {
    /// Lines dropped so far because the buffer was full.
    pub fn dropped_lines(&self) -> usize {
        self.writer.dropped_lines()
    }
}

/// Installs the global subscriber. `filter` was validated by the configuration. Fails
/// only when the writer thread cannot be started.
pub fn init(format: LogFormat, filter: &str) -> std::io::Result<LogGuard> {
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let filter = EnvFilter::builder()
        .parse(filter)
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = LogWriter::spawn(std::io::stdout(), QUEUED_BYTES, "demo-log")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer.clone());
    let installed = if json {
        builder.event_format(JsonLines).try_init()
    } else {
        builder
            .with_ansi(std::io::stdout().is_terminal())
            .try_init()
    };
    // A second init (tests that build several apps) keeps the first subscriber, and the
    // access log keeps going through it.
    if installed.is_ok() && json {
        let _ = JSON_WRITER.set(writer);
    }
    install_panic_hook();
    Ok(LogGuard { writer: guard })
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
