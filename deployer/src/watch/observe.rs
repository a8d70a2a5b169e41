//! One poll of a deployment: the CodeDeploy reads ([`crate::aws::codedeploy`]) turned
//! into the machine's [`Observation`].

use aws_sdk_codedeploy::types::{DeploymentInfo, EcsTarget, TargetLabel};

use deployer_models::outputs::Outputs;

use crate::aws::{codedeploy, Ctx};
use crate::watch::machine::{
    role, Diagnostics, LifecycleObservation, Observation, TaskSetObservation,
};

/// Reads the deployment and its ECS target into an [`Observation`].
pub(crate) async fn observe(ctx: &Ctx, id: &str) -> anyhow::Result<Observation> {
    let info = codedeploy::deployment(ctx, id).await?;
    let mut obs = from_deployment(id, &info);
    if obs.status == "Created" || obs.status == "Queued" {
        return Ok(obs);
    }
    if let Some(ecs) = codedeploy::ecs_target(ctx, id).await? {
        add_target(&mut obs, ecs, &ctx.outputs);
    }
    Ok(obs)
}

/// Polls one deployment, spending as few calls as the watch needs: the target id is
/// read once (ListDeploymentTargets), and while the deployment sits in a wait (ready
/// or termination) the target, which does not change there, is not re-read: one
/// GetDeployment per poll.
#[derive(Debug, Default)]
pub(crate) struct Poller {
    target_id: Option<String>,
    last: Option<Observation>,
}

impl Poller {
    pub(crate) async fn observe(&mut self, ctx: &Ctx, id: &str) -> anyhow::Result<Observation> {
        let info = codedeploy::deployment(ctx, id).await?;
        let mut obs = from_deployment(id, &info);
        if obs.status == "Created" || obs.status == "Queued" {
            return Ok(obs);
        }
        let waiting = obs.status == "Ready"
            || (obs.termination_wait_started && !crate::aws::codedeploy::is_finished(&obs.status));
        if let Some(prev) = self.last.as_ref().filter(|p| {
            waiting
                && p.status == obs.status
                && p.termination_wait_started == obs.termination_wait_started
        }) {
            obs.lifecycle_events = prev.lifecycle_events.clone();
            obs.task_sets = prev.task_sets.clone();
            return Ok(obs);
        }
        if self.target_id.is_none() {
            self.target_id = codedeploy::first_target_id(ctx, id).await?;
        }
        if let Some(target) = &self.target_id {
            if let Some(ecs) = codedeploy::ecs_target_of(ctx, id, target).await? {
                add_target(&mut obs, ecs, &ctx.outputs);
            }
        }
        self.last = Some(obs.clone());
        Ok(obs)
    }
}

fn from_deployment(id: &str, info: &DeploymentInfo) -> Observation {
    Observation {
        deployment_id: id.to_owned(),
        status: info
            .status
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| "Unknown".into()),
        error_code: info
            .error_information
            .as_ref()
            .and_then(|e| e.code.as_ref().map(|c| c.as_str().to_owned())),
        error_message: info
            .error_information
            .as_ref()
            .and_then(|e| e.message.clone()),
        rollback_deployment_id: info
            .rollback_info
            .as_ref()
            .and_then(|r| r.rollback_deployment_id.clone())
            .filter(|r| r != id),
        rollback_message: info
            .rollback_info
            .as_ref()
            .and_then(|r| r.rollback_message.clone()),
        rolls_back: info
            .rollback_info
            .as_ref()
            .and_then(|r| r.rollback_triggering_deployment_id.clone())
            .filter(|r| r != id),
        termination_wait_started: info.instance_termination_wait_time_started,
        ready_wait_minutes: info
            .blue_green_deployment_configuration
            .as_ref()
            .and_then(|b| b.deployment_ready_option.as_ref())
            .filter(|r| {
                r.action_on_timeout
                    == Some(aws_sdk_codedeploy::types::DeploymentReadyAction::StopDeployment)
            })
            .map(|r| i64::from(r.wait_time_in_minutes)),
        termination_wait_minutes: info
            .blue_green_deployment_configuration
            .as_ref()
            .and_then(|b| b.terminate_blue_instances_on_deployment_success.as_ref())
            .map(|t| i64::from(t.termination_wait_time_in_minutes)),
        created_at: info.create_time.map(|t| t.secs()),
        ..Observation::default()
    }
}

fn add_target(obs: &mut Observation, ecs: EcsTarget, o: &Outputs) {
    let rollback = obs.rolls_back.is_some();
    obs.lifecycle_events = ecs
        .lifecycle_events
        .unwrap_or_default()
        .into_iter()
        .map(|e| LifecycleObservation {
            name: e.lifecycle_event_name.unwrap_or_default(),
            status: e
                .status
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| "Unknown".into()),
            diagnostics: e.diagnostics.map(|d| Diagnostics {
                error_code: d.error_code.map(|c| c.as_str().to_owned()),
                message: d.message,
                log_tail: d.log_tail.filter(|t| !t.is_empty()),
            }),
            end_time: e
                .end_time
                .map(|t| t.secs() as f64 + f64::from(t.subsec_nanos()) / 1e9),
        })
        .collect();
    let mut sets: Vec<TaskSetObservation> = ecs
        .task_sets_info
        .unwrap_or_default()
        .into_iter()
        .map(|t| TaskSetObservation {
            role: match t.task_set_label {
                Some(TargetLabel::Blue) => role(true, rollback).to_owned(),
                Some(TargetLabel::Green) => role(false, rollback).to_owned(),
                _ => "?".to_owned(),
            },
            receives_traffic: t.task_set_label == Some(TargetLabel::Green),
            color: match t.target_group.as_ref().and_then(|g| g.name.as_deref()) {
                Some(n) if n == o.target_group_blue_name => "blue".to_owned(),
                Some(n) if n == o.target_group_green_name => "green".to_owned(),
                Some(n) => n.to_owned(),
                None => "?".to_owned(),
            },
            identifier: t.identifer.unwrap_or_default(),
            desired: t.desired_count,
            pending: t.pending_count,
            running: t.running_count,
            traffic_weight: t.traffic_weight,
            target_group: t.target_group.and_then(|g| g.name),
            status: t.status,
        })
        .collect();
    // The original first, then the replacement: a stable order for display and comparison.
    sets.sort_by(|a, b| a.role.cmp(&b.role));
    obs.task_sets = sets;
}
