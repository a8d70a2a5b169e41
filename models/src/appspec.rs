//! The CodeDeploy AppSpec for an Amazon ECS deployment, typed (PascalCase keys like the
//! AppSpec reference; `version` is lowercase there).
//!
//! `appspec.yaml` is stored in the canonical form [`AppSpec::to_yaml`] emits, so the
//! pipeline's copy and `deployer render`'s output are the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The resource type of an ECS service target.
pub(crate) const ECS_SERVICE_TYPE: &str = "AWS::ECS::Service";

/// An ECS AppSpec file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    /// Always `0.0` (the only AppSpec version).
    pub version: AppSpecVersion,
    /// Exactly one entry, `{<name>: <resource>}` (CodeDeploy ECS deploys one service).
    #[serde(rename = "Resources")]
    pub resources: Vec<BTreeMap<String, Resource>>,
    /// Lambda hooks, in order: `{<event>: <function name or ARN>}`.
    #[serde(rename = "Hooks", default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<BTreeMap<HookEvent, String>>,
}

/// `version: 0.0`, written as the YAML number the AppSpec reference uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppSpecVersion;

impl Serialize for AppSpecVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(0.0)
    }
}

impl<'de> Deserialize<'de> for AppSpecVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AppSpecVersion, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(0.0) => Ok(AppSpecVersion),
            Raw::Text(t) if t == "0.0" => Ok(AppSpecVersion),
            Raw::Number(n) => Err(serde::de::Error::custom(format!(
                "version {n}: the AppSpec version must be 0.0"
            ))),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "version {t:?}: the AppSpec version must be 0.0"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Resource {
    /// `AWS::ECS::Service`.
    #[serde(rename = "Type")]
    pub kind: String,
    pub properties: EcsServiceProperties,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EcsServiceProperties {
    /// The task definition ARN (`<TASK_DEFINITION>` in the template: CodeDeployToECS
    /// fills it with the revision it registered).
    pub task_definition: String,
    pub load_balancer_info: LoadBalancerInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LoadBalancerInfo {
    pub container_name: String,
    pub container_port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct NetworkConfiguration {
    pub awsvpc_configuration: AwsvpcConfiguration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AwsvpcConfiguration {
    pub subnets: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<AssignPublicIp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AssignPublicIp {
    Enabled,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CapacityProviderStrategyItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<u32>,
    pub capacity_provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
}

/// The lifecycle events an ECS AppSpec can hook a Lambda function into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HookEvent {
    BeforeInstall,
    AfterInstall,
    AfterAllowTestTraffic,
    BeforeAllowTraffic,
    AfterAllowTraffic,
}

impl AppSpec {
    /// Parses an AppSpec; errors give line and column (`origin` names the file).
    pub fn from_yaml_str(text: &str, origin: &str) -> anyhow::Result<AppSpec> {
        let spec: AppSpec = serde_yaml_ng::from_str(text).map_err(|err| {
            let at = err
                .location()
                .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
                .unwrap_or_default();
            crate::bad_input(format!("{origin}: not a valid ECS AppSpec{at}: {err}"))
        })?;
        let problems = spec.validate();
        if problems.is_empty() {
            Ok(spec)
        } else {
            Err(crate::bad_input(format!(
                "{origin}: not a valid ECS AppSpec:\n  - {}",
                problems.join("\n  - ")
            )))
        }
    }

    /// The canonical YAML (serde_yaml_ng's layout, final newline).
    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(self).expect("an appspec serializes")
    }

    /// The one ECS service resource (its name and properties).
    pub fn service(&self) -> Option<(&str, &Resource)> {
        self.resources
            .iter()
            .flat_map(|m| m.iter())
            .map(|(k, v)| (k.as_str(), v))
            .next()
    }

    /// What CodeDeploy would reject in an ECS AppSpec.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let count: usize = self.resources.iter().map(BTreeMap::len).sum();
        if count != 1 {
            problems.push(format!(
                "Resources: an ECS AppSpec has exactly one target service, found {count}"
            ));
        }
        for (name, r) in self.resources.iter().flat_map(|m| m.iter()) {
            if r.kind != ECS_SERVICE_TYPE {
                problems.push(format!(
                    "Resources.{name}.Type {:?}: must be {ECS_SERVICE_TYPE:?}",
                    r.kind
                ));
            }
            if r.properties.load_balancer_info.container_port == 0 {
                problems.push(format!(
                    "Resources.{name}.Properties.LoadBalancerInfo.ContainerPort: must be 1-65535"
                ));
            }
        }
        for (i, h) in self.hooks.iter().enumerate() {
            if h.len() != 1 {
                problems.push(format!(
                    "Hooks[{i}]: one event per entry, found {}",
                    h.len()
                ));
            }
        }
        problems
    }
}

/// What a deployment's AppSpec says, read as CodeDeploy reads a revision: YAML or JSON,
/// keys in any case (as `aws ecs deploy` and CodeDeploy accept them), only what a
/// deployment needs. [`AppSpec`] is the strict model of the template; this is the one
/// reader of an AppSpec someone else wrote (a revision CodeDeploy holds). Serde: the
/// local stack keeps it in its records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    pub task_definition: String,
    pub container_name: Option<String>,
    pub container_port: Option<u64>,
    /// `Hooks`, in order: (lifecycle event, function name or ARN).
    pub hooks: Vec<(String, String)>,
}

impl Target {
    /// Reads the ECS target of an AppSpec; the error says what is missing.
    pub fn parse(content: &str) -> Result<Target, String> {
        use serde_json::Value;
        let doc: Value = serde_yaml_ng::from_str(content)
            .map_err(|e| format!("the AppSpec is not YAML or JSON: {e}"))?;
        fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
            v.as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        }
        let resources = get(&doc, "Resources")
            .and_then(Value::as_array)
            .ok_or("the AppSpec has no Resources list")?;
        let first = resources
            .first()
            .and_then(Value::as_object)
            .and_then(|o| o.values().next())
            .ok_or("the AppSpec's Resources list is empty")?;
        let ty = get(first, "Type").and_then(Value::as_str).unwrap_or("");
        if ty != ECS_SERVICE_TYPE {
            return Err(format!(
                "the AppSpec resource Type is {ty:?}, not {ECS_SERVICE_TYPE:?}"
            ));
        }
        let props = get(first, "Properties").ok_or("the AppSpec resource has no Properties")?;
        let td = get(props, "TaskDefinition")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or("the AppSpec resource has no Properties.TaskDefinition")?;
        let lb = get(props, "LoadBalancerInfo");
        let container_name = lb
            .and_then(|l| get(l, "ContainerName"))
            .and_then(Value::as_str)
            .map(String::from);
        let container_port = lb.and_then(|l| get(l, "ContainerPort")).and_then(|p| {
            p.as_u64()
                .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
        });
        let mut hooks = Vec::new();
        for (i, entry) in get(&doc, "Hooks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let pairs = entry.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
                format!("the AppSpec's Hooks[{i}] is not one `event: function` pair")
            })?;
            for (event, function) in pairs {
                let function = function
                    .as_str()
                    .filter(|f| !f.is_empty())
                    .ok_or_else(|| format!("the AppSpec's Hooks[{i}].{event} names no function"))?;
                hooks.push((event.clone(), function.to_string()));
            }
        }
        Ok(Target {
            task_definition: td.to_string(),
            container_name,
            container_port,
            hooks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_must_be_zero() {
        let text = "version: 1.0\nResources: []\n";
        let msg = format!("{:#}", AppSpec::from_yaml_str(text, "a.yaml").unwrap_err());
        assert!(
            msg.contains("a.yaml") && msg.contains("must be 0.0"),
            "{msg}"
        );
    }

    #[test]
    fn hooks_round_trip_in_order() {
        let text = "\
version: 0.0
Resources:
- TargetService:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: <TASK_DEFINITION>
      LoadBalancerInfo:
        ContainerName: demo
        ContainerPort: 3000
Hooks:
- BeforeInstall: check-before
- AfterAllowTestTraffic: arn:aws:lambda:eu-west-1:123456789012:function:smoke
";
        let spec = AppSpec::from_yaml_str(text, "a.yaml").unwrap();
        assert_eq!(spec.hooks.len(), 2);
        assert_eq!(spec.to_yaml(), text);
    }

    #[test]
    fn wrong_type_and_two_services_are_rejected() {
        let text = "\
version: 0.0
Resources:
- A:
    Type: AWS::Lambda::Function
    Properties:
      TaskDefinition: x
      LoadBalancerInfo:
        ContainerName: demo
        ContainerPort: 3000
- B:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: x
      LoadBalancerInfo:
        ContainerName: demo
        ContainerPort: 3000
";
        let msg = format!("{:#}", AppSpec::from_yaml_str(text, "a.yaml").unwrap_err());
        assert!(msg.contains("exactly one target service, found 2"), "{msg}");
        assert!(msg.contains("AWS::Lambda::Function"), "{msg}");
    }

    #[test]
    fn a_revision_is_read_in_yaml_or_json_with_keys_in_any_case() {
        let yaml = "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: arn:x:7\n        LoadBalancerInfo:\n          ContainerName: demo\n          ContainerPort: \"3000\"\n";
        assert_eq!(
            Target::parse(yaml),
            Ok(Target {
                task_definition: "arn:x:7".into(),
                container_name: Some("demo".into()),
                container_port: Some(3000),
                hooks: vec![],
            })
        );
        let hooked = format!("{yaml}Hooks:\n  - AfterAllowTestTraffic: demo-validate\n");
        assert_eq!(
            Target::parse(&hooked).unwrap().hooks,
            [(
                "AfterAllowTestTraffic".to_string(),
                "demo-validate".to_string()
            )]
        );
        let two = format!("{yaml}hooks:\n  - {{BeforeInstall: a, AfterInstall: b}}\n");
        assert!(Target::parse(&two).unwrap_err().contains("Hooks[0]"));
        let json = r#"{"version":0.0,"resources":[{"TargetService":{"type":"AWS::ECS::Service","properties":{"taskDefinition":"arn:y:1"}}}]}"#;
        assert_eq!(Target::parse(json).unwrap().task_definition, "arn:y:1");
        assert!(Target::parse("nope").is_err());
        let lambda = "Resources:\n  - F:\n      Type: AWS::Lambda::Function\n";
        assert!(Target::parse(lambda)
            .unwrap_err()
            .contains("AWS::Lambda::Function"));
        let none = "Resources:\n  - S:\n      Type: AWS::ECS::Service\n      Properties: {}\n";
        assert!(Target::parse(none).unwrap_err().contains("TaskDefinition"));
    }
}
