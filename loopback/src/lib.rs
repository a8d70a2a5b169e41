//! The project's loopback HTTP servers (the local stack's AWS API endpoint, `deployer
//! dashboard`) share two things, implemented once here:
//!
//! - [`Guard`]: who may talk to them. A server bound to 127.0.0.1 is still reachable from
//!   any web page the user opens: the page cannot read the answers of another origin, but
//!   its requests are sent, and by DNS rebinding (a name of the attacker's that resolves to
//!   127.0.0.1 a moment later) even the answers become same-origin. Browsers always send the
//!   name they resolved in `Host`, and send `Origin` on cross-origin and on POST requests;
//!   the AWS SDKs and the AWS CLI send `Host: 127.0.0.1:<port>` (or `localhost:<port>`) and
//!   no `Origin`. So a request is served only when its `Host` is this server's own loopback
//!   address, and its `Origin`, if any, is one the server allows (the API allows none; the
//!   dashboard its own page's).
//! - [`serve()`]: an accept loop whose connections get a bound on how long they may take to
//!   send a request head, and on how long they may sit idle between requests, so that
//!   connections that never speak cannot pile up (axum's own `serve` has neither).

mod guard;
mod serve;

pub use guard::{same_secret, Guard, OriginRule, Refusal};
pub use serve::{serve, Limits};
