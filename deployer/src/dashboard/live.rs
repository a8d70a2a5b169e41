//! The real [`Source`]: the stack the Terraform outputs name, read through the deployer's
//! AWS layer (on AWS, or on `deployer local` through `AWS_ENDPOINT_URL`), and the actions
//! through the same calls as `deployer continue` and `deployer rollback`.
//!
//! Per poll: DescribeServices, ListTasks + DescribeTasks, DescribeListeners,
//! DescribeTargetHealth (two), ListDeployments + BatchGetDeployments (only deployments
//! not yet seen ended: an ended deployment never changes), and ListDeploymentTargets +
//! GetDeploymentTarget for the deployment shown. Task definitions are read once each.

use std::collections::HashMap;
use std::sync::Mutex;

use anyhow::Context;
use aws_sdk_codedeploy::types::{DeploymentInfo, DeploymentWaitType};

use super::snapshot::{ActionKind, Snapshot};
use super::source::{ActionRequest, BoxFuture, Source};
use super::stack::{self, Reading, TargetGroups};
use crate::aws::AwsResultExt;
use crate::context::Ctx;
use crate::exit::bad_input;

/// How many deployments the page lists.
pub const RECENT: usize = 8;

pub struct StackSource {
    ctx: Ctx,
    environment: String,
    tgs: TargetGroups,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    /// Task definition ARN -> image.
    images: HashMap<String, String>,
    /// Deployments that ended (they never change again).
    ended: HashMap<String, DeploymentInfo>,
}

impl StackSource {
    pub fn new(ctx: Ctx, environment: &str) -> StackSource {
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
        }
    }

    async fn read(&self) -> anyhow::Result<Snapshot> {
        let ctx = &self.ctx;
        let o = &ctx.outputs;
        let (service, tasks, listeners, health, deployments) = tokio::try_join!(
            ctx.service(),
            self.tasks(),
            self.listeners(),
            self.target_health(),
            self.deployments(),
        )?;
        let mut images = self.cache.lock().expect("cache lock").images.clone();
        for ts in service.task_sets.as_deref().unwrap_or_default() {
            if let Some(arn) = &ts.task_definition {
                if !images.contains_key(arn) {
                    let image = self.image(arn).await?;
                    images.insert(arn.clone(), image.clone());
                    self.cache
                        .lock()
                        .expect("cache lock")
                        .images
                        .insert(arn.clone(), image);
                }
            }
        }
        let target = match stack::shown(&deployments) {
            Some(d) => self.ecs_target(d).await?,
            None => None,
        };
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
            logs: Vec::new(),
        };
        Ok(stack::assemble(&reading, &self.tgs))
    }

    async fn tasks(&self) -> anyhow::Result<Vec<aws_sdk_ecs::types::Task>> {
        let o = &self.ctx.outputs;
        let ecs = &self.ctx.aws.ecs;
        let arns = ecs
            .list_tasks()
            .cluster(&o.cluster_name)
            .service_name(&o.service_name)
            .send()
            .await
            .aws("ecs:ListTasks")
            .context("listing the service's tasks")?
            .task_arns
            .unwrap_or_default();
        let mut tasks = Vec::new();
        // DescribeTasks takes 100 ARNs at a time.
        for chunk in arns.chunks(100) {
            let out = ecs
                .describe_tasks()
                .cluster(&o.cluster_name)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .aws("ecs:DescribeTasks")
                .context("reading the service's tasks")?;
            tasks.extend(out.tasks.unwrap_or_default());
        }
        Ok(tasks)
    }

    async fn listeners(
        &self,
    ) -> anyhow::Result<Vec<(String, aws_sdk_elasticloadbalancingv2::types::Listener)>> {
        let o = &self.ctx.outputs;
        let mut want = vec![("production", o.listener_arn.clone())];
        if let Some(t) = o.test_listener_arn.as_ref().filter(|a| !a.is_empty()) {
            want.push(("test", t.clone()));
        }
        let out = self
            .ctx
            .aws
            .elb
            .describe_listeners()
            .set_listener_arns(Some(want.iter().map(|(_, a)| a.clone()).collect()))
            .send()
            .await
            .aws("elbv2:DescribeListeners")
            .context("reading the listeners (Terraform outputs listener_arn, test_listener_arn)")?;
        let found = out.listeners.unwrap_or_default();
        Ok(want
            .into_iter()
            .filter_map(|(role, arn)| {
                found
                    .iter()
                    .find(|l| l.listener_arn.as_deref() == Some(arn.as_str()))
                    .map(|l| (role.to_owned(), l.clone()))
            })
            .collect())
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
            let descs = self
                .ctx
                .aws
                .elb
                .describe_target_health()
                .target_group_arn(arn)
                .send()
                .await
                .aws("elbv2:DescribeTargetHealth")
                .with_context(|| format!("reading the health of target group `{name}`"))?
                .target_health_descriptions
                .unwrap_or_default();
            out.push((arn.clone(), descs));
        }
        Ok(out)
    }

    /// The newest [`RECENT`] deployments, newest first; ended ones from the cache.
    async fn deployments(&self) -> anyhow::Result<Vec<DeploymentInfo>> {
        let ids = self.ctx.list_deployments(&[]).await?;
        let (mut known, unknown): (Vec<DeploymentInfo>, Vec<String>) = {
            let cache = self.cache.lock().expect("cache lock");
            let mut known = Vec::new();
            let mut unknown = Vec::new();
            for id in &ids {
                match cache.ended.get(id) {
                    Some(d) => known.push(d.clone()),
                    None => unknown.push(id.clone()),
                }
            }
            (known, unknown)
        };
        let fresh = self.ctx.deployments(&unknown).await?;
        {
            let mut cache = self.cache.lock().expect("cache lock");
            for d in &fresh {
                let ended = d
                    .status
                    .as_ref()
                    .is_some_and(|s| stack::is_terminal(s.as_str()));
                if let (true, Some(id)) = (ended, &d.deployment_id) {
                    cache.ended.insert(id.clone(), d.clone());
                }
            }
            // Forget what the group no longer lists.
            cache.ended.retain(|id, _| ids.contains(id));
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
        let cd = &self.ctx.aws.codedeploy;
        let targets = cd
            .list_deployment_targets()
            .deployment_id(id)
            .send()
            .await
            .aws("codedeploy:ListDeploymentTargets")
            .with_context(|| format!("listing the targets of deployment {id}"))?;
        let Some(target_id) = targets.target_ids.unwrap_or_default().into_iter().next() else {
            return Ok(None);
        };
        let target = cd
            .get_deployment_target()
            .deployment_id(id)
            .target_id(&target_id)
            .send()
            .await
            .aws("codedeploy:GetDeploymentTarget")
            .with_context(|| format!("reading target {target_id} of deployment {id}"))?;
        Ok(target.deployment_target.and_then(|t| t.ecs_target))
    }

    async fn image(&self, arn: &str) -> anyhow::Result<String> {
        let (_, model) = crate::deploy::describe(&self.ctx, arn).await?;
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
        crate::watch::check_deployment_id(id)?;
        let info = self.ctx.deployments(&[id.to_owned()]).await?;
        let d = info
            .into_iter()
            .next()
            .ok_or_else(|| bad_input(format!("deployment {id} not found")))?;
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
        match req.kind {
            ActionKind::Approve => {
                crate::watch::continue_deployment(&self.ctx, id, DeploymentWaitType::ReadyWait)
                    .await?;
                Ok(format!("{id}: approved: production traffic is switching"))
            }
            ActionKind::EndWait => {
                crate::watch::continue_deployment(
                    &self.ctx,
                    id,
                    DeploymentWaitType::TerminationWait,
                )
                .await?;
                Ok(format!(
                    "{id}: ended the termination wait: the original tasks are being removed"
                ))
            }
            ActionKind::Rollback => {
                crate::watch::stop_with_rollback(&self.ctx, id).await?;
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
