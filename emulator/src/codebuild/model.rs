//! A local CodeBuild build: its phases and statuses as CodeBuild's enums (their strum
//! names are AWS's; `super::shapes` writes a build as BatchGetBuilds answers it). Builds
//! are serde types: the stack keeps them on disk (`runtime::records`).

use serde::{Deserialize, Serialize};

/// CodeBuild's `StatusType` (a build's and a phase's status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, Serialize, Deserialize)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum BuildStatus {
    Succeeded,
    Failed,
    Fault,
    TimedOut,
    InProgress,
    Stopped,
}

impl BuildStatus {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }
}

/// CodeBuild's `BuildPhaseType`, in the order a build goes through them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::IntoStaticStr, Serialize, Deserialize,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum PhaseType {
    Submitted,
    Queued,
    Provisioning,
    DownloadSource,
    Install,
    PreBuild,
    Build,
    PostBuild,
    UploadArtifacts,
    Finalizing,
    Completed,
}

impl PhaseType {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }

    pub(crate) fn of(phase: super::buildspec::PhaseName) -> Self {
        use super::buildspec::PhaseName;
        match phase {
            PhaseName::Install => PhaseType::Install,
            PhaseName::PreBuild => PhaseType::PreBuild,
            PhaseName::Build => PhaseType::Build,
            PhaseName::PostBuild => PhaseType::PostBuild,
        }
    }
}

/// One phase of a build. `status` is `None` while the phase runs (and for COMPLETED).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseRun {
    pub kind: PhaseType,
    pub status: Option<BuildStatus>,
    pub start: f64,
    pub end: Option<f64>,
    /// `(statusCode, message)`, e.g. `("COMMAND_EXECUTION_ERROR", "Error while executing command: ...")`.
    pub context: Option<(String, String)>,
}

/// A build, from submission to completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Build {
    /// `<project>:<uuid>`.
    pub id: String,
    pub arn: String,
    pub number: u64,
    pub project: String,
    pub initiator: String,
    /// The commit CodePipeline handed over (the source artifact's revision).
    pub source_version: String,
    pub resolved_source_version: String,
    pub start: f64,
    pub end: Option<f64>,
    pub status: BuildStatus,
    pub phases: Vec<PhaseRun>,
    pub log_group: String,
    pub log_stream: String,
    pub environment_variables: Vec<(String, String)>,
    pub timeout_minutes: u32,
}

impl Build {
    pub fn new(
        project: &str,
        arn_prefix: &str,
        number: u64,
        commit: &str,
        initiator: &str,
        start: f64,
    ) -> Self {
        let uuid = uuid::Uuid::new_v4().to_string();
        let id = format!("{project}:{uuid}");
        Build {
            arn: format!("{arn_prefix}:build/{id}"),
            log_group: super::logs::default_group(project),
            log_stream: uuid,
            id,
            number,
            project: project.to_string(),
            initiator: initiator.to_string(),
            source_version: commit.to_string(),
            resolved_source_version: commit.to_string(),
            start,
            end: None,
            status: BuildStatus::InProgress,
            phases: vec![PhaseRun {
                kind: PhaseType::Submitted,
                status: None,
                start,
                end: None,
                context: None,
            }],
            environment_variables: Vec::new(),
            timeout_minutes: 60,
        }
    }

    /// The phase that runs now (COMPLETED once done).
    pub fn current_phase(&self) -> PhaseType {
        self.phases
            .last()
            .map(|p| p.kind)
            .unwrap_or(PhaseType::Submitted)
    }

    /// Ends the running phase with `status` and starts `next` (CodeBuild lists every phase
    /// a build went through, each ending where the next starts).
    pub fn advance(
        &mut self,
        status: BuildStatus,
        context: Option<(String, String)>,
        next: PhaseType,
        at: f64,
    ) {
        if let Some(p) = self.phases.last_mut() {
            if p.end.is_none() {
                p.status = Some(status);
                p.end = Some(at);
                p.context = context;
            }
        }
        self.phases.push(PhaseRun {
            kind: next,
            status: None,
            start: at,
            end: None,
            context: None,
        });
    }

    /// Marks the build done: the last phase becomes COMPLETED.
    pub fn complete(&mut self, status: BuildStatus, at: f64) {
        if self.current_phase() != PhaseType::Completed {
            let last_status = if status == BuildStatus::Succeeded {
                BuildStatus::Succeeded
            } else {
                self.phases
                    .last()
                    .and_then(|p| p.status)
                    .unwrap_or(BuildStatus::Succeeded)
            };
            self.advance(last_status, None, PhaseType::Completed, at);
        }
        self.status = status;
        self.end = Some(at);
    }

    pub fn is_complete(&self) -> bool {
        self.status != BuildStatus::InProgress
    }

    /// When the build times out: its start plus `timeoutInMinutes` (both in its record, so
    /// the deadline outlives the stack that ran it).
    pub fn deadline(&self) -> f64 {
        self.start + f64::from(self.timeout_minutes) * 60.0
    }

    /// Ends a build that was in progress when the stack running it stopped (its commands'
    /// process group was stopped with it, or by the next `up`): TIMED_OUT when its
    /// [`Build::deadline`] had passed by `at`, else FAULT ("the build phase faulted", the
    /// status CodeBuild gives a build its environment failed). The running phase ends with
    /// that status and a context carrying `message` (no documented `statusCode` fits a
    /// build host that went away; `BUILD_TIMED_OUT` is the runner's own for timeouts), then
    /// FINALIZING and COMPLETED as in any build. `false` when it had ended already.
    pub fn interrupt(&mut self, message: &str, at: f64) -> bool {
        if self.is_complete() {
            return false;
        }
        let (status, code) = if at >= self.deadline() {
            (BuildStatus::TimedOut, "BUILD_TIMED_OUT")
        } else {
            (BuildStatus::Fault, "BUILD_INTERRUPTED")
        };
        if self.current_phase() != PhaseType::Finalizing {
            self.advance(
                status,
                Some((code.to_string(), message.to_string())),
                PhaseType::Finalizing,
                at,
            );
        }
        self.complete(status, at);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(start: f64) -> Build {
        let mut b = Build::new(
            "demo",
            "arn:aws:codebuild:us-east-1:000000000000",
            1,
            "abc",
            "codepipeline/demo",
            start,
        );
        b.timeout_minutes = 30;
        b.advance(BuildStatus::Succeeded, None, PhaseType::Build, start + 1.0);
        b
    }

    #[test]
    fn a_build_interrupted_by_a_restart_faults_or_times_out_by_its_recorded_deadline() {
        let mut b = build(1000.0);
        assert_eq!(b.deadline(), 1000.0 + 1800.0);
        // Back from disk: the record carries the deadline.
        let mut b2: Build = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
        assert_eq!(b2, b);
        assert!(b.interrupt("the local stack stopped", 1100.0));
        assert_eq!(b.status, BuildStatus::Fault);
        let v = serde_json::to_value(super::super::shapes::Build::of(&b, "us-east-1")).unwrap();
        assert_eq!(v["buildComplete"], true);
        assert_eq!(v["phases"][1]["phaseType"], "BUILD");
        assert_eq!(v["phases"][1]["phaseStatus"], "FAULT");
        assert_eq!(
            v["phases"][1]["contexts"][0]["message"],
            "the local stack stopped"
        );
        assert_eq!(v["currentPhase"], "COMPLETED");
        assert!(!b.interrupt("again", 1200.0), "ended once");
        assert!(b2.interrupt("the local stack stopped", 2800.0));
        assert_eq!(b2.status, BuildStatus::TimedOut, "past start + 30 minutes");
        assert_eq!(b2.end, Some(2800.0));
    }

    #[test]
    fn phases_chain_and_complete() {
        let mut b = Build::new(
            "demo",
            "arn:aws:codebuild:us-east-1:000000000000",
            1,
            "abc",
            "codepipeline/demo",
            10.0,
        );
        assert!(b.id.starts_with("demo:"));
        assert_eq!(b.log_stream, b.id.trim_start_matches("demo:"));
        assert_eq!(b.log_group, "/aws/codebuild/demo");
        b.advance(BuildStatus::Succeeded, None, PhaseType::Build, 11.0);
        b.advance(
            BuildStatus::Failed,
            Some(("COMMAND_EXECUTION_ERROR".into(), "Error".into())),
            PhaseType::Finalizing,
            14.0,
        );
        assert_eq!(b.current_phase(), PhaseType::Finalizing);
        assert!(!b.is_complete());
        b.complete(BuildStatus::Failed, 15.0);
        assert!(b.is_complete());
        let v = serde_json::to_value(super::super::shapes::Build::of(&b, "us-east-1")).unwrap();
        assert_eq!(v["buildStatus"], "FAILED");
        assert_eq!(v["currentPhase"], "COMPLETED");
        assert_eq!(v["buildComplete"], true);
        let kinds: Vec<&str> = v["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["phaseType"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["SUBMITTED", "BUILD", "FINALIZING", "COMPLETED"]);
        assert_eq!(v["phases"][1]["phaseStatus"], "FAILED");
        assert_eq!(v["phases"][1]["durationInSeconds"], 3);
        assert_eq!(
            v["phases"][1]["contexts"][0]["statusCode"],
            "COMMAND_EXECUTION_ERROR"
        );
        assert!(v["phases"][3].get("endTime").is_none());
        assert_eq!(v["endTime"], 15.0);
    }
}
