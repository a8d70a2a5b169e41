//! A pipeline execution's watch, the pure part: observations of an execution in, lines
//! to print and an exit code out (what [`super::machine`] is for a deployment). Its AWS
//! reads and its loop are [`super::pipeline`]'s.

use serde::Serialize;

use crate::exit::Code;

/// What one poll of an execution shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Observation {
    pub(crate) status: String,
    pub(crate) summary: Option<String>,
    /// (stage, status, external id, error message), in stage order.
    pub(crate) actions: Vec<(String, String, Option<String>, Option<String>)>,
    /// The running or last build's phases: (phase, status, seconds).
    pub(crate) build_phases: Vec<(String, Option<String>, Option<i64>)>,
}

/// One step of an execution worth a line: a `type` object with `--output json`
/// (docs/CONTRACTS.md), a line for a person otherwise ([`ExecutionEvent::human`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ExecutionEvent {
    /// A stage's action changed status.
    Action {
        stage: String,
        status: String,
        external_id: Option<String>,
        error: Option<String>,
    },
    /// A phase of the build ended.
    BuildPhase {
        phase: String,
        status: String,
        duration_secs: Option<i64>,
    },
    /// The execution ended (or changed to another status than InProgress).
    ExecutionStatus {
        status: String,
        summary: Option<String>,
    },
}

impl ExecutionEvent {
    /// The line for a person.
    pub(crate) fn human(&self) -> String {
        match self {
            ExecutionEvent::Action {
                stage,
                status,
                external_id,
                error,
            } => format!(
                "{stage}: {status}{}{}",
                external_id
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default(),
                error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
            ExecutionEvent::BuildPhase {
                phase,
                status,
                duration_secs,
            } => format!(
                "  build phase {phase} {status}{}",
                duration_secs
                    .map(|s| format!(" ({s}s)"))
                    .unwrap_or_default()
            ),
            ExecutionEvent::ExecutionStatus { status, summary } => format!(
                "execution {status}{}",
                summary
                    .as_deref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// Turns successive observations into events to print (a pure state machine).
#[derive(Debug, Default)]
pub(crate) struct ExecutionWatch {
    last: Observation,
}

impl ExecutionWatch {
    pub(crate) fn observe(&mut self, obs: &Observation) -> Vec<ExecutionEvent> {
        let mut events = Vec::new();
        for a in &obs.actions {
            if !self.last.actions.contains(a) {
                let (stage, status, ext, err) = a.clone();
                events.push(ExecutionEvent::Action {
                    stage,
                    status,
                    external_id: ext,
                    error: err,
                });
            }
        }
        for p in &obs.build_phases {
            if let (Some(status), false) = (&p.1, self.last.build_phases.contains(p)) {
                events.push(ExecutionEvent::BuildPhase {
                    phase: p.0.clone(),
                    status: status.clone(),
                    duration_secs: p.2,
                });
            }
        }
        if obs.status != self.last.status && obs.status != "InProgress" {
            events.push(ExecutionEvent::ExecutionStatus {
                status: obs.status.clone(),
                summary: obs.summary.clone(),
            });
        }
        self.last = obs.clone();
        events
    }
}

/// The lines [`ExecutionWatch::observe`] gives a person (for tests).
#[cfg(test)]
pub(crate) fn human(events: &[ExecutionEvent]) -> Vec<String> {
    events.iter().map(ExecutionEvent::human).collect()
}

/// The exit code of an execution that ended without a deployment to follow.
pub(crate) fn code_of(status: &str) -> Code {
    match status {
        "Succeeded" => Code::Success,
        "Stopped" | "Stopping" | "Superseded" | "Cancelled" => Code::RolledBack,
        _ => Code::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(status: &str, actions: &[(&str, &str, Option<&str>)]) -> Observation {
        Observation {
            status: status.into(),
            summary: None,
            actions: actions
                .iter()
                .map(|(s, st, e)| (s.to_string(), st.to_string(), e.map(String::from), None))
                .collect(),
            build_phases: vec![],
        }
    }

    #[test]
    fn lines_for_changes_only() {
        let mut w = ExecutionWatch::default();
        let a = human(&w.observe(&obs("InProgress", &[("Source", "InProgress", None)])));
        assert_eq!(a, ["Source: InProgress"]);
        assert!(w
            .observe(&obs("InProgress", &[("Source", "InProgress", None)]))
            .is_empty());
        let mut o = obs(
            "InProgress",
            &[
                ("Source", "Succeeded", Some("abc")),
                ("Build", "InProgress", Some("demo:1")),
            ],
        );
        o.build_phases = vec![
            ("SUBMITTED".into(), Some("SUCCEEDED".into()), Some(0)),
            ("BUILD".into(), None, None),
        ];
        assert_eq!(
            human(&w.observe(&o)),
            [
                "Source: Succeeded (abc)",
                "Build: InProgress (demo:1)",
                "  build phase SUBMITTED SUCCEEDED (0s)"
            ]
        );
        let mut end = o.clone();
        end.status = "Failed".into();
        end.summary = Some("Stage Build failed".into());
        end.actions[1] = (
            "Build".into(),
            "Failed".into(),
            Some("demo:1".into()),
            Some("Build terminated with state: FAILED".into()),
        );
        assert_eq!(
            human(&w.observe(&end)),
            [
                "Build: Failed (demo:1): Build terminated with state: FAILED",
                "execution Failed: Stage Build failed"
            ]
        );
    }

    #[test]
    fn json_events_are_typed() {
        let e = ExecutionEvent::BuildPhase {
            phase: "BUILD".into(),
            status: "FAILED".into(),
            duration_secs: Some(31),
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"build_phase","phase":"BUILD","status":"FAILED","duration_secs":31}"#
        );
    }

    #[test]
    fn exit_codes_follow_deploys() {
        assert_eq!(code_of("Succeeded"), Code::Success);
        assert_eq!(code_of("Failed"), Code::Failed);
        assert_eq!(code_of("Superseded"), Code::RolledBack);
        assert_eq!(code_of("Stopped"), Code::RolledBack);
    }
}
