//! The clap types every command shares: the global flags, the output format, the watch
//! flags, and the parsing of durations and deployment ids. Each subcommand's own flags
//! live beside its `run` in `commands/`; nothing outside `args.rs` and `commands/` holds
//! clap types.

#![warn(unreachable_pub)]

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::exit::bad_input;

/// Flags that every subcommand accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// `terraform output -json` of the stack (a file, or `-` for stdin).
    #[arg(long, global = true, env = "DEPLOYER_OUTPUTS", value_name = "FILE")]
    pub outputs: Option<PathBuf>,

    /// Output format: human-readable text, or JSON (one event per line when watching).
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

/// The templates `render`, `deploy`, `diff`, `rollback` and `local up` render from.
#[derive(Debug, Clone, Args)]
pub(crate) struct TemplateArgs {
    /// The task definition template [default: taskdef.json of the nearest directory,
    /// from the current one upwards, that holds taskdef.json and appspec.yaml].
    #[arg(long, env = "DEPLOYER_TASKDEF", value_name = "FILE")]
    pub taskdef: Option<PathBuf>,

    /// The appspec template [default: appspec.yaml found as for --taskdef].
    #[arg(long, env = "DEPLOYER_APPSPEC", value_name = "FILE")]
    pub appspec: Option<PathBuf>,
}

impl TemplateArgs {
    /// Reads the templates (exit 2 naming a missing or unreadable file).
    pub(crate) fn load(&self) -> anyhow::Result<deployer_models::render::Templates> {
        deployer_models::render::Templates::find(self.taskdef.as_deref(), self.appspec.as_deref())
    }
}

/// Where `--wait-until` may stop watching: a lifecycle event (once it succeeded), the
/// ready wait (green is up, waiting for `deployer continue`), or the termination wait
/// (traffic switched, blue kept for the wait).
pub(crate) const MILESTONES: [&str; 10] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
    "ReadyWait",
    "TerminationWait",
];

/// The flags that control watching (shared by `deploy`, `wait` and `rollback`).
#[derive(Debug, Clone, Args)]
pub(crate) struct WatchArgs {
    /// Give up watching after this long (e.g. `90s`, `20m`, `1h`); the deployment keeps
    /// running. Default: what the deployment group implies (ready wait + termination
    /// wait + 15 minutes).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Stop watching (exit 0) once the deployment reaches this point: a lifecycle event
    /// (after it succeeded), `ReadyWait` or `TerminationWait`.
    #[arg(long, value_name = "EVENT", value_parser = clap::builder::PossibleValuesParser::new(MILESTONES))]
    pub wait_until: Option<String>,

    /// Poll the deployment at this fixed period. Default: adaptive, every 250ms while
    /// the lifecycle moves, backing off to 5s while nothing changes, and waking at the
    /// predicted end of a ready or termination wait.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          env = "DEPLOYER_POLL_INTERVAL")]
    pub interval: Option<Duration>,

    /// What Ctrl-C does when no terminal can be asked: leave the deployment running
    /// (exit 130), or stop it with rollback and follow the rollback (exit 4).
    #[arg(long, value_enum, value_name = "ACTION", default_value_t = InterruptAction::Leave)]
    pub on_interrupt: InterruptAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InterruptAction {
    /// Stop watching; the deployment continues.
    Leave,
    /// StopDeployment with automatic rollback, then follow it to the end.
    Rollback,
}

/// Checks the shape of a deployment id before asking AWS about it.
pub(crate) fn check_deployment_id(id: &str) -> anyhow::Result<()> {
    let ok = id.len() == 11
        && id.starts_with("d-")
        && id[2..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(bad_input(format!(
            "deployment id {id:?}: expected `d-` and 9 upper-case letters or digits \
             (e.g. d-ABCDE1234)"
        )))
    }
}

/// Parses `90s`, `20m`, `1h`, `500ms`, `1h30m`, or a bare number of seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration (e.g. 90s, 20m, 1h)".into());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(format!(
                "{text:?}: expected a number then a unit (ms, s, m, h)"
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("{text:?}: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        total += match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            other => {
                return Err(format!(
                    "{text:?}: unknown unit {other:?} (use ms, s, m or h)"
                ))
            }
        };
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Code;

    #[test]
    fn durations_parse_and_reject() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("20m").unwrap(), Duration::from_secs(1200));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("42").unwrap(), Duration::from_secs(42));
        assert!(parse_duration("5x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn deployment_ids_are_checked() {
        assert!(check_deployment_id("d-ABCDE1234").is_ok());
        let err = check_deployment_id("abc").unwrap_err();
        assert_eq!(Code::from_error(&err), Code::BadInput);
        assert!(check_deployment_id("d-abcde1234").is_err());
    }
}
