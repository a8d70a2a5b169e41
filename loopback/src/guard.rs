//! The Host and Origin checks (see the crate docs for why).

use http::{header, HeaderMap};
use subtle::ConstantTimeEq;

/// Which `Origin` headers a server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginRule {
    /// None at all: the server has no page of its own (API clients send no `Origin`).
    None,
    /// Only the server's own origin (`http://<its Host>`), for a page it serves itself.
    Own,
}

/// Why a request was refused. The message names what was wrong and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the request has no Host header (this server answers only to 127.0.0.1:{port} or localhost:{port})")]
    NoHost { port: u16 },
    #[error("Host {host:?} refused: this server answers only to 127.0.0.1:{port} or localhost:{port} (a page on another name reaching it is DNS rebinding)")]
    ForeignHost { host: String, port: u16 },
    #[error("Origin {origin:?} refused: {allowed}")]
    Origin {
        origin: String,
        allowed: &'static str,
    },
}

/// The checks for one server, bound to 127.0.0.1 on `port`.
#[derive(Debug, Clone)]
pub struct Guard {
    port: u16,
    origin: OriginRule,
    hosts: [String; 2],
}

impl Guard {
    pub fn new(port: u16, origin: OriginRule) -> Self {
        Self {
            port,
            origin,
            hosts: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
        }
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `Ok` when the request may be served.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let port = self.port;
        let host = headers
            .get(header::HOST)
            .ok_or(Refusal::NoHost { port })?
            .to_str()
            .unwrap_or("");
        if !self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Err(Refusal::ForeignHost {
                host: host.to_owned(),
                port,
            });
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            let allowed = match self.origin {
                OriginRule::None => false,
                OriginRule::Own => {
                    origin.len() == "http://".len() + host.len()
                        && origin[..7].eq_ignore_ascii_case("http://")
                        && origin[7..].eq_ignore_ascii_case(host)
                }
            };
            if !allowed {
                return Err(Refusal::Origin {
                    origin: origin.to_owned(),
                    allowed: match self.origin {
                        OriginRule::None => {
                            "this endpoint is for the AWS SDKs and the AWS CLI, which send no Origin; a browser page may not call it"
                        }
                        OriginRule::Own => "only this server's own page may call it",
                    },
                });
            }
        }
        Ok(())
    }
}

/// Compares two secrets in time that depends only on their lengths.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = host {
            h.insert(header::HOST, HeaderValue::from_str(v).unwrap());
        }
        if let Some(v) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn loopback_hosts_of_the_servers_port_pass() {
        let g = Guard::new(4599, OriginRule::None);
        assert_eq!(g.check(&headers(Some("127.0.0.1:4599"), None)), Ok(()));
        assert_eq!(g.check(&headers(Some("LOCALHOST:4599"), None)), Ok(()));
    }

    #[test]
    fn foreign_or_missing_hosts_are_refused() {
        let g = Guard::new(4599, OriginRule::None);
        for host in [
            "evil.example:4599",
            "127.0.0.1:4598",
            "127.0.0.1",
            "127.0.0.1.nip.io:4599",
            "",
        ] {
            assert!(
                matches!(
                    g.check(&headers(Some(host), None)),
                    Err(Refusal::ForeignHost { .. })
                ),
                "{host:?} passed"
            );
        }
        assert_eq!(
            g.check(&headers(None, None)),
            Err(Refusal::NoHost { port: 4599 })
        );
    }

    #[test]
    fn any_origin_is_refused_when_none_is_allowed() {
        let g = Guard::new(4599, OriginRule::None);
        for origin in ["http://127.0.0.1:4599", "http://evil.example", "null"] {
            let err = g
                .check(&headers(Some("127.0.0.1:4599"), Some(origin)))
                .unwrap_err();
            assert!(matches!(err, Refusal::Origin { .. }), "{origin}: {err}");
            assert!(err.to_string().contains(origin), "{err}");
        }
    }

    #[test]
    fn only_the_own_origin_passes_when_own_is_allowed() {
        let g = Guard::new(8000, OriginRule::Own);
        let host = Some("127.0.0.1:8000");
        assert_eq!(
            g.check(&headers(host, Some("http://127.0.0.1:8000"))),
            Ok(())
        );
        for origin in [
            "http://localhost:8000",
            "https://127.0.0.1:8000",
            "http://127.0.0.1:80001",
            "null",
        ] {
            assert!(
                g.check(&headers(host, Some(origin))).is_err(),
                "{origin} passed"
            );
        }
    }

    #[test]
    fn secrets_compare_by_content_and_length() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
    }
}
