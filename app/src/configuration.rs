//! Settings from environment variables (the contract is in `docs/CONTRACTS.md`).
//!
//! Every variable is parsed up front; a bad value is a [`ConfigError`] naming the variable
//! and the value, and the binary exits with code 2 before anything starts. An empty value
//! counts as unset (as `docker run -e PORT=` would give).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::faults::Faults;
use crate::fd_limit;

/// The service name reported by `GET /`.
pub const SERVICE_NAME: &str = "demo";

/// The commit baked in at build time (`DEMO_GIT_COMMIT`, the Docker build argument).
pub const BUILD_COMMIT: Option<&str> = option_env!("DEMO_GIT_COMMIT");

/// Longest accepted `DEMO_VERSION` / `DEMO_COMMIT` (they end up in every `GET /` body).
const MAX_LABEL_LEN: usize = 128;

/// A variable with a value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var}={value:?}: {reason}")]
pub struct ConfigError {
    /// The environment variable.
    pub var: &'static str,
    /// The value it had (lossy UTF-8).
    pub value: String,
    /// What a good value looks like.
    pub reason: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (CloudWatch).
    Json,
    /// Human-readable lines.
    Text,
    /// JSON unless stdout is a terminal.
    Auto,
}

/// Everything `demo serve` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `HOST` (default `0.0.0.0`).
    pub host: IpAddr,
    /// `PORT` (default 3000; 0 picks a free port, for tests).
    pub port: u16,
    /// `DEMO_VERSION` (default: the crate version).
    pub version: String,
    /// `DEMO_COMMIT` (default: the build's `DEMO_GIT_COMMIT`, else `unknown`).
    pub commit: String,
    /// `DEMO_FAIL_HEALTH`: `/health` answers 503 on purpose.
    pub fail_health: bool,
    /// `DEMO_FAIL_REQUESTS`, `DEMO_FAIL_AFTER_SECS`, `DEMO_SLOW_MS`: the fault modes
    /// ([`crate::faults`]).
    pub faults: Faults,
    /// `DEMO_SHUTDOWN_TIMEOUT_SECS`: how long in-flight requests may take after SIGTERM.
    pub shutdown_timeout: Duration,
    /// `DEMO_REQUEST_TIMEOUT_SECS`: requests slower than this get 408.
    pub request_timeout: Duration,
    /// `DEMO_HEADER_READ_TIMEOUT_SECS`: a client must send its request head (and an idle
    /// keep-alive connection its next request) within this time, or the connection closes.
    pub header_read_timeout: Duration,
    /// `DEMO_MAX_BODY_BYTES`: larger request bodies get 413.
    pub max_body_bytes: usize,
    /// `DEMO_MAX_CONNECTIONS`: the connection cap; unset, it follows from the open-file
    /// limit ([`Settings::connection_cap`]). At the cap, a new connection is admitted by
    /// closing one without a request in flight (`crate::connections`).
    pub max_connections: Option<usize>,
    /// `DEMO_DEBUG_ENDPOINTS`: serve `/debug/delay/{ms}` and `/debug/panic` (off by default).
    pub debug_endpoints: bool,
    /// `DEMO_LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `RUST_LOG` (validated), default `info`.
    pub log_filter: String,
    /// `ECS_CONTAINER_METADATA_URI_V4`.
    pub metadata_uri: Option<http::Uri>,
    /// How long startup waits for the metadata endpoint.
    pub metadata_timeout: Duration,
}

/// Everything `demo healthcheck` needs.
#[derive(Debug, Clone)]
pub struct HealthcheckSettings {
    /// The address probed: `127.0.0.1:$PORT` when `HOST` is unspecified.
    pub addr: SocketAddr,
    /// `DEMO_HEALTHCHECK_TIMEOUT_SECS` (default 3).
    pub timeout: Duration,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_lookup)
    }

    /// Reads settings through `lookup` (a variable name to its value; tests pass a map).
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, ConfigError>,
    ) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        Ok(Self {
            host: env.host()?,
            port: env.parse_or("PORT", 3000, parse_port)?,
            version: env.parse_or(
                "DEMO_VERSION",
                env!("CARGO_PKG_VERSION").to_owned(),
                parse_label,
            )?,
            commit: env.parse_or(
                "DEMO_COMMIT",
                BUILD_COMMIT
                    .filter(|c| !c.trim().is_empty())
                    .unwrap_or("unknown")
                    .trim()
                    .to_owned(),
                parse_label,
            )?,
            fail_health: env.parse_or("DEMO_FAIL_HEALTH", false, parse_bool)?,
            faults: env.faults()?,
            shutdown_timeout: env.parse_or(
                "DEMO_SHUTDOWN_TIMEOUT_SECS",
                Duration::from_secs(20),
                parse_secs,
            )?,
            request_timeout: env.parse_or(
                "DEMO_REQUEST_TIMEOUT_SECS",
                Duration::from_secs(10),
                parse_secs,
            )?,
            header_read_timeout: env.parse_or(
                "DEMO_HEADER_READ_TIMEOUT_SECS",
                Duration::from_secs(30),
                parse_secs,
            )?,
            max_body_bytes: env.parse_or("DEMO_MAX_BODY_BYTES", 64 * 1024, |v| {
                parse_count(v, 1 << 30)
            })?,
            max_connections: env.parse_opt("DEMO_MAX_CONNECTIONS", |v| parse_count(v, 1 << 20))?,
            debug_endpoints: env.parse_or("DEMO_DEBUG_ENDPOINTS", false, parse_bool)?,
            log_format: env.parse_or("DEMO_LOG_FORMAT", LogFormat::Auto, parse_log_format)?,
            log_filter: env.parse_or("RUST_LOG", "info".to_owned(), parse_log_filter)?,
            metadata_uri: env.parse_opt("ECS_CONTAINER_METADATA_URI_V4", parse_http_uri)?,
            metadata_timeout: Duration::from_secs(2),
        })
    }

    /// The address to listen on.
    pub fn listen_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// The connection cap for a soft open-file limit of `nofile_soft`: `DEMO_MAX_CONNECTIONS`
    /// if set (an error if the limit cannot hold that many connections), else
    /// [`fd_limit::default_max_connections`].
    pub fn connection_cap(&self, nofile_soft: u64) -> Result<usize, ConfigError> {
        let allowed = fd_limit::max_connections_allowed(nofile_soft);
        match self.max_connections {
            None => Ok(fd_limit::default_max_connections(nofile_soft)),
            Some(n) if n <= allowed => Ok(n),
            Some(n) => Err(ConfigError {
                var: "DEMO_MAX_CONNECTIONS",
                value: n.to_string(),
                reason: format!(
                    "the open-file limit (RLIMIT_NOFILE) is {nofile_soft} and {} files are kept \
                     for the server itself, so at most {allowed} connections fit; raise the \
                     limit (ulimit -n, or `ulimits` in the task definition) or lower the cap",
                    fd_limit::RESERVED_FDS
                ),
            }),
        }
    }
}

impl HealthcheckSettings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_lookup)
    }

    /// Reads settings through `lookup` (see [`Settings::from_lookup`]).
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, ConfigError>,
    ) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let host = env.host()?;
        let port = env.parse_or("PORT", 3000, parse_port)?;
        if port == 0 {
            return Err(ConfigError {
                var: "PORT",
                value: "0".into(),
                reason: "the health check needs the port the server listens on (1-65535)".into(),
            });
        }
        let host = match host {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            other => other,
        };
        Ok(Self {
            addr: SocketAddr::new(host, port),
            timeout: env.parse_or(
                "DEMO_HEALTHCHECK_TIMEOUT_SECS",
                Duration::from_secs(3),
                parse_secs,
            )?,
        })
    }
}

fn env_lookup(var: &'static str) -> Result<Option<String>, ConfigError> {
    match std::env::var_os(var) {
        None => Ok(None),
        Some(v) => match v.into_string() {
            Ok(s) => Ok(Some(s)),
            Err(raw) => Err(ConfigError {
                var,
                value: raw.to_string_lossy().into_owned(),
                reason: "not valid UTF-8".into(),
            }),
        },
    }
}

struct Env<'a, F>(&'a F);

impl<F> Env<'_, F>
where
    F: Fn(&'static str) -> Result<Option<String>, ConfigError>,
{
    fn parse_opt<T>(
        &self,
        var: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        match (self.0)(var)? {
            Some(value) if !value.is_empty() => parse(&value)
                .map(Some)
                .map_err(|reason| ConfigError { var, value, reason }),
            _ => Ok(None),
        }
    }

    fn parse_or<T>(
        &self,
        var: &'static str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        Ok(self.parse_opt(var, parse)?.unwrap_or(default))
    }

    fn faults(&self) -> Result<Faults, ConfigError> {
        let faults = Faults {
            fail_requests: self.parse_or("DEMO_FAIL_REQUESTS", false, parse_bool)?,
            fail_after: self.parse_opt("DEMO_FAIL_AFTER_SECS", parse_secs)?,
            slow: self.parse_opt("DEMO_SLOW_MS", |v| {
                parse_count(v, 60_000).map(|ms| Duration::from_millis(ms as u64))
            })?,
        };
        if let (Some(after), false) = (faults.fail_after, faults.fail_requests) {
            return Err(ConfigError {
                var: "DEMO_FAIL_AFTER_SECS",
                value: format!("{}", after.as_secs_f64()),
                reason: "it says when DEMO_FAIL_REQUESTS starts failing: set DEMO_FAIL_REQUESTS=1 \
                         too"
                .into(),
            });
        }
        Ok(faults)
    }

    fn host(&self) -> Result<IpAddr, ConfigError> {
        self.parse_or("HOST", IpAddr::V4(Ipv4Addr::UNSPECIFIED), |v| {
            v.parse::<IpAddr>()
                .map_err(|_| "expected an IP address such as 0.0.0.0, 127.0.0.1 or ::".to_owned())
        })
    }
}

fn parse_port(v: &str) -> Result<u16, String> {
    v.parse::<u16>()
        .map_err(|_| "expected a port number from 0 to 65535".to_owned())
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("expected 1/true/yes/on or 0/false/no/off".to_owned()),
    }
}

fn parse_secs(v: &str) -> Result<Duration, String> {
    const HINT: &str =
        "expected a number of seconds greater than 0 and at most 3600, e.g. 20 or 0.5";
    let secs: f64 = v.parse().map_err(|_| HINT.to_owned())?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(HINT.to_owned());
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_count(v: &str, max: usize) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from 1 to {max}")),
    }
}

fn parse_label(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.len() > MAX_LABEL_LEN {
        return Err(format!("longer than {MAX_LABEL_LEN} bytes"));
    }
    if v.chars().any(char::is_control) {
        return Err("contains control characters".to_owned());
    }
    Ok(v.to_owned())
}

fn parse_log_format(v: &str) -> Result<LogFormat, String> {
    match v.to_ascii_lowercase().as_str() {
        "json" => Ok(LogFormat::Json),
        "text" => Ok(LogFormat::Text),
        "auto" => Ok(LogFormat::Auto),
        _ => Err("expected json, text or auto".to_owned()),
    }
}

fn parse_log_filter(v: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::builder()
        .parse(v)
        .map(|_| v.to_owned())
        .map_err(|e| format!("not a log filter ({e}); e.g. info or demo=debug,warn"))
}

fn parse_http_uri(v: &str) -> Result<http::Uri, String> {
    let uri: http::Uri = v
        .parse()
        .map_err(|e| format!("not a URL ({e}); expected http://host[:port]/path"))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(
            "expected an http:// URL with a host, e.g. http://169.254.170.2/v4/<id>".into(),
        );
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&'static str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<&str, String> = vars.iter().map(|(k, v)| (*k, v.to_string())).collect();
        Settings::from_lookup(|var| Ok(map.get(var).cloned()))
    }

    fn healthcheck(vars: &[(&'static str, &str)]) -> Result<HealthcheckSettings, ConfigError> {
        let map: HashMap<&str, String> = vars.iter().map(|(k, v)| (*k, v.to_string())).collect();
        HealthcheckSettings::from_lookup(|var| Ok(map.get(var).cloned()))
    }

    #[test]
    fn defaults_follow_the_contract() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.listen_addr(), "0.0.0.0:3000".parse().unwrap());
        assert_eq!(s.version, env!("CARGO_PKG_VERSION"));
        assert!(!s.fail_health);
        assert_eq!(s.shutdown_timeout, Duration::from_secs(20));
        assert_eq!(s.request_timeout, Duration::from_secs(10));
        assert_eq!(s.log_format, LogFormat::Auto);
        assert_eq!(s.log_filter, "info");
        assert!(s.metadata_uri.is_none());
        assert!(!s.debug_endpoints);
        assert_eq!(s.max_connections, None);
        assert_eq!(s.connection_cap(8_192), Ok(8_128));
    }

    #[test]
    fn an_explicit_cap_must_fit_the_open_file_limit() {
        let s = settings(&[("DEMO_MAX_CONNECTIONS", "2000")]).unwrap();
        assert_eq!(s.connection_cap(4096), Ok(2000));
        let err = s.connection_cap(1024).unwrap_err();
        assert_eq!(
            (err.var, err.value.as_str()),
            ("DEMO_MAX_CONNECTIONS", "2000")
        );
        let msg = err.to_string();
        assert!(
            msg.contains("RLIMIT_NOFILE) is 1024") && msg.contains("at most 960"),
            "{msg}"
        );
    }

    #[test]
    fn values_are_read() {
        let s = settings(&[
            ("HOST", "127.0.0.1"),
            ("PORT", "8081"),
            ("DEMO_VERSION", "v2"),
            ("DEMO_COMMIT", "abc123"),
            ("DEMO_FAIL_HEALTH", "true"),
            ("DEMO_SHUTDOWN_TIMEOUT_SECS", "0.5"),
            ("DEMO_LOG_FORMAT", "JSON"),
            (
                "ECS_CONTAINER_METADATA_URI_V4",
                "http://169.254.170.2/v4/abc",
            ),
        ])
        .unwrap();
        assert_eq!(s.listen_addr(), "127.0.0.1:8081".parse().unwrap());
        assert_eq!((s.version.as_str(), s.commit.as_str()), ("v2", "abc123"));
        assert!(s.fail_health);
        assert_eq!(s.shutdown_timeout, Duration::from_millis(500));
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.metadata_uri.unwrap().host(), Some("169.254.170.2"));
    }

    #[test]
    fn empty_means_unset() {
        let s = settings(&[("PORT", ""), ("DEMO_FAIL_HEALTH", "")]).unwrap();
        assert_eq!(s.port, 3000);
        assert!(!s.fail_health);
    }

    #[test]
    fn bad_values_name_the_variable_and_the_value() {
        for (var, value) in [
            ("PORT", "abc"),
            ("PORT", "70000"),
            ("HOST", "localhost"),
            ("DEMO_FAIL_HEALTH", "maybe"),
            ("DEMO_SHUTDOWN_TIMEOUT_SECS", "0"),
            ("DEMO_REQUEST_TIMEOUT_SECS", "-1"),
            ("DEMO_REQUEST_TIMEOUT_SECS", "NaN"),
            ("DEMO_MAX_BODY_BYTES", "0"),
            ("DEMO_MAX_CONNECTIONS", "lots"),
            ("DEMO_LOG_FORMAT", "xml"),
            ("RUST_LOG", "demo=loud"),
            ("DEMO_VERSION", "v1\nv2"),
            ("ECS_CONTAINER_METADATA_URI_V4", "https://example.com/v4"),
        ] {
            let err = settings(&[(var, value)]).expect_err(var);
            assert_eq!((err.var, err.value.as_str()), (var, value));
            let msg = err.to_string();
            assert!(msg.starts_with(&format!("invalid {var}=")), "{msg}");
            assert!(msg.contains(&format!("{value:?}")), "{msg}");
        }
    }

    #[test]
    fn healthcheck_probes_loopback_when_listening_everywhere() {
        let h = healthcheck(&[("PORT", "4000")]).unwrap();
        assert_eq!(h.addr, "127.0.0.1:4000".parse().unwrap());
        let h = healthcheck(&[("HOST", "::"), ("PORT", "4000")]).unwrap();
        assert_eq!(h.addr, "[::1]:4000".parse().unwrap());
        let h = healthcheck(&[("HOST", "127.0.0.2")]).unwrap();
        assert_eq!(h.addr, "127.0.0.2:3000".parse().unwrap());
        assert_eq!(healthcheck(&[("PORT", "0")]).unwrap_err().var, "PORT");
        assert_eq!(healthcheck(&[("PORT", "x")]).unwrap_err().var, "PORT");
    }
}
