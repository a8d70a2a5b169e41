//! Progress reporting while watching: a live spinner line on a terminal (indicatif),
//! plain timestamped lines on stderr otherwise, or one JSON object per line on stdout
//! with `--output json` (through [`crate::output::emit`]: the contract of docs/CONTRACTS.md).
//! Results (the summary) go to stdout; progress goes to stderr.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::aws::ecs::StoppedTask;
use crate::options::OutputFormat;
use crate::watch::machine::{Event, Observation};

/// The end of a watch, as a summary line (human) or a `summary` object (JSON).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary {
    pub deployment_id: String,
    pub outcome: String,
    pub status: String,
    /// The `--wait-until` point, when the watch stopped there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<String>,
    pub exit_code: u8,
    pub elapsed_secs: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stopped_tasks: Vec<StoppedTask>,
    /// Which release guard stopped it (a validation hook and its failing check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guard: Option<String>,
}

pub(crate) struct Reporter {
    output: OutputFormat,
    bar: Option<ProgressBar>,
}

impl Reporter {
    pub(crate) fn new(output: OutputFormat) -> Reporter {
        let bar = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
                bar.set_style(style);
            }
            // indicatif hides the bar on a terminal it cannot draw on (TERM unset or
            // `dumb`, e.g. Emacs' shell), and a hidden bar's `println` prints nothing:
            // then plain lines instead, or every progress line would vanish.
            if bar.is_hidden() {
                None
            } else {
                bar.enable_steady_tick(Duration::from_millis(120));
                Some(bar)
            }
        } else {
            None
        };
        Reporter { output, bar }
    }

    /// A reporter of plain lines only (no live status line): a pipeline execution's
    /// watch, which hands the terminal to a deployment's reporter later.
    pub(crate) fn plain(output: OutputFormat) -> Reporter {
        Reporter { output, bar: None }
    }

    /// One step of a pipeline execution: a `kind` object on stdout (`--output json`), or
    /// `[m:ss] human` on stderr.
    pub(crate) fn execution_event<T: Serialize>(
        &self,
        elapsed: Duration,
        kind: &str,
        value: &T,
        human: &str,
    ) {
        let t = elapsed.as_secs();
        match self.output {
            OutputFormat::Json => {
                // A value typed itself (an `ExecutionEvent`) keeps its own type.
                let mut v = serde_json::to_value(value).unwrap_or_default();
                let kind = v["type"].as_str().unwrap_or(kind).to_owned();
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("elapsed_secs".into(), t.into());
                }
                crate::output::emit(&kind, &v);
            }
            OutputFormat::Human => {
                for line in human.lines() {
                    self.stderr_line(&format!("[{:>2}:{:02}] {line}", t / 60, t % 60));
                }
            }
        }
    }

    /// A first line on stderr.
    pub(crate) fn start(&self, text: &str) {
        self.stderr_line(text);
    }

    /// One event: a JSON line on stdout (`--output json`), or a human line on stderr.
    pub(crate) fn event(&self, elapsed: Duration, event: &Event) {
        match self.output {
            OutputFormat::Json => {
                let mut v = serde_json::to_value(event).unwrap_or_default();
                let kind = v["type"].as_str().unwrap_or("event").to_owned();
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("elapsed_secs".into(), elapsed.as_secs().into());
                }
                crate::output::emit(&kind, &v);
            }
            OutputFormat::Human => {
                self.stderr_line(&format!("[{:>6}] {}", clock(elapsed), event.human()))
            }
        }
    }

    /// The live status line (terminal only).
    pub(crate) fn status(&self, elapsed: Duration, obs: &Observation) {
        let Some(bar) = &self.bar else { return };
        let mut msg = format!("{} {}", obs.deployment_id, obs.status);
        if let Some(ev) = obs
            .lifecycle_events
            .iter()
            .find(|e| e.status == "InProgress")
        {
            msg.push_str(&format!(" · {}", ev.name));
        }
        for t in &obs.task_sets {
            msg.push_str(&format!(
                " · {} {}/{} {}%",
                t.color,
                t.running,
                t.desired,
                t.traffic_weight.round() as i64
            ));
        }
        if obs.status == "Ready" {
            if let Some(t) = obs.ready_wait_until() {
                msg.push_str(&format!(
                    " · waits for approval until {}",
                    crate::watch::machine::fmt_clock_time(t)
                ));
            }
        } else if obs.termination_wait_started {
            if let Some(t) = obs.termination_wait_until() {
                msg.push_str(&format!(
                    " · original kept until {}",
                    crate::watch::machine::fmt_clock_time(t)
                ));
            }
        }
        msg.push_str(&format!(" · {}", clock(elapsed)));
        bar.set_message(msg);
    }

    /// A free-form progress line on stderr (also in JSON mode: stdout stays parseable).
    pub(crate) fn line(&self, elapsed: Duration, text: &str) {
        self.stderr_line(&format!("[{:>6}] {text}", clock(elapsed)));
    }

    /// The final summary: JSON on stdout, or a human line on stdout.
    pub(crate) fn summary(&self, summary: &Summary) {
        self.finish();
        match self.output {
            OutputFormat::Json => crate::output::emit("summary", summary),
            OutputFormat::Human => {
                let outcome = match &summary.milestone {
                    Some(m) => format!("reached {m}"),
                    None => summary.outcome.clone(),
                };
                let mut text = format!(
                    "deployment {} {outcome} (status {}) after {}",
                    summary.deployment_id,
                    summary.status,
                    clock(Duration::from_secs(summary.elapsed_secs))
                );
                if let Some(e) = &summary.error {
                    text.push_str(&format!(": {e}"));
                }
                if let Some(g) = &summary.guard {
                    text.push_str(&format!("; stopped by {g}"));
                }
                if let Some(rb) = &summary.rollback_deployment_id {
                    text.push_str(&format!(
                        "; rolled back by {rb} ({})",
                        summary.rollback_status.as_deref().unwrap_or("following")
                    ));
                }
                println!("{text}");
            }
        }
    }

    /// Asks a one-letter question on the terminal; `None` when there is no answer.
    pub(crate) async fn ask(&self, question: &str) -> Option<char> {
        let question = question.to_owned();
        let answer = match &self.bar {
            Some(bar) => {
                let bar = bar.clone();
                tokio::task::spawn_blocking(move || bar.suspend(|| prompt(&question))).await
            }
            None => tokio::task::spawn_blocking(move || prompt(&question)).await,
        };
        answer
            .ok()
            .flatten()
            .and_then(|s| s.trim().chars().next())
            .map(|c| c.to_ascii_lowercase())
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn stderr_line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}

fn prompt(question: &str) -> Option<String> {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    match std::io::stdin().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line),
    }
}

/// Formats a duration as `m:ss` (or `h:mm:ss`).
pub(crate) fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_formats() {
        assert_eq!(clock(Duration::from_secs(65)), "1:05");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
    }
}
