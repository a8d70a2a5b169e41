//! Checks made before a deployment is created (and by `deployer verify`): the service
//! exists and is deployed by CodeDeploy, the deployment group targets it, the deployment
//! configuration is allowed with an NLB, and no deployment is in flight.
//!
//! `deploy` also renders its appspec here ([`appspec`]) against the revision it would
//! deploy, before anything is registered.
//!
//! A check that fails is reported with what was found and what to do; errors that are
//! not about the stack (throttling, access denied, credentials, network) end the
//! preflight at once with their own message.

#![warn(unreachable_pub)]

use aws_sdk_codedeploy::types::{
    DeploymentGroupInfo, DeploymentOption, DeploymentType, TrafficRoutingType,
};
use aws_sdk_ecs::types::DeploymentControllerType;
use serde::Serialize;

use crate::aws::{codedeploy, ecr, ecs, elbv2, error_kind, sts, Ctx, ErrorKind};
use crate::exit::bad_input;
use deployer_models::image::ImageRef;
use deployer_models::outputs::Outputs;
use deployer_models::render::Templates;
use deployer_models::taskdef::TaskDefinition;

/// The only deployment configuration CodeDeploy accepts for ECS behind an NLB.
pub(crate) const NLB_CONFIG: &str = "CodeDeployDefault.ECSAllAtOnce";

/// One check and how it went.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
    /// The failure is about names in the Terraform outputs (exit 2), not AWS state.
    #[serde(skip)]
    pub bad_input: bool,
    /// The failure is another deployment in flight (exit 6).
    #[serde(skip)]
    pub in_flight: bool,
}

impl Check {
    pub(crate) fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            ok: true,
            detail: detail.into(),
            bad_input: false,
            in_flight: false,
        }
    }

    pub(crate) fn fail(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            ok: false,
            detail: detail.into(),
            bad_input: false,
            in_flight: false,
        }
    }

    /// Turns an error into a failed check when it is about the stack (not found, bad
    /// input, conflict); other errors (access denied, throttling, ...) are returned.
    fn from_error(name: &'static str, err: anyhow::Error) -> anyhow::Result<Check> {
        let kind = error_kind(&err);
        let is_bad_input = crate::aws::exit_code(&err) == crate::exit::Code::BadInput;
        if is_bad_input || matches!(kind, Some(ErrorKind::Conflict) | Some(ErrorKind::Other)) {
            Ok(Check {
                name,
                ok: false,
                detail: format!("{err:#}"),
                bad_input: is_bad_input,
                in_flight: false,
            })
        } else {
            Err(err)
        }
    }

    pub(crate) fn human(&self) -> String {
        format!(
            "{} {:<23} {}",
            if self.ok { "ok  " } else { "FAIL" },
            self.name,
            self.detail
        )
    }
}

/// The preflight checks, in order. `group` is filled with the deployment group when it
/// could be read.
pub(crate) async fn run(ctx: &Ctx) -> anyhow::Result<(Vec<Check>, Option<DeploymentGroupInfo>)> {
    let mut checks = Vec::new();
    checks.push(match check_service(ctx).await {
        Ok(c) => c,
        Err(e) => Check::from_error("service", e)?,
    });
    let group = match codedeploy::deployment_group(ctx).await {
        Ok(g) => Some(g),
        Err(e) => {
            checks.push(Check::from_error("deployment group", e)?);
            None
        }
    };
    if let Some(g) = &group {
        checks.push(check_group(ctx, g));
        checks.push(match check_config(ctx, g).await {
            Ok(c) => c,
            Err(e) => Check::from_error("deployment config", e)?,
        });
        checks.push(check_alarms(ctx, g).await);
    }
    checks.push(match check_in_flight(ctx).await {
        Ok(c) => c,
        Err(e) => Check::from_error("no deployment in flight", e)?,
    });
    checks.push(check_account(ctx).await?);
    Ok((checks, group))
}

/// Fails with every failed check's detail; exit 2 when any is about the outputs' names.
pub(crate) fn ensure_passed(checks: &[Check]) -> anyhow::Result<()> {
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.ok).collect();
    if failed.is_empty() {
        return Ok(());
    }
    let text = failed
        .iter()
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect::<Vec<_>>()
        .join("\n  ");
    let msg = format!("preflight failed, nothing was changed:\n  {text}");
    if failed.iter().any(|c| c.bad_input) {
        Err(bad_input(msg))
    } else if failed.iter().any(|c| c.in_flight) {
        Err(crate::exit::in_flight(msg))
    } else {
        Err(anyhow::anyhow!(msg))
    }
}

async fn check_service(ctx: &Ctx) -> anyhow::Result<Check> {
    let o = &ctx.outputs;
    let s = ecs::service(ctx).await?;
    let controller = s
        .deployment_controller
        .as_ref()
        .map(|d| d.r#type.clone())
        .unwrap_or(DeploymentControllerType::Ecs);
    if controller != DeploymentControllerType::CodeDeploy {
        return Ok(Check {
            bad_input: true,
            ..Check::fail(
                "service",
                format!(
                    "ECS service `{}` in cluster `{}` uses the {} deployment controller; \
                     blue/green with CodeDeploy needs CODE_DEPLOY (set \
                     deployment_controller {{ type = \"CODE_DEPLOY\" }} in infra/ and \
                     re-create the service)",
                    o.service_name,
                    o.cluster_name,
                    controller.as_str()
                ),
            )
        });
    }
    let status = s.status.as_deref().unwrap_or("?");
    if status != "ACTIVE" {
        return Ok(Check::fail(
            "service",
            format!("ECS service `{}` is {status}, not ACTIVE", o.service_name),
        ));
    }
    Ok(Check::pass(
        "service",
        format!(
            "`{}` in cluster `{}`, CODE_DEPLOY controller, {}",
            o.service_name,
            o.cluster_name,
            task_count(s.running_count, s.desired_count)
        ),
    ))
}

/// `2 of 2 tasks running`; while a deployment's task sets overlap the service runs more
/// than its desired count, which "2 of 1" would misstate.
fn task_count(running: i32, desired: i32) -> String {
    if running > desired {
        format!("{running} tasks running, {desired} desired (a deployment's task sets overlap)")
    } else {
        format!("{running} of {desired} tasks running")
    }
}

fn check_group(ctx: &Ctx, g: &DeploymentGroupInfo) -> Check {
    let o = &ctx.outputs;
    let targets_service = g
        .ecs_services
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|s| {
            s.service_name.as_deref() == Some(o.service_name.as_str())
                && s.cluster_name.as_deref() == Some(o.cluster_name.as_str())
        });
    if !targets_service {
        let found: Vec<String> = g
            .ecs_services
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|s| {
                format!(
                    "{}/{}",
                    s.cluster_name.as_deref().unwrap_or("?"),
                    s.service_name.as_deref().unwrap_or("?")
                )
            })
            .collect();
        return Check {
            bad_input: true,
            ..Check::fail(
                "deployment group",
                format!(
                    "deployment group `{}` targets [{}], not ECS service {}/{} (Terraform \
                     outputs cluster_name/service_name)",
                    o.codedeploy_group_name,
                    found.join(", "),
                    o.cluster_name,
                    o.service_name
                ),
            )
        };
    }
    let style = g.deployment_style.as_ref();
    let blue_green = style.and_then(|s| s.deployment_type.clone())
        == Some(DeploymentType::BlueGreen)
        && style.and_then(|s| s.deployment_option.clone())
            == Some(DeploymentOption::WithTrafficControl);
    if !blue_green {
        return Check::fail(
            "deployment group",
            format!(
                "deployment group `{}` is not BLUE_GREEN with traffic control",
                o.codedeploy_group_name
            ),
        );
    }
    let tg_names: Vec<String> = target_group_names(g);
    for want in [&o.target_group_blue_name, &o.target_group_green_name] {
        if !tg_names.iter().any(|n| n == want) {
            return Check {
                bad_input: true,
                ..Check::fail(
                    "deployment group",
                    format!(
                        "deployment group `{}` uses target groups [{}], not `{want}` \
                         (Terraform outputs target_group_blue_name/target_group_green_name)",
                        o.codedeploy_group_name,
                        tg_names.join(", ")
                    ),
                )
            };
        }
    }
    Check::pass(
        "deployment group",
        format!(
            "`{}` of `{}` targets {}/{}, target groups {}",
            o.codedeploy_group_name,
            o.codedeploy_app_name,
            o.cluster_name,
            o.service_name,
            tg_names.join(" + ")
        ),
    )
}

/// The target group names of the group's (first) target group pair.
pub(crate) fn target_group_names(g: &DeploymentGroupInfo) -> Vec<String> {
    g.load_balancer_info
        .as_ref()
        .and_then(|l| l.target_group_pair_info_list.as_ref())
        .and_then(|p| p.first())
        .and_then(|p| p.target_groups.as_ref())
        .map(|tgs| tgs.iter().filter_map(|t| t.name.clone()).collect())
        .unwrap_or_default()
}

async fn check_config(ctx: &Ctx, g: &DeploymentGroupInfo) -> anyhow::Result<Check> {
    let config = g
        .deployment_config_name
        .clone()
        .unwrap_or_else(|| NLB_CONFIG.to_owned());
    let names = target_group_names(g);
    let nlb = if names.is_empty() {
        false
    } else {
        let tgs = elbv2::target_groups(ctx, &names).await?;
        tgs.iter().any(|t| {
            matches!(
                t.protocol.as_ref().map(|p| p.as_str()),
                Some("TCP" | "TLS" | "UDP" | "TCP_UDP")
            )
        })
    };
    if !nlb {
        return Ok(Check::pass(
            "deployment config",
            format!("{config} (application load balancer: any ECS config is allowed)"),
        ));
    }
    let all_at_once = if config == NLB_CONFIG {
        true
    } else {
        let info = codedeploy::deployment_config(ctx, &config).await?;
        info.and_then(|i| i.traffic_routing_config)
            .and_then(|t| t.r#type)
            .is_some_and(|t| t == TrafficRoutingType::AllAtOnce)
    };
    if all_at_once {
        Ok(Check::pass(
            "deployment config",
            format!("{config} (all at once, as a network load balancer requires)"),
        ))
    } else {
        Ok(Check {
            bad_input: true,
            ..Check::fail(
                "deployment config",
                format!(
                    "deployment group `{}` uses `{config}`, but behind a network load \
                     balancer CodeDeploy allows only {NLB_CONFIG} (no canary or linear \
                     shifting); change deployment_config_name in infra/",
                    ctx.outputs.codedeploy_group_name
                ),
            )
        })
    }
}

/// How long the preflight waits for an alarm in ALARM to return to OK, at most.
const ALARM_WAIT: std::time::Duration = std::time::Duration::from_secs(150);

/// The alarms the group stops deployments on are not in ALARM: CodeDeploy would stop a
/// deployment created now at once (ALARM_ACTIVE). An alarm in ALARM (the failures of the
/// release just rolled back, counted in its last period) is waited for, a poll a second,
/// for up to its evaluation window (Period x EvaluationPeriods) plus a period, at most
/// [`ALARM_WAIT`]; still in ALARM then fails the check. Alarms that cannot be read (no
/// cloudwatch:DescribeAlarms right) are not a reason to refuse: the check passes and says so.
async fn check_alarms(ctx: &Ctx, g: &DeploymentGroupInfo) -> Check {
    const NAME: &str = "alarms";
    let names = codedeploy::watched_alarms(g);
    if names.is_empty() {
        return Check::pass(NAME, "the group watches no alarm");
    }
    let started = std::time::Instant::now();
    let mut waited_for: Vec<String> = Vec::new();
    loop {
        let states = match crate::aws::cloudwatch::alarms(ctx, &names).await {
            Ok(s) => s,
            Err(e) => return Check::pass(NAME, format!("not checked ({e:#})")),
        };
        let firing: Vec<&crate::aws::cloudwatch::AlarmState> =
            states.iter().filter(|a| a.state == "ALARM").collect();
        if firing.is_empty() {
            let mut detail = format!("none in ALARM ({})", names.join(", "));
            if !waited_for.is_empty() {
                detail.push_str(&format!(
                    "; waited {:.1} s for {} to leave ALARM",
                    started.elapsed().as_secs_f64(),
                    waited_for.join(", ")
                ));
            }
            return Check::pass(NAME, detail);
        }
        let window = firing
            .iter()
            .map(|a| a.window_secs)
            .max()
            .unwrap_or(60)
            .min(ALARM_WAIT.as_secs());
        if waited_for.is_empty() {
            eprintln!(
                "preflight: waiting up to {window} s for {} to leave ALARM (CodeDeploy would stop a deployment at once)",
                firing.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")
            );
            waited_for = firing.iter().map(|a| a.name.clone()).collect();
        }
        if started.elapsed().as_secs() >= window {
            let detail = firing
                .iter()
                .map(|a| format!("{} is in ALARM ({}): {}", a.name, a.rule, a.reason))
                .collect::<Vec<_>>()
                .join("; ");
            return Check::fail(
                NAME,
                format!(
                    "{detail}; CodeDeploy would stop the deployment at once (ALARM_ACTIVE): \
                     deploy once the alarm is back to OK (`deployer status` shows it)"
                ),
            );
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

async fn check_in_flight(ctx: &Ctx) -> anyhow::Result<Check> {
    let in_flight = codedeploy::in_flight(ctx).await?;
    match in_flight.first() {
        None => Ok(Check::pass("no deployment in flight", "the group is idle")),
        Some(d) => Ok(Check {
            in_flight: true,
            ..Check::fail(
                "no deployment in flight",
                codedeploy::in_flight_message(ctx, d).await,
            )
        }),
    }
}

/// The credentials' account (STS GetCallerIdentity) is the outputs' `account_id`: a
/// deploy never lands in another account than the one the outputs describe.
async fn check_account(ctx: &Ctx) -> anyhow::Result<Check> {
    const NAME: &str = "account";
    match sts::ensure_account(ctx).await {
        Ok(arn) => Ok(Check::pass(
            NAME,
            format!("{} ({arn})", ctx.outputs.account_id),
        )),
        Err(err) if crate::aws::exit_code(&err) == crate::exit::Code::BadInput => Ok(Check {
            bad_input: true,
            ..Check::fail(NAME, format!("{err:#}"))
        }),
        Err(err) => Err(err),
    }
}

/// What `deploy` hands to CreateDeployment in place of the ARN of a revision it has yet
/// to register (`--dry-run` shows the appspec with it).
pub(crate) const NEW_REVISION: &str = "<the new revision's ARN>";

/// The appspec `deploy` sends, rendered from the template against the revision it would
/// deploy: `arn` when it exists (`--task-definition`, or a rendered one identical to the
/// latest revision), else a stand-in ARN of the stack's family, shown as
/// [`NEW_REVISION`]. `td` is that revision: the appspec's `ContainerName` must name one of
/// its containers and `ContainerPort` one of that container's port mappings, or
/// CodeDeploy fails the deployment at its first lifecycle event. Everything refused here
/// (YAML that does not parse, no service under `Resources`, a ContainerName or
/// ContainerPort that disagrees with the outputs or the task definition) exits 2 before
/// RegisterTaskDefinition.
pub(crate) fn appspec(
    o: &Outputs,
    templates: &Templates,
    arn: Option<&str>,
    td: &TaskDefinition,
) -> anyhow::Result<String> {
    let stand_in = format!(
        "arn:aws:ecs:{}:{}:task-definition/{}:1",
        o.region, o.account_id, o.task_family
    );
    let spec = templates.render_appspec(o, Some(arn.unwrap_or(&stand_in)))?;
    let where_ = templates.appspec.path.display();
    let revision = arn.unwrap_or("the task definition rendered from the template");
    if let Some((name, service)) = spec.service() {
        let lb = &service.properties.load_balancer_info;
        let field = format!("Resources.{name}.Properties.LoadBalancerInfo");
        let Some(container) = td.container(&lb.container_name) else {
            let names: Vec<&str> = td
                .container_definitions
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            return Err(bad_input(format!(
                "{where_}: {field}.ContainerName {:?} is not a container of {revision} \
                 (its containers: {})",
                lb.container_name,
                names.join(", ")
            )));
        };
        if !container
            .port_mappings
            .iter()
            .any(|p| p.container_port == lb.container_port)
        {
            let ports: Vec<String> = container
                .port_mappings
                .iter()
                .map(|p| p.container_port.to_string())
                .collect();
            return Err(bad_input(format!(
                "{where_}: {field}.ContainerPort {} is not a port mapping of container \
                 `{}` in {revision} (its container ports: [{}])",
                lb.container_port,
                lb.container_name,
                ports.join(", ")
            )));
        }
    }
    let yaml = spec.to_yaml();
    Ok(match arn {
        Some(_) => yaml,
        None => yaml.replace(&stand_in, NEW_REVISION),
    })
}

/// Whether `image` is in ECR (images outside ECR pass as "not checked": `deploy` refuses
/// them earlier with [`stack_image`]).
pub(crate) async fn check_image(ctx: &Ctx, image: &ImageRef) -> anyhow::Result<Check> {
    const NAME: &str = "image in ECR";
    let o = &ctx.outputs;
    let ecr_registry = o.ecr_repository_url.split('/').next().unwrap_or_default();
    let is_ecr = image.registry().is_some_and(|r| {
        r == ecr_registry || (r.contains(".dkr.ecr.") && r.contains(".amazonaws.com"))
    });
    if !is_ecr {
        return Ok(Check {
            name: NAME,
            ok: true,
            detail: format!("{image}: not an ECR image, not checked"),
            bad_input: false,
            in_flight: false,
        });
    }
    match ecr::describe_image(ctx, image).await {
        Ok(found) => match found {
            Some(d) => Ok(Check {
                name: NAME,
                ok: true,
                detail: format!(
                    "{image} ({}, pushed {})",
                    d.image_digest.as_deref().unwrap_or("?"),
                    d.image_pushed_at
                        .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                        .unwrap_or_else(|| "?".into())
                ),
                bad_input: false,
                in_flight: false,
            }),
            None => Ok(missing_image(image)),
        },
        Err(err) if error_kind(&err) == Some(ErrorKind::NotFound) => Ok(Check {
            name: NAME,
            ok: false,
            detail: format!("{err:#}"),
            bad_input: false,
            in_flight: false,
        }),
        Err(err) => Err(err),
    }
}

pub(crate) fn missing_image(image: &ImageRef) -> Check {
    Check {
        name: "image in ECR",
        ok: false,
        detail: format!("{image} is not in ECR: push it first (the pipeline's build does)"),
        bad_input: false,
        in_flight: false,
    }
}

/// Tags that name a moving target: refused by `deploy` unless `--allow-mutable-tag`.
const MUTABLE_TAGS: [&str; 14] = [
    "latest",
    "main",
    "master",
    "stable",
    "dev",
    "develop",
    "prod",
    "production",
    "staging",
    "edge",
    "nightly",
    "current",
    "release",
    "head",
];

/// The image `deploy` ships, checked against the stack's ECR repository (output
/// `ecr_repository_url`): `REPOSITORY:TAG` without a registry, where REPOSITORY is the
/// stack's `ecr_repository_name`, means that repository of the stack's registry (on AWS
/// ECS would otherwise pull it from Docker Hub); any other registry or repository exits
/// 2. A tag that looks mutable (`latest`, `main`, ...) exits 2 unless `allow_mutable`:
/// the repository's tags are immutable, so such a tag is not what the pipeline pushes.
pub(crate) fn stack_image(
    o: &deployer_models::outputs::Outputs,
    image: &ImageRef,
    allow_mutable: bool,
) -> anyhow::Result<ImageRef> {
    let url = o.ecr_repository_url.as_str();
    let suffix = match (image.tag(), image.digest()) {
        (_, Some(d)) => format!("@{d}"),
        (Some(t), None) => format!(":{t}"),
        (None, None) => {
            return Err(bad_input(format!(
                "--image {image}: give a tag or a digest ({url}:TAG or {url}@sha256:...); \
                 without one ECS pulls the mutable `latest`"
            )))
        }
    };
    let resolved = match image.registry() {
        // Docker's reading of `demo:v2` is `docker.io/library/demo:v2`.
        None if image.repository() == o.ecr_repository_name
            || image.repository() == format!("library/{}", o.ecr_repository_name) =>
        {
            format!("{url}{suffix}")
        }
        Some(reg) if format!("{reg}/{}", image.repository()) == url => image.as_str().to_owned(),
        _ => {
            return Err(bad_input(format!(
                "--image {image}: not in the stack's ECR repository {url} (output \
                 `ecr_repository_url` in {}): ECS could pull it from elsewhere, and its tag \
                 can change; push it to {url} (the pipeline's build does) and give {url}{suffix}",
                o.origin
            )))
        }
    };
    if let (Some(tag), None) = (image.tag(), image.digest()) {
        if !allow_mutable && MUTABLE_TAGS.contains(&tag.to_ascii_lowercase().as_str()) {
            return Err(bad_input(format!(
                "--image {image}: the tag `{tag}` looks mutable, and {url} has immutable \
                 tags: give the commit tag the pipeline pushed, or a digest \
                 ({url}@sha256:...); --allow-mutable-tag deploys it anyway"
            )));
        }
    }
    resolved
        .parse::<ImageRef>()
        .map_err(|e| bad_input(format!("--image {image}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group_watching(alarm: &str) -> DeploymentGroupInfo {
        use aws_sdk_codedeploy::types::{Alarm, AlarmConfiguration};
        DeploymentGroupInfo::builder()
            .alarm_configuration(
                AlarmConfiguration::builder()
                    .enabled(true)
                    .alarms(Alarm::builder().name(alarm).build())
                    .build(),
            )
            .build()
    }

    fn alarm_in(state: aws_sdk_cloudwatch::types::StateValue) -> aws_smithy_mocks::Rule {
        use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
        use aws_sdk_cloudwatch::types::MetricAlarm;
        crate::aws::mock::mock!(aws_sdk_cloudwatch::Client::describe_alarms)
            .sequence()
            .output(move || {
                DescribeAlarmsOutput::builder()
                    .metric_alarms(
                        MetricAlarm::builder()
                            .alarm_name("demo-http-5xx")
                            .state_value(state.clone())
                            .state_reason("Threshold Crossed: 1 datapoint [9.0 (04/12/26 18:20:00)] was greater than or equal to the threshold (5.0).")
                            .period(1)
                            .evaluation_periods(1)
                            .build(),
                    )
                    .build()
            })
            .repeatedly()
            .build()
    }

    /// An alarm the group watches that stays in ALARM fails the check (after waiting its
    /// window: 2 s here), naming it and its reason; one that is OK passes at once.
    #[tokio::test]
    async fn a_watched_alarm_in_alarm_fails_after_its_window_and_ok_passes() {
        use aws_sdk_cloudwatch::types::StateValue;
        let g = group_watching("demo-http-5xx");
        let firing = alarm_in(StateValue::Alarm);
        let ctx = crate::aws::mock::ctx(&[&firing]);
        let t = std::time::Instant::now();
        let c = check_alarms(&ctx, &g).await;
        assert!(!c.ok, "{c:?}");
        assert!(
            c.detail.contains("demo-http-5xx is in ALARM"),
            "{}",
            c.detail
        );
        assert!(c.detail.contains("ALARM_ACTIVE"), "{}", c.detail);
        assert!(
            t.elapsed() >= std::time::Duration::from_secs(2),
            "it waited the window"
        );
        let ok = alarm_in(StateValue::Ok);
        let ctx = crate::aws::mock::ctx(&[&ok]);
        let c = check_alarms(&ctx, &g).await;
        assert!(c.ok && c.detail.starts_with("none in ALARM"), "{c:?}");
    }

    #[test]
    fn more_tasks_than_desired_is_not_n_of_fewer() {
        assert_eq!(task_count(2, 2), "2 of 2 tasks running");
        assert_eq!(task_count(1, 2), "1 of 2 tasks running");
        assert_eq!(
            task_count(2, 1),
            "2 tasks running, 1 desired (a deployment's task sets overlap)"
        );
    }

    #[test]
    fn bad_input_failures_exit_2() {
        let checks = vec![
            Check::pass("service", "fine"),
            Check {
                bad_input: true,
                ..Check::fail("deployment config", "canary with an NLB")
            },
        ];
        let err = ensure_passed(&checks).unwrap_err();
        assert_eq!(crate::aws::exit_code(&err), crate::exit::Code::BadInput);
        assert!(format!("{err:#}").contains("canary with an NLB"));
    }

    #[test]
    fn a_deployment_in_flight_exits_6_unless_the_input_is_bad_too() {
        let in_flight = Check {
            in_flight: true,
            ..Check::fail("no deployment in flight", "d-X is InProgress")
        };
        let err = ensure_passed(&[Check::pass("service", "fine"), in_flight.clone()]).unwrap_err();
        assert_eq!(crate::aws::exit_code(&err), crate::exit::Code::InFlight);
        let bad = Check {
            bad_input: true,
            ..Check::fail("account", "another account")
        };
        let err = ensure_passed(&[in_flight, bad]).unwrap_err();
        assert_eq!(crate::aws::exit_code(&err), crate::exit::Code::BadInput);
    }

    #[test]
    fn state_failures_exit_1() {
        let checks = vec![Check::fail("no deployment in flight", "d-X is InProgress")];
        let err = ensure_passed(&checks).unwrap_err();
        assert_eq!(crate::aws::exit_code(&err), crate::exit::Code::Error);
        assert!(ensure_passed(&[Check::pass("a", "b")]).is_ok());
    }
}
