//! The deployment group's history, as `rollback` and `revisions` need it: which task
//! definition each deployment targeted (read from its appspec), and from that which
//! revisions served production traffic, when, and which deployment put them live or
//! failed them.
//!
//! A revision served traffic when a deployment that targeted it succeeded (CodeDeploy's
//! own rollback deployments included: they put the original revision back). Failed and
//! stopped deployments never leave their revision live: rollback skips them.

#![warn(unreachable_pub)]

use aws_sdk_codedeploy::types::{DeploymentInfo, RevisionLocation, RevisionLocationType};
use serde::Serialize;

use crate::aws::{codedeploy, Ctx};

/// One deployment of the group, reduced to what the history needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Record {
    pub id: String,
    /// CodeDeploy's status (Succeeded, Failed, Stopped, InProgress, ...).
    pub status: String,
    /// The task definition its appspec names, when it can be read.
    pub target: Option<String>,
    /// The task definition deployed before it (CodeDeploy's `previousRevision`), if known.
    pub previous: Option<String>,
    /// Epoch seconds (RFC 3339 when serialized).
    #[serde(serialize_with = "crate::output::time::opt")]
    pub created: Option<f64>,
    #[serde(serialize_with = "crate::output::time::opt")]
    pub completed: Option<f64>,
    pub creator: Option<String>,
}

/// Every deployment of the group, newest first.
pub(crate) async fn records(ctx: &Ctx) -> anyhow::Result<Vec<Record>> {
    let ids = codedeploy::list_deployments(ctx, &[]).await?;
    let infos = codedeploy::deployments(ctx, &ids).await?;
    Ok(infos.iter().map(record).collect())
}

fn epoch(t: Option<&aws_smithy_types::DateTime>) -> Option<f64> {
    t.map(|t| t.secs() as f64 + f64::from(t.subsec_nanos()) / 1e9)
}

fn record(d: &DeploymentInfo) -> Record {
    Record {
        id: d.deployment_id.clone().unwrap_or_default(),
        status: d
            .status
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        target: d.revision.as_ref().and_then(revision_task_definition),
        previous: d
            .previous_revision
            .as_ref()
            .and_then(revision_task_definition),
        created: epoch(d.create_time.as_ref()),
        completed: epoch(d.complete_time.as_ref()),
        creator: d.creator.as_ref().map(|c| c.as_str().to_owned()),
    }
}

/// The task definition an ECS revision's appspec names (inline content only).
pub(crate) fn revision_task_definition(rev: &RevisionLocation) -> Option<String> {
    let content = match rev.revision_type.as_ref()? {
        RevisionLocationType::AppSpecContent => rev.app_spec_content.as_ref()?.content.clone()?,
        // Deprecated by CodeDeploy, but older deployments may carry it.
        #[allow(deprecated)]
        RevisionLocationType::String => rev.string.as_ref()?.content.clone()?,
        _ => return None,
    };
    deployer_models::appspec::Target::parse(&content)
        .ok()
        .map(|t| t.task_definition)
}

/// A time a revision served production traffic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct LivePeriod {
    /// The deployment that put it live (`None`: it was live before the history starts).
    pub put_live_by: Option<String>,
    /// When that deployment completed (epoch seconds; RFC 3339 in JSON).
    #[serde(serialize_with = "crate::output::time::opt")]
    pub from: Option<f64>,
    /// The successful deployment that replaced it, and when that completed.
    pub replaced_by: Option<String>,
    #[serde(serialize_with = "crate::output::time::opt")]
    pub until: Option<f64>,
}

/// Successful deployments with a known target, newest first by completion.
fn succeeded(records: &[Record]) -> Vec<&Record> {
    let mut s: Vec<&Record> = records
        .iter()
        .filter(|r| r.status == "Succeeded" && r.target.is_some())
        .collect();
    s.sort_by(|a, b| {
        let key = |r: &Record| r.completed.or(r.created).unwrap_or(0.0);
        key(b).total_cmp(&key(a))
    });
    s
}

/// The oldest index of the run of successive deployments (from `i` to older ones) that
/// targeted the same revision as `succ[i]`.
fn run_start(succ: &[&Record], i: usize) -> usize {
    let mut k = i;
    while k + 1 < succ.len() && succ[k + 1].target == succ[i].target {
        k += 1;
    }
    k
}

/// Every period `arn` served traffic, newest first.
pub(crate) fn live_periods(records: &[Record], arn: &str) -> Vec<LivePeriod> {
    let succ = succeeded(records);
    let mut periods = Vec::new();
    for (i, r) in succ.iter().enumerate() {
        if r.target.as_deref() != Some(arn) {
            continue;
        }
        // The newest deployment of a run of deployments of `arn` (a redeploy of the live
        // revision, or CodeDeploy's rollback to it, does not start a new period).
        if i > 0 && succ[i - 1].target.as_deref() == Some(arn) {
            continue;
        }
        let first = succ[run_start(&succ, i)];
        let newer = i.checked_sub(1).map(|j| succ[j]);
        periods.push(LivePeriod {
            put_live_by: Some(first.id.clone()),
            from: first.completed,
            replaced_by: newer.map(|n| n.id.clone()),
            until: newer.and_then(|n| n.completed),
        });
    }
    // Live before the oldest successful deployment, which replaced it.
    if let Some(oldest) = succ.last() {
        if oldest.previous.as_deref() == Some(arn) && oldest.target.as_deref() != Some(arn) {
            periods.push(LivePeriod {
                put_live_by: None,
                from: None,
                replaced_by: Some(oldest.id.clone()),
                until: oldest.completed,
            });
        }
    }
    periods
}

/// What `rollback` goes back to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RollbackTarget {
    pub arn: String,
    pub period: LivePeriod,
}

/// The revision that served production traffic before `live`: the target of the last
/// successful deployment before the one that put `live` in place (failed and stopped
/// deployments are skipped), else the revision the oldest successful deployment
/// replaced. `None` when the history shows none.
pub(crate) fn rollback_target(records: &[Record], live: &str) -> Option<RollbackTarget> {
    let succ = succeeded(records);
    let start = succ
        .iter()
        .position(|r| r.target.as_deref() == Some(live))?;
    for j in start + 1..succ.len() {
        let Some(target) = succ[j].target.as_deref().filter(|t| *t != live) else {
            continue;
        };
        let newer = succ[j - 1];
        let first = succ[run_start(&succ, j)];
        return Some(RollbackTarget {
            arn: target.to_owned(),
            period: LivePeriod {
                put_live_by: Some(first.id.clone()),
                from: first.completed,
                replaced_by: Some(newer.id.clone()),
                until: newer.completed,
            },
        });
    }
    let oldest = succ.last()?;
    let previous = oldest.previous.as_deref().filter(|p| *p != live)?;
    Some(RollbackTarget {
        arn: previous.to_owned(),
        period: LivePeriod {
            put_live_by: None,
            from: None,
            replaced_by: Some(oldest.id.clone()),
            until: oldest.completed,
        },
    })
}

/// Deployments that targeted `arn` and failed or were stopped (newest first).
pub(crate) fn failed_deployments<'a>(records: &'a [Record], arn: &str) -> Vec<&'a Record> {
    records
        .iter()
        .filter(|r| r.target.as_deref() == Some(arn))
        .filter(|r| matches!(r.status.as_str(), "Failed" | "Stopped"))
        .collect()
}

/// `2026-11-27 08:43:25 UTC` from epoch seconds.
pub(crate) fn fmt_time(secs: f64) -> String {
    aws_smithy_types::DateTime::from_secs(secs as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .map(|t| t.replace('T', " ").replace('Z', " UTC"))
        .unwrap_or_else(|_| format!("{secs}"))
}

/// How a period reads: `live from T (put live by d-X) until T (replaced by d-Y)`.
pub(crate) fn describe_period(p: &LivePeriod) -> String {
    let mut s = String::from("live");
    match (&p.put_live_by, p.from) {
        (Some(id), Some(t)) => s.push_str(&format!(" from {} (put live by {id})", fmt_time(t))),
        (Some(id), None) => s.push_str(&format!(" (put live by {id})")),
        (None, _) => s.push_str(" before the deployment history"),
    }
    match (&p.replaced_by, p.until) {
        (Some(id), Some(t)) => s.push_str(&format!(" until {} (replaced by {id})", fmt_time(t))),
        (Some(id), None) => s.push_str(&format!(" until {id} replaced it")),
        (None, _) => s.push_str(", live now"),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn td(n: u32) -> String {
        format!("arn:aws:ecs:us-east-1:000000000000:task-definition/demo:{n}")
    }

    fn rec(id: &str, status: &str, target: u32, previous: Option<u32>, t: f64) -> Record {
        Record {
            id: id.into(),
            status: status.into(),
            target: Some(td(target)),
            previous: previous.map(td),
            created: Some(t),
            completed: Some(t + 1.0),
            creator: Some("user".into()),
        }
    }

    /// Newest first, as `records` returns them.
    fn failing_then_good() -> Vec<Record> {
        vec![
            rec("d-GOOD5", "Succeeded", 5, Some(3), 40.0),
            rec("d-RBACK", "Succeeded", 3, Some(4), 31.0),
            rec("d-FAIL4", "Failed", 4, Some(3), 30.0),
            rec("d-GOOD3", "Succeeded", 3, Some(2), 20.0),
            rec("d-GOOD2", "Succeeded", 2, Some(1), 10.0),
        ]
    }

    #[test]
    fn rollback_skips_the_revision_that_never_served() {
        let t = rollback_target(&failing_then_good(), &td(5)).unwrap();
        assert_eq!(t.arn, td(3));
        // Live since d-GOOD3: the failed d-FAIL4 never took traffic from it.
        assert_eq!(t.period.put_live_by.as_deref(), Some("d-GOOD3"));
        assert_eq!(t.period.replaced_by.as_deref(), Some("d-GOOD5"));
        assert_eq!(t.period.until, Some(41.0));
    }

    #[test]
    fn rollback_before_the_first_deployment_uses_its_previous_revision() {
        let r = vec![rec("d-GOOD2", "Succeeded", 2, Some(1), 10.0)];
        let t = rollback_target(&r, &td(2)).unwrap();
        assert_eq!(t.arn, td(1));
        assert_eq!(t.period.put_live_by, None);
        assert_eq!(t.period.replaced_by.as_deref(), Some("d-GOOD2"));
        // Nothing before revision 1.
        let r = vec![rec("d-GOOD2", "Succeeded", 2, None, 10.0)];
        assert_eq!(rollback_target(&r, &td(2)), None);
        // A live revision no deployment put in place: no answer from the history.
        assert_eq!(rollback_target(&failing_then_good(), &td(9)), None);
    }

    #[test]
    fn periods_and_failures_per_revision() {
        let r = failing_then_good();
        let p3 = live_periods(&r, &td(3));
        assert_eq!(p3.len(), 1, "{p3:?}");
        assert_eq!(p3[0].put_live_by.as_deref(), Some("d-GOOD3"));
        assert_eq!(p3[0].replaced_by.as_deref(), Some("d-GOOD5"));
        assert!(live_periods(&r, &td(4)).is_empty());
        assert_eq!(failed_deployments(&r, &td(4))[0].id, "d-FAIL4");
        let p1 = live_periods(&r, &td(1));
        assert_eq!(p1.len(), 1);
        assert_eq!(p1[0].replaced_by.as_deref(), Some("d-GOOD2"));
        let p5 = live_periods(&r, &td(5));
        assert_eq!(p5[0].replaced_by, None);
        assert!(describe_period(&p5[0]).ends_with("live now"));
    }
}
