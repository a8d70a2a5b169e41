//! `deployer local`: the whole blue/green stack on this machine, no AWS account needed.
//!
//! `up` starts, on 127.0.0.1 only: an AWS API endpoint (ECS, CodeDeploy, ELBv2, ECR, IAM
//! subsets: [`api`]), the "NLB" listeners ([`nlb`]) over two health-checked target groups
//! ([`elb`]), and the ECS service `demo` whose tasks are real `demo` processes
//! ([`tasks`]); CodeDeploy deployments run the ECS blue/green lifecycle ([`lifecycle`]).
//! `env` prints what a client needs to target it, `status` shows it, `down` stops it.

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};
use nix::sys::signal::Signal;
use serde_json::json;

use crate::cli::{GlobalArgs, OutputFormat};
use crate::exit::Code;

pub mod api;
pub mod autoscaling;
pub mod codedeploy;
pub mod config;
pub mod ecs;
pub mod elb;
pub mod elbv2;
pub mod lifecycle;
pub mod logs;
pub mod model;
pub mod nlb;
pub mod placement;
pub mod registry;
pub mod stack;
pub mod state;
pub mod tasks;

pub use config::UpArgs;

#[derive(Debug, Args)]
pub struct LocalArgs {
    #[command(subcommand)]
    pub command: LocalCommand,
}

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Start the local stack (foreground until Ctrl-C, or --detach).
    Up(Box<UpArgs>),
    /// Stop the local stack and every task process it started.
    Down(DownArgs),
    /// Print `export KEY=VALUE` lines that point the deployer and the AWS CLI at the stack:
    /// `eval "$(deployer local env)"`.
    Env(EnvArgs),
    /// Show the stack: listeners, target groups, task sets, tasks, recent deployments.
    Status(StatusArgs),
}

/// Where the running stack keeps its state (PIDs, ports, outputs file, logs).
#[derive(Debug, Clone, Args)]
pub struct StateDirArg {
    /// State directory [default: $XDG_STATE_HOME/deployer/local or ~/.local/state/deployer/local].
    #[arg(long, env = "DEPLOYER_LOCAL_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub state: StateDirArg,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[command(flatten)]
    pub state: StateDirArg,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub state: StateDirArg,
}

pub async fn run(args: LocalArgs, global: &GlobalArgs) -> anyhow::Result<Code> {
    match args.command {
        LocalCommand::Up(a) => up(*a, global).await,
        LocalCommand::Down(a) => down(&a.state, global),
        LocalCommand::Env(a) => env(&a.state, global),
        LocalCommand::Status(a) => status(&a.state, global).await,
    }
}

async fn up(args: UpArgs, global: &GlobalArgs) -> anyhow::Result<Code> {
    let cfg = config::Config::from_args(&args)?;
    std::fs::create_dir_all(&cfg.state_dir)
        .with_context(|| format!("cannot create the state dir {}", cfg.state_dir.display()))?;
    match state::check_existing(&cfg.state_dir)? {
        state::Existing::Running(st) => {
            return Err(anyhow!(
                "a local stack already runs from {} (pid {}, NLB {}): stop it with `deployer local down`, \
                 or pass another --state-dir and other ports",
                cfg.state_dir.display(),
                st.pid,
                st.nlb_url
            ))
        }
        state::Existing::CleanedStale(n) => eprintln!(
            "local: cleaned up the state of a stack that is no longer running in {} ({n} leftover task processes stopped)",
            cfg.state_dir.display()
        ),
        state::Existing::None => {}
    }
    if args.detach {
        return detach(&args, &cfg, global);
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,hyper=warn,reqwest=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    stack::run(cfg, |s| {
        tracing::info!(
            "local stack ready: NLB {} (test listener {}), AWS API {}; `eval \"$(deployer local env)\"` to use it",
            s.nlb_url,
            if s.test_url.is_empty() { "off" } else { &s.test_url },
            s.api_url
        );
    })
    .await?;
    Ok(Code::Success)
}

/// Re-runs `up` in the background (own process group, output in the log file) and
/// returns once its state file says it is ready.
fn detach(args: &UpArgs, cfg: &config::Config, global: &GlobalArgs) -> anyhow::Result<Code> {
    let log_path = cfg.state_dir.join(state::LOG_FILE);
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let argv: Vec<OsString> = std::env::args_os()
        .skip(1)
        .filter(|a| a != "--detach" && a != "-d")
        .collect();
    let mut child = std::process::Command::new(&exe)
        .args(&argv)
        .env("DEPLOYER_LOCAL_STATE_DIR", &cfg.state_dir)
        .env("DEPLOYER_DEMO_BIN", &cfg.demo_bin)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    let pid = child.id();
    let deadline = Instant::now() + args.ready_timeout.max(cfg.install_timeout);
    loop {
        if let Some(status) = child.try_wait()? {
            return Err(anyhow!(
                "the local stack exited during startup ({status}); its log {}:\n{}",
                log_path.display(),
                tail(&log_path, 20)
            ));
        }
        if let Ok(Some(st)) = state::read(&cfg.state_dir) {
            if st.pid == pid && st.ready {
                print_summary(&st, global);
                return Ok(Code::Success);
            }
        }
        if Instant::now() >= deadline {
            state::signal(pid, Signal::SIGTERM);
            if !state::wait_gone(pid, Duration::from_secs(40)) {
                state::signal(pid, Signal::SIGKILL);
            }
            let _ = child.wait();
            return Err(anyhow!(
                "the local stack was not ready within {} (stopped it); its log {}:\n{}",
                humantime::format_duration(args.ready_timeout.max(cfg.install_timeout)),
                log_path.display(),
                tail(&log_path, 20)
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn tail(path: &Path, n: usize) -> String {
    let Ok(f) = std::fs::File::open(path) else {
        return String::new();
    };
    let lines: Vec<String> = std::io::BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn print_summary(st: &state::StackState, global: &GlobalArgs) {
    let mut out = std::io::stdout().lock();
    if global.output == OutputFormat::Json {
        let _ = writeln!(out, "{}", serde_json::to_string(st).unwrap_or_default());
        return;
    }
    let _ = writeln!(
        out,
        "local stack ready (pid {}, log {})",
        st.pid,
        st.log.display()
    );
    let _ = writeln!(out, "  NLB:          {}   (curl it)", st.nlb_url);
    if !st.test_url.is_empty() {
        let _ = writeln!(out, "  test listener: {}", st.test_url);
    }
    let _ = writeln!(out, "  AWS API:      {}", st.api_url);
    let _ = writeln!(out, "  outputs:      {}", st.outputs.display());
    let _ = writeln!(
        out,
        "next: eval \"$(deployer local env)\"; deployer deploy --image demo:v2"
    );
}

fn down(arg: &StateDirArg, global: &GlobalArgs) -> anyhow::Result<Code> {
    let dir = state::resolve_dir(arg.state_dir.as_deref())?;
    let Some(mut st) = state::read(&dir)? else {
        report(
            global,
            &format!("no local stack in {}", dir.display()),
            json!({"stopped": false}),
        );
        return Ok(Code::Success);
    };
    let mut daemon = false;
    if state::runs(st.pid, &st.exe) && state::alive(st.pid) {
        daemon = true;
        state::signal(st.pid, Signal::SIGTERM);
        // The daemon stops its tasks (SIGTERM, SIGKILL after their stop timeout).
        if !state::wait_gone(st.pid, Duration::from_secs(60)) {
            state::signal(st.pid, Signal::SIGKILL);
            state::wait_gone(st.pid, Duration::from_secs(5));
        }
    }
    // A daemon that died (or was killed) leaves its state file with the task PIDs.
    if let Ok(Some(latest)) = state::read(&dir) {
        st = latest;
    } else {
        st.tasks.clear();
    }
    let leftovers = state::stop_task_processes(&st, Duration::from_secs(5));
    state::remove(&dir);
    let msg = format!(
        "local stack stopped ({}{})",
        if daemon {
            format!("pid {}", st.pid)
        } else {
            "it was not running".into()
        },
        if leftovers > 0 {
            format!("; {leftovers} leftover task processes stopped")
        } else {
            String::new()
        }
    );
    report(
        global,
        &msg,
        json!({"stopped": daemon, "leftover_tasks": leftovers}),
    );
    Ok(Code::Success)
}

fn report(global: &GlobalArgs, human: &str, value: serde_json::Value) {
    if global.output == OutputFormat::Json {
        println!("{value}");
    } else {
        println!("{human}");
    }
}

/// The running stack's state, or an error that says how to start one.
fn running(dir: &Path) -> anyhow::Result<state::StackState> {
    match state::read(dir)? {
        Some(st) if state::runs(st.pid, &st.exe) && state::alive(st.pid) => Ok(st),
        Some(st) => Err(anyhow!(
            "the local stack in {} is not running (pid {} is gone): `deployer local down` cleans up, \
             `deployer local up --detach` starts a new one",
            dir.display(),
            st.pid
        )),
        None => Err(anyhow!(
            "no local stack runs in {}: start one with `deployer local up --detach`",
            dir.display()
        )),
    }
}

/// The variables a client needs, in order.
pub fn env_vars(st: &state::StackState) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("AWS_ENDPOINT_URL", st.api_url.clone()),
        ("AWS_REGION", st.region.clone()),
        ("AWS_DEFAULT_REGION", st.region.clone()),
        // Dummy credentials: the local endpoint does not check signatures.
        ("AWS_ACCESS_KEY_ID", "local".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "local".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("DEPLOYER_OUTPUTS", st.outputs.display().to_string()),
        ("DEPLOYER_LOCAL_NLB_URL", st.nlb_url.clone()),
    ];
    if !st.test_url.is_empty() {
        vars.push(("DEPLOYER_LOCAL_TEST_URL", st.test_url.clone()));
    }
    vars
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn env(arg: &StateDirArg, global: &GlobalArgs) -> anyhow::Result<Code> {
    let dir = state::resolve_dir(arg.state_dir.as_deref())?;
    let st = running(&dir)?;
    let vars = env_vars(&st);
    if global.output == OutputFormat::Json {
        let map: serde_json::Map<String, serde_json::Value> = vars
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        println!("{}", serde_json::Value::Object(map));
    } else {
        for (k, v) in vars {
            println!("export {k}={}", shell_quote(&v));
        }
    }
    Ok(Code::Success)
}

async fn status(arg: &StateDirArg, global: &GlobalArgs) -> anyhow::Result<Code> {
    let dir = state::resolve_dir(arg.state_dir.as_deref())?;
    let st = running(&dir)?;
    let client = reqwest::Client::builder().no_proxy().build()?;
    let url = format!("{}/_local/status", st.api_url);
    let v: serde_json::Value = client
        .get(&url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .with_context(|| format!("cannot reach the local stack at {url}"))?
        .json()
        .await
        .with_context(|| format!("{url} did not answer JSON"))?;
    if global.output == OutputFormat::Json {
        println!("{v}");
        return Ok(Code::Success);
    }
    println!(
        "local stack pid {} ({}), ready: {}",
        st.pid,
        dir.display(),
        st.ready
    );
    println!("AWS API {}   log {}", st.api_url, st.log.display());
    for l in v["listeners"].as_array().into_iter().flatten() {
        println!(
            "listener {:<5} {} -> {}",
            l["kind"].as_str().unwrap_or(""),
            l["url"].as_str().unwrap_or(""),
            l["target_group"].as_str().unwrap_or("")
        );
    }
    for ts in v["task_sets"].as_array().into_iter().flatten() {
        println!(
            "task set {} {} on {} ({})",
            ts["id"].as_str().unwrap_or(""),
            ts["status"].as_str().unwrap_or(""),
            ts["target_group"].as_str().unwrap_or(""),
            ts["task_definition"].as_str().unwrap_or("")
        );
        for t in ts["tasks"].as_array().into_iter().flatten() {
            println!(
                "  task {} {:<8} version {:<10} 127.0.0.1:{:<5} pid {:<7} container {:<9} target {}",
                t["id"].as_str().unwrap_or(""),
                t["status"].as_str().unwrap_or(""),
                t["version"].as_str().unwrap_or(""),
                t["port"],
                t["pid"],
                t["health"].as_str().unwrap_or(""),
                t["target"].as_str().unwrap_or("-")
            );
        }
    }
    for d in v["deployments"].as_array().into_iter().flatten() {
        println!(
            "deployment {} {:<10} {}",
            d["id"].as_str().unwrap_or(""),
            d["status"].as_str().unwrap_or(""),
            d["summary"].as_str().unwrap_or("")
        );
    }
    Ok(Code::Success)
}
