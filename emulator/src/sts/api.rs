//! STS's query API (version 2011-06-15): GetCallerIdentity.

use serde_json::{json, Value};

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

/// Who the caller is: the local stack has one account and one (implicit) user.
fn caller_identity(account: &str) -> Value {
    json!({
        "UserId": "AIDALOCALSTACKUSER0001",
        "Account": account,
        "Arn": format!("arn:aws:iam::{account}:user/local"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_caller_identity_fits_botocore_and_names_the_stacks_account() {
        let v = handle("GetCallerIdentity", &Form(vec![])).unwrap();
        assert_eq!(v["Account"], ACCOUNT_ID);
        assert!(v["Arn"].as_str().unwrap().contains(ACCOUNT_ID));
        crate::botocore_check::fits_botocore("sts", "GetCallerIdentity", &v);
        assert!(handle("AssumeRole", &Form(vec![])).is_err());
    }
}
