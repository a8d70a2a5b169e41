//! The roles of the ECS service as Terraform makes them (`infra/iam-ecs.tf`): the task
//! execution role and the task role, both trusting `ecs-tasks.amazonaws.com`, created when
//! the stack started. GetRole and ListRoles with IAM's validation (botocore's shapes:
//! `roleNameType`, `pathPrefixType`, `markerType`, `maxItemsType`) and error codes
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html>,
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html>). Nothing is
//! written: no policies, users or role changes.

use axum::http::StatusCode;

use crate::names::{ACCOUNT_ID, EXECUTION_ROLE, TASK_ROLE};
use crate::wire::error::{AwsError, ErrorCode};
use crate::wire::validation::Constraints;

/// IAM error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum Error {
    ValidationError,
    NoSuchEntity,
}
impl ErrorCode for Error {
    fn status(self) -> StatusCode {
        match self {
            Error::NoSuchEntity => StatusCode::NOT_FOUND,
            Error::ValidationError => StatusCode::BAD_REQUEST,
        }
    }
}

pub(crate) type IamResult<T> = Result<T, AwsError<Error>>;

/// botocore's `roleNameType` pattern, as AWS's message quotes it.
const ROLE_NAME_PATTERN: &str = r"[\w+=,.@-]+";
/// botocore's `pathPrefixType` pattern.
const PATH_PREFIX_PATTERN: &str = r"\u002F[\u0021-\u007F]*";
/// botocore's `markerType` pattern.
const MARKER_PATTERN: &str = r"[\u0020-\u00FF]+";
/// ListRoles' page when `MaxItems` is not given (API reference: "defaults to 100").
const DEFAULT_MAX_ITEMS: i64 = 100;

/// A role, as GetRole and ListRoles describe it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Role {
    pub(crate) name: &'static str,
    pub(crate) id: String,
    pub(crate) arn: String,
    pub(crate) path: &'static str,
    /// Epoch seconds.
    pub(crate) created: f64,
    /// The trust policy (JSON).
    pub(crate) trust_policy: String,
    pub(crate) max_session_duration: u32,
}

/// One page of ListRoles: the roles, and the marker of the next page when it is cut.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RolesPage {
    pub(crate) roles: Vec<Role>,
    pub(crate) marker: Option<String>,
}

/// The stack's roles, created when it started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Roles {
    created: f64,
}

impl Roles {
    pub(crate) fn new(created: f64) -> Self {
        Roles { created }
    }

    fn all(&self) -> Vec<Role> {
        let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]})
        .to_string();
        [EXECUTION_ROLE, TASK_ROLE]
            .into_iter()
            .map(|name| Role {
                name,
                id: format!("AROA{}", name.to_uppercase().replace('-', "")),
                arn: format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}"),
                path: "/",
                created: self.created,
                trust_policy: trust.clone(),
                max_session_duration: 3600,
            })
            .collect()
    }

    /// GetRole: `RoleName` is required, 1 to 64 characters of `[\w+=,.@-]` (botocore's
    /// `roleNameType`; AWS answers ValidationError with every broken constraint); a role
    /// that does not exist is NoSuchEntity (404), "The role with name NAME cannot be
    /// found.", as IAM words it.
    pub(crate) fn get_role(&self, name: Option<&str>) -> IamResult<Role> {
        let mut c = Constraints::default();
        c.required("roleName", name);
        if let Some(n) = name {
            let matches = !n.is_empty()
                && n.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || "+=,.@-".contains(ch));
            c.pattern("roleName", n, ROLE_NAME_PATTERN, matches);
            c.length("roleName", n, 1, 64);
        }
        c.check(Error::ValidationError)?;
        let name = name.unwrap_or_default();
        self.all()
            .into_iter()
            .find(|r| r.name == name)
            .ok_or_else(|| {
                AwsError::new(
                    Error::NoSuchEntity,
                    format!("The role with name {name} cannot be found."),
                )
            })
    }

    /// ListRoles: the roles whose path starts with `PathPrefix` (1 to 512 characters from
    /// `/`), `MaxItems` (1 to 1000, 100 when not given) at a time, `Marker` the one the
    /// previous page handed out (1 to 320 characters; any other is refused).
    pub(crate) fn list_roles(
        &self,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> IamResult<RolesPage> {
        let mut c = Constraints::default();
        if let Some(p) = path_prefix {
            let matches =
                p.starts_with('/') && p.chars().all(|ch| ('\u{21}'..='\u{7f}').contains(&ch));
            c.pattern("pathPrefix", p, PATH_PREFIX_PATTERN, matches);
            c.length("pathPrefix", p, 1, 512);
        }
        if let Some(m) = marker {
            let matches = !m.is_empty() && m.chars().all(|ch| ('\u{20}'..='\u{ff}').contains(&ch));
            c.pattern("marker", m, MARKER_PATTERN, matches);
            c.length("marker", m, 1, 320);
        }
        if let Some(n) = max_items {
            c.range("maxItems", n, 1, 1000);
        }
        c.check(Error::ValidationError)?;
        let roles: Vec<Role> = self
            .all()
            .into_iter()
            .filter(|r| r.path.starts_with(path_prefix.unwrap_or("/")))
            .collect();
        let start = match marker {
            None => 0,
            Some(m) => m
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= roles.len())
                .ok_or_else(|| {
                    AwsError::new(
                        Error::ValidationError,
                        format!("The marker '{m}' is not valid"),
                    )
                })?,
        };
        let size = usize::try_from(max_items.unwrap_or(DEFAULT_MAX_ITEMS)).unwrap_or(1);
        let end = start.saturating_add(size).min(roles.len());
        Ok(RolesPage {
            marker: (end < roles.len()).then(|| end.to_string()),
            roles: roles.into_iter().skip(start).take(end - start).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles() -> Roles {
        Roles::new(1_700_000_000.0)
    }

    #[test]
    fn get_role_finds_the_stacks_roles() {
        let r = roles().get_role(Some(EXECUTION_ROLE)).unwrap();
        assert_eq!(
            r.arn,
            format!("arn:aws:iam::{ACCOUNT_ID}:role/{EXECUTION_ROLE}")
        );
        assert!(r.trust_policy.contains("ecs-tasks.amazonaws.com"));
        assert_eq!(roles().get_role(Some(TASK_ROLE)).unwrap().name, TASK_ROLE);
    }

    #[test]
    fn get_role_of_a_role_that_does_not_exist_is_no_such_entity() {
        let e = roles().get_role(Some("nope")).unwrap_err();
        assert_eq!(e.code_str(), "NoSuchEntity");
        assert_eq!(e.message, "The role with name nope cannot be found.");
        assert_eq!(e.code.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn get_role_validates_the_name_as_iam_does() {
        let e = roles().get_role(None).unwrap_err();
        assert_eq!(e.code_str(), "ValidationError");
        assert_eq!(
            e.message,
            "1 validation error detected: Value null at 'roleName' failed to satisfy \
             constraint: Member must not be null"
        );
        let long = "a".repeat(65);
        let e = roles().get_role(Some(&long)).unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "1 validation error detected: Value '{long}' at 'roleName' failed to satisfy \
                 constraint: Member must have length less than or equal to 64"
            )
        );
        let e = roles().get_role(Some("a/b")).unwrap_err();
        assert_eq!(
            e.message,
            "1 validation error detected: Value 'a/b' at 'roleName' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        );
        let e = roles().get_role(Some("")).unwrap_err();
        assert!(
            e.message.starts_with("2 validation errors detected: ")
                && e.message.contains("regular expression pattern")
                && e.message.contains("length greater than or equal to 1"),
            "{}",
            e.message
        );
        // 64 characters of the pattern's alphabet are a name (that does not exist).
        let ok = format!("{}+=,.@-_", "a".repeat(56));
        assert_eq!(
            roles().get_role(Some(&ok)).unwrap_err().code_str(),
            "NoSuchEntity"
        );
    }

    #[test]
    fn list_roles_pages_with_a_marker() {
        let all = roles().list_roles(None, None, None).unwrap();
        assert_eq!(all.roles.len(), 2);
        assert_eq!(all.marker, None);
        let first = roles().list_roles(Some("/"), None, Some(1)).unwrap();
        assert_eq!(first.roles[0].name, EXECUTION_ROLE);
        let marker = first.marker.expect("a second page");
        let second = roles().list_roles(None, Some(&marker), Some(1)).unwrap();
        assert_eq!(second.roles[0].name, TASK_ROLE);
        assert_eq!(second.marker, None);
        assert!(roles()
            .list_roles(Some("/service-role/"), None, None)
            .unwrap()
            .roles
            .is_empty());
    }

    #[test]
    fn list_roles_validates_its_members() {
        let e = roles().list_roles(None, None, Some(0)).unwrap_err();
        assert_eq!(
            e.message,
            "1 validation error detected: Value '0' at 'maxItems' failed to satisfy \
             constraint: Member must have value greater than or equal to 1"
        );
        let e = roles()
            .list_roles(Some("roles"), None, Some(1001))
            .unwrap_err();
        assert!(
            e.message.starts_with("2 validation errors detected: ")
                && e.message.contains("'roles' at 'pathPrefix'")
                && e.message.contains("less than or equal to 1000"),
            "{}",
            e.message
        );
        let e = roles()
            .list_roles(None, Some("elsewhere"), None)
            .unwrap_err();
        assert_eq!(e.code_str(), "ValidationError");
        assert_eq!(e.message, "The marker 'elsewhere' is not valid");
    }
}
