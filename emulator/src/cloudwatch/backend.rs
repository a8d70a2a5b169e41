//! The CloudWatch backend: metrics (datapoints the Logs metric filters publish) and metric
//! alarms, their evaluation and history; state and operations, no HTTP (the service is
//! described in [`super`]). Every operation takes the current time in epoch milliseconds,
//! so tests drive the clock.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};

use super::engine::{self, Comparison, Missing, Rule, StateValue, Statistic};
use crate::wire::error::{AwsError, ErrorCode};
use crate::wire::validation::Constraints;

/// CloudWatch's error codes (the query-protocol codes botocore's model names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum CwCode {
    /// AWS's model validation (`1 validation error detected: ...`), and the query
    /// protocol's refusal of a parameter it does not know or a value that does not parse.
    ValidationError,
    ResourceNotFound,
    InvalidParameterValue,
    InvalidNextToken,
    MissingParameter,
    InvalidParameterCombination,
    InvalidFormat,
}
impl ErrorCode for CwCode {
    fn status(self) -> axum::http::StatusCode {
        match self {
            CwCode::ResourceNotFound => axum::http::StatusCode::NOT_FOUND,
            _ => axum::http::StatusCode::BAD_REQUEST,
        }
    }
}

pub(crate) type CwError = AwsError<CwCode>;
pub(crate) type CwResult<T> = Result<T, CwError>;

fn invalid(message: impl Into<String>) -> CwError {
    AwsError::new(CwCode::InvalidParameterValue, message)
}

fn missing(member: &str) -> CwError {
    AwsError::new(
        CwCode::MissingParameter,
        format!("The parameter {member} is required."),
    )
}

/// Datapoints kept per metric (the oldest are dropped beyond it).
const POINTS_CAP: usize = 100_000;
/// History items kept (the oldest are dropped beyond it).
const HISTORY_CAP: usize = 1_000;
/// Alarms per DescribeAlarms page, at most (AWS: 100).
const MAX_RECORDS: usize = 100;

/// A metric: namespace, name and dimensions (sorted by name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct MetricKey {
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) dimensions: Vec<(String, String)>,
}

/// What PutMetricAlarm sets: the alarm's configuration.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlarmSpec {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) actions_enabled: bool,
    pub(crate) ok_actions: Vec<String>,
    pub(crate) alarm_actions: Vec<String>,
    pub(crate) insufficient_data_actions: Vec<String>,
    pub(crate) metric: MetricKey,
    pub(crate) statistic: Statistic,
    pub(crate) period: u32,
    pub(crate) unit: Option<String>,
    pub(crate) evaluation_periods: u32,
    pub(crate) datapoints_to_alarm: Option<u32>,
    pub(crate) threshold: f64,
    pub(crate) comparison: Comparison,
    pub(crate) treat_missing_data: Option<Missing>,
}

/// A metric alarm: its configuration and its state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alarm {
    pub(crate) spec: AlarmSpec,
    pub(crate) arn: String,
    /// Epoch seconds.
    pub(crate) configuration_updated: f64,
    pub(crate) state: StateValue,
    pub(crate) reason: String,
    pub(crate) reason_data: Option<String>,
    pub(crate) state_updated: f64,
    pub(crate) state_transitioned: f64,
    /// The end (epoch ms) of the last period evaluated: a period is evaluated once.
    evaluated_until: i64,
    /// Where its periods start (epoch ms): the alarm's creation.
    origin: i64,
}

/// One entry of DescribeAlarmHistory.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HistoryItem {
    /// Its place in the history (1, 2, ...: set when recorded), what a NextToken names.
    pub(crate) seq: u64,
    pub(crate) alarm_name: String,
    /// Epoch seconds.
    pub(crate) timestamp: f64,
    pub(crate) kind: &'static str,
    pub(crate) summary: String,
    pub(crate) data: String,
}

/// A change of an alarm's state (what the stack logs).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Transition {
    pub(crate) alarm: String,
    pub(crate) from: StateValue,
    pub(crate) to: StateValue,
    pub(crate) reason: String,
}

/// DescribeAlarms' filters.
#[derive(Debug, Clone, Default)]
pub(crate) struct AlarmQuery {
    pub(crate) names: Vec<String>,
    pub(crate) prefix: Option<String>,
    pub(crate) state: Option<StateValue>,
    /// Alarms with an action (OK, ALARM or INSUFFICIENT_DATA) that starts with it.
    pub(crate) action_prefix: Option<String>,
    /// The children of a composite alarm: none here (composite alarms are not served).
    pub(crate) children_of: Option<String>,
    /// The composite alarms an alarm is part of: none here.
    pub(crate) parents_of: Option<String>,
    pub(crate) max_records: Option<u32>,
    pub(crate) next_token: Option<String>,
}

/// DescribeAlarmHistory's filters.
#[derive(Debug, Clone, Default)]
pub(crate) struct HistoryQuery {
    pub(crate) name: Option<String>,
    /// One contributor of a multi-time-series alarm: none here (PromQL alarms are not
    /// served), so its history is empty.
    pub(crate) contributor: Option<String>,
    /// Whether AlarmTypes asks for metric alarms (the only ones served).
    pub(crate) metric_alarms: bool,
    /// HistoryItemType.
    pub(crate) kind: Option<String>,
    /// Epoch seconds, inclusive.
    pub(crate) start: Option<f64>,
    pub(crate) end: Option<f64>,
    pub(crate) max_records: Option<u32>,
    /// Where the page starts: a NextToken this history gave out.
    pub(crate) next_token: Option<String>,
    /// ScanBy TimestampAscending: oldest first (newest first by default).
    pub(crate) ascending: bool,
}

/// The NextToken of the page that starts at the history item `seq`. Opaque to callers,
/// as AWS's are; it names a place in the history, so a page asked for again later starts
/// where it did (items recorded since are on the pages before it, newest first).
fn history_token(seq: u64) -> String {
    format!("h{seq}")
}

fn history_seq(token: &str) -> Option<u64> {
    token.strip_prefix('h')?.parse().ok().filter(|n| *n > 0)
}

#[derive(Debug, Default)]
struct Inner {
    metrics: BTreeMap<MetricKey, Vec<(i64, f64)>>,
    alarms: BTreeMap<String, Alarm>,
    history: Vec<HistoryItem>,
}

/// The CloudWatch backend. Cheap to share (`Arc<CloudWatch>`); one mutex, never held
/// across I/O.
#[derive(Debug)]
pub(crate) struct CloudWatch {
    region: String,
    account: String,
    /// What one minute of an alarm's `Period` lasts locally.
    minute: Duration,
    inner: Mutex<Inner>,
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

impl CloudWatch {
    pub(crate) fn new(region: &str, account: &str, minute: Duration) -> Self {
        CloudWatch {
            region: region.to_string(),
            account: account.to_string(),
            minute,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        deployer_models::sync::lock(&self.inner)
    }

    /// How long an alarm period of `period` seconds lasts locally, in milliseconds.
    pub(crate) fn scaled_period_ms(&self, period: u32) -> i64 {
        let ms = self.minute.as_millis() as f64 * f64::from(period) / 60.0;
        (ms.round() as i64).max(1)
    }

    /// One datapoint of a metric (what a Logs metric filter publishes).
    pub(crate) fn put_datum(&self, metric: MetricKey, timestamp_ms: i64, value: f64) {
        let mut inner = self.lock();
        let points = inner.metrics.entry(metric).or_default();
        points.push((timestamp_ms, value));
        if points.len() > POINTS_CAP {
            let drop = points.len() - POINTS_CAP;
            points.drain(..drop);
        }
    }

    /// The datapoints of a metric so far (tests, the status).
    #[cfg(test)]
    pub(crate) fn datapoints(&self, metric: &MetricKey) -> Vec<(i64, f64)> {
        self.lock().metrics.get(metric).cloned().unwrap_or_default()
    }

    /// PutMetricAlarm: creates the alarm (state INSUFFICIENT_DATA) or replaces its
    /// configuration (the state stays, as AWS keeps it).
    pub(crate) fn put_metric_alarm(&self, spec: AlarmSpec, now_ms: i64) -> CwResult<()> {
        check_spec(&spec)?;
        let arn = format!(
            "arn:aws:cloudwatch:{}:{}:alarm:{}",
            self.region, self.account, spec.name
        );
        let mut inner = self.lock();
        let now = secs(now_ms);
        let name = spec.name.clone();
        let created = !inner.alarms.contains_key(&name);
        let data = json!({"type": "Create", "version": "1.0"}).to_string();
        match inner.alarms.get_mut(&name) {
            Some(a) => {
                a.spec = spec;
                a.configuration_updated = now;
            }
            None => {
                inner.alarms.insert(
                    name.clone(),
                    Alarm {
                        spec,
                        arn,
                        configuration_updated: now,
                        state: StateValue::InsufficientData,
                        reason: "Unchecked: Initial alarm creation".into(),
                        reason_data: None,
                        state_updated: now,
                        state_transitioned: now,
                        evaluated_until: now_ms,
                        origin: now_ms,
                    },
                );
            }
        }
        push_history(
            &mut inner.history,
            HistoryItem {
                seq: 0,
                alarm_name: name.clone(),
                timestamp: now,
                kind: "ConfigurationUpdate",
                summary: format!(
                    "Alarm \"{name}\" {}",
                    if created { "created" } else { "updated" }
                ),
                data,
            },
        );
        Ok(())
    }

    /// DescribeAlarms: the alarms by name, prefix and state, in name order, a page at a
    /// time (the token is the last name of the previous page).
    pub(crate) fn describe_alarms(&self, q: &AlarmQuery) -> CwResult<(Vec<Alarm>, Option<String>)> {
        if !q.names.is_empty() && q.prefix.is_some() {
            return Err(AwsError::new(
                CwCode::InvalidParameterCombination,
                "AlarmNamePrefix and AlarmNames are mutually exclusive.",
            ));
        }
        let mut c = Constraints::default();
        c.count("alarmNames", &q.names, 100);
        if let Some(p) = &q.prefix {
            c.length("alarmNamePrefix", p, 1, 255);
        }
        for (member, name) in [
            ("childrenOfAlarmName", &q.children_of),
            ("parentsOfAlarmName", &q.parents_of),
        ] {
            if let Some(n) = name {
                c.length(member, n, 1, 255);
            }
        }
        if let Some(p) = &q.action_prefix {
            c.length("actionPrefix", p, 1, 1024);
        }
        if let Some(n) = q.max_records {
            c.range("maxRecords", n.into(), 1, MAX_RECORDS as i64);
        }
        c.check(CwCode::ValidationError)?;
        let max = q.max_records.map_or(MAX_RECORDS, |n| n as usize);
        if q.children_of.is_some() || q.parents_of.is_some() {
            // Only a composite alarm has children or is a parent, and none is served.
            return Ok((Vec::new(), None));
        }
        let inner = self.lock();
        let after = q.next_token.as_deref();
        let mut matching = inner.alarms.values().filter(|a| {
            let s = &a.spec;
            let actions = || {
                s.ok_actions
                    .iter()
                    .chain(&s.alarm_actions)
                    .chain(&s.insufficient_data_actions)
            };
            (q.names.is_empty() || q.names.contains(&a.spec.name))
                && q.action_prefix
                    .as_deref()
                    .is_none_or(|p| actions().any(|x| x.starts_with(p)))
                && q.prefix
                    .as_deref()
                    .is_none_or(|p| a.spec.name.starts_with(p))
                && q.state.is_none_or(|s| a.state == s)
                && after.is_none_or(|t| a.spec.name.as_str() > t)
        });
        let page: Vec<Alarm> = matching.by_ref().take(max).cloned().collect();
        let next = if matching.next().is_some() {
            page.last().map(|a| a.spec.name.clone())
        } else {
            None
        };
        Ok((page, next))
    }

    /// DeleteAlarms: every name must exist (ResourceNotFound otherwise, nothing deleted).
    pub(crate) fn delete_alarms(&self, names: &[String]) -> CwResult<()> {
        if names.is_empty() {
            return Err(missing("AlarmNames"));
        }
        let mut inner = self.lock();
        let absent: Vec<&str> = names
            .iter()
            .filter(|n| !inner.alarms.contains_key(n.as_str()))
            .map(String::as_str)
            .collect();
        if !absent.is_empty() {
            return Err(AwsError::new(
                CwCode::ResourceNotFound,
                format!("Alarm(s) not found: {}", absent.join(", ")),
            ));
        }
        for n in names {
            inner.alarms.remove(n);
        }
        Ok(())
    }

    /// SetAlarmState: sets the state until the alarm's next evaluation (its next period).
    pub(crate) fn set_alarm_state(
        &self,
        name: &str,
        state: StateValue,
        reason: &str,
        reason_data: Option<&str>,
        now_ms: i64,
    ) -> CwResult<Option<Transition>> {
        if let Some(d) = reason_data {
            if !serde_json::from_str::<Value>(d).is_ok_and(|v| v.is_object()) {
                return Err(AwsError::new(
                    CwCode::InvalidFormat,
                    "StateReasonData is not a valid JSON object.",
                ));
            }
        }
        let mut inner = self.lock();
        let inner = &mut *inner;
        let alarm = inner.alarms.get_mut(name).ok_or_else(|| {
            AwsError::new(CwCode::ResourceNotFound, format!("Alarm {name} not found"))
        })?;
        Ok(set_state(
            alarm,
            &mut inner.history,
            state,
            reason.to_string(),
            reason_data.map(str::to_string),
            now_ms,
        ))
    }

    /// DescribeAlarmHistory: newest first (oldest first when `ascending`), pages of
    /// `max_records` (100 by default) items, and the next page's token when there is one.
    pub(crate) fn history(&self, q: &HistoryQuery) -> CwResult<(Vec<HistoryItem>, Option<String>)> {
        let mut c = Constraints::default();
        if let Some(n) = &q.name {
            c.length("alarmName", n, 1, 255);
        }
        if let Some(id) = &q.contributor {
            c.length("alarmContributorId", id, 1, 16);
        }
        if let Some(n) = q.max_records {
            c.range("maxRecords", n.into(), 1, 100);
        }
        c.check(CwCode::ValidationError)?;
        let inner = self.lock();
        let from = match &q.next_token {
            None => None,
            Some(t) => Some(
                history_seq(t)
                    .filter(|n| inner.history.last().is_some_and(|h| *n <= h.seq))
                    .ok_or_else(|| {
                        AwsError::new(
                            CwCode::InvalidNextToken,
                            format!("The NextToken {t:?} is not one this stack gave out."),
                        )
                    })?,
            ),
        };
        if q.contributor.is_some() || !q.metric_alarms {
            return Ok((Vec::new(), None));
        }
        let max = q.max_records.map_or(100, |n| n as usize);
        let matches = |h: &&HistoryItem| {
            q.name.as_deref().is_none_or(|n| h.alarm_name == n)
                && q.kind.as_deref().is_none_or(|k| h.kind == k)
                && q.start.is_none_or(|s| h.timestamp >= s)
                && q.end.is_none_or(|e| h.timestamp <= e)
        };
        let mut items: Vec<HistoryItem> = if q.ascending {
            inner
                .history
                .iter()
                .filter(|h| from.is_none_or(|n| h.seq >= n))
                .filter(matches)
                .take(max + 1)
                .cloned()
                .collect()
        } else {
            inner
                .history
                .iter()
                .rev()
                .filter(|h| from.is_none_or(|n| h.seq <= n))
                .filter(matches)
                .take(max + 1)
                .cloned()
                .collect()
        };
        let next = (items.len() > max).then(|| history_token(items[max].seq));
        items.truncate(max);
        Ok((items, next))
    }

    /// The names among `names` whose alarm is in ALARM (what CodeDeploy polls).
    pub(crate) fn in_alarm(&self, names: &[String]) -> Vec<String> {
        let inner = self.lock();
        names
            .iter()
            .filter(|n| {
                inner
                    .alarms
                    .get(n.as_str())
                    .is_some_and(|a| a.state == StateValue::Alarm)
            })
            .cloned()
            .collect()
    }

    /// Evaluates every alarm whose next period is complete at `now_ms` (a period is
    /// complete a tenth of a period after its end, so that the lines of its last moments
    /// are in); answers the state changes. Periods are counted from the alarm's creation
    /// (AWS aligns them to the clock's minutes): an alarm's first evaluation is one period
    /// after it exists, whatever the time of day.
    pub(crate) fn evaluate(&self, now_ms: i64) -> Vec<Transition> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let mut changes = Vec::new();
        for alarm in inner.alarms.values_mut() {
            let s = &alarm.spec;
            let p = self.scaled_period_ms(s.period);
            let end = alarm.origin + (now_ms - p / 10 - alarm.origin).div_euclid(p) * p;
            if end <= alarm.evaluated_until {
                continue;
            }
            alarm.evaluated_until = end;
            let rule = Rule {
                statistic: s.statistic,
                period_secs: s.period,
                period_ms: p,
                evaluation_periods: s.evaluation_periods,
                datapoints_to_alarm: s.datapoints_to_alarm.unwrap_or(s.evaluation_periods),
                comparison: s.comparison,
                threshold: s.threshold,
                missing: s.treat_missing_data.unwrap_or(Missing::Missing),
            };
            let empty = Vec::new();
            let points = inner.metrics.get(&s.metric).unwrap_or(&empty);
            let verdict = engine::evaluate(&rule, points, end, now_ms);
            let Some(state) = verdict.state else { continue };
            if let Some(t) = set_state(
                alarm,
                &mut inner.history,
                state,
                verdict.reason,
                Some(verdict.data.to_string()),
                now_ms,
            ) {
                changes.push(t);
            }
        }
        changes
    }
}

/// Records a state; answers the transition when the state changed.
fn set_state(
    alarm: &mut Alarm,
    history: &mut Vec<HistoryItem>,
    state: StateValue,
    reason: String,
    reason_data: Option<String>,
    now_ms: i64,
) -> Option<Transition> {
    let now = secs(now_ms);
    let from = alarm.state;
    if from == state {
        // The same state: AWS keeps the reason of the transition (and its timestamps).
        return None;
    }
    alarm.state = state;
    alarm.reason = reason.clone();
    alarm.reason_data = reason_data;
    alarm.state_updated = now;
    alarm.state_transitioned = now;
    let name = alarm.spec.name.clone();
    push_history(
        history,
        HistoryItem {
            seq: 0,
            alarm_name: name.clone(),
            timestamp: now,
            kind: "StateUpdate",
            summary: format!("Alarm updated from {} to {}", from.as_str(), state.as_str()),
            data: json!({
                "version": "1.0",
                "oldState": {"stateValue": from.as_str()},
                "newState": {"stateValue": state.as_str(), "stateReason": reason},
            })
            .to_string(),
        },
    );
    Some(Transition {
        alarm: name,
        from,
        to: state,
        reason,
    })
}

/// Records `item` after the last one (the history is never cut but from its oldest end,
/// so each item's `seq` is one more than the one before).
fn push_history(history: &mut Vec<HistoryItem>, mut item: HistoryItem) {
    item.seq = history.last().map_or(1, |h| h.seq + 1);
    history.push(item);
    if history.len() > HISTORY_CAP {
        let drop = history.len() - HISTORY_CAP;
        history.drain(..drop);
    }
}

/// PutMetricAlarm's checks beyond the request's types (the API reference's constraints).
fn check_spec(s: &AlarmSpec) -> CwResult<()> {
    // botocore's input shape first (AWS's model validation), then the API reference's rules.
    let mut c = Constraints::default();
    c.length("alarmName", &s.name, 1, 255);
    if let Some(d) = &s.description {
        c.length("alarmDescription", d, 0, 1024);
    }
    c.count("oKActions", &s.ok_actions, 5);
    c.count("alarmActions", &s.alarm_actions, 5);
    c.count("insufficientDataActions", &s.insufficient_data_actions, 5);
    if !s.metric.namespace.is_empty() {
        c.length("namespace", &s.metric.namespace, 1, 255);
    }
    if !s.metric.name.is_empty() {
        c.length("metricName", &s.metric.name, 1, 255);
    }
    let names: Vec<&str> = s
        .metric
        .dimensions
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    c.count("dimensions", &names, 30);
    for (i, (name, value)) in s.metric.dimensions.iter().enumerate() {
        c.length(&format!("dimensions.{}.member.name", i + 1), name, 1, 255);
        c.length(
            &format!("dimensions.{}.member.value", i + 1),
            value,
            1,
            1024,
        );
    }
    c.range("period", s.period.into(), 1, i64::MAX);
    c.range(
        "evaluationPeriods",
        s.evaluation_periods.into(),
        1,
        i64::MAX,
    );
    if let Some(m) = s.datapoints_to_alarm {
        c.range("datapointsToAlarm", m.into(), 1, i64::MAX);
    }
    c.check(CwCode::ValidationError)?;
    if s.metric.namespace.is_empty() {
        return Err(missing("Namespace"));
    }
    if s.metric.name.is_empty() {
        return Err(missing("MetricName"));
    }
    if !(s.period == 10
        || s.period == 20
        || s.period == 30
        || (s.period >= 60 && s.period.is_multiple_of(60)))
    {
        return Err(invalid(format!(
            "The parameter Period must be 10, 20, 30 or a multiple of 60 (got {}).",
            s.period
        )));
    }
    if let Some(m) = s.datapoints_to_alarm {
        if m > s.evaluation_periods {
            return Err(invalid(format!(
                "DatapointsToAlarm ({m}) must be between 1 and EvaluationPeriods ({}).",
                s.evaluation_periods
            )));
        }
    }
    if u64::from(s.period) * u64::from(s.evaluation_periods) > 7 * 86_400 {
        return Err(invalid(
            "The evaluation period (Period x EvaluationPeriods) must not exceed 7 days.",
        ));
    }
    if !s.threshold.is_finite() {
        return Err(invalid("The parameter Threshold must be a number."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn spec(name: &str) -> AlarmSpec {
        AlarmSpec {
            name: name.into(),
            description: None,
            actions_enabled: true,
            ok_actions: vec![],
            alarm_actions: vec![],
            insufficient_data_actions: vec![],
            metric: MetricKey {
                namespace: "demo/service".into(),
                name: "Http5xx".into(),
                dimensions: vec![],
            },
            statistic: Statistic::Sum,
            period: 60,
            unit: None,
            evaluation_periods: 1,
            datapoints_to_alarm: Some(1),
            threshold: 5.0,
            comparison: Comparison::GreaterThanOrEqualToThreshold,
            treat_missing_data: Some(Missing::NotBreaching),
        }
    }

    const T0: i64 = 1_796_408_400_000;

    #[test]
    fn an_alarm_goes_to_alarm_on_a_breaching_period_and_back_to_ok() {
        let cw = CloudWatch::new("us-east-1", "000000000000", Duration::from_secs(1));
        cw.put_metric_alarm(spec("demo-http-5xx"), T0).unwrap();
        let (a, _) = cw.describe_alarms(&AlarmQuery::default()).unwrap();
        assert_eq!(a[0].state, StateValue::InsufficientData);
        assert_eq!(
            a[0].arn,
            "arn:aws:cloudwatch:us-east-1:000000000000:alarm:demo-http-5xx"
        );
        // No data, treated as not breaching: OK after the first period.
        let t = cw.evaluate(T0 + 1100);
        assert_eq!(t.len(), 1);
        assert_eq!(
            (t[0].from, t[0].to),
            (StateValue::InsufficientData, StateValue::Ok)
        );
        // Six 5xx in the next period (60 s scaled to 1 s): ALARM once it is complete.
        for i in 0..6 {
            cw.put_datum(spec("x").metric, T0 + 1000 + i * 100, 1.0);
        }
        assert!(cw.evaluate(T0 + 1900).is_empty(), "the period is not over");
        let t = cw.evaluate(T0 + 2100);
        assert_eq!(t[0].to, StateValue::Alarm);
        assert!(
            t[0].reason.contains("1 datapoint [6.0 ("),
            "{}",
            t[0].reason
        );
        assert_eq!(
            cw.in_alarm(&["demo-http-5xx".into(), "other".into()]),
            vec!["demo-http-5xx"]
        );
        let t = cw.evaluate(T0 + 3100);
        assert_eq!(t[0].to, StateValue::Ok);
        let q = HistoryQuery {
            name: Some("demo-http-5xx".into()),
            kind: Some("StateUpdate".into()),
            metric_alarms: true,
            max_records: Some(10),
            ..Default::default()
        };
        let (h, next) = cw.history(&q).unwrap();
        assert_eq!(h[0].summary, "Alarm updated from ALARM to OK");
        assert_eq!((h.len(), next), (3, None));
        let (oldest, _) = cw
            .history(&HistoryQuery {
                ascending: true,
                ..q.clone()
            })
            .unwrap();
        assert_eq!(oldest.len(), 3);
        assert_eq!(oldest[2], h[0], "oldest first when ascending");
        assert_ne!(oldest[0], h[0]);
    }

    #[test]
    fn set_alarm_state_holds_until_the_next_period() {
        let cw = CloudWatch::new("us-east-1", "000000000000", Duration::from_secs(1));
        cw.put_metric_alarm(spec("a"), T0).unwrap();
        cw.evaluate(T0 + 1100);
        let t = cw
            .set_alarm_state("a", StateValue::Alarm, "testing", None, T0 + 1200)
            .unwrap();
        assert_eq!(t.map(|t| t.to), Some(StateValue::Alarm));
        assert!(cw.evaluate(T0 + 1500).is_empty());
        assert_eq!(cw.evaluate(T0 + 2100)[0].to, StateValue::Ok);
        let e = cw
            .set_alarm_state("nope", StateValue::Alarm, "r", None, T0)
            .unwrap_err();
        assert_eq!(e.code_str(), "ResourceNotFound");
        let e = cw
            .set_alarm_state("a", StateValue::Alarm, "r", Some("not json"), T0)
            .unwrap_err();
        assert_eq!(e.code_str(), "InvalidFormat");
    }

    #[test]
    fn bad_specs_are_refused_with_aws_codes() {
        let cw = CloudWatch::new("us-east-1", "000000000000", Duration::from_secs(1));
        let mut s = spec("a");
        s.period = 45;
        assert_eq!(
            cw.put_metric_alarm(s, T0).unwrap_err().code_str(),
            "InvalidParameterValue"
        );
        let mut s = spec("a");
        s.datapoints_to_alarm = Some(2);
        assert_eq!(
            cw.put_metric_alarm(s, T0).unwrap_err().code_str(),
            "InvalidParameterValue"
        );
        let mut s = spec("a");
        s.metric.namespace.clear();
        assert_eq!(
            cw.put_metric_alarm(s, T0).unwrap_err().code_str(),
            "MissingParameter"
        );
        // botocore's input shape, as AWS's model validation answers it.
        let mut s = spec("a");
        s.evaluation_periods = 0;
        s.alarm_actions = (0..6).map(|i| format!("arn:{i}")).collect();
        let e = cw.put_metric_alarm(s, T0).unwrap_err();
        assert_eq!(e.code_str(), "ValidationError");
        assert!(
            e.message.starts_with("2 validation errors detected: ")
                && e.message.contains("at 'alarmActions' failed to satisfy constraint: Member must have length less than or equal to 5")
                && e.message.contains("Value '0' at 'evaluationPeriods'"),
            "{}",
            e.message
        );
        let mut s = spec(&"x".repeat(256));
        s.metric.dimensions = vec![("Service".into(), String::new())];
        let e = cw.put_metric_alarm(s, T0).unwrap_err();
        assert!(
            e.message.contains("at 'alarmName'")
                && e.message.contains("at 'dimensions.1.member.value'"),
            "{}",
            e.message
        );
        let e = cw
            .describe_alarms(&AlarmQuery {
                max_records: Some(101),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(
            (e.code_str(), e.message.as_str()),
            ("ValidationError", "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100")
        );
        assert!(cw
            .describe_alarms(&AlarmQuery::default())
            .unwrap()
            .0
            .is_empty());
    }

    #[test]
    fn describe_filters_and_pages_and_delete_needs_existing_names() {
        let cw = CloudWatch::new("us-east-1", "000000000000", Duration::from_secs(1));
        for n in ["a1", "a2", "b1"] {
            cw.put_metric_alarm(spec(n), T0).unwrap();
        }
        let q = AlarmQuery {
            prefix: Some("a".into()),
            max_records: Some(1),
            ..Default::default()
        };
        let (page, next) = cw.describe_alarms(&q).unwrap();
        assert_eq!(page[0].spec.name, "a1");
        let (page, next) = cw
            .describe_alarms(&AlarmQuery {
                next_token: next,
                ..q.clone()
            })
            .unwrap();
        assert_eq!((page[0].spec.name.as_str(), next), ("a2", None));
        let e = cw.delete_alarms(&["a1".into(), "zz".into()]).unwrap_err();
        assert_eq!(e.code_str(), "ResourceNotFound");
        assert_eq!(
            cw.describe_alarms(&AlarmQuery::default()).unwrap().0.len(),
            3
        );
        cw.delete_alarms(&["a1".into()]).unwrap();
        assert_eq!(
            cw.describe_alarms(&AlarmQuery::default()).unwrap().0.len(),
            2
        );
    }

    #[test]
    fn describe_by_action_prefix_and_composite_relations() {
        let cw = CloudWatch::new("us-east-1", "000000000000", Duration::from_secs(1));
        let mut s = spec("paged");
        s.ok_actions = vec!["arn:aws:sns:us-east-1:000000000000:ok".into()];
        cw.put_metric_alarm(s, T0).unwrap();
        cw.put_metric_alarm(spec("quiet"), T0).unwrap();
        let names = |q: AlarmQuery| -> Vec<String> {
            let (page, _) = cw.describe_alarms(&q).unwrap();
            page.into_iter().map(|a| a.spec.name).collect()
        };
        assert_eq!(
            names(AlarmQuery {
                action_prefix: Some("arn:aws:sns:us-east-1:000000000000:".into()),
                ..Default::default()
            }),
            ["paged"]
        );
        assert_eq!(names(AlarmQuery::default()), ["paged", "quiet"]);
        // No composite alarm is served: nothing has children or composite parents.
        for q in [
            AlarmQuery {
                children_of: Some("paged".into()),
                ..Default::default()
            },
            AlarmQuery {
                parents_of: Some("paged".into()),
                ..Default::default()
            },
        ] {
            assert!(names(q).is_empty());
        }
    }

    #[test]
    fn history_refuses_tokens_it_never_gave_and_has_no_contributors() {
        let cw = CloudWatch::new("us-east-1", "000000000000", Duration::from_secs(1));
        cw.put_metric_alarm(spec("a"), T0).unwrap();
        let all = HistoryQuery {
            metric_alarms: true,
            ..Default::default()
        };
        assert_eq!(cw.history(&all).unwrap().0.len(), 1);
        for token in ["t", "h0", "h2", "h-1", ""] {
            let e = cw
                .history(&HistoryQuery {
                    next_token: Some(token.into()),
                    ..all.clone()
                })
                .unwrap_err();
            assert_eq!(e.code_str(), "InvalidNextToken", "{token:?}");
        }
        let e = cw
            .history(&HistoryQuery {
                max_records: Some(0),
                ..all.clone()
            })
            .unwrap_err();
        assert_eq!(e.code_str(), "ValidationError");
        for q in [
            HistoryQuery {
                contributor: Some("c1".into()),
                ..all.clone()
            },
            HistoryQuery {
                metric_alarms: false,
                ..all.clone()
            },
        ] {
            assert_eq!(cw.history(&q).unwrap(), (Vec::new(), None));
        }
    }

    /// Every page of `q`, following the tokens, and the number of calls.
    fn pages(cw: &CloudWatch, q: &HistoryQuery) -> (Vec<u64>, usize) {
        let (mut seqs, mut calls, mut token) = (Vec::new(), 0, None);
        loop {
            let (items, next) = cw
                .history(&HistoryQuery {
                    next_token: token,
                    ..q.clone()
                })
                .unwrap();
            calls += 1;
            assert!(items.len() <= q.max_records.unwrap_or(100) as usize);
            seqs.extend(items.iter().map(|h| h.seq));
            match next {
                Some(t) => token = Some(t),
                None => return (seqs, calls),
            }
        }
    }

    #[test]
    fn history_pages_follow_their_tokens_in_either_order_and_filtered() {
        let cw = CloudWatch::new("us-east-1", "000000000000", Duration::from_secs(1));
        // Seven configuration updates of two alarms: a, b, a, b, a, b, a.
        for i in 0..7 {
            cw.put_metric_alarm(spec(if i % 2 == 0 { "a" } else { "b" }), T0 + i)
                .unwrap();
        }
        let q = HistoryQuery {
            metric_alarms: true,
            max_records: Some(3),
            ..Default::default()
        };
        assert_eq!(pages(&cw, &q), (vec![7, 6, 5, 4, 3, 2, 1], 3));
        let up = HistoryQuery {
            ascending: true,
            ..q.clone()
        };
        assert_eq!(pages(&cw, &up), (vec![1, 2, 3, 4, 5, 6, 7], 3));
        // Exactly a page: no token for an empty one after it.
        let a = HistoryQuery {
            name: Some("a".into()),
            max_records: Some(2),
            ..q.clone()
        };
        assert_eq!(pages(&cw, &a), (vec![7, 5, 3, 1], 2));
        // An item recorded between two pages is on the pages before the token, not after.
        let (_, token) = cw.history(&q).unwrap();
        cw.put_metric_alarm(spec("b"), T0 + 10).unwrap();
        let (rest, _) = cw
            .history(&HistoryQuery {
                next_token: token,
                ..q.clone()
            })
            .unwrap();
        assert_eq!(rest.iter().map(|h| h.seq).collect::<Vec<_>>(), [4, 3, 2]);
    }
}
