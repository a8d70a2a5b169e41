//! CodeDeploy: the application `demo` (compute platform ECS), the deployment group `demo`
//! (blue/green with traffic control, target group pair demo-blue/demo-green) and its
//! deployments. [`backend`] holds the deployments and their operations (no HTTP);
//! [`api`] answers the operations with the serde types of [`shapes`] (botocore's output
//! shapes) and AWS's error codes ([`Error`]);
//! [`lifecycle`] is the engine that moves a deployment through the ECS blue/green
//! lifecycle, over a [`lifecycle::Platform`] (the running stack, or a bare world in tests).

pub(crate) mod api;
pub(crate) mod backend;
pub(crate) mod lifecycle;
pub(crate) mod model;
pub(crate) mod shapes;

use crate::wire::error::ErrorCode;

/// CodeDeploy error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum Error {
    ApplicationDoesNotExistException,
    ApplicationNameRequiredException,
    BatchLimitExceededException,
    DeploymentAlreadyCompletedException,
    DeploymentConfigDoesNotExistException,
    DeploymentConfigNameRequiredException,
    DeploymentDoesNotExistException,
    DeploymentGroupDoesNotExistException,
    DeploymentGroupNameRequiredException,
    DeploymentIdRequiredException,
    DeploymentIsNotInReadyStateException,
    DeploymentLimitExceededException,
    DeploymentNotStartedException,
    DeploymentTargetDoesNotExistException,
    DeploymentTargetIdRequiredException,
    DeploymentTargetListSizeExceededException,
    DescriptionTooLongException,
    InvalidDeploymentConfigNameException,
    InvalidDeploymentIdException,
    InvalidDeploymentStatusException,
    InvalidDeploymentWaitTypeException,
    InvalidLifecycleEventHookExecutionIdException,
    InvalidLifecycleEventHookExecutionStatusException,
    InvalidNextTokenException,
    InvalidRevisionException,
    InvalidTimeRangeException,
    LifecycleEventAlreadyCompletedException,
    RevisionRequiredException,
    UnsupportedActionForDeploymentTypeException,
}
impl ErrorCode for Error {}
