//! The resolved configuration every AWS command starts from: the stack's Terraform
//! outputs and the AWS clients, plus the few reads several commands share.

use anyhow::Context;
use aws_sdk_codedeploy::types::{DeploymentGroupInfo, DeploymentInfo, DeploymentStatus};

use crate::aws::{Aws, AwsResultExt};
use crate::cli::GlobalArgs;
use crate::exit::bad_input;
use crate::outputs::Outputs;

pub struct Ctx {
    pub outputs: Outputs,
    pub aws: Aws,
}

impl Ctx {
    /// Reads `--outputs`/`DEPLOYER_OUTPUTS` and loads the AWS configuration.
    pub async fn load(global: &GlobalArgs) -> anyhow::Result<Ctx> {
        let outputs = load_outputs(global)?;
        let aws = Aws::load(&outputs).await?;
        Ok(Ctx { outputs, aws })
    }

    /// The deployment group's settings (GetDeploymentGroup).
    pub async fn deployment_group(&self) -> anyhow::Result<DeploymentGroupInfo> {
        let o = &self.outputs;
        self.aws
            .codedeploy
            .get_deployment_group()
            .application_name(&o.codedeploy_app_name)
            .deployment_group_name(&o.codedeploy_group_name)
            .send()
            .await
            .aws("codedeploy:GetDeploymentGroup")
            .with_context(|| {
                format!(
                    "reading deployment group `{}` of application `{}` (Terraform outputs \
                     codedeploy_app_name, codedeploy_group_name)",
                    o.codedeploy_group_name, o.codedeploy_app_name
                )
            })?
            .deployment_group_info
            .context("GetDeploymentGroup: the answer has no deploymentGroupInfo")
    }

    /// Deployment ids of the group, optionally only those in the given statuses (all
    /// pages).
    pub async fn list_deployments(
        &self,
        statuses: &[DeploymentStatus],
    ) -> anyhow::Result<Vec<String>> {
        let o = &self.outputs;
        let mut req = self
            .aws
            .codedeploy
            .list_deployments()
            .application_name(&o.codedeploy_app_name)
            .deployment_group_name(&o.codedeploy_group_name);
        for s in statuses {
            req = req.include_only_statuses(s.clone());
        }
        let mut pages = req.into_paginator().send();
        let mut ids = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.aws("codedeploy:ListDeployments").with_context(|| {
                format!(
                    "listing the deployments of group `{}` of application `{}`",
                    o.codedeploy_group_name, o.codedeploy_app_name
                )
            })?;
            ids.extend(page.deployments.unwrap_or_default());
        }
        Ok(ids)
    }

    /// Details of deployments (BatchGetDeployments, 25 at a time), newest first.
    pub async fn deployments(&self, ids: &[String]) -> anyhow::Result<Vec<DeploymentInfo>> {
        let mut all = Vec::new();
        for chunk in ids.chunks(25) {
            let out = self
                .aws
                .codedeploy
                .batch_get_deployments()
                .set_deployment_ids(Some(chunk.to_vec()))
                .send()
                .await
                .aws("codedeploy:BatchGetDeployments")
                .context("reading deployments")?;
            all.extend(out.deployments_info.unwrap_or_default());
        }
        all.sort_by_key(|d| std::cmp::Reverse(d.create_time.map(|t| (t.secs(), t.subsec_nanos()))));
        Ok(all)
    }

    /// The deployments of the group that are still in flight, newest first.
    pub async fn in_flight(&self) -> anyhow::Result<Vec<DeploymentInfo>> {
        let ids = self.list_deployments(&crate::watch::IN_FLIGHT).await?;
        let infos = self.deployments(&ids).await?;
        // ListDeployments filters on status; BatchGetDeployments is re-checked in case
        // a deployment ended between the two calls.
        Ok(infos
            .into_iter()
            .filter(|d| {
                d.status
                    .as_ref()
                    .is_some_and(|s| crate::watch::IN_FLIGHT.contains(s))
            })
            .collect())
    }

    /// The newest deployment of the group, if any.
    pub async fn latest_deployment(&self) -> anyhow::Result<Option<String>> {
        let ids = self.list_deployments(&[]).await?;
        // ListDeployments has no documented order: look at the newest page only when
        // the group is small, else read them all (25 per call).
        let infos = self.deployments(&ids).await?;
        Ok(infos.into_iter().find_map(|d| d.deployment_id))
    }

    /// The ECS service (DescribeServices), with a clear error when it is missing.
    pub async fn service(&self) -> anyhow::Result<aws_sdk_ecs::types::Service> {
        let o = &self.outputs;
        let out = self
            .aws
            .ecs
            .describe_services()
            .cluster(&o.cluster_name)
            .services(&o.service_name)
            .send()
            .await
            .aws("ecs:DescribeServices")
            .with_context(|| {
                format!(
                    "reading ECS service `{}` in cluster `{}`",
                    o.service_name, o.cluster_name
                )
            })?;
        let service = out
            .services
            .unwrap_or_default()
            .into_iter()
            .find(|s| s.status.as_deref() != Some("INACTIVE"));
        match service {
            Some(s) => Ok(s),
            None => {
                let reason = out
                    .failures
                    .unwrap_or_default()
                    .into_iter()
                    .find_map(|f| f.reason)
                    .unwrap_or_else(|| "INACTIVE".into());
                Err(bad_input(format!(
                    "ECS service `{}` not found in cluster `{}` ({reason}); check the \
                     Terraform outputs service_name and cluster_name, and that the stack is \
                     applied in region {}",
                    o.service_name, o.cluster_name, self.aws.region
                )))
            }
        }
    }
}

/// Reads the Terraform outputs named by `--outputs` / `DEPLOYER_OUTPUTS`.
pub fn load_outputs(global: &GlobalArgs) -> anyhow::Result<Outputs> {
    let path = global.outputs.as_ref().ok_or_else(|| {
        bad_input(
            "no Terraform outputs: give --outputs FILE or set DEPLOYER_OUTPUTS \
             (write the file with `terraform -chdir=infra output -json > FILE`, or \
             `deployer local env` for the local stack)",
        )
    })?;
    Outputs::load(path)
}
