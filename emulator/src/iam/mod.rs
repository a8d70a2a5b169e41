//! IAM: the two roles of the ECS service (`demo-ecs-task-execution`, `demo-ecs-task`),
//! for the deployer's preflight checks (GetRole) and a user's first look (ListRoles).
//! [`backend`] holds the roles and IAM's rules; [`api`] answers the query protocol. Nothing
//! else of IAM is served: no policies, no users, nothing is enforced (any credentials may
//! do anything).

pub(crate) mod api;
pub(crate) mod backend;
