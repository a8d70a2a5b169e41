//! CodeBuild's answers as serde types, named after botocore's output shapes (camelCase, as
//! the CodeBuild JSON 1.1 API writes them), and how a build record reads as one. The
//! statuses and phase types are the model's, written by their AWS names.

use serde::Serialize;

use super::model::{Build as BuildRecord, BuildStatus, PhaseType};
use crate::wire::shape::AwsName;

/// BatchGetBuildsOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchGetBuildsOutput {
    pub(crate) builds: Vec<Build>,
    /// botocore: at least one member when present.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) builds_not_found: Vec<String>,
}

/// StopBuildOutput.
#[derive(Debug, Serialize)]
pub(crate) struct StopBuildOutput {
    pub(crate) build: Build,
}

/// Build (timestamps as epoch seconds).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Build {
    pub(crate) id: String,
    pub(crate) arn: String,
    pub(crate) build_number: u64,
    pub(crate) start_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) end_time: Option<f64>,
    pub(crate) current_phase: AwsName<PhaseType>,
    pub(crate) build_status: AwsName<BuildStatus>,
    pub(crate) source_version: String,
    pub(crate) resolved_source_version: String,
    pub(crate) project_name: String,
    pub(crate) phases: Vec<BuildPhase>,
    pub(crate) source: ProjectSource,
    pub(crate) secondary_sources: Vec<ProjectSource>,
    pub(crate) secondary_source_versions: Vec<serde_json::Value>,
    pub(crate) artifacts: BuildArtifacts,
    pub(crate) secondary_artifacts: Vec<BuildArtifacts>,
    pub(crate) cache: ProjectCache,
    pub(crate) environment: ProjectEnvironment,
    pub(crate) logs: LogsLocation,
    pub(crate) timeout_in_minutes: u32,
    pub(crate) queued_timeout_in_minutes: u32,
    pub(crate) build_complete: bool,
    pub(crate) initiator: String,
}

/// BuildPhase.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BuildPhase {
    pub(crate) phase_type: AwsName<PhaseType>,
    /// None while the phase runs (and for COMPLETED).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) phase_status: Option<AwsName<BuildStatus>>,
    pub(crate) start_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) end_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) duration_in_seconds: Option<i64>,
    /// An ended phase's (not COMPLETED's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) contexts: Option<Vec<PhaseContext>>,
}

/// PhaseContext.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhaseContext {
    pub(crate) status_code: String,
    pub(crate) message: String,
}

/// ProjectSource: the pipeline's source artifact.
#[derive(Debug, Serialize)]
pub(crate) struct ProjectSource {
    /// SourceType: `CODEPIPELINE`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) buildspec: &'static str,
}

/// BuildArtifacts (the pipeline's output artifact: no location of its own).
#[derive(Debug, Serialize)]
pub(crate) struct BuildArtifacts {
    pub(crate) location: &'static str,
}

/// ProjectCache: the local BuildKit cache.
#[derive(Debug, Serialize)]
pub(crate) struct ProjectCache {
    /// CacheType: `LOCAL`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    /// CacheMode: `LOCAL_CUSTOM_CACHE`.
    pub(crate) modes: Vec<&'static str>,
}

/// ProjectEnvironment: this machine's tools.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProjectEnvironment {
    /// EnvironmentType: `LINUX_CONTAINER`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) image: &'static str,
    /// ComputeType: `BUILD_GENERAL1_SMALL`.
    pub(crate) compute_type: &'static str,
    pub(crate) environment_variables: Vec<EnvironmentVariable>,
    pub(crate) privileged_mode: bool,
    /// ImagePullCredentialsType: `CODEBUILD`.
    pub(crate) image_pull_credentials_type: &'static str,
}

/// EnvironmentVariable.
#[derive(Debug, Serialize)]
pub(crate) struct EnvironmentVariable {
    pub(crate) name: String,
    pub(crate) value: String,
    /// EnvironmentVariableType: `PLAINTEXT`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
}

/// LogsLocation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogsLocation {
    pub(crate) group_name: String,
    pub(crate) stream_name: String,
    pub(crate) deep_link: String,
    pub(crate) cloud_watch_logs: CloudWatchLogsConfig,
    pub(crate) s3_logs: S3LogsConfig,
}

/// CloudWatchLogsConfig.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CloudWatchLogsConfig {
    /// LogsConfigStatusType: `ENABLED`.
    pub(crate) status: &'static str,
    pub(crate) group_name: String,
}

/// S3LogsConfig.
#[derive(Debug, Serialize)]
pub(crate) struct S3LogsConfig {
    /// LogsConfigStatusType: `DISABLED`.
    pub(crate) status: &'static str,
}

impl Build {
    /// Build record `b` as BatchGetBuilds answers it.
    pub(crate) fn of(b: &BuildRecord, region: &str) -> Self {
        let phases = b
            .phases
            .iter()
            .map(|p| BuildPhase {
                phase_type: AwsName(p.kind),
                phase_status: p.status.map(AwsName),
                start_time: p.start,
                end_time: p.end,
                duration_in_seconds: p.end.map(|end| (end - p.start).max(0.0).round() as i64),
                contexts: (p.kind != PhaseType::Completed && p.end.is_some()).then(|| {
                    let (status_code, message) = p.context.clone().unwrap_or_default();
                    vec![PhaseContext {
                        status_code,
                        message,
                    }]
                }),
            })
            .collect();
        Build {
            id: b.id.clone(),
            arn: b.arn.clone(),
            build_number: b.number,
            start_time: b.start,
            end_time: b.end,
            current_phase: AwsName(b.current_phase()),
            build_status: AwsName(b.status),
            source_version: b.source_version.clone(),
            resolved_source_version: b.resolved_source_version.clone(),
            project_name: b.project.clone(),
            phases,
            source: ProjectSource {
                kind: "CODEPIPELINE",
                buildspec: "buildspec.yml",
            },
            secondary_sources: Vec::new(),
            secondary_source_versions: Vec::new(),
            artifacts: BuildArtifacts { location: "" },
            secondary_artifacts: Vec::new(),
            cache: ProjectCache {
                kind: "LOCAL",
                modes: vec!["LOCAL_CUSTOM_CACHE"],
            },
            environment: ProjectEnvironment {
                kind: "LINUX_CONTAINER",
                image: "deployer-local (this machine's tools)",
                compute_type: "BUILD_GENERAL1_SMALL",
                environment_variables: b
                    .environment_variables
                    .iter()
                    .map(|(name, value)| EnvironmentVariable {
                        name: name.clone(),
                        value: value.clone(),
                        kind: "PLAINTEXT",
                    })
                    .collect(),
                privileged_mode: true,
                image_pull_credentials_type: "CODEBUILD",
            },
            logs: LogsLocation {
                group_name: b.log_group.clone(),
                stream_name: b.log_stream.clone(),
                deep_link: format!(
                    "https://console.aws.amazon.com/cloudwatch/home?region={region}#logEvent:group={};stream={}",
                    b.log_group, b.log_stream
                ),
                cloud_watch_logs: CloudWatchLogsConfig {
                    status: "ENABLED",
                    group_name: b.log_group.clone(),
                },
                s3_logs: S3LogsConfig { status: "DISABLED" },
            },
            timeout_in_minutes: b.timeout_minutes,
            queued_timeout_in_minutes: 60,
            build_complete: b.is_complete(),
            initiator: b.initiator.clone(),
        }
    }
}
