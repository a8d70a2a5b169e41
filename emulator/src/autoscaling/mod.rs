//! Application Auto Scaling, locally: scalable targets for the ECS service's desired count,
//! target tracking policies on its average CPU or memory, and the scaling activities they
//! cause. The backend ([`backend`]: state and operations, no HTTP), the engine that
//! decides ([`engine`], pure), the measurements it decides on ([`cpu`], from the tasks'
//! processes), the driver that ties them to a service ([`backend::run`]), and the JSON 1.1 API
//! ([`api`], answering with the serde types of [`shapes`], botocore's output shapes).
//!
//! Differences from AWS, on purpose: only the `ecs` namespace and
//! `ecs:service:DesiredCount` (other namespaces answer ValidationException); only target
//! tracking policies on `ECSServiceAverageCPUUtilization` and
//! `ECSServiceAverageMemoryUtilization` (step, predictive and custom-metric policies
//! answer ValidationException); evaluation periods of seconds instead of minutes; the
//! alarms that AWS creates in CloudWatch are named in the answers but not served.

pub(crate) mod api;
pub(crate) mod backend;
pub(crate) mod cpu;
pub(crate) mod engine;
pub(crate) mod shapes;
