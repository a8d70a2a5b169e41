//! ECS: task definitions, the `demo` service (deployment controller CODE_DEPLOY) with its
//! task sets and tasks. [`backend`] holds the state and its operations (no HTTP, no
//! processes: [`crate::runtime::tasks`] runs the tasks); [`api`] answers the operations the deployer
//! and `aws ecs deploy` call: the typed request, one call of the backend (or of the runtime,
//! for RunTask and StopTask, which start and stop processes after the backend's checks),
//! the answer as the serde types of [`shapes`] (botocore's output shapes); the errors are
//! the backend's, with AWS's error codes ([`Error`]). A registered task definition is
//! [`taskdef::TaskDefinition`].

pub(crate) mod api;
pub(crate) mod backend;
pub(crate) mod model;
pub(crate) mod placement;
pub(crate) mod shapes;
pub(crate) mod taskdef;
pub(crate) mod validate;

use crate::wire::error::ErrorCode;

/// ECS error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum Error {
    ClientException,
    InvalidParameterException,
    ClusterNotFoundException,
    ServiceNotFoundException,
    /// A member of the wrong type (a task definition's `family`, for one).
    SerializationException,
}
impl ErrorCode for Error {}

/// The worlds the ECS tests start from (the API's and the backend's).
#[cfg(test)]
pub(crate) mod fixture {
    use super::model::{NewTask, StopCode};
    use crate::codedeploy::model::GroupSettings;
    use crate::world::World;
    use serde_json::json;

    /// This repository's `taskdef.json` rendered for the local account (as `deployer
    /// render` writes it): a RegisterTaskDefinition request.
    pub(crate) fn rendered() -> serde_json::Value {
        let text = include_str!("../../../taskdef.json")
            .replace(
                "<TASK_ROLE_ARN>",
                "arn:aws:iam::000000000000:role/demo-task",
            )
            .replace(
                "<EXECUTION_ROLE_ARN>",
                "arn:aws:iam::000000000000:role/demo-execution",
            )
            .replace(
                "<IMAGE1_NAME>",
                "000000000000.dkr.ecr.us-east-1.amazonaws.com/demo:v1",
            )
            .replace("<LOG_GROUP>", "/ecs/demo")
            .replace("<AWS_REGION>", "us-east-1");
        serde_json::from_str(&text).unwrap()
    }

    /// An empty world whose service wants `tasks` tasks.
    pub(crate) fn bare(tasks: u32) -> World {
        World::with("us-east-1", tasks, GroupSettings::default())
    }

    /// A task about to be recorded, with id `id`.
    pub(crate) fn new_task(id: &str) -> NewTask {
        NewTask {
            id: id.into(),
            image: "demo:v1".into(),
            version: "v1".into(),
            port: 20001,
            pid: Some(7),
            has_health_check: true,
            log: String::new(),
        }
    }

    /// A world with a registered task definition (`demo:1`), a primary task set with a
    /// running task (`a1`), a second task set (deployment `d-TEST`) whose task stopped
    /// (`b1`), and a one-off task (`c1`).
    pub(crate) fn populated() -> World {
        let mut w = bare(1);
        let td = w
            .register_task_definition(json!({"family": "demo", "containerDefinitions": [
                {"name": "demo", "image": "demo:v1", "essential": true}]}))
            .unwrap();
        let blue = w.create_task_set(&td, 0, None, true);
        w.record_task(&blue, &td, new_task("a1"));
        let green = w.create_task_set(&td, 1, Some("d-TEST".into()), false);
        w.record_task(&green, &td, new_task("b1"));
        w.stopping("b1", StopCode::TaskFailedToStart, "failed its health check");
        w.exited("b1", Some(1));
        w.record_task("", &td, new_task("c1"));
        w
    }
}
