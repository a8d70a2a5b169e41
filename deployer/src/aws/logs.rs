//! CloudWatch Logs reads (aws-sdk-cloudwatchlogs): the service's log events for `deployer
//! logs`, and a stopped task's last lines for a failed deployment's report. Never prints.

#![warn(unreachable_pub)]

use aws_sdk_cloudwatchlogs::Client;

use crate::aws::AwsResultExt;
use deployer_models::logview::Event;

/// FilterLogEvents takes at most 100 stream names per call.
const STREAMS_PER_CALL: usize = 100;

/// What to read: one group; `streams` empty means every stream of the group.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
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
pub(crate) async fn filter(client: &Client, q: &Query) -> anyhow::Result<Vec<Event>> {
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

/// The last `n` lines a Lambda function logged since `start_ms` (its log group
/// `/aws/lambda/<name>`, every stream); none when the group does not exist yet.
pub(crate) async fn function_lines(
    client: &Client,
    function: &str,
    start_ms: i64,
    n: usize,
) -> anyhow::Result<Vec<Event>> {
    let name = function.rsplit(':').next().unwrap_or(function);
    let q = Query {
        group: format!("/aws/lambda/{name}"),
        start_ms,
        max_events: 10_000,
        ..Query::default()
    };
    let mut events = match filter(client, &q).await {
        Ok(events) => events,
        Err(e)
            if e.chain()
                .any(|c| c.to_string().contains("ResourceNotFound")) =>
        {
            return Ok(Vec::new())
        }
        Err(e) => return Err(e),
    };
    let skip = events.len().saturating_sub(n);
    events.drain(..skip);
    Ok(events)
}

/// The last `n` events of one stream (GetLogEvents from the tail). A stream that does not
/// exist (the task never wrote a line) gives no events.
pub(crate) async fn last_lines(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::mock::{ctx, mock};
    use aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsOutput;
    use aws_sdk_cloudwatchlogs::operation::get_log_events::{
        GetLogEventsError, GetLogEventsOutput,
    };
    use aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException;
    use aws_sdk_cloudwatchlogs::types::{FilteredLogEvent, OutputLogEvent};

    #[tokio::test]
    async fn last_lines_of_a_stream_and_of_one_that_does_not_exist() {
        let lines = mock!(Client::get_log_events)
            .match_requests(|r| {
                r.log_stream_name() == Some("ecs/demo/abc")
                    && r.start_from_head() == Some(false)
                    && r.limit() == Some(2)
            })
            .then_output(|| {
                GetLogEventsOutput::builder()
                    .events(
                        OutputLogEvent::builder()
                            .timestamp(1)
                            .message("one")
                            .build(),
                    )
                    .events(
                        OutputLogEvent::builder()
                            .timestamp(2)
                            .message("two")
                            .build(),
                    )
                    .build()
            });
        let missing = mock!(Client::get_log_events)
            .match_requests(|r| r.log_stream_name() == Some("ecs/demo/none"))
            .then_error(|| {
                GetLogEventsError::ResourceNotFoundException(
                    ResourceNotFoundException::builder().build(),
                )
            });
        let ctx = ctx(&[&lines, &missing]);
        let got = last_lines(&ctx.aws.logs, "/ecs/demo", "ecs/demo/abc", 2)
            .await
            .unwrap();
        assert_eq!(
            got.iter()
                .map(|e| (e.timestamp, e.message.as_str(), e.stream.as_str()))
                .collect::<Vec<_>>(),
            [(1, "one", "ecs/demo/abc"), (2, "two", "ecs/demo/abc")]
        );
        assert!(last_lines(&ctx.aws.logs, "/ecs/demo", "ecs/demo/none", 2)
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn filter_reads_every_page_oldest_first_up_to_the_cap() {
        let pages = mock!(Client::filter_log_events)
            .sequence()
            .output(|| {
                FilterLogEventsOutput::builder()
                    .events(
                        FilteredLogEvent::builder()
                            .timestamp(5)
                            .message("b")
                            .event_id("2")
                            .build(),
                    )
                    .next_token("page-2")
                    .build()
            })
            .output(|| {
                FilterLogEventsOutput::builder()
                    .events(
                        FilteredLogEvent::builder()
                            .timestamp(1)
                            .message("a")
                            .event_id("1")
                            .build(),
                    )
                    .events(
                        FilteredLogEvent::builder()
                            .timestamp(9)
                            .message("c")
                            .event_id("3")
                            .build(),
                    )
                    .build()
            })
            .build();
        let ctx = ctx(&[&pages]);
        let q = Query {
            group: "/ecs/demo".into(),
            max_events: 2,
            ..Query::default()
        };
        let got = filter(&ctx.aws.logs, &q).await.unwrap();
        assert_eq!(
            got.iter().map(|e| e.message.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(pages.num_calls(), 2);
    }
}
