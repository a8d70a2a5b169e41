//! STS's query API (version 2011-06-15): GetCallerIdentity.

use serde::Serialize;
use serde_json::Value;

use crate::names::ACCOUNT_ID;
use crate::wire::error::{ApiError, Common};
use crate::wire::query::{Form, QueryResult};

/// The query API version STS requests carry.
pub(crate) const VERSION: &str = "2011-06-15";
/// The namespace of STS's XML answers.
pub(crate) const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

pub(crate) fn handle(action: &str, _form: &Form) -> QueryResult {
    match action {
        // GetCallerIdentity takes no parameters and needs no permission.
        "GetCallerIdentity" => Ok(caller_identity(ACCOUNT_ID)),
        _ => Err(ApiError::new(
            Common::InvalidAction,
            format!("STS action {action:?} is not served by the local stack"),
        )),
    }
}

/// GetCallerIdentityResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetCallerIdentityResponse {
    user_id: &'static str,
    account: String,
    arn: String,
}

/// Who the caller is: the local stack has one account and one (implicit) user.
fn caller_identity(account: &str) -> Value {
    let identity = GetCallerIdentityResponse {
        user_id: "AIDALOCALSTACKUSER0001",
        account: account.to_string(),
        arn: format!("arn:aws:iam::{account}:user/local"),
    };
    // Three string members: serializing cannot fail.
    serde_json::to_value(identity).expect("a response type serializes to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_caller_identity_fits_botocore_and_names_the_stacks_account() {
        let v = handle("GetCallerIdentity", &Form(vec![])).unwrap();
        assert_eq!(v["Account"], ACCOUNT_ID);
        assert_eq!(v["Arn"], format!("arn:aws:iam::{ACCOUNT_ID}:user/local"));
        assert_eq!(v["UserId"], "AIDALOCALSTACKUSER0001");
        crate::botocore_check::fits_botocore("sts", "GetCallerIdentity", &v);
        assert!(handle("AssumeRole", &Form(vec![])).is_err());
    }

    /// The check can fail: a member the output shape does not have.
    #[test]
    #[should_panic(expected = "does not fit botocore")]
    fn an_unknown_member_does_not_fit() {
        let mut v = handle("GetCallerIdentity", &Form(vec![])).unwrap();
        v["AccountId"] = v["Account"].clone();
        crate::botocore_check::fits_botocore("sts", "GetCallerIdentity", &v);
    }
}
