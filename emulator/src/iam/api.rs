//! IAM's query API (version 2010-05-08, XML answers): GetRole (the deployer's preflight)
//! and ListRoles (what a user types first). Each operation reads its serde request type,
//! makes one call to [`super::backend::Roles`] (the rules, the error codes) and answers its
//! response type; trust policies are URL-encoded, as IAM's query API sends them.

use serde::{Deserialize, Serialize};

use super::backend::{Error, Role as RoleInfo, Roles};
use crate::runtime::stack::Stack;
use crate::wire::error::{ApiError, Common};
use crate::wire::query::{answer, request, Form, QueryResult, Timestamp};

/// The query API version IAM requests carry.
pub(crate) const VERSION: &str = "2010-05-08";
/// The namespace of IAM's XML answers.
pub(crate) const NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetRoleInput {
    role_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRolesInput {
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetRoleOutput {
    role: Role,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListRolesOutput {
    roles: Vec<Role>,
    is_truncated: bool,
    marker: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Role {
    path: &'static str,
    role_name: &'static str,
    role_id: String,
    arn: String,
    create_date: Timestamp,
    assume_role_policy_document: String,
    max_session_duration: u32,
}

fn role(r: RoleInfo) -> Role {
    Role {
        path: r.path,
        role_name: r.name,
        role_id: r.id,
        arn: r.arn,
        create_date: Timestamp(r.created),
        assume_role_policy_document: form_urlencoded(&r.trust_policy),
        max_session_duration: r.max_session_duration,
    }
}

pub(crate) fn handle(stack: &Stack, action: &str, form: &Form) -> QueryResult {
    let roles = Roles::new(stack.started_at);
    let code = Error::ValidationError;
    match action {
        "GetRole" => {
            let r: GetRoleInput = request(form, code)?;
            let found = roles.get_role(r.role_name.as_deref())?;
            Ok(answer(&GetRoleOutput { role: role(found) }))
        }
        "ListRoles" => {
            let r: ListRolesInput = request(form, code)?;
            let page =
                roles.list_roles(r.path_prefix.as_deref(), r.marker.as_deref(), r.max_items)?;
            Ok(answer(&ListRolesOutput {
                is_truncated: page.marker.is_some(),
                marker: page.marker,
                roles: page.roles.into_iter().map(role).collect(),
            }))
        }
        _ => Err(ApiError::new(
            Common::InvalidAction,
            format!("IAM action {action:?} is not served by the local stack"),
        )),
    }
}

/// IAM (query protocol) returns the trust policy URL-encoded.
fn form_urlencoded(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').replace('+', "%20"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::botocore_check::{query_fits_botocore, query_request_fits_botocore};

    #[test]
    fn trust_policy_is_url_encoded() {
        assert_eq!(form_urlencoded("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }

    #[test]
    fn requests_fit_botocore() {
        query_request_fits_botocore::<GetRoleInput>("iam", "GetRole");
        query_request_fits_botocore::<ListRolesInput>("iam", "ListRoles");
    }

    #[test]
    fn answers_fit_botocore() {
        let roles = Roles::new(1_700_000_000.0);
        let got = roles.get_role(Some(crate::names::TASK_ROLE)).unwrap();
        query_fits_botocore(
            "iam",
            "GetRole",
            &answer(&GetRoleOutput { role: role(got) }),
        );
        let page = roles.list_roles(None, None, Some(1)).unwrap();
        let out = ListRolesOutput {
            is_truncated: page.marker.is_some(),
            marker: page.marker,
            roles: page.roles.into_iter().map(role).collect(),
        };
        assert!(out.is_truncated);
        query_fits_botocore("iam", "ListRoles", &answer(&out));
    }
}
