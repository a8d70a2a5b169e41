//! What a release guard said, for the watch's report: a validation hook's result read from
//! its own log (the hook logs one line with its verdict as JSON after `report=`: both
//! sides' figures and the reasons of a failure), and the sentence the failure summary
//! uses to say which guard stopped the release. Pure: the reads are in `aws/`.

use serde::Deserialize;

use crate::aws::cloudwatch::AlarmState;

/// How many of a hook function's last log lines a report shows.
pub(crate) const HOOK_LOG_LINES: usize = 8;

/// The part of the hook's report the watch shows.
#[derive(Debug, Default, Deserialize)]
struct Report {
    #[serde(default)]
    passed: bool,
    #[serde(default)]
    failures: Vec<String>,
    verdict: Option<Verdict>,
}

#[derive(Debug, Default, Deserialize)]
struct Verdict {
    green: Side,
    blue: Option<Side>,
}

#[derive(Debug, Default, Deserialize)]
struct Side {
    requests: u32,
    errors: u32,
    latency_ms: Option<Latency>,
}

#[derive(Debug, Default, Deserialize)]
struct Latency {
    p99: f64,
}

/// One hook's result.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HookResult {
    pub(crate) event: String,
    pub(crate) function: String,
    pub(crate) failed: bool,
    /// The first reason of a failure (the failing check), when the log has the report.
    pub(crate) check: Option<String>,
    /// `green p99 1.2 ms (0/40 errors), blue p99 1.0 ms (0/40 errors)`.
    pub(crate) figures: Option<String>,
}

fn side(name: &str, s: &Side) -> String {
    let p99 = s
        .latency_ms
        .as_ref()
        .map_or("-".to_string(), |l| format!("{:.1} ms", l.p99));
    format!("{name} p99 {p99} ({}/{} errors)", s.errors, s.requests)
}

impl HookResult {
    /// The result of hook `function` at `event` (`failed`: its lifecycle event failed),
    /// with the check and the figures of the last report line among `lines`.
    pub(crate) fn from_log(event: &str, function: &str, failed: bool, lines: &[String]) -> Self {
        let report: Option<Report> = lines.iter().rev().find_map(|l| {
            let (_, json) = l.split_once("report=")?;
            serde_json::from_str(json.trim()).ok()
        });
        let check = report
            .as_ref()
            .filter(|r| !r.passed)
            .and_then(|r| r.failures.first().cloned());
        let figures = report.as_ref().and_then(|r| r.verdict.as_ref()).map(|v| {
            let mut f = side("green", &v.green);
            if let Some(b) = &v.blue {
                f.push_str(&format!(", {}", side("blue", b)));
            }
            f
        });
        HookResult {
            event: event.to_string(),
            function: function.to_string(),
            failed,
            check,
            figures,
        }
    }

    /// The report's lines: the result, the figures, the log's last lines.
    pub(crate) fn text(&self, lines: &[String]) -> String {
        let name = self.function.rsplit(':').next().unwrap_or(&self.function);
        let mut text = format!(
            "hook {name} ({}): {}",
            self.event,
            if self.failed { "Failed" } else { "Succeeded" }
        );
        if let Some(c) = &self.check {
            text.push_str(&format!(": {c}"));
        }
        if let Some(f) = &self.figures {
            text.push_str(&format!("\n  {f}"));
        }
        if !lines.is_empty() {
            text.push_str(&format!("\n  last log lines (/aws/lambda/{name}):"));
            for l in lines {
                text.push_str(&format!("\n    {}", shown_line(l)));
            }
        }
        text
    }

    /// Which guard stopped the release, for the summary.
    pub(crate) fn guard(&self) -> String {
        let name = self.function.rsplit(':').next().unwrap_or(&self.function);
        match &self.check {
            Some(c) => format!("the validation hook {name} ({}): {c}", self.event),
            None => format!("the validation hook {name} ({})", self.event),
        }
    }
}

/// A hook's log line as a report shows it: the verdict line is long, and its figures are
/// shown apart ([`HookResult::figures`]), so its JSON is cut to `report=...`.
pub(crate) fn shown_line(line: &str) -> String {
    match line.split_once(" report=") {
        Some((head, _)) => format!("{head} report=..."),
        None => line.trim_end().to_string(),
    }
}

/// Which alarm stopped a release that CodeDeploy stopped with ALARM_ACTIVE, for the
/// summary: the alarms its `message` names (`... Activated alarms: <a, b>`, the local
/// stack's wording; AWS's is not published), else those of `states` in ALARM; each with
/// its rule and the metric's value when known. `None` when neither names one.
pub(crate) fn alarm_guard(message: Option<&str>, states: &[AlarmState]) -> Option<String> {
    let named: Vec<String> = message
        .and_then(|m| m.rsplit_once("Activated alarms: <"))
        .map(|(_, rest)| {
            rest.trim_end_matches(['>', '.'])
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let alarms: Vec<String> = states
        .iter()
        .filter(|a| named.contains(&a.name) || (named.is_empty() && a.state == "ALARM"))
        .map(|a| match a.value {
            Some(v) => format!("the alarm {} ({}, value {v:?})", a.name, a.rule),
            None => format!("the alarm {} ({})", a.name, a.rule),
        })
        .collect();
    if !alarms.is_empty() {
        return Some(alarms.join(" and "));
    }
    (!named.is_empty()).then(|| format!("the alarm {}", named.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#" INFO Lambda runtime invoke{requestId="1"}: green failed the checks deployment_id=d-1 passed=false report={"deployment_id":"d-1","passed":false,"failures":["green p99 312.0 ms is above 2 x blue's 1.1 ms"],"green_target_group":"demo-green","blue_target_group":"demo-blue","verdict":{"passed":false,"failures":["x"],"green":{"url":"u","requests":40,"ok":40,"errors":0,"latency_ms":{"p50":301.0,"p90":305.0,"p99":312.0,"max":320.0}},"blue":{"url":"u","requests":40,"ok":40,"errors":0,"latency_ms":{"p50":1.0,"p90":1.0,"p99":1.1,"max":2.0}}}}"#;

    #[test]
    fn a_failed_hook_names_its_check_and_both_p99s() {
        let lines = vec![
            "START RequestId: 1 Version: $LATEST".to_string(),
            LINE.to_string(),
            "END RequestId: 1".to_string(),
        ];
        let h = HookResult::from_log("AfterAllowTestTraffic", "demo-validate", true, &lines);
        assert_eq!(
            h.check.as_deref(),
            Some("green p99 312.0 ms is above 2 x blue's 1.1 ms")
        );
        assert_eq!(
            h.figures.as_deref(),
            Some("green p99 312.0 ms (0/40 errors), blue p99 1.1 ms (0/40 errors)")
        );
        let text = h.text(&lines);
        assert!(
            text.starts_with("hook demo-validate (AfterAllowTestTraffic): Failed: green p99"),
            "{text}"
        );
        assert!(
            text.contains("last log lines (/aws/lambda/demo-validate):\n    START"),
            "{text}"
        );
        assert!(text.contains("passed=false report=...\n    END"), "{text}");
        assert_eq!(
            h.guard(),
            "the validation hook demo-validate (AfterAllowTestTraffic): green p99 312.0 ms is above 2 x blue's 1.1 ms"
        );
    }

    #[test]
    fn a_hook_without_a_report_still_says_what_happened() {
        let lines = vec!["Task timed out after 120.00 seconds".to_string()];
        let h = HookResult::from_log(
            "AfterAllowTestTraffic",
            "arn:aws:lambda:us-east-1:1:function:v",
            true,
            &lines,
        );
        assert_eq!(h.check, None);
        assert_eq!(h.guard(), "the validation hook v (AfterAllowTestTraffic)");
        let ok = HookResult::from_log("AfterAllowTestTraffic", "v", false, &[]);
        assert_eq!(ok.text(&[]), "hook v (AfterAllowTestTraffic): Succeeded");
    }

    fn alarm(name: &str, state: &str, value: Option<f64>) -> AlarmState {
        AlarmState {
            name: name.into(),
            state: state.into(),
            reason: String::new(),
            value,
            threshold: Some(5.0),
            rule: "Http5xx Sum >= 5".into(),
            updated_ms: None,
            window_secs: 120,
        }
    }

    #[test]
    fn the_alarm_guard_names_the_alarms_of_the_message_else_those_in_alarm() {
        let states = [
            alarm("demo-http-5xx", "ALARM", Some(7.0)),
            alarm("demo-unhealthy", "OK", None),
        ];
        let msg = "One or more alarms have been activated ... Activated alarms: <demo-unhealthy>";
        assert_eq!(
            alarm_guard(Some(msg), &states).as_deref(),
            Some("the alarm demo-unhealthy (Http5xx Sum >= 5)")
        );
        assert_eq!(
            alarm_guard(Some("stopped"), &states).as_deref(),
            Some("the alarm demo-http-5xx (Http5xx Sum >= 5, value 7.0)")
        );
        assert_eq!(
            alarm_guard(Some("Activated alarms: <gone>"), &[]).as_deref(),
            Some("the alarm gone")
        );
        assert_eq!(alarm_guard(None, &states[1..]), None);
    }
}
