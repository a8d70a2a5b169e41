//! The "load balancer": two target groups (`demo-blue`, `demo-green`) whose targets are
//! health-checked over HTTP `GET /health` like an NLB target group with an HTTP health
//! check, and the listeners (production, optional test) that forward to one of them.
//!
//! The proxy's hot path ([`Lb::targets_for`]) takes two short read locks and clones an
//! `Arc`; health changes rebuild the per-group lists.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::names::{Names, TG_NAMES};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetState {
    Initial,
    Healthy,
    Unhealthy,
}

impl TargetState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TargetState::Initial => "initial",
            TargetState::Healthy => "healthy",
            TargetState::Unhealthy => "unhealthy",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) task_id: String,
    pub(crate) addr: SocketAddr,
    pub(crate) state: TargetState,
    /// ELBv2 reason code (`Elb.InitialHealthChecking`, `Target.ResponseCodeMismatch`, ...).
    pub(crate) reason: Option<&'static str>,
    pub(crate) description: Option<String>,
    ok: u32,
    fail: u32,
    cancel: CancellationToken,
}

#[derive(Debug)]
pub(crate) struct TargetGroup {
    pub(crate) name: &'static str,
    pub(crate) arn: String,
    targets: Mutex<Vec<Target>>,
    /// Healthy targets; when none is healthy, every registered target (an NLB fails open).
    routable: RwLock<Arc<Vec<SocketAddr>>>,
    rr: AtomicUsize,
}

#[derive(Debug)]
pub(crate) struct Listener {
    pub(crate) arn: String,
    /// "prod" or "test".
    pub(crate) kind: &'static str,
    pub(crate) port: u16,
    /// Index into [`Lb::tgs`] of the group it forwards to.
    tg: AtomicUsize,
}

impl Listener {
    pub(crate) fn target_group(&self) -> usize {
        self.tg.load(Ordering::Acquire)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct HealthSettings {
    pub(crate) interval: Duration,
    pub(crate) timeout: Duration,
    pub(crate) healthy_threshold: u32,
    pub(crate) unhealthy_threshold: u32,
}

#[derive(Debug)]
pub(crate) struct Lb {
    pub(crate) tgs: [TargetGroup; 2],
    pub(crate) listeners: Vec<Listener>,
    pub(crate) health: HealthSettings,
    client: reqwest::Client,
}

impl Lb {
    /// `listeners`: (kind, actual port) pairs; both start on `demo-blue`.
    pub(crate) fn new(
        names: &Names,
        listeners: &[(&'static str, u16)],
        health: HealthSettings,
    ) -> anyhow::Result<Lb> {
        let tg = |name: &'static str| TargetGroup {
            name,
            arn: names.tg_arn(name),
            targets: Mutex::new(Vec::new()),
            routable: RwLock::new(Arc::new(Vec::new())),
            rr: AtomicUsize::new(0),
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(health.timeout)
            .build()?;
        Ok(Lb {
            tgs: [tg(TG_NAMES[0]), tg(TG_NAMES[1])],
            listeners: listeners
                .iter()
                .map(|&(kind, port)| Listener {
                    arn: names.listener_arn(kind),
                    kind,
                    port,
                    tg: AtomicUsize::new(0),
                })
                .collect(),
            health,
            client,
        })
    }

    pub(crate) fn listener(&self, kind: &str) -> Option<&Listener> {
        self.listeners.iter().find(|l| l.kind == kind)
    }

    /// Points a listener at a target group (ModifyListener, as CodeDeploy does it).
    pub(crate) fn switch(&self, kind: &str, tg: usize) {
        if let Some(l) = self.listener(kind) {
            let old = l.tg.swap(tg, Ordering::AcqRel);
            if old != tg {
                tracing::info!(
                    target: "elb",
                    "{kind} listener :{} now forwards to {} (was {})",
                    l.port,
                    TG_NAMES[tg],
                    TG_NAMES[old]
                );
            }
        }
    }

    /// Where a new connection on listener `idx` may go, and a round-robin start index.
    pub(crate) fn targets_for(&self, idx: usize) -> (Arc<Vec<SocketAddr>>, usize) {
        let tg = &self.tgs[self.listeners[idx].target_group()];
        let list = deployer_models::sync::read(&tg.routable).clone();
        let start = tg.rr.fetch_add(1, Ordering::Relaxed);
        (list, start)
    }

    /// Registers a target (a task's address) and starts health-checking it.
    pub(crate) fn register(self: &Arc<Self>, tg: usize, task_id: &str, addr: SocketAddr) {
        let cancel = CancellationToken::new();
        {
            let mut targets = self.tgs[tg].lock();
            if targets.iter().any(|t| t.task_id == task_id) {
                return;
            }
            targets.push(Target {
                task_id: task_id.to_string(),
                addr,
                state: TargetState::Initial,
                reason: Some("Elb.InitialHealthChecking"),
                description: Some("Initial health checks in progress".into()),
                ok: 0,
                fail: 0,
                cancel: cancel.clone(),
            });
        }
        self.tgs[tg].rebuild();
        tracing::info!(target: "elb", "{}: registered {addr} (task {task_id})", TG_NAMES[tg]);
        let lb = Arc::clone(self);
        let task_id = task_id.to_string();
        tokio::spawn(async move {
            loop {
                let result = lb.check(addr).await;
                if !lb.tgs[tg].record(&task_id, result, &lb.health) {
                    break;
                }
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(lb.health.interval) => {}
                }
            }
        });
    }

    /// Removes a target; connections already forwarded to it keep going.
    pub(crate) fn deregister(&self, tg: usize, task_id: &str) {
        let removed = {
            let mut targets = self.tgs[tg].lock();
            let before = targets.len();
            targets.retain(|t| {
                if t.task_id == task_id {
                    t.cancel.cancel();
                    false
                } else {
                    true
                }
            });
            before != targets.len()
        };
        if removed {
            self.tgs[tg].rebuild();
            tracing::info!(target: "elb", "{}: deregistered task {task_id}", TG_NAMES[tg]);
        }
    }

    pub(crate) fn targets(&self, tg: usize) -> Vec<Target> {
        self.tgs[tg].lock().clone()
    }

    pub(crate) fn target_state(&self, tg: usize, task_id: &str) -> Option<TargetState> {
        self.tgs[tg]
            .lock()
            .iter()
            .find(|t| t.task_id == task_id)
            .map(|t| t.state)
    }

    /// One HTTP health check: 200-399 within the timeout passes (the NLB matcher default).
    async fn check(&self, addr: SocketAddr) -> Result<(), (&'static str, String)> {
        let url = format!("http://{addr}/health");
        match self.client.get(&url).send().await {
            Ok(resp) if resp.status().as_u16() < 400 => Ok(()),
            Ok(resp) => Err((
                "Target.ResponseCodeMismatch",
                format!(
                    "Health checks failed with these codes: [{}]",
                    resp.status().as_u16()
                ),
            )),
            Err(e) if e.is_timeout() => Err(("Target.Timeout", "Request timed out".to_string())),
            Err(_) => Err((
                "Target.FailedHealthChecks",
                "Health checks failed".to_string(),
            )),
        }
    }
}

impl TargetGroup {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Target>> {
        deployer_models::sync::lock(&self.targets)
    }

    /// Applies one check result; false when the target is no longer registered.
    fn record(
        &self,
        task_id: &str,
        result: Result<(), (&'static str, String)>,
        h: &HealthSettings,
    ) -> bool {
        let changed = {
            let mut targets = self.lock();
            let Some(t) = targets.iter_mut().find(|t| t.task_id == task_id) else {
                return false;
            };
            let before = t.state;
            match result {
                Ok(()) => {
                    t.ok += 1;
                    t.fail = 0;
                    if t.state != TargetState::Healthy && t.ok >= h.healthy_threshold {
                        t.state = TargetState::Healthy;
                        t.reason = None;
                        t.description = None;
                    }
                }
                Err((reason, description)) => {
                    t.fail += 1;
                    t.ok = 0;
                    if t.state != TargetState::Unhealthy && t.fail >= h.unhealthy_threshold {
                        t.state = TargetState::Unhealthy;
                    }
                    if t.state == TargetState::Unhealthy {
                        t.reason = Some(reason);
                        t.description = Some(description);
                    }
                }
            }
            if before != t.state {
                tracing::info!(
                    target: "elb",
                    "{}: target {} (task {task_id}) is {}",
                    self.name,
                    t.addr,
                    t.state.as_str()
                );
            }
            before != t.state
        };
        if changed {
            self.rebuild();
        }
        true
    }

    fn rebuild(&self) {
        let list: Vec<SocketAddr> = {
            let targets = self.lock();
            let healthy: Vec<SocketAddr> = targets
                .iter()
                .filter(|t| t.state == TargetState::Healthy)
                .map(|t| t.addr)
                .collect();
            if healthy.is_empty() {
                targets.iter().map(|t| t.addr).collect()
            } else {
                healthy
            }
        };
        *deployer_models::sync::write(&self.routable) = Arc::new(list);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lb() -> Lb {
        Lb::new(
            &Names {
                region: "us-east-1".into(),
            },
            &[("prod", 8080), ("test", 8081)],
            HealthSettings {
                interval: Duration::from_secs(1),
                timeout: Duration::from_secs(1),
                healthy_threshold: 2,
                unhealthy_threshold: 3,
            },
        )
        .expect("lb")
    }

    fn add(tg: &TargetGroup, id: &str, port: u16) {
        tg.lock().push(Target {
            task_id: id.into(),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            state: TargetState::Initial,
            reason: None,
            description: None,
            ok: 0,
            fail: 0,
            cancel: CancellationToken::new(),
        });
        tg.rebuild();
    }

    fn ports(lb: &Lb, listener: usize) -> Vec<u16> {
        let mut p: Vec<u16> = lb
            .targets_for(listener)
            .0
            .iter()
            .map(|a| a.port())
            .collect();
        p.sort();
        p
    }

    const FAIL: Result<(), (&str, String)> = Err(("Target.Timeout", String::new()));

    #[test]
    fn thresholds_decide_health_and_routing_fails_open() {
        let lb = lb();
        let (h, blue) = (&lb.health.clone(), &lb.tgs[0]);
        add(blue, "a", 1001);
        add(blue, "b", 1002);
        // Nothing healthy yet: an NLB routes to every registered target.
        assert_eq!(ports(&lb, 0), [1001, 1002]);
        assert!(blue.record("a", Ok(()), h));
        assert_eq!(
            lb.target_state(0, "a"),
            Some(TargetState::Initial),
            "one success is not enough"
        );
        blue.record("a", Ok(()), h);
        assert_eq!(lb.target_state(0, "a"), Some(TargetState::Healthy));
        assert_eq!(
            ports(&lb, 0),
            [1001],
            "only healthy targets get new connections"
        );
        blue.record("a", FAIL, h);
        blue.record("a", FAIL, h);
        assert_eq!(
            lb.target_state(0, "a"),
            Some(TargetState::Healthy),
            "two failures of three"
        );
        blue.record("a", FAIL, h);
        assert_eq!(lb.target_state(0, "a"), Some(TargetState::Unhealthy));
        assert_eq!(lb.targets(0)[0].reason, Some("Target.Timeout"));
        assert_eq!(ports(&lb, 0), [1001, 1002], "all unhealthy: fail open");
        assert!(
            !blue.record("gone", Ok(()), h),
            "unknown targets stop their checker"
        );
    }

    #[test]
    fn listeners_switch_target_groups_independently() {
        let lb = lb();
        add(&lb.tgs[0], "blue", 2001);
        add(&lb.tgs[1], "green", 2002);
        assert_eq!(ports(&lb, 0), [2001]);
        lb.switch("test", 1);
        assert_eq!(ports(&lb, 0), [2001]);
        assert_eq!(ports(&lb, 1), [2002]);
        lb.switch("prod", 1);
        assert_eq!(ports(&lb, 0), [2002]);
        lb.deregister(1, "green");
        assert!(
            ports(&lb, 0).is_empty(),
            "no target: the connection is refused"
        );
    }
}
