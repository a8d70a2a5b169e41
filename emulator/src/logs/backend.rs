//! The logs backend: state and operations, no HTTP (the service is described in
//! [`super`]).

use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use super::shapes::{
    DescribeLogGroupsResponse, DescribeLogStreamsResponse, FilterLogEventsResponse,
    FilteredLogEvent, GetLogEventsResponse, LogGroup, LogGroupClass, LogStream, OutputLogEvent,
};
use tokio_util::sync::CancellationToken;

use super::filter::{MetricValue, Pattern};
use crate::cloudwatch::backend::{CloudWatch, MetricKey};
use crate::wire::error::{AwsError, ErrorCode};

/// The ECS service's log group (the `log_group_name` output).
pub(crate) const ECS_GROUP: &str = crate::names::LOG_GROUP;

/// The awslogs stream of a task's `demo` container: `<prefix>/<container>/<task-id>`.
pub(crate) fn ecs_stream(task_id: &str) -> String {
    format!("ecs/{}/{task_id}", crate::names::CONTAINER)
}

/// Each stream keeps at most this many bytes of messages; older events are dropped.
pub(crate) const STREAM_BYTES_CAP: usize = 16 * 1024 * 1024;
/// All streams together keep at most this many bytes of messages (four full streams):
/// past it, the oldest events of all are dropped, down to [`LOGS_TRIM_TO`]. Without it
/// every task a long-running stack ever started kept up to a stream's cap in memory.
pub(crate) const LOGS_BYTES_CAP: usize = 4 * STREAM_BYTES_CAP;
/// Where a trim past [`LOGS_BYTES_CAP`] stops (7/8 of it: one trim per 8 MiB of logs).
const LOGS_TRIM_TO: usize = LOGS_BYTES_CAP / 8 * 7;
/// CloudWatch's largest event (256 KiB, including 26 bytes of overhead).
pub(crate) const MAX_EVENT_BYTES: usize = 256 * 1024 - 26;
/// Events per page, as AWS: 10,000 or 1 MB, whichever comes first.
const MAX_LIMIT: usize = 10_000;
const PAGE_BYTES: usize = 1024 * 1024;

/// CloudWatch Logs' error codes, spelled as AWS spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum LogsCode {
    ResourceNotFoundException,
    ResourceAlreadyExistsException,
    InvalidParameterException,
    LimitExceededException,
}
impl ErrorCode for LogsCode {}

/// A CloudWatch Logs error: one of its codes and a message.
pub(crate) type LogsError = AwsError<LogsCode>;

impl LogsError {
    fn not_found(message: impl Into<String>) -> Self {
        AwsError::new(LogsCode::ResourceNotFoundException, message)
    }
    fn exists(message: impl Into<String>) -> Self {
        AwsError::new(LogsCode::ResourceAlreadyExistsException, message)
    }
    fn invalid(message: impl Into<String>) -> Self {
        AwsError::new(LogsCode::InvalidParameterException, message)
    }
    fn no_group() -> Self {
        LogsError::not_found("The specified log group does not exist.")
    }
    fn no_stream() -> Self {
        LogsError::not_found("The specified log stream does not exist.")
    }
    fn bad_token() -> Self {
        LogsError::invalid("The specified nextToken is invalid.")
    }
}

pub(crate) type LogsResult<T> = Result<T, LogsError>;

#[derive(Debug, Clone)]
struct Event {
    timestamp: i64,
    ingestion_time: i64,
    message: String,
    /// Global, increasing: the event id and the tie-breaker between equal timestamps.
    seq: u64,
}

#[derive(Debug)]
struct Stream {
    creation_time: i64,
    /// Sorted by (timestamp, seq). A deque: a full stream drops from the front at every
    /// event (a `Vec` moved all of its events each time: a stack under load spent most of
    /// its CPU there once its tasks' streams were full; bench/README.md).
    events: VecDeque<Event>,
    /// Events dropped from the front (tokens are absolute positions).
    dropped: u64,
    bytes: usize,
    last_ingestion: Option<i64>,
}

#[derive(Debug)]
struct Group {
    creation_time: i64,
    streams: BTreeMap<String, Stream>,
    /// Metric filters by name.
    metric_filters: BTreeMap<String, MetricFilter>,
}

/// Metric filters per log group, at most (AWS's quota).
const MAX_METRIC_FILTERS: usize = 100;

/// A metric transformation of a metric filter (MetricTransformation).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Transformation {
    pub(crate) metric_name: String,
    pub(crate) metric_namespace: String,
    /// As given: a number, or `$.selector` of a JSON pattern.
    pub(crate) metric_value: String,
    pub(crate) default_value: Option<f64>,
    pub(crate) dimensions: BTreeMap<String, String>,
    pub(crate) unit: Option<String>,
}

/// A metric filter: its pattern and its one transformation.
#[derive(Debug, Clone)]
struct MetricFilter {
    pattern_text: String,
    pattern: Pattern,
    transformation: Transformation,
    value: MetricValue,
    creation_time: i64,
}

/// DescribeMetricFilters' answer (one filter).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetricFilterInfo {
    pub(crate) filter_name: String,
    pub(crate) filter_pattern: String,
    pub(crate) log_group_name: String,
    pub(crate) creation_time: i64,
    pub(crate) transformation: Transformation,
}

#[derive(Debug, Default)]
struct Inner {
    groups: BTreeMap<String, Group>,
    seq: u64,
    /// Bytes of messages in all streams ([`LOGS_BYTES_CAP`]).
    bytes: usize,
}

/// The Logs backend. Cheap to share (`Arc<Logs>`); one mutex, never held across I/O.
#[derive(Debug)]
pub(crate) struct Logs {
    region: String,
    account: String,
    inner: Mutex<Inner>,
    /// Where metric filters publish their datapoints (set once by the stack).
    metrics: OnceLock<Arc<CloudWatch>>,
}

/// One event as a producer hands it in.
#[derive(Debug, Clone)]
pub(crate) struct InputEvent {
    pub(crate) timestamp: i64,
    pub(crate) message: String,
}

/// FilterLogEvents' input (resolved: one group, stream selection, time range).
#[derive(Debug, Clone, Default)]
pub(crate) struct FilterQuery {
    pub(crate) group: String,
    pub(crate) stream_names: Vec<String>,
    pub(crate) stream_prefix: Option<String>,
    pub(crate) start_time: Option<i64>,
    pub(crate) end_time: Option<i64>,
    pub(crate) pattern: String,
    pub(crate) limit: Option<usize>,
    pub(crate) next_token: Option<String>,
}

/// GetLogEvents' input.
#[derive(Debug, Clone, Default)]
pub(crate) struct GetQuery {
    pub(crate) group: String,
    pub(crate) stream: String,
    pub(crate) start_time: Option<i64>,
    pub(crate) end_time: Option<i64>,
    pub(crate) limit: Option<usize>,
    pub(crate) start_from_head: bool,
    pub(crate) next_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum StreamOrder {
    #[default]
    LogStreamName,
    LastEventTime,
}

/// DescribeLogStreams' input.
#[derive(Debug, Clone, Default)]
pub(crate) struct StreamsQuery {
    pub(crate) group: String,
    pub(crate) prefix: Option<String>,
    pub(crate) order_by: StreamOrder,
    pub(crate) descending: bool,
    pub(crate) limit: Option<usize>,
    pub(crate) next_token: Option<String>,
}

fn check_group_name(name: &str) -> LogsResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_/#".contains(c));
    if ok {
        Ok(())
    } else {
        Err(LogsError::invalid(format!(
            "1 validation error detected: Value '{name}' at 'logGroupName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
        )))
    }
}

fn check_stream_name(name: &str) -> LogsResult<()> {
    if !name.is_empty() && name.len() <= 512 && !name.contains([':', '*']) {
        Ok(())
    } else {
        Err(LogsError::invalid(format!(
            "1 validation error detected: Value '{name}' at 'logStreamName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [^:*]*"
        )))
    }
}

fn check_limit(limit: Option<usize>, max: usize) -> LogsResult<usize> {
    match limit {
        None => Ok(max),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(LogsError::invalid(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: \
             Member must have value between 1 and {max}"
        ))),
    }
}

/// Position tokens of GetLogEvents: `f/` or `b/` and 56 digits, as AWS's look.
fn position_token(dir: char, pos: u64) -> String {
    format!("{dir}/{pos:056}")
}

fn parse_position_token(t: &str) -> LogsResult<(char, u64)> {
    let (dir, digits) = t.split_once('/').ok_or_else(LogsError::bad_token)?;
    let dir = match dir {
        "f" => 'f',
        "b" => 'b',
        _ => return Err(LogsError::bad_token()),
    };
    let pos = digits.parse().map_err(|_| LogsError::bad_token())?;
    Ok((dir, pos))
}

impl Transformation {
    /// The CloudWatch metric the transformation publishes to.
    pub(crate) fn metric_key(&self) -> MetricKey {
        MetricKey {
            namespace: self.metric_namespace.clone(),
            name: self.metric_name.clone(),
            dimensions: self
                .dimensions
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

impl Stream {
    fn new(now: i64) -> Self {
        Stream {
            creation_time: now,
            events: VecDeque::new(),
            dropped: 0,
            bytes: 0,
            last_ingestion: None,
        }
    }

    fn push(&mut self, ev: Event) {
        self.bytes += ev.message.len();
        self.last_ingestion = Some(ev.ingestion_time);
        // Producers stamp in order; a late-stamped event (PutLogEvents with an older
        // timestamp) goes to its place.
        let key = (ev.timestamp, ev.seq);
        if self
            .events
            .back()
            .is_none_or(|l| (l.timestamp, l.seq) <= key)
        {
            self.events.push_back(ev);
        } else {
            let at = self.events.partition_point(|e| (e.timestamp, e.seq) <= key);
            self.events.insert(at, ev);
        }
        while self.bytes > STREAM_BYTES_CAP && self.pop_front().is_some() {}
    }

    /// Drops the oldest event: its bytes, `None` when there is none.
    fn pop_front(&mut self) -> Option<usize> {
        let e = self.events.pop_front()?;
        self.bytes -= e.message.len();
        self.dropped += 1;
        Some(e.message.len())
    }

    /// The key of the oldest event.
    fn front(&self) -> Option<(i64, u64)> {
        self.events.front().map(|e| (e.timestamp, e.seq))
    }

    fn info(&self, name: &str, arn: String) -> LogStream {
        LogStream {
            log_stream_name: name.to_string(),
            creation_time: self.creation_time,
            first_event_timestamp: self.events.front().map(|e| e.timestamp),
            last_event_timestamp: self.events.back().map(|e| e.timestamp),
            last_ingestion_time: self.last_ingestion,
            arn,
            stored_bytes: 0,
        }
    }
}

impl Inner {
    /// Drops the oldest events of all streams until they hold at most `to` bytes, as
    /// retention would: from the stream whose oldest event is the oldest, until its
    /// oldest is newer than the next stream's.
    fn trim(&mut self, to: usize) {
        while self.bytes > to {
            let mut fronts = self
                .groups
                .values_mut()
                .flat_map(|g| g.streams.values_mut())
                .filter_map(|s| s.front().map(|k| (k, s)));
            let Some((mut oldest_key, mut oldest)) = fronts.next() else {
                return;
            };
            let mut next_key = None;
            for (k, s) in fronts {
                if k < oldest_key {
                    next_key = Some(oldest_key);
                    (oldest_key, oldest) = (k, s);
                } else if next_key.is_none_or(|n| k < n) {
                    next_key = Some(k);
                }
            }
            while self.bytes > to
                && oldest
                    .front()
                    .is_some_and(|k| next_key.is_none_or(|n| k <= n))
            {
                self.bytes -= oldest.pop_front().unwrap_or(0);
            }
        }
    }
}

impl Logs {
    pub(crate) fn new(region: &str, account: &str) -> Self {
        Logs {
            region: region.to_string(),
            account: account.to_string(),
            inner: Mutex::new(Inner::default()),
            metrics: OnceLock::new(),
        }
    }

    /// Where the metric filters' datapoints go (CloudWatch); set once.
    pub(crate) fn publish_metrics_to(&self, cw: Arc<CloudWatch>) {
        let _ = self.metrics.set(cw);
    }

    /// PutMetricFilter: creates or replaces filter `name` of `group` (one transformation;
    /// `metricValue` a number or a `$.selector` of a JSON pattern; `defaultValue` and
    /// `dimensions` exclusive, as AWS has them).
    pub(crate) fn put_metric_filter(
        &self,
        group: &str,
        name: &str,
        pattern_text: &str,
        transformations: Vec<Transformation>,
        now: i64,
    ) -> LogsResult<()> {
        if name.is_empty() || name.len() > 512 || name.contains([':', '*']) {
            return Err(LogsError::invalid(format!(
                "1 validation error detected: Value '{name}' at 'filterName' failed to satisfy constraint: \
                 Member must satisfy regular expression pattern: [^:*]*"
            )));
        }
        let [t]: [Transformation; 1] = transformations.try_into().map_err(|v: Vec<_>| {
            LogsError::invalid(format!(
                "1 validation error detected: Value at 'metricTransformations' failed to satisfy constraint: \
                 Member must have length less than or equal to 1 and greater than or equal to 1 (got {})",
                v.len()
            ))
        })?;
        let pattern = Pattern::parse(pattern_text)
            .map_err(|e| LogsError::invalid(format!("Invalid metric filter pattern: {e}")))?;
        if t.metric_name.is_empty() || t.metric_namespace.is_empty() {
            return Err(LogsError::invalid(
                "metricTransformations[0]: metricName and metricNamespace are required",
            ));
        }
        let value = MetricValue::parse(&t.metric_value, &pattern).map_err(|e| {
            LogsError::invalid(format!("Invalid metric value {:?}: {e}", t.metric_value))
        })?;
        if t.default_value.is_some() && !t.dimensions.is_empty() {
            return Err(LogsError::invalid(
                "Metric transformations with dimensions cannot have a default value.",
            ));
        }
        let mut inner = self.lock();
        let g = inner
            .groups
            .get_mut(group)
            .ok_or_else(LogsError::no_group)?;
        if !g.metric_filters.contains_key(name) && g.metric_filters.len() >= MAX_METRIC_FILTERS {
            return Err(AwsError::new(
                LogsCode::LimitExceededException,
                format!("A log group has at most {MAX_METRIC_FILTERS} metric filters."),
            ));
        }
        g.metric_filters.insert(
            name.to_string(),
            MetricFilter {
                pattern_text: pattern_text.to_string(),
                pattern,
                transformation: t,
                value,
                creation_time: now,
            },
        );
        Ok(())
    }

    /// DeleteMetricFilter.
    pub(crate) fn delete_metric_filter(&self, group: &str, name: &str) -> LogsResult<()> {
        let mut inner = self.lock();
        let g = inner
            .groups
            .get_mut(group)
            .ok_or_else(LogsError::no_group)?;
        g.metric_filters
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| LogsError::not_found("The specified metric filter does not exist."))
    }

    /// DescribeMetricFilters: by group (and filter name prefix), or by metric; in group
    /// then name order.
    pub(crate) fn describe_metric_filters(
        &self,
        group: Option<&str>,
        prefix: Option<&str>,
        metric: Option<(&str, &str)>,
    ) -> LogsResult<Vec<MetricFilterInfo>> {
        if prefix.is_some() && group.is_none() {
            return Err(LogsError::invalid(
                "filterNamePrefix requires logGroupName.",
            ));
        }
        let inner = self.lock();
        if let Some(g) = group {
            if !inner.groups.contains_key(g) {
                return Err(LogsError::no_group());
            }
        }
        Ok(inner
            .groups
            .iter()
            .filter(|(n, _)| group.is_none_or(|g| g == n.as_str()))
            .flat_map(|(gn, g)| {
                g.metric_filters
                    .iter()
                    .map(move |(fname, f)| MetricFilterInfo {
                        filter_name: fname.clone(),
                        filter_pattern: f.pattern_text.clone(),
                        log_group_name: gn.clone(),
                        creation_time: f.creation_time,
                        transformation: f.transformation.clone(),
                    })
            })
            .filter(|f| prefix.is_none_or(|p| f.filter_name.starts_with(p)))
            .filter(|f| {
                metric.is_none_or(|(ns, name)| {
                    f.transformation.metric_namespace == ns && f.transformation.metric_name == name
                })
            })
            .collect())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        deployer_models::sync::lock(&self.inner)
    }

    pub(crate) fn group_arn(&self, group: &str) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{group}",
            self.region, self.account
        )
    }

    pub(crate) fn stream_arn(&self, group: &str, stream: &str) -> String {
        format!("{}:log-stream:{stream}", self.group_arn(group))
    }

    /// A `logGroupIdentifier`: a name, or an ARN (with or without the trailing `:*`).
    pub(crate) fn group_name_of<'a>(&self, identifier: &'a str) -> &'a str {
        identifier
            .strip_prefix("arn:")
            .and_then(|rest| rest.split_once(":log-group:"))
            .map(|(_, name)| name.strip_suffix(":*").unwrap_or(name))
            .unwrap_or(identifier)
    }

    /// CreateLogGroup.
    pub(crate) fn create_group(&self, name: &str, now: i64) -> LogsResult<()> {
        check_group_name(name)?;
        let mut inner = self.lock();
        if inner.groups.contains_key(name) {
            return Err(LogsError::exists("The specified log group already exists"));
        }
        inner.groups.insert(
            name.to_string(),
            Group {
                creation_time: now,
                streams: BTreeMap::new(),
                metric_filters: BTreeMap::new(),
            },
        );
        Ok(())
    }

    /// CreateLogStream.
    pub(crate) fn create_stream(&self, group: &str, stream: &str, now: i64) -> LogsResult<()> {
        check_stream_name(stream)?;
        let mut inner = self.lock();
        let g = inner
            .groups
            .get_mut(group)
            .ok_or_else(LogsError::no_group)?;
        if g.streams.contains_key(stream) {
            return Err(LogsError::exists("The specified log stream already exists"));
        }
        g.streams.insert(stream.to_string(), Stream::new(now));
        Ok(())
    }

    /// Creates the group and the stream when missing (what a producer such as the awslogs
    /// driver with `awslogs-create-group` does); never fails on existing ones.
    pub(crate) fn ensure_stream(&self, group: &str, stream: &str, now: i64) -> LogsResult<()> {
        check_group_name(group)?;
        check_stream_name(stream)?;
        let mut inner = self.lock();
        let g = inner
            .groups
            .entry(group.to_string())
            .or_insert_with(|| Group {
                creation_time: now,
                streams: BTreeMap::new(),
                metric_filters: BTreeMap::new(),
            });
        g.streams
            .entry(stream.to_string())
            .or_insert_with(|| Stream::new(now));
        Ok(())
    }

    /// PutLogEvents: the events of one call must be in chronological order (as AWS).
    /// Their messages are moved into the stream.
    pub(crate) fn put_events(
        &self,
        group: &str,
        stream: &str,
        events: Vec<InputEvent>,
        now: i64,
    ) -> LogsResult<()> {
        if events.is_empty() || events.len() > MAX_LIMIT {
            return Err(LogsError::invalid(format!(
                "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: \
                 Member must have length between 1 and {MAX_LIMIT}"
            )));
        }
        if events.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
            return Err(LogsError::invalid(
                "Log events in a single PutLogEvents request must be in chronological order.",
            ));
        }
        if let Some(e) = events
            .iter()
            .find(|e| e.message.is_empty() || e.message.len() > MAX_EVENT_BYTES)
        {
            return Err(LogsError::invalid(format!(
                "Log event message must be between 1 and {MAX_EVENT_BYTES} bytes long (got {})",
                e.message.len()
            )));
        }
        let mut inner = self.lock();
        let mut seq = inner.seq;
        let g = inner
            .groups
            .get_mut(group)
            .ok_or_else(LogsError::no_group)?;
        // The metric filters see the events as they are ingested (AWS: a filter counts
        // the events that arrive after it exists).
        let mut datapoints = Vec::new();
        if self.metrics.get().is_some() {
            for f in g.metric_filters.values() {
                for e in &events {
                    let value = if f.pattern.matches(&e.message) {
                        f.value.of(&e.message)
                    } else {
                        f.transformation.default_value
                    };
                    if let Some(v) = value {
                        datapoints.push((f.transformation.metric_key(), e.timestamp, v));
                    }
                }
            }
        }
        let s = g.streams.get_mut(stream).ok_or_else(LogsError::no_stream)?;
        let before = s.bytes;
        for e in events {
            seq += 1;
            s.push(Event {
                timestamp: e.timestamp,
                ingestion_time: now,
                message: e.message,
                seq,
            });
        }
        let after = s.bytes;
        inner.seq = seq;
        // (`inner.bytes` holds the stream's `before`.)
        inner.bytes = inner.bytes - before + after;
        if inner.bytes > LOGS_BYTES_CAP {
            inner.trim(LOGS_TRIM_TO);
        }
        drop(inner);
        if let Some(cw) = self.metrics.get() {
            for (metric, t, v) in datapoints {
                cw.put_datum(metric, t, v);
            }
        }
        Ok(())
    }

    /// One line from a producer, stamped with its ingestion time (creates the group and
    /// stream when missing). Empty lines are skipped, as awslogs does; a line longer than
    /// an event can hold is split.
    pub(crate) fn append(&self, group: &str, stream: &str, line: &str, now: i64) -> LogsResult<()> {
        if line.is_empty() {
            return Ok(());
        }
        self.ensure_stream(group, stream, now)?;
        let mut events = Vec::new();
        split_line(line, now, &mut events);
        self.put_events(group, stream, events, now)
    }

    /// FilterLogEvents: matching events of the selected streams, interleaved by time.
    pub(crate) fn filter(&self, q: &FilterQuery) -> LogsResult<FilterLogEventsResponse> {
        if !q.stream_names.is_empty() && q.stream_prefix.is_some() {
            return Err(LogsError::invalid(
                "logStreamNames and logStreamNamePrefix are mutually exclusive",
            ));
        }
        let limit = check_limit(q.limit, MAX_LIMIT)?;
        let pattern = Pattern::parse(&q.pattern).map_err(|e| LogsError::invalid(e.to_string()))?;
        // The token is the (timestamp, seq) key of the last event of the previous page.
        let after: Option<(i64, u64)> = match &q.next_token {
            None => None,
            Some(t) => {
                let (ts, seq) = t.split_once('-').ok_or_else(LogsError::bad_token)?;
                Some((
                    ts.parse().map_err(|_| LogsError::bad_token())?,
                    seq.parse().map_err(|_| LogsError::bad_token())?,
                ))
            }
        };
        let inner = self.lock();
        let g = inner.groups.get(&q.group).ok_or_else(LogsError::no_group)?;
        let start = q.start_time.unwrap_or(i64::MIN);
        let end = q.end_time.unwrap_or(i64::MAX);
        let mut hits: Vec<(&str, &Event)> = Vec::new();
        for (name, s) in &g.streams {
            let selected = if !q.stream_names.is_empty() {
                q.stream_names.iter().any(|n| n == name)
            } else {
                q.stream_prefix
                    .as_deref()
                    .is_none_or(|p| name.starts_with(p))
            };
            if !selected {
                continue;
            }
            let from = s.events.partition_point(|e| e.timestamp < start);
            for e in s.events.range(from..) {
                if e.timestamp > end {
                    break;
                }
                if after.is_some_and(|a| (e.timestamp, e.seq) <= a) {
                    continue;
                }
                if pattern.matches(&e.message) {
                    hits.push((name, e));
                }
            }
        }
        hits.sort_by_key(|(_, e)| (e.timestamp, e.seq));
        let mut events = Vec::new();
        let mut bytes = 0;
        for (name, e) in &hits {
            if events.len() == limit || (bytes + e.message.len() > PAGE_BYTES && !events.is_empty())
            {
                break;
            }
            bytes += e.message.len();
            events.push(FilteredLogEvent {
                log_stream_name: name.to_string(),
                timestamp: e.timestamp,
                message: e.message.clone(),
                ingestion_time: e.ingestion_time,
                event_id: format!("{:056}", e.seq),
            });
        }
        let next_token = (events.len() < hits.len()).then(|| {
            let (_, last) = hits[events.len() - 1];
            format!("{}-{}", last.timestamp, last.seq)
        });
        Ok(FilterLogEventsResponse {
            events,
            searched_log_streams: Vec::new(),
            next_token,
        })
    }

    /// GetLogEvents: one stream, by position (tokens), newest page first unless
    /// `start_from_head`.
    pub(crate) fn get(&self, q: &GetQuery) -> LogsResult<GetLogEventsResponse> {
        let limit = check_limit(q.limit, MAX_LIMIT)?;
        let token = q
            .next_token
            .as_deref()
            .map(parse_position_token)
            .transpose()?;
        let inner = self.lock();
        let s = inner
            .groups
            .get(&q.group)
            .ok_or_else(LogsError::no_group)?
            .streams
            .get(&q.stream)
            .ok_or_else(LogsError::no_stream)?;
        let start = q.start_time.unwrap_or(i64::MIN);
        let end = q.end_time.unwrap_or(i64::MAX);
        // Absolute positions of the events inside [start, end).
        let lo = s.dropped + s.events.partition_point(|e| e.timestamp < start) as u64;
        let hi = s.dropped + s.events.partition_point(|e| e.timestamp < end) as u64;
        let forward = match token {
            Some((dir, _)) => dir == 'f',
            None => q.start_from_head,
        };
        let (from, to) = match (token, forward) {
            (Some((_, pos)), true) => {
                let from = pos.clamp(lo, hi.max(lo));
                (from, take_forward(s, from, hi, limit))
            }
            (Some((_, pos)), false) => {
                let to = pos.clamp(lo, hi.max(lo));
                (take_backward(s, lo, to, limit), to)
            }
            (None, true) => (lo, take_forward(s, lo, hi, limit)),
            (None, false) => (take_backward(s, lo, hi, limit), hi),
        };
        let events = (from..to)
            .map(|p| {
                let e = &s.events[(p - s.dropped) as usize];
                OutputLogEvent {
                    timestamp: e.timestamp,
                    message: e.message.clone(),
                    ingestion_time: e.ingestion_time,
                }
            })
            .collect::<Vec<_>>();
        // With nothing new forward, AWS hands back the same forward token: a reader polls it.
        let next_forward_token = match token {
            Some(('f', pos)) if events.is_empty() => position_token('f', pos),
            _ => position_token('f', to),
        };
        Ok(GetLogEventsResponse {
            events,
            next_forward_token,
            next_backward_token: position_token('b', from),
        })
    }

    /// DescribeLogStreams.
    pub(crate) fn describe_streams(
        &self,
        q: &StreamsQuery,
    ) -> LogsResult<DescribeLogStreamsResponse> {
        if q.prefix.is_some() && q.order_by == StreamOrder::LastEventTime {
            return Err(LogsError::invalid(
                "Cannot order by LastEventTime with a logStreamNamePrefix.",
            ));
        }
        let limit = check_limit(q.limit, 50)?;
        let offset: usize = match &q.next_token {
            None => 0,
            Some(t) => t.parse().map_err(|_| LogsError::bad_token())?,
        };
        let inner = self.lock();
        let g = inner.groups.get(&q.group).ok_or_else(LogsError::no_group)?;
        let mut all: Vec<LogStream> = g
            .streams
            .iter()
            .filter(|(n, _)| q.prefix.as_deref().is_none_or(|p| n.starts_with(p)))
            .map(|(n, s)| s.info(n, self.stream_arn(&q.group, n)))
            .collect();
        if q.order_by == StreamOrder::LastEventTime {
            all.sort_by_key(|s| {
                (
                    s.last_event_timestamp.unwrap_or(0),
                    s.log_stream_name.clone(),
                )
            });
        }
        if q.descending {
            all.reverse();
        }
        let page: Vec<LogStream> = all.iter().skip(offset).take(limit).cloned().collect();
        let next_token =
            (offset + page.len() < all.len()).then(|| (offset + page.len()).to_string());
        Ok(DescribeLogStreamsResponse {
            log_streams: page,
            next_token,
        })
    }

    /// DescribeLogGroups (by name prefix).
    pub(crate) fn describe_groups(
        &self,
        prefix: Option<&str>,
        limit: Option<usize>,
        next_token: Option<&str>,
    ) -> LogsResult<DescribeLogGroupsResponse> {
        let limit = check_limit(limit, 50)?;
        let offset: usize = match next_token {
            None => 0,
            Some(t) => t.parse().map_err(|_| LogsError::bad_token())?,
        };
        let inner = self.lock();
        let all: Vec<LogGroup> = inner
            .groups
            .iter()
            .filter(|(n, _)| prefix.is_none_or(|p| n.starts_with(p)))
            .map(|(n, g)| LogGroup {
                log_group_name: n.clone(),
                creation_time: g.creation_time,
                metric_filter_count: g.metric_filters.len() as i32,
                arn: format!("{}:*", self.group_arn(n)),
                stored_bytes: 0,
                log_group_class: LogGroupClass::Standard,
                log_group_arn: self.group_arn(n),
            })
            .collect();
        let page: Vec<LogGroup> = all.iter().skip(offset).take(limit).cloned().collect();
        let next_token =
            (offset + page.len() < all.len()).then(|| (offset + page.len()).to_string());
        Ok(DescribeLogGroupsResponse {
            log_groups: page,
            next_token,
        })
    }
}

/// `line` as events stamped `now`: one, or more when it is longer than an event can hold.
fn split_line(line: &str, now: i64, out: &mut Vec<InputEvent>) {
    let mut rest = line;
    while !rest.is_empty() {
        let mut cut = rest.len().min(MAX_EVENT_BYTES);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(InputEvent {
            timestamp: now,
            message: rest[..cut].to_string(),
        });
        rest = &rest[cut..];
    }
}

/// One line of a task's output as events (none for an empty line, as awslogs skips
/// it); 1 when it made any.
fn line_events(line: &[u8], now: i64, out: &mut Vec<InputEvent>) -> usize {
    let text = String::from_utf8_lossy(line);
    let text = text.strip_suffix('\r').unwrap_or(&text);
    if text.is_empty() {
        return 0;
    }
    split_line(text, now, out);
    1
}

/// End position of up to `limit` events (and at most a page of bytes) from `from`.
fn take_forward(s: &Stream, from: u64, hi: u64, limit: usize) -> u64 {
    let mut to = from;
    let mut bytes = 0;
    while to < hi && ((to - from) as usize) < limit {
        let len = s.events[(to - s.dropped) as usize].message.len();
        if bytes + len > PAGE_BYTES && to > from {
            break;
        }
        bytes += len;
        to += 1;
    }
    to
}

/// Start position of up to `limit` events (and at most a page of bytes) ending at `to`.
fn take_backward(s: &Stream, lo: u64, to: u64, limit: usize) -> u64 {
    let mut from = to;
    let mut bytes = 0;
    while from > lo && ((to - from) as usize) < limit {
        let len = s.events[(from - 1 - s.dropped) as usize].message.len();
        if bytes + len > PAGE_BYTES && from < to {
            break;
        }
        bytes += len;
        from -= 1;
    }
    from
}

/// Feeds a file that a process appends to (a task's stdout/stderr) into a stream, line by
/// line, each stamped when read, as the awslogs driver does with a container's output.
///
/// The file keeps its last [`KEEP_ON_DISK`] bytes: what was read before them is released
/// (a hole punched in the file: it reads as zero bytes and takes no disk), as the stream
/// holds it. A task under load writes its access log at a few MB a second; kept whole,
/// the state dir grew by gigabytes an hour.
pub(crate) struct FileFollower {
    logs: Arc<Logs>,
    path: PathBuf,
    group: String,
    stream: String,
    offset: u64,
    partial: Vec<u8>,
    /// The file before this offset is a hole.
    released: u64,
    /// Whether the file system punches holes (off after the first refusal).
    punch: bool,
}

/// How much of a task's output file stays on disk behind what was read.
pub(crate) const KEEP_ON_DISK: u64 = 4 * 1024 * 1024;
/// What is released at a time (at least).
const RELEASE_STEP: u64 = 8 * 1024 * 1024;

impl FileFollower {
    pub(crate) fn new(logs: Arc<Logs>, path: PathBuf, group: &str, stream: &str) -> Self {
        FileFollower {
            logs,
            path,
            group: group.to_string(),
            stream: stream.to_string(),
            offset: 0,
            partial: Vec::new(),
            released: 0,
            punch: true,
        }
    }

    /// Reads what was appended since the last call; puts each complete line (and, with
    /// `flush`, an unterminated last one), in one call. Returns how many lines it put.
    pub(crate) fn poll(&mut self, now: i64, flush: bool) -> std::io::Result<usize> {
        // Opened for writing too: punching a hole needs it.
        let mut f = match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let len = f.metadata()?.len();
        if len < self.offset {
            // Truncated: start over.
            self.offset = 0;
            self.released = 0;
            self.partial.clear();
        }
        f.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        (&mut f).take(len - self.offset).read_to_end(&mut buf)?;
        self.offset += buf.len() as u64;
        self.partial.extend_from_slice(&buf);
        let mut events = Vec::new();
        let mut lines = 0;
        let mut start = 0;
        while let Some(i) = self.partial[start..].iter().position(|&b| b == b'\n') {
            lines += line_events(&self.partial[start..start + i], now, &mut events);
            start += i + 1;
        }
        self.partial.drain(..start);
        // A line that never ends is put by the page, rather than held whole in memory.
        let flush = flush || self.partial.len() > PAGE_BYTES;
        if flush && !self.partial.is_empty() {
            let rest = std::mem::take(&mut self.partial);
            lines += line_events(&rest, now, &mut events);
        }
        if !events.is_empty() {
            if let Err(e) = self.logs.ensure_stream(&self.group, &self.stream, now) {
                tracing::warn!(target: "logs", "{}/{}: {e}", self.group, self.stream);
                return Ok(0);
            }
        }
        // At most a call's worth of events a time.
        while !events.is_empty() {
            let rest = events.split_off(events.len().min(MAX_LIMIT));
            let chunk = std::mem::replace(&mut events, rest);
            if let Err(e) = self.logs.put_events(&self.group, &self.stream, chunk, now) {
                tracing::warn!(target: "logs", "{}/{}: {e}", self.group, self.stream);
                return Ok(0);
            }
        }
        self.release(&f);
        Ok(lines)
    }

    /// Punches out what was read, but the last [`KEEP_ON_DISK`] bytes, once that is at
    /// least [`RELEASE_STEP`] (in whole 4 KiB blocks).
    fn release(&mut self, f: &std::fs::File) {
        let end = self.offset.saturating_sub(KEEP_ON_DISK) & !4095;
        if !self.punch || end < self.released + RELEASE_STEP {
            return;
        }
        use nix::fcntl::{fallocate, FallocateFlags};
        match fallocate(
            f,
            FallocateFlags::FALLOC_FL_PUNCH_HOLE | FallocateFlags::FALLOC_FL_KEEP_SIZE,
            self.released as i64,
            (end - self.released) as i64,
        ) {
            Ok(()) => self.released = end,
            Err(e) => {
                // tmpfs and the common disk file systems punch holes; others keep the file
                // whole, as before.
                tracing::info!(target: "logs", "{}: cannot release what was read ({e}): the file is kept whole", self.path.display());
                self.punch = false;
            }
        }
    }

    /// Polls every `interval` until `done` is cancelled, then reads to the end once more.
    pub(crate) async fn run(mut self, interval: Duration, done: CancellationToken) {
        let _ = self.logs.ensure_stream(
            &self.group,
            &self.stream,
            deployer_models::time::now_millis(),
        );
        loop {
            let stop = tokio::select! {
                _ = done.cancelled() => true,
                _ = tokio::time::sleep(interval) => false,
            };
            if let Err(e) = self.poll(deployer_models::time::now_millis(), stop) {
                tracing::warn!(target: "logs", "cannot read {}: {e}", self.path.display());
            }
            if stop {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs() -> Logs {
        Logs::new("us-east-1", "000000000000")
    }

    fn put(l: &Logs, stream: &str, ts: i64, msg: &str) {
        l.ensure_stream("/ecs/demo", stream, ts).unwrap();
        l.put_events(
            "/ecs/demo",
            stream,
            vec![InputEvent {
                timestamp: ts,
                message: msg.into(),
            }],
            ts,
        )
        .unwrap();
    }

    fn msgs<'a>(it: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        it.into_iter().map(String::from).collect()
    }

    #[test]
    fn stream_names_follow_awslogs() {
        assert_eq!(ecs_stream("abc"), "ecs/demo/abc");
        assert_eq!(ECS_GROUP, "/ecs/demo");
    }

    #[test]
    fn create_twice_and_missing_parents_are_aws_errors() {
        let l = logs();
        l.create_group("/aws/codebuild/demo", 1).unwrap();
        let e = l.create_group("/aws/codebuild/demo", 2).unwrap_err();
        assert_eq!(e.code_str(), "ResourceAlreadyExistsException");
        let e = l.create_stream("/nope", "s", 1).unwrap_err();
        assert_eq!(e.code_str(), "ResourceNotFoundException");
        assert_eq!(e.to_string(), "The specified log group does not exist.");
        l.create_stream("/aws/codebuild/demo", "build/1", 1)
            .unwrap();
        let e = l
            .create_stream("/aws/codebuild/demo", "build/1", 1)
            .unwrap_err();
        assert_eq!(e.code_str(), "ResourceAlreadyExistsException");
        let e = l.create_group("bad name!", 1).unwrap_err();
        assert_eq!(e.code_str(), "InvalidParameterException");
        let e = l
            .create_stream("/aws/codebuild/demo", "a:b", 1)
            .unwrap_err();
        assert_eq!(e.code_str(), "InvalidParameterException");
    }

    #[test]
    fn put_events_checks_order_and_targets() {
        let l = logs();
        let ev = |t, m: &str| InputEvent {
            timestamp: t,
            message: m.into(),
        };
        let e = l.put_events("/g", "s", vec![ev(1, "x")], 1).unwrap_err();
        assert_eq!(e.code_str(), "ResourceNotFoundException");
        l.create_group("/g", 1).unwrap();
        let e = l.put_events("/g", "s", vec![ev(1, "x")], 1).unwrap_err();
        assert_eq!(e.to_string(), "The specified log stream does not exist.");
        l.create_stream("/g", "s", 1).unwrap();
        let e = l
            .put_events("/g", "s", vec![ev(2, "b"), ev(1, "a")], 3)
            .unwrap_err();
        assert_eq!(e.code_str(), "InvalidParameterException");
        let e = l.put_events("/g", "s", vec![ev(1, "")], 3).unwrap_err();
        assert_eq!(e.code_str(), "InvalidParameterException");
        l.put_events("/g", "s", vec![ev(1, "a"), ev(2, "b")], 3)
            .unwrap();
        let page = l
            .get(&GetQuery {
                group: "/g".into(),
                stream: "s".into(),
                start_from_head: true,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(page.events.len(), 2);
        assert_eq!(page.events[1].timestamp, 2);
        assert_eq!(page.events[1].ingestion_time, 3);
    }

    #[test]
    fn filter_interleaves_streams_by_time_and_applies_the_pattern() {
        let l = logs();
        put(&l, "ecs/demo/a", 10, r#"{"level":"INFO","message":"a1"}"#);
        put(&l, "ecs/demo/b", 11, r#"{"level":"ERROR","message":"b1"}"#);
        put(&l, "ecs/demo/a", 12, r#"{"level":"ERROR","message":"a2"}"#);
        put(&l, "other/x", 13, r#"{"level":"ERROR","message":"x1"}"#);
        let q = FilterQuery {
            group: "/ecs/demo".into(),
            ..Default::default()
        };
        let all = l.filter(&q).unwrap();
        let names: Vec<&str> = all
            .events
            .iter()
            .map(|e| e.log_stream_name.as_str())
            .collect();
        assert_eq!(names, ["ecs/demo/a", "ecs/demo/b", "ecs/demo/a", "other/x"]);
        assert!(all.next_token.is_none());
        let errors = l
            .filter(&FilterQuery {
                pattern: r#"{ $.level = "ERROR" }"#.into(),
                stream_prefix: Some("ecs/demo/".into()),
                ..q.clone()
            })
            .unwrap();
        let got: Vec<String> = errors.events.iter().map(|e| e.message.clone()).collect();
        assert_eq!(
            got,
            msgs([
                r#"{"level":"ERROR","message":"b1"}"#,
                r#"{"level":"ERROR","message":"a2"}"#
            ])
        );
        let one = l
            .filter(&FilterQuery {
                stream_names: vec!["ecs/demo/b".into()],
                ..q.clone()
            })
            .unwrap();
        assert_eq!(one.events.len(), 1);
        // Start and end are inclusive.
        let window = l
            .filter(&FilterQuery {
                start_time: Some(11),
                end_time: Some(12),
                ..q.clone()
            })
            .unwrap();
        assert_eq!(window.events.len(), 2);
        let e = l
            .filter(&FilterQuery {
                pattern: "[a, b]".into(),
                ..q.clone()
            })
            .unwrap_err();
        assert_eq!(e.code_str(), "InvalidParameterException");
        let e = l
            .filter(&FilterQuery {
                group: "/nope".into(),
                ..q
            })
            .unwrap_err();
        assert_eq!(e.code_str(), "ResourceNotFoundException");
    }

    #[test]
    fn filter_pages_with_tokens_without_gaps_or_repeats() {
        let l = logs();
        for i in 0..25 {
            // Equal timestamps across pages: the token carries the tie-breaker.
            put(
                &l,
                if i % 2 == 0 { "s/a" } else { "s/b" },
                100 + i / 3,
                &format!("m{i}"),
            );
        }
        let mut seen = Vec::new();
        let mut ids = Vec::new();
        let mut token = None;
        loop {
            let page = l
                .filter(&FilterQuery {
                    group: "/ecs/demo".into(),
                    limit: Some(4),
                    next_token: token,
                    ..Default::default()
                })
                .unwrap();
            assert!(page.events.len() <= 4);
            seen.extend(page.events.iter().map(|e| e.message.clone()));
            ids.extend(page.events.iter().map(|e| e.event_id.clone()));
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(seen, (0..25).map(|i| format!("m{i}")).collect::<Vec<_>>());
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(unique.len(), 25);
        let e = l
            .filter(&FilterQuery {
                group: "/ecs/demo".into(),
                next_token: Some("garbage".into()),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(e.code_str(), "InvalidParameterException");
    }

    #[test]
    fn get_events_tail_head_and_tokens() {
        let l = logs();
        for i in 0..10 {
            put(&l, "s", 1000 + i, &format!("e{i}"));
        }
        let q = GetQuery {
            group: "/ecs/demo".into(),
            stream: "s".into(),
            limit: Some(3),
            ..Default::default()
        };
        let text = |p: &GetLogEventsResponse| {
            p.events
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
        };
        // Default: the newest page.
        let last = l.get(&q).unwrap();
        assert_eq!(text(&last), msgs(["e7", "e8", "e9"]));
        // Backward from there.
        let before = l
            .get(&GetQuery {
                next_token: Some(last.next_backward_token.clone()),
                ..q.clone()
            })
            .unwrap();
        assert_eq!(text(&before), msgs(["e4", "e5", "e6"]));
        // From the head, then forward.
        let head = l
            .get(&GetQuery {
                start_from_head: true,
                ..q.clone()
            })
            .unwrap();
        assert_eq!(text(&head), msgs(["e0", "e1", "e2"]));
        let next = l
            .get(&GetQuery {
                next_token: Some(head.next_forward_token.clone()),
                ..q.clone()
            })
            .unwrap();
        assert_eq!(text(&next), msgs(["e3", "e4", "e5"]));
        // At the end, the forward token stays put until new events arrive.
        let end = l
            .get(&GetQuery {
                next_token: Some(last.next_forward_token.clone()),
                ..q.clone()
            })
            .unwrap();
        assert!(end.events.is_empty());
        assert_eq!(end.next_forward_token, last.next_forward_token);
        put(&l, "s", 2000, "new");
        let more = l
            .get(&GetQuery {
                next_token: Some(end.next_forward_token),
                ..q.clone()
            })
            .unwrap();
        assert_eq!(text(&more), msgs(["new"]));
        assert!(last.next_forward_token.starts_with("f/"));
        assert_eq!(last.next_forward_token.len(), 58);
        // Time window: start inclusive, end exclusive.
        let window = l
            .get(&GetQuery {
                start_time: Some(1002),
                end_time: Some(1004),
                start_from_head: true,
                limit: None,
                ..q.clone()
            })
            .unwrap();
        assert_eq!(text(&window), msgs(["e2", "e3"]));
        for bad in ["x", "f/abc", "q/1"] {
            let e = l
                .get(&GetQuery {
                    next_token: Some(bad.into()),
                    ..q.clone()
                })
                .unwrap_err();
            assert_eq!(e.code_str(), "InvalidParameterException", "{bad}");
        }
        let e = l
            .get(&GetQuery {
                stream: "nope".into(),
                ..q.clone()
            })
            .unwrap_err();
        assert_eq!(e.to_string(), "The specified log stream does not exist.");
        let e = l
            .get(&GetQuery {
                limit: Some(10_001),
                ..q
            })
            .unwrap_err();
        assert_eq!(e.code_str(), "InvalidParameterException");
    }

    #[test]
    fn describe_streams_orders_and_pages() {
        let l = logs();
        put(&l, "ecs/demo/b", 5, "x");
        put(&l, "ecs/demo/a", 9, "x");
        put(&l, "other", 1, "x");
        let q = StreamsQuery {
            group: "/ecs/demo".into(),
            ..Default::default()
        };
        let names = |p: &DescribeLogStreamsResponse| {
            p.log_streams
                .iter()
                .map(|s| s.log_stream_name.clone())
                .collect::<Vec<_>>()
        };
        let all = l.describe_streams(&q).unwrap();
        assert_eq!(names(&all), msgs(["ecs/demo/a", "ecs/demo/b", "other"]));
        assert_eq!(all.log_streams[0].last_event_timestamp, Some(9));
        assert_eq!(
            all.log_streams[0].arn,
            "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/demo:log-stream:ecs/demo/a"
        );
        let latest = l
            .describe_streams(&StreamsQuery {
                order_by: StreamOrder::LastEventTime,
                descending: true,
                limit: Some(2),
                ..q.clone()
            })
            .unwrap();
        assert_eq!(names(&latest), msgs(["ecs/demo/a", "ecs/demo/b"]));
        let rest = l
            .describe_streams(&StreamsQuery {
                order_by: StreamOrder::LastEventTime,
                descending: true,
                limit: Some(2),
                next_token: latest.next_token.clone(),
                ..q.clone()
            })
            .unwrap();
        assert_eq!(names(&rest), msgs(["other"]));
        assert!(rest.next_token.is_none());
        let pre = l
            .describe_streams(&StreamsQuery {
                prefix: Some("ecs/".into()),
                ..q.clone()
            })
            .unwrap();
        assert_eq!(pre.log_streams.len(), 2);
        let e = l
            .describe_streams(&StreamsQuery {
                prefix: Some("ecs/".into()),
                order_by: StreamOrder::LastEventTime,
                ..q
            })
            .unwrap_err();
        assert_eq!(e.code_str(), "InvalidParameterException");
    }

    #[test]
    fn group_identifier_accepts_names_and_arns() {
        let l = logs();
        assert_eq!(l.group_name_of("/ecs/demo"), "/ecs/demo");
        assert_eq!(
            l.group_name_of("arn:aws:logs:us-east-1:000000000000:log-group:/ecs/demo:*"),
            "/ecs/demo"
        );
        assert_eq!(
            l.group_name_of("arn:aws:logs:us-east-1:000000000000:log-group:/ecs/demo"),
            "/ecs/demo"
        );
    }

    #[test]
    fn streams_keep_their_newest_bytes_and_tokens_stay_valid() {
        let l = logs();
        let big = "x".repeat(MAX_EVENT_BYTES);
        let n = STREAM_BYTES_CAP / MAX_EVENT_BYTES + 5;
        for i in 0..n {
            put(&l, "s", i as i64, &big);
        }
        let q = GetQuery {
            group: "/ecs/demo".into(),
            stream: "s".into(),
            start_from_head: true,
            ..Default::default()
        };
        let page = l.get(&q).unwrap();
        let kept = STREAM_BYTES_CAP / MAX_EVENT_BYTES;
        assert_eq!(
            page.events[0].timestamp,
            (n - kept) as i64,
            "the oldest were dropped"
        );
        // A page holds at most 1 MB of messages.
        assert_eq!(page.events.len(), PAGE_BYTES / MAX_EVENT_BYTES);
        // A token from before the drop still reads forward from what is left.
        let later = l
            .get(&GetQuery {
                next_token: Some(position_token('f', 0)),
                ..q
            })
            .unwrap();
        assert!(!later.events.is_empty());
    }

    #[test]
    fn all_streams_together_keep_their_newest_bytes() {
        let l = logs();
        let big = "x".repeat(MAX_EVENT_BYTES);
        let per_stream = STREAM_BYTES_CAP / MAX_EVENT_BYTES / 2;
        // Tasks one after another, as deployments start them: ten streams of half a
        // stream's cap each, five times the cap of all, the clock running on.
        let mut t = 0;
        for task in 0..10 {
            for _ in 0..per_stream {
                put(&l, &format!("t{task}"), t, &big);
                t += 1;
            }
            let total = l.lock().bytes;
            assert!(total <= LOGS_BYTES_CAP, "{total} after task {task}");
        }
        let inner = l.lock();
        let held: usize = inner.groups["/ecs/demo"]
            .streams
            .values()
            .map(|s| s.bytes)
            .sum();
        assert_eq!(held, inner.bytes, "the total is the streams' sum");
        assert!(
            held > LOGS_TRIM_TO - MAX_EVENT_BYTES,
            "{held}: trimmed no further than needed"
        );
        // The oldest went first: the newest events of all are kept, without a gap.
        let streams = &inner.groups["/ecs/demo"].streams;
        let mut kept: Vec<i64> = streams
            .values()
            .flat_map(|s| s.events.iter().map(|e| e.timestamp))
            .collect();
        kept.sort();
        assert_eq!(*kept.last().unwrap(), t - 1);
        assert_eq!(kept.len() as i64, t - kept[0], "no gap: {}..{}", kept[0], t);
        assert!(streams["t0"].events.is_empty() && !streams["t9"].events.is_empty());
        // A stream emptied by the trim still reads by its old tokens (nothing left).
        drop(inner);
        let page = l
            .get(&GetQuery {
                group: "/ecs/demo".into(),
                stream: "t0".into(),
                next_token: Some(position_token('f', 3)),
                ..Default::default()
            })
            .unwrap();
        assert!(page.events.is_empty());
    }

    #[test]
    fn follower_puts_complete_lines_stamped_when_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("task.log");
        let l = Arc::new(logs());
        let mut f = FileFollower::new(Arc::clone(&l), path.clone(), "/ecs/demo", "ecs/demo/t1");
        assert_eq!(f.poll(1, false).unwrap(), 0, "no file yet");
        std::fs::write(&path, "one\n\ntwo\nthr").unwrap();
        assert_eq!(f.poll(5, false).unwrap(), 2);
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"ee\nfour").unwrap();
        assert_eq!(f.poll(7, false).unwrap(), 1);
        assert_eq!(
            f.poll(9, true).unwrap(),
            1,
            "flush puts the unterminated line"
        );
        let page = l
            .get(&GetQuery {
                group: "/ecs/demo".into(),
                stream: "ecs/demo/t1".into(),
                start_from_head: true,
                ..Default::default()
            })
            .unwrap();
        let got: Vec<(i64, String)> = page
            .events
            .iter()
            .map(|e| (e.timestamp, e.message.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (5, "one".to_string()),
                (5, "two".to_string()),
                (7, "three".to_string()),
                (9, "four".to_string())
            ]
        );
    }

    #[test]
    fn follower_releases_what_it_read_but_the_last_bytes_and_loses_no_line() {
        use std::io::Write;
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("task.log");
        let l = Arc::new(logs());
        let mut f = FileFollower::new(Arc::clone(&l), path.clone(), "/ecs/demo", "ecs/demo/t1");
        // A task writing as it serves: 24 MiB of lines in 3 rounds, read after each one.
        let mut file = std::fs::File::create(&path).unwrap();
        let mut n = 0;
        for round in 0..3 {
            let mut chunk = String::new();
            while chunk.len() < 8 * 1024 * 1024 {
                chunk.push_str(&format!(
                    "{{\"line\":{n},\"pad\":\"{}\"}}\n",
                    "x".repeat(200)
                ));
                n += 1;
            }
            file.write_all(chunk.as_bytes()).unwrap();
            f.poll(round, false).unwrap();
        }
        let meta = std::fs::metadata(&path).unwrap();
        let on_disk = meta.blocks() * 512;
        assert!(
            on_disk < KEEP_ON_DISK + RELEASE_STEP + 4096,
            "{on_disk} bytes on disk of {}: nothing released",
            meta.len()
        );
        assert!(f.released > 0 && f.released <= meta.len() - KEEP_ON_DISK);
        // The end of the file is intact: its last line reads back whole.
        let text = std::fs::read(&path).unwrap();
        assert!(text[..f.released as usize].iter().all(|&b| b == 0));
        let tail = String::from_utf8(text[meta.len() as usize - KEEP_ON_DISK as usize..].to_vec())
            .unwrap();
        assert!(
            tail.contains(&format!("{{\"line\":{},", n - 1)),
            "the last line is kept"
        );
        // Every line reached the stream (it holds the stream's cap: the newest ones).
        let inner = l.lock();
        let s = &inner.groups["/ecs/demo"].streams["ecs/demo/t1"];
        assert_eq!(s.dropped + s.events.len() as u64, n);
        assert_eq!(
            s.events.back().unwrap().message,
            format!("{{\"line\":{},\"pad\":\"{}\"}}", n - 1, "x".repeat(200))
        );
    }

    #[test]
    fn follower_puts_a_line_that_never_ends_by_the_page() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("task.log");
        let l = Arc::new(logs());
        let mut f = FileFollower::new(Arc::clone(&l), path.clone(), "/ecs/demo", "ecs/demo/t1");
        std::fs::write(&path, "y".repeat(3 * PAGE_BYTES)).unwrap();
        assert_eq!(f.poll(1, false).unwrap(), 1);
        assert!(f.partial.is_empty(), "not held in memory");
        let inner = l.lock();
        let s = &inner.groups["/ecs/demo"].streams["ecs/demo/t1"];
        assert_eq!(s.bytes, 3 * PAGE_BYTES);
        assert!(s.events.iter().all(|e| e.message.len() <= MAX_EVENT_BYTES));
    }
}
