//! The pure watch: a state machine that turns successive [`Observation`]s (what one poll
//! of GetDeployment + GetDeploymentTarget saw) into [`Event`]s and, eventually, an
//! [`Outcome`]. No I/O: unit-tested on plain data.

use serde::Serialize;

use crate::exit::Code;

/// What one poll saw of a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Observation {
    pub deployment_id: String,
    /// CodeDeploy's status: Created, Queued, InProgress, Baking, Ready, Succeeded,
    /// Failed, Stopped.
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub rollback_deployment_id: Option<String>,
    pub rollback_message: Option<String>,
    /// This is a rollback deployment: the deployment it rolls back (CodeDeploy's
    /// `rollbackInfo.rollbackTriggeringDeploymentId`).
    #[serde(skip)]
    pub rolls_back: Option<String>,
    /// Traffic switched; the original task set is kept for the termination wait.
    pub termination_wait_started: bool,
    /// The group's ready wait (when it waits for approval) and termination wait, in
    /// minutes, as the deployment reports them.
    #[serde(skip)]
    pub ready_wait_minutes: Option<i64>,
    #[serde(skip)]
    pub termination_wait_minutes: Option<i64>,
    /// When the deployment was created (epoch seconds).
    #[serde(skip)]
    pub created_at: Option<i64>,
    pub lifecycle_events: Vec<LifecycleObservation>,
    pub task_sets: Vec<TaskSetObservation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct LifecycleObservation {
    pub name: String,
    /// Pending, InProgress, Succeeded, Failed, Skipped, Unknown.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Diagnostics>,
    /// When it ended (epoch seconds).
    #[serde(skip)]
    pub end_time: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Diagnostics {
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub log_tail: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct TaskSetObservation {
    /// `original` (what served before the release) or `replacement` (the new revision).
    /// In a normal deployment these are CodeDeploy's `Blue` and `Green` labels; in a
    /// rollback deployment CodeDeploy labels from the rollback's point of view (its
    /// `Blue` is the failed replacement), so the roles are those of the deployment rolled
    /// back ([`role`]): the same set keeps the same name across the failure and its
    /// rollback.
    pub role: String,
    /// The task set this deployment moves production traffic to (CodeDeploy's `Green`
    /// label): the replacement, or in a rollback the original it restores.
    #[serde(skip)]
    pub receives_traffic: bool,
    /// The task set's name everywhere: the colour of its target group (`blue` for the
    /// stack's `target_group_blue_name`, `green` for the other), as `deployer status`
    /// names the live side; the target group's name when it is neither.
    pub color: String,
    pub identifier: String,
    pub desired: i64,
    pub pending: i64,
    pub running: i64,
    /// Percent of production traffic.
    pub traffic_weight: f64,
    pub target_group: Option<String>,
    pub status: Option<String>,
}

impl TaskSetObservation {
    /// `green (demo-green, replacement)`.
    pub(crate) fn name(&self) -> String {
        match &self.target_group {
            Some(tg) if *tg != self.color => format!("{} ({tg}, {})", self.color, self.role),
            _ => format!("{} ({})", self.color, self.role),
        }
    }

    fn summary(&self) -> String {
        let mut s = format!("{} {}/{} running", self.name(), self.running, self.desired);
        if self.pending > 0 {
            s.push_str(&format!(" ({} pending)", self.pending));
        }
        if self.traffic_weight > 0.0 && self.running == 0 {
            // The listener's weight moved before any task of the set runs (right after a
            // stop, the rollback's original is scaled up after the weight is set): the
            // weight is not traffic served.
            s.push_str(&format!(
                ", {}% traffic weight but no task running to serve it",
                fmt_weight(self.traffic_weight)
            ));
        } else {
            s.push_str(&format!(", {}% traffic", fmt_weight(self.traffic_weight)));
        }
        s
    }
}

/// The role of a task set with CodeDeploy's label `blue_label` (`Blue`: true, `Green`:
/// false) in a deployment that is (`rollback`) or is not a rollback: see
/// [`TaskSetObservation::role`].
pub(crate) fn role(blue_label: bool, rollback: bool) -> &'static str {
    if blue_label != rollback {
        "original"
    } else {
        "replacement"
    }
}

fn fmt_weight(w: f64) -> String {
    if (w - w.round()).abs() < 0.005 {
        format!("{}", w.round() as i64)
    } else {
        format!("{w:.1}")
    }
}

impl Observation {
    /// The task set this deployment moves traffic to, and the one it moves it from.
    fn traffic_sets(&self) -> (Option<&TaskSetObservation>, Option<&TaskSetObservation>) {
        (
            self.task_sets.iter().find(|t| t.receives_traffic),
            self.task_sets.iter().find(|t| !t.receives_traffic),
        )
    }

    /// The error code of a failed lifecycle event's line: the event's own, unless it is
    /// missing or CodeDeploy's catch-all `UnknownError`, then the deployment's (the code
    /// the summary shows, e.g. `ECS_UPDATE_ERROR`): one failure, one code.
    pub(crate) fn failure_code<'a>(&'a self, event: &'a LifecycleObservation) -> Option<&'a str> {
        let own = event
            .diagnostics
            .as_ref()
            .and_then(|d| d.error_code.as_deref())
            .filter(|c| *c != "UnknownError");
        own.or(self.error_code.as_deref()).or_else(|| {
            event
                .diagnostics
                .as_ref()
                .and_then(|d| d.error_code.as_deref())
        })
    }

    fn event_end(&self, names: &[&str]) -> Option<f64> {
        names.iter().find_map(|n| {
            self.lifecycle_events
                .iter()
                .find(|e| e.name == *n && e.status == "Succeeded")
                .and_then(|e| e.end_time)
        })
    }

    /// When the ready wait ends: it starts once test traffic is verified.
    pub(crate) fn ready_wait_until(&self) -> Option<f64> {
        let minutes = self.ready_wait_minutes.filter(|m| *m > 0)?;
        let start =
            self.event_end(&["AfterAllowTestTraffic", "AllowTestTraffic", "AfterInstall"])?;
        Some(start + minutes as f64 * 60.0)
    }

    /// When the termination wait ends: it starts once production traffic switched.
    pub(crate) fn termination_wait_until(&self) -> Option<f64> {
        let minutes = self.termination_wait_minutes?;
        let start = self.event_end(&["AfterAllowTraffic", "AllowTraffic"])?;
        Some(start + minutes as f64 * 60.0)
    }
}

/// `08:48:25 UTC` from epoch seconds (the date too when it is not today's).
pub(crate) fn fmt_clock_time(secs: f64) -> String {
    let dt = aws_smithy_types::DateTime::from_secs(secs.round() as i64);
    let text = dt
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default();
    let now = deployer_models::time::now_millis() / 1000;
    let same_day = now / 86_400 == dt.secs() / 86_400;
    match text.split_once('T') {
        Some((_, time)) if same_day => format!("{} UTC", time.trim_end_matches('Z')),
        Some((day, time)) => format!("{day} {} UTC", time.trim_end_matches('Z')),
        None => text,
    }
}

/// One thing worth telling the person (or the JSON consumer) about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Event {
    /// The deployment's status changed.
    DeploymentStatus {
        deployment_id: String,
        status: String,
    },
    /// A lifecycle event changed status.
    Lifecycle {
        name: String,
        status: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        diagnostics: Option<Diagnostics>,
    },
    /// Task set counts or traffic weights changed.
    TaskSets { task_sets: Vec<TaskSetObservation> },
    /// The replacement task set is ready; production traffic waits for `deployer
    /// continue` (until `until`, when the deployment is stopped).
    ReadyWait {
        deployment_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        replacement: Option<String>,
        /// When the ready wait ends (epoch seconds; RFC 3339 in JSON).
        #[serde(
            skip_serializing_if = "Option::is_none",
            serialize_with = "crate::output::time::opt"
        )]
        until: Option<f64>,
    },
    /// Traffic is on the replacement; the original task set is kept until the
    /// termination wait ends, at `until` (`deployer continue --termination` ends it now).
    TerminationWait {
        deployment_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        live: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        original: Option<String>,
        /// When the termination wait ends (epoch seconds; RFC 3339 in JSON).
        #[serde(
            skip_serializing_if = "Option::is_none",
            serialize_with = "crate::output::time::opt"
        )]
        until: Option<f64>,
    },
    /// CodeDeploy started a rollback deployment.
    Rollback {
        deployment_id: String,
        rollback_deployment_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}

impl Event {
    /// The human line for this event.
    pub(crate) fn human(&self) -> String {
        match self {
            Event::DeploymentStatus {
                deployment_id,
                status,
            } => format!("{deployment_id} {status}"),
            Event::Lifecycle {
                name,
                status,
                diagnostics,
            } => {
                let mut s = format!("{name:<22} {status}");
                if let Some(d) = diagnostics {
                    if let Some(m) = d.message.as_deref().filter(|m| !m.is_empty()) {
                        s.push_str(&format!(": {m}"));
                    }
                }
                s
            }
            Event::TaskSets { task_sets } => {
                let parts: Vec<String> = task_sets.iter().map(|t| t.summary()).collect();
                format!("task sets: {}", parts.join(" · "))
            }
            Event::ReadyWait {
                deployment_id,
                replacement,
                until,
            } => format!(
                "{} is ready; production traffic waits for approval{} \
                 (`deployer continue {deployment_id}`)",
                replacement.as_deref().unwrap_or("the replacement task set"),
                until
                    .map(|t| format!(
                        " until {}, then the deployment is stopped",
                        fmt_clock_time(t)
                    ))
                    .unwrap_or_default()
            ),
            Event::TerminationWait {
                deployment_id,
                live,
                original,
                until,
            } => format!(
                "traffic is on {}; {} is kept for the termination wait{} \
                 (`deployer continue --termination {deployment_id}` ends it now)",
                live.as_deref().unwrap_or("the replacement task set"),
                original.as_deref().unwrap_or("the original task set"),
                until
                    .map(|t| format!(" until {}", fmt_clock_time(t)))
                    .unwrap_or_default()
            ),
            Event::Rollback {
                deployment_id,
                rollback_deployment_id,
                message,
            } => {
                let mut s =
                    format!("{deployment_id} is being rolled back by {rollback_deployment_id}");
                if let Some(m) = message {
                    s.push_str(&format!(": {m}"));
                }
                s
            }
        }
    }
}

/// How a watch ended (besides timeouts and interrupts, which the loop decides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Succeeded,
    /// `--wait-until` was reached.
    Reached(String),
    Failed,
    Stopped,
    /// Stopped by CodeDeploy because an alarm of the group went to ALARM (ALARM_ACTIVE):
    /// a release that failed its guard, not a person's stop, so it exits as a failure.
    AlarmStopped,
}

impl Outcome {
    pub(crate) fn code(&self) -> Code {
        match self {
            Outcome::Succeeded | Outcome::Reached(_) => Code::Success,
            Outcome::Failed | Outcome::AlarmStopped => Code::Failed,
            Outcome::Stopped => Code::RolledBack,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Reached(_) => "reached",
            Outcome::Failed => "failed",
            Outcome::Stopped => "stopped",
            Outcome::AlarmStopped => "stopped",
        }
    }
}

/// The pure watch: remembers the previous observation and reports what changed.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    prev: Option<Observation>,
    wait_until: Option<String>,
}

impl Watch {
    pub(crate) fn new(wait_until: Option<String>) -> Watch {
        Watch {
            prev: None,
            wait_until,
        }
    }

    /// Feeds one observation; returns the events since the previous one, and the outcome
    /// once the watch is over.
    pub(crate) fn observe(&mut self, obs: &Observation) -> (Vec<Event>, Option<Outcome>) {
        let mut events = Vec::new();
        let prev = self.prev.take().unwrap_or_default();

        if obs.status != prev.status {
            events.push(Event::DeploymentStatus {
                deployment_id: obs.deployment_id.clone(),
                status: obs.status.clone(),
            });
        }
        for ev in &obs.lifecycle_events {
            let before = prev
                .lifecycle_events
                .iter()
                .find(|p| p.name == ev.name)
                .map(|p| p.status.as_str());
            // Pending is the starting state: not worth a line.
            let changed = match before {
                Some(b) => b != ev.status,
                None => ev.status != "Pending",
            };
            if changed {
                // A failure's code is the one the summary gives (see `failure_code`).
                let diagnostics = ev
                    .diagnostics
                    .clone()
                    .filter(|_| ev.status == "Failed")
                    .map(|d| Diagnostics {
                        error_code: obs.failure_code(ev).map(str::to_owned),
                        ..d
                    });
                events.push(Event::Lifecycle {
                    name: ev.name.clone(),
                    status: ev.status.clone(),
                    diagnostics,
                });
            }
        }
        if !obs.task_sets.is_empty() && obs.task_sets != prev.task_sets {
            events.push(Event::TaskSets {
                task_sets: obs.task_sets.clone(),
            });
        }
        if obs.status == "Ready" && prev.status != "Ready" {
            events.push(Event::ReadyWait {
                deployment_id: obs.deployment_id.clone(),
                replacement: obs.traffic_sets().0.map(|t| t.name()),
                until: obs.ready_wait_until(),
            });
        }
        if obs.termination_wait_started
            && !prev.termination_wait_started
            && !crate::aws::codedeploy::is_finished(&obs.status)
        {
            events.push(Event::TerminationWait {
                deployment_id: obs.deployment_id.clone(),
                live: obs.traffic_sets().0.map(|t| t.name()),
                original: obs.traffic_sets().1.map(|t| t.name()),
                until: obs.termination_wait_until(),
            });
        }
        if let Some(rb) = &obs.rollback_deployment_id {
            if prev.rollback_deployment_id.as_ref() != Some(rb) {
                events.push(Event::Rollback {
                    deployment_id: obs.deployment_id.clone(),
                    rollback_deployment_id: rb.clone(),
                    message: obs.rollback_message.clone(),
                });
            }
        }

        let outcome = match obs.status.as_str() {
            "Succeeded" => Some(Outcome::Succeeded),
            "Failed" => Some(Outcome::Failed),
            "Stopped" if obs.error_code.as_deref() == Some("ALARM_ACTIVE") => {
                Some(Outcome::AlarmStopped)
            }
            "Stopped" => Some(Outcome::Stopped),
            _ => self
                .wait_until
                .as_deref()
                .filter(|m| reached(obs, m))
                .map(|m| Outcome::Reached(m.to_owned())),
        };
        self.prev = Some(obs.clone());
        (events, outcome)
    }

    /// The last observation fed in.
    pub(crate) fn last(&self) -> Option<&Observation> {
        self.prev.as_ref()
    }
}

fn reached(obs: &Observation, milestone: &str) -> bool {
    match milestone {
        "ReadyWait" => obs.status == "Ready",
        "TerminationWait" => obs.termination_wait_started,
        name => obs
            .lifecycle_events
            .iter()
            .any(|e| e.name == name && (e.status == "Succeeded" || e.status == "Skipped")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(status: &str) -> Observation {
        Observation {
            deployment_id: "d-ABCDE1234".into(),
            status: status.into(),
            ..Observation::default()
        }
    }

    fn with_events(mut o: Observation, events: &[(&str, &str)]) -> Observation {
        o.lifecycle_events = events
            .iter()
            .map(|(n, s)| LifecycleObservation {
                name: (*n).into(),
                status: (*s).into(),
                diagnostics: None,
                end_time: Some(1_000.0),
            })
            .collect();
        o
    }

    #[test]
    fn a_successful_deployment_reports_each_change_once() {
        let mut w = Watch::new(None);
        let (ev, end) = w.observe(&obs("Created"));
        assert_eq!(ev.len(), 1);
        assert_eq!(end, None);
        let o = with_events(
            obs("InProgress"),
            &[("Install", "InProgress"), ("AllowTraffic", "Pending")],
        );
        let (ev, end) = w.observe(&o);
        assert_eq!(
            ev,
            vec![
                Event::DeploymentStatus {
                    deployment_id: "d-ABCDE1234".into(),
                    status: "InProgress".into()
                },
                Event::Lifecycle {
                    name: "Install".into(),
                    status: "InProgress".into(),
                    diagnostics: None
                },
            ]
        );
        assert_eq!(end, None);
        // Same observation again: nothing new.
        let (ev, _) = w.observe(&o);
        assert!(ev.is_empty(), "{ev:?}");
        let done = with_events(
            obs("Succeeded"),
            &[("Install", "Succeeded"), ("AllowTraffic", "Succeeded")],
        );
        let (ev, end) = w.observe(&done);
        assert_eq!(ev.len(), 3, "{ev:?}");
        assert_eq!(end, Some(Outcome::Succeeded));
        assert_eq!(end.unwrap().code(), Code::Success);
    }

    #[test]
    fn failure_carries_diagnostics_and_rollback() {
        let mut w = Watch::new(None);
        w.observe(&obs("InProgress"));
        let mut o = with_events(obs("Failed"), &[("AllowTestTraffic", "Failed")]);
        o.lifecycle_events[0].diagnostics = Some(Diagnostics {
            error_code: Some("ScriptFailed".into()),
            message: Some("target unhealthy".into()),
            log_tail: None,
        });
        o.rollback_deployment_id = Some("d-ROLLBACK1".into());
        let (ev, end) = w.observe(&o);
        assert_eq!(end, Some(Outcome::Failed));
        assert_eq!(end.unwrap().code(), Code::Failed);
        let lifecycle = ev
            .iter()
            .find(|e| matches!(e, Event::Lifecycle { .. }))
            .expect("a lifecycle event");
        assert!(
            lifecycle.human().contains("target unhealthy"),
            "{}",
            lifecycle.human()
        );
        assert!(ev.iter().any(|e| matches!(e, Event::Rollback { rollback_deployment_id, .. } if rollback_deployment_id == "d-ROLLBACK1")));
    }

    #[test]
    fn stopped_is_rolled_back() {
        let mut w = Watch::new(None);
        let (_, end) = w.observe(&obs("Stopped"));
        assert_eq!(end.unwrap().code(), Code::RolledBack);
    }

    /// A deployment CodeDeploy stopped on an alarm is a failed release (exit 3); one a
    /// person stopped stays 4.
    #[test]
    fn stopped_by_an_alarm_is_a_failure() {
        let mut o = obs("Stopped");
        o.error_code = Some("ALARM_ACTIVE".into());
        let (_, end) = Watch::new(None).observe(&o);
        assert_eq!(end, Some(Outcome::AlarmStopped));
        assert_eq!(end.unwrap().code(), Code::Failed);
        o.error_code = Some("MANUAL_STOP".into());
        let (_, end) = Watch::new(None).observe(&o);
        assert_eq!(end.unwrap().code(), Code::RolledBack);
    }

    #[test]
    fn waits_announce_themselves_and_can_end_the_watch() {
        let mut w = Watch::new(Some("TerminationWait".into()));
        let (ev, end) = w.observe(&obs("Ready"));
        assert!(ev.iter().any(|e| matches!(e, Event::ReadyWait { .. })));
        assert_eq!(end, None);
        let mut o = obs("InProgress");
        o.termination_wait_started = true;
        let (ev, end) = w.observe(&o);
        assert!(ev
            .iter()
            .any(|e| matches!(e, Event::TerminationWait { .. })));
        assert_eq!(end, Some(Outcome::Reached("TerminationWait".into())));
    }

    #[test]
    fn wait_until_a_lifecycle_event_needs_it_succeeded() {
        let mut w = Watch::new(Some("AfterAllowTestTraffic".into()));
        let (_, end) = w.observe(&with_events(
            obs("InProgress"),
            &[("AfterAllowTestTraffic", "InProgress")],
        ));
        assert_eq!(end, None);
        let (_, end) = w.observe(&with_events(
            obs("InProgress"),
            &[("AfterAllowTestTraffic", "Succeeded")],
        ));
        assert_eq!(end, Some(Outcome::Reached("AfterAllowTestTraffic".into())));
    }

    #[test]
    fn task_set_changes_are_reported() {
        let mut w = Watch::new(None);
        let mut o = obs("InProgress");
        o.task_sets = vec![TaskSetObservation {
            role: "original".into(),
            color: "blue".into(),
            desired: 1,
            running: 1,
            traffic_weight: 100.0,
            ..TaskSetObservation::default()
        }];
        let (ev, _) = w.observe(&o);
        let line = ev
            .iter()
            .find(|e| matches!(e, Event::TaskSets { .. }))
            .unwrap()
            .human();
        assert_eq!(line, "task sets: blue (original) 1/1 running, 100% traffic");
        let (ev, _) = w.observe(&o);
        assert!(ev.is_empty());
    }

    #[test]
    fn waits_say_until_when_and_name_task_sets_by_target_group() {
        let mut o = with_events(obs("InProgress"), &[("AllowTraffic", "Succeeded")]);
        o.termination_wait_started = true;
        o.termination_wait_minutes = Some(5);
        o.task_sets = vec![
            TaskSetObservation {
                role: "original".into(),
                color: "green".into(),
                target_group: Some("demo-green".into()),
                ..TaskSetObservation::default()
            },
            TaskSetObservation {
                role: "replacement".into(),
                receives_traffic: true,
                color: "blue".into(),
                target_group: Some("demo-blue".into()),
                traffic_weight: 100.0,
                ..TaskSetObservation::default()
            },
        ];
        let mut w = Watch::new(None);
        let (ev, _) = w.observe(&o);
        let wait = ev
            .iter()
            .find(|e| matches!(e, Event::TerminationWait { .. }))
            .expect("a termination wait event");
        assert_eq!(
            *wait,
            Event::TerminationWait {
                deployment_id: "d-ABCDE1234".into(),
                live: Some("blue (demo-blue, replacement)".into()),
                original: Some("green (demo-green, original)".into()),
                until: Some(1_300.0),
            }
        );
        let line = wait.human();
        assert!(line.starts_with("traffic is on blue (demo-blue, replacement); green (demo-green, original) is kept for the termination wait until 1970-01-01 00:21:40 UTC"), "{line}");

        let mut r = with_events(obs("Ready"), &[("AfterAllowTestTraffic", "Succeeded")]);
        r.ready_wait_minutes = Some(10);
        assert_eq!(r.ready_wait_until(), Some(1_600.0));
        r.ready_wait_minutes = None;
        assert_eq!(r.ready_wait_until(), None);
    }

    #[test]
    fn json_events_are_tagged() {
        let e = Event::Lifecycle {
            name: "Install".into(),
            status: "Succeeded".into(),
            diagnostics: None,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "lifecycle");
        assert_eq!(v["name"], "Install");
        let wait = Event::TerminationWait {
            deployment_id: "d-ABCDE1234".into(),
            live: None,
            original: None,
            until: Some(1_300.0),
        };
        let v = serde_json::to_value(&wait).unwrap();
        assert_eq!(v["type"], "termination_wait");
        assert_eq!(
            v["until"], "1970-01-01T00:21:40Z",
            "times are RFC 3339: {v}"
        );
    }

    #[test]
    fn a_rollback_names_each_task_set_as_the_deployment_it_rolls_back_did() {
        // The failed deployment: blue served (CodeDeploy's Blue label), green replaced.
        assert_eq!(role(true, false), "original");
        assert_eq!(role(false, false), "replacement");
        // Its rollback labels the other way round (Blue: the failed green set).
        assert_eq!(role(true, true), "replacement");
        assert_eq!(role(false, true), "original");
        let set = |color: &str, role: &str, receives: bool, running: i64, weight: f64| {
            TaskSetObservation {
                role: role.into(),
                receives_traffic: receives,
                color: color.into(),
                target_group: Some(format!("demo-{color}")),
                desired: running,
                running,
                traffic_weight: weight,
                ..TaskSetObservation::default()
            }
        };
        let mut o = with_events(obs("InProgress"), &[("AllowTraffic", "Succeeded")]);
        o.rolls_back = Some("d-FAILED123".into());
        o.termination_wait_started = true;
        o.task_sets = vec![
            set("blue", role(false, true), true, 2, 100.0),
            set("green", role(true, true), false, 0, 0.0),
        ];
        o.task_sets.sort_by(|a, b| a.role.cmp(&b.role));
        let mut w = Watch::new(None);
        let (ev, _) = w.observe(&o);
        let lines: Vec<String> = ev.iter().map(Event::human).collect();
        assert!(
            lines.contains(
                &"task sets: blue (demo-blue, original) 2/2 running, 100% traffic · green \
                  (demo-green, replacement) 0/0 running, 0% traffic"
                    .to_owned()
            ),
            "{lines:#?}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with(
                "traffic is on blue (demo-blue, original); green (demo-green, replacement) \
                 is kept"
            )),
            "{lines:#?}"
        );
    }

    #[test]
    fn a_weight_with_no_running_task_is_not_called_traffic() {
        let t = TaskSetObservation {
            role: "replacement".into(),
            color: "blue".into(),
            target_group: Some("demo-blue".into()),
            traffic_weight: 100.0,
            ..TaskSetObservation::default()
        };
        assert_eq!(
            t.summary(),
            "blue (demo-blue, replacement) 0/0 running, 100% traffic weight but no task \
             running to serve it"
        );
        let serving = TaskSetObservation {
            running: 2,
            desired: 2,
            ..t
        };
        assert_eq!(
            serving.summary(),
            "blue (demo-blue, replacement) 2/2 running, 100% traffic"
        );
    }

    #[test]
    fn a_failed_event_shows_the_deployments_code_over_unknown_error() {
        let mut o = with_events(obs("Failed"), &[("Install", "Failed")]);
        o.error_code = Some("ECS_UPDATE_ERROR".into());
        o.lifecycle_events[0].diagnostics = Some(Diagnostics {
            error_code: Some("UnknownError".into()),
            message: Some("health checks".into()),
            log_tail: None,
        });
        assert_eq!(
            o.failure_code(&o.lifecycle_events[0]),
            Some("ECS_UPDATE_ERROR")
        );
        // The JSON event carries the same code as the line and the summary.
        let mut w = Watch::new(None);
        w.observe(&obs("InProgress"));
        let (ev, _) = w.observe(&o);
        let failed = ev
            .iter()
            .find_map(|e| match e {
                Event::Lifecycle { diagnostics, .. } => diagnostics.clone(),
                _ => None,
            })
            .expect("the failed event's diagnostics");
        assert_eq!(failed.error_code.as_deref(), Some("ECS_UPDATE_ERROR"));
        assert_eq!(failed.message.as_deref(), Some("health checks"));
        // A specific code of the event's own is kept.
        o.lifecycle_events[0]
            .diagnostics
            .as_mut()
            .unwrap()
            .error_code = Some("ScriptFailed".into());
        assert_eq!(o.failure_code(&o.lifecycle_events[0]), Some("ScriptFailed"));
        // With nothing better, the catch-all is still shown.
        o.error_code = None;
        o.lifecycle_events[0]
            .diagnostics
            .as_mut()
            .unwrap()
            .error_code = Some("UnknownError".into());
        assert_eq!(o.failure_code(&o.lifecycle_events[0]), Some("UnknownError"));
    }
}
