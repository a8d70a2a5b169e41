//! `deployer dashboard`: serves the page for the stack the outputs name until Ctrl-C.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::args::parse_duration;
use crate::aws::Ctx;
use crate::dashboard::live::StackSource;
use crate::dashboard::server::{self, Options, ProbeOptions};
use crate::exit::{bad_input, Code};
use crate::options::{Global, OutputFormat};

/// The Terraform outputs the dashboard reads (besides `region`; `account_id` is checked
/// against the credentials' account before an action).
const OUTPUTS: [&str; 12] = [
    "account_id",
    "cluster_name",
    "service_name",
    "container_name",
    "codedeploy_app_name",
    "codedeploy_group_name",
    "listener_arn",
    "target_group_blue_name",
    "target_group_blue_arn",
    "target_group_green_name",
    "target_group_green_arn",
    "nlb_url",
];

/// Least time between two polls of the stack.
const MIN_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Debug, Args)]
#[command(after_help = crate::exit_codes!(read))]
pub(crate) struct DashboardArgs {
    /// Port on 127.0.0.1 (0: any free port). The page is never served beyond loopback.
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub(crate) port: u16,

    /// Open the page in the default browser (xdg-open / open).
    #[arg(long)]
    pub(crate) open: bool,

    /// Probe the NLB and chart its answers by version (on by default for `deployer
    /// local`; on AWS it sends real requests to your service, so off unless asked).
    #[arg(long, conflicts_with = "no_probe")]
    pub(crate) probe: bool,

    /// Do not probe the NLB, even on `deployer local`.
    #[arg(long)]
    pub(crate) no_probe: bool,

    /// Probes per second (at most 10).
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=10))]
    pub(crate) probe_rate: u32,

    /// Offer approve / end the termination wait / roll back in the page. The URL then
    /// carries a per-run token; requests without it are refused.
    #[arg(long)]
    pub(crate) allow_actions: bool,

    /// Time between two polls of the stack (shared by every open page).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          default_value = "5s", env = "DEPLOYER_POLL_INTERVAL")]
    pub(crate) interval: Duration,
}

/// True when `url`'s host is a loopback address: the stack is `deployer local`.
fn is_loopback_url(url: &str) -> bool {
    let Ok(u) = url.parse::<http::Uri>() else {
        return false;
    };
    match u.host() {
        Some("localhost") => true,
        Some(h) => h
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

pub(crate) async fn run(args: DashboardArgs, global: &Global) -> anyhow::Result<Code> {
    if args.interval < MIN_INTERVAL {
        return Err(bad_input(format!(
            "--interval {:?}: at least {:?} (every open page shares one poll, but AWS \
             still counts it)",
            args.interval, MIN_INTERVAL
        )));
    }
    let ctx = Ctx::load_for(global, "deployer dashboard", &OUTPUTS).await?;
    let local = is_loopback_url(&ctx.outputs.nlb_url);
    let probe = if args.no_probe {
        false
    } else {
        args.probe || local
    };
    let probe = probe.then(|| ProbeOptions {
        url: ctx.outputs.nlb_url.clone(),
        rate: args.probe_rate,
        window_seconds: 300,
    });
    let environment = if local { "local" } else { "AWS" };
    let source = Arc::new(StackSource::new(ctx, environment));
    let running = server::start(
        Options {
            port: args.port,
            allow_actions: args.allow_actions,
            interval: args.interval,
            probe,
        },
        source,
    )
    .await?;
    match global.output {
        OutputFormat::Human => {
            println!("dashboard: {}", running.url);
            eprintln!(
                "serving the {environment} stack on 127.0.0.1 only{}; Ctrl-C to stop",
                if args.allow_actions {
                    " (actions on: the URL's token is the key, do not share it)"
                } else {
                    ", read-only"
                }
            );
        }
        OutputFormat::Json => crate::output::emit("dashboard", &json!({ "url": running.url })),
    }
    // Scripts read the URL as soon as it is printed.
    std::io::stdout().flush().context("writing the URL")?;
    if args.open {
        open_browser(&running.url);
    }
    let stop = running.stop_token();
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            tracing::warn!("cannot handle SIGINT/SIGTERM");
            return;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        stop.cancel();
    });
    running.wait().await?;
    Ok(Code::Success)
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        // The opener hands the URL to the browser and exits; reap it in the background.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(err) => eprintln!("warning: cannot start {opener} ({err}): open {url} yourself"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_local() {
        assert!(is_loopback_url("http://127.0.0.1:8080/"));
        assert!(is_loopback_url("http://127.0.0.2:8080"));
        assert!(is_loopback_url("http://localhost:8080/"));
        assert!(is_loopback_url("http://[::1]:8080/"));
        assert!(!is_loopback_url(
            "http://demo-nlb-123.elb.eu-west-1.amazonaws.com/"
        ));
        assert!(!is_loopback_url("http://10.0.0.1/"));
        assert!(!is_loopback_url("not a url"));
    }
}
