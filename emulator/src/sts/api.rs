//! STS's query API (version 2011-06-15): GetCallerIdentity, read into its (empty) serde
//! request type, so that a parameter it does not take is refused as for every query
//! service, and answered with its response type.

use serde::{Deserialize, Serialize};

use crate::names::ACCOUNT_ID;
use crate::wire::error::{ApiError, Common, ErrorCode};
use crate::wire::query::{answer, request, Form, QueryResult};

/// The query API version STS requests carry.
pub(crate) const VERSION: &str = "2011-06-15";
/// The namespace of STS's XML answers.
pub(crate) const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// STS error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum Error {
    ValidationError,
}
impl ErrorCode for Error {}

/// GetCallerIdentity takes no parameters and needs no permission.
#[derive(Debug, Default, Deserialize)]
struct GetCallerIdentityInput {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetCallerIdentityOutput {
    user_id: &'static str,
    account: &'static str,
    arn: String,
}

pub(crate) fn handle(action: &str, form: &Form) -> QueryResult {
    match action {
        "GetCallerIdentity" => {
            let GetCallerIdentityInput {} = request(form, Error::ValidationError)?;
            Ok(answer(&caller_identity(ACCOUNT_ID)))
        }
        _ => Err(ApiError::new(
            Common::InvalidAction,
            format!("STS action {action:?} is not served by the local stack"),
        )),
    }
}

/// Who the caller is: the local stack has one account and one (implicit) user.
fn caller_identity(account: &'static str) -> GetCallerIdentityOutput {
    GetCallerIdentityOutput {
        user_id: "AIDALOCALSTACKUSER0001",
        account,
        arn: format!("arn:aws:iam::{account}:user/local"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::botocore_check::{query_fits_botocore, query_request_fits_botocore};

    fn form(pairs: &[(&str, &str)]) -> Form {
        Form::from_pairs(pairs)
    }

    #[test]
    fn get_caller_identity_fits_botocore_and_names_the_stacks_account() {
        let v = handle(
            "GetCallerIdentity",
            &form(&[("Action", "GetCallerIdentity"), ("Version", VERSION)]),
        )
        .unwrap();
        assert_eq!(v["Account"], ACCOUNT_ID);
        assert!(v["Arn"].as_str().unwrap().contains(ACCOUNT_ID));
        query_fits_botocore("sts", "GetCallerIdentity", &v);
        query_request_fits_botocore::<GetCallerIdentityInput>("sts", "GetCallerIdentity");
        assert_eq!(
            handle("AssumeRole", &form(&[])).unwrap_err().code,
            "InvalidAction"
        );
    }

    #[test]
    fn a_parameter_it_does_not_take_is_refused() {
        let e = handle("GetCallerIdentity", &form(&[("RoleArn", "x")])).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert_eq!(e.message, "The parameter RoleArn is not recognized");
    }
}
