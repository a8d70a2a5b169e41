//! The translation of SDK errors into messages a person can act on, and the
//! classification (not found, conflict, throttled, ...) callers and exit codes use.

#![warn(unreachable_pub)]

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_codedeploy::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::exit::Code;

/// What went wrong with an AWS call, as far as the caller needs to decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// AWS throttled the call even after the SDK's retries.
    Throttled,
    /// The credentials lack a permission.
    AccessDenied,
    /// AWS rejected the credentials (expired, invalid, wrong signature).
    Credentials,
    /// No credentials were found (no profile, no keys, no role): nothing was sent.
    NoCredentials,
    /// The named resource does not exist (a wrong name in the outputs: exit 2).
    NotFound,
    /// The request was refused because of the resource's state (e.g. one deployment
    /// already in flight).
    Conflict,
    /// The endpoint could not be reached or did not answer in time.
    Network,
    /// Anything else AWS answered.
    Other,
}

/// An AWS API error, naming the operation, the AWS error code and its message.
#[derive(Debug)]
pub(crate) struct AwsError {
    pub operation: &'static str,
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.operation;
        let what = match (&self.code, self.message.is_empty()) {
            (Some(code), false) => format!("{code}: {}", self.message),
            (Some(code), true) => code.clone(),
            (None, _) => self.message.clone(),
        };
        match self.kind {
            ErrorKind::Throttled => write!(
                f,
                "AWS throttled {op} even after retries ({what}); wait a minute and retry, \
                 or raise AWS_MAX_ATTEMPTS"
            ),
            ErrorKind::AccessDenied => write!(
                f,
                "access denied to {op} ({what}); the caller's IAM policy must allow {}",
                iam_action(op)
            ),
            ErrorKind::Credentials => write!(
                f,
                "AWS rejected the credentials for {op} ({what}); refresh them (e.g. \
                 `aws sso login`, or new keys for AWS_PROFILE) and retry"
            ),
            ErrorKind::NoCredentials => write!(
                f,
                "no AWS credentials found for {op} ({what}); set AWS_PROFILE (after \
                 `aws sso login` or `aws configure`), or AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY (for the local stack: `eval \"$(deployer local env)\"`)"
            ),
            ErrorKind::Network => write!(f, "cannot reach AWS for {op}: {what}"),
            _ => write!(f, "{op} failed: {what}"),
        }
    }
}

impl StdError for AwsError {}

impl AwsError {
    /// Classifies an SDK error of `operation` (e.g. `"ecs:DescribeServices"`).
    pub(crate) fn from_sdk<E, R>(operation: &'static str, err: &SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: fmt::Debug,
    {
        match err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code().map(str::to_owned);
                let message = e.message().unwrap_or_default().to_owned();
                let kind = classify(code.as_deref(), &message);
                AwsError {
                    operation,
                    kind,
                    code,
                    message,
                }
            }
            SdkError::TimeoutError(_) => AwsError {
                operation,
                kind: ErrorKind::Network,
                code: None,
                message: format!(
                    "no answer from {} ({}); {}",
                    super::client::endpoint_of(operation),
                    source_chain(err),
                    super::client::timeouts_hint()
                ),
            },
            SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
                let text = source_chain(err);
                // No credentials at all surfaces as a dispatch failure, before anything is
                // sent (AWS never saw them, so it cannot have rejected them).
                let kind = if text.contains("credentials") || text.contains("Credentials") {
                    ErrorKind::NoCredentials
                } else {
                    ErrorKind::Network
                };
                let timed_out = if text.contains("timeout") || text.contains("timed out") {
                    format!("; {}", super::client::timeouts_hint())
                } else {
                    String::new()
                };
                AwsError {
                    operation,
                    kind,
                    code: None,
                    message: format!(
                        "{text} (endpoint {}){timed_out}",
                        super::client::endpoint_of(operation)
                    ),
                }
            }
            _ => AwsError {
                operation,
                kind: ErrorKind::Other,
                code: None,
                message: source_chain(err),
            },
        }
    }
}

/// `a: b: c` from an error and its sources (Display only, repeated parts skipped).
fn source_chain(err: &dyn StdError) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn StdError> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

fn classify(code: Option<&str>, message: &str) -> ErrorKind {
    let Some(code) = code else {
        return ErrorKind::Other;
    };
    match code {
        "ThrottlingException"
        | "Throttling"
        | "ThrottledException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "SlowDown"
        | "PriorRequestNotComplete"
        | "ProvisionedThroughputExceededException"
        | "ThrottlingExceptionClient" => ErrorKind::Throttled,
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
            ErrorKind::AccessDenied
        }
        // ECS answers a missing permission with ClientException "... is not authorized".
        "ClientException" if message.contains("not authorized") => ErrorKind::AccessDenied,
        "ExpiredTokenException"
        | "ExpiredToken"
        | "RequestExpired"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "MissingAuthenticationTokenException" => ErrorKind::Credentials,
        "DeploymentGroupDoesNotExistException"
        | "ApplicationDoesNotExistException"
        | "DeploymentDoesNotExistException"
        | "DeploymentConfigDoesNotExistException"
        | "DeploymentTargetDoesNotExistException"
        | "ClusterNotFoundException"
        | "ServiceNotFoundException"
        | "ServiceNotActiveException"
        | "RepositoryNotFoundException"
        | "ImageNotFoundException"
        | "NoSuchEntity"
        | "NoSuchEntityException"
        | "TargetGroupNotFound"
        | "TargetGroupNotFoundException"
        | "ListenerNotFound"
        | "ListenerNotFoundException"
        | "LoadBalancerNotFound" => ErrorKind::NotFound,
        "DeploymentLimitExceededException"
        | "DeploymentAlreadyCompletedException"
        | "DeploymentIsNotInReadyStateException"
        | "InvalidDeploymentStatusException"
        | "UnsupportedActionForDeploymentTypeException" => ErrorKind::Conflict,
        _ => ErrorKind::Other,
    }
}

/// `"ecs:DescribeServices"` is already the IAM action; kept as a function so the
/// message stays right if an operation label ever differs from its action.
fn iam_action(op: &str) -> String {
    match op.split_once(':') {
        Some((svc, action)) => {
            let svc = match svc {
                "elbv2" => "elasticloadbalancing",
                other => other,
            };
            format!("{svc}:{action}")
        }
        None => op.to_owned(),
    }
}

/// `.aws("ecs:DescribeServices")` turns an SDK result into an `anyhow` result whose error
/// is an [`AwsError`] (kept in the chain, so the exit code can depend on its kind).
pub(crate) trait AwsResultExt<T> {
    fn aws(self, operation: &'static str) -> anyhow::Result<T>;
}

impl<T, E, R> AwsResultExt<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: fmt::Debug,
{
    fn aws(self, operation: &'static str) -> anyhow::Result<T> {
        self.map_err(|err| anyhow::Error::new(AwsError::from_sdk(operation, &err)))
    }
}

/// The exit code of an error: 2 for bad input ([`Code::from_error`]) and for AWS errors
/// saying a resource the Terraform outputs name does not exist, else 1.
pub(crate) fn exit_code(err: &anyhow::Error) -> Code {
    let code = Code::from_error(err);
    if code != Code::Error {
        return code;
    }
    let aws = err.chain().find_map(|e| e.downcast_ref::<AwsError>());
    match aws {
        Some(e) if e.kind == ErrorKind::NotFound => Code::BadInput,
        // CreateDeployment while another deployment of the group runs (a race past the
        // preflight's own check).
        Some(e) if e.code.as_deref() == Some("DeploymentLimitExceededException") => Code::InFlight,
        _ => code,
    }
}

/// The kind of the first [`AwsError`] in an error's chain, if any.
pub(crate) fn error_kind(err: &anyhow::Error) -> Option<ErrorKind> {
    err.chain()
        .find_map(|e| e.downcast_ref::<AwsError>())
        .map(|e| e.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_codes_the_deployer_meets() {
        assert_eq!(
            classify(Some("ThrottlingException"), ""),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify(Some("AccessDeniedException"), ""),
            ErrorKind::AccessDenied
        );
        assert_eq!(
            classify(
                Some("ClientException"),
                "User: x is not authorized to perform: ecs:DescribeServices"
            ),
            ErrorKind::AccessDenied
        );
        assert_eq!(
            classify(Some("ClientException"), "bad family"),
            ErrorKind::Other
        );
        assert_eq!(
            classify(Some("ExpiredTokenException"), ""),
            ErrorKind::Credentials
        );
        assert_eq!(
            classify(Some("DeploymentGroupDoesNotExistException"), ""),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(Some("DeploymentLimitExceededException"), ""),
            ErrorKind::Conflict
        );
        assert_eq!(classify(None, ""), ErrorKind::Other);
    }

    #[test]
    fn missing_resources_and_bad_input_exit_2_other_aws_errors_1() {
        let aws = |kind| {
            anyhow::Error::new(AwsError {
                operation: "ecs:DescribeServices",
                kind,
                code: None,
                message: String::new(),
            })
            .context("reading the service")
        };
        assert_eq!(exit_code(&aws(ErrorKind::NotFound)), Code::BadInput);
        assert_eq!(exit_code(&aws(ErrorKind::Conflict)), Code::Error);
        assert_eq!(exit_code(&aws(ErrorKind::AccessDenied)), Code::Error);
        assert_eq!(
            exit_code(&crate::exit::bad_input("--image: no tag")),
            Code::BadInput
        );
    }

    #[test]
    fn access_denied_names_the_iam_action() {
        let e = AwsError {
            operation: "elbv2:DescribeTargetHealth",
            kind: ErrorKind::AccessDenied,
            code: Some("AccessDenied".into()),
            message: "nope".into(),
        };
        let text = e.to_string();
        assert!(
            text.contains("elasticloadbalancing:DescribeTargetHealth"),
            "{text}"
        );
        assert!(text.contains("AccessDenied: nope"), "{text}");
    }
}
