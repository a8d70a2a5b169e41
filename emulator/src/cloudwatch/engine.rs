//! A metric alarm's evaluation, as CloudWatch runs it, on plain data: no clock, no lock.
//! The caller hands in the alarm's rule, the metric's raw datapoints and the end of the
//! newest complete period; [`evaluate`] answers the state and AWS's words for it.
//!
//! What CloudWatch does ("Evaluating an alarm" and "Configuring how CloudWatch alarms treat
//! missing data" in the CloudWatch user guide): the newest `EvaluationPeriods` periods are
//! aggregated with the alarm's statistic; the alarm is in ALARM when at least
//! `DatapointsToAlarm` of them breach the threshold; a period without datapoints is
//! missing, and `TreatMissingData` says what it counts as (`missing`: left out, and all of
//! them missing is INSUFFICIENT_DATA; `notBreaching`/`breaching`: counted as good/bad;
//! `ignore`: the state stays as it was when all are missing).
//!
//! Locally the periods are scaled down (`local up --alarm-minute`: what one minute of an
//! alarm's `Period` lasts), as the local auto scaling scales its own; the datapoints keep
//! their real timestamps, and so do the reason's dates.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// An alarm's state, as `StateValue` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
pub(crate) enum StateValue {
    #[strum(serialize = "OK")]
    Ok,
    #[strum(serialize = "ALARM")]
    Alarm,
    #[strum(serialize = "INSUFFICIENT_DATA")]
    InsufficientData,
}

impl StateValue {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }
}

/// `Statistic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
pub(crate) enum Statistic {
    SampleCount,
    Average,
    Sum,
    Minimum,
    Maximum,
}

/// `ComparisonOperator` (the static-threshold ones; anomaly detection is not served).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
pub(crate) enum Comparison {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

impl Comparison {
    fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => value >= threshold,
            Comparison::GreaterThanThreshold => value > threshold,
            Comparison::LessThanThreshold => value < threshold,
            Comparison::LessThanOrEqualToThreshold => value <= threshold,
        }
    }
    /// How StateReason says it ("was greater than or equal to the threshold").
    fn words(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => "greater than or equal to",
            Comparison::GreaterThanThreshold => "greater than",
            Comparison::LessThanThreshold => "less than",
            Comparison::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }
}

/// `TreatMissingData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
pub(crate) enum Missing {
    #[strum(serialize = "missing")]
    Missing,
    #[strum(serialize = "notBreaching")]
    NotBreaching,
    #[strum(serialize = "breaching")]
    Breaching,
    #[strum(serialize = "ignore")]
    Ignore,
}

/// What an alarm evaluates, its periods already scaled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    pub(crate) statistic: Statistic,
    /// The alarm's `Period` in seconds (what the reason data reports).
    pub(crate) period_secs: u32,
    /// How long one period lasts locally, in milliseconds.
    pub(crate) period_ms: i64,
    pub(crate) evaluation_periods: u32,
    pub(crate) datapoints_to_alarm: u32,
    pub(crate) comparison: Comparison,
    pub(crate) threshold: f64,
    pub(crate) missing: Missing,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    /// `None`: the state stays as it is (`ignore` with every period missing).
    pub(crate) state: Option<StateValue>,
    /// StateReason, in AWS's words.
    pub(crate) reason: String,
    /// StateReasonData (a JSON document, as AWS's).
    pub(crate) data: Value,
    /// The newest period's value, when it has one.
    pub(crate) value: Option<f64>,
}

/// The statistic over one period's raw values (`None`: no datapoint).
fn aggregate(statistic: Statistic, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let sum: f64 = values.iter().sum();
    Some(match statistic {
        Statistic::SampleCount => n,
        Statistic::Sum => sum,
        Statistic::Average => sum / n,
        Statistic::Minimum => values.iter().copied().fold(f64::INFINITY, f64::min),
        Statistic::Maximum => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

fn system_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// `dd/MM/yy HH:mm:ss`, as StateReason dates its datapoints.
fn reason_date(ms: i64) -> String {
    let t = humantime::format_rfc3339_seconds(system_time(ms)).to_string();
    // 2026-12-04T18:20:00Z
    format!("{}/{}/{} {}", &t[8..10], &t[5..7], &t[2..4], &t[11..19])
}

/// `2026-12-04T18:20:00.000+0000`, as StateReasonData dates.
fn data_date(ms: i64) -> String {
    let t = humantime::format_rfc3339_millis(system_time(ms)).to_string();
    format!("{}+0000", t.trim_end_matches('Z'))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Evaluates `rule` over `points` (epoch ms, value) for the periods ending at `end_ms`
/// (the end of the newest complete period); `now_ms` dates the query.
pub(crate) fn evaluate(rule: &Rule, points: &[(i64, f64)], end_ms: i64, now_ms: i64) -> Verdict {
    let p = rule.period_ms.max(1);
    let n = rule.evaluation_periods.max(1) as usize;
    // Newest first: (period start, value).
    let periods: Vec<(i64, Option<f64>)> = (0..n)
        .map(|i| {
            let end = end_ms - i as i64 * p;
            let start = end - p;
            let values: Vec<f64> = points
                .iter()
                .filter(|(t, _)| *t >= start && *t < end)
                .map(|(_, v)| *v)
                .collect();
            (start, aggregate(rule.statistic, &values))
        })
        .collect();
    let present: Vec<(i64, f64)> = periods
        .iter()
        .filter_map(|(t, v)| v.map(|v| (*t, v)))
        .collect();
    let missing = n - present.len();
    let breaching_present = present
        .iter()
        .filter(|(_, v)| rule.comparison.breaches(*v, rule.threshold))
        .count();
    let breaching = breaching_present
        + if rule.missing == Missing::Breaching {
            missing
        } else {
            0
        };
    let m = rule.datapoints_to_alarm.max(1) as usize;
    let listed = present
        .iter()
        .map(|(t, v)| format!("{v:?} ({})", reason_date(*t)))
        .collect::<Vec<_>>()
        .join(", ");
    let data = json!({
        "version": "1.0",
        "queryDate": data_date(now_ms),
        "startDate": data_date(end_ms - n as i64 * p),
        "statistic": <&str>::from(rule.statistic),
        "period": rule.period_secs,
        "recentDatapoints": present.iter().rev().map(|(_, v)| *v).collect::<Vec<_>>(),
        "threshold": rule.threshold,
        "evaluatedDatapoints": present.iter().map(|(t, v)| json!({"timestamp": data_date(*t), "value": v})).collect::<Vec<_>>(),
    });
    let value = periods[0].1;
    let threshold = format!("{:?}", rule.threshold);
    let words = rule.comparison.words();
    if present.is_empty() && matches!(rule.missing, Missing::Missing | Missing::Ignore) {
        let state = (rule.missing == Missing::Missing).then_some(StateValue::InsufficientData);
        return Verdict {
            state,
            reason: format!(
                "Insufficient Data: {} {} unknown.",
                plural(n, "datapoint", "datapoints"),
                if n == 1 { "was" } else { "were" }
            ),
            data,
            value,
        };
    }
    let treated = match rule.missing {
        Missing::NotBreaching => Some("NonBreaching"),
        Missing::Breaching => Some("Breaching"),
        _ => None,
    };
    let missing_words = |treated: &str| {
        format!(
            "no datapoints were received for {} and {} {} treated as [{treated}]",
            plural(missing, "period", "periods"),
            plural(missing, "missing datapoint", "missing datapoints"),
            if missing == 1 { "was" } else { "were" }
        )
    };
    let alarm = breaching >= m;
    let head = if n == 1 {
        if present.is_empty() {
            format!(
                "Threshold Crossed: {}.",
                missing_words(treated.unwrap_or("Missing"))
            )
        } else {
            format!(
                "Threshold Crossed: 1 datapoint [{listed}] was {}{words} the threshold ({threshold}).",
                if alarm { "" } else { "not " }
            )
        }
    } else {
        let counted = if alarm {
            breaching_present
        } else {
            present.len() - breaching_present
        };
        let mut s = format!(
            "Threshold Crossed: {counted} out of the last {n} datapoints [{listed}] were {}{words} the threshold ({threshold})",
            if alarm { "" } else { "not " }
        );
        if missing > 0 {
            if let Some(t) = treated {
                s.push_str(&format!(" and {}", missing_words(t)));
            }
        }
        s.push_str(&format!(
            " (minimum {} for {} transition).",
            plural(m, "datapoint", "datapoints"),
            if alarm { "OK -> ALARM" } else { "ALARM -> OK" }
        ));
        s
    };
    Verdict {
        state: Some(if alarm {
            StateValue::Alarm
        } else {
            StateValue::Ok
        }),
        reason: head,
        data,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: i64 = 1000;

    fn rule(periods: u32, to_alarm: u32, threshold: f64, missing: Missing) -> Rule {
        Rule {
            statistic: Statistic::Sum,
            period_secs: 60,
            period_ms: P,
            evaluation_periods: periods,
            datapoints_to_alarm: to_alarm,
            comparison: Comparison::GreaterThanOrEqualToThreshold,
            threshold,
            missing,
        }
    }

    /// 2026-12-04T18:20:00Z in epoch milliseconds.
    const T0: i64 = 1_796_408_400_000;

    #[test]
    fn one_breaching_period_is_alarm_with_the_datapoint_in_the_reason() {
        let points = [(T0 + 10, 1.0), (T0 + 500, 3.0), (T0 + P, 9.0)];
        let v = evaluate(
            &rule(1, 1, 1.0, Missing::NotBreaching),
            &points,
            T0 + P,
            T0 + P + 5,
        );
        assert_eq!(v.state, Some(StateValue::Alarm));
        assert_eq!(
            v.reason,
            "Threshold Crossed: 1 datapoint [4.0 (04/12/26 18:20:00)] was greater than or equal to the threshold (1.0)."
        );
        assert_eq!(v.value, Some(4.0));
        assert_eq!(v.data["recentDatapoints"], json!([4.0]));
        assert_eq!(v.data["period"], json!(60));
    }

    #[test]
    fn below_the_threshold_is_ok_and_says_not() {
        let v = evaluate(
            &rule(1, 1, 5.0, Missing::NotBreaching),
            &[(T0, 4.0)],
            T0 + P,
            T0 + P,
        );
        assert_eq!(v.state, Some(StateValue::Ok));
        assert!(
            v.reason.contains(
                "[4.0 (04/12/26 18:20:00)] was not greater than or equal to the threshold (5.0)"
            ),
            "{}",
            v.reason
        );
    }

    #[test]
    fn missing_data_follows_treat_missing_data() {
        let none: [(i64, f64); 0] = [];
        let ok = evaluate(&rule(1, 1, 1.0, Missing::NotBreaching), &none, T0, T0);
        assert_eq!(ok.state, Some(StateValue::Ok));
        assert!(
            ok.reason.contains("treated as [NonBreaching]"),
            "{}",
            ok.reason
        );
        let bad = evaluate(&rule(1, 1, 1.0, Missing::Breaching), &none, T0, T0);
        assert_eq!(bad.state, Some(StateValue::Alarm));
        let unknown = evaluate(&rule(2, 2, 1.0, Missing::Missing), &none, T0, T0);
        assert_eq!(unknown.state, Some(StateValue::InsufficientData));
        assert_eq!(
            unknown.reason,
            "Insufficient Data: 2 datapoints were unknown."
        );
        let kept = evaluate(&rule(1, 1, 1.0, Missing::Ignore), &none, T0, T0);
        assert_eq!(kept.state, None);
    }

    #[test]
    fn m_out_of_n_needs_m_breaching_periods() {
        // Periods (newest first): [T0+P, T0+2P) = 6, [T0, T0+P) = 0 datapoints, [T0-P, T0) = 7.
        let points = [(T0 + P + 1, 6.0), (T0 - P + 1, 7.0)];
        let r = rule(3, 2, 5.0, Missing::Missing);
        let v = evaluate(&r, &points, T0 + 2 * P, T0 + 2 * P);
        assert_eq!(v.state, Some(StateValue::Alarm), "{}", v.reason);
        assert!(v
            .reason
            .starts_with("Threshold Crossed: 2 out of the last 3 datapoints"));
        assert!(v
            .reason
            .ends_with("(minimum 2 datapoints for OK -> ALARM transition)."));
        let r3 = rule(3, 3, 5.0, Missing::Missing);
        assert_eq!(
            evaluate(&r3, &points, T0 + 2 * P, T0 + 2 * P).state,
            Some(StateValue::Ok)
        );
    }

    #[test]
    fn statistics_aggregate_a_period() {
        let vals = [2.0, 4.0, 9.0];
        assert_eq!(aggregate(Statistic::Sum, &vals), Some(15.0));
        assert_eq!(aggregate(Statistic::Average, &vals), Some(5.0));
        assert_eq!(aggregate(Statistic::Minimum, &vals), Some(2.0));
        assert_eq!(aggregate(Statistic::Maximum, &vals), Some(9.0));
        assert_eq!(aggregate(Statistic::SampleCount, &vals), Some(3.0));
        assert_eq!(aggregate(Statistic::Sum, &[]), None);
    }
}
