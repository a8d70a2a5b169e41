//! Green against blue.

use serde::Serialize;

use crate::report::Report;

/// What green must meet, compared with blue.
#[derive(Debug, Clone, Serialize)]
pub struct Rules {
    /// Green's p99 may be at most this many times blue's...
    pub max_p99_ratio: f64,
    /// ...or this many milliseconds, whichever is larger: below it a ratio is noise (a
    /// 2 ms answer against a 0.8 ms one is no regression).
    pub p99_floor_ms: f64,
    /// Every green answer must report this version (the image tag the deployment ships),
    /// when the caller knows it.
    pub expect_version: Option<String>,
}

impl Default for Rules {
    /// p99 within 2x of blue's or 50 ms.
    fn default() -> Self {
        Self {
            max_p99_ratio: 2.0,
            p99_floor_ms: 50.0,
            expect_version: None,
        }
    }
}

/// The judgement, with the figures of both sides (what a report or a hook's log shows).
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub passed: bool,
    /// Why green failed, one line per reason (empty when it passed).
    pub failures: Vec<String>,
    pub green: Report,
    pub blue: Option<Report>,
    pub rules: Rules,
}

/// Judges green's `green` report against blue's (`None`: no blue to compare with, e.g. the
/// first deployment; then only green's own answers count).
pub fn compare(green: Report, blue: Option<Report>, rules: Rules) -> Verdict {
    let mut failures = Vec::new();
    if green.errors > 0 {
        let sample = green
            .error_samples
            .iter()
            .next()
            .map(|(e, n)| format!(" (e.g. {e} x{n})"))
            .unwrap_or_default();
        failures.push(format!(
            "green answered {} of {} requests with an error{sample}; its error rate must be 0",
            green.errors, green.requests
        ));
    }
    let versions: Vec<&String> = green.versions.keys().collect();
    match (&rules.expect_version, versions.as_slice()) {
        (_, []) => {}
        (Some(want), vs) if vs.iter().any(|v| *v != want) => failures.push(format!(
            "green reported version {} where {want} was deployed",
            vs.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
        )),
        (None, vs) if vs.len() > 1 => failures.push(format!(
            "green reported {} versions ({}): its tasks run different code",
            vs.len(),
            vs.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
        )),
        _ => {}
    }
    if let (Some(g), Some(b)) = (
        green.latency_ms.as_ref(),
        blue.as_ref().and_then(|b| b.latency_ms.as_ref()),
    ) {
        // Green is slow when its p99 is above the bound *and* its p90 is above the same
        // bound taken from blue's p90. With the few dozen requests a hook sends, p99 is the
        // slowest answer or next to it: one scheduler hiccup on a busy host would decide
        // alone. Requiring a tenth of green's answers above the bound keeps that noise out,
        // and still stops a release that is slow across the board (a slow dependency, a
        // slow code path on every request), which is what this comparison is for.
        let bound = |blue_ms: f64| (blue_ms * rules.max_p99_ratio).max(rules.p99_floor_ms);
        let (p99_bound, p90_bound) = (bound(b.p99), bound(b.p90));
        if g.p99 > p99_bound && g.p90 > p90_bound {
            failures.push(format!(
                "green's p99 latency is {:.1} ms, blue's {:.1} ms: above the bound of {:.1} ms \
                 ({}x blue's, at least {} ms); green's p90 {:.1} ms is above it too (blue's p90 \
                 {:.1} ms, bound {:.1} ms)",
                g.p99,
                b.p99,
                p99_bound,
                rules.max_p99_ratio,
                rules.p99_floor_ms,
                g.p90,
                b.p90,
                p90_bound
            ));
        }
    }
    Verdict {
        passed: failures.is_empty(),
        failures,
        green,
        blue,
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Percentiles;
    use std::collections::BTreeMap;

    fn report(errors: u32, versions: &[(&str, u32)], p99: Option<f64>) -> Report {
        report_with_p90(errors, versions, p99, p99)
    }

    fn report_with_p90(
        errors: u32,
        versions: &[(&str, u32)],
        p99: Option<f64>,
        p90: Option<f64>,
    ) -> Report {
        let ok: u32 = versions.iter().map(|(_, n)| n).sum();
        Report {
            url: "http://10.0.1.5:3000/".into(),
            requests: ok + errors,
            ok,
            errors,
            versions: versions
                .iter()
                .map(|(v, n)| ((*v).to_owned(), *n))
                .collect(),
            unexpected_versions: 0,
            latency_ms: p99.map(|p99| Percentiles {
                p50: p99 / 2.0,
                p90: p90.unwrap_or(p99),
                p99,
                max: p99,
            }),
            error_samples: if errors > 0 {
                BTreeMap::from([("HTTP 500 Internal Server Error".to_owned(), errors)])
            } else {
                BTreeMap::new()
            },
            elapsed_ms: 10,
        }
    }

    #[test]
    fn a_green_as_good_as_blue_passes() {
        let v = compare(
            report(0, &[("v2", 20)], Some(3.0)),
            Some(report(0, &[("v1", 20)], Some(2.0))),
            Rules::default(),
        );
        assert!(v.passed, "{:?}", v.failures);
    }

    #[test]
    fn any_green_error_fails_and_names_it() {
        let v = compare(
            report(1, &[("v2", 19)], Some(3.0)),
            Some(report(0, &[("v1", 20)], Some(2.0))),
            Rules::default(),
        );
        assert!(!v.passed);
        assert!(v.failures[0].contains("1 of 20"), "{:?}", v.failures);
        assert!(v.failures[0].contains("HTTP 500"), "{:?}", v.failures);
    }

    #[test]
    fn a_slow_green_fails_with_both_p99s() {
        let v = compare(
            report(0, &[("v2", 20)], Some(305.0)),
            Some(report(0, &[("v1", 20)], Some(2.0))),
            Rules::default(),
        );
        assert!(!v.passed);
        assert!(
            v.failures[0].contains("305.0") && v.failures[0].contains("2.0"),
            "{:?}",
            v.failures
        );
    }

    #[test]
    fn one_slow_answer_is_noise_a_slow_tenth_is_not() {
        // A hiccup: green's slowest answer (its p99 of a few dozen) is slow, its p90 is not.
        let v = compare(
            report_with_p90(0, &[("v2", 40)], Some(66.0), Some(4.0)),
            Some(report_with_p90(0, &[("v1", 40)], Some(7.6), Some(3.0))),
            Rules::default(),
        );
        assert!(v.passed, "{:?}", v.failures);
        // A tenth and more of green's answers above the bound: slow.
        let v = compare(
            report_with_p90(0, &[("v2", 40)], Some(120.0), Some(110.0)),
            Some(report_with_p90(0, &[("v1", 40)], Some(7.6), Some(3.0))),
            Rules::default(),
        );
        assert!(!v.passed);
        assert!(v.failures[0].contains("p90 110.0"), "{:?}", v.failures);
    }

    #[test]
    fn below_the_floor_a_ratio_is_noise() {
        let v = compare(
            report(0, &[("v2", 20)], Some(9.0)),
            Some(report(0, &[("v1", 20)], Some(1.0))),
            Rules::default(),
        );
        assert!(v.passed, "{:?}", v.failures);
    }

    #[test]
    fn versions_must_be_the_deployed_one_or_at_least_one() {
        let rules = Rules {
            expect_version: Some("v2".into()),
            ..Rules::default()
        };
        let v = compare(report(0, &[("v1", 20)], Some(1.0)), None, rules);
        assert!(
            !v.passed && v.failures[0].contains("v1"),
            "{:?}",
            v.failures
        );
        let v = compare(
            report(0, &[("v1", 10), ("v2", 10)], Some(1.0)),
            None,
            Rules::default(),
        );
        assert!(
            !v.passed && v.failures[0].contains("2 versions"),
            "{:?}",
            v.failures
        );
    }

    #[test]
    fn without_blue_only_green_counts() {
        let v = compare(
            report(0, &[("v2", 20)], Some(900.0)),
            None,
            Rules::default(),
        );
        assert!(v.passed, "{:?}", v.failures);
    }
}
