//! Target tracking, as Application Auto Scaling runs it for an ECS service, on plain data:
//! no clock, no processes. The caller feeds one observation per evaluation period (the
//! service's average utilization over that period, its desired count, whether a
//! deployment runs) and applies the decision.
//!
//! AWS's managed alarms, scaled down: scale out once the metric is above the target for
//! [`Params::high_periods`] periods in a row (AWS: 3 one-minute periods); scale in once
//! it is below [`Params::low_ratio`] of the target for [`Params::low_periods`] periods in
//! a row (AWS: 15 periods below 90 %). The new count is `ceil(current * metric /
//! target)` within the target's bounds. Cooldowns are the policy's, in seconds: no scale
//! out within `ScaleOutCooldown` of the last scale out; no scale in within
//! `ScaleInCooldown` of the last scaling activity of either kind. No data (no running
//! task measured) scales nothing, as AWS treats insufficient data. Scale in is off while
//! a deployment is in progress (AWS turns scale-in off during ECS deployments; scale out
//! goes on). A desired count outside the bounds is brought inside them first.

use serde::Serialize;

/// Evaluation settings (the local stack's, in seconds; AWS: minutes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Params {
    pub(crate) high_periods: u32,
    pub(crate) low_periods: u32,
    pub(crate) low_ratio: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            high_periods: 3,
            low_periods: 15,
            low_ratio: 0.9,
        }
    }
}

/// The metric a target tracking policy follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum Metric {
    #[serde(rename = "ECSServiceAverageCPUUtilization")]
    Cpu,
    #[serde(rename = "ECSServiceAverageMemoryUtilization")]
    Memory,
}

impl Metric {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Metric::Cpu => "ECSServiceAverageCPUUtilization",
            Metric::Memory => "ECSServiceAverageMemoryUtilization",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<Metric> {
        match s {
            "ECSServiceAverageCPUUtilization" => Some(Metric::Cpu),
            "ECSServiceAverageMemoryUtilization" => Some(Metric::Memory),
            _ => None,
        }
    }
}

/// A target tracking policy's settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TargetTracking {
    pub(crate) metric: Metric,
    /// Percent.
    pub(crate) target_value: f64,
    /// Seconds.
    pub(crate) scale_out_cooldown: f64,
    pub(crate) scale_in_cooldown: f64,
    pub(crate) disable_scale_in: bool,
}

/// The scalable target's bounds and suspension flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    pub(crate) min: u32,
    pub(crate) max: u32,
    pub(crate) scale_in_suspended: bool,
    pub(crate) scale_out_suspended: bool,
}

/// One evaluation period's view of the service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Observation {
    /// Seconds (any epoch; only differences matter).
    pub(crate) now: f64,
    pub(crate) desired: u32,
    /// The period's average utilization in percent; `None` when nothing was measured.
    pub(crate) metric: Option<f64>,
    pub(crate) deployment_in_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum Direction {
    Out,
    In,
    /// Into the bounds after they changed.
    Bounds,
}

/// What to do: set the desired count from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Decision {
    pub(crate) direction: Direction,
    pub(crate) from: u32,
    pub(crate) to: u32,
    /// Why, as Application Auto Scaling's activity `Cause` reads.
    pub(crate) cause: String,
}

/// The state target tracking keeps between periods. [`Tracker::observe`] only counts the
/// alarm periods and proposes; the caller applies at most one proposal per period (several
/// policies may propose) and tells every tracker with [`Tracker::applied`].
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Tracker {
    high: u32,
    low: u32,
    last_out: Option<f64>,
    last_activity: Option<f64>,
}

impl Tracker {
    pub(crate) fn observe(
        &mut self,
        obs: Observation,
        bounds: Bounds,
        policy: &TargetTracking,
        params: Params,
    ) -> Option<Decision> {
        let current = obs.desired;
        let clamp = |n: u32| n.clamp(bounds.min, bounds.max.max(bounds.min));
        if clamp(current) != current {
            return Some(Decision {
                direction: Direction::Bounds,
                from: current,
                to: clamp(current),
                cause: format!(
                    "monitor alarm: the desired count {current} was outside the bounds [{}, {}]",
                    bounds.min, bounds.max
                ),
            });
        }
        let Some(metric) = obs.metric else {
            self.high = 0;
            self.low = 0;
            return None;
        };
        let target = policy.target_value.max(f64::EPSILON);
        if metric > target {
            self.high += 1;
            self.low = 0;
        } else if metric < target * params.low_ratio {
            self.low += 1;
            self.high = 0;
        } else {
            self.high = 0;
            self.low = 0;
        }
        let wanted = ((current.max(1) as f64) * metric / target).ceil();
        let wanted = clamp(if wanted >= u32::MAX as f64 {
            u32::MAX
        } else {
            wanted as u32
        });
        let since = |t: Option<f64>| t.map(|t| obs.now - t).unwrap_or(f64::INFINITY);
        let alarm = |kind: &str, periods: u32| {
            format!(
                "monitor alarm TargetTracking-{kind} in state ALARM ({} {periods} periods {} {:.1}%, last {metric:.1}%) triggered policy",
                policy.metric.as_str(),
                if kind == "AlarmHigh" { "above" } else { "below" },
                if kind == "AlarmHigh" { target } else { target * params.low_ratio },
            )
        };
        if self.high >= params.high_periods
            && wanted > current
            && !bounds.scale_out_suspended
            && since(self.last_out) >= policy.scale_out_cooldown
        {
            return Some(Decision {
                direction: Direction::Out,
                from: current,
                to: wanted,
                cause: alarm("AlarmHigh", params.high_periods),
            });
        }
        if self.low >= params.low_periods
            && wanted < current
            && !policy.disable_scale_in
            && !bounds.scale_in_suspended
            && !obs.deployment_in_progress
            && since(self.last_activity) >= policy.scale_in_cooldown
        {
            return Some(Decision {
                direction: Direction::In,
                from: current,
                to: wanted,
                cause: alarm("AlarmLow", params.low_periods),
            });
        }
        None
    }

    /// Records that `d` was applied at `now` (whichever policy asked for it): the alarms
    /// start over and the cooldowns run from here.
    pub(crate) fn applied(&mut self, d: &Decision, now: f64) {
        self.high = 0;
        self.low = 0;
        self.last_activity = Some(now);
        if d.direction == Direction::Out {
            self.last_out = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params = Params {
        high_periods: 3,
        low_periods: 5,
        low_ratio: 0.9,
    };

    fn policy() -> TargetTracking {
        TargetTracking {
            metric: Metric::Cpu,
            target_value: 50.0,
            scale_out_cooldown: 10.0,
            scale_in_cooldown: 20.0,
            disable_scale_in: false,
        }
    }

    fn bounds(min: u32, max: u32) -> Bounds {
        Bounds {
            min,
            max,
            scale_in_suspended: false,
            scale_out_suspended: false,
        }
    }

    /// Feeds one observation per second from `t0`; returns the decisions with their times.
    fn run(
        tr: &mut Tracker,
        desired: &mut u32,
        t0: f64,
        metrics: &[Option<f64>],
        b: Bounds,
        deploying: bool,
    ) -> Vec<(f64, Decision)> {
        let mut out = Vec::new();
        for (i, m) in metrics.iter().enumerate() {
            let now = t0 + i as f64;
            let obs = Observation {
                now,
                desired: *desired,
                metric: *m,
                deployment_in_progress: deploying,
            };
            if let Some(d) = tr.observe(obs, b, &policy(), P) {
                tr.applied(&d, now);
                *desired = d.to;
                out.push((now, d));
            }
        }
        out
    }

    #[test]
    fn scales_out_after_three_high_periods_proportionally() {
        let mut tr = Tracker::default();
        let mut n = 2;
        let d = run(
            &mut tr,
            &mut n,
            0.0,
            &[Some(90.0), Some(90.0)],
            bounds(2, 6),
            false,
        );
        assert!(d.is_empty(), "two periods are not enough");
        let d = run(&mut tr, &mut n, 2.0, &[Some(90.0)], bounds(2, 6), false);
        assert_eq!(d.len(), 1);
        // ceil(2 * 90 / 50) = 4
        assert_eq!(
            (d[0].1.direction, d[0].1.from, d[0].1.to),
            (Direction::Out, 2, 4)
        );
        assert!(d[0].1.cause.contains("AlarmHigh"), "{}", d[0].1.cause);
        assert_eq!(n, 4);
    }

    #[test]
    fn a_dip_resets_the_streak() {
        let mut tr = Tracker::default();
        let mut n = 2;
        let d = run(
            &mut tr,
            &mut n,
            0.0,
            &[Some(90.0), Some(90.0), Some(48.0), Some(90.0), Some(90.0)],
            bounds(2, 6),
            false,
        );
        assert!(d.is_empty());
    }

    #[test]
    fn never_beyond_max_and_cooldown_holds_the_next_scale_out() {
        let mut tr = Tracker::default();
        let mut n = 2;
        let hot = [Some(400.0); 12];
        let d = run(&mut tr, &mut n, 0.0, &hot, bounds(2, 5), false);
        // Out to the max (ceil(2 * 8) capped at 5) at t=2; then nothing more to add.
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].0, d[0].1.to), (2.0, 5));

        let mut tr = Tracker::default();
        let mut n = 1;
        let warm = [Some(60.0); 20];
        let d = run(&mut tr, &mut n, 0.0, &warm, bounds(1, 10), false);
        let times: Vec<f64> = d.iter().map(|(t, _)| *t).collect();
        // 1 -> 2 at t=2; the next one waits out the 10 s scale-out cooldown: t=12.
        assert_eq!(times, [2.0, 12.0]);
        assert_eq!(n, 3);
    }

    #[test]
    fn scales_in_after_sustained_low_use_and_the_cooldowns() {
        let mut tr = Tracker::default();
        let mut n = 2;
        let d = run(&mut tr, &mut n, 0.0, &[Some(100.0); 3], bounds(2, 6), false);
        assert_eq!(n, 4);
        assert_eq!(d[0].0, 2.0);
        // Idle from t=3: the low streak is complete at t=7, but scale in waits 20 s from
        // the last activity (t=2): t=22.
        let idle = [Some(1.0); 30];
        let d = run(&mut tr, &mut n, 3.0, &idle, bounds(2, 6), false);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].0, 22.0);
        assert_eq!(
            (d[0].1.direction, d[0].1.to),
            (Direction::In, 2),
            "never below min"
        );
        assert!(d[0].1.cause.contains("AlarmLow"));
    }

    #[test]
    fn near_the_target_nothing_happens() {
        let mut tr = Tracker::default();
        let mut n = 3;
        // Between 90 % of the target and the target: neither alarm.
        let d = run(&mut tr, &mut n, 0.0, &[Some(47.0); 40], bounds(1, 6), false);
        assert!(d.is_empty());
    }

    #[test]
    fn no_scale_in_during_a_deployment_or_when_disabled_or_suspended() {
        let idle = [Some(0.0); 40];
        let mut tr = Tracker::default();
        let mut n = 4;
        assert!(run(&mut tr, &mut n, 0.0, &idle, bounds(1, 6), true).is_empty());

        let mut b = bounds(1, 6);
        b.scale_in_suspended = true;
        let mut tr = Tracker::default();
        assert!(run(&mut tr, &mut n, 0.0, &idle, b, false).is_empty());

        let mut tr = Tracker::default();
        let p = TargetTracking {
            disable_scale_in: true,
            ..policy()
        };
        let obs = Observation {
            now: 100.0,
            desired: 4,
            metric: Some(0.0),
            deployment_in_progress: false,
        };
        for i in 0..40 {
            let o = Observation {
                now: obs.now + i as f64,
                ..obs
            };
            assert_eq!(tr.observe(o, bounds(1, 6), &p, P), None);
        }

        // Scale out still happens during a deployment.
        let mut tr = Tracker::default();
        let mut n = 2;
        let d = run(&mut tr, &mut n, 0.0, &[Some(100.0); 3], bounds(1, 6), true);
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn missing_data_scales_nothing_and_breaks_streaks() {
        let mut tr = Tracker::default();
        let mut n = 2;
        let d = run(
            &mut tr,
            &mut n,
            0.0,
            &[Some(90.0), Some(90.0), None, Some(90.0), Some(90.0)],
            bounds(1, 6),
            false,
        );
        assert!(d.is_empty());
        let d = run(&mut tr, &mut n, 10.0, &[None; 40], bounds(1, 6), false);
        assert!(d.is_empty());
    }

    #[test]
    fn changed_bounds_move_the_desired_count_inside_at_once() {
        let mut tr = Tracker::default();
        let mut n = 2;
        let d = run(&mut tr, &mut n, 0.0, &[Some(50.0)], bounds(3, 6), false);
        assert_eq!((d[0].1.direction, d[0].1.to), (Direction::Bounds, 3));
        let d = run(&mut tr, &mut n, 1.0, &[None], bounds(1, 2), false);
        assert_eq!((d[0].1.direction, d[0].1.to), (Direction::Bounds, 2));
    }
}
