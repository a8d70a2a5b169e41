//! CloudWatch Logs reads (aws-sdk-cloudwatchlogs): the service's log events for `deployer
//! logs`, and a stopped task's last lines for a failed deployment's report. Never prints.

use aws_sdk_cloudwatchlogs::Client;

use crate::aws::AwsResultExt;
use deployer_models::logview::Event;

/// FilterLogEvents takes at most 100 stream names per call.
const STREAMS_PER_CALL: usize = 100;

/// What to read: one group; `streams` empty means every stream of the group.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub group: String,
    pub streams: Vec<String>,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    /// CloudWatch filter pattern, passed through.
    pub pattern: Option<String>,
    /// Stop after this many events (the oldest first).
    pub max_events: usize,
}

/// The matching events, oldest first, over every page (at most `q.max_events`).
pub async fn filter(client: &Client, q: &Query) -> anyhow::Result<Vec<Event>> {
    let chunks: Vec<Vec<String>> = if q.streams.is_empty() {
        vec![Vec::new()]
    } else {
        q.streams
            .chunks(STREAMS_PER_CALL)
            .map(<[String]>::to_vec)
            .collect()
    };
    let mut out = Vec::new();
    for chunk in chunks {
        let mut token: Option<String> = None;
        loop {
            let resp = client
                .filter_log_events()
                .log_group_name(&q.group)
                .set_log_stream_names((!chunk.is_empty()).then(|| chunk.clone()))
                .start_time(q.start_ms)
                .set_end_time(q.end_ms)
                .set_filter_pattern(q.pattern.clone())
                .set_next_token(token.take())
                .send()
                .await
                .aws("logs:FilterLogEvents")?;
            for e in resp.events() {
                out.push(Event {
                    stream: e.log_stream_name().unwrap_or_default().to_string(),
                    timestamp: e.timestamp().unwrap_or_default(),
                    message: e.message().unwrap_or_default().to_string(),
                    event_id: e.event_id().map(String::from),
                });
            }
            token = resp.next_token().map(String::from);
            if token.is_none() || out.len() >= q.max_events {
                break;
            }
        }
    }
    out.sort_by_key(|e| e.timestamp);
    out.truncate(q.max_events);
    Ok(out)
}

/// The last `n` events of one stream (GetLogEvents from the tail). A stream that does not
/// exist (the task never wrote a line) gives no events.
pub async fn last_lines(
    client: &Client,
    group: &str,
    stream: &str,
    n: i32,
) -> anyhow::Result<Vec<Event>> {
    let resp = client
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .start_from_head(false)
        .limit(n.max(1))
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(Vec::new())
        }
        Err(e) => return Err(e).aws("logs:GetLogEvents"),
    };
    Ok(resp
        .events()
        .iter()
        .map(|e| Event {
            stream: stream.to_string(),
            timestamp: e.timestamp().unwrap_or_default(),
            message: e.message().unwrap_or_default().to_string(),
            event_id: None,
        })
        .collect())
}
