//! Where a local task "runs": its Availability Zone, chosen as the ECS service scheduler
//! places Fargate tasks (spread evenly over the service's AZs: the AZ with the fewest of
//! the service's running tasks, ties in AZ order, which is round-robin as tasks start),
//! and the one-off task a RunTask asks for (`overrides.containerOverrides`).

use serde::Deserialize;

/// The AZs of the local region: `<region>a`, `<region>b`, ... (`count` of them, 2 to 6).
pub(crate) fn zones(region: &str, count: usize) -> Vec<String> {
    (0..count.clamp(2, 6))
        .map(|i| format!("{region}{}", (b'a' + i as u8) as char))
        .collect()
}

/// The AZ for a new task, given the AZs of the service's tasks that run now.
pub(crate) fn pick_zone<'a>(zones: &'a [String], running: &[&str]) -> &'a str {
    zones
        .iter()
        .min_by_key(|z| running.iter().filter(|r| **r == z.as_str()).count())
        .map(String::as_str)
        .unwrap_or("")
}

/// What a RunTask's overrides change for the container named `container`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Overrides {
    /// Replaces the container's command (the image's arguments) when given.
    pub(crate) command: Option<Vec<String>>,
    /// Added to (and overriding) the task definition's environment.
    pub(crate) environment: Vec<(String, String)>,
}

/// RunTask's `overrides` (botocore's TaskOverride), the members the local stack reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskOverride {
    #[serde(default)]
    container_overrides: Vec<ContainerOverride>,
}

/// ContainerOverride.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerOverride {
    name: Option<String>,
    command: Option<Vec<String>>,
    #[serde(default)]
    environment: Vec<KeyValuePair>,
}

/// KeyValuePair.
#[derive(Debug, Clone, Default, Deserialize)]
struct KeyValuePair {
    name: Option<String>,
    value: Option<String>,
}

/// What `overrides.containerOverrides` of a RunTask change for `container`; an override
/// for another container is refused, as ECS refuses names not in the task definition.
pub(crate) fn overrides(o: Option<&TaskOverride>, container: &str) -> Result<Overrides, String> {
    let mut out = Overrides::default();
    for o in o
        .map(|o| o.container_overrides.as_slice())
        .unwrap_or_default()
    {
        let name = o.name.as_deref().unwrap_or("");
        if name != container {
            return Err(format!(
                "Override for container named {name} is not a container in the TaskDefinition."
            ));
        }
        if let Some(cmd) = &o.command {
            out.command = Some(cmd.clone());
        }
        for kv in &o.environment {
            let k = kv
                .name
                .as_deref()
                .ok_or("containerOverrides.environment[].name is required")?;
            let v = kv.value.as_deref().unwrap_or("");
            out.environment.retain(|(name, _)| name != k);
            out.environment.push((k.to_string(), v.to_string()));
        }
    }
    Ok(out)
}

/// The task definition's environment with `over` applied (later names win).
pub(crate) fn merged_env(
    base: &[(String, String)],
    over: &[(String, String)],
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = base
        .iter()
        .filter(|(k, _)| !over.iter().any(|(o, _)| o == k))
        .cloned()
        .collect();
    env.extend(over.iter().cloned());
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn zones_of_a_region() {
        assert_eq!(zones("us-east-1", 2), ["us-east-1a", "us-east-1b"]);
        assert_eq!(zones("eu-west-1", 1).len(), 2, "at least two");
        assert_eq!(zones("eu-west-1", 9).len(), 6);
    }

    #[test]
    fn tasks_spread_round_robin_over_the_zones() {
        let z = zones("us-east-1", 3);
        let mut running: Vec<String> = Vec::new();
        let mut placed = Vec::new();
        for _ in 0..7 {
            let refs: Vec<&str> = running.iter().map(String::as_str).collect();
            let az = pick_zone(&z, &refs).to_string();
            placed.push(az.clone());
            running.push(az);
        }
        assert_eq!(
            placed,
            [
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
                "us-east-1a"
            ]
        );
        // A task stopped in b: its replacement goes to b.
        let refs = ["us-east-1a", "us-east-1c", "us-east-1a", "us-east-1c"];
        assert_eq!(pick_zone(&z, &refs), "us-east-1b");
    }

    /// A RunTask input's overrides, read as the API reads them.
    fn ov(input: &serde_json::Value, container: &str) -> Result<Overrides, String> {
        let o: Option<TaskOverride> =
            serde_json::from_value(input["overrides"].clone()).map_err(|e| e.to_string())?;
        overrides(o.as_ref(), container)
    }

    #[test]
    fn run_task_overrides() {
        let input = json!({"overrides": {"containerOverrides": [
            {"name": "demo", "command": ["--version"], "environment": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}
        ]}});
        let o = ov(&input, "demo").unwrap();
        assert_eq!(o.command, Some(vec!["--version".to_string()]));
        assert_eq!(o.environment, [("A".to_string(), "2".to_string())]);
        assert_eq!(ov(&json!({}), "demo").unwrap(), Overrides::default());
        let e = ov(
            &json!({"overrides": {"containerOverrides": [{"name": "web"}]}}),
            "demo",
        )
        .unwrap_err();
        assert!(e.contains("web"), "{e}");
        assert!(ov(
            &json!({"overrides": {"containerOverrides": [{"name": "demo", "command": "x"}]}}),
            "demo"
        )
        .is_err());
    }

    #[test]
    fn environment_overrides_win() {
        let base = vec![
            ("A".to_string(), "1".to_string()),
            ("B".to_string(), "2".to_string()),
        ];
        let over = vec![("A".to_string(), "9".to_string())];
        assert_eq!(
            merged_env(&base, &over),
            [
                ("B".to_string(), "2".to_string()),
                ("A".to_string(), "9".to_string())
            ]
        );
    }
}
