//! A registered task definition, typed: botocore's `TaskDefinition` shape, with the
//! members this stack reads (the containers' image, command, environment, port mappings,
//! health check and stop timeout; the task's size, network mode and compatibilities) and
//! the members registration adds (ARN, revision, status, ...) as fields, and every other
//! member kept as it came (`extra`), so that DescribeTaskDefinition answers everything
//! that was registered.
//!
//! Why not `deployer_models::taskdef::TaskDefinition`: that one reads this repository's
//! template strictly (unknown members refused, empty lists left out), while a registered
//! task definition holds whatever the caller registered and AWS accepts, and answers it
//! back as given.
//!
//! Members with no value are left out, as registered; a member that was given stays with
//! its JSON value unchanged, and in its place: the world keeps each one as an
//! [`Ordered`] task definition, written with its members in the order they came (the
//! caller's, then those registration adds), so DescribeTaskDefinition and the records
//! write the same bytes as when the registered document was kept as plain JSON (records
//! written then read back as they were: see the tests).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Members a serde type does not interpret, kept as they came.
pub(crate) type Extra = Map<String, Value>;

/// TaskDefinitionStatus.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum TaskDefinitionStatus {
    #[default]
    Active,
    Inactive,
    DeleteInProgress,
}

/// TaskDefinition (what RegisterTaskDefinition and DescribeTaskDefinition answer, and what
/// the records keep). The members registration sets have defaults: the backend reads a
/// RegisterTaskDefinition request into this type, then sets them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskDefinition {
    #[serde(default)]
    pub(crate) task_definition_arn: String,
    pub(crate) container_definitions: Vec<ContainerDefinition>,
    pub(crate) family: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) network_mode: Option<String>,
    #[serde(default)]
    pub(crate) revision: u32,
    #[serde(default)]
    pub(crate) status: TaskDefinitionStatus,
    /// Always empty locally (no placement attributes).
    #[serde(default)]
    pub(crate) requires_attributes: Vec<Value>,
    #[serde(default)]
    pub(crate) compatibilities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) requires_compatibilities: Option<Vec<String>>,
    /// Task CPU units, as registered (`"256"`, `"1 vCPU"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cpu: Option<String>,
    /// Task memory, as registered (`"512"`, `"2 GB"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) memory: Option<String>,
    #[serde(default)]
    pub(crate) registered_at: f64,
    #[serde(default)]
    pub(crate) registered_by: String,
    #[serde(flatten)]
    pub(crate) extra: Extra,
}

/// ContainerDefinition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContainerDefinition {
    pub(crate) name: String,
    pub(crate) image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) port_mappings: Option<Vec<PortMapping>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) essential: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) environment: Option<Vec<KeyValuePair>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) health_check: Option<HealthCheck>,
    /// Seconds between SIGTERM and SIGKILL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) stop_timeout: Option<i64>,
    #[serde(flatten)]
    pub(crate) extra: Extra,
}

/// PortMapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PortMapping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) container_port: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) host_port: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) protocol: Option<String>,
    #[serde(flatten)]
    pub(crate) extra: Extra,
}

/// KeyValuePair (an environment variable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct KeyValuePair {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<String>,
    #[serde(flatten)]
    pub(crate) extra: Extra,
}

/// HealthCheck (seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HealthCheck {
    pub(crate) command: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) interval: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) timeout: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retries: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) start_period: Option<i64>,
    #[serde(flatten)]
    pub(crate) extra: Extra,
}

/// A serde type read from JSON and written back with the members of its objects (at
/// every depth) in the order they came; members it did not come with (set since) follow,
/// in the order of the type's own serialization. Two are equal
/// when their values are (as JSON objects are, whatever the order of their members).
///
/// The ordered JSON is kept until the value is changed (`DerefMut`): a registered task
/// definition is written several times (the RegisterTaskDefinition answer, the records'
/// journal, every DescribeTaskDefinition) and never changes once registered. Registration
/// makes it as it is written ([`Ordered::from_written`]): the typed value is read from
/// that JSON, so nothing is reordered through a `Value` (which cost 100 µs a time in a
/// debug build, twice per registration).
#[derive(Debug, Clone)]
pub(crate) struct Ordered<T> {
    value: T,
    /// The order of the members when `written` is not made yet; `None` while `written`
    /// is made (its members are in the order).
    layout: Option<Layout>,
    /// The value as it is written, once written (cleared by `DerefMut`).
    written: std::sync::OnceLock<Value>,
}

impl<T: PartialEq> PartialEq for Ordered<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// The order of the members of a JSON document's objects, at every depth.
#[derive(Debug, Clone, Default)]
struct Layout {
    members: Vec<(String, Layout)>,
    items: Vec<Layout>,
}

impl Layout {
    fn of(v: &Value) -> Layout {
        match v {
            Value::Object(m) => Layout {
                members: m.iter().map(|(k, x)| (k.clone(), Layout::of(x))).collect(),
                items: Vec::new(),
            },
            Value::Array(a) => Layout {
                members: Vec::new(),
                items: a.iter().map(Layout::of).collect(),
            },
            _ => Layout::default(),
        }
    }

    /// `v` with its members in this layout's order (those it does not know last, in the
    /// order they are in).
    fn apply(&self, v: Value) -> Value {
        match v {
            Value::Object(m) => {
                let at = |k: &str| self.members.iter().position(|(n, _)| n == k);
                let mut members: Vec<(String, Value)> = m.into_iter().collect();
                members.sort_by_key(|(k, _)| at(k).unwrap_or(usize::MAX));
                Value::Object(
                    members
                        .into_iter()
                        .map(|(k, x)| {
                            let x = match at(&k) {
                                Some(i) => self.members[i].1.apply(x),
                                None => x,
                            };
                            (k, x)
                        })
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(
                a.into_iter()
                    .enumerate()
                    .map(|(i, x)| match self.items.get(i) {
                        Some(l) => l.apply(x),
                        None => x,
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

impl<T: DeserializeOwned> Ordered<T> {
    /// `v` read as a `T`, the order of its members kept.
    pub(crate) fn from_value(v: Value) -> serde_json::Result<Self> {
        let layout = Layout::of(&v);
        Ok(Ordered {
            value: T::deserialize(v)?,
            layout: Some(layout),
            written: std::sync::OnceLock::new(),
        })
    }

    /// `v` read as a `T`, where `v` is already as the `T` writes itself: every member a
    /// `T` reads has the JSON value the `T` writes back (no `null` for a member the type
    /// leaves out when empty), so `v` is kept as the written form.
    pub(crate) fn from_written(v: Value) -> serde_json::Result<Self>
    where
        T: Serialize,
    {
        let value = T::deserialize(&v)?;
        #[cfg(test)]
        {
            // Held in the unit tests: the typed value writes `v` back, member for member.
            let typed = Ordered {
                value: T::deserialize(&v)?,
                layout: Some(Layout::of(&v)),
                written: std::sync::OnceLock::new(),
            };
            assert_eq!(
                serde_json::to_string(&typed)?,
                v.to_string(),
                "from_written: not as the type writes it"
            );
        }
        Ok(Ordered {
            value,
            layout: None,
            written: std::sync::OnceLock::from(v),
        })
    }
}

impl<T> Ordered<T> {
    /// The order of the members, to write the value again after a change.
    fn layout_mut(&mut self) -> &mut Layout {
        let written = &self.written;
        self.layout
            .get_or_insert_with(|| Layout::of(written.get().expect("written while no layout")))
    }
}

impl<T> std::ops::Deref for Ordered<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for Ordered<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.layout_mut();
        self.written = std::sync::OnceLock::new();
        &mut self.value
    }
}

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(v) = self.written.get() {
            return v.serialize(s);
        }
        let v = serde_json::to_value(&self.value).map_err(serde::ser::Error::custom)?;
        let layout = self.layout.as_ref().expect("a layout while not written");
        self.written.get_or_init(|| layout.apply(v)).serialize(s)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ordered::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A registered task definition as the world keeps it: typed, its members in the order
/// they came.
pub(crate) type Registered = Ordered<TaskDefinition>;

impl TaskDefinition {
    /// The container a task of this stack runs: the one named `name`, else the first
    /// essential one.
    pub(crate) fn container(&self, name: &str) -> Option<&ContainerDefinition> {
        self.container_definitions
            .iter()
            .find(|c| c.name == name)
            .or_else(|| {
                self.container_definitions
                    .iter()
                    .find(|c| c.essential != Some(false))
            })
    }
}

impl ContainerDefinition {
    /// The container ports of its port mappings.
    pub(crate) fn container_ports(&self) -> Vec<u64> {
        self.port_mappings
            .iter()
            .flatten()
            .filter_map(|m| m.container_port.and_then(|p| u64::try_from(p).ok()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task definition as the records of a stack before this type kept it: the
    /// registered request's members in the caller's order, then the members registration
    /// added (the rendered `taskdef.json`, with members this stack does not read).
    const WRITTEN_BEFORE: &str = r#"{"family":"demo","taskRoleArn":"arn:aws:iam::000000000000:role/demo-task","executionRoleArn":"arn:aws:iam::000000000000:role/demo-execution","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512","runtimePlatform":{"cpuArchitecture":"X86_64","operatingSystemFamily":"LINUX"},"containerDefinitions":[{"name":"demo","image":"000000000000.dkr.ecr.us-east-1.amazonaws.com/demo:v1","essential":true,"portMappings":[{"containerPort":3000,"hostPort":3000,"protocol":"tcp"}],"environment":[{"name":"DEMO_LOG_FORMAT","value":"json"},{"name":"RUST_LOG","value":"info"}],"user":"65532:65532","readonlyRootFilesystem":true,"linuxParameters":{"capabilities":{"drop":["ALL"]}},"ulimits":[{"name":"nofile","softLimit":8192,"hardLimit":8192}],"healthCheck":{"command":["CMD","/demo","healthcheck"],"interval":10,"timeout":5,"retries":3,"startPeriod":10},"stopTimeout":30,"logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/demo","awslogs-region":"us-east-1","awslogs-stream-prefix":"ecs"}}}],"volumes":[],"taskDefinitionArn":"arn:aws:ecs:us-east-1:000000000000:task-definition/demo:3","revision":3,"status":"ACTIVE","compatibilities":["EC2","FARGATE"],"requiresAttributes":[],"registeredAt":1764892800.125,"registeredBy":"arn:aws:iam::000000000000:root"}"#;

    #[test]
    fn a_task_definition_written_before_reads_back_typed_with_every_member() {
        let td: TaskDefinition = serde_json::from_str(WRITTEN_BEFORE).unwrap();
        assert_eq!(
            td.task_definition_arn,
            "arn:aws:ecs:us-east-1:000000000000:task-definition/demo:3"
        );
        assert_eq!(
            (td.family.as_str(), td.revision, td.status),
            ("demo", 3, TaskDefinitionStatus::Active)
        );
        assert_eq!(
            (td.cpu.as_deref(), td.memory.as_deref()),
            (Some("256"), Some("512"))
        );
        assert_eq!(td.registered_at, 1764892800.125);
        let c = td.container("demo").unwrap();
        assert_eq!(
            c.image,
            "000000000000.dkr.ecr.us-east-1.amazonaws.com/demo:v1"
        );
        assert_eq!(c.container_ports(), [3000]);
        assert_eq!(c.health_check.as_ref().unwrap().start_period, Some(10));
        assert_eq!(c.stop_timeout, Some(30));
        assert!(c.extra.contains_key("ulimits") && td.extra.contains_key("runtimePlatform"));
        // Written again: every member, each with the same JSON value.
        let again = serde_json::to_value(&td).unwrap();
        let before: Value = serde_json::from_str(WRITTEN_BEFORE).unwrap();
        let (a, b) = (again.as_object().unwrap(), before.as_object().unwrap());
        assert_eq!(a.keys().len(), b.keys().len());
        for (k, v) in b {
            assert_eq!(a.get(k), Some(v), "member {k}");
        }
        // Kept in order, the same bytes.
        let kept: Ordered<TaskDefinition> = serde_json::from_str(WRITTEN_BEFORE).unwrap();
        assert_eq!(*kept, td);
        assert_eq!(serde_json::to_string(&kept).unwrap(), WRITTEN_BEFORE);
    }

    /// A records file written by `deployer local up` before task definitions were typed
    /// (the stack's own `demo:1`, then `web:1` registered by `aws ecs
    /// register-task-definition` with members the stack does not read), then `down`.
    const RECORDS_BEFORE: &str =
        include_str!("testdata/records-before-typed-task-definitions.json");

    #[test]
    fn records_written_before_read_back_typed_and_write_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(crate::runtime::records::RECORDS_FILE),
            RECORDS_BEFORE,
        )
        .unwrap();
        let r = crate::runtime::records::read(dir.path())
            .unwrap()
            .expect("records");
        let tds = &r.world.task_defs;
        assert_eq!(tds.len(), 2);
        let (demo, web) = (&tds[0], &tds[1]);
        assert_eq!((demo.family.as_str(), demo.revision), ("demo", 1));
        assert_eq!(demo.cpu.as_deref(), Some("256"));
        let c = demo.container("demo").unwrap();
        assert_eq!(c.container_ports(), [3000]);
        assert!(c.health_check.is_some() && !c.environment.as_ref().unwrap().is_empty());
        assert_eq!(web.status, TaskDefinitionStatus::Active);
        let w = web.container("web").unwrap();
        assert_eq!(w.extra["dockerLabels"], serde_json::json!({"team": "web"}));
        assert_eq!(w.port_mappings.as_ref().unwrap()[0].extra["name"], "http");
        assert_eq!(w.environment, Some(vec![]));
        // Each one written again: the bytes the file has.
        let file: Value = serde_json::from_str(RECORDS_BEFORE).unwrap();
        for (td, before) in tds.iter().zip(file["task_defs"].as_array().unwrap()) {
            assert_eq!(serde_json::to_string(td).unwrap(), before.to_string());
        }
    }

    #[test]
    fn members_set_since_follow_in_the_order_given() {
        let v = serde_json::json!({"b": 1, "a": {"y": 1, "x": [{"q": 1, "p": 2}]}});
        let mut kept: Ordered<Value> = Ordered::from_value(v.clone()).unwrap();
        assert_eq!(
            serde_json::to_string(&kept).unwrap(),
            r#"{"b":1,"a":{"y":1,"x":[{"q":1,"p":2}]}}"#
        );
        let m = kept.as_object_mut().unwrap();
        m.insert("d".into(), 4.into());
        m.insert("c".into(), 3.into());
        m.shift_remove("b");
        m.insert("b".into(), 2.into());
        assert_eq!(
            serde_json::to_string(&kept).unwrap(),
            r#"{"b":2,"a":{"y":1,"x":[{"q":1,"p":2}]},"d":4,"c":3}"#
        );
    }

    #[test]
    fn a_change_after_a_write_is_written_next_time() {
        let mut kept: Ordered<Value> = Ordered::from_value(serde_json::json!({"b": 1})).unwrap();
        assert_eq!(serde_json::to_string(&kept).unwrap(), r#"{"b":1}"#);
        kept.as_object_mut().unwrap().insert("b".into(), 2.into());
        assert_eq!(serde_json::to_string(&kept).unwrap(), r#"{"b":2}"#);
    }

    #[test]
    fn kept_as_written_it_is_written_so_and_after_a_change_in_the_same_order() {
        let v: Value = serde_json::from_str(WRITTEN_BEFORE).unwrap();
        let mut kept: Registered = Ordered::from_written(v.clone()).unwrap();
        assert_eq!(kept.revision, 3);
        assert_eq!(serde_json::to_string(&kept).unwrap(), WRITTEN_BEFORE);
        kept.status = TaskDefinitionStatus::Inactive;
        let again = serde_json::to_string(&kept).unwrap();
        assert_eq!(
            again,
            WRITTEN_BEFORE.replace(r#""ACTIVE""#, r#""INACTIVE""#)
        );
    }

    #[test]
    #[should_panic(expected = "not as the type writes it")]
    fn kept_as_written_refuses_a_document_the_type_writes_otherwise() {
        // `networkMode: null` is written without the member: not the written form.
        let mut v: Value = serde_json::from_str(WRITTEN_BEFORE).unwrap();
        v["networkMode"] = Value::Null;
        let _ = Ordered::<TaskDefinition>::from_written(v);
    }

    #[test]
    fn a_member_of_the_wrong_type_does_not_read() {
        let mut v: Value = serde_json::from_str(WRITTEN_BEFORE).unwrap();
        v["containerDefinitions"][0]["environment"] = Value::String("A=1".into());
        assert!(serde_json::from_value::<TaskDefinition>(v).is_err());
    }

    #[test]
    fn the_container_is_the_named_one_else_the_first_essential_one() {
        let mut td: TaskDefinition = serde_json::from_str(WRITTEN_BEFORE).unwrap();
        let mut sidecar = td.container_definitions[0].clone();
        sidecar.name = "sidecar".into();
        sidecar.essential = Some(false);
        td.container_definitions.insert(0, sidecar);
        assert_eq!(td.container("demo").unwrap().name, "demo");
        assert_eq!(td.container("web").unwrap().name, "demo");
    }
}
