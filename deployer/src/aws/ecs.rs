//! ECS: the service, its live task definition, task definition revisions, its tasks and
//! stopped tasks.

#![warn(unreachable_pub)]

use anyhow::Context;
use aws_sdk_ecs::types::{
    DesiredStatus, SortOrder, Task, TaskDefinitionField, TaskDefinitionStatus, TaskOverride,
};
use serde::Serialize;

use crate::aws::{ecs_taskdef, AwsError, AwsResultExt, Ctx};
use crate::exit::bad_input;
use deployer_models::taskdef::TaskDefinition;

/// The ECS service (DescribeServices), with a clear error when it is missing.
pub(crate) async fn service(ctx: &Ctx) -> anyhow::Result<aws_sdk_ecs::types::Service> {
    let o = &ctx.outputs;
    let out = ctx
        .aws
        .ecs
        .describe_services()
        .cluster(&o.cluster_name)
        .services(&o.service_name)
        .send()
        .await
        .aws("ecs:DescribeServices")
        .with_context(|| {
            format!(
                "reading ECS service `{}` in cluster `{}`",
                o.service_name, o.cluster_name
            )
        })?;
    let service = out
        .services
        .unwrap_or_default()
        .into_iter()
        .find(|s| s.status.as_deref() != Some("INACTIVE"));
    match service {
        Some(s) => Ok(s),
        None => {
            let reason = out
                .failures
                .unwrap_or_default()
                .into_iter()
                .find_map(|f| f.reason)
                .unwrap_or_else(|| "INACTIVE".into());
            Err(bad_input(format!(
                "ECS service `{}` not found in cluster `{}` ({reason}); check the \
                 Terraform outputs service_name and cluster_name, and that the stack is \
                 applied in region {}",
                o.service_name, o.cluster_name, ctx.aws.region
            )))
        }
    }
}

/// The live task definition: the service's PRIMARY task set's (the service's own when
/// it has no task sets).
pub(crate) async fn live_task_definition(ctx: &Ctx) -> anyhow::Result<String> {
    let service = service(ctx).await?;
    service
        .task_sets
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|t| t.status.as_deref() == Some("PRIMARY"))
        .and_then(|t| t.task_definition.clone())
        .or(service.task_definition.clone())
        .with_context(|| {
            format!(
                "ECS service `{}` has no task definition",
                ctx.outputs.service_name
            )
        })
}

/// The live task definition (the service's PRIMARY task set) and the ACTIVE revision of
/// its family just before it.
pub(crate) async fn previous_revision(ctx: &Ctx) -> anyhow::Result<(String, String)> {
    let current = live_task_definition(ctx).await?;
    let (family, revision) = family_revision(&current)
        .with_context(|| format!("cannot read family:revision from {current}"))?;
    let mut pages = ctx
        .aws
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(TaskDefinitionStatus::Active)
        .sort(SortOrder::Desc)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .aws("ecs:ListTaskDefinitions")
            .with_context(|| format!("listing revisions of task definition family `{family}`"))?;
        for arn in page.task_definition_arns.unwrap_or_default() {
            if let Some((f, r)) = family_revision(&arn) {
                // family_prefix also matches longer family names.
                if f == family && r < revision {
                    return Ok((current, arn));
                }
            }
        }
    }
    Err(bad_input(format!(
        "nothing to roll back to: no deployment is in flight, and {current} has no earlier \
         ACTIVE revision in family `{family}`"
    )))
}

/// The newest `limit` ACTIVE revisions (ARNs) of `family`, newest first.
pub(crate) async fn list_revisions(
    ctx: &Ctx,
    family: &str,
    limit: usize,
) -> anyhow::Result<Vec<String>> {
    let mut pages = ctx
        .aws
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(TaskDefinitionStatus::Active)
        .sort(SortOrder::Desc)
        .into_paginator()
        .send();
    let mut arns = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page
            .aws("ecs:ListTaskDefinitions")
            .with_context(|| format!("listing revisions of task definition family `{family}`"))?;
        for arn in page.task_definition_arns.unwrap_or_default() {
            // family_prefix also matches longer family names.
            if family_revision(&arn).is_some_and(|(f, _)| f == family) {
                arns.push(arn);
            }
            if arns.len() >= limit {
                return Ok(arns);
            }
        }
    }
    Ok(arns)
}

/// `("demo", 7)` from `arn:aws:ecs:...:task-definition/demo:7` or `demo:7`.
pub(crate) fn family_revision(arn: &str) -> Option<(&str, u32)> {
    let tail = arn.rsplit('/').next()?;
    let (family, rev) = tail.rsplit_once(':')?;
    Some((family, rev.parse().ok()?))
}

/// DescribeTaskDefinition (with tags) of a family, `family:revision` or ARN: the SDK's
/// shape and the typed model.
pub async fn describe_task_definition(
    ctx: &Ctx,
    which: &str,
) -> anyhow::Result<(aws_sdk_ecs::types::TaskDefinition, TaskDefinition)> {
    let out = ctx
        .aws
        .ecs
        .describe_task_definition()
        .task_definition(which)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .aws("ecs:DescribeTaskDefinition")
        .with_context(|| format!("reading task definition {which}"))?;
    let td = out
        .task_definition
        .with_context(|| format!("DescribeTaskDefinition {which}: no taskDefinition"))?;
    let model = ecs_taskdef::from_live(&td, out.tags.as_deref().unwrap_or_default())
        .with_context(|| format!("reading task definition {which}"))?;
    Ok((td, model))
}

/// The latest ACTIVE revision of `family` and its typed model, or `None` when the
/// family has no revision yet.
pub(crate) async fn latest_revision(
    ctx: &Ctx,
    family: &str,
) -> anyhow::Result<Option<(aws_sdk_ecs::types::TaskDefinition, TaskDefinition)>> {
    match describe_task_definition(ctx, family).await {
        Ok((td, model)) => Ok(Some((td, model))),
        Err(err) if is_missing_task_definition(&err) => Ok(None),
        Err(err) => Err(err),
    }
}

/// The full ARN of a registered task definition given as an ARN, `family:revision`, or
/// a bare revision number of the stack's family; `flag` names where it came from. A
/// revision that does not exist exits 2 naming it.
pub(crate) async fn resolve_task_definition(
    ctx: &Ctx,
    which: &str,
    flag: &str,
) -> anyhow::Result<(String, TaskDefinition)> {
    let name = if !which.is_empty() && which.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}:{which}", ctx.outputs.task_family)
    } else {
        which.to_owned()
    };
    match describe_task_definition(ctx, &name).await {
        Ok((td, model)) => Ok((td.task_definition_arn.clone().unwrap_or(name), model)),
        Err(err) if is_client_error(&err) => Err(bad_input(format!(
            "{flag} {which}: no such task definition{} (`deployer revisions` lists them): {err:#}",
            if name != which {
                format!(" ({name})")
            } else {
                String::new()
            }
        ))),
        Err(err) => Err(err),
    }
}

/// ECS rejected the request's parameters (the task definition named is the only one).
fn is_client_error(err: &anyhow::Error) -> bool {
    err.chain()
        .find_map(|e| e.downcast_ref::<AwsError>())
        .is_some_and(|e| {
            matches!(
                e.code.as_deref(),
                Some("ClientException" | "InvalidParameterException")
            )
        })
}

fn is_missing_task_definition(err: &anyhow::Error) -> bool {
    err.chain()
        .find_map(|e| e.downcast_ref::<AwsError>())
        .is_some_and(|e| {
            e.code.as_deref() == Some("ClientException")
                && (e.message.contains("Unable to describe task definition")
                    || e.message.contains("does not exist"))
        })
}

/// Whether the rendered task definition needs a new revision.
pub enum Plan {
    Reuse { arn: String, reason: String },
    Register { previous: Option<String> },
}

/// Compares the rendered task definition with the latest ACTIVE revision of its family.
pub async fn plan_register(ctx: &Ctx, td: &TaskDefinition) -> anyhow::Result<Plan> {
    match latest_revision(ctx, &td.family).await? {
        Some((live, model)) if ecs_taskdef::same(td, &model) => Ok(Plan::Reuse {
            arn: live.task_definition_arn.unwrap_or_default(),
            reason: "identical to the latest revision".into(),
        }),
        Some((live, _)) => Ok(Plan::Register {
            previous: live.task_definition_arn,
        }),
        None => Ok(Plan::Register { previous: None }),
    }
}

/// RegisterTaskDefinition; returns the new revision's ARN.
pub(crate) async fn register_task_definition(
    ctx: &Ctx,
    td: &TaskDefinition,
) -> anyhow::Result<String> {
    let out = ecs_taskdef::register_request(&ctx.aws.ecs, td)?
        .send()
        .await
        .aws("ecs:RegisterTaskDefinition")
        .with_context(|| format!("registering task definition family `{}`", td.family))?;
    out.task_definition
        .and_then(|t| t.task_definition_arn)
        .context("RegisterTaskDefinition: the answer has no taskDefinitionArn")
}

/// Which of the cluster's tasks [`task_arns`] lists.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tasks<'a> {
    /// The service's.
    Service,
    /// One task set's (its id is their `startedBy`).
    StartedBy(&'a str),
    /// Every task of the cluster (the service's and one-off ones).
    Cluster,
}

/// ListTasks: the ARNs of `which` tasks in `status` (`None`: ECS's default, RUNNING);
/// `what` names them in the error.
pub(crate) async fn task_arns(
    ctx: &Ctx,
    which: Tasks<'_>,
    status: Option<DesiredStatus>,
    what: &str,
) -> anyhow::Result<Vec<String>> {
    let o = &ctx.outputs;
    let req = ctx.aws.ecs.list_tasks().cluster(&o.cluster_name);
    let req = match which {
        Tasks::Service => req.service_name(&o.service_name),
        Tasks::StartedBy(id) => req.started_by(id),
        Tasks::Cluster => req,
    };
    Ok(req
        .set_desired_status(status)
        .send()
        .await
        .aws("ecs:ListTasks")
        .with_context(|| format!("listing {what}"))?
        .task_arns
        .unwrap_or_default())
}

/// How long a task id is (ECS: 32 hex digits); shorter ones are prefixes.
const TASK_ID_LEN: usize = 32;
/// The shortest prefix accepted: what `tasks`, `run` and `logs` print.
pub(crate) const SHORT_TASK_ID: usize = 8;

/// The id of a task given as an ARN, a full id, or a unique prefix of at least
/// [`SHORT_TASK_ID`] characters (as the deployer prints ids), resolved among the cluster's
/// running and recently stopped tasks (ListTasks). `flag` names where it came from. A full
/// id is taken as it is (its task may be gone, its logs not); a prefix that matches no
/// task, or several, exits 2 listing the candidates.
pub(crate) async fn resolve_task_id(ctx: &Ctx, given: &str, flag: &str) -> anyhow::Result<String> {
    let id = deployer_models::logview::task_id(given);
    let hex = !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit());
    if !hex || id.len() > TASK_ID_LEN {
        return Err(bad_input(format!(
            "{flag} {given:?}: expected a task id (32 hex digits), its first \
             {SHORT_TASK_ID}+ characters, or a task ARN"
        )));
    }
    if id.len() == TASK_ID_LEN {
        return Ok(id.to_owned());
    }
    if id.len() < SHORT_TASK_ID {
        return Err(bad_input(format!(
            "{flag} {given:?}: too short to name one task: give at least {SHORT_TASK_ID} \
             characters of its id (as `deployer tasks` prints them)"
        )));
    }
    let prefix = id.to_ascii_lowercase();
    let mut ids: Vec<String> = Vec::new();
    for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
        let arns = task_arns(ctx, Tasks::Cluster, Some(status), "the cluster's tasks").await?;
        for arn in arns {
            let id = deployer_models::logview::task_id(&arn).to_owned();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let matching: Vec<&String> = ids
        .iter()
        .filter(|t| t.to_ascii_lowercase().starts_with(&prefix))
        .collect();
    match matching.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(bad_input(format!(
            "{flag} {given}: no task of cluster `{}` has an id starting with {id} \
             (running and recently stopped tasks: {})",
            ctx.outputs.cluster_name,
            if ids.is_empty() {
                "none".to_owned()
            } else {
                ids.join(", ")
            }
        ))),
        many => Err(bad_input(format!(
            "{flag} {given}: {} tasks have an id starting with {id}: {}; give more \
             characters",
            many.len(),
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// DescribeTasks, 100 at a time (the API's limit); `what` names them in the error.
pub(crate) async fn describe_tasks(
    ctx: &Ctx,
    arns: &[String],
    what: &str,
) -> anyhow::Result<Vec<Task>> {
    let mut tasks = Vec::new();
    for chunk in arns.chunks(100) {
        let out = ctx
            .aws
            .ecs
            .describe_tasks()
            .cluster(&ctx.outputs.cluster_name)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .aws("ecs:DescribeTasks")
            .with_context(|| format!("describing {what}"))?;
        tasks.extend(out.tasks.unwrap_or_default());
    }
    Ok(tasks)
}

/// The service's tasks in `status` (`None`: running and pending).
pub(crate) async fn service_tasks(
    ctx: &Ctx,
    status: Option<DesiredStatus>,
) -> anyhow::Result<Vec<Task>> {
    let arns = task_arns(ctx, Tasks::Service, status, "the service's tasks").await?;
    describe_tasks(ctx, &arns, "the service's tasks").await
}

/// One task (DescribeTasks), by ARN or id.
pub(crate) async fn task(ctx: &Ctx, arn: &str) -> anyhow::Result<Task> {
    ctx.aws
        .ecs
        .describe_tasks()
        .cluster(&ctx.outputs.cluster_name)
        .tasks(arn)
        .send()
        .await
        .aws("ecs:DescribeTasks")?
        .tasks
        .unwrap_or_default()
        .into_iter()
        .next()
        .with_context(|| format!("DescribeTasks does not know task {arn}"))
}

/// StopTask; returns the task as it was when stopped.
pub(crate) async fn stop_task(ctx: &Ctx, id: &str, reason: &str) -> anyhow::Result<Option<Task>> {
    Ok(ctx
        .aws
        .ecs
        .stop_task()
        .cluster(&ctx.outputs.cluster_name)
        .task(id)
        .reason(reason)
        .send()
        .await
        .aws("ecs:StopTask")
        .with_context(|| format!("stopping task {id}"))?
        .task)
}

/// RunTask of `task_definition` with `overrides`, placed as the service's tasks are
/// (launch type, platform version, network); `started_by` tags it. The started task,
/// or an error naming why none started.
pub(crate) async fn run_task(
    ctx: &Ctx,
    service: &aws_sdk_ecs::types::Service,
    task_definition: &str,
    overrides: TaskOverride,
    started_by: &str,
) -> anyhow::Result<Task> {
    let resp = ctx
        .aws
        .ecs
        .run_task()
        .cluster(&ctx.outputs.cluster_name)
        .task_definition(task_definition)
        .set_launch_type(service.launch_type().cloned())
        .set_platform_version(service.platform_version().map(String::from))
        .set_network_configuration(service.network_configuration().cloned())
        .overrides(overrides)
        .started_by(started_by)
        .send()
        .await
        .aws("ecs:RunTask")
        .with_context(|| format!("running a one-off task of {task_definition}"))?;
    if let Some(task) = resp.tasks().first() {
        return Ok(task.clone());
    }
    let why = resp
        .failures()
        .iter()
        .map(|f| format!("{}: {}", f.arn().unwrap_or("-"), f.reason().unwrap_or("-")))
        .collect::<Vec<_>>()
        .join("; ");
    anyhow::bail!("RunTask started no task ({why})")
}

/// UpdateService: the service's desired count.
pub(crate) async fn set_desired_count(ctx: &Ctx, n: i32) -> anyhow::Result<()> {
    let o = &ctx.outputs;
    ctx.aws
        .ecs
        .update_service()
        .cluster(&o.cluster_name)
        .service(&o.service_name)
        .desired_count(n)
        .send()
        .await
        .aws("ecs:UpdateService")
        .with_context(|| format!("setting the desired count of `{}` to {n}", o.service_name))?;
    Ok(())
}

/// A task of the service that stopped, and why.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StoppedTask {
    pub(crate) task: String,
    pub(crate) task_definition: Option<String>,
    pub(crate) stopped_reason: Option<String>,
    pub(crate) containers: Vec<String>,
    /// The last lines of its log stream (CloudWatch Logs), oldest first.
    pub(crate) last_lines: Vec<String>,
}

/// The service's tasks that stopped since `since` (epoch seconds), newest first, at
/// most five (for failure reports).
pub(crate) async fn stopped_tasks(
    ctx: &Ctx,
    since: Option<i64>,
) -> anyhow::Result<Vec<StoppedTask>> {
    let arns = task_arns(
        ctx,
        Tasks::Service,
        Some(DesiredStatus::Stopped),
        "the service's stopped tasks",
    )
    .await?;
    let newest: Vec<String> = arns.into_iter().take(100).collect();
    let tasks = describe_tasks(ctx, &newest, "the service's stopped tasks").await?;
    let since = since.unwrap_or(i64::MIN);
    let mut tasks: Vec<_> = tasks
        .into_iter()
        .filter(|t| t.stopped_at.is_none_or(|s| s.secs() >= since))
        .collect();
    tasks.sort_by_key(|t| std::cmp::Reverse(t.stopped_at.map(|d| d.secs())));
    Ok(tasks
        .into_iter()
        .take(5)
        .map(|t| StoppedTask {
            task: t
                .task_arn
                .as_deref()
                .map(|a| a.rsplit('/').next().unwrap_or(a).to_owned())
                .unwrap_or_default(),
            task_definition: t.task_definition_arn,
            stopped_reason: t.stopped_reason,
            containers: t
                .containers
                .unwrap_or_default()
                .into_iter()
                .map(|c| {
                    format!(
                        "container {}: exit code {}{}",
                        c.name.unwrap_or_default(),
                        c.exit_code
                            .map(|e| e.to_string())
                            .unwrap_or_else(|| "-".into()),
                        c.reason.map(|r| format!(", {r}")).unwrap_or_default()
                    )
                })
                .collect(),
            last_lines: Vec::new(),
        })
        .collect())
}

/// The image of a task definition's first container (DescribeTaskDefinition).
pub(crate) async fn image_of(ctx: &Ctx, task_definition: &str) -> anyhow::Result<String> {
    ctx.aws
        .ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .send()
        .await
        .aws("ecs:DescribeTaskDefinition")
        .with_context(|| format!("reading task definition {task_definition}"))?
        .task_definition
        .and_then(|t| t.container_definitions)
        .and_then(|c| c.into_iter().next())
        .and_then(|c| c.image)
        .with_context(|| format!("task definition {task_definition} has no container image"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_revision_parses_arns() {
        assert_eq!(
            family_revision("arn:aws:ecs:eu-west-1:123456789012:task-definition/demo:7"),
            Some(("demo", 7))
        );
        assert_eq!(family_revision("demo:12"), Some(("demo", 12)));
        assert_eq!(family_revision("demo"), None);
    }

    use crate::aws::mock::{ctx, mock};
    use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionError;
    use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
    use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
    use aws_sdk_ecs::types::error::ClientException;
    use aws_smithy_types::error::ErrorMetadata;

    fn arns(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("arn:aws:ecs:eu-west-1:123456789012:task/demo/{i:032x}"))
            .collect()
    }

    /// DescribeTasks answering with one task per ARN asked, stopped at second `10 + i`.
    fn describe_echo() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_ecs::Client::describe_tasks).then_compute_output(|req| {
            let tasks = req.tasks().iter().map(|arn| {
                let i = i64::from_str_radix(arn.rsplit('/').next().unwrap(), 16).unwrap();
                Task::builder()
                    .task_arn(arn)
                    .stopped_reason(format!("reason {i}"))
                    .stopped_at(aws_smithy_types::DateTime::from_secs(10 + i))
                    .build()
            });
            DescribeTasksOutput::builder()
                .set_tasks(Some(tasks.collect()))
                .build()
        })
    }

    #[tokio::test]
    async fn a_unique_prefix_of_8_or_more_names_a_task_others_list_the_candidates() {
        let ids = [
            "cb244791aaaa0000000000000000aaaa",
            "cb244791bbbb0000000000000000bbbb",
            "0123456789abcdef0123456789abcdef",
        ];
        let running = mock!(aws_sdk_ecs::Client::list_tasks)
            .match_requests(|r| {
                r.cluster() == Some("demo")
                    && r.service_name().is_none()
                    && r.desired_status() == Some(&DesiredStatus::Running)
            })
            .then_output(move || {
                ListTasksOutput::builder()
                    .set_task_arns(Some(
                        ids[..2]
                            .iter()
                            .map(|i| format!("arn:aws:ecs:eu-west-1:123456789012:task/demo/{i}"))
                            .collect(),
                    ))
                    .build()
            });
        let stopped = mock!(aws_sdk_ecs::Client::list_tasks)
            .match_requests(|r| r.desired_status() == Some(&DesiredStatus::Stopped))
            .then_output(move || {
                ListTasksOutput::builder()
                    .task_arns(format!(
                        "arn:aws:ecs:eu-west-1:123456789012:task/demo/{}",
                        ids[2]
                    ))
                    .build()
            });
        let ctx = ctx(&[&running, &stopped]);
        let resolve = |given: &'static str| resolve_task_id(&ctx, given, "--task");
        assert_eq!(resolve("cb244791a").await.unwrap(), ids[0]);
        assert_eq!(resolve("CB244791B").await.unwrap(), ids[1]);
        assert_eq!(resolve("01234567").await.unwrap(), ids[2], "a stopped task");
        assert_eq!(
            resolve("arn:aws:ecs:eu-west-1:123456789012:task/demo/0123456789ab")
                .await
                .unwrap(),
            ids[2]
        );
        let full = "ffffffffffffffffffffffffffffffff";
        assert_eq!(resolve(full).await.unwrap(), full, "a full id as it is");
        for (given, needles) in [
            ("cb244791", &[ids[0], ids[1], "2 tasks"][..]),
            ("deadbeef", &[ids[0], ids[1], ids[2], "no task"][..]),
            ("cb2447", &["at least 8"][..]),
            ("not-a-task", &["expected a task id"][..]),
        ] {
            let err = resolve(given).await.unwrap_err();
            assert_eq!(
                crate::exit::Code::from_error(&err),
                crate::exit::Code::BadInput
            );
            let text = format!("{err:#}");
            for n in needles {
                assert!(text.contains(n), "{given}: {n:?} not in {text}");
            }
        }
    }

    #[tokio::test]
    async fn service_tasks_are_described_100_at_a_time() {
        let list = mock!(aws_sdk_ecs::Client::list_tasks)
            .match_requests(|r| {
                r.cluster() == Some("demo")
                    && r.service_name() == Some("demo")
                    && r.desired_status() == Some(&DesiredStatus::Running)
            })
            .then_output(|| {
                ListTasksOutput::builder()
                    .set_task_arns(Some(arns(150)))
                    .build()
            });
        let describe = mock!(aws_sdk_ecs::Client::describe_tasks)
            .match_requests(|r| r.tasks().len() <= 100)
            .sequence()
            .output(|| {
                DescribeTasksOutput::builder()
                    .set_tasks(Some(vec![Task::builder().build(); 100]))
                    .build()
            })
            .output(|| {
                DescribeTasksOutput::builder()
                    .set_tasks(Some(vec![Task::builder().build(); 50]))
                    .build()
            })
            .build();
        let ctx = ctx(&[&list, &describe]);
        let tasks = service_tasks(&ctx, Some(DesiredStatus::Running))
            .await
            .unwrap();
        assert_eq!(tasks.len(), 150);
        assert_eq!(describe.num_calls(), 2);
    }

    #[tokio::test]
    async fn stopped_tasks_are_the_newest_five_since_the_deployment() {
        let list = mock!(aws_sdk_ecs::Client::list_tasks)
            .match_requests(|r| r.desired_status() == Some(&DesiredStatus::Stopped))
            .then_output(|| {
                ListTasksOutput::builder()
                    .set_task_arns(Some(arns(8)))
                    .build()
            });
        let describe = describe_echo();
        let ctx = ctx(&[&list, &describe]);
        // Tasks 0..8 stopped at 10..18; the deployment began at 11: task 0 is older.
        let stopped = stopped_tasks(&ctx, Some(11)).await.unwrap();
        let reasons: Vec<_> = stopped
            .iter()
            .map(|t| t.stopped_reason.clone().unwrap())
            .collect();
        assert_eq!(
            reasons,
            ["reason 7", "reason 6", "reason 5", "reason 4", "reason 3"]
        );
        assert_eq!(stopped[0].task, format!("{:032x}", 7));
    }

    #[tokio::test]
    async fn no_stopped_tasks_means_no_describe_call() {
        let list = mock!(aws_sdk_ecs::Client::list_tasks)
            .then_output(|| ListTasksOutput::builder().build());
        let describe = describe_echo();
        let ctx = ctx(&[&list, &describe]);
        assert!(stopped_tasks(&ctx, None).await.unwrap().is_empty());
        assert_eq!(describe.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_revision_ecs_does_not_know_exits_2_naming_it() {
        let missing = mock!(aws_sdk_ecs::Client::describe_task_definition)
            .match_requests(|r| r.task_definition() == Some("demo:99"))
            .then_error(|| {
                DescribeTaskDefinitionError::ClientException(
                    ClientException::builder()
                        .message("Unable to describe task definition.")
                        .meta(
                            ErrorMetadata::builder()
                                .code("ClientException")
                                .message("Unable to describe task definition.")
                                .build(),
                        )
                        .build(),
                )
            });
        let ctx = ctx(&[&missing]);
        let err = resolve_task_definition(&ctx, "99", "--revision")
            .await
            .unwrap_err();
        assert_eq!(
            crate::exit::Code::from_error(&err),
            crate::exit::Code::BadInput
        );
        let text = format!("{err:#}");
        assert!(
            text.contains("--revision 99: no such task definition (demo:99)"),
            "{text}"
        );
        // The latest revision of a family that has none is no revision, not an error.
        let none = mock!(aws_sdk_ecs::Client::describe_task_definition)
            .sequence()
            .error(|| {
                DescribeTaskDefinitionError::ClientException(
                    ClientException::builder()
                        .meta(
                            ErrorMetadata::builder()
                                .code("ClientException")
                                .message("Unable to describe task definition.")
                                .build(),
                        )
                        .build(),
                )
            })
            .build();
        let ctx = crate::aws::mock::ctx(&[&none]);
        assert!(latest_revision(&ctx, "demo").await.unwrap().is_none());
    }
}
