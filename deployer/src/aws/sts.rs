//! STS: whose credentials these are (GetCallerIdentity), so that nothing is written to
//! another account than the one the Terraform outputs describe.

#![warn(unreachable_pub)]

use anyhow::Context;

use crate::aws::{AwsResultExt, Ctx};
use crate::exit::bad_input;

/// The account and ARN of the caller (GetCallerIdentity: needs no permission).
pub(crate) async fn caller(ctx: &Ctx) -> anyhow::Result<(String, String)> {
    let out = ctx
        .aws
        .sts
        .get_caller_identity()
        .send()
        .await
        .aws("sts:GetCallerIdentity")
        .context("reading whose credentials these are")?;
    let account = out
        .account
        .context("GetCallerIdentity: the answer has no Account")?;
    Ok((account, out.arn.unwrap_or_default()))
}

/// Refuses (exit 2, before any write) when the credentials belong to another account
/// than the outputs' `account_id`; returns the caller's ARN.
pub(crate) async fn ensure_account(ctx: &Ctx) -> anyhow::Result<String> {
    let (account, arn) = caller(ctx).await?;
    let o = &ctx.outputs;
    if account != o.account_id {
        return Err(bad_input(account_mismatch(
            &account,
            &arn,
            &o.account_id,
            &o.origin,
        )));
    }
    Ok(arn)
}

fn account_mismatch(account: &str, arn: &str, expected: &str, origin: &str) -> String {
    format!(
        "the AWS credentials are for account {account} ({arn}), but the Terraform outputs \
         describe account {expected} (output `account_id` in {origin}): nothing was \
         changed; use credentials of account {expected} (AWS_PROFILE), or the outputs of \
         the stack in {account}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::mock::{self, mock};
    use crate::exit::Code;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;

    fn identity(account: &str) -> aws_smithy_mocks::Rule {
        let account = account.to_owned();
        mock!(aws_sdk_sts::Client::get_caller_identity).then_output(move || {
            GetCallerIdentityOutput::builder()
                .account(account.clone())
                .arn(format!("arn:aws:iam::{account}:user/dev"))
                .user_id("AIDAEXAMPLE")
                .build()
        })
    }

    #[tokio::test]
    async fn the_outputs_account_passes_another_is_refused_naming_both() {
        let ctx = mock::ctx(&[&identity("123456789012")]);
        assert_eq!(
            ensure_account(&ctx).await.unwrap(),
            "arn:aws:iam::123456789012:user/dev"
        );
        let ctx = mock::ctx(&[&identity("999999999999")]);
        let err = ensure_account(&ctx).await.unwrap_err();
        assert_eq!(Code::from_error(&err), Code::BadInput);
        let text = format!("{err:#}");
        assert!(
            text.contains("account 999999999999") && text.contains("account 123456789012"),
            "{text}"
        );
        assert!(text.contains("`account_id`"), "{text}");
    }
}
