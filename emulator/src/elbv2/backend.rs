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

use crate::names::{Names, ACCOUNT_ID, CONTAINER_PORT, TG_NAMES};
use crate::wire::error::{AwsError, ErrorCode};
use crate::wire::validation::Constraints;

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
    /// The stack's names (region, the ARNs of the load balancer and its parts).
    names: Names,
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
            names: names.clone(),
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

    /// A target in a given state, without health checks (tests on a bare load balancer).
    #[cfg(test)]
    pub(crate) fn add_target(
        &self,
        tg: usize,
        task_id: &str,
        addr: SocketAddr,
        state: TargetState,
    ) {
        self.tgs[tg].lock().push(Target {
            task_id: task_id.into(),
            addr,
            state,
            reason: (state == TargetState::Initial).then_some("Elb.InitialHealthChecking"),
            description: None,
            ok: 0,
            fail: 0,
            cancel: CancellationToken::new(),
        });
        self.tgs[tg].rebuild();
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

// ------------------------------------------------------------------ the API's operations
//
// The read operations of the ELBv2 API (2015-12-01) over this load balancer, with AWS's
// validation and error codes, each rule citing the API reference
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_<Operation>.html)
// or botocore's input shape (`elbv2/2015-12-01/service-2.json`). Every check is made before
// anything is read; nothing here changes state.

/// ELBv2 error codes this stack answers with (the API reference's "Errors" of each
/// operation; the common ValidationError for the model's constraints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum Error {
    LoadBalancerNotFound,
    ListenerNotFound,
    TargetGroupNotFound,
    RuleNotFound,
    InvalidTarget,
    ValidationError,
}
impl ErrorCode for Error {}

pub(crate) type ElbResult<T> = Result<T, AwsError<Error>>;

fn invalid(message: impl Into<String>) -> AwsError<Error> {
    AwsError::new(Error::ValidationError, message)
}

/// The load balancer's name (Terraform's `var.name`), in its ARN and DNS name.
pub(crate) const LB_NAME: &str = "demo";

/// The largest page (botocore: `PageSize` min 1, max 400), also the page when none is asked.
const MAX_PAGE: i64 = 400;

/// `Marker` and `PageSize` of a Describe call.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Paging<'a> {
    pub(crate) marker: Option<&'a str>,
    pub(crate) page_size: Option<i64>,
}

/// One page of an answer and the marker of the next (`NextMarker`), if there is one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_marker: Option<String>,
}

impl Paging<'_> {
    /// `PageSize` from 1 to 400 (botocore's shape; AWS answers the model's validation
    /// message).
    fn check(&self) -> ElbResult<()> {
        let mut c = Constraints::default();
        if let Some(n) = self.page_size {
            c.range("pageSize", n, 1, MAX_PAGE);
        }
        c.check(Error::ValidationError)
    }

    /// The page of `items` this marker and size ask for. A marker is the one a previous
    /// page handed out (`NextMarker`, opaque to the caller: here the offset of the page);
    /// any other is refused, as AWS refuses a marker it did not write.
    fn page<T>(&self, items: Vec<T>) -> ElbResult<Page<T>> {
        let start = match self.marker {
            None => 0,
            Some(m) => m
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= items.len())
                .ok_or_else(|| invalid(format!("The marker '{m}' is not valid")))?,
        };
        let size = usize::try_from(self.page_size.unwrap_or(MAX_PAGE)).unwrap_or(1);
        let end = start.saturating_add(size).min(items.len());
        let next_marker = (end < items.len()).then(|| end.to_string());
        let items = items.into_iter().skip(start).take(end - start).collect();
        Ok(Page { items, next_marker })
    }
}

/// What an ELBv2 ARN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArnKind {
    LoadBalancer,
    Listener,
    Rule,
    TargetGroup,
}

impl ArnKind {
    fn noun(self) -> &'static str {
        match self {
            ArnKind::LoadBalancer => "load balancer",
            ArnKind::Listener => "listener",
            ArnKind::Rule => "listener rule",
            ArnKind::TargetGroup => "target group",
        }
    }
}

/// A load balancer or target group name: 1 to 32 letters, digits and hyphens, not
/// starting or ending with a hyphen (CreateLoadBalancer's and CreateTargetGroup's `Name`).
fn valid_name(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// The 16 hexadecimal digits AWS gives each load balancer, listener, rule and target group.
fn valid_id(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What `arn` names, when it is an ELBv2 ARN of this stack's partition, region and
/// account: `arn:aws:elasticloadbalancing:<region>:<account>:` then
/// `loadbalancer/<type>/<name>/<id>`, `listener/<type>/<name>/<lb id>/<id>`,
/// `listener-rule/<type>/<name>/<lb id>/<listener id>/<id>` or
/// `targetgroup/<name>/<id>` (the ARN formats of the ELBv2 user guide's IAM page). An ARN
/// of another region or account is not valid either: AWS answers ValidationError
/// "'arn:...' is not a valid load balancer ARN" for a well-formed ARN of another account
/// (seen from DescribeLoadBalancers and DescribeListeners).
fn arn_kind(names: &Names, arn: &str) -> Option<ArnKind> {
    let rest = arn.strip_prefix("arn:aws:elasticloadbalancing:")?;
    let (region, rest) = rest.split_once(':')?;
    let (account, resource) = rest.split_once(':')?;
    if region != names.region || account != ACCOUNT_ID {
        return None;
    }
    let parts: Vec<&str> = resource.split('/').collect();
    let lb_type = |t: &str| matches!(t, "net" | "app" | "gwy");
    match parts.as_slice() {
        ["loadbalancer", t, name, id] if lb_type(t) && valid_name(name) && valid_id(id) => {
            Some(ArnKind::LoadBalancer)
        }
        ["listener", t, name, lb, id]
            if lb_type(t) && valid_name(name) && valid_id(lb) && valid_id(id) =>
        {
            Some(ArnKind::Listener)
        }
        ["listener-rule", t, name, lb, l, id]
            if lb_type(t) && valid_name(name) && valid_id(lb) && valid_id(l) && valid_id(id) =>
        {
            Some(ArnKind::Rule)
        }
        ["targetgroup", name, id] if valid_name(name) && valid_id(id) => Some(ArnKind::TargetGroup),
        _ => None,
    }
}

/// The NLB as DescribeLoadBalancers describes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LoadBalancerInfo {
    pub(crate) arn: String,
    pub(crate) name: &'static str,
    /// Where the production listener listens (`127.0.0.1:<port>`).
    pub(crate) dns_name: String,
}

/// A listener: its port and the target group its forward action points at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListenerInfo {
    pub(crate) arn: String,
    pub(crate) load_balancer_arn: String,
    pub(crate) port: u16,
    pub(crate) target_group_arn: String,
}

/// A target group and the load balancers that forward to it (none when no listener does).
#[derive(Debug, Clone)]
pub(crate) struct TargetGroupInfo {
    pub(crate) arn: String,
    pub(crate) name: &'static str,
    pub(crate) load_balancer_arns: Vec<String>,
    pub(crate) health: HealthSettings,
}

/// One target's health, as DescribeTargetHealth answers it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TargetHealthInfo {
    pub(crate) id: String,
    pub(crate) port: u16,
    pub(crate) state: &'static str,
    pub(crate) reason: Option<&'static str>,
    pub(crate) description: Option<String>,
}

/// A listener's default rule (a TCP listener has no other).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RuleInfo {
    pub(crate) arn: String,
    pub(crate) target_group_arn: String,
}

/// A target DescribeTargetHealth asks about (`Targets.member.N`).
#[derive(Debug, Clone, Default)]
pub(crate) struct TargetQuery {
    pub(crate) id: Option<String>,
    pub(crate) port: Option<i64>,
}

/// Tags of the resources (DescribeTags), as Terraform tags them (`infra/nlb.tf`).
pub(crate) type Tags = Vec<(&'static str, String)>;

impl Lb {
    fn lb_arn(&self) -> String {
        self.names.lb_arn()
    }

    /// Refuses every ARN of `arns` that is not an ELBv2 ARN of `kind` of this stack.
    fn check_arns<'a>(
        &self,
        kind: ArnKind,
        arns: impl IntoIterator<Item = &'a str>,
    ) -> ElbResult<()> {
        for arn in arns {
            if arn_kind(&self.names, arn) != Some(kind) {
                return Err(invalid(format!(
                    "'{arn}' is not a valid {} ARN",
                    kind.noun()
                )));
            }
        }
        Ok(())
    }

    fn tg_index(&self, arn: &str) -> Option<usize> {
        self.tgs.iter().position(|t| t.arn == arn)
    }

    fn tg_in_use(&self, i: usize) -> bool {
        self.listeners.iter().any(|l| l.target_group() == i)
    }

    fn listener_info(&self, l: &Listener) -> ListenerInfo {
        ListenerInfo {
            arn: l.arn.clone(),
            load_balancer_arn: self.lb_arn(),
            port: l.port,
            target_group_arn: self.tgs[l.target_group()].arn.clone(),
        }
    }

    fn rule_arn(listener_arn: &str) -> String {
        format!(
            "{}/0000000000000001",
            listener_arn.replacen(":listener/", ":listener-rule/", 1)
        )
    }

    /// DescribeLoadBalancers: all, or those named by ARN or by name (not both: "Load
    /// balancer names and load balancer ARNs cannot be specified at the same time").
    /// Errors (API reference): LoadBalancerNotFound, "One or more load balancers not
    /// found" for ARNs, "Load balancers '\[name\]' not found" for names, as AWS words them.
    pub(crate) fn describe_load_balancers(
        &self,
        arns: &[String],
        names: &[String],
        paging: Paging<'_>,
    ) -> ElbResult<Page<LoadBalancerInfo>> {
        paging.check()?;
        if !arns.is_empty() && !names.is_empty() {
            return Err(invalid(
                "Load balancer names and load balancer ARNs cannot be specified at the same time",
            ));
        }
        self.check_arns(ArnKind::LoadBalancer, arns.iter().map(String::as_str))?;
        let lb_arn = self.lb_arn();
        if arns.iter().any(|a| *a != lb_arn) {
            return Err(AwsError::new(
                Error::LoadBalancerNotFound,
                "One or more load balancers not found",
            ));
        }
        let missing: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| *n != LB_NAME)
            .collect();
        if !missing.is_empty() {
            return Err(AwsError::new(
                Error::LoadBalancerNotFound,
                format!("Load balancers '[{}]' not found", missing.join(", ")),
            ));
        }
        let port = self.listener("prod").map_or(0, |l| l.port);
        paging.page(vec![LoadBalancerInfo {
            arn: lb_arn,
            name: LB_NAME,
            dns_name: format!("127.0.0.1:{port}"),
        }])
    }

    /// DescribeListeners: a load balancer's listeners or listeners by ARN, one of the two
    /// and not both. Errors (API reference): LoadBalancerNotFound, ListenerNotFound ("One or
    /// more listeners not found", as AWS words it).
    pub(crate) fn describe_listeners(
        &self,
        load_balancer_arn: Option<&str>,
        arns: &[String],
        paging: Paging<'_>,
    ) -> ElbResult<Page<ListenerInfo>> {
        paging.check()?;
        match (load_balancer_arn, arns.is_empty()) {
            (None, true) => {
                return Err(invalid(
                    "You must specify either listener ARNs or a load balancer ARN",
                ))
            }
            (Some(_), false) => {
                return Err(invalid(
                    "Listener ARNs and a load balancer ARN cannot be specified at the same time",
                ))
            }
            _ => {}
        }
        self.check_arns(ArnKind::LoadBalancer, load_balancer_arn)?;
        self.check_arns(ArnKind::Listener, arns.iter().map(String::as_str))?;
        if load_balancer_arn.is_some_and(|a| a != self.lb_arn()) {
            return Err(AwsError::new(
                Error::LoadBalancerNotFound,
                "One or more load balancers not found",
            ));
        }
        if arns
            .iter()
            .any(|a| !self.listeners.iter().any(|l| l.arn == *a))
        {
            return Err(AwsError::new(
                Error::ListenerNotFound,
                "One or more listeners not found",
            ));
        }
        let items = self
            .listeners
            .iter()
            .filter(|l| arns.is_empty() || arns.contains(&l.arn))
            .map(|l| self.listener_info(l))
            .collect();
        paging.page(items)
    }

    /// DescribeTargetGroups: all, those of a load balancer (the groups its listeners
    /// forward to), or by ARN or by name; at most one of the three ("Target group names,
    /// target group ARNs, and a load balancer ARN cannot be specified at the same time").
    /// Errors (API reference): LoadBalancerNotFound, TargetGroupNotFound ("One or more
    /// target groups not found", as AWS words it).
    pub(crate) fn describe_target_groups(
        &self,
        load_balancer_arn: Option<&str>,
        arns: &[String],
        names: &[String],
        paging: Paging<'_>,
    ) -> ElbResult<Page<TargetGroupInfo>> {
        paging.check()?;
        let given = [
            load_balancer_arn.is_some(),
            !arns.is_empty(),
            !names.is_empty(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(invalid(
                "Target group names, target group ARNs, and a load balancer ARN cannot be specified at the same time",
            ));
        }
        self.check_arns(ArnKind::LoadBalancer, load_balancer_arn)?;
        self.check_arns(ArnKind::TargetGroup, arns.iter().map(String::as_str))?;
        if load_balancer_arn.is_some_and(|a| a != self.lb_arn()) {
            return Err(AwsError::new(
                Error::LoadBalancerNotFound,
                "One or more load balancers not found",
            ));
        }
        let unknown_arn = arns.iter().any(|a| self.tg_index(a).is_none());
        let unknown_name = names.iter().any(|n| !TG_NAMES.contains(&n.as_str()));
        if unknown_arn || unknown_name {
            return Err(AwsError::new(
                Error::TargetGroupNotFound,
                "One or more target groups not found",
            ));
        }
        let items = (0..self.tgs.len())
            .filter(|&i| {
                let tg = &self.tgs[i];
                (arns.is_empty() || arns.contains(&tg.arn))
                    && (names.is_empty() || names.iter().any(|n| n == tg.name))
                    && (load_balancer_arn.is_none() || self.tg_in_use(i))
            })
            .map(|i| TargetGroupInfo {
                arn: self.tgs[i].arn.clone(),
                name: self.tgs[i].name,
                load_balancer_arns: if self.tg_in_use(i) {
                    vec![self.lb_arn()]
                } else {
                    Vec::new()
                },
                health: self.health.clone(),
            })
            .collect();
        paging.page(items)
    }

    /// DescribeTargetHealth: every registered target of a group, or the targets asked
    /// for. `TargetGroupArn` is required and `Targets.N.Port` from 1 to 65535 (botocore's
    /// shape). A target group that no listener uses reports its targets `unused`
    /// (`Target.NotInUse`), as the TargetHealth reference says. A target that could be
    /// registered (an address of the VPC, here loopback) but is not answers `unused`,
    /// `Target.NotRegistered`, "Target is not registered to the target group" (what AWS
    /// answers); one that cannot be a target of an `ip` group (not an IP address, or outside
    /// the VPC) answers InvalidTarget with the API reference's wording. Errors (API
    /// reference): InvalidTarget, TargetGroupNotFound.
    pub(crate) fn describe_target_health(
        &self,
        target_group_arn: Option<&str>,
        targets: &[TargetQuery],
    ) -> ElbResult<Vec<TargetHealthInfo>> {
        let mut c = Constraints::default();
        c.required("targetGroupArn", target_group_arn);
        for (i, t) in targets.iter().enumerate() {
            c.required(&format!("targets.{}.member.id", i + 1), t.id.as_ref());
            if let Some(p) = t.port {
                c.range(&format!("targets.{}.member.port", i + 1), p, 1, 65535);
            }
        }
        c.check(Error::ValidationError)?;
        let arn = target_group_arn.unwrap_or_default();
        self.check_arns(ArnKind::TargetGroup, [arn])?;
        let idx = self.tg_index(arn).ok_or_else(|| {
            AwsError::new(
                Error::TargetGroupNotFound,
                format!("Target groups '{arn}' not found"),
            )
        })?;
        for t in targets {
            let id = t.id.as_deref().unwrap_or_default();
            let loopback = id
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(AwsError::new(
                    Error::InvalidTarget,
                    format!(
                        "The specified target does not exist, is not in the same VPC as the \
                         target group, or has an unsupported instance type: '{id}' (the \
                         local stack's targets are loopback addresses)"
                    ),
                ));
            }
        }
        let in_use = self.tg_in_use(idx);
        let describe = |t: &Target| {
            let (state, reason, description) = if !in_use && t.state != TargetState::Unhealthy {
                (
                    "unused",
                    Some("Target.NotInUse"),
                    Some(
                        "Target group is not configured to receive traffic from the load balancer"
                            .to_string(),
                    ),
                )
            } else {
                (t.state.as_str(), t.reason, t.description.clone())
            };
            TargetHealthInfo {
                id: t.addr.ip().to_string(),
                port: t.addr.port(),
                state,
                reason,
                description,
            }
        };
        let registered = self.targets(idx);
        if targets.is_empty() {
            return Ok(registered.iter().map(describe).collect());
        }
        let mut out = Vec::new();
        for t in targets {
            let id = t.id.as_deref().unwrap_or_default();
            let port = t.port.and_then(|p| u16::try_from(p).ok());
            let matching: Vec<&Target> = registered
                .iter()
                .filter(|r| {
                    id.parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip == r.addr.ip())
                        && port.is_none_or(|p| p == r.addr.port())
                })
                .collect();
            if matching.is_empty() {
                out.push(TargetHealthInfo {
                    id: id.to_string(),
                    port: port.unwrap_or(CONTAINER_PORT),
                    state: "unused",
                    reason: Some("Target.NotRegistered"),
                    description: Some("Target is not registered to the target group".into()),
                });
            }
            out.extend(matching.into_iter().map(describe));
        }
        Ok(out)
    }

    /// DescribeTags: the tags of up to 20 resources (API reference: "You can specify up to
    /// 20 resources in a single call"), load balancers, target groups, listeners or rules.
    /// Errors (API reference): LoadBalancerNotFound, TargetGroupNotFound, ListenerNotFound,
    /// RuleNotFound.
    pub(crate) fn describe_tags(&self, arns: Option<&[String]>) -> ElbResult<Vec<(String, Tags)>> {
        let mut c = Constraints::default();
        c.required("resourceArns", arns);
        c.check(Error::ValidationError)?;
        let arns = arns.unwrap_or_default();
        if arns.len() > 20 {
            return Err(invalid(format!(
                "You can specify up to 20 resources in a single call, not {}",
                arns.len()
            )));
        }
        let mut out = Vec::new();
        for arn in arns {
            let not_found =
                |code, noun| AwsError::new(code, format!("One or more {noun} not found"));
            let tags = match arn_kind(&self.names, arn) {
                None => return Err(invalid(format!("'{arn}' is not a valid resource ARN"))),
                Some(ArnKind::LoadBalancer) if *arn == self.lb_arn() => {
                    vec![("Name", LB_NAME.to_string())]
                }
                Some(ArnKind::LoadBalancer) => {
                    return Err(not_found(Error::LoadBalancerNotFound, "load balancers"))
                }
                Some(ArnKind::TargetGroup) => match self.tg_index(arn) {
                    Some(i) => {
                        let name = self.tgs[i].name;
                        let color = name.rsplit('-').next().unwrap_or(name);
                        vec![("Name", name.to_string()), ("Color", color.to_string())]
                    }
                    None => return Err(not_found(Error::TargetGroupNotFound, "target groups")),
                },
                Some(ArnKind::Listener) if self.listeners.iter().any(|l| l.arn == *arn) => {
                    Vec::new()
                }
                Some(ArnKind::Listener) => {
                    return Err(not_found(Error::ListenerNotFound, "listeners"))
                }
                Some(ArnKind::Rule)
                    if self
                        .listeners
                        .iter()
                        .any(|l| Self::rule_arn(&l.arn) == *arn) =>
                {
                    Vec::new()
                }
                Some(ArnKind::Rule) => return Err(not_found(Error::RuleNotFound, "rules")),
            };
            out.push((arn.clone(), tags));
        }
        Ok(out)
    }

    /// DescribeLoadBalancerAttributes: the NLB's attributes as the local stack behaves
    /// (cross-zone on, as `infra/nlb.tf` sets it; no deletion protection, no access logs).
    /// Errors (API reference): LoadBalancerNotFound.
    pub(crate) fn load_balancer_attributes(&self, arn: Option<&str>) -> ElbResult<Tags> {
        let arn = self.one_arn("loadBalancerArn", arn, ArnKind::LoadBalancer)?;
        if arn != self.lb_arn() {
            return Err(AwsError::new(
                Error::LoadBalancerNotFound,
                "One or more load balancers not found",
            ));
        }
        Ok(attributes(&[
            ("access_logs.s3.enabled", "false"),
            ("access_logs.s3.bucket", ""),
            ("access_logs.s3.prefix", ""),
            ("deletion_protection.enabled", "false"),
            ("load_balancing.cross_zone.enabled", "true"),
            ("ipv6.deny_all_igw_traffic", "false"),
            ("dns_record.client_routing_policy", "any_availability_zone"),
            ("zonal_shift.config.enabled", "false"),
        ]))
    }

    /// DescribeTargetGroupAttributes: a target group's attributes as the local stack
    /// behaves: a deregistered target leaves at once (no deregistration delay), client IPs
    /// are not preserved and connections are closed when a drain ends (`infra/nlb.tf`).
    /// Errors (API reference): TargetGroupNotFound.
    pub(crate) fn target_group_attributes(&self, arn: Option<&str>) -> ElbResult<Tags> {
        let arn = self.one_arn("targetGroupArn", arn, ArnKind::TargetGroup)?;
        if self.tg_index(arn).is_none() {
            return Err(AwsError::new(
                Error::TargetGroupNotFound,
                "One or more target groups not found",
            ));
        }
        Ok(attributes(&[
            ("deregistration_delay.timeout_seconds", "0"),
            (
                "deregistration_delay.connection_termination.enabled",
                "true",
            ),
            ("preserve_client_ip.enabled", "false"),
            ("proxy_protocol_v2.enabled", "false"),
            ("stickiness.enabled", "false"),
            ("stickiness.type", "source_ip"),
            (
                "load_balancing.cross_zone.enabled",
                "use_load_balancer_configuration",
            ),
            (
                "target_health_state.unhealthy.connection_termination.enabled",
                "true",
            ),
        ]))
    }

    /// DescribeListenerAttributes: a TCP listener's idle timeout (350 s, AWS's default and
    /// the only attribute of a TCP listener). Errors (API reference): ListenerNotFound.
    pub(crate) fn listener_attributes(&self, arn: Option<&str>) -> ElbResult<Tags> {
        let arn = self.one_arn("listenerArn", arn, ArnKind::Listener)?;
        if !self.listeners.iter().any(|l| l.arn == arn) {
            return Err(AwsError::new(
                Error::ListenerNotFound,
                "One or more listeners not found",
            ));
        }
        Ok(attributes(&[("tcp.idle_timeout.seconds", "350")]))
    }

    /// DescribeRules: a listener's rules or rules by ARN, one of the two and not both. A
    /// TCP listener has its default rule only (priority `default`, the listener's forward
    /// action). Errors (API reference): ListenerNotFound, RuleNotFound.
    pub(crate) fn describe_rules(
        &self,
        listener_arn: Option<&str>,
        arns: &[String],
        paging: Paging<'_>,
    ) -> ElbResult<Page<RuleInfo>> {
        paging.check()?;
        match (listener_arn, arns.is_empty()) {
            (None, true) => {
                return Err(invalid(
                    "You must specify either listener rule ARNs or a listener ARN",
                ))
            }
            (Some(_), false) => {
                return Err(invalid(
                    "Listener rule ARNs and a listener ARN cannot be specified at the same time",
                ))
            }
            _ => {}
        }
        self.check_arns(ArnKind::Listener, listener_arn)?;
        self.check_arns(ArnKind::Rule, arns.iter().map(String::as_str))?;
        let rules: Vec<RuleInfo> = self
            .listeners
            .iter()
            .map(|l| RuleInfo {
                arn: Self::rule_arn(&l.arn),
                target_group_arn: self.tgs[l.target_group()].arn.clone(),
            })
            .collect();
        let items: Vec<RuleInfo> = match listener_arn {
            Some(l) => {
                let Some(i) = self.listeners.iter().position(|x| x.arn == l) else {
                    return Err(AwsError::new(
                        Error::ListenerNotFound,
                        "One or more listeners not found",
                    ));
                };
                vec![rules[i].clone()]
            }
            None => {
                if arns.iter().any(|a| !rules.iter().any(|r| r.arn == *a)) {
                    return Err(AwsError::new(
                        Error::RuleNotFound,
                        "One or more rules not found",
                    ));
                }
                rules
                    .into_iter()
                    .filter(|r| arns.contains(&r.arn))
                    .collect()
            }
        };
        paging.page(items)
    }

    /// A required ARN member of `kind` (a constraint, then the ARN's syntax).
    fn one_arn<'a>(&self, member: &str, arn: Option<&'a str>, kind: ArnKind) -> ElbResult<&'a str> {
        let mut c = Constraints::default();
        c.required(member, arn);
        c.check(Error::ValidationError)?;
        let arn = arn.unwrap_or_default();
        self.check_arns(kind, [arn])?;
        Ok(arn)
    }
}

fn attributes(pairs: &[(&'static str, &str)]) -> Tags {
    pairs.iter().map(|(k, v)| (*k, (*v).to_string())).collect()
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

    // ------------------------------------------------------ the API's rules, one by one

    const LB: &str =
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/demo/0123456789abcdef";
    const BLUE: &str =
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/demo-blue/1111111111111111";
    const PROD: &str = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/net/demo/0123456789abcdef/aaaaaaaaaaaaaaaa";

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn refused<T: std::fmt::Debug>(r: ElbResult<T>) -> (&'static str, String) {
        let e = r.unwrap_err();
        (e.code_str(), e.message)
    }

    const ALL: Paging<'static> = Paging {
        marker: None,
        page_size: None,
    };

    #[test]
    fn the_stacks_arns_are_valid_arns() {
        let lb = lb();
        let names = &lb.names;
        assert_eq!(arn_kind(names, LB), Some(ArnKind::LoadBalancer));
        assert_eq!(arn_kind(names, BLUE), Some(ArnKind::TargetGroup));
        assert_eq!(arn_kind(names, PROD), Some(ArnKind::Listener));
        for l in &lb.listeners {
            assert_eq!(arn_kind(names, &l.arn), Some(ArnKind::Listener));
            assert_eq!(arn_kind(names, &Lb::rule_arn(&l.arn)), Some(ArnKind::Rule));
        }
        assert_eq!(arn_kind(names, &lb.tgs[1].arn), Some(ArnKind::TargetGroup));
    }

    #[test]
    fn an_arn_that_is_not_one_of_this_stack_is_a_validation_error() {
        let lb = lb();
        let bad = [
            "demo",
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/demo",
            // Another region, another account, another partition (AWS: "not valid").
            "arn:aws:elasticloadbalancing:eu-west-1:000000000000:loadbalancer/net/demo/0123456789abcdef",
            "arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/net/demo/0123456789abcdef",
            "arn:aws-cn:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/demo/0123456789abcdef",
            // A target group's ARN where a load balancer's is asked for.
            BLUE,
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/-demo/0123456789abcdef",
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/demo/0123456789abcdeg",
        ];
        for arn in bad {
            assert_eq!(
                refused(lb.describe_load_balancers(&s(&[arn]), &[], ALL)),
                (
                    "ValidationError",
                    format!("'{arn}' is not a valid load balancer ARN")
                ),
            );
            assert_eq!(
                refused(lb.describe_listeners(Some(arn), &[], ALL)).1,
                format!("'{arn}' is not a valid load balancer ARN")
            );
            assert_eq!(
                refused(lb.describe_target_groups(Some(arn), &[], &[], ALL)).1,
                format!("'{arn}' is not a valid load balancer ARN")
            );
        }
        assert_eq!(
            refused(lb.describe_listeners(None, &s(&[LB]), ALL)).1,
            format!("'{LB}' is not a valid listener ARN")
        );
        assert_eq!(
            refused(lb.describe_target_groups(None, &s(&[LB]), &[], ALL)).1,
            format!("'{LB}' is not a valid target group ARN")
        );
        assert_eq!(
            refused(lb.describe_target_health(Some(PROD), &[])).1,
            format!("'{PROD}' is not a valid target group ARN")
        );
        assert_eq!(
            refused(lb.target_group_attributes(Some("x"))).1,
            "'x' is not a valid target group ARN"
        );
        assert_eq!(
            refused(lb.load_balancer_attributes(Some(BLUE))).1,
            format!("'{BLUE}' is not a valid load balancer ARN")
        );
        assert_eq!(
            refused(lb.listener_attributes(Some(LB))).1,
            format!("'{LB}' is not a valid listener ARN")
        );
        assert_eq!(
            refused(lb.describe_rules(None, &s(&[PROD]), ALL)).1,
            format!("'{PROD}' is not a valid listener rule ARN")
        );
        assert_eq!(
            refused(lb.describe_tags(Some(&s(&["arn:aws:s3:::bucket"])))).1,
            "'arn:aws:s3:::bucket' is not a valid resource ARN"
        );
    }

    #[test]
    fn names_and_arns_given_together_are_refused() {
        let lb = lb();
        assert_eq!(
            refused(lb.describe_load_balancers(&s(&[LB]), &s(&["demo"]), ALL)),
            (
                "ValidationError",
                "Load balancer names and load balancer ARNs cannot be specified at the same time"
                    .to_string()
            )
        );
        let both = "Target group names, target group ARNs, and a load balancer ARN cannot be specified at the same time";
        for (lb_arn, arns, names) in [
            (Some(LB), vec![BLUE], vec![]),
            (Some(LB), vec![], vec!["demo-blue"]),
            (None, vec![BLUE], vec!["demo-blue"]),
        ] {
            assert_eq!(
                refused(lb.describe_target_groups(lb_arn, &s(&arns), &s(&names), ALL)).1,
                both
            );
        }
        assert_eq!(
            refused(lb.describe_listeners(Some(LB), &s(&[PROD]), ALL)).1,
            "Listener ARNs and a load balancer ARN cannot be specified at the same time"
        );
        assert_eq!(
            refused(lb.describe_listeners(None, &[], ALL)).1,
            "You must specify either listener ARNs or a load balancer ARN"
        );
        let rule = Lb::rule_arn(PROD);
        assert_eq!(
            refused(lb.describe_rules(Some(PROD), &s(&[&rule]), ALL)).1,
            "Listener rule ARNs and a listener ARN cannot be specified at the same time"
        );
        assert_eq!(
            refused(lb.describe_rules(None, &[], ALL)).1,
            "You must specify either listener rule ARNs or a listener ARN"
        );
    }

    #[test]
    fn page_size_is_from_1_to_400() {
        let lb = lb();
        for (n, rule) in [
            (0, "greater than or equal to 1"),
            (401, "less than or equal to 400"),
        ] {
            let paging = Paging {
                marker: None,
                page_size: Some(n),
            };
            let want = (
                "ValidationError",
                format!(
                    "1 validation error detected: Value '{n}' at 'pageSize' failed to satisfy \
                     constraint: Member must have value {rule}"
                ),
            );
            assert_eq!(refused(lb.describe_load_balancers(&[], &[], paging)), want);
            assert_eq!(
                refused(lb.describe_target_groups(None, &[], &[], paging)),
                want
            );
            assert_eq!(refused(lb.describe_listeners(Some(LB), &[], paging)), want);
            assert_eq!(refused(lb.describe_rules(Some(PROD), &[], paging)), want);
        }
        for n in [1, 400] {
            let paging = Paging {
                marker: None,
                page_size: Some(n),
            };
            assert!(lb.describe_load_balancers(&[], &[], paging).is_ok());
        }
    }

    #[test]
    fn a_marker_hands_out_the_next_page_as_aws_pages() {
        let lb = lb();
        let one = |marker| Paging {
            marker,
            page_size: Some(1),
        };
        let first = lb
            .describe_target_groups(None, &[], &[], one(None))
            .unwrap();
        assert_eq!(first.items[0].name, "demo-blue");
        let next = first
            .next_marker
            .expect("a NextMarker while groups are left");
        let second = lb
            .describe_target_groups(None, &[], &[], one(Some(&next)))
            .unwrap();
        assert_eq!(second.items[0].name, "demo-green");
        assert_eq!(second.next_marker, None, "no NextMarker on the last page");
        let all = lb.describe_target_groups(None, &[], &[], ALL).unwrap();
        assert_eq!((all.items.len(), all.next_marker), (2, None));
        let listeners = lb.describe_listeners(Some(LB), &[], one(None)).unwrap();
        assert_eq!(listeners.items[0].port, 8080);
        assert!(listeners.next_marker.is_some());
        assert_eq!(
            refused(lb.describe_target_groups(None, &[], &[], one(Some("not-a-marker")))),
            (
                "ValidationError",
                "The marker 'not-a-marker' is not valid".to_string()
            )
        );
    }

    #[test]
    fn what_does_not_exist_is_not_found_with_aws_codes_and_messages() {
        let lb = lb();
        let other_lb = LB.replace("0123456789abcdef", "fedcba9876543210");
        let other_tg = BLUE.replace("demo-blue", "demo-red");
        let other_listener = PROD.replace("aaaaaaaaaaaaaaaa", "cccccccccccccccc");
        let lb_gone = (
            "LoadBalancerNotFound",
            "One or more load balancers not found".to_string(),
        );
        assert_eq!(
            refused(lb.describe_load_balancers(&s(&[&other_lb]), &[], ALL)),
            lb_gone
        );
        assert_eq!(
            refused(lb.describe_load_balancers(&[], &s(&["demo", "a", "b"]), ALL)),
            (
                "LoadBalancerNotFound",
                "Load balancers '[a, b]' not found".to_string()
            )
        );
        assert_eq!(
            refused(lb.describe_listeners(Some(&other_lb), &[], ALL)),
            lb_gone
        );
        assert_eq!(
            refused(lb.describe_target_groups(Some(&other_lb), &[], &[], ALL)),
            lb_gone
        );
        assert_eq!(
            refused(lb.load_balancer_attributes(Some(&other_lb))),
            lb_gone
        );
        assert_eq!(
            refused(lb.describe_listeners(None, &s(&[PROD, &other_listener]), ALL)),
            (
                "ListenerNotFound",
                "One or more listeners not found".to_string()
            )
        );
        let tg_gone = (
            "TargetGroupNotFound",
            "One or more target groups not found".to_string(),
        );
        assert_eq!(
            refused(lb.describe_target_groups(None, &s(&[&other_tg]), &[], ALL)),
            tg_gone
        );
        assert_eq!(
            refused(lb.describe_target_groups(None, &[], &s(&["demo-red"]), ALL)),
            tg_gone
        );
        assert_eq!(
            refused(lb.target_group_attributes(Some(&other_tg))),
            tg_gone
        );
        assert_eq!(
            refused(lb.describe_target_health(Some(&other_tg), &[])),
            (
                "TargetGroupNotFound",
                format!("Target groups '{other_tg}' not found")
            )
        );
        assert_eq!(
            refused(lb.listener_attributes(Some(&other_listener))).0,
            "ListenerNotFound"
        );
        assert_eq!(
            refused(lb.describe_rules(Some(&other_listener), &[], ALL)).0,
            "ListenerNotFound"
        );
        assert_eq!(
            refused(lb.describe_rules(None, &s(&[&Lb::rule_arn(&other_listener)]), ALL)),
            ("RuleNotFound", "One or more rules not found".to_string())
        );
        assert_eq!(
            refused(lb.describe_tags(Some(&s(&[LB, &other_tg])))).0,
            "TargetGroupNotFound"
        );
    }

    #[test]
    fn a_load_balancers_target_groups_are_those_its_listeners_forward_to() {
        let lb = lb();
        let of_lb = |lb: &Lb| -> Vec<&'static str> {
            lb.describe_target_groups(Some(LB), &[], &[], ALL)
                .unwrap()
                .items
                .iter()
                .map(|t| t.name)
                .collect()
        };
        assert_eq!(of_lb(&lb), ["demo-blue"]);
        let all = lb.describe_target_groups(None, &[], &[], ALL).unwrap();
        assert_eq!(all.items[0].load_balancer_arns, [LB]);
        assert!(
            all.items[1].load_balancer_arns.is_empty(),
            "green is unused"
        );
        lb.switch("test", 1);
        assert_eq!(of_lb(&lb), ["demo-blue", "demo-green"]);
        lb.switch("prod", 1);
        lb.switch("test", 1);
        assert_eq!(of_lb(&lb), ["demo-green"]);
        let by_name = lb
            .describe_target_groups(None, &[], &s(&["demo-green"]), ALL)
            .unwrap();
        assert_eq!(by_name.items.len(), 1);
        assert_eq!(by_name.items[0].name, "demo-green");
    }

    #[test]
    fn target_health_answers_for_the_targets_asked_about() {
        let lb = lb();
        let ip = std::net::Ipv4Addr::LOCALHOST;
        lb.add_target(0, "a", SocketAddr::from((ip, 4001)), TargetState::Healthy);
        lb.add_target(0, "b", SocketAddr::from((ip, 4002)), TargetState::Initial);
        lb.add_target(1, "c", SocketAddr::from((ip, 4003)), TargetState::Healthy);
        let q = |id: &str, port: Option<i64>| TargetQuery {
            id: Some(id.to_string()),
            port,
        };
        let all = lb.describe_target_health(Some(BLUE), &[]).unwrap();
        assert_eq!(
            all.iter().map(|t| (t.port, t.state)).collect::<Vec<_>>(),
            [(4001, "healthy"), (4002, "initial")]
        );
        let one = lb
            .describe_target_health(Some(BLUE), &[q("127.0.0.1", Some(4002))])
            .unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(
            (one[0].state, one[0].reason),
            ("initial", Some("Elb.InitialHealthChecking"))
        );
        // A loopback target that is not registered: AWS's answer for a target it could hold.
        let not = lb
            .describe_target_health(Some(BLUE), &[q("127.0.0.1", Some(4999))])
            .unwrap();
        assert_eq!(
            (
                not[0].state,
                not[0].reason,
                not[0].description.as_deref(),
                not[0].port
            ),
            (
                "unused",
                Some("Target.NotRegistered"),
                Some("Target is not registered to the target group"),
                4999
            )
        );
        // Not a target an ip group of this VPC can hold.
        for id in ["i-0123456789abcdef0", "10.0.0.1", "not an address"] {
            let (code, message) = refused(lb.describe_target_health(Some(BLUE), &[q(id, None)]));
            assert_eq!(code, "InvalidTarget");
            assert!(message.contains(&format!("'{id}'")), "{message}");
        }
        // green is used by no listener: its targets are unused (Target.NotInUse).
        let green = lb.tgs[1].arn.clone();
        let unused = lb.describe_target_health(Some(&green), &[]).unwrap();
        assert_eq!(
            (unused[0].state, unused[0].reason),
            ("unused", Some("Target.NotInUse"))
        );
        lb.switch("test", 1);
        let used = lb.describe_target_health(Some(&green), &[]).unwrap();
        assert_eq!(used[0].state, "healthy");
    }

    #[test]
    fn target_health_validates_its_members() {
        let lb = lb();
        assert_eq!(
            refused(lb.describe_target_health(None, &[])),
            (
                "ValidationError",
                "1 validation error detected: Value null at 'targetGroupArn' failed to \
                 satisfy constraint: Member must not be null"
                    .to_string()
            )
        );
        let bad = [
            TargetQuery {
                id: Some("127.0.0.1".into()),
                port: Some(0),
            },
            TargetQuery {
                id: None,
                port: Some(70000),
            },
        ];
        let (code, message) = refused(lb.describe_target_health(Some(BLUE), &bad));
        assert_eq!(code, "ValidationError");
        assert!(
            message.starts_with("3 validation errors detected: ")
                && message.contains("Value '0' at 'targets.1.member.port'")
                && message.contains("Value null at 'targets.2.member.id'")
                && message.contains("Value '70000' at 'targets.2.member.port'"),
            "{message}"
        );
    }

    #[test]
    fn tags_attributes_and_rules() {
        let lb = lb();
        let tags = lb.describe_tags(Some(&s(&[LB, BLUE, PROD]))).unwrap();
        assert_eq!(tags[0].1, [("Name", "demo".to_string())]);
        assert_eq!(
            tags[1].1,
            [
                ("Name", "demo-blue".to_string()),
                ("Color", "blue".to_string())
            ]
        );
        assert!(tags[2].1.is_empty());
        let many: Vec<String> = (0..21).map(|_| LB.to_string()).collect();
        assert_eq!(refused(lb.describe_tags(Some(&many))).0, "ValidationError");
        assert!(refused(lb.describe_tags(None)).1.contains("'resourceArns'"));
        let get = |attrs: Tags, key: &str| {
            attrs
                .into_iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v)
                .unwrap()
        };
        assert_eq!(
            get(
                lb.target_group_attributes(Some(BLUE)).unwrap(),
                "deregistration_delay.timeout_seconds"
            ),
            "0"
        );
        assert_eq!(
            get(
                lb.load_balancer_attributes(Some(LB)).unwrap(),
                "load_balancing.cross_zone.enabled"
            ),
            "true"
        );
        assert_eq!(
            get(
                lb.listener_attributes(Some(PROD)).unwrap(),
                "tcp.idle_timeout.seconds"
            ),
            "350"
        );
        assert!(refused(lb.listener_attributes(None))
            .1
            .contains("'listenerArn'"));
        let rules = lb.describe_rules(Some(PROD), &[], ALL).unwrap();
        assert_eq!(rules.items.len(), 1);
        assert_eq!(rules.items[0].target_group_arn, BLUE);
        lb.switch("prod", 1);
        let by_arn = lb
            .describe_rules(None, &s(&[&rules.items[0].arn]), ALL)
            .unwrap();
        assert_eq!(by_arn.items[0].target_group_arn, lb.tgs[1].arn);
    }
}
