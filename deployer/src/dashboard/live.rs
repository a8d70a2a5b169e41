//! The real [`Source`]: the stack the Terraform outputs name, read through the deployer's
//! AWS layer (on AWS, or on `deployer local` through `AWS_ENDPOINT_URL`), and the actions
//! through the same calls as `deployer continue` and `deployer rollback`.
//!
//! Per poll: DescribeServices, ListTasks + DescribeTasks, DescribeListeners (each),
//! DescribeTargetHealth (two), ListDeployments + BatchGetDeployments (only deployments
//! not yet seen ended: an ended deployment never changes), and ListDeploymentTargets +
//! GetDeploymentTarget for the deployment shown (once, when it has ended), and
//! FilterLogEvents on the log group from the newest event already read (as `deployer logs
//! --follow`; its failure shows in the Logs panel only). Task definitions are read once each.
//! The release guards: one DescribeAlarms per poll for all the alarms the deployment group
//! watches (their names from GetDeploymentGroup, read again every [`ALARM_NAMES_TTL`]); the
//! validation hook's state comes with the deployment's target, its function from the
//! deployment's AppSpec (in BatchGetDeployments' answer), and its log
//! (FilterLogEvents on `/aws/lambda/<function>`) is read only when a hook is seen Failed,
//! and once more when its deployment has ended (lines written after the status was put).
//! A failure to read either shows in its panel only.

#![warn(unreachable_pub)]

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{DeploymentInfo, DeploymentWaitType};

use super::snapshot::{ActionKind, Snapshot};
use super::source::{ActionRequest, BoxFuture, Source};
use super::stack::{self, Reading, TargetGroups};
use crate::aws::cloudwatch::{self, AlarmState};
use crate::aws::codedeploy::check_deployment_id;
use crate::aws::{codedeploy, ecs, elbv2, logs, Ctx};
use crate::exit::bad_input;
use deployer_models::sync::lock;

/// How many deployments the page lists.
pub(crate) const RECENT: usize = 8;

/// How many log lines the page shows (the newest).
pub(crate) const LOG_LINES: usize = 50;

/// How far back the first read of the logs looks, milliseconds.
const LOG_LOOKBACK_MS: i64 = 10 * 60 * 1000;

/// At most this many events per read (a busy service catches up over the next polls).
const LOG_EVENTS_PER_READ: usize = 500;

/// How long the deployment group's alarm names are kept before GetDeploymentGroup is
/// asked again (a change of the group's alarm configuration shows after at most this).
const ALARM_NAMES_TTL: Duration = Duration::from_secs(300);

pub(crate) struct StackSource {
    ctx: Ctx,
    environment: String,
    tgs: TargetGroups,
    cache: Mutex<Cache>,
    /// The tail of the service's logs, read incrementally (only when a poll runs, that
    /// is while a page is open).
    tail: Mutex<stack::LogTail>,
}

/// Ended deployments kept in full (at least [`RECENT`]); older ones are remembered by id only.
const KEEP_ENDED: usize = 32;

#[derive(Default)]
struct Cache {
    /// Task definition ARN -> image, for the task sets of the last poll.
    images: HashMap<String, String>,
    /// Deployments that ended (they never change again), the newest [`KEEP_ENDED`].
    ended: HashMap<String, DeploymentInfo>,
    /// The ECS target (lifecycle events) of the last ended deployment shown: it no longer
    /// changes, so a page left open on a quiet stack costs no CodeDeploy target reads.
    ended_target: Option<(String, Option<aws_sdk_codedeploy::types::EcsTarget>)>,
    /// Ended deployments older than those: never read again (a deployment that ended is
    /// older than any in flight, so these are never among the newest [`RECENT`]).
    old: HashSet<String>,
    /// The deployment group's alarm names (or why they could not be read), and when.
    alarm_names: Option<(Instant, Result<Vec<String>, String>)>,
    /// The failed hooks' last log lines of the deployment shown, by lifecycle event: whether
    /// they were read after the deployment ended, and the lines (or why not).
    hook_logs: HashMap<String, (bool, Result<Vec<String>, String>)>,
    /// The deployment [`Cache::hook_logs`] are of.
    hook_logs_of: Option<String>,
}

impl StackSource {
    pub(crate) fn new(ctx: Ctx, environment: &str) -> StackSource {
        let o = &ctx.outputs;
        let tgs = TargetGroups {
            groups: vec![
                (
                    o.target_group_blue_arn.clone(),
                    o.target_group_blue_name.clone(),
                    "blue".into(),
                ),
                (
                    o.target_group_green_arn.clone(),
                    o.target_group_green_name.clone(),
                    "green".into(),
                ),
            ],
        };
        StackSource {
            ctx,
            environment: environment.to_owned(),
            tgs,
            cache: Mutex::default(),
            tail: Mutex::new(stack::LogTail::new(
                deployer_models::time::now_millis() - LOG_LOOKBACK_MS,
                LOG_LINES,
            )),
        }
    }

    async fn read(&self) -> anyhow::Result<Snapshot> {
        let ctx = &self.ctx;
        let o = &ctx.outputs;
        let (service, tasks, listeners, health, deployments) = tokio::try_join!(
            ecs::service(ctx),
            ecs::service_tasks(ctx, None),
            self.listeners(),
            self.target_health(),
            self.deployments(),
        )?;
        let mut images = HashMap::new();
        {
            // Only the task sets' task definitions stay cached.
            let mut cache = lock(&self.cache);
            let live: HashSet<&str> = service
                .task_sets
                .as_deref()
                .unwrap_or_default()
                .iter()
                .filter_map(|t| t.task_definition.as_deref())
                .collect();
            cache.images.retain(|arn, _| live.contains(arn.as_str()));
            images.extend(cache.images.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        for ts in service.task_sets.as_deref().unwrap_or_default() {
            if let Some(arn) = &ts.task_definition {
                if !images.contains_key(arn) {
                    let image = self.image(arn).await?;
                    images.insert(arn.clone(), image.clone());
                    lock(&self.cache).images.insert(arn.clone(), image);
                }
            }
        }
        let logs_error = self.read_logs().await.err().map(|e| format!("{e:#}"));
        let logs = lock(&self.tail).lines();
        let (target, hook_logs) = match stack::shown(&deployments) {
            Some(d) => {
                let target = self.ecs_target(d).await?;
                let hook_logs = self.hook_logs(d, target.as_ref()).await;
                (target, hook_logs)
            }
            None => (None, HashMap::new()),
        };
        let (alarms, alarms_error) = self.alarms().await;
        let reading = Reading {
            environment: self.environment.clone(),
            cluster: o.cluster_name.clone(),
            service_name: o.service_name.clone(),
            service: Some(service),
            images,
            tasks,
            listeners,
            target_health: health,
            deployments,
            target,
            logs_source: Some(o.log_group_name.clone()),
            logs,
            logs_error,
            alarms,
            alarms_error,
            hook_logs,
        };
        Ok(stack::assemble(&reading, &self.tgs))
    }

    /// The states of the alarms the deployment group watches: one DescribeAlarms for all
    /// of them; their names from GetDeploymentGroup, kept for [`ALARM_NAMES_TTL`].
    async fn alarms(&self) -> (Vec<AlarmState>, Option<String>) {
        let known = lock(&self.cache)
            .alarm_names
            .as_ref()
            .filter(|(at, _)| at.elapsed() < ALARM_NAMES_TTL)
            .map(|(_, names)| names.clone());
        let names = match known {
            Some(names) => names,
            None => {
                let names = codedeploy::deployment_group(&self.ctx)
                    .await
                    .map(|g| codedeploy::watched_alarms(&g))
                    .map_err(|e| format!("{e:#}"));
                lock(&self.cache).alarm_names = Some((Instant::now(), names.clone()));
                names
            }
        };
        match names {
            Ok(names) => match cloudwatch::alarms(&self.ctx, &names).await {
                Ok(states) => (states, None),
                Err(e) => (Vec::new(), Some(format!("{e:#}"))),
            },
            Err(e) => (Vec::new(), Some(e)),
        }
    }

    /// The last log lines of `d`'s failed hooks, by lifecycle event. Read when a hook is
    /// first seen Failed, and once more after `d` ended if the first read was before (the
    /// function's last lines can land after its status): never on every poll.
    async fn hook_logs(
        &self,
        d: &DeploymentInfo,
        target: Option<&aws_sdk_codedeploy::types::EcsTarget>,
    ) -> HashMap<String, Result<Vec<String>, String>> {
        let id = d.deployment_id.clone().unwrap_or_default();
        let ended = d
            .status
            .as_ref()
            .is_some_and(|s| codedeploy::is_finished(s.as_str()));
        let failed: Vec<(String, String)> = codedeploy::hooks_of(d)
            .into_iter()
            .filter(|(event, _)| {
                target.is_some_and(|t| {
                    t.lifecycle_events().iter().any(|e| {
                        e.lifecycle_event_name() == Some(event.as_str())
                            && e.status().map(|s| s.as_str()) == Some("Failed")
                    })
                })
            })
            .collect();
        {
            let mut cache = lock(&self.cache);
            if cache.hook_logs_of.as_deref() != Some(id.as_str()) {
                cache.hook_logs.clear();
                cache.hook_logs_of = Some(id.clone());
            }
        }
        let since = d.create_time.and_then(|t| t.to_millis().ok()).unwrap_or(0);
        for (event, function) in failed {
            let stale = match lock(&self.cache).hook_logs.get(&event) {
                Some((read_after_end, _)) => ended && !read_after_end,
                None => true,
            };
            if !stale {
                continue;
            }
            let lines = logs::function_lines(
                &self.ctx.aws.logs,
                &function,
                since,
                crate::watch::guards::HOOK_LOG_LINES,
            )
            .await
            .map(|events| events.into_iter().map(|e| e.message).collect())
            .map_err(|e| format!("{e:#}"));
            lock(&self.cache).hook_logs.insert(event, (ended, lines));
        }
        lock(&self.cache)
            .hook_logs
            .iter()
            .map(|(event, (_, lines))| (event.clone(), lines.clone()))
            .collect()
    }

    /// One incremental read of the log group (FilterLogEvents, as `deployer logs`), from
    /// the newest event seen.
    async fn read_logs(&self) -> anyhow::Result<()> {
        let start_ms = lock(&self.tail).start_time();
        let q = logs::Query {
            group: self.ctx.outputs.log_group_name.clone(),
            start_ms,
            max_events: LOG_EVENTS_PER_READ,
            ..logs::Query::default()
        };
        let events = logs::filter(&self.ctx.aws.logs, &q).await?;
        lock(&self.tail).admit(events);
        Ok(())
    }

    async fn listeners(
        &self,
    ) -> anyhow::Result<Vec<(String, aws_sdk_elasticloadbalancingv2::types::Listener)>> {
        let o = &self.ctx.outputs;
        let mut out = vec![(
            "production".to_owned(),
            elbv2::listener(&self.ctx, &o.listener_arn).await?,
        )];
        if let Some(arn) = o.test_listener_arn.as_ref().filter(|a| !a.is_empty()) {
            out.push(("test".to_owned(), elbv2::listener(&self.ctx, arn).await?));
        }
        Ok(out)
    }

    async fn target_health(
        &self,
    ) -> anyhow::Result<
        Vec<(
            String,
            Vec<aws_sdk_elasticloadbalancingv2::types::TargetHealthDescription>,
        )>,
    > {
        let mut out = Vec::new();
        for (arn, name, _) in &self.tgs.groups {
            out.push((
                arn.clone(),
                elbv2::target_health(&self.ctx, arn, name).await?,
            ));
        }
        Ok(out)
    }

    /// The newest [`RECENT`] deployments, newest first; ended ones from the cache.
    async fn deployments(&self) -> anyhow::Result<Vec<DeploymentInfo>> {
        let ids = codedeploy::list_deployments(&self.ctx, &[]).await?;
        let (mut known, unknown): (Vec<DeploymentInfo>, Vec<String>) = {
            let cache = lock(&self.cache);
            let mut known = Vec::new();
            let mut unknown = Vec::new();
            for id in &ids {
                if cache.old.contains(id) {
                    continue;
                }
                match cache.ended.get(id) {
                    Some(d) => known.push(d.clone()),
                    None => unknown.push(id.clone()),
                }
            }
            (known, unknown)
        };
        let fresh = codedeploy::deployments(&self.ctx, &unknown).await?;
        {
            let mut cache = lock(&self.cache);
            for d in &fresh {
                let ended = d
                    .status
                    .as_ref()
                    .is_some_and(|s| crate::aws::codedeploy::is_finished(s.as_str()));
                if let (true, Some(id)) = (ended, &d.deployment_id) {
                    cache.ended.insert(id.clone(), d.clone());
                }
            }
            // Forget what the group no longer lists; keep the newest ended ones in full.
            cache.ended.retain(|id, _| ids.contains(id));
            cache.old.retain(|id| ids.contains(id));
            if cache.ended.len() > KEEP_ENDED {
                let mut by_age: Vec<(Option<(i64, u32)>, String)> = cache
                    .ended
                    .iter()
                    .map(|(id, d)| {
                        (
                            d.create_time.map(|t| (t.secs(), t.subsec_nanos())),
                            id.clone(),
                        )
                    })
                    .collect();
                by_age.sort();
                let excess = by_age.len() - KEEP_ENDED;
                for (_, id) in by_age.into_iter().take(excess) {
                    cache.ended.remove(&id);
                    known.retain(|d| d.deployment_id.as_deref() != Some(id.as_str()));
                    cache.old.insert(id);
                }
            }
        }
        known.extend(fresh);
        known.sort_by_key(|d| {
            std::cmp::Reverse(d.create_time.map(|t| (t.secs(), t.subsec_nanos())))
        });
        known.truncate(RECENT);
        Ok(known)
    }

    async fn ecs_target(
        &self,
        d: &DeploymentInfo,
    ) -> anyhow::Result<Option<aws_sdk_codedeploy::types::EcsTarget>> {
        let Some(id) = d.deployment_id.as_deref() else {
            return Ok(None);
        };
        if matches!(
            d.status.as_ref().map(|s| s.as_str()),
            Some("Created" | "Queued")
        ) {
            return Ok(None);
        }
        let ended = d
            .status
            .as_ref()
            .is_some_and(|s| crate::aws::codedeploy::is_finished(s.as_str()));
        if ended {
            let cache = lock(&self.cache);
            if let Some((cached, target)) = &cache.ended_target {
                if cached == id {
                    return Ok(target.clone());
                }
            }
        }
        let target = codedeploy::ecs_target(&self.ctx, id).await?;
        if ended {
            lock(&self.cache).ended_target = Some((id.to_owned(), target.clone()));
        }
        Ok(target)
    }

    async fn image(&self, arn: &str) -> anyhow::Result<String> {
        let (_, model) = ecs::describe_task_definition(&self.ctx, arn).await?;
        Ok(model
            .container_definitions
            .iter()
            .find(|c| c.name == self.ctx.outputs.container_name)
            .or(model.container_definitions.first())
            .map(|c| c.image.clone())
            .unwrap_or_default())
    }

    async fn act_on(&self, req: ActionRequest) -> anyhow::Result<String> {
        let id = req.deployment_id.as_str();
        check_deployment_id(id)?;
        let d = codedeploy::deployment(&self.ctx, id).await?;
        let allowed = stack::actions(&d);
        let status = d
            .status
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        if !allowed.contains(&req.kind) {
            return Err(bad_input(format!(
                "deployment {id} is {status}: {} is not possible now{}",
                req.kind.as_str(),
                if allowed.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (possible: {})",
                        allowed
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            )));
        }
        crate::aws::sts::ensure_account(&self.ctx).await?;
        match req.kind {
            ActionKind::Approve => {
                codedeploy::continue_deployment(&self.ctx, id, DeploymentWaitType::ReadyWait)
                    .await?;
                Ok(format!("{id}: approved: production traffic is switching"))
            }
            ActionKind::EndWait => {
                codedeploy::continue_deployment(&self.ctx, id, DeploymentWaitType::TerminationWait)
                    .await?;
                Ok(format!(
                    "{id}: ended the termination wait: the original tasks are being removed"
                ))
            }
            ActionKind::Rollback => {
                codedeploy::stop_with_rollback(&self.ctx, id).await?;
                Ok(format!("{id}: stopped; CodeDeploy rolls back"))
            }
        }
    }
}

impl Source for StackSource {
    fn snapshot(&self) -> BoxFuture<'_, anyhow::Result<Snapshot>> {
        Box::pin(self.read())
    }

    fn act(&self, action: ActionRequest) -> BoxFuture<'_, anyhow::Result<String>> {
        Box::pin(self.act_on(action))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
    use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};
    use aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsOutput;
    use aws_sdk_cloudwatchlogs::types::FilteredLogEvent;
    use aws_sdk_codedeploy::operation::get_deployment_group::GetDeploymentGroupOutput;
    use aws_sdk_codedeploy::types::{
        Alarm, AlarmConfiguration, AppSpecContent, DeploymentGroupInfo, DeploymentStatus,
        EcsTarget, LifecycleEvent, LifecycleEventStatus, RevisionLocation, RevisionLocationType,
    };

    use super::*;
    use crate::aws::mock::{ctx, mock};

    #[tokio::test]
    async fn one_describe_alarms_per_poll_and_the_group_read_once() {
        let group = mock!(aws_sdk_codedeploy::Client::get_deployment_group).then_output(|| {
            GetDeploymentGroupOutput::builder()
                .deployment_group_info(
                    DeploymentGroupInfo::builder()
                        .alarm_configuration(
                            AlarmConfiguration::builder()
                                .enabled(true)
                                .alarms(Alarm::builder().name("demo-http-5xx").build())
                                .alarms(Alarm::builder().name("demo-unhealthy-hosts").build())
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
        let alarms = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
            .match_requests(|r| r.alarm_names().len() == 2)
            .then_output(|| {
                DescribeAlarmsOutput::builder()
                    .metric_alarms(
                        MetricAlarm::builder()
                            .alarm_name("demo-http-5xx")
                            .state_value(StateValue::Alarm)
                            .build(),
                    )
                    .build()
            });
        let source = StackSource::new(ctx(&[&group, &alarms]), "AWS");
        for _ in 0..3 {
            let (states, error) = source.alarms().await;
            assert_eq!(error, None);
            assert_eq!(states.len(), 1);
            assert_eq!(states[0].state, "ALARM");
        }
        assert_eq!(
            alarms.num_calls(),
            3,
            "one DescribeAlarms per poll, for both"
        );
        assert_eq!(group.num_calls(), 1, "the group's alarm names are kept");
    }

    #[tokio::test]
    async fn an_unreadable_alarm_configuration_is_the_panels_error_not_the_polls() {
        let group = mock!(aws_sdk_codedeploy::Client::get_deployment_group).then_error(|| {
            aws_sdk_codedeploy::operation::get_deployment_group::GetDeploymentGroupError::unhandled(
                "AccessDeniedException",
            )
        });
        let source = StackSource::new(ctx(&[&group]), "AWS");
        let (states, error) = source.alarms().await;
        assert!(states.is_empty());
        assert!(
            error
                .as_deref()
                .unwrap()
                .contains("codedeploy:GetDeploymentGroup"),
            "{error:?}"
        );
    }

    fn deployment(status: DeploymentStatus) -> DeploymentInfo {
        DeploymentInfo::builder()
            .deployment_id("d-ABCDE1234")
            .status(status)
            .revision(
                RevisionLocation::builder()
                    .revision_type(RevisionLocationType::AppSpecContent)
                    .app_spec_content(
                        AppSpecContent::builder()
                            .content(
                                "version: 0.0\nResources:\n- TargetService:\n    Type: AWS::ECS::Service\n    Properties:\n      TaskDefinition: td\nHooks:\n- AfterAllowTestTraffic: demo-validate\n",
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn target(status: LifecycleEventStatus) -> EcsTarget {
        EcsTarget::builder()
            .deployment_id("d-ABCDE1234")
            .lifecycle_events(
                LifecycleEvent::builder()
                    .lifecycle_event_name("AfterAllowTestTraffic")
                    .status(status)
                    .build(),
            )
            .build()
    }

    #[tokio::test]
    async fn the_hooks_log_is_read_when_it_failed_and_once_more_when_the_deployment_ended() {
        let lines = mock!(aws_sdk_cloudwatchlogs::Client::filter_log_events)
            .match_requests(|r| r.log_group_name() == Some("/aws/lambda/demo-validate"))
            .then_output(|| {
                FilterLogEventsOutput::builder()
                    .events(
                        FilteredLogEvent::builder()
                            .timestamp(1)
                            .message("green failed the checks")
                            .build(),
                    )
                    .build()
            });
        let source = StackSource::new(ctx(&[&lines]), "local");
        let running = deployment(DeploymentStatus::InProgress);
        // Running: nothing to read.
        let logs = source
            .hook_logs(&running, Some(&target(LifecycleEventStatus::InProgress)))
            .await;
        assert!(logs.is_empty());
        assert_eq!(lines.num_calls(), 0);
        // Failed: read once, then kept over the next polls.
        for _ in 0..3 {
            let logs = source
                .hook_logs(&running, Some(&target(LifecycleEventStatus::Failed)))
                .await;
            assert_eq!(
                logs["AfterAllowTestTraffic"].as_deref(),
                Ok(&["green failed the checks".to_string()][..])
            );
        }
        assert_eq!(lines.num_calls(), 1, "read when it failed, not every poll");
        // The deployment ended: once more (lines written after the status), then never.
        let ended = deployment(DeploymentStatus::Failed);
        for _ in 0..3 {
            source
                .hook_logs(&ended, Some(&target(LifecycleEventStatus::Failed)))
                .await;
        }
        assert_eq!(lines.num_calls(), 2);
    }
}
