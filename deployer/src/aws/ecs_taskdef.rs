//! Between the typed task definition ([`deployer_models::taskdef::TaskDefinition`], the shape of
//! `taskdef.json`) and the ECS SDK: the RegisterTaskDefinition request, and the way
//! back from DescribeTaskDefinition so a live revision can be compared with (and
//! diffed against) a rendered one.
//!
//! Both directions cover exactly the fields the typed model has; [`normalize`] fills
//! the defaults ECS applies on registration (essential, hostPort, protocol, health check
//! timings) so that "identical" means "ECS would store the same thing".

#![warn(unreachable_pub)]

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
use aws_sdk_ecs::types as ecs;
use serde::de::DeserializeOwned;
use serde::Serialize;

use deployer_models::taskdef::{
    Capabilities, ContainerDefinition, ContainerDependency, EphemeralStorage, HealthCheck,
    KeyValuePair, LinuxParameters, LogConfiguration, MountPoint, PortMapping, RuntimePlatform,
    Secret, Tag, TaskDefinition, Ulimit, Volume,
};

/// The wire string of a serde enum of the typed model (e.g. `NetworkMode::Awsvpc` ->
/// `"awsvpc"`).
fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The typed model's enum from a wire string.
fn from_wire<T: DeserializeOwned>(field: &str, text: &str) -> anyhow::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).with_context(|| {
        format!("the live task definition has {field} = {text:?}, unknown to the deployer's model")
    })
}

fn i32_of(field: &str, v: u32) -> anyhow::Result<i32> {
    i32::try_from(v).with_context(|| format!("{field} = {v} is out of range"))
}

/// Fills a RegisterTaskDefinition request from the typed model.
pub(crate) fn register_request(
    client: &aws_sdk_ecs::Client,
    td: &TaskDefinition,
) -> anyhow::Result<RegisterTaskDefinitionFluentBuilder> {
    let mut req = client
        .register_task_definition()
        .family(&td.family)
        .set_task_role_arn(td.task_role_arn.clone())
        .set_execution_role_arn(td.execution_role_arn.clone())
        .set_network_mode(
            td.network_mode
                .as_ref()
                .map(|m| ecs::NetworkMode::from(wire(m).as_str())),
        )
        .set_cpu(td.cpu.clone())
        .set_memory(td.memory.clone())
        .set_pid_mode(td.pid_mode.as_deref().map(ecs::PidMode::from))
        .set_ipc_mode(td.ipc_mode.as_deref().map(ecs::IpcMode::from))
        .set_enable_fault_injection(td.enable_fault_injection);
    for c in &td.requires_compatibilities {
        req = req.requires_compatibilities(ecs::Compatibility::from(wire(c).as_str()));
    }
    if let Some(rp) = &td.runtime_platform {
        req = req.runtime_platform(
            ecs::RuntimePlatform::builder()
                .set_cpu_architecture(
                    rp.cpu_architecture
                        .as_ref()
                        .map(|a| ecs::CpuArchitecture::from(wire(a).as_str())),
                )
                .set_operating_system_family(
                    rp.operating_system_family
                        .as_deref()
                        .map(ecs::OsFamily::from),
                )
                .build(),
        );
    }
    if let Some(es) = &td.ephemeral_storage {
        req = req.ephemeral_storage(
            ecs::EphemeralStorage::builder()
                .size_in_gib(i32_of("ephemeralStorage.sizeInGiB", es.size_in_gib)?)
                .build(),
        );
    }
    for v in &td.volumes {
        req = req.volumes(
            ecs::Volume::builder()
                .name(&v.name)
                .set_configured_at_launch(v.configured_at_launch)
                .build(),
        );
    }
    for t in &td.tags {
        req = req.tags(ecs::Tag::builder().key(&t.key).value(&t.value).build());
    }
    for c in &td.container_definitions {
        req = req.container_definitions(container_request(c)?);
    }
    Ok(req)
}

fn container_request(c: &ContainerDefinition) -> anyhow::Result<ecs::ContainerDefinition> {
    let field = |f: &str| format!("containerDefinitions[{}].{f}", c.name);
    let mut b = ecs::ContainerDefinition::builder()
        .name(&c.name)
        .image(&c.image)
        .set_essential(c.essential)
        .set_memory(c.memory.map(|m| i32_of(&field("memory"), m)).transpose()?)
        .set_memory_reservation(
            c.memory_reservation
                .map(|m| i32_of(&field("memoryReservation"), m))
                .transpose()?,
        )
        .set_working_directory(c.working_directory.clone())
        .set_user(c.user.clone())
        .set_readonly_root_filesystem(c.readonly_root_filesystem)
        .set_privileged(c.privileged)
        .set_start_timeout(
            c.start_timeout
                .map(|t| i32_of(&field("startTimeout"), t))
                .transpose()?,
        )
        .set_stop_timeout(
            c.stop_timeout
                .map(|t| i32_of(&field("stopTimeout"), t))
                .transpose()?,
        )
        .set_version_consistency(
            c.version_consistency
                .as_deref()
                .map(ecs::VersionConsistency::from),
        );
    if let Some(cpu) = c.cpu {
        b = b.cpu(i32_of(&field("cpu"), cpu)?);
    }
    if !c.entry_point.is_empty() {
        b = b.set_entry_point(Some(c.entry_point.clone()));
    }
    if !c.command.is_empty() {
        b = b.set_command(Some(c.command.clone()));
    }
    for p in &c.port_mappings {
        b = b.port_mappings(
            ecs::PortMapping::builder()
                .container_port(i32::from(p.container_port))
                .set_host_port(p.host_port.map(i32::from))
                .set_protocol(
                    p.protocol
                        .as_ref()
                        .map(|x| ecs::TransportProtocol::from(wire(x).as_str())),
                )
                .set_name(p.name.clone())
                .set_app_protocol(
                    p.app_protocol
                        .as_deref()
                        .map(ecs::ApplicationProtocol::from),
                )
                .build(),
        );
    }
    for e in &c.environment {
        b = b.environment(
            ecs::KeyValuePair::builder()
                .name(&e.name)
                .value(&e.value)
                .build(),
        );
    }
    for s in &c.secrets {
        b = b.secrets(
            ecs::Secret::builder()
                .name(&s.name)
                .value_from(&s.value_from)
                .build()
                .with_context(|| field("secrets"))?,
        );
    }
    if let Some(lp) = &c.linux_parameters {
        let mut l =
            ecs::LinuxParameters::builder().set_init_process_enabled(lp.init_process_enabled);
        if let Some(caps) = &lp.capabilities {
            l = l.capabilities(
                ecs::KernelCapabilities::builder()
                    .set_add((!caps.add.is_empty()).then(|| caps.add.clone()))
                    .set_drop((!caps.drop.is_empty()).then(|| caps.drop.clone()))
                    .build(),
            );
        }
        b = b.linux_parameters(l.build());
    }
    for u in &c.ulimits {
        b = b.ulimits(
            ecs::Ulimit::builder()
                .name(ecs::UlimitName::from(u.name.as_str()))
                .soft_limit(
                    i32::try_from(u.soft_limit).with_context(|| field("ulimits.softLimit"))?,
                )
                .hard_limit(
                    i32::try_from(u.hard_limit).with_context(|| field("ulimits.hardLimit"))?,
                )
                .build()
                .with_context(|| field("ulimits"))?,
        );
    }
    for m in &c.mount_points {
        b = b.mount_points(
            ecs::MountPoint::builder()
                .source_volume(&m.source_volume)
                .container_path(&m.container_path)
                .set_read_only(m.read_only)
                .build(),
        );
    }
    for d in &c.depends_on {
        b = b.depends_on(
            ecs::ContainerDependency::builder()
                .container_name(&d.container_name)
                .condition(ecs::ContainerCondition::from(d.condition.as_str()))
                .build()
                .with_context(|| field("dependsOn"))?,
        );
    }
    if let Some(h) = &c.health_check {
        b = b.health_check(
            ecs::HealthCheck::builder()
                .set_command(Some(h.command.clone()))
                .set_interval(
                    h.interval
                        .map(|v| i32_of(&field("healthCheck.interval"), v))
                        .transpose()?,
                )
                .set_timeout(
                    h.timeout
                        .map(|v| i32_of(&field("healthCheck.timeout"), v))
                        .transpose()?,
                )
                .set_retries(
                    h.retries
                        .map(|v| i32_of(&field("healthCheck.retries"), v))
                        .transpose()?,
                )
                .set_start_period(
                    h.start_period
                        .map(|v| i32_of(&field("healthCheck.startPeriod"), v))
                        .transpose()?,
                )
                .build()
                .with_context(|| field("healthCheck"))?,
        );
    }
    if let Some(l) = &c.log_configuration {
        let options: HashMap<String, String> = l
            .options
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        b = b.log_configuration(
            ecs::LogConfiguration::builder()
                .log_driver(ecs::LogDriver::from(l.log_driver.as_str()))
                .set_options((!options.is_empty()).then_some(options))
                .build()
                .with_context(|| field("logConfiguration"))?,
        );
    }
    if !c.docker_labels.is_empty() {
        b = b.set_docker_labels(Some(
            c.docker_labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ));
    }
    Ok(b.build())
}

fn u32_of(field: &str, v: i32) -> anyhow::Result<u32> {
    u32::try_from(v).with_context(|| format!("the live task definition has {field} = {v}"))
}

/// The typed model of a live task definition (DescribeTaskDefinition with tags).
pub(crate) fn from_live(
    td: &ecs::TaskDefinition,
    tags: &[ecs::Tag],
) -> anyhow::Result<TaskDefinition> {
    let containers = td
        .container_definitions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(container_from_live)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(TaskDefinition {
        family: td.family.clone().unwrap_or_default(),
        task_role_arn: td.task_role_arn.clone(),
        execution_role_arn: td.execution_role_arn.clone(),
        network_mode: td
            .network_mode
            .as_ref()
            .map(|m| from_wire("networkMode", m.as_str()))
            .transpose()?,
        requires_compatibilities: td
            .requires_compatibilities
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|c| from_wire("requiresCompatibilities", c.as_str()))
            .collect::<anyhow::Result<_>>()?,
        cpu: td.cpu.clone(),
        memory: td.memory.clone(),
        runtime_platform: td
            .runtime_platform
            .as_ref()
            .map(|rp| -> anyhow::Result<RuntimePlatform> {
                Ok(RuntimePlatform {
                    cpu_architecture: rp
                        .cpu_architecture
                        .as_ref()
                        .map(|a| from_wire("runtimePlatform.cpuArchitecture", a.as_str()))
                        .transpose()?,
                    operating_system_family: rp
                        .operating_system_family
                        .as_ref()
                        .map(|f| f.as_str().to_owned()),
                })
            })
            .transpose()?,
        ephemeral_storage: td
            .ephemeral_storage
            .as_ref()
            .map(|e| -> anyhow::Result<EphemeralStorage> {
                Ok(EphemeralStorage {
                    size_in_gib: u32_of("ephemeralStorage.sizeInGiB", e.size_in_gib)?,
                })
            })
            .transpose()?,
        container_definitions: containers,
        volumes: td
            .volumes
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|v| Volume {
                name: v.name.clone().unwrap_or_default(),
                configured_at_launch: v.configured_at_launch,
            })
            .collect(),
        pid_mode: td.pid_mode.as_ref().map(|p| p.as_str().to_owned()),
        ipc_mode: td.ipc_mode.as_ref().map(|p| p.as_str().to_owned()),
        enable_fault_injection: td.enable_fault_injection,
        tags: tags
            .iter()
            .map(|t| Tag {
                key: t.key.clone().unwrap_or_default(),
                value: t.value.clone().unwrap_or_default(),
            })
            .collect(),
    })
}

fn container_from_live(c: &ecs::ContainerDefinition) -> anyhow::Result<ContainerDefinition> {
    let name = c.name.clone().unwrap_or_default();
    let f = |x: &str| format!("containerDefinitions[{name}].{x}");
    let opt_u32 = |field: &str, v: Option<i32>| v.map(|v| u32_of(&f(field), v)).transpose();
    Ok(ContainerDefinition {
        name: name.clone(),
        image: c.image.clone().unwrap_or_default(),
        essential: c.essential,
        cpu: (c.cpu != 0).then(|| u32_of(&f("cpu"), c.cpu)).transpose()?,
        memory: opt_u32("memory", c.memory)?,
        memory_reservation: opt_u32("memoryReservation", c.memory_reservation)?,
        entry_point: c.entry_point.clone().unwrap_or_default(),
        command: c.command.clone().unwrap_or_default(),
        working_directory: c.working_directory.clone(),
        port_mappings: c
            .port_mappings
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|p| -> anyhow::Result<PortMapping> {
                Ok(PortMapping {
                    name: p.name.clone(),
                    container_port: u16::try_from(p.container_port.unwrap_or_default())
                        .with_context(|| f("portMappings.containerPort"))?,
                    host_port: p
                        .host_port
                        .map(|h| u16::try_from(h).with_context(|| f("portMappings.hostPort")))
                        .transpose()?,
                    protocol: p
                        .protocol
                        .as_ref()
                        .map(|x| from_wire("portMappings.protocol", x.as_str()))
                        .transpose()?,
                    app_protocol: p.app_protocol.as_ref().map(|a| a.as_str().to_owned()),
                })
            })
            .collect::<anyhow::Result<_>>()?,
        environment: c
            .environment
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|e| KeyValuePair {
                name: e.name.clone().unwrap_or_default(),
                value: e.value.clone().unwrap_or_default(),
            })
            .collect(),
        secrets: c
            .secrets
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|s| Secret {
                name: s.name.clone(),
                value_from: s.value_from.clone(),
            })
            .collect(),
        user: c.user.clone(),
        readonly_root_filesystem: c.readonly_root_filesystem,
        privileged: c.privileged,
        linux_parameters: c.linux_parameters.as_ref().map(|lp| LinuxParameters {
            init_process_enabled: lp.init_process_enabled,
            capabilities: lp.capabilities.as_ref().map(|k| Capabilities {
                add: k.add.clone().unwrap_or_default(),
                drop: k.drop.clone().unwrap_or_default(),
            }),
        }),
        ulimits: c
            .ulimits
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|u| Ulimit {
                name: u.name.as_str().to_owned(),
                soft_limit: i64::from(u.soft_limit),
                hard_limit: i64::from(u.hard_limit),
            })
            .collect(),
        mount_points: c
            .mount_points
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|m| MountPoint {
                source_volume: m.source_volume.clone().unwrap_or_default(),
                container_path: m.container_path.clone().unwrap_or_default(),
                read_only: m.read_only,
            })
            .collect(),
        depends_on: c
            .depends_on
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|d| ContainerDependency {
                container_name: d.container_name.clone(),
                condition: d.condition.as_str().to_owned(),
            })
            .collect(),
        health_check: c
            .health_check
            .as_ref()
            .map(|h| -> anyhow::Result<HealthCheck> {
                Ok(HealthCheck {
                    command: h.command.clone(),
                    interval: opt_u32("healthCheck.interval", h.interval)?,
                    timeout: opt_u32("healthCheck.timeout", h.timeout)?,
                    retries: opt_u32("healthCheck.retries", h.retries)?,
                    start_period: opt_u32("healthCheck.startPeriod", h.start_period)?,
                })
            })
            .transpose()?,
        start_timeout: opt_u32("startTimeout", c.start_timeout)?,
        stop_timeout: opt_u32("stopTimeout", c.stop_timeout)?,
        log_configuration: c.log_configuration.as_ref().map(|l| LogConfiguration {
            log_driver: l.log_driver.as_str().to_owned(),
            options: l
                .options
                .as_ref()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        }),
        docker_labels: c
            .docker_labels
            .as_ref()
            .map(|d| {
                d.iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<BTreeMap<_, _>>()
            })
            .unwrap_or_default(),
        version_consistency: c
            .version_consistency
            .as_ref()
            .map(|v| v.as_str().to_owned()),
    })
}

/// Fills the defaults ECS applies when it registers a task definition, and orders
/// lists whose order ECS does not keep, so two models compare equal exactly when ECS
/// would store the same revision.
pub fn normalize(td: &TaskDefinition) -> TaskDefinition {
    let mut td = td.clone();
    let awsvpc = td.network_mode.as_ref().map(wire).as_deref() == Some("awsvpc");
    for c in &mut td.container_definitions {
        if c.essential.is_none() {
            c.essential = Some(true);
        }
        if c.cpu == Some(0) {
            c.cpu = None;
        }
        if c.version_consistency.is_none() {
            c.version_consistency = Some("enabled".into());
        }
        for p in &mut c.port_mappings {
            if p.host_port.is_none() && awsvpc {
                p.host_port = Some(p.container_port);
            }
            if p.protocol.is_none() {
                p.protocol = from_wire("protocol", "tcp").ok();
            }
        }
        if let Some(h) = &mut c.health_check {
            h.interval.get_or_insert(30);
            h.timeout.get_or_insert(5);
            h.retries.get_or_insert(3);
            if h.start_period == Some(0) {
                h.start_period = None;
            }
        }
        c.environment.sort_by(|a, b| a.name.cmp(&b.name));
        c.secrets.sort_by(|a, b| a.name.cmp(&b.name));
    }
    td.tags.sort_by(|a, b| a.key.cmp(&b.key));
    td
}

/// Whether registering `rendered` would give the same revision as `live`.
pub(crate) fn same(rendered: &TaskDefinition, live: &TaskDefinition) -> bool {
    normalize(rendered) == normalize(live)
}
