//! The one place that sets up logging: JSON lines (CloudWatch) or readable text, filtered
//! by `RUST_LOG`, on stdout. Panics are logged as events too, so a JSON log stays JSON.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::configuration::LogFormat;

/// Installs the global subscriber. `filter` was validated by the configuration.
pub fn init(format: LogFormat, filter: &str) {
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let filter = EnvFilter::builder()
        .parse(filter)
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout);
    let installed = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init()
    } else {
        builder
            .with_ansi(std::io::stdout().is_terminal())
            .try_init()
    };
    // A second init (tests that build several apps) keeps the first subscriber.
    drop(installed);
    install_panic_hook();
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
