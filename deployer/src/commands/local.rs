//! `deployer local`: run the whole blue/green stack on this machine (`up`), point
//! clients at it (`env`), show it (`status`), stop it (`down`). The stack itself is
//! `local/`.

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand, ValueEnum};
use nix::sys::signal::Signal;
use serde_json::json;

use crate::args::{parse_duration, TemplateArgs};
use crate::exit::Code;
use crate::options::{Global, OutputFormat};
use deployer_emulator::config::{self, Config};
use deployer_emulator::runtime::{records, state};

#[derive(Debug, Args)]
#[command(after_help = crate::exit_codes!(read))]
pub(crate) struct LocalArgs {
    #[command(subcommand)]
    pub command: LocalCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LocalCommand {
    /// Start the local stack (foreground until Ctrl-C, or --detach); in a state dir a stack
    /// ran in before, with its records (revisions, deployments, pipeline history).
    Up(Box<UpArgs>),
    /// Stop the local stack and every task process it started (its records stay for the
    /// next `up`; --purge deletes them).
    Down(DownArgs),
    /// Print `export KEY=VALUE` lines that point the deployer and the AWS CLI at the stack:
    /// `eval "$(deployer local env)"`.
    Env(EnvArgs),
    /// Show the stack: listeners, target groups, task sets, tasks, recent deployments.
    Status(StatusArgs),
    /// Build the working tree's demo as the local CodeBuild does and push it to the local
    /// ECR as `demo:TAG` (the local `docker build && docker push`); a tag that exists is
    /// refused (tags are immutable).
    Push(PushArgs),
    /// CodeBuild's `docker`/`aws` inside a local build (run by the build's stand-in scripts).
    #[command(hide = true)]
    StandIn(StandInArgs),
}

/// `deployer local stand-in docker|aws ARGS...` (hidden: only the stand-in scripts on a
/// local build's PATH run it).
#[derive(Debug, Args)]
pub(crate) struct StandInArgs {
    /// `docker` or `aws`.
    #[arg(value_parser = ["docker", "aws"])]
    tool: String,
    /// The tool's arguments, as the buildspec gave them.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// `deployer local push TAG...`.
#[derive(Debug, Args)]
#[command(after_help = crate::exit_codes!(read))]
pub(crate) struct PushArgs {
    /// The tags to push (`demo:TAG`); the first gets the build, the others name the same image.
    #[arg(required = true, value_name = "TAG")]
    tags: Vec<String>,
    /// The working tree to build.
    #[arg(long, value_name = "DIR", default_value = ".")]
    context: PathBuf,
    /// Push this built `demo` binary instead of building the working tree.
    #[arg(long, value_name = "FILE")]
    binary: Option<PathBuf>,
    #[command(flatten)]
    state: StateDirArg,
}

/// Where the running stack keeps its state (PIDs, ports, outputs file, logs).
#[derive(Debug, Clone, Args)]
pub(crate) struct StateDirArg {
    /// State directory [default: $XDG_STATE_HOME/deployer/local or ~/.local/state/deployer/local].
    #[arg(long, env = "DEPLOYER_LOCAL_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = crate::exit_codes!(read))]
pub(crate) struct DownArgs {
    #[command(flatten)]
    pub state: StateDirArg,
    /// Also delete what the stack keeps in the state dir: its records (task definitions,
    /// deployments, pipeline history), the local ECR's images, the git remote, spooled
    /// pushes, builds and task logs; the next `up` starts afresh. Without it, the next
    /// `up` restores them.
    #[arg(long)]
    pub purge: bool,
}

#[derive(Debug, Args)]
#[command(after_help = crate::exit_codes!(read))]
pub(crate) struct EnvArgs {
    #[command(flatten)]
    pub state: StateDirArg,
}

#[derive(Debug, Args)]
#[command(after_help = crate::exit_codes!(read))]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub state: StateDirArg,
}

/// The stack's settings from the `up` flags, checked (exit 2 naming the flag).
fn config_of(args: &UpArgs) -> anyhow::Result<Config> {
    let cfg = Config {
        state_dir: state::resolve_dir(args.state.state_dir.as_deref())?,
        demo_bin: config::find_demo_bin(args.demo_bin.as_deref())?,
        hook_bin: config::find_hook_bin(args.hook_bin.as_deref())?,
        hook_timeout: args.hook_timeout,
        api_port: args.api_port,
        nlb_port: args.nlb_port,
        test_port: (!args.no_test_listener).then_some(args.test_port),
        tasks: args.tasks,
        max_tasks: args.max_tasks.unwrap_or((args.tasks * 2).min(16)),
        cpu_target: args.cpu_target,
        scale_period: args.scale_period,
        scale_out_cooldown: args.scale_out_cooldown,
        scale_in_cooldown: args.scale_in_cooldown,
        alarm_minute: args.alarm_minute,
        image: args.image.clone(),
        region: args.region.clone(),
        health_interval: args.health_interval,
        healthy_threshold: args.healthy_threshold,
        unhealthy_threshold: args.unhealthy_threshold,
        install_timeout: args.install_timeout,
        ready_stop: args.ready_action == ReadyAction::Stop,
        ready_wait: args.ready_wait,
        termination_wait: args.termination_wait,
        stop_timeout: args.stop_timeout,
        auto_rollback: !args.no_auto_rollback,
        templates: args.templates.load()?,
    };
    cfg.check()?;
    Ok(cfg)
}

pub(crate) async fn run(args: LocalArgs, global: &Global) -> anyhow::Result<Code> {
    match args.command {
        LocalCommand::Up(a) => up(*a, global).await,
        LocalCommand::Down(a) => down(&a, global),
        LocalCommand::Env(a) => env(&a.state, global),
        LocalCommand::Status(a) => status(&a.state, global).await,
        LocalCommand::Push(a) => push(&a, global),
        LocalCommand::StandIn(a) => deployer_emulator::codebuild::standin::main(&a.tool, &a.args),
    }
}

async fn up(args: UpArgs, global: &Global) -> anyhow::Result<Code> {
    let cfg = config_of(&args)?;
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
    // Records the stack cannot restore refuse `up` here, before it starts (exit 2).
    records::check(&cfg.state_dir, &cfg.region)?;
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
    deployer_emulator::run(cfg, |s| {
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
fn detach(args: &UpArgs, cfg: &Config, global: &Global) -> anyhow::Result<Code> {
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
        .env("DEPLOYER_HOOK_BIN", &cfg.hook_bin)
        // The daemon renders from the very files found here, whatever its cwd.
        .env(
            deployer_models::render::TASKDEF_ENV,
            absolute(&cfg.templates.taskdef.path),
        )
        .env(
            deployer_models::render::APPSPEC_ENV,
            absolute(&cfg.templates.appspec.path),
        )
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

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
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

fn print_summary(st: &state::StackState, global: &Global) {
    let mut out = std::io::stdout().lock();
    if global.output == OutputFormat::Json {
        drop(out);
        let mut v = serde_json::to_value(st).unwrap_or_default();
        // The state file keeps epoch seconds; the JSON lines speak RFC 3339.
        if let Some(t) = v["started_at"].as_f64() {
            v["started_at"] = crate::output::rfc3339(t).into();
        }
        crate::output::emit("local_stack", &v);
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
        "  git remote:   {}   (git remote add local {}; a push to main runs the pipeline)",
        git_remote(st),
        shell_quote(&git_remote(st))
    );
    let _ = writeln!(
        out,
        "next: eval \"$(deployer local env)\"; deployer deploy --image demo:v2"
    );
}

fn down(args: &DownArgs, global: &Global) -> anyhow::Result<Code> {
    let dir = state::resolve_dir(args.state.state_dir.as_deref())?;
    let (human, mut value) = stop(&dir)?;
    if args.purge {
        // The stack is gone (stopped above): nothing writes its files any more.
        let removed = records::purge(&dir)?;
        value["purged"] = json!(removed
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>());
        report(
            global,
            &format!(
                "{human}; deleted its records, images, git remote and logs in {} ({} entries)",
                dir.display(),
                removed.len()
            ),
            value,
        );
    } else {
        report(global, &human, value);
    }
    Ok(Code::Success)
}

/// Stops the stack of `dir` and whatever a crashed one left; the sentence and the JSON.
fn stop(dir: &Path) -> anyhow::Result<(String, serde_json::Value)> {
    let Some(mut st) = state::read(dir)? else {
        // Builds a crashed stack left (recorded by process group) go too.
        state::stop_recorded_groups(dir);
        return Ok((
            format!("no local stack in {}", dir.display()),
            json!({"stopped": false, "leftover_tasks": 0}),
        ));
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
    if let Ok(Some(latest)) = state::read(dir) {
        st = latest;
    } else {
        st.tasks.clear();
    }
    let leftovers =
        state::stop_task_processes(&st, Duration::from_secs(5)) + state::stop_recorded_groups(dir);
    state::remove(dir);
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
    Ok((msg, json!({"stopped": daemon, "leftover_tasks": leftovers})))
}

/// `local down`'s result: a `local_down` line, or the human sentence.
fn report(global: &Global, human: &str, value: serde_json::Value) {
    if global.output == OutputFormat::Json {
        crate::output::emit("local_down", &value);
    } else {
        println!("{human}");
    }
}

fn push(args: &PushArgs, global: &Global) -> anyhow::Result<Code> {
    use deployer_emulator::ecr::push::{self, PushError, PushRequest};
    let req = PushRequest {
        state_dir: state::resolve_dir(args.state.state_dir.as_deref())?,
        tags: args.tags.clone(),
        context: absolute(&args.context),
        binary: args.binary.as_deref().map(absolute),
    };
    let recs = push::push(&req).map_err(|e| match e {
        PushError::Refused(m) => crate::exit::bad_input(m),
        PushError::Failed(m) => anyhow!("deployer local push: {m}"),
    })?;
    for r in &recs {
        report(
            global,
            &format!(
                "pushed {}:{} {} ({} bytes, commit {})",
                r.repository, r.tag, r.digest, r.size_bytes, r.commit
            ),
            json!({"repository": r.repository, "tag": r.tag, "digest": r.digest, "size_bytes": r.size_bytes, "commit": r.commit}),
        );
    }
    Ok(Code::Success)
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
fn env_vars(st: &state::StackState) -> Vec<(&'static str, String)> {
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
        ("DEPLOYER_LOCAL_GIT_REMOTE", git_remote(st)),
    ];
    if !st.test_url.is_empty() {
        vars.push(("DEPLOYER_LOCAL_TEST_URL", st.test_url.clone()));
    }
    vars
}

/// The pipeline's git remote: the bare repository in the state dir (next to the outputs file).
fn git_remote(st: &state::StackState) -> String {
    st.outputs
        .parent()
        .unwrap_or(Path::new("."))
        .join(deployer_emulator::codepipeline::driver::REPO_DIR)
        .display()
        .to_string()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn env(arg: &StateDirArg, global: &Global) -> anyhow::Result<Code> {
    let dir = state::resolve_dir(arg.state_dir.as_deref())?;
    let st = running(&dir)?;
    let vars = env_vars(&st);
    if global.output == OutputFormat::Json {
        let map: serde_json::Map<String, serde_json::Value> = vars
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        crate::output::emit("env", &json!({ "variables": map }));
    } else {
        for (k, v) in vars {
            println!("export {k}={}", shell_quote(&v));
        }
    }
    Ok(Code::Success)
}

async fn status(arg: &StateDirArg, global: &Global) -> anyhow::Result<Code> {
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
        crate::output::emit("local_status", &v);
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
                "  task {} {:<8} version {:<10} az {:<11} 127.0.0.1:{:<5} pid {:<7} container {:<9} target {}",
                t["id"].as_str().unwrap_or(""),
                t["status"].as_str().unwrap_or(""),
                t["version"].as_str().unwrap_or(""),
                t["az"].as_str().unwrap_or(""),
                t["port"],
                t["pid"],
                t["health"].as_str().unwrap_or(""),
                t["target"].as_str().unwrap_or("-")
            );
        }
    }
    let sc = &v["scaling"];
    if !sc.is_null() {
        println!(
            "scaling  desired {}, min {}, max {}, CPU {}",
            sc["desired"],
            sc["min"],
            sc["max"],
            sc["cpu_percent"]
                .as_f64()
                .map(|c| format!("{c:.1}%"))
                .unwrap_or_else(|| "n/a".into())
        );
    }
    for d in v["deployments"].as_array().into_iter().flatten() {
        println!(
            "deployment {} {:<10} {}",
            d["id"].as_str().unwrap_or(""),
            d["status"].as_str().unwrap_or(""),
            d["summary"].as_str().unwrap_or("")
        );
    }
    let failing = &v["records"]["failing"];
    if !failing.is_null() {
        let since = failing["since"]
            .as_f64()
            .map(crate::output::rfc3339)
            .unwrap_or_default();
        println!(
            "records  NOT ON DISK since {since}: {} (the changes since are in memory: a crash loses them; each change tries again)",
            failing["error"].as_str().unwrap_or("")
        );
    }
    Ok(Code::Success)
}

/// Timings default to seconds (AWS uses minutes) so a deployment takes a few seconds.
#[derive(Debug, Clone, Args)]
#[command(args_override_self = true)]
#[command(after_help = crate::exit_codes!(read))]
pub(crate) struct UpArgs {
    #[command(flatten)]
    pub state: StateDirArg,

    /// Run in the background (log in `<state-dir>/stack.log`); return once the stack is ready.
    #[arg(long, short = 'd')]
    pub detach: bool,

    /// Port of the AWS API endpoint (ECS, CodeDeploy, ELBv2, ECR, IAM). 0 picks a free one.
    #[arg(long, env = "DEPLOYER_LOCAL_API_PORT", default_value_t = 4599)]
    pub api_port: u16,

    /// Port of the "NLB" production listener (AWS: 80). 0 picks a free one.
    #[arg(long, env = "DEPLOYER_LOCAL_NLB_PORT", default_value_t = 8080)]
    pub nlb_port: u16,

    /// Port of the test listener (traffic to the replacement before the switch). 0 picks a free one.
    #[arg(long, env = "DEPLOYER_LOCAL_TEST_PORT", default_value_t = 8081)]
    pub test_port: u16,

    /// Run without a test listener (`test_listener_arn` is then empty).
    #[arg(long)]
    pub no_test_listener: bool,

    /// Tasks per task set (the service's desired count).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub tasks: u32,

    /// Most tasks auto scaling may run (the scalable target's MaxCapacity; --tasks is the
    /// minimum) [default: twice --tasks].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub max_tasks: Option<u32>,

    /// Target of the service's average CPU use (percent of the task's CPU units) that
    /// target tracking keeps.
    #[arg(long, default_value_t = 60.0)]
    pub cpu_target: f64,

    /// Auto scaling's evaluation period (AWS: one minute); the high alarm needs 3 periods
    /// above the target, the low one 15 below 90 % of it.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub scale_period: Duration,

    /// Time after a scale out before the next one (AWS: seconds too; Terraform here: 60 s).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub scale_out_cooldown: Duration,

    /// Time after a scaling activity before a scale in (Terraform here: 300 s).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub scale_in_cooldown: Duration,

    /// What one minute of a CloudWatch alarm's period lasts (AWS: a minute): the 5xx
    /// alarm (60 s period, 1 period) then decides within about two of these.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub alarm_minute: Duration,

    /// Image of the initial (blue) task set; its tag is the version `GET /` reports.
    #[arg(long, default_value = "demo:v1")]
    pub image: String,

    /// The `demo` binary every task runs (default: next to this executable, then PATH).
    #[arg(long, env = "DEPLOYER_DEMO_BIN", value_name = "FILE")]
    pub demo_bin: Option<PathBuf>,

    /// The Lambda code of the appspec's hook functions: the hook crate's `bootstrap`
    /// (default: next to this executable, then PATH).
    #[arg(long, env = "DEPLOYER_HOOK_BIN", value_name = "FILE")]
    pub hook_bin: Option<PathBuf>,

    /// How long a deployment waits for a lifecycle hook's status before the hook fails and
    /// the deployment rolls back (AWS: 1 hour).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub hook_timeout: Duration,

    /// Region reported in ARNs and outputs.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,

    /// Target group health check interval (AWS: 10-300 s); also the container health check interval.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub health_interval: Duration,

    /// Consecutive successful checks before a target is healthy.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub healthy_threshold: u32,

    /// Consecutive failed checks before a target is unhealthy.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub unhealthy_threshold: u32,

    /// How long the replacement task set may take to become healthy before the deployment fails.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub install_timeout: Duration,

    /// What the deployment does once the replacement is healthy: reroute traffic at
    /// once, or wait for `ContinueDeployment` (READY_WAIT) for `--ready-wait`.
    #[arg(long, value_enum, default_value_t = ReadyAction::Continue)]
    pub ready_action: ReadyAction,

    /// With `--ready-action stop`: how long to wait for approval before stopping the deployment.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub ready_wait: Duration,

    /// Time between the traffic switch and stopping the original tasks (rollback window).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub termination_wait: Duration,

    /// Stop timeout: SIGKILL a task this long after SIGTERM (ECS: 30 s).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub stop_timeout: Duration,

    /// Do not roll back automatically when a deployment fails.
    #[arg(long)]
    pub no_auto_rollback: bool,

    /// With --detach: how long to wait for the stack to become ready.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub ready_timeout: Duration,

    #[command(flatten)]
    pub templates: TemplateArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReadyAction {
    /// CONTINUE_DEPLOYMENT: reroute traffic as soon as the replacement is healthy.
    Continue,
    /// STOP_DEPLOYMENT: wait for ContinueDeployment; stop the deployment after --ready-wait.
    Stop,
}
