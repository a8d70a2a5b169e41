//! Auto scaling of the local service, set up as `infra/autoscaling.tf` sets it up on AWS:
//! a scalable target for `service/demo/demo` (min = `--tasks`, max = `--max-tasks`) and a
//! target tracking policy on the tasks' average CPU (`--cpu-target`), evaluated every
//! `--scale-period` on the task processes' real CPU use ([`crate::autoscaling::cpu`]).
//! The stack is the [`ScalableService`]: a decision sets the desired count, and the
//! scheduler (`stack::reconcile`) starts or stops tasks.

use std::sync::Arc;

use serde_json::json;

use crate::autoscaling::backend::{self as autoscaling, Registration, ScalableService};
use crate::autoscaling::cpu::TaskProc;
use crate::autoscaling::engine::{Metric, Params, TargetTracking};
use crate::ecs::model::TaskStatus;
use crate::names::{CLUSTER, SERVICE};
use crate::runtime::stack::Stack;
use deployer_models::time::now_secs as now;

/// The name of the local CPU policy (Terraform's is `<name>-cpu-target-tracking`).
pub(crate) const CPU_POLICY: &str = "demo-cpu-target-tracking";

struct Service(Arc<Stack>);

/// A task definition's cpu or memory as a number of units (`"256"`; one given with a
/// unit, `"1 vCPU"`, is not read).
fn units(v: Option<&str>) -> Option<u32> {
    v.and_then(|s| s.parse().ok())
}

impl ScalableService for Service {
    fn resource_id(&self) -> String {
        autoscaling::resource_id(CLUSTER, SERVICE)
    }

    fn desired_count(&self) -> u32 {
        self.0.world().service.desired
    }

    fn set_desired_count(&self, n: u32, cause: &str) {
        let mut w = self.0.world();
        w.set_desired(n);
        w.event(format!(
            "(service demo) desired count set to {n} by auto scaling: {cause}"
        ));
    }

    fn task_processes(&self) -> Vec<TaskProc> {
        let w = self.0.world();
        let primary: Vec<String> = w
            .service
            .task_sets
            .iter()
            .filter(|ts| ts.status == crate::ecs::model::TaskSetStatus::Primary)
            .flat_map(|ts| ts.tasks.clone())
            .collect();
        primary
            .iter()
            .filter_map(|id| w.tasks.get(id))
            .filter(|t| t.last_status == TaskStatus::Running && t.desired_running)
            .filter_map(|t| {
                let td = w.task_def(&t.task_def_arn);
                Some(TaskProc {
                    task_id: t.id.clone(),
                    pid: t.pid?,
                    cpu_units: td.and_then(|d| units(d.cpu.as_deref())).unwrap_or(256),
                    memory_mib: td.and_then(|d| units(d.memory.as_deref())).unwrap_or(512),
                })
            })
            .collect()
    }

    fn deployment_in_progress(&self) -> bool {
        self.0.world().deployment_in_progress()
    }
}

/// Registers the target and the CPU policy, and starts the evaluation loop (until the
/// stack shuts down).
pub(crate) fn start(stack: &Arc<Stack>) -> anyhow::Result<()> {
    let cfg = &stack.cfg;
    let resource = autoscaling::resource_id(CLUSTER, SERVICE);
    let t = now();
    stack
        .autoscaling
        .register(
            &Registration {
                resource_id: resource.clone(),
                min: Some(cfg.tasks),
                max: Some(cfg.max_tasks),
                role_arn: None,
                suspended: None,
            },
            t,
        )
        .map_err(|e| anyhow::anyhow!("auto scaling target: {e}"))?;
    let policy = TargetTracking {
        metric: Metric::Cpu,
        target_value: cfg.cpu_target,
        scale_out_cooldown: cfg.scale_out_cooldown.as_secs_f64(),
        scale_in_cooldown: cfg.scale_in_cooldown.as_secs_f64(),
        disable_scale_in: false,
    };
    let raw = json!({
        "TargetValue": cfg.cpu_target,
        "PredefinedMetricSpecification": {"PredefinedMetricType": Metric::Cpu.as_str()},
        "ScaleOutCooldown": cfg.scale_out_cooldown.as_secs(),
        "ScaleInCooldown": cfg.scale_in_cooldown.as_secs(),
        "DisableScaleIn": false,
    });
    stack
        .autoscaling
        .put_policy(&resource, CPU_POLICY, policy, raw, t)
        .map_err(|e| anyhow::anyhow!("auto scaling policy: {e}"))?;
    tokio::spawn(autoscaling::run(
        Arc::clone(&stack.autoscaling),
        Arc::new(Service(Arc::clone(stack))),
        cfg.scale_period,
        Params::default(),
        Arc::clone(&stack.scaling_figures),
        stack.shutdown.clone(),
    ));
    Ok(())
}
