//! Shared state of the handlers: the pre-rendered `GET /` bodies and the health switches.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;

use crate::configuration::{Settings, SERVICE_NAME};
use crate::faults::Active;
use crate::metadata::TaskInfo;

/// Who answers `GET /` (the JSON shape is in `docs/CONTRACTS.md`).
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// Always `demo`.
    pub service: &'static str,
    /// `DEMO_VERSION`.
    pub version: String,
    /// `DEMO_COMMIT` or the build's commit.
    pub commit: String,
    /// The machine (container) hostname.
    pub hostname: String,
    /// The ECS task, when the metadata endpoint answered.
    pub task: Option<TaskInfo>,
}

impl Identity {
    /// The identity for `settings`, with the task found at startup (if any).
    pub fn new(settings: &Settings, hostname: String, task: Option<TaskInfo>) -> Self {
        Self {
            service: SERVICE_NAME,
            version: settings.version.clone(),
            commit: settings.commit.clone(),
            hostname,
            task,
        }
    }

    /// The one-line answer for curl (ends with a newline).
    pub fn to_line(&self) -> String {
        let who = match &self.task {
            Some(t) => format!(
                "task {} in {} (image {})",
                t.id, t.availability_zone, t.image
            ),
            None => format!("host {}", self.hostname),
        };
        format!(
            "{} version {} (commit {}) answered from {who}\n",
            self.service, self.version, self.commit
        )
    }
}

/// Cheap to clone: one `Arc`.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    identity: Identity,
    index_text: Bytes,
    index_json: Bytes,
    fail_health: bool,
    draining: AtomicBool,
    /// Behind the `Arc` rather than in the request path's service, which is moved on every
    /// request: there it cost /health ~60 instructions of copying (callgrind).
    faults: Option<Active>,
}

impl AppState {
    /// Renders the `GET /` bodies once.
    pub fn new(identity: Identity, fail_health: bool) -> Self {
        Self::with_faults(identity, fail_health, None)
    }

    /// Like [`AppState::new`], with the fault modes in force (`crate::faults`).
    pub fn with_faults(identity: Identity, fail_health: bool, faults: Option<Active>) -> Self {
        let index_text = Bytes::from(identity.to_line());
        let mut json = serde_json::to_vec(&identity).expect("Identity serializes");
        json.push(b'\n');
        Self(Arc::new(Inner {
            identity,
            index_text,
            index_json: Bytes::from(json),
            fail_health,
            draining: AtomicBool::new(false),
            faults,
        }))
    }

    /// The fault modes in force, if any.
    pub fn faults(&self) -> Option<&Active> {
        self.0.faults.as_ref()
    }

    /// Who we are.
    pub fn identity(&self) -> &Identity {
        &self.0.identity
    }

    /// The readable `GET /` body.
    pub fn index_text(&self) -> Bytes {
        self.0.index_text.clone()
    }

    /// The JSON `GET /` body.
    pub fn index_json(&self) -> Bytes {
        self.0.index_json.clone()
    }

    /// `DEMO_FAIL_HEALTH` is on.
    pub fn fail_health(&self) -> bool {
        self.0.fail_health
    }

    /// Shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.0.draining.load(Ordering::Relaxed)
    }

    /// Marks the start of shutdown: `/health` answers 503 from now on.
    pub fn start_draining(&self) {
        self.0.draining.store(true, Ordering::Relaxed);
    }
}
