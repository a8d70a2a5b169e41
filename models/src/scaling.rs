//! `deployer scale`, the pure part: what a request may change, checked against the
//! service and its Application Auto Scaling target before any call, with the reason AWS
//! (or the scaler right after it) would give.
//!
//! How AWS behaves, and why the deployer refuses where it does:
//! - UpdateService may change `desiredCount` of a CODE_DEPLOY service (with the deployment
//!   configuration, health check grace period, placement and tags; nothing else).
//! - Application Auto Scaling keeps the desired count inside [MinCapacity, MaxCapacity]:
//!   a desired count set outside is moved back at its next evaluation, so `--tasks N`
//!   outside the bounds would not last; the deployer refuses it and says to change the
//!   bounds (`--min/--max`) instead.
//! - During a blue/green deployment the replacement task set is sized from the desired
//!   count when CodeDeploy creates it; Application Auto Scaling turns scale-in off while a
//!   deployment is in progress. Changing the count by hand then races CodeDeploy's task
//!   sets: the deployer refuses `--tasks` while a deployment is in flight (bounds may
//!   change: they act after it).
//! - MinCapacity may not exceed MaxCapacity (ValidationException).

use std::fmt;

/// What the user asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Request {
    pub tasks: Option<u32>,
    pub min: Option<u32>,
    pub max: Option<u32>,
}

/// What the service and its scalable target look like now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Current {
    pub desired: u32,
    /// None when no scalable target is registered.
    pub bounds: Option<(u32, u32)>,
    pub deployment_in_flight: bool,
}

/// The calls to make, in order: the bounds first (so a new count fits them), then the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub bounds: Option<(Option<u32>, Option<u32>)>,
    pub tasks: Option<u32>,
}

/// Why a request is refused (exit 2: bad input for the current state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// The most tasks `--tasks` accepts (ECS allows more; this stack's subnets and the local
/// stack's ports make more than this a mistake).
pub(crate) const MAX_TASKS: u32 = 100;

pub fn plan(req: Request, cur: Current) -> Result<Plan, Refusal> {
    if req.tasks.is_none() && req.min.is_none() && req.max.is_none() {
        return Err(Refusal(
            "nothing to change: give --tasks N, or --min N and/or --max N".into(),
        ));
    }
    for (flag, v) in [
        ("--tasks", req.tasks),
        ("--min", req.min),
        ("--max", req.max),
    ] {
        if let Some(v) = v {
            if v > MAX_TASKS {
                return Err(Refusal(format!("{flag} {v}: at most {MAX_TASKS}")));
            }
        }
    }
    let bounds_change = req.min.is_some() || req.max.is_some();
    let new_bounds = match (cur.bounds, bounds_change) {
        (None, true) => return Err(Refusal(
            "the service has no Application Auto Scaling target, so --min/--max have nothing to \
                 change: apply infra/ (infra/autoscaling.tf registers it)"
                .into(),
        )),
        (Some((min, max)), _) => Some((req.min.unwrap_or(min), req.max.unwrap_or(max))),
        (None, false) => None,
    };
    if let Some((min, max)) = new_bounds {
        if min > max {
            return Err(Refusal(format!(
                "--min {min} would exceed --max {max} (Application Auto Scaling refuses MinCapacity > MaxCapacity)"
            )));
        }
    }
    if let Some(n) = req.tasks {
        if n == 0 {
            return Err(Refusal(
                "--tasks 0 would stop the service; the smallest is 1".into(),
            ));
        }
        if cur.deployment_in_flight {
            return Err(Refusal(format!(
                "a deployment is in flight: its replacement task set was sized from the desired count \
                 ({}) and CodeDeploy owns both task sets until it ends; wait for it (`deployer wait`), \
                 then scale",
                cur.desired
            )));
        }
        if let Some((min, max)) = new_bounds {
            if n < min || n > max {
                return Err(Refusal(format!(
                    "--tasks {n} is outside the auto scaling bounds [{min}, {max}]: Application Auto Scaling \
                     would set the desired count back; change the bounds too (--min/--max)"
                )));
            }
        }
    }
    Ok(Plan {
        bounds: bounds_change.then_some((req.min, req.max)),
        tasks: req.tasks.filter(|&n| n != cur.desired || bounds_change),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(desired: u32, bounds: Option<(u32, u32)>, deploying: bool) -> Current {
        Current {
            desired,
            bounds,
            deployment_in_flight: deploying,
        }
    }

    fn req(tasks: Option<u32>, min: Option<u32>, max: Option<u32>) -> Request {
        Request { tasks, min, max }
    }

    #[test]
    fn tasks_inside_the_bounds() {
        let p = plan(req(Some(3), None, None), cur(2, Some((2, 4)), false)).unwrap();
        assert_eq!(
            p,
            Plan {
                bounds: None,
                tasks: Some(3)
            }
        );
        let p = plan(req(Some(3), None, None), cur(2, None, false)).unwrap();
        assert_eq!(p.tasks, Some(3));
    }

    #[test]
    fn tasks_outside_the_bounds_are_refused_unless_the_bounds_move_too() {
        let e = plan(req(Some(6), None, None), cur(2, Some((2, 4)), false)).unwrap_err();
        assert!(
            e.0.contains("outside the auto scaling bounds [2, 4]"),
            "{e}"
        );
        let p = plan(req(Some(6), None, Some(8)), cur(2, Some((2, 4)), false)).unwrap();
        assert_eq!(
            p,
            Plan {
                bounds: Some((None, Some(8))),
                tasks: Some(6)
            }
        );
    }

    #[test]
    fn bounds_need_a_target_and_min_not_above_max() {
        let e = plan(req(None, Some(1), None), cur(2, None, false)).unwrap_err();
        assert!(e.0.contains("no Application Auto Scaling target"), "{e}");
        let e = plan(req(None, Some(5), None), cur(2, Some((2, 4)), false)).unwrap_err();
        assert!(e.0.contains("--min 5 would exceed --max 4"), "{e}");
        let p = plan(req(None, Some(1), Some(3)), cur(2, Some((2, 4)), true)).unwrap();
        assert_eq!(
            p,
            Plan {
                bounds: Some((Some(1), Some(3))),
                tasks: None
            }
        );
    }

    #[test]
    fn count_changes_wait_for_a_deployment_and_zero_or_nothing_is_refused() {
        let e = plan(req(Some(3), None, None), cur(2, Some((1, 4)), true)).unwrap_err();
        assert!(e.0.contains("deployment is in flight"), "{e}");
        assert!(plan(req(Some(0), None, None), cur(2, None, false)).is_err());
        assert!(plan(req(None, None, None), cur(2, None, false)).is_err());
        assert!(plan(req(Some(101), None, None), cur(2, None, false)).is_err());
    }

    #[test]
    fn the_same_count_is_no_call() {
        let p = plan(req(Some(2), None, None), cur(2, None, false)).unwrap();
        assert_eq!(p.tasks, None);
    }
}
