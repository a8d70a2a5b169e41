//! The autoscaling backend: state and operations, no HTTP (the service is described in
//! [`super`]).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::engine::{Bounds, Decision, Metric, Observation, Params, TargetTracking, Tracker};
use crate::wire::error::{AwsError, ErrorCode};

pub(crate) const NAMESPACE: &str = "ecs";
pub(crate) const DIMENSION: &str = "ecs:service:DesiredCount";
/// Activities kept (newest first), as a bounded history.
const ACTIVITIES_KEPT: usize = 200;

/// The ECS service-linked role Application Auto Scaling uses when RegisterScalableTarget
/// names none (it creates it on first use).
pub(crate) fn service_linked_role(account: &str) -> String {
    format!(
        "arn:aws:iam::{account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/\
         AWSServiceRoleForApplicationAutoScaling_ECSService"
    )
}

/// `service/<cluster>/<service>`, the ResourceId of an ECS service.
pub(crate) fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// Application Auto Scaling's error codes, spelled as AWS spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum ScalingCode {
    ValidationException,
    ObjectNotFoundException,
    InvalidNextTokenException,
}
impl ErrorCode for ScalingCode {}

/// An Application Auto Scaling error: one of its codes and a message.
pub(crate) type ScalingError = AwsError<ScalingCode>;

impl ScalingError {
    fn validation(message: impl Into<String>) -> Self {
        AwsError::new(ScalingCode::ValidationException, message)
    }
    fn object_not_found(message: impl Into<String>) -> Self {
        AwsError::new(ScalingCode::ObjectNotFoundException, message)
    }
}

pub(crate) type ScalingResult<T> = Result<T, ScalingError>;

/// A required member: missing is a ValidationException naming it as AWS does.
fn required<'a>(value: Option<&'a str>, key: &str) -> ScalingResult<&'a str> {
    value.ok_or_else(|| {
        ScalingError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(key)
        ))
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// The ServiceNamespace and ScalableDimension a request names.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Scope<'a> {
    pub(crate) namespace: Option<&'a str>,
    pub(crate) dimension: Option<&'a str>,
}

/// ServiceNamespace must be `ecs` and ScalableDimension (when required or given)
/// `ecs:service:DesiredCount`: the only ones served locally.
pub(crate) fn check_scope(scope: Scope<'_>, dimension_required: bool) -> ScalingResult<()> {
    let ns = required(scope.namespace, "ServiceNamespace")?;
    if ns != NAMESPACE {
        return Err(ScalingError::validation(format!(
            "the local stack serves only the {NAMESPACE:?} service namespace, not {ns:?}"
        )));
    }
    let dim = if dimension_required {
        Some(required(scope.dimension, "ScalableDimension")?)
    } else {
        scope.dimension
    };
    match dim {
        Some(d) if d != DIMENSION => Err(ScalingError::validation(format!(
            "Unsupported scalable dimension {d:?} for service namespace {ns}: the local stack serves {DIMENSION}"
        ))),
        _ => Ok(()),
    }
}

/// A member the requests need (ResourceId, PolicyName).
pub(crate) fn member<'a>(value: Option<&'a str>, key: &str) -> ScalingResult<&'a str> {
    required(value, key)
}

/// A PutScalingPolicy request's policy, as the API read it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PolicyRequest {
    pub(crate) policy_type: Option<String>,
    /// `TargetTrackingScalingPolicyConfiguration` given (as an object).
    pub(crate) configured: bool,
    pub(crate) target_value: Option<f64>,
    pub(crate) customized_metric: bool,
    pub(crate) metric_type: Option<String>,
    pub(crate) scale_out_cooldown: Option<u32>,
    pub(crate) scale_in_cooldown: Option<u32>,
    pub(crate) disable_scale_in: Option<bool>,
}

/// The target tracking policy a request asks for: only TargetTrackingScaling on the
/// predefined ECS metrics is served; cooldowns default to 300 s, as AWS's.
pub(crate) fn target_tracking(req: &PolicyRequest) -> ScalingResult<TargetTracking> {
    match req.policy_type.as_deref() {
        Some("TargetTrackingScaling") => {}
        other => {
            return Err(ScalingError::validation(format!(
                "the local stack supports only TargetTrackingScaling policies, not {}",
                other.unwrap_or("StepScaling (the default)")
            )))
        }
    }
    if !req.configured {
        return Err(ScalingError::validation(
            "TargetTrackingScalingPolicyConfiguration is required for TargetTrackingScaling",
        ));
    }
    let target_value = req.target_value.ok_or_else(|| {
        ScalingError::validation("TargetTrackingScalingPolicyConfiguration.TargetValue is required")
    })?;
    if req.customized_metric {
        return Err(ScalingError::validation(
            "the local stack supports only PredefinedMetricSpecification \
             (ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization)",
        ));
    }
    let kind = req.metric_type.as_deref().ok_or_else(|| {
        ScalingError::validation("PredefinedMetricSpecification.PredefinedMetricType is required")
    })?;
    let metric = Metric::parse(kind).ok_or_else(|| {
        ScalingError::validation(format!(
            "Unsupported metric type {kind} for service namespace ecs locally \
             (ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization are)"
        ))
    })?;
    let cooldown = |c: Option<u32>| c.map(f64::from).unwrap_or(300.0);
    Ok(TargetTracking {
        metric,
        target_value,
        scale_out_cooldown: cooldown(req.scale_out_cooldown),
        scale_in_cooldown: cooldown(req.scale_in_cooldown),
        disable_scale_in: req.disable_scale_in.unwrap_or(false),
    })
}

/// MaxResults (1..=50, default 50) and NextToken (an offset): the page's (offset, size).
pub(crate) fn page_bounds(
    max_results: Option<u32>,
    next_token: Option<&str>,
) -> ScalingResult<(usize, usize)> {
    let max = max_results.unwrap_or(50);
    if !(1..=50).contains(&max) {
        return Err(ScalingError::validation(format!(
            "1 validation error detected: Value '{max}' at 'maxResults' failed to satisfy constraint: \
             Member must have value between 1 and 50"
        )));
    }
    let offset = match next_token {
        None => 0,
        Some(t) => t
            .parse()
            .map_err(|_| AwsError::new(ScalingCode::InvalidNextTokenException, "Invalid token"))?,
    };
    Ok((offset, max as usize))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Suspended {
    pub(crate) dynamic_in: bool,
    pub(crate) dynamic_out: bool,
    pub(crate) scheduled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScalableTarget {
    pub(crate) resource_id: String,
    pub(crate) min: u32,
    pub(crate) max: u32,
    pub(crate) role_arn: String,
    pub(crate) created: f64,
    pub(crate) suspended: Suspended,
    pub(crate) arn: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Policy {
    pub(crate) arn: String,
    pub(crate) name: String,
    pub(crate) resource_id: String,
    pub(crate) config: TargetTracking,
    /// The configuration as given, answered back by DescribeScalingPolicies.
    pub(crate) raw_config: Value,
    pub(crate) alarms: Vec<(String, String)>,
    pub(crate) created: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Activity {
    pub(crate) id: String,
    pub(crate) resource_id: String,
    pub(crate) description: String,
    pub(crate) cause: String,
    pub(crate) start: f64,
    pub(crate) end: Option<f64>,
    pub(crate) status: &'static str,
    pub(crate) message: Option<String>,
}

#[derive(Debug, Default)]
struct Inner {
    targets: Vec<ScalableTarget>,
    policies: Vec<Policy>,
    activities: VecDeque<Activity>,
    trackers: std::collections::HashMap<String, Tracker>,
}

/// RegisterScalableTarget's input (namespace and dimension checked by the API layer).
#[derive(Debug, Clone, Default)]
pub(crate) struct Registration {
    pub(crate) resource_id: String,
    pub(crate) min: Option<u32>,
    pub(crate) max: Option<u32>,
    pub(crate) role_arn: Option<String>,
    pub(crate) suspended: Option<Suspended>,
}

/// The backend. `resources` are the ResourceIds that exist (the stack's ECS services).
#[derive(Debug)]
pub(crate) struct AutoScaling {
    region: String,
    account: String,
    resources: Vec<String>,
    inner: Mutex<Inner>,
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl AutoScaling {
    pub(crate) fn new(region: &str, account: &str, resources: Vec<String>) -> Self {
        AutoScaling {
            region: region.to_string(),
            account: account.to_string(),
            resources,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        deployer_models::sync::lock(&self.inner)
    }

    fn check_resource(&self, id: &str) -> ScalingResult<()> {
        if self.resources.iter().any(|r| r == id) {
            Ok(())
        } else {
            Err(ScalingError::validation(format!(
                "ECS service doesn't exist: {id}"
            )))
        }
    }

    fn not_registered(id: &str) -> ScalingError {
        ScalingError::object_not_found(format!(
            "No scalable target registered for service namespace: {NAMESPACE}, resource ID: {id}, \
             scalable dimension: {DIMENSION}"
        ))
    }

    /// RegisterScalableTarget: creates the target, or updates the bounds and suspension
    /// of an existing one (what is not given stays). Returns the target's ARN.
    pub(crate) fn register(&self, r: &Registration, now: f64) -> ScalingResult<String> {
        self.check_resource(&r.resource_id)?;
        let mut inner = self.lock();
        let existing = inner
            .targets
            .iter()
            .position(|t| t.resource_id == r.resource_id);
        let (min, max) = match existing {
            Some(i) => (
                r.min.unwrap_or(inner.targets[i].min),
                r.max.unwrap_or(inner.targets[i].max),
            ),
            None => match (r.min, r.max) {
                (Some(min), Some(max)) => (min, max),
                _ => {
                    return Err(ScalingError::validation(
                        "MinCapacity and MaxCapacity are required for registering a new scalable target"
                            ,
                    ))
                }
            },
        };
        if min > max {
            return Err(ScalingError::validation(format!(
                "Minimum capacity cannot be greater than maximum capacity (min {min}, max {max})"
            )));
        }
        match existing {
            Some(i) => {
                let t = &mut inner.targets[i];
                t.min = min;
                t.max = max;
                if let Some(s) = r.suspended {
                    t.suspended = s;
                }
                Ok(t.arn.clone())
            }
            None => {
                let arn = format!(
                    "arn:aws:application-autoscaling:{}:{}:scalable-target/{}",
                    self.region,
                    self.account,
                    uuid().replace('-', "")
                );
                inner.targets.push(ScalableTarget {
                    resource_id: r.resource_id.clone(),
                    min,
                    max,
                    role_arn: r
                        .role_arn
                        .clone()
                        .unwrap_or_else(|| service_linked_role(&self.account)),
                    created: now,
                    suspended: r.suspended.unwrap_or_default(),
                    arn: arn.clone(),
                });
                Ok(arn)
            }
        }
    }

    /// DeregisterScalableTarget: also deletes the target's policies.
    pub(crate) fn deregister(&self, resource_id: &str) -> ScalingResult<()> {
        let mut inner = self.lock();
        let before = inner.targets.len();
        inner.targets.retain(|t| t.resource_id != resource_id);
        if inner.targets.len() == before {
            return Err(Self::not_registered(resource_id));
        }
        inner.policies.retain(|p| p.resource_id != resource_id);
        inner
            .trackers
            .retain(|k, _| !k.starts_with(&format!("{resource_id}\n")));
        Ok(())
    }

    pub(crate) fn targets(&self, resource_ids: &[String]) -> Vec<ScalableTarget> {
        self.lock()
            .targets
            .iter()
            .filter(|t| resource_ids.is_empty() || resource_ids.contains(&t.resource_id))
            .cloned()
            .collect()
    }

    pub(crate) fn target(&self, resource_id: &str) -> Option<ScalableTarget> {
        self.targets(&[resource_id.to_string()]).into_iter().next()
    }

    /// PutScalingPolicy (target tracking): creates or replaces the named policy.
    pub(crate) fn put_policy(
        &self,
        resource_id: &str,
        name: &str,
        config: TargetTracking,
        raw_config: Value,
        now: f64,
    ) -> ScalingResult<Policy> {
        if !(config.target_value > 0.0 && config.target_value.is_finite()) {
            return Err(ScalingError::validation(format!(
                "TargetValue must be greater than 0 (got {})",
                config.target_value
            )));
        }
        let mut inner = self.lock();
        if !inner.targets.iter().any(|t| t.resource_id == resource_id) {
            return Err(Self::not_registered(resource_id));
        }
        let existing = inner
            .policies
            .iter()
            .position(|p| p.resource_id == resource_id && p.name == name);
        let policy = match existing {
            Some(i) => {
                let p = &mut inner.policies[i];
                p.config = config;
                p.raw_config = raw_config;
                p.clone()
            }
            None => {
                let id = uuid();
                let alarm = |kind: &str| {
                    let name = format!("TargetTracking-{resource_id}-{kind}-{}", uuid());
                    let arn = format!(
                        "arn:aws:cloudwatch:{}:{}:alarm:{name}",
                        self.region, self.account
                    );
                    (name, arn)
                };
                let p = Policy {
                    arn: format!(
                        "arn:aws:autoscaling:{}:{}:scalingPolicy:{id}:resource/{NAMESPACE}/{resource_id}:policyName/{name}",
                        self.region, self.account
                    ),
                    name: name.to_string(),
                    resource_id: resource_id.to_string(),
                    config,
                    raw_config,
                    alarms: vec![alarm("AlarmHigh"), alarm("AlarmLow")],
                    created: now,
                };
                inner.policies.push(p.clone());
                p
            }
        };
        inner
            .trackers
            .insert(format!("{resource_id}\n{name}"), Tracker::default());
        Ok(policy)
    }

    pub(crate) fn delete_policy(&self, resource_id: &str, name: &str) -> ScalingResult<()> {
        let mut inner = self.lock();
        let before = inner.policies.len();
        inner
            .policies
            .retain(|p| !(p.resource_id == resource_id && p.name == name));
        if inner.policies.len() == before {
            return Err(ScalingError::object_not_found(format!(
                "No scaling policy found for service namespace: {NAMESPACE}, resource ID: {resource_id}, \
                 scalable dimension: {DIMENSION}, policy name: {name}"
            )));
        }
        inner.trackers.remove(&format!("{resource_id}\n{name}"));
        Ok(())
    }

    pub(crate) fn policies(&self, resource_id: Option<&str>, names: &[String]) -> Vec<Policy> {
        self.lock()
            .policies
            .iter()
            .filter(|p| resource_id.is_none_or(|r| p.resource_id == r))
            .filter(|p| names.is_empty() || names.contains(&p.name))
            .cloned()
            .collect()
    }

    /// Newest first.
    pub(crate) fn activities(&self, resource_id: Option<&str>) -> Vec<Activity> {
        self.lock()
            .activities
            .iter()
            .filter(|a| resource_id.is_none_or(|r| a.resource_id == r))
            .cloned()
            .collect()
    }

    fn record(&self, inner: &mut Inner, resource_id: &str, d: &Decision, now: f64) {
        inner.activities.push_front(Activity {
            id: uuid(),
            resource_id: resource_id.to_string(),
            description: format!("Setting desired count to {}.", d.to),
            cause: d.cause.clone(),
            start: now,
            end: Some(now),
            status: "Successful",
            message: Some(format!(
                "Successfully set desired count to {}. Change successfully fulfilled by ecs.",
                d.to
            )),
        });
        inner.activities.truncate(ACTIVITIES_KEPT);
    }

    /// The desired count changed outside auto scaling (UpdateService by hand): the local
    /// stack counts it as a scaling activity, so the cooldowns protect it for a while
    /// (AWS's alarms may undo it at their next evaluation).
    pub(crate) fn external_change(&self, resource_id: &str, from: u32, to: u32, now: f64) {
        let d = Decision {
            direction: crate::autoscaling::engine::Direction::Bounds,
            from,
            to,
            cause: "a manual change of the desired count".into(),
        };
        let mut inner = self.lock();
        for (key, t) in inner.trackers.iter_mut() {
            if key.starts_with(&format!("{resource_id}\n")) {
                t.applied(&d, now);
            }
        }
    }

    /// One evaluation period for `resource_id`: runs each of its policies on the
    /// utilization measured over the period; returns the decision to apply (the largest
    /// count any policy asks for, as Application Auto Scaling does with several target
    /// tracking policies), recorded as a scaling activity.
    pub(crate) fn evaluate(
        &self,
        resource_id: &str,
        obs: Observation,
        cpu: Option<f64>,
        memory: Option<f64>,
        params: Params,
    ) -> Option<Decision> {
        let mut inner = self.lock();
        let target = inner
            .targets
            .iter()
            .find(|t| t.resource_id == resource_id)?
            .clone();
        let bounds = Bounds {
            min: target.min,
            max: target.max,
            scale_in_suspended: target.suspended.dynamic_in,
            scale_out_suspended: target.suspended.dynamic_out,
        };
        let policies: Vec<Policy> = inner
            .policies
            .iter()
            .filter(|p| p.resource_id == resource_id)
            .cloned()
            .collect();
        let mut best: Option<Decision> = None;
        if policies.is_empty() {
            // No policy: still keep the desired count inside the bounds.
            let mut tr = Tracker::default();
            let idle = TargetTracking {
                metric: Metric::Cpu,
                target_value: 100.0,
                scale_out_cooldown: 0.0,
                scale_in_cooldown: 0.0,
                disable_scale_in: true,
            };
            best = tr.observe(
                Observation {
                    metric: None,
                    ..obs
                },
                bounds,
                &idle,
                params,
            );
        }
        // Several target tracking policies: scale out (or into the bounds) to the largest
        // count any asks for; scale in only when every one of them asks to, and then by
        // the least any asks for (as Application Auto Scaling does).
        let mut asks = Vec::new();
        for p in &policies {
            let metric = match p.config.metric {
                Metric::Cpu => cpu,
                Metric::Memory => memory,
            };
            let tracker = inner
                .trackers
                .entry(format!("{resource_id}\n{}", p.name))
                .or_default();
            asks.push(tracker.observe(Observation { metric, ..obs }, bounds, &p.config, params));
        }
        let grow = asks
            .iter()
            .flatten()
            .filter(|d| d.direction != crate::autoscaling::engine::Direction::In)
            .max_by_key(|d| d.to)
            .cloned();
        if grow.is_some() {
            best = grow;
        } else if !asks.is_empty() && asks.iter().all(|d| d.is_some()) {
            best = asks.into_iter().flatten().max_by_key(|d| d.to);
        }
        if let Some(d) = &best {
            for p in &policies {
                if let Some(t) = inner
                    .trackers
                    .get_mut(&format!("{resource_id}\n{}", p.name))
                {
                    t.applied(d, obs.now);
                }
            }
            self.record(&mut inner, resource_id, d, obs.now);
        }
        best
    }
}

/// What the driver needs from the ECS service it scales.
pub(crate) trait ScalableService: Send + Sync + 'static {
    /// The ResourceId (`service/<cluster>/<service>`).
    fn resource_id(&self) -> String;
    fn desired_count(&self) -> u32;
    /// Sets the desired count (the scheduler starts or stops tasks).
    fn set_desired_count(&self, n: u32, cause: &str);
    /// The running tasks of the service's primary task set, with their processes.
    fn task_processes(&self) -> Vec<crate::autoscaling::cpu::TaskProc>;
    fn deployment_in_progress(&self) -> bool;
}

/// The last evaluation, for `status` and the tests' figures.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub(crate) struct LastEvaluation {
    pub(crate) at: f64,
    pub(crate) desired: u32,
    pub(crate) cpu: Option<f64>,
    pub(crate) memory: Option<f64>,
    pub(crate) tasks: Vec<(String, Option<f64>, Option<f64>)>,
}

/// Measures the service every `period` and applies the policies' decisions, until
/// `shutdown`. `last` receives each period's figures.
pub(crate) async fn run(
    backend: Arc<AutoScaling>,
    service: Arc<dyn ScalableService>,
    period: Duration,
    params: Params,
    last: Arc<Mutex<LastEvaluation>>,
    shutdown: CancellationToken,
) {
    let ticks = crate::autoscaling::cpu::clock_ticks();
    let mut meter = crate::autoscaling::cpu::Meter::default();
    let started = tokio::time::Instant::now();
    let mut expected: Option<u32> = None;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
        let now = deployer_models::time::now_secs();
        let tasks = service.task_processes();
        let secs = started.elapsed().as_secs_f64();
        let usage = meter.sample(&tasks, secs, ticks, |pid| {
            (
                crate::autoscaling::cpu::cpu_ticks(pid),
                crate::autoscaling::cpu::rss_bytes(pid),
            )
        });
        let desired = service.desired_count();
        if expected.is_some_and(|e| e != desired) {
            backend.external_change(&service.resource_id(), expected.unwrap_or(0), desired, secs);
        }
        expected = Some(desired);
        let obs = Observation {
            now: secs,
            desired,
            metric: None,
            deployment_in_progress: service.deployment_in_progress(),
        };
        *deployer_models::sync::lock(&last) = LastEvaluation {
            at: now,
            desired,
            cpu: usage.cpu,
            memory: usage.memory,
            tasks: usage.tasks.clone(),
        };
        if let Some(d) =
            backend.evaluate(&service.resource_id(), obs, usage.cpu, usage.memory, params)
        {
            tracing::info!(
                target: "autoscaling",
                "desired count {} -> {} (CPU {}): {}",
                d.from,
                d.to,
                usage
                    .cpu
                    .map(|c| format!("{c:.1}%"))
                    .unwrap_or_else(|| "n/a".into()),
                d.cause
            );
            service.set_desired_count(d.to, &d.cause);
            expected = Some(d.to);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_ecs_desired_count_and_cpu_or_memory_target_tracking_are_served() {
        let scope = |ns, dim| Scope {
            namespace: ns,
            dimension: dim,
        };
        assert!(check_scope(scope(Some("ecs"), Some(DIMENSION)), true).is_ok());
        assert!(check_scope(scope(Some("ecs"), None), false).is_ok());
        assert_eq!(
            check_scope(scope(Some("ecs"), None), true)
                .unwrap_err()
                .code,
            ScalingCode::ValidationException
        );
        assert!(check_scope(scope(Some("dynamodb"), Some(DIMENSION)), true).is_err());
        let policy = PolicyRequest {
            policy_type: Some("TargetTrackingScaling".into()),
            configured: true,
            target_value: Some(50.0),
            metric_type: Some("ECSServiceAverageCPUUtilization".into()),
            ..PolicyRequest::default()
        };
        let t = target_tracking(&policy).unwrap();
        assert_eq!((t.scale_out_cooldown, t.scale_in_cooldown), (300.0, 300.0));
        for bad in [
            PolicyRequest {
                policy_type: None,
                ..policy.clone()
            },
            PolicyRequest {
                customized_metric: true,
                ..policy.clone()
            },
            PolicyRequest {
                metric_type: Some("ALBRequestCountPerTarget".into()),
                ..policy.clone()
            },
        ] {
            assert!(target_tracking(&bad).is_err(), "{bad:?}");
        }
        assert_eq!(page_bounds(None, Some("10")).unwrap(), (10, 50));
        assert_eq!(
            page_bounds(None, Some("x")).unwrap_err().code,
            ScalingCode::InvalidNextTokenException
        );
        assert!(page_bounds(Some(51), None).is_err());
    }

    fn backend() -> AutoScaling {
        AutoScaling::new(
            "us-east-1",
            "000000000000",
            vec!["service/demo/demo".into()],
        )
    }

    fn cpu_policy(target: f64) -> TargetTracking {
        TargetTracking {
            metric: Metric::Cpu,
            target_value: target,
            scale_out_cooldown: 5.0,
            scale_in_cooldown: 5.0,
            disable_scale_in: false,
        }
    }

    fn reg(min: Option<u32>, max: Option<u32>) -> Registration {
        Registration {
            resource_id: "service/demo/demo".into(),
            min,
            max,
            ..Default::default()
        }
    }

    #[test]
    fn register_creates_then_updates_what_is_given() {
        let b = backend();
        let e = b.register(&reg(Some(2), None), 1.0).unwrap_err();
        assert_eq!(e.code_str(), "ValidationException");
        let arn = b.register(&reg(Some(2), Some(4)), 1.0).unwrap();
        assert!(arn.starts_with(
            "arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/"
        ));
        let again = b.register(&reg(None, Some(6)), 2.0).unwrap();
        assert_eq!(arn, again);
        let t = b.target("service/demo/demo").unwrap();
        assert_eq!((t.min, t.max, t.created), (2, 6, 1.0));
        assert!(t
            .role_arn
            .ends_with("AWSServiceRoleForApplicationAutoScaling_ECSService"));
        let e = b.register(&reg(Some(7), None), 3.0).unwrap_err();
        assert!(e.to_string().contains("greater than maximum"), "{e}");
        let e = b
            .register(
                &Registration {
                    resource_id: "service/demo/other".into(),
                    min: Some(1),
                    max: Some(2),
                    ..Default::default()
                },
                1.0,
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "ECS service doesn't exist: service/demo/other"
        );
    }

    #[test]
    fn policies_need_a_target_and_go_with_it() {
        let b = backend();
        let e = b
            .put_policy("service/demo/demo", "cpu", cpu_policy(50.0), json!({}), 1.0)
            .unwrap_err();
        assert_eq!(e.code_str(), "ObjectNotFoundException");
        b.register(&reg(Some(1), Some(3)), 1.0).unwrap();
        let p = b
            .put_policy("service/demo/demo", "cpu", cpu_policy(50.0), json!({}), 1.0)
            .unwrap();
        assert!(p.arn.contains(":scalingPolicy:") && p.arn.ends_with(":policyName/cpu"));
        assert_eq!(p.alarms.len(), 2);
        let e = b
            .put_policy("service/demo/demo", "bad", cpu_policy(0.0), json!({}), 1.0)
            .unwrap_err();
        assert_eq!(e.code_str(), "ValidationException");
        assert_eq!(b.policies(None, &[]).len(), 1);
        b.deregister("service/demo/demo").unwrap();
        assert!(b.policies(None, &[]).is_empty());
        assert_eq!(
            b.deregister("service/demo/demo").unwrap_err().code_str(),
            "ObjectNotFoundException"
        );
    }

    /// A service scalable from 1 to 5 tasks with two target-tracking policies: CPU at 50%,
    /// memory at 10%.
    fn backend_with_cpu_and_memory_policies() -> AutoScaling {
        let b = backend();
        b.register(&reg(Some(1), Some(5)), 0.0).unwrap();
        b.put_policy("service/demo/demo", "cpu", cpu_policy(50.0), json!({}), 0.0)
            .unwrap();
        b.put_policy(
            "service/demo/demo",
            "mem",
            TargetTracking {
                metric: Metric::Memory,
                ..cpu_policy(10.0)
            },
            json!({}),
            0.0,
        )
        .unwrap();
        b
    }

    #[test]
    fn evaluate_scales_records_activities_and_takes_the_largest_ask() {
        let b = backend_with_cpu_and_memory_policies();
        let p = Params {
            high_periods: 2,
            low_periods: 3,
            low_ratio: 0.9,
        };
        let mut desired = 1;
        let mut decisions = Vec::new();
        for i in 0..3 {
            let obs = Observation {
                now: i as f64,
                desired,
                metric: None,
                deployment_in_progress: false,
            };
            // CPU asks for ceil(1 * 80 / 50) = 2; memory for ceil(1 * 35 / 10) = 4.
            if let Some(d) = b.evaluate("service/demo/demo", obs, Some(80.0), Some(35.0), p) {
                desired = d.to;
                decisions.push(d);
            }
        }
        assert_eq!(decisions.len(), 1);
        assert_eq!(decisions[0].to, 4);
        let acts = b.activities(Some("service/demo/demo"));
        assert_eq!(acts.len(), 1);
        assert_eq!(acts[0].description, "Setting desired count to 4.");
        assert_eq!(acts[0].status, "Successful");
        // Unknown resource: nothing.
        let obs = Observation {
            now: 9.0,
            desired: 1,
            metric: None,
            deployment_in_progress: false,
        };
        assert_eq!(b.evaluate("service/x/y", obs, Some(99.0), None, p), None);
    }

    #[test]
    fn scale_in_needs_every_policy() {
        let b = backend_with_cpu_and_memory_policies();
        let p = Params {
            high_periods: 1,
            low_periods: 2,
            low_ratio: 0.9,
        };
        let obs = |now: f64| Observation {
            now,
            desired: 4,
            metric: None,
            deployment_in_progress: false,
        };
        // CPU idle, memory at its target: no scale in.
        for i in 0..20 {
            let d = b.evaluate(
                "service/demo/demo",
                obs(10.0 + i as f64),
                Some(1.0),
                Some(10.0),
                p,
            );
            assert_eq!(d, None, "period {i}");
        }
        // Both idle: scale in once both alarms hold (and the cooldown since t=0 passed).
        let mut got = None;
        for i in 0..20 {
            got = got.or(b.evaluate(
                "service/demo/demo",
                obs(40.0 + i as f64),
                Some(1.0),
                Some(1.0),
                p,
            ));
        }
        assert_eq!(
            got.map(|d| (d.direction, d.to)),
            Some((crate::autoscaling::engine::Direction::In, 1))
        );
    }

    #[test]
    fn without_policies_the_bounds_still_hold() {
        let b = backend();
        b.register(&reg(Some(3), Some(5)), 0.0).unwrap();
        let obs = Observation {
            now: 1.0,
            desired: 2,
            metric: None,
            deployment_in_progress: false,
        };
        let d = b
            .evaluate("service/demo/demo", obs, None, None, Params::default())
            .unwrap();
        assert_eq!(d.to, 3);
    }
}
