//! IAM: the task's roles.

#![warn(unreachable_pub)]

use anyhow::Context;

use crate::aws::{AwsResultExt, Ctx};

/// The ARN of role `role_name` (GetRole); `field` names the Terraform output the role
/// comes from, for the error message. A missing role is an error of kind `NotFound`.
pub(crate) async fn role_arn(ctx: &Ctx, role_name: &str, field: &str) -> anyhow::Result<String> {
    let out = ctx
        .aws
        .iam
        .get_role()
        .role_name(role_name)
        .send()
        .await
        .aws("iam:GetRole")
        .with_context(|| format!("reading IAM role `{role_name}` (Terraform outputs {field})"))?;
    Ok(out.role.map(|r| r.arn).unwrap_or_default())
}
