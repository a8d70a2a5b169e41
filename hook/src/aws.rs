//! The hook's AWS side: CodeDeploy (the deployment's task sets, the hook status) and ELBv2
//! (each target group's tasks).

use anyhow::{anyhow, Context};
use aws_sdk_codedeploy::types::{LifecycleEventStatus, TargetLabel};
use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;

use crate::{Deployments, HookEvent, Sides};

/// The clients, from one configuration load (the function's role, its Region).
#[derive(Debug, Clone)]
pub struct Aws {
    pub codedeploy: aws_sdk_codedeploy::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
}

impl Aws {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            codedeploy: aws_sdk_codedeploy::Client::new(config),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::new(config),
        }
    }

    /// (green, blue) target group names, from the deployment's ECS target.
    async fn target_groups(&self, deployment_id: &str) -> anyhow::Result<(String, Option<String>)> {
        let ids = self
            .codedeploy
            .list_deployment_targets()
            .deployment_id(deployment_id)
            .send()
            .await
            .context("codedeploy:ListDeploymentTargets")?;
        let target_id = ids
            .target_ids()
            .first()
            .ok_or_else(|| anyhow!("deployment {deployment_id} has no target"))?;
        let target = self
            .codedeploy
            .get_deployment_target()
            .deployment_id(deployment_id)
            .target_id(target_id)
            .send()
            .await
            .context("codedeploy:GetDeploymentTarget")?;
        let ecs = target
            .deployment_target()
            .and_then(|t| t.ecs_target())
            .ok_or_else(|| anyhow!("deployment {deployment_id} is not an ECS deployment"))?;
        pick_target_groups(ecs.task_sets_info().iter().map(|ts| {
            (
                ts.task_set_label(),
                ts.target_group().and_then(|g| g.name()),
            )
        }))
        .with_context(|| format!("deployment {deployment_id}"))
    }

    /// `http://<ip>:<port><path>` of each task registered in `name` (only the healthy ones
    /// when `healthy_only`; draining or unused targets never).
    async fn task_urls(
        &self,
        name: &str,
        path: &str,
        healthy_only: bool,
    ) -> anyhow::Result<Vec<reqwest::Url>> {
        let groups = self
            .elbv2
            .describe_target_groups()
            .names(name)
            .send()
            .await
            .context("elasticloadbalancing:DescribeTargetGroups")?;
        let group = groups
            .target_groups()
            .first()
            .ok_or_else(|| anyhow!("target group {name} not found"))?;
        let arn = group.target_group_arn().unwrap_or_default();
        let health = self
            .elbv2
            .describe_target_health()
            .target_group_arn(arn)
            .send()
            .await
            .context("elasticloadbalancing:DescribeTargetHealth")?;
        let targets = health.target_health_descriptions().iter().filter_map(|d| {
            let t = d.target()?;
            let state = d.target_health().and_then(|h| h.state()).cloned();
            Some((t.id()?.to_owned(), t.port().or(group.port()), state))
        });
        task_urls(targets, path, healthy_only)
    }
}

/// The green and blue target groups of a deployment's task sets (label, group name).
pub fn pick_target_groups<'a>(
    task_sets: impl Iterator<Item = (Option<&'a TargetLabel>, Option<&'a str>)>,
) -> anyhow::Result<(String, Option<String>)> {
    let (mut green, mut blue) = (None, None);
    for (label, group) in task_sets {
        match label {
            Some(TargetLabel::Green) => green = group.map(str::to_owned),
            Some(TargetLabel::Blue) => blue = group.map(str::to_owned),
            _ => {}
        }
    }
    let green = green.ok_or_else(|| anyhow!("no task set labelled Green with a target group"))?;
    Ok((green, blue))
}

/// The URLs of targets (ip, port, health state), skipping draining and unused ones, and all
/// but the healthy ones when `healthy_only`.
pub fn task_urls(
    targets: impl Iterator<Item = (String, Option<i32>, Option<TargetHealthStateEnum>)>,
    path: &str,
    healthy_only: bool,
) -> anyhow::Result<Vec<reqwest::Url>> {
    let mut urls = Vec::new();
    for (ip, port, state) in targets {
        let keep = match state {
            Some(TargetHealthStateEnum::Healthy) => true,
            Some(TargetHealthStateEnum::Draining | TargetHealthStateEnum::Unused) => false,
            _ => !healthy_only,
        };
        if !keep {
            continue;
        }
        let port = port.ok_or_else(|| anyhow!("target {ip} has no port"))?;
        let url = format!("http://{ip}:{port}{path}");
        urls.push(url.parse().with_context(|| format!("target URL {url}"))?);
    }
    Ok(urls)
}

impl Deployments for Aws {
    async fn sides(&self, deployment_id: &str, path: &str) -> anyhow::Result<Sides> {
        let (green, blue) = self.target_groups(deployment_id).await?;
        let green_urls = self.task_urls(&green, path, false).await?;
        let blue_urls = match &blue {
            Some(b) => self.task_urls(b, path, true).await?,
            None => Vec::new(),
        };
        Ok(Sides {
            green_target_group: green,
            green: green_urls,
            blue_target_group: blue,
            blue: blue_urls,
        })
    }

    async fn report(&self, event: &HookEvent, passed: bool) -> anyhow::Result<()> {
        self.codedeploy
            .put_lifecycle_event_hook_execution_status()
            .deployment_id(&event.deployment_id)
            .lifecycle_event_hook_execution_id(&event.lifecycle_event_hook_execution_id)
            .status(if passed {
                LifecycleEventStatus::Succeeded
            } else {
                LifecycleEventStatus::Failed
            })
            .send()
            .await
            .context("codedeploy:PutLifecycleEventHookExecutionStatus")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn green_and_blue_come_from_the_labels() {
        let sets = [
            (Some(TargetLabel::Blue), Some("demo-blue")),
            (Some(TargetLabel::Green), Some("demo-green")),
        ];
        let got = pick_target_groups(sets.iter().map(|(l, g)| (l.as_ref(), *g))).unwrap();
        assert_eq!(got, ("demo-green".to_owned(), Some("demo-blue".to_owned())));
        // A rollback deployment's green is whichever group its replacement uses.
        let sets = [(Some(TargetLabel::Green), Some("demo-blue"))];
        let got = pick_target_groups(sets.iter().map(|(l, g)| (l.as_ref(), *g))).unwrap();
        assert_eq!(got, ("demo-blue".to_owned(), None));
        let none: [(Option<TargetLabel>, Option<&str>); 0] = [];
        assert!(pick_target_groups(none.iter().map(|(l, g)| (l.as_ref(), *g))).is_err());
    }

    #[test]
    fn task_urls_keep_live_targets() {
        let targets = vec![
            (
                "10.0.1.5".to_owned(),
                Some(3000),
                Some(TargetHealthStateEnum::Healthy),
            ),
            (
                "10.0.2.6".to_owned(),
                Some(3000),
                Some(TargetHealthStateEnum::Initial),
            ),
            (
                "10.0.3.7".to_owned(),
                Some(3000),
                Some(TargetHealthStateEnum::Draining),
            ),
        ];
        let all = task_urls(targets.clone().into_iter(), "/", false).unwrap();
        assert_eq!(
            all.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
            ["http://10.0.1.5:3000/", "http://10.0.2.6:3000/"]
        );
        let healthy = task_urls(targets.into_iter(), "/", true).unwrap();
        assert_eq!(healthy.len(), 1);
    }
}
