//! One poll of a deployment: the CodeDeploy reads ([`crate::aws::codedeploy`]) turned
//! into the machine's [`Observation`].

use aws_sdk_codedeploy::types::{DeploymentInfo, EcsTarget};

use crate::aws::{codedeploy, Ctx};
use crate::watch::machine::{Diagnostics, LifecycleObservation, Observation, TaskSetObservation};

/// Reads the deployment and its ECS target into an [`Observation`].
pub(crate) async fn observe(ctx: &Ctx, id: &str) -> anyhow::Result<Observation> {
    let info = codedeploy::deployment(ctx, id).await?;
    let mut obs = from_deployment(id, &info);
    if obs.status == "Created" || obs.status == "Queued" {
        return Ok(obs);
    }
    if let Some(ecs) = codedeploy::ecs_target(ctx, id).await? {
        add_target(&mut obs, ecs);
    }
    Ok(obs)
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
        termination_wait_started: info.instance_termination_wait_time_started,
        created_at: info.create_time.map(|t| t.secs()),
        ..Observation::default()
    }
}

fn add_target(obs: &mut Observation, ecs: EcsTarget) {
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
        })
        .collect();
    let mut sets: Vec<TaskSetObservation> = ecs
        .task_sets_info
        .unwrap_or_default()
        .into_iter()
        .map(|t| TaskSetObservation {
            label: t
                .task_set_label
                .map(|l| l.as_str().to_owned())
                .unwrap_or_else(|| "?".into()),
            identifier: t.identifer.unwrap_or_default(),
            desired: t.desired_count,
            pending: t.pending_count,
            running: t.running_count,
            traffic_weight: t.traffic_weight,
            target_group: t.target_group.and_then(|g| g.name),
            status: t.status,
        })
        .collect();
    // Blue first, then green: a stable order for display and comparison.
    sets.sort_by(|a, b| a.label.cmp(&b.label));
    obs.task_sets = sets;
}
