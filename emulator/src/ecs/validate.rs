//! RegisterTaskDefinition's checks, made as ECS makes them, before anything is stored: a
//! task definition ECS refuses is refused here too, with ECS's exception (ClientException)
//! and, where AWS's message does not name the field, the field's path and value added.
//!
//! Sources, cited beside each rule:
//! - \[API\] the ECS API reference, RegisterTaskDefinition and ContainerDefinition,
//!   HealthCheck, PortMapping, LogConfiguration
//!   (docs.aws.amazon.com/AmazonECS/latest/APIReference/);
//! - \[SIZE\] the Developer Guide's "Task size" table of Fargate CPU and memory
//!   (docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html);
//! - \[AWSLOGS\] the Developer Guide's "Using the awslogs log driver" (required options);
//! - \[IAM\] IAM identifiers (docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html).
//!
//! Not checked: everything the local stack does not run (volumes, secrets, EFS, GPU,
//! firelens, proxy configuration, ...); those are stored as given.

use serde_json::Value;

use super::Error;
use crate::wire::error::AwsError;

type Check = Result<(), AwsError<Error>>;

fn client(message: impl Into<String>) -> AwsError<Error> {
    AwsError::new(Error::ClientException, message)
}

/// Every check of a RegisterTaskDefinition request's body.
pub(crate) fn task_definition(td: &Value) -> Check {
    placeholders(td, &Path::Root)?;
    for key in ["taskRoleArn", "executionRoleArn"] {
        if let Some(v) = td.get(key).and_then(Value::as_str) {
            role_arn(key, v)?;
        }
    }
    let fargate = td["requiresCompatibilities"]
        .as_array()
        .is_some_and(|c| c.iter().any(|v| v == "FARGATE"));
    let network_mode = td["networkMode"].as_str();
    if fargate {
        // [API] networkMode: "If you're using the Fargate launch type, the awsvpc network
        // mode is required." ECS's message.
        if network_mode != Some("awsvpc") {
            return Err(client(format!(
                "Fargate only supports network mode \u{2018}awsvpc\u{2019}. (networkMode: {})",
                network_mode.map_or("null".into(), |m| format!("{m:?}"))
            )));
        }
        fargate_size(td)?;
    }
    let containers = td["containerDefinitions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, c) in containers.iter().enumerate() {
        let at = format!("containerDefinitions[{i}]");
        if let Some(image) = c["image"].as_str() {
            image_reference(&at, image)?;
        }
        port_mappings(&at, c, network_mode == Some("awsvpc"))?;
        if let Some(hc) = c.get("healthCheck").filter(|v| !v.is_null()) {
            health_check(&at, hc)?;
        }
        if let Some(lc) = c.get("logConfiguration").filter(|v| !v.is_null()) {
            log_configuration(
                &at,
                lc,
                fargate,
                td.get("executionRoleArn").is_some_and(|v| v.is_string()),
            )?;
        }
    }
    Ok(())
}

/// A `<NAME>` left from a template (the `aws ecs deploy` and CodeDeploy placeholders:
/// `<IMAGE1_NAME>`, `<TASK_DEFINITION>`, and this repository's `<EXECUTION_ROLE_ARN>`,
/// `<LOG_GROUP>`...) in any string of the request. ECS itself refuses some of them by the
/// field's syntax (an image, a role ARN) and takes others (a log group) only to fail when
/// a task starts; the local stack refuses all of them at registration, naming the field,
/// so that an unrendered template never reaches a task.
fn placeholders(v: &Value, path: &Path) -> Check {
    match v {
        Value::String(s) => match find_placeholder(s) {
            Some(p) => Err(client(format!(
                "{path}: {s:?} holds the template placeholder {p}: register the rendered task definition (`deployer render`), not the template"
            ))),
            None => Ok(()),
        },
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| placeholders(x, &Path::Item(path, i))),
        Value::Object(map) => map
            .iter()
            .try_for_each(|(k, x)| placeholders(x, &Path::Member(path, k))),
        _ => Ok(()),
    }
}

/// Where a value is in the request (`containerDefinitions[0].image`), written only when a
/// check refuses it: the walk over every string of the request makes none.
enum Path<'a> {
    Root,
    Member(&'a Path<'a>, &'a str),
    Item(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Member(Path::Root, k) => f.write_str(k),
            Path::Member(up, k) => write!(f, "{up}.{k}"),
            Path::Item(up, i) => write!(f, "{up}[{i}]"),
        }
    }
}

/// `<` one or more of `A-Z0-9_` `>`.
fn find_placeholder(s: &str) -> Option<&str> {
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        let tail = &rest[start + 1..];
        let len = tail
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        if len > 0 && tail.as_bytes().get(len) == Some(&b'>') {
            return Some(&rest[start..start + len + 2]);
        }
        rest = tail;
    }
    None
}

/// \[IAM\] `arn:<partition>:iam::<12-digit account>:role/<path/><name>`; role names are
/// 1-64 of `\w+=,.@-` [IAM limits]. ECS answers "Role is not valid".
fn role_arn(key: &str, arn: &str) -> Check {
    let bad = || {
        client(format!(
            "Role is not valid ({key}: {arn:?}: expected arn:aws:iam::<account id>:role/<name>)"
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [scheme, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(bad());
    };
    let name = resource
        .strip_prefix("role/")
        .and_then(|r| r.rsplit('/').next());
    let ok = *scheme == "arn"
        && partition.starts_with("aws")
        && *service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && name.is_some_and(|n| {
            (1..=64).contains(&n.len())
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
        });
    if ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// \[API\] ContainerDefinition.image: "Up to 255 letters (uppercase and lowercase), numbers,
/// hyphens, underscores, colons, periods, forward slashes, and number signs are allowed"
/// (and `@` of a digest reference, `repository-url/image@digest`).
fn image_reference(at: &str, image: &str) -> Check {
    if image.len() > 255 {
        return Err(client(format!(
            "Container.image repository should be 255 characters or less ({at}.image: {} characters)",
            image.len()
        )));
    }
    if let Some(c) = image
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_:./#@".contains(*c)))
    {
        return Err(client(format!(
            "Container.image contains invalid characters ({at}.image: {image:?} has {c:?})."
        )));
    }
    Ok(())
}

/// \[API\] PortMapping: containerPort and hostPort 0-65535 (containerPort at least 1);
/// "If you use containers in a task with the awsvpc or host network mode, specify the
/// exposed ports using containerPort ... the hostPort can either be left blank or set to
/// the same value as the containerPort"; protocol `tcp` or `udp`.
fn port_mappings(at: &str, c: &Value, awsvpc: bool) -> Check {
    let Some(maps) = c["portMappings"].as_array() else {
        return Ok(());
    };
    for (j, m) in maps.iter().enumerate() {
        let here = format!("{at}.portMappings[{j}]");
        let port = |k: &str| m.get(k).and_then(Value::as_i64);
        let container = port("containerPort");
        if let Some(p) = container {
            if !(1..=65535).contains(&p) {
                return Err(client(format!(
                    "Invalid 'containerPort' setting for container '{}'. ({here}.containerPort: {p}: must be 1-65535)",
                    c["name"].as_str().unwrap_or("")
                )));
            }
        }
        if let Some(h) = port("hostPort") {
            if !(0..=65535).contains(&h) {
                return Err(client(format!(
                    "Invalid 'hostPort' setting for container '{}'. ({here}.hostPort: {h}: must be 0-65535)",
                    c["name"].as_str().unwrap_or("")
                )));
            }
            if awsvpc && Some(h) != container {
                return Err(client(format!(
                    "When networkMode=awsvpc, the host ports and container ports in port mappings must match. ({here}: containerPort {}, hostPort {h})",
                    container.map_or("null".into(), |p| p.to_string())
                )));
            }
        }
        if let Some(p) = m.get("protocol").and_then(Value::as_str) {
            if p != "tcp" && p != "udp" {
                return Err(client(format!(
                    "{here}.protocol: {p:?}: must be one of [tcp, udp]"
                )));
            }
        }
    }
    Ok(())
}

/// \[API\] HealthCheck: command starts with `CMD` or `CMD-SHELL` (or is `["NONE"]`);
/// interval 5-300 s, timeout 2-60 s, retries 1-10, startPeriod 0-300 s.
fn health_check(at: &str, hc: &Value) -> Check {
    let cmd: Vec<&str> = hc["command"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match cmd.first().copied() {
        Some("CMD" | "CMD-SHELL") if cmd.len() > 1 => {}
        Some("NONE") if cmd.len() == 1 => {}
        _ => {
            return Err(client(format!(
                "{at}.healthCheck.command: {cmd:?}: the first item must be CMD (then the program and its arguments) or CMD-SHELL (then the command line)"
            )))
        }
    }
    for (key, lo, hi) in [
        ("interval", 5, 300),
        ("timeout", 2, 60),
        ("retries", 1, 10),
        ("startPeriod", 0, 300),
    ] {
        if let Some(v) = hc.get(key).and_then(Value::as_i64) {
            if !(lo..=hi).contains(&v) {
                return Err(client(format!(
                    "Invalid '{key}' setting for healthCheck ({at}.healthCheck.{key}: {v}): must be between {lo} and {hi}"
                )));
            }
        }
    }
    Ok(())
}

/// \[AWSLOGS\] the awslogs driver needs `awslogs-group` and `awslogs-region`, and on Fargate
/// `awslogs-stream-prefix`; \[API\] executionRoleArn: Fargate tasks that use awslogs need
/// an execution role (ECS's message).
fn log_configuration(at: &str, lc: &Value, fargate: bool, has_execution_role: bool) -> Check {
    if lc["logDriver"].as_str() != Some("awslogs") {
        return Ok(());
    }
    let mut required = vec!["awslogs-group", "awslogs-region"];
    if fargate {
        required.push("awslogs-stream-prefix");
    }
    for key in required {
        if lc["options"][key].as_str().is_none_or(str::is_empty) {
            return Err(client(format!(
                "Log driver awslogs requires options: {key} ({at}.logConfiguration.options.{key} is missing)"
            )));
        }
    }
    if fargate && !has_execution_role {
        return Err(client(
            "Fargate requires task definition to have execution role ARN to support log driver awslogs.",
        ));
    }
    Ok(())
}

/// \[SIZE\] Fargate's task sizes: task-level cpu and memory are required, and the pair must
/// be one of the table's (CPU units: memory MiB).
fn fargate_size(td: &Value) -> Check {
    let cpu = units(&td["cpu"], 1024);
    let memory = units(&td["memory"], 1024);
    let (Some(cpu), Some(memory)) = (cpu, memory) else {
        let missing = if cpu.is_none() { "cpu" } else { "memory" };
        return Err(client(format!(
            "Fargate requires that '{missing}' be defined at the task level. ({missing}: {})",
            td[missing]
        )));
    };
    let gib = |g: u64| g * 1024;
    let ok = match cpu {
        256 => [512, 1024, 2048].contains(&memory),
        512 => (gib(1)..=gib(4)).contains(&memory) && memory % 1024 == 0,
        1024 => (gib(2)..=gib(8)).contains(&memory) && memory % 1024 == 0,
        2048 => (gib(4)..=gib(16)).contains(&memory) && memory % 1024 == 0,
        4096 => (gib(8)..=gib(30)).contains(&memory) && memory % 1024 == 0,
        8192 => (gib(16)..=gib(60)).contains(&memory) && memory % gib(4) == 0,
        16384 => (gib(32)..=gib(120)).contains(&memory) && memory % gib(8) == 0,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(client(format!(
            "No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS documentation for the valid values."
        )))
    }
}

/// A task-level cpu or memory value: a number of units (`"256"`), or with a unit
/// (`"1 vCPU"`, `"2 GB"`: \[API\] "expressed as a string using vCPU/GB"); `per` is units per
/// vCPU/GB.
fn units(v: &Value, per: u64) -> Option<u64> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let lower = s.to_ascii_lowercase();
    let num = lower.trim_end_matches("vcpu").trim_end_matches("gb").trim();
    num.parse::<f64>()
        .ok()
        .filter(|n| *n > 0.0)
        .map(|n| (n * per as f64).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::fixture::rendered;
    use serde_json::json;

    fn refused(td: &Value) -> String {
        match task_definition(td) {
            Err(e) => {
                assert_eq!(e.code_str(), "ClientException");
                e.message
            }
            Ok(()) => panic!("accepted: {td}"),
        }
    }

    #[test]
    fn the_rendered_template_passes_and_the_raw_one_is_refused_naming_the_field() {
        task_definition(&rendered()).expect("the rendered taskdef.json is valid");
        let raw: Value = serde_json::from_str(include_str!("../../../taskdef.json")).unwrap();
        let m = refused(&raw);
        assert!(m.contains("<") && m.contains("placeholder"), "{m}");
        // The first placeholder in field order: a role ARN or the image, named with its path.
        assert!(
            [
                "taskRoleArn",
                "executionRoleArn",
                "containerDefinitions[0].image"
            ]
            .iter()
            .any(|f| m.starts_with(f)),
            "{m}"
        );
    }

    #[test]
    fn each_rule_refuses_with_ecs_wording() {
        let with = |f: &dyn Fn(&mut Value)| {
            let mut td = rendered();
            f(&mut td);
            refused(&td)
        };
        let c0 = "/containerDefinitions/0";
        let m =
            with(&|td| *td.pointer_mut(&format!("{c0}/image")).unwrap() = json!("a".repeat(3000)));
        assert!(m.contains("255 characters or less"), "{m}");
        let m = with(&|td| *td.pointer_mut(&format!("{c0}/image")).unwrap() = json!("demo:v 2"));
        assert!(m.contains("invalid characters"), "{m}");
        let m = with(&|td| td["executionRoleArn"] = json!("demo-execution"));
        assert!(
            m.contains("Role is not valid") && m.contains("executionRoleArn"),
            "{m}"
        );
        let m = with(&|td| td["memory"] = json!("4096"));
        assert!(
            m.contains("No Fargate configuration exists for given values: 256 CPU, 4096 memory"),
            "{m}"
        );
        let m = with(&|td| td["networkMode"] = json!("bridge"));
        assert!(m.contains("Fargate only supports network mode"), "{m}");
        let m = with(&|td| {
            *td.pointer_mut(&format!("{c0}/portMappings/0/hostPort"))
                .unwrap() = json!(8080)
        });
        assert!(m.contains("must match"), "{m}");
        let m = with(&|td| {
            *td.pointer_mut(&format!("{c0}/healthCheck/interval"))
                .unwrap() = json!(1)
        });
        assert!(m.contains("healthCheck.interval: 1"), "{m}");
        let m = with(&|td| {
            *td.pointer_mut(&format!("{c0}/healthCheck/retries"))
                .unwrap() = json!(11)
        });
        assert!(m.contains("retries"), "{m}");
        let m = with(&|td| {
            td.pointer_mut(&format!("{c0}/logConfiguration/options"))
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove("awslogs-region");
        });
        assert!(m.contains("requires options: awslogs-region"), "{m}");
        let m = with(&|td| {
            td.as_object_mut().unwrap().remove("executionRoleArn");
        });
        assert!(m.contains("execution role ARN"), "{m}");
        let m = with(&|td| td["family"] = json!("demo-<ENV>"));
        assert!(m.starts_with("family:"), "{m}");
        // Sizes given with units are the same sizes.
        let mut td = rendered();
        td["cpu"] = json!("1 vCPU");
        td["memory"] = json!("2 GB");
        task_definition(&td).expect("1 vCPU / 2 GB is a Fargate size");
        // A digest reference is an image reference.
        let mut td = rendered();
        *td.pointer_mut(&format!("{c0}/image")).unwrap() =
            json!(format!("demo@sha256:{}", "a".repeat(64)));
        task_definition(&td).expect("digest reference");
        // Not Fargate: no size or network rules (an EC2 task definition, as the SDK tests send).
        task_definition(&json!({"family": "demo", "containerDefinitions": [{"name": "demo", "image": "demo:v1"}]}))
            .expect("EC2 task definition");
    }
}
