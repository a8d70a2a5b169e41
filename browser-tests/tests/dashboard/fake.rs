//! A scripted [`Source`]: each poll returns the next snapshot of a script (then keeps the
//! last), records when it was polled and which actions it was asked for. A script can
//! instead be held on one snapshot until the test has seen it on the page and moves it on
//! ([`Fake::held`], [`Fake::next`]): a page shows every step of it however slowly the
//! browser starts or polls.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use deployer::dashboard::snapshot::{
    traffic_percent, DeploymentLine, Forward, LifecycleEvent, Listener, Task, TaskSet,
};
use deployer::dashboard::{ActionKind, ActionRequest, BoxFuture, Snapshot, Source};

#[derive(Default)]
pub struct Log {
    pub polls: Vec<Instant>,
    pub actions: Vec<ActionRequest>,
}

pub struct Fake {
    script: Vec<Snapshot>,
    /// While set, every poll answers this snapshot of the script; else the script moves on
    /// at every poll.
    held_at: Mutex<Option<usize>>,
    pub log: Arc<Mutex<Log>>,
}

impl Fake {
    pub fn new(script: Vec<Snapshot>) -> Arc<Fake> {
        Arc::new(Fake {
            script,
            held_at: Mutex::new(None),
            log: Arc::default(),
        })
    }

    /// A script that stays on its first snapshot until [`Fake::next`]: for a test that
    /// must see each snapshot on the page, however late the browser starts or slowly it
    /// polls (a script that moves on at every poll can be past one before the page
    /// rendered it).
    pub fn held(script: Vec<Snapshot>) -> Arc<Fake> {
        let fake = Fake::new(script);
        *fake.held_at.lock().unwrap() = Some(0);
        fake
    }

    /// The next polls answer the script's next snapshot (held there).
    pub fn next(&self) {
        let mut at = self.held_at.lock().unwrap();
        let i = at.map_or(0, |i| i + 1);
        assert!(i < self.script.len(), "the script has no snapshot {i}");
        *at = Some(i);
    }

    pub fn polls(&self) -> Vec<Instant> {
        self.log.lock().unwrap().polls.clone()
    }

    pub fn actions(&self) -> Vec<ActionRequest> {
        self.log.lock().unwrap().actions.clone()
    }
}

impl Source for Fake {
    fn snapshot(&self) -> BoxFuture<'_, anyhow::Result<Snapshot>> {
        Box::pin(async move {
            let mut log = self.log.lock().unwrap();
            log.polls.push(Instant::now());
            let i = self
                .held_at
                .lock()
                .unwrap()
                .unwrap_or((log.polls.len() - 1).min(self.script.len() - 1));
            let mut s = self.script[i].clone();
            s.taken_at_ms = deployer::dashboard::snapshot::now_ms();
            Ok(s)
        })
    }

    fn act(&self, action: ActionRequest) -> BoxFuture<'_, anyhow::Result<String>> {
        Box::pin(async move {
            let msg = format!("{} sent for {}", action.kind.as_str(), action.deployment_id);
            self.log.lock().unwrap().actions.push(action);
            Ok(msg)
        })
    }
}

// ---- building snapshots ------------------------------------------------------------------

/// A minute before the test started: the scripted deployments' creation time.
pub fn t0() -> u64 {
    static T0: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *T0.get_or_init(|| deployer::dashboard::snapshot::now_ms() - 60_000)
}

pub fn listener(role: &str, port: i32, blue: i32, green: i32) -> Listener {
    let mut forwards = Vec::new();
    if blue > 0 || green == 0 {
        forwards.push(Forward {
            target_group: "demo-blue".into(),
            color: "blue".into(),
            weight: blue,
        });
    }
    if green > 0 {
        forwards.push(Forward {
            target_group: "demo-green".into(),
            color: "green".into(),
            weight: green,
        });
    }
    Listener {
        role: role.into(),
        port: Some(port),
        forwards,
    }
}

pub fn task_set(color: &str, status: &str, version: &str, revision: u32, running: i32) -> TaskSet {
    TaskSet {
        id: format!("ecs-svc/{color}{revision}"),
        status: status.into(),
        target_group: Some(format!("demo-{color}")),
        color: color.into(),
        revision: Some(format!("demo:{revision}")),
        image: Some(format!("demo:{version}")),
        desired: 2,
        pending: 2 - running,
        running,
        scale_percent: Some(100.0),
        traffic_percent: 0.0,
    }
}

pub fn tasks(color: &str, n: usize, health: &str, target_health: &str) -> Vec<Task> {
    (0..n)
        .map(|i| Task {
            id: format!("{color}-task-{i}"),
            task_set: Some(format!("ecs-svc/{color}")),
            color: color.into(),
            availability_zone: Some(format!("local-{}", ['a', 'b'][i % 2])),
            last_status: "RUNNING".into(),
            health: health.into(),
            target_health: target_health.into(),
            target: Some(format!("127.0.0.1:{}", 40000 + i)),
        })
        .collect()
}

pub fn events(statuses: &[(&str, &str)]) -> Vec<LifecycleEvent> {
    statuses
        .iter()
        .map(|(n, s)| LifecycleEvent {
            name: (*n).into(),
            status: (*s).into(),
            start_ms: (*s != "Pending").then_some(t0()),
            end_ms: (*s == "Succeeded" || *s == "Failed").then_some(t0() + 3_000),
        })
        .collect()
}

pub fn line(
    id: &str,
    status: &str,
    rollback_of: Option<&str>,
    error: Option<&str>,
) -> DeploymentLine {
    DeploymentLine {
        id: id.into(),
        status: status.into(),
        created_ms: Some(t0()),
        completed_ms: (status == "Succeeded" || status == "Failed").then_some(t0() + 30_000),
        description: None,
        error: error.map(str::to_owned),
        rollback_of: rollback_of.map(str::to_owned),
    }
}

/// Fills in each task set's traffic share from the production listener.
pub fn finish(mut s: Snapshot) -> Snapshot {
    s.environment = "local".into();
    s.cluster = "demo".into();
    s.service = "demo".into();
    if let Some(prod) = s.listeners.first().cloned() {
        for ts in &mut s.task_sets {
            if let Some(tg) = &ts.target_group {
                ts.traffic_percent = traffic_percent(&prod, tg);
            }
        }
    }
    s
}

pub const EVENTS: [&str; 6] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "AllowTraffic",
];

#[allow(dead_code)]
pub fn all_actions() -> Vec<ActionKind> {
    ActionKind::ALL.to_vec()
}
