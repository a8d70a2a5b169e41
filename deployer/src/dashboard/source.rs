//! Where snapshots come from: a [`Source`]. The real one reads the stack through the
//! deployer's AWS layer (the same calls as `deployer status`, on AWS or on `deployer
//! local`); tests use a scripted fake. The server never talks to AWS itself.

#![warn(unreachable_pub)]

use std::future::Future;
use std::pin::Pin;

use super::snapshot::{ActionKind, Snapshot};

/// A boxed future that can cross threads (what [`Source`]'s methods return, so the
/// server can hold an `Arc<dyn Source>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One action asked for by the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    pub kind: ActionKind,
    /// The deployment the page showed when the user confirmed (the action is refused
    /// by the source when another deployment is in flight by then).
    pub deployment_id: String,
}

/// The stack the dashboard shows.
pub trait Source: Send + Sync + 'static {
    /// One poll of the stack. Called by the server's single poller, never faster than
    /// its interval, whatever the number of pages open.
    fn snapshot(&self) -> BoxFuture<'_, anyhow::Result<Snapshot>>;

    /// Carries out an action; the answer is a sentence for the page. Errors that are the
    /// user's (wrong deployment, wrong state) carry [`crate::exit::BadInput`].
    fn act(&self, action: ActionRequest) -> BoxFuture<'_, anyhow::Result<String>>;
}
