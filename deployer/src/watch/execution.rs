//! A pipeline execution's watch, the pure part: observations of an execution in, lines
//! to print and an exit code out (what [`super::machine`] is for a deployment). Its AWS
//! reads and its loop are [`super::pipeline`]'s.

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

/// Turns successive observations into lines to print (a pure state machine).
#[derive(Debug, Default)]
pub(crate) struct ExecutionWatch {
    last: Observation,
}

impl ExecutionWatch {
    pub(crate) fn observe(&mut self, obs: &Observation) -> Vec<String> {
        let mut lines = Vec::new();
        for a in &obs.actions {
            if !self.last.actions.contains(a) {
                let (stage, status, ext, err) = a;
                lines.push(format!(
                    "{stage}: {status}{}{}",
                    ext.as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default(),
                    err.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                ));
            }
        }
        for p in &obs.build_phases {
            if p.1.is_some() && !self.last.build_phases.contains(p) {
                lines.push(format!(
                    "  build phase {} {}{}",
                    p.0,
                    p.1.as_deref().unwrap_or(""),
                    p.2.map(|s| format!(" ({s}s)")).unwrap_or_default()
                ));
            }
        }
        if obs.status != self.last.status && obs.status != "InProgress" {
            lines.push(format!(
                "execution {}{}",
                obs.status,
                obs.summary
                    .as_deref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default()
            ));
        }
        self.last = obs.clone();
        lines
    }
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
        let a = w.observe(&obs("InProgress", &[("Source", "InProgress", None)]));
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
            w.observe(&o),
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
            w.observe(&end),
            [
                "Build: Failed (demo:1): Build terminated with state: FAILED",
                "execution Failed: Stage Build failed"
            ]
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
