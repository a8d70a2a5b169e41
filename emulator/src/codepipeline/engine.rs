//! The pipeline's executions as a state machine, no I/O: which execution is in which
//! stage, which waits, which is superseded. The driver starts each action that
//! [`Pipeline::schedule`] hands out and reports its end with [`Pipeline::finish_action`].
//!
//! Execution mode: SUPERSEDED, as `infra/codepipeline.tf` sets it, with CodePipeline's
//! three rules ("How pipeline executions work"): a stage processes one execution at a
//! time (it is locked while it does); a later execution waits at the stage's inbound
//! transition; and an execution waiting there is superseded by a more recent one that
//! arrives. An execution that is inside a stage is never stopped by a newer one: a push
//! during a build lets that build (and its deployment) finish, then the newest waiting
//! commit goes on.

use serde::{Deserialize, Serialize};
use serde_json::json;

/// CodePipeline's `PipelineExecutionStatus` (the local pipeline never stops or cancels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, Serialize, Deserialize)]
pub(crate) enum ExecutionStatus {
    InProgress,
    Succeeded,
    Superseded,
    Failed,
    Stopped,
}

impl ExecutionStatus {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }
}

/// CodePipeline's `StageExecutionStatus` (the subset the local pipeline reaches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum StageStatus {
    InProgress,
    Succeeded,
    Failed,
    Stopped,
}

/// CodePipeline's `ActionExecutionStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ActionStatus {
    InProgress,
    Succeeded,
    Failed,
    Abandoned,
}

/// The three stages of `infra/codepipeline.tf`, one action each (named as its stage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stage {
    Source,
    Build,
    Deploy,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Source, Stage::Build, Stage::Deploy];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Source => "Source",
            Stage::Build => "Build",
            Stage::Deploy => "Deploy",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn next(self) -> Option<Stage> {
        Stage::ALL.get(self.index() + 1).copied()
    }
}

/// What started an execution (`ExecutionTrigger`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Trigger {
    /// `WebhookV2` for a push, `StartPipelineExecution` for a release.
    #[serde(deserialize_with = "trigger_kind")]
    pub(crate) kind: TriggerKind,
    pub(crate) detail: String,
}

/// A trigger kind, one of [`TRIGGER_KINDS`] (an alias: serde's derive would borrow a
/// `&'static str` field from its input, which it cannot for `'static`).
pub(crate) type TriggerKind = &'static str;

/// The trigger kinds the local pipeline records.
pub(crate) const TRIGGER_KINDS: [&str; 2] = ["WebhookV2", "StartPipelineExecution"];

/// Reads a recorded trigger kind back as one of [`TRIGGER_KINDS`].
fn trigger_kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = String::deserialize(d)?;
    TRIGGER_KINDS
        .into_iter()
        .find(|k| *k == s)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown trigger kind {s:?}")))
}

/// The commit an execution carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Revision {
    pub(crate) commit: String,
    pub(crate) message: String,
}

/// How an action ended, as the driver reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Succeeded {
        summary: String,
    },
    /// `ErrorDetails` (`code`, e.g. `JobFailed`, and a message).
    Failed {
        code: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ActionRun {
    pub(crate) id: String,
    pub(crate) status: ActionStatus,
    pub(crate) start: f64,
    pub(crate) last_update: f64,
    /// The CodeBuild build id, the CodeDeploy deployment id, the commit for Source.
    pub(crate) external_id: Option<String>,
    pub(crate) summary: Option<String>,
    pub(crate) error: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StageRun {
    pub(crate) stage: Stage,
    pub(crate) status: StageStatus,
    pub(crate) action: ActionRun,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Execution {
    pub(crate) id: String,
    pub(crate) status: ExecutionStatus,
    pub(crate) status_summary: Option<String>,
    pub(crate) trigger: Trigger,
    pub(crate) revision: Revision,
    pub(crate) start: f64,
    pub(crate) last_update: f64,
    /// The stages it entered, in order.
    pub(crate) stages: Vec<StageRun>,
    /// The stage whose inbound transition it waits at.
    pub(crate) waiting_for: Option<Stage>,
    /// The spooled push that started it (its file name in the spool), so that a push is
    /// never started twice: the spool file goes once this record is on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) push: Option<String>,
}

impl Execution {
    pub(crate) fn stage(&self, stage: Stage) -> Option<&StageRun> {
        self.stages.iter().find(|s| s.stage == stage)
    }
}

/// The pipeline and its executions (oldest first).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pipeline {
    pub(crate) name: String,
    pub(crate) created: f64,
    pub(crate) executions: Vec<Execution>,
    /// The execution each stage is processing (not kept: after a restart no action runs,
    /// [`Pipeline::recover`]).
    #[serde(skip)]
    locks: [Option<String>; 3],
}

impl Pipeline {
    pub(crate) fn new(name: &str, created: f64) -> Self {
        Pipeline {
            name: name.to_string(),
            created,
            executions: Vec::new(),
            locks: Default::default(),
        }
    }

    pub(crate) fn execution(&self, id: &str) -> Option<&Execution> {
        self.executions.iter().find(|e| e.id == id)
    }

    fn execution_mut(&mut self, id: &str) -> Option<&mut Execution> {
        self.executions.iter_mut().find(|e| e.id == id)
    }

    /// The execution a stage is processing.
    #[cfg(test)]
    fn in_stage(&self, stage: Stage) -> Option<&Execution> {
        self.locks[stage.index()]
            .as_deref()
            .and_then(|id| self.execution(id))
    }

    /// Executions waiting at a stage's inbound transition.
    pub(crate) fn waiting_for(&self, stage: Stage) -> Vec<&Execution> {
        self.executions
            .iter()
            .filter(|e| e.status == ExecutionStatus::InProgress && e.waiting_for == Some(stage))
            .collect()
    }

    /// Starts an execution; it waits for Source until [`Pipeline::schedule`].
    pub(crate) fn start(
        &mut self,
        id: String,
        trigger: Trigger,
        revision: Revision,
        at: f64,
    ) -> &Execution {
        self.executions.push(Execution {
            id,
            status: ExecutionStatus::InProgress,
            status_summary: None,
            trigger,
            revision,
            start: at,
            last_update: at,
            stages: Vec::new(),
            waiting_for: Some(Stage::Source),
            push: None,
        });
        self.executions.last().expect("just pushed")
    }

    /// Records which spooled push started execution `id`.
    pub(crate) fn set_push(&mut self, id: &str, push: &str) {
        if let Some(e) = self.execution_mut(id) {
            e.push = Some(push.to_string());
        }
    }

    /// Whether an execution was started for the spooled push `push` already.
    pub(crate) fn has_push(&self, push: &str) -> bool {
        self.executions
            .iter()
            .any(|e| e.push.as_deref() == Some(push))
    }

    /// After a restart (records read back from disk): no action runs any more, the stack
    /// that ran them is gone with their processes. An execution inside a stage ends Failed
    /// (the stage and its action Failed, `JobFailed` with `message`); one that only waited
    /// at a stage's inbound transition goes on, as it ran nothing yet. Returns the ids of
    /// the executions ended.
    pub(crate) fn recover(&mut self, message: &str, at: f64) -> Vec<String> {
        self.locks = Default::default();
        let mut ended = Vec::new();
        for e in &mut self.executions {
            if e.status != ExecutionStatus::InProgress {
                continue;
            }
            let running = e
                .stages
                .iter_mut()
                .find(|s| s.status == StageStatus::InProgress);
            let stage = match running {
                Some(run) => {
                    run.status = StageStatus::Failed;
                    run.action.status = ActionStatus::Failed;
                    run.action.error = Some(("JobFailed".into(), message.to_string()));
                    run.action.last_update = at;
                    Some(run.stage)
                }
                None if e.waiting_for.is_some() => continue,
                None => None,
            };
            e.status = ExecutionStatus::Failed;
            e.status_summary = Some(match stage {
                Some(stage) => format!("Stage {} failed: {message}", stage.name()),
                None => message.to_string(),
            });
            e.waiting_for = None;
            e.last_update = at;
            ended.push(e.id.clone());
        }
        ended
    }

    /// Applies the SUPERSEDED rules and lets waiting executions into free stages;
    /// returns `(execution id, stage)` for each action to start.
    pub(crate) fn schedule(
        &mut self,
        at: f64,
        mut new_id: impl FnMut() -> String,
    ) -> Vec<(String, Stage)> {
        let mut started = Vec::new();
        for stage in Stage::ALL.into_iter().rev() {
            let waiting: Vec<String> = self
                .waiting_for(stage)
                .iter()
                .map(|e| e.id.clone())
                .collect();
            // Oldest first: all but the newest are superseded.
            if let Some((newest, older)) = waiting.split_last() {
                for id in older {
                    if let Some(e) = self.execution_mut(id) {
                        e.status = ExecutionStatus::Superseded;
                        e.status_summary = Some(format!(
                            "Superseded by a more recent execution ({newest}) at the {} stage",
                            stage.name()
                        ));
                        e.waiting_for = None;
                        e.last_update = at;
                    }
                }
                if self.locks[stage.index()].is_none() {
                    let action_id = new_id();
                    if let Some(e) = self.execution_mut(newest) {
                        e.waiting_for = None;
                        e.last_update = at;
                        e.stages.push(StageRun {
                            stage,
                            status: StageStatus::InProgress,
                            action: ActionRun {
                                id: action_id,
                                status: ActionStatus::InProgress,
                                start: at,
                                last_update: at,
                                external_id: None,
                                summary: None,
                                error: None,
                            },
                        });
                    }
                    self.locks[stage.index()] = Some(newest.clone());
                    started.push((newest.clone(), stage));
                }
            }
        }
        started
    }

    /// Records the external id of a running action (build id, deployment id).
    pub(crate) fn set_external_id(&mut self, id: &str, stage: Stage, external: &str, at: f64) {
        if let Some(run) = self
            .execution_mut(id)
            .and_then(|e| e.stages.iter_mut().find(|s| s.stage == stage))
        {
            run.action.external_id = Some(external.to_string());
            run.action.last_update = at;
        }
    }

    /// Ends the action of `stage` for execution `id`: the stage unlocks, and the execution
    /// waits for the next stage, succeeds (last stage) or fails. Call
    /// [`Pipeline::schedule`] afterwards. Unknown or already ended: ignored (`false`).
    pub(crate) fn finish_action(
        &mut self,
        id: &str,
        stage: Stage,
        outcome: Outcome,
        at: f64,
    ) -> bool {
        if self.locks[stage.index()].as_deref() != Some(id) {
            return false;
        }
        self.locks[stage.index()] = None;
        let Some(e) = self.execution_mut(id) else {
            return false;
        };
        let Some(run) = e.stages.iter_mut().find(|s| s.stage == stage) else {
            return false;
        };
        run.action.last_update = at;
        e.last_update = at;
        match outcome {
            Outcome::Succeeded { summary } => {
                run.status = StageStatus::Succeeded;
                run.action.status = ActionStatus::Succeeded;
                run.action.summary = Some(summary);
                match stage.next() {
                    Some(next) => e.waiting_for = Some(next),
                    None => e.status = ExecutionStatus::Succeeded,
                }
            }
            Outcome::Failed { code, message } => {
                run.status = StageStatus::Failed;
                run.action.status = ActionStatus::Failed;
                run.action.error = Some((code, message.clone()));
                e.status = ExecutionStatus::Failed;
                e.status_summary = Some(format!("Stage {} failed: {message}", stage.name()));
            }
        }
        true
    }

    /// StopPipelineExecution of an execution in progress: it is Stopped at once, its running
    /// stage Stopped with the action Abandoned, and the stage unlocked (the action's late
    /// outcome is then ignored by [`Pipeline::finish_action`]). Returns the external id of
    /// the action that ran (a build to stop), or the status it was in when not in progress.
    pub(crate) fn stop(
        &mut self,
        id: &str,
        reason: &str,
        at: f64,
    ) -> Option<Result<Option<(Stage, String)>, ExecutionStatus>> {
        let e = self.executions.iter_mut().find(|e| e.id == id)?;
        if e.status != ExecutionStatus::InProgress {
            return Some(Err(e.status));
        }
        e.status = ExecutionStatus::Stopped;
        e.status_summary = Some(if reason.is_empty() {
            "Stopped by StopPipelineExecution".into()
        } else {
            reason.to_string()
        });
        e.waiting_for = None;
        e.last_update = at;
        let mut running = None;
        for s in &mut e.stages {
            if s.status == StageStatus::InProgress {
                s.status = StageStatus::Stopped;
                s.action.status = ActionStatus::Abandoned;
                s.action.last_update = at;
                running = s.action.external_id.clone().map(|x| (s.stage, x));
            }
        }
        for lock in &mut self.locks {
            if lock.as_deref() == Some(id) {
                *lock = None;
            }
        }
        Some(Ok(running))
    }

    /// Marks every execution still in progress as Stopped (the stack shuts down).
    pub(crate) fn stop_all(&mut self, at: f64) {
        self.locks = Default::default();
        for e in &mut self.executions {
            if e.status == ExecutionStatus::InProgress {
                e.status = ExecutionStatus::Stopped;
                e.status_summary = Some("the local stack stopped".into());
                e.waiting_for = None;
                e.last_update = at;
                for s in &mut e.stages {
                    if s.status == StageStatus::InProgress {
                        s.status = StageStatus::Stopped;
                        s.action.status = ActionStatus::Abandoned;
                    }
                }
            }
        }
    }

    /// The latest execution that ran (or runs) in a stage.
    pub(crate) fn latest_in(&self, stage: Stage) -> Option<(&Execution, &StageRun)> {
        self.executions
            .iter()
            .filter_map(|e| e.stage(stage).map(|r| (e, r)))
            .max_by(|a, b| a.1.action.start.total_cmp(&b.1.action.start))
    }
}

/// What the actions are configured with (as `infra/codepipeline.tf`, local names).
#[derive(Debug, Clone)]
pub(crate) struct PipelineNames {
    pub(crate) region: String,
    pub(crate) account_id: String,
    pub(crate) connection_arn: String,
    pub(crate) repository_id: String,
    pub(crate) project_name: String,
    pub(crate) application_name: String,
    pub(crate) deployment_group_name: String,
    pub(crate) artifact_bucket: String,
}

/// `revisionSummary` of a connection source: JSON with the commit message.
pub(crate) fn revision_summary(message: &str) -> String {
    json!({"ProviderType": "GitHub", "CommitMessage": message}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline() -> Pipeline {
        Pipeline::new("demo", 0.0)
    }

    fn push(p: &mut Pipeline, n: u32) -> String {
        let id = format!("exec-{n}");
        p.start(
            id.clone(),
            Trigger {
                kind: "WebhookV2",
                detail: "connection".into(),
            },
            Revision {
                commit: format!("commit{n}"),
                message: format!("change {n}"),
            },
            f64::from(n),
        );
        id
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("action-{n}")
        }
    }

    fn ok() -> Outcome {
        Outcome::Succeeded {
            summary: "done".into(),
        }
    }

    #[test]
    fn one_execution_goes_through_every_stage() {
        let mut p = pipeline();
        let mut ids = ids();
        let e = push(&mut p, 1);
        for stage in Stage::ALL {
            assert_eq!(p.schedule(1.0, &mut ids), [(e.clone(), stage)]);
            assert_eq!(p.in_stage(stage).unwrap().id, e);
            assert!(
                p.schedule(1.0, &mut ids).is_empty(),
                "nothing else to start"
            );
            assert!(p.finish_action(&e, stage, ok(), 2.0));
        }
        let ex = p.execution(&e).unwrap();
        assert_eq!(ex.status, ExecutionStatus::Succeeded);
        assert_eq!(ex.stages.len(), 3);
        assert!(ex
            .stages
            .iter()
            .all(|s| s.status == StageStatus::Succeeded
                && s.action.status == ActionStatus::Succeeded));
        assert!(
            !p.finish_action(&e, Stage::Deploy, ok(), 3.0),
            "ended already"
        );
    }

    #[test]
    fn a_failed_build_fails_the_execution_and_stops_there() {
        let mut p = pipeline();
        let mut ids = ids();
        let e = push(&mut p, 1);
        p.schedule(1.0, &mut ids);
        p.finish_action(&e, Stage::Source, ok(), 1.0);
        assert_eq!(p.schedule(1.0, &mut ids), [(e.clone(), Stage::Build)]);
        p.finish_action(
            &e,
            Stage::Build,
            Outcome::Failed {
                code: "JobFailed".into(),
                message: "Build terminated with state: FAILED".into(),
            },
            2.0,
        );
        assert!(p.schedule(2.0, &mut ids).is_empty());
        let ex = p.execution(&e).unwrap();
        assert_eq!(ex.status, ExecutionStatus::Failed);
        assert!(ex.stage(Stage::Deploy).is_none());
        assert_eq!(ex.stage(Stage::Build).unwrap().status, StageStatus::Failed);
        assert_eq!(
            ex.status_summary.as_deref(),
            Some("Stage Build failed: Build terminated with state: FAILED")
        );
    }

    #[test]
    fn waiting_executions_are_superseded_by_newer_ones_running_ones_are_not() {
        let mut p = pipeline();
        let mut ids = ids();
        let e1 = push(&mut p, 1);
        p.schedule(1.0, &mut ids);
        p.finish_action(&e1, Stage::Source, ok(), 1.0);
        p.schedule(1.0, &mut ids); // e1 builds
        let e2 = push(&mut p, 2);
        assert_eq!(p.schedule(2.0, &mut ids), [(e2.clone(), Stage::Source)]);
        p.finish_action(&e2, Stage::Source, ok(), 2.0);
        assert!(
            p.schedule(2.0, &mut ids).is_empty(),
            "Build is locked by e1"
        );
        assert_eq!(p.waiting_for(Stage::Build).len(), 1);
        let e3 = push(&mut p, 3);
        assert_eq!(p.schedule(3.0, &mut ids), [(e3.clone(), Stage::Source)]);
        p.finish_action(&e3, Stage::Source, ok(), 3.0);
        assert!(p.schedule(3.0, &mut ids).is_empty());
        assert_eq!(
            p.execution(&e2).unwrap().status,
            ExecutionStatus::Superseded,
            "e2 waited at Build and e3 arrived"
        );
        assert_eq!(
            p.execution(&e1).unwrap().status,
            ExecutionStatus::InProgress,
            "e1 is inside Build: not superseded"
        );
        p.finish_action(&e1, Stage::Build, ok(), 4.0);
        let mut started = p.schedule(4.0, &mut ids);
        started.sort_by_key(|(_, s)| *s);
        assert_eq!(
            started,
            [(e3.clone(), Stage::Build), (e1.clone(), Stage::Deploy)]
        );
        p.finish_action(&e1, Stage::Deploy, ok(), 5.0);
        assert_eq!(p.execution(&e1).unwrap().status, ExecutionStatus::Succeeded);
        assert_eq!(p.latest_in(Stage::Build).unwrap().0.id, e3);
    }

    #[test]
    fn stop_ends_one_execution_and_frees_its_stage() {
        let mut p = pipeline();
        let mut ids = ids();
        let id = push(&mut p, 1);
        p.schedule(1.0, &mut ids);
        p.set_external_id(&id, Stage::Source, "x-1", 2.0);
        assert_eq!(
            p.stop(&id, "by hand", 3.0),
            Some(Ok(Some((Stage::Source, "x-1".into()))))
        );
        let ex = p.execution(&id).unwrap();
        assert_eq!(ex.status, ExecutionStatus::Stopped);
        assert_eq!(ex.status_summary.as_deref(), Some("by hand"));
        assert_eq!(ex.stages[0].action.status, ActionStatus::Abandoned);
        assert!(
            !p.finish_action(&id, Stage::Source, ok(), 4.0),
            "a late outcome is ignored"
        );
        assert_eq!(p.stop(&id, "", 5.0), Some(Err(ExecutionStatus::Stopped)));
        assert_eq!(p.stop("nope", "", 5.0), None);
        let next = push(&mut p, 2);
        assert_eq!(
            p.schedule(6.0, &mut ids),
            [(next, Stage::Source)],
            "the stage is free for the next execution"
        );
    }

    #[test]
    fn recovery_fails_what_ran_keeps_what_waited_and_frees_the_stages() {
        let mut p = pipeline();
        let mut ids = ids();
        let building = push(&mut p, 1);
        p.schedule(1.0, &mut ids);
        p.finish_action(&building, Stage::Source, ok(), 1.0);
        p.schedule(1.0, &mut ids);
        p.set_external_id(&building, Stage::Build, "demo:build-1", 1.5);
        let waiting = push(&mut p, 2);
        p.set_push(&waiting, "123.abc");
        p.schedule(2.0, &mut ids);
        p.finish_action(&waiting, Stage::Source, ok(), 2.0);
        assert!(p.schedule(2.0, &mut ids).is_empty(), "Build is locked");
        // Through the records on disk, as a restarted stack reads them.
        let mut back: Pipeline = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back.executions, p.executions);
        assert!(back.has_push("123.abc") && !back.has_push("124.abd"));
        let ended = back.recover("the local stack stopped", 3.0);
        assert_eq!(ended, std::slice::from_ref(&building));
        let ex = back.execution(&building).unwrap();
        assert_eq!(ex.status, ExecutionStatus::Failed);
        let build = ex.stage(Stage::Build).unwrap();
        assert_eq!(build.status, StageStatus::Failed);
        assert_eq!(build.action.status, ActionStatus::Failed);
        assert_eq!(build.action.external_id.as_deref(), Some("demo:build-1"));
        assert_eq!(
            ex.status_summary.as_deref(),
            Some("Stage Build failed: the local stack stopped")
        );
        assert_eq!(
            back.execution(&waiting).unwrap().status,
            ExecutionStatus::InProgress,
            "it waited at Build: it goes on"
        );
        assert_eq!(
            back.schedule(4.0, &mut ids),
            [(waiting, Stage::Build)],
            "the stage is free again"
        );
    }

    #[test]
    fn stop_all_ends_what_runs() {
        let mut p = pipeline();
        let mut ids = ids();
        let e = push(&mut p, 1);
        p.schedule(1.0, &mut ids);
        p.set_external_id(&e, Stage::Source, "commit1", 1.0);
        p.stop_all(2.0);
        let ex = p.execution(&e).unwrap();
        assert_eq!(ex.status, ExecutionStatus::Stopped);
        assert_eq!(ex.stages[0].action.external_id.as_deref(), Some("commit1"));
        assert_eq!(ex.stages[0].status, StageStatus::Stopped);
        assert_eq!(ex.stages[0].action.status, ActionStatus::Abandoned);
        assert!(p.in_stage(Stage::Source).is_none());
    }
}
