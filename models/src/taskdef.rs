//! The ECS `RegisterTaskDefinition` input, typed (camelCase like the API and
//! `aws ecs register-task-definition --cli-input-json`).
//!
//! Unknown fields are errors (`deny_unknown_fields`): a misspelt field in `taskdef.json`
//! (e.g. `readOnlyRootFilesystem` instead of `readonlyRootFilesystem`) is caught here
//! instead of being dropped silently by a lenient reader. Field order is the order of
//! the canonical JSON ([`TaskDefinition::to_canonical_json`]); `taskdef.json` is kept in
//! that exact form, so text substitution (the pipeline) and serialization (`deployer
//! render`) give the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `RegisterTaskDefinition` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskDefinition {
    pub family: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<NetworkMode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires_compatibilities: Vec<Compatibility>,
    /// CPU units as a string, e.g. `"256"` (Fargate: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Memory in MiB as a string, e.g. `"512"` (Fargate: required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<EphemeralStorage>,
    pub container_definitions: Vec<ContainerDefinition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_fault_injection: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    Awsvpc,
    Bridge,
    Host,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compatibility {
    Fargate,
    Ec2,
    External,
    ManagedInstances,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimePlatform {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_architecture: Option<CpuArchitecture>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_system_family: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CpuArchitecture {
    #[serde(rename = "X86_64")]
    X86_64,
    Arm64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EphemeralStorage {
    #[serde(rename = "sizeInGiB")]
    pub size_in_gib: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Volume {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configured_at_launch: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// One container of the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerDefinition {
    pub name: String,
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_point: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValuePair>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_root_filesystem: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<LinuxParameters>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<Ulimit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_points: Vec<MountPoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ContainerDependency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_timeout: Option<u32>,
    /// Seconds between SIGTERM and SIGKILL (Fargate: at most 120; default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub docker_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_consistency: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortMapping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub container_port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyValuePair {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secret {
    pub name: String,
    pub value_from: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinuxParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_process_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Capabilities {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ulimit {
    pub name: String,
    pub soft_limit: i64,
    pub hard_limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MountPoint {
    pub source_volume: String,
    pub container_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerDependency {
    pub container_name: String,
    pub condition: String,
}

/// Container health check: `command` in exec form (`["CMD", "/demo", "healthcheck"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthCheck {
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogConfiguration {
    pub log_driver: String,
    /// Driver options; serialized sorted by key (the canonical order).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

impl TaskDefinition {
    /// Parses a task definition; errors give line and column (`origin` names the file).
    pub fn from_json_str(text: &str, origin: &str) -> anyhow::Result<TaskDefinition> {
        serde_json::from_str(text).map_err(|err| {
            crate::bad_input(format!(
                "{origin}: not a valid RegisterTaskDefinition input at line {}, column {}: {err}",
                err.line(),
                err.column()
            ))
        })
    }

    /// The canonical JSON: two-space indented, fields in model order, empty or unset
    /// fields left out, a final newline. `taskdef.json` is stored in this form.
    pub fn to_canonical_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a task definition serializes");
        text.push('\n');
        text
    }

    /// The container named `name`.
    pub fn container(&self, name: &str) -> Option<&ContainerDefinition> {
        self.container_definitions.iter().find(|c| c.name == name)
    }

    /// Mutable access to the container named `name`.
    pub(crate) fn container_mut(&mut self, name: &str) -> Option<&mut ContainerDefinition> {
        self.container_definitions
            .iter_mut()
            .find(|c| c.name == name)
    }

    /// Checks what `RegisterTaskDefinition` (and Fargate) would reject, plus what this
    /// project relies on; returns every problem found, each naming the field and value.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 255
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !name_ok(&self.family) {
            problems.push(format!(
                "family {:?}: must be 1-255 letters, digits, '-' or '_'",
                self.family
            ));
        }
        let fargate = self
            .requires_compatibilities
            .contains(&Compatibility::Fargate);
        if fargate {
            if self.network_mode != Some(NetworkMode::Awsvpc) {
                problems.push(format!(
                    "networkMode {:?}: FARGATE requires \"awsvpc\"",
                    self.network_mode
                ));
            }
            match (self.cpu.as_deref(), self.memory.as_deref()) {
                (Some(cpu), Some(memory)) => {
                    if let Some(why) = fargate_size_problem(cpu, memory) {
                        problems.push(why);
                    }
                }
                _ => problems.push("cpu and memory: FARGATE requires both at task level".into()),
            }
        }
        if self.container_definitions.is_empty() {
            problems.push("containerDefinitions: at least one container is required".into());
        }
        if !self
            .container_definitions
            .iter()
            .any(|c| c.essential.unwrap_or(true))
        {
            problems.push("containerDefinitions: at least one container must be essential".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in self.container_definitions.iter().enumerate() {
            let at = format!("containerDefinitions[{i}]");
            if !name_ok(&c.name) {
                problems.push(format!(
                    "{at}.name {:?}: must be 1-255 letters, digits, '-' or '_'",
                    c.name
                ));
            }
            if !seen.insert(c.name.as_str()) {
                problems.push(format!("{at}.name {:?}: duplicate container name", c.name));
            }
            if let Err(err) = crate::image::ImageRef::parse(&c.image) {
                problems.push(format!("{at}.image: {err}"));
            }
            for (j, p) in c.port_mappings.iter().enumerate() {
                if p.container_port == 0 {
                    problems.push(format!(
                        "{at}.portMappings[{j}].containerPort: must be 1-65535"
                    ));
                }
                if self.network_mode == Some(NetworkMode::Awsvpc) {
                    if let Some(host) = p.host_port {
                        if host != p.container_port {
                            problems.push(format!(
                                "{at}.portMappings[{j}].hostPort {host}: with awsvpc it must equal containerPort {}",
                                p.container_port
                            ));
                        }
                    }
                }
            }
            let mut env_names = std::collections::BTreeSet::new();
            for (j, kv) in c.environment.iter().enumerate() {
                if !env_names.insert(kv.name.as_str()) {
                    problems.push(format!(
                        "{at}.environment[{j}].name {:?}: duplicate variable",
                        kv.name
                    ));
                }
            }
            if let Some(hc) = &c.health_check {
                if hc.command.first().map(String::as_str) != Some("CMD")
                    && hc.command.first().map(String::as_str) != Some("CMD-SHELL")
                {
                    problems.push(format!(
                        "{at}.healthCheck.command {:?}: must start with \"CMD\" or \"CMD-SHELL\"",
                        hc.command
                    ));
                }
                let ranges = [
                    ("interval", hc.interval, 5, 300),
                    ("timeout", hc.timeout, 2, 120),
                    ("retries", hc.retries, 1, 10),
                    ("startPeriod", hc.start_period, 0, 300),
                ];
                for (field, value, min, max) in ranges {
                    if let Some(v) = value {
                        if v < min || v > max {
                            problems.push(format!(
                                "{at}.healthCheck.{field} {v}: must be {min}-{max} seconds"
                            ));
                        }
                    }
                }
            }
            if let Some(t) = c.stop_timeout {
                if fargate && !(2..=120).contains(&t) {
                    problems.push(format!(
                        "{at}.stopTimeout {t}: Fargate allows 2-120 seconds"
                    ));
                }
            }
            if fargate && c.privileged == Some(true) {
                problems.push(format!(
                    "{at}.privileged: Fargate does not allow privileged containers"
                ));
            }
        }
        problems
    }
}

/// The task sizes Fargate accepts (Linux).
fn fargate_size_problem(cpu: &str, memory: &str) -> Option<String> {
    let (Ok(c), Ok(m)) = (cpu.parse::<u32>(), memory.parse::<u32>()) else {
        return Some(format!(
            "cpu {cpu:?} / memory {memory:?}: must be whole numbers (CPU units, MiB)"
        ));
    };
    let ok = match c {
        256 => matches!(m, 512 | 1024 | 2048),
        512 => (1024..=4096).contains(&m) && m % 1024 == 0,
        1024 => (2048..=8192).contains(&m) && m % 1024 == 0,
        2048 => (4096..=16384).contains(&m) && m % 1024 == 0,
        4096 => (8192..=30720).contains(&m) && m % 1024 == 0,
        8192 => (16384..=61440).contains(&m) && m % 4096 == 0,
        16384 => (32768..=122880).contains(&m) && m % 8192 == 0,
        _ => false,
    };
    (!ok).then(|| format!("cpu {cpu:?} / memory {memory:?}: not a task size Fargate supports"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_sizes() {
        assert!(fargate_size_problem("256", "512").is_none());
        assert!(fargate_size_problem("256", "4096").is_some());
        assert!(fargate_size_problem("1024", "3072").is_none());
        assert!(fargate_size_problem("300", "512").is_some());
        assert!(fargate_size_problem(".25 vCPU", "512").is_some());
    }

    #[test]
    fn unknown_field_is_an_error_naming_it() {
        let text = r#"{"family":"demo","containerDefinitions":[{"name":"demo","image":"demo:1","readOnlyRootFilesystem":true}]}"#;
        let err = TaskDefinition::from_json_str(text, "t.json").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("t.json"), "{msg}");
        assert!(msg.contains("readOnlyRootFilesystem"), "{msg}");
        assert!(msg.contains("line 1"), "{msg}");
    }
}
