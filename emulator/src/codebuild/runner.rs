//! Runs one build: the commit's `buildspec.yml`, phase by phase, with bash, in a clean
//! checkout, with CodeBuild's environment; then UPLOAD_ARTIFACTS.
//!
//! How commands run. CodeBuild 0.2 runs every command of a build in one shell's state:
//! a variable set in `pre_build` (the repository's `COMMIT=...`) is there in `build`.
//! Here each command runs in its own `bash` (so one command's `exit 1` fails that command,
//! as on CodeBuild, and its output is attributed to it), and an EXIT trap writes the
//! shell's variables, functions and working directory to a state file that the next
//! command sources first. Differences: shell options (`set -e`) do not carry over, and
//! background processes a command leaves are stopped when it ends (CodeBuild keeps them
//! until the build ends).
//!
//! Phase transitions (CodeBuild's "Build phase transitions"): a failed INSTALL or
//! PRE_BUILD goes to FINALIZING; a failed BUILD still runs POST_BUILD; UPLOAD_ARTIFACTS is
//! attempted after BUILD and POST_BUILD whatever their outcome; `on-failure: ABORT` goes
//! straight to FINALIZING, `CONTINUE` to the next phase. `finally` commands run after a
//! phase's commands, failed or not.
//!
//! Environment precedence is CodeBuild's: the project's variables override the
//! buildspec's `env.variables`; CodeBuild's own (`CODEBUILD_*`, `AWS_REGION`) come last.

use deployer_models::time::now_secs as now;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use super::artifacts;
use super::buildspec::{Buildspec, OnFailure, PhaseName};
use super::logs::{LogEvent, LogSink};
use super::model::{Build, BuildStatus, PhaseType};

/// Variables of this process that a build keeps (toolchain and home); everything else
/// is cleared, as a fresh CodeBuild container would not have it.
const KEPT_ENV: &[&str] = &[
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
];

/// What a build needs besides its record.
pub struct RunSpec {
    /// Where the source is checked out (DOWNLOAD_SOURCE fills it).
    pub source_dir: PathBuf,
    /// Where UPLOAD_ARTIFACTS copies the artifacts.
    pub artifacts_dir: PathBuf,
    /// A scratch directory (the shell state file).
    pub work_dir: PathBuf,
    pub region: String,
    /// The project's environment variables (override the buildspec's).
    pub project_env: Vec<(String, String)>,
    /// Directories put first on PATH (the `docker`/`aws` stand-ins).
    pub path_prefix: Vec<PathBuf>,
    pub timeout: Duration,
    /// The stack's state dir: each command's process group is recorded there while it
    /// runs (`runtime::state::record_group`), so that a crash of the stack does not leave
    /// it running. None: not recorded (a build outside a stack).
    pub state_dir: Option<PathBuf>,
    /// Called after each phase change: the stack writes the build's record to disk (a
    /// phase is on disk before the phase's commands run).
    pub on_change: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// Where a failed phase goes next.
pub(crate) fn next_after_failure(phase: PhaseName, on_failure: Option<OnFailure>) -> PhaseType {
    match (on_failure, phase) {
        (Some(OnFailure::Abort), _) => PhaseType::Finalizing,
        (Some(OnFailure::Continue), PhaseName::Install) => PhaseType::PreBuild,
        (Some(OnFailure::Continue), PhaseName::PreBuild) => PhaseType::Build,
        (Some(OnFailure::Continue), PhaseName::Build) => PhaseType::PostBuild,
        (Some(OnFailure::Continue), PhaseName::PostBuild) => PhaseType::UploadArtifacts,
        (None, PhaseName::Install | PhaseName::PreBuild) => PhaseType::Finalizing,
        (None, PhaseName::Build) => PhaseType::PostBuild,
        (None, PhaseName::PostBuild) => PhaseType::UploadArtifacts,
    }
}

/// `[Container] 2026/11/29 20:01:02.345 ` (CodeBuild's prefix of its own log lines).
pub(crate) fn container_line(at: f64, message: &str) -> String {
    use aws_smithy_types::date_time::{DateTime, Format};
    let iso = DateTime::from_secs_f64(at)
        .fmt(Format::DateTime)
        .unwrap_or_default();
    let (date, time) = iso.split_once('T').unwrap_or((&iso, ""));
    format!(
        "[Container] {} {} {message}",
        date.replace('-', "/"),
        time.trim_end_matches('Z')
    )
}

struct Ctx<'a> {
    build: &'a Mutex<Build>,
    logs: &'a dyn LogSink,
    group: String,
    stream: String,
    cancel: &'a AtomicBool,
    deadline: Instant,
    state_dir: Option<&'a Path>,
    build_id: String,
    on_change: Option<&'a (dyn Fn() + Send + Sync)>,
}

impl Ctx<'_> {
    fn log(&self, message: &str) {
        let at = now();
        self.logs.put(
            &self.group,
            &self.stream,
            vec![LogEvent {
                timestamp: (at * 1000.0) as i64,
                message: container_line(at, message),
            }],
        );
    }

    fn advance(&self, status: BuildStatus, ctx: Option<(String, String)>, next: PhaseType) {
        let mut b = deployer_models::sync::lock(self.build);
        let current = b.current_phase();
        b.advance(status, ctx.clone(), next, now());
        drop(b);
        if let Some(on_change) = self.on_change {
            on_change();
        }
        if current >= PhaseType::Install {
            self.log(&format!(
                "Phase complete: {} State: {}",
                current.as_str(),
                status.as_str()
            ));
            let (code, message) = ctx.unwrap_or_default();
            self.log(&format!(
                "Phase context status code: {code} Message: {message}"
            ));
        }
        if next != PhaseType::Completed {
            self.log(&format!("Entering phase {}", next.as_str()));
        }
    }

    /// Stopped or timed out: the status the build ends with.
    fn interrupted(&self) -> Option<BuildStatus> {
        if self.cancel.load(Ordering::Acquire) {
            Some(BuildStatus::Stopped)
        } else if Instant::now() >= self.deadline {
            Some(BuildStatus::TimedOut)
        } else {
            None
        }
    }
}

/// Runs the build recorded in `build` to completion and returns its final status.
/// `download_source` fills `spec.source_dir` during DOWNLOAD_SOURCE. `cancel` stops it
/// (STOPPED).
pub fn run(
    build: &Mutex<Build>,
    spec: &RunSpec,
    logs: &dyn LogSink,
    cancel: &AtomicBool,
    download_source: &dyn Fn(&Path) -> Result<(), String>,
) -> BuildStatus {
    let (group, stream, id) = {
        let b = deployer_models::sync::lock(build);
        (b.log_group.clone(), b.log_stream.clone(), b.id.clone())
    };
    let ctx = Ctx {
        build,
        logs,
        group,
        stream,
        cancel,
        deadline: Instant::now() + spec.timeout,
        state_dir: spec.state_dir.as_deref(),
        build_id: id.clone(),
        on_change: spec.on_change.as_deref(),
    };
    let finish = |status: BuildStatus| {
        let mut b = deployer_models::sync::lock(build);
        b.complete(status, now());
        drop(b);
        if let Some(on_change) = &spec.on_change {
            on_change();
        }
        status
    };
    ctx.log(&format!(
        "Running on the local CodeBuild (deployer local), build {id}"
    ));
    ctx.advance(BuildStatus::Succeeded, None, PhaseType::Queued);
    ctx.advance(BuildStatus::Succeeded, None, PhaseType::Provisioning);
    ctx.advance(BuildStatus::Succeeded, None, PhaseType::DownloadSource);
    if let Err(e) = download_source(&spec.source_dir) {
        ctx.log(&format!("cannot check out the source: {e}"));
        ctx.advance(
            BuildStatus::Fault,
            Some(("CLIENT_ERROR".into(), e)),
            PhaseType::Finalizing,
        );
        ctx.advance(BuildStatus::Succeeded, None, PhaseType::Completed);
        return finish(BuildStatus::Fault);
    }
    ctx.log(&format!("CODEBUILD_SRC_DIR={}", spec.source_dir.display()));
    let yaml = spec.source_dir.join("buildspec.yml");
    ctx.log(&format!("YAML location is {}", yaml.display()));
    let parsed = std::fs::read_to_string(&yaml)
        .map_err(|e| format!("cannot read {}: {e}", yaml.display()))
        .and_then(|text| Buildspec::parse(&text, "buildspec.yml").map_err(|e| e.to_string()));
    let buildspec = match parsed {
        Ok(b) => b,
        Err(e) => {
            ctx.log(&e);
            ctx.advance(
                BuildStatus::Failed,
                Some(("YAML_FILE_ERROR".into(), e)),
                PhaseType::Finalizing,
            );
            ctx.advance(BuildStatus::Succeeded, None, PhaseType::Completed);
            return finish(BuildStatus::Failed);
        }
    };
    ctx.log("Processing environment variables");
    let env = build_env(build, spec, &buildspec);
    {
        let mut b = deployer_models::sync::lock(build);
        b.environment_variables = spec.project_env.clone();
    }
    let state_file = spec.work_dir.join("shell-state.sh");
    let _ = std::fs::create_dir_all(&spec.work_dir);
    let _ = std::fs::remove_file(&state_file);
    let mut succeeding = true;
    let mut next = PhaseType::Install;
    ctx.advance(BuildStatus::Succeeded, None, PhaseType::Install);
    for name in PhaseName::ALL {
        if PhaseType::of(name) != next {
            continue;
        }
        let phase = buildspec.phase(name);
        let mut failure: Option<(String, String)> = None;
        let commands = phase.map(|p| p.commands.as_slice()).unwrap_or_default();
        let finally = phase.map(|p| p.finally.as_slice()).unwrap_or_default();
        for (i, cmd) in commands.iter().chain(finally).enumerate() {
            let in_finally = i >= commands.len();
            if failure.is_some() && !in_finally {
                continue;
            }
            let env_now: Vec<(String, String)> = env
                .iter()
                .cloned()
                .chain([(
                    "CODEBUILD_BUILD_SUCCEEDING".to_string(),
                    if succeeding && failure.is_none() {
                        "1"
                    } else {
                        "0"
                    }
                    .to_string(),
                )])
                .collect();
            ctx.log(&format!("Running command {cmd}"));
            match run_command(&ctx, cmd, &env_now, &spec.source_dir, &state_file) {
                Ok(0) => {}
                Ok(code) => {
                    ctx.log(&format!(
                        "Command did not exit successfully {cmd} exit status {code}"
                    ));
                    failure.get_or_insert((
                        "COMMAND_EXECUTION_ERROR".into(),
                        format!("Error while executing command: {cmd}. Reason: exit status {code}"),
                    ));
                }
                Err(status) => {
                    ctx.log(&format!(
                        "Build {}: {cmd} was killed",
                        if status == BuildStatus::TimedOut {
                            "timed out"
                        } else {
                            "stopped"
                        }
                    ));
                    let code = if status == BuildStatus::TimedOut {
                        "BUILD_TIMED_OUT"
                    } else {
                        "BUILD_STOPPED"
                    };
                    ctx.advance(
                        status,
                        Some((code.into(), format!("Build {}", status.as_str()))),
                        PhaseType::Finalizing,
                    );
                    ctx.advance(BuildStatus::Succeeded, None, PhaseType::Completed);
                    return finish(status);
                }
            }
        }
        next = match failure {
            None => match name {
                PhaseName::Install => PhaseType::PreBuild,
                PhaseName::PreBuild => PhaseType::Build,
                PhaseName::Build => PhaseType::PostBuild,
                PhaseName::PostBuild => PhaseType::UploadArtifacts,
            },
            Some(_) => {
                succeeding = false;
                next_after_failure(name, phase.and_then(|p| p.on_failure))
            }
        };
        let status = if failure.is_some() {
            BuildStatus::Failed
        } else {
            BuildStatus::Succeeded
        };
        ctx.advance(status, failure, next);
    }
    if next == PhaseType::UploadArtifacts {
        let outcome = match &buildspec.artifacts {
            Some(a) => {
                let c = artifacts::collect(a, &spec.source_dir, &spec.artifacts_dir);
                for line in &c.log {
                    ctx.log(line);
                }
                c.failure
            }
            None => None,
        };
        let status = if outcome.is_some() {
            succeeding = false;
            BuildStatus::Failed
        } else {
            BuildStatus::Succeeded
        };
        ctx.advance(status, outcome, PhaseType::Finalizing);
    }
    ctx.advance(BuildStatus::Succeeded, None, PhaseType::Completed);
    finish(if succeeding {
        BuildStatus::Succeeded
    } else {
        BuildStatus::Failed
    })
}

/// The build's environment: kept variables of this process, PATH with the stand-ins
/// first, the buildspec's variables, the project's, then CodeBuild's own.
fn build_env(build: &Mutex<Build>, spec: &RunSpec, buildspec: &Buildspec) -> Vec<(String, String)> {
    let b = deployer_models::sync::lock(build).clone();
    let mut env: Vec<(String, String)> = KEPT_ENV
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    let mut path: Vec<PathBuf> = spec.path_prefix.clone();
    if let Some(p) = std::env::var_os("PATH") {
        path.extend(std::env::split_paths(&p));
    }
    if let Ok(joined) = std::env::join_paths(path) {
        env.push(("PATH".into(), joined.to_string_lossy().into_owned()));
    }
    env.extend(buildspec.variables.iter().cloned());
    env.extend(spec.project_env.iter().cloned());
    let start_ms = ((b.start * 1000.0) as i64).to_string();
    env.extend(
        [
            ("CODEBUILD_CI", "true".to_string()),
            ("CODEBUILD_BUILD_ID", b.id.clone()),
            ("CODEBUILD_BUILD_ARN", b.arn.clone()),
            ("CODEBUILD_BUILD_NUMBER", b.number.to_string()),
            ("CODEBUILD_INITIATOR", b.initiator.clone()),
            ("CODEBUILD_SOURCE_VERSION", b.source_version.clone()),
            (
                "CODEBUILD_RESOLVED_SOURCE_VERSION",
                b.resolved_source_version.clone(),
            ),
            ("CODEBUILD_SRC_DIR", spec.source_dir.display().to_string()),
            ("CODEBUILD_START_TIME", start_ms),
            ("CODEBUILD_LOG_PATH", b.log_stream.clone()),
            ("CODEBUILD_BUILD_IMAGE", "deployer-local".to_string()),
            ("AWS_REGION", spec.region.clone()),
            ("AWS_DEFAULT_REGION", spec.region.clone()),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    );
    // Later entries win, as they would in a shell.
    let mut dedup: Vec<(String, String)> = Vec::new();
    for (k, v) in env {
        dedup.retain(|(k2, _)| *k2 != k);
        dedup.push((k, v));
    }
    dedup
}

/// The script around one command: restore the shell state, run the command, save the
/// state on exit (whatever way the command exits), exit with its status.
fn command_script(cmd: &str, state_file: &Path) -> String {
    let state = shell_quote(&state_file.to_string_lossy());
    format!(
        r#"exec 2>&1
__cb_state={state}
if [ -f "$__cb_state" ]; then . "$__cb_state"; fi
__cb_save() {{
  local __cb_rc=$? __cb_n
  {{
    for __cb_n in $(compgen -v); do
      case "$__cb_n" in
        BASH|BASHOPTS|BASHPID|BASH_*|EUID|PPID|SHELLOPTS|UID|FUNCNAME|GROUPS|PIPESTATUS|_|LINENO|RANDOM|SRANDOM|SECONDS|HISTCMD|EPOCHREALTIME|EPOCHSECONDS|DIRSTACK|OLDPWD|PWD|SHLVL|COLUMNS|LINES|COMP_WORDBREAKS|CODEBUILD_BUILD_SUCCEEDING|__cb_*) continue ;;
      esac
      declare -p "$__cb_n" 2>/dev/null
    done
    for __cb_n in $(compgen -A function); do
      case "$__cb_n" in __cb_*) continue ;; esac
      declare -f "$__cb_n"
    done
    printf 'cd %q\n' "$PWD"
  }} > "$__cb_state.tmp" && mv -f "$__cb_state.tmp" "$__cb_state"
  exit "$__cb_rc"
}}
trap __cb_save EXIT
{cmd}
"#
    )
}

pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs one command; `Ok(exit code)`, or `Err(status)` when the build was stopped or
/// timed out while it ran (its processes are killed).
fn run_command(
    ctx: &Ctx<'_>,
    cmd: &str,
    env: &[(String, String)],
    cwd: &Path,
    state_file: &Path,
) -> Result<i32, BuildStatus> {
    use std::os::unix::process::CommandExt;
    let script_path = state_file.with_extension("cmd.sh");
    if let Err(e) = std::fs::write(&script_path, command_script(cmd, state_file)) {
        ctx.log(&format!("cannot write {}: {e}", script_path.display()));
        return Ok(1);
    }
    let spawned = Command::new("bash")
        .arg("--noprofile")
        .arg("--norc")
        .arg(&script_path)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            ctx.log(&format!("cannot start bash: {e}"));
            return Ok(127);
        }
    };
    let pgid = Pid::from_raw(child.id() as i32);
    let recorded = ctx.state_dir.and_then(|dir| {
        let group = crate::runtime::state::ProcessGroup {
            pgid: child.id(),
            start_ticks: crate::runtime::state::start_ticks(child.id())?,
            what: format!("a command of build {}", ctx.build_id),
            deadline: now()
                + ctx
                    .deadline
                    .saturating_duration_since(Instant::now())
                    .as_secs_f64(),
        };
        match crate::runtime::state::record_group(dir, &group) {
            Ok(()) => Some(dir),
            Err(e) => {
                ctx.log(&format!(
                    "cannot record the command's process group in {}: {e}",
                    dir.display()
                ));
                None
            }
        }
    });
    let stdout = child.stdout.take();
    let logs_lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let reader = {
        let lines = Arc::clone(&logs_lines);
        std::thread::spawn(move || {
            if let Some(out) = stdout {
                for line in BufReader::new(out).split(b'\n').map_while(Result::ok) {
                    let text = String::from_utf8_lossy(&line).into_owned();
                    deployer_models::sync::lock(&lines).push(text);
                }
            }
        })
    };
    // Output goes to the log as it comes (flushed every poll), not only at the end.
    let flush = |ctx: &Ctx<'_>| {
        let batch: Vec<String> = std::mem::take(&mut *deployer_models::sync::lock(&logs_lines));
        if !batch.is_empty() {
            let ts = (now() * 1000.0) as i64;
            ctx.logs.put(
                &ctx.group,
                &ctx.stream,
                batch
                    .into_iter()
                    .map(|message| LogEvent {
                        timestamp: ts,
                        message,
                    })
                    .collect(),
            );
        }
    };
    let result = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status.code().unwrap_or(128 + 9)),
            Ok(None) => {}
            Err(_) => break Ok(1),
        }
        if let Some(stop) = ctx.interrupted() {
            let _ = killpg(pgid, Signal::SIGKILL);
            let _ = child.wait();
            break Err(stop);
        }
        flush(ctx);
        std::thread::sleep(Duration::from_millis(50));
    };
    // What the command left in the background would hold the pipe open.
    let _ = killpg(pgid, Signal::SIGKILL);
    if let Some(dir) = recorded {
        crate::runtime::state::forget_group(dir, child.id());
    }
    let _ = reader.join();
    flush(ctx);
    let _ = std::fs::remove_file(&script_path);
    result
}

#[cfg(test)]
mod tests {
    use super::super::logs::MemoryLogs;
    use super::*;

    struct Fixture {
        _dir: tempfile::TempDir,
        spec: RunSpec,
        build: Mutex<Build>,
        logs: MemoryLogs,
    }

    fn fixture(buildspec: &str, files: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let spec = RunSpec {
            source_dir: dir.path().join("src"),
            artifacts_dir: dir.path().join("artifacts"),
            work_dir: dir.path().join("work"),
            region: "eu-west-3".into(),
            project_env: vec![
                (
                    "ECR_REPOSITORY_URL".into(),
                    "000000000000.dkr.ecr.eu-west-3.amazonaws.com/demo".into(),
                ),
                ("OVERRIDDEN".into(), "by-project".into()),
            ],
            path_prefix: vec![],
            timeout: Duration::from_secs(60),
            state_dir: None,
            on_change: None,
        };
        std::fs::create_dir_all(&spec.source_dir).unwrap();
        std::fs::write(spec.source_dir.join("buildspec.yml"), buildspec).unwrap();
        for (name, text) in files {
            std::fs::write(spec.source_dir.join(name), text).unwrap();
        }
        let build = Mutex::new(Build::new(
            "demo",
            "arn:aws:codebuild:eu-west-3:000000000000",
            7,
            "0123456789abcdef0123456789abcdef01234567",
            "codepipeline/demo",
            now(),
        ));
        Fixture {
            _dir: dir,
            spec,
            build,
            logs: MemoryLogs::default(),
        }
    }

    impl Fixture {
        fn run(&self) -> BuildStatus {
            self.run_with(&AtomicBool::new(false))
        }
        fn run_with(&self, cancel: &AtomicBool) -> BuildStatus {
            run(&self.build, &self.spec, &self.logs, cancel, &|_| Ok(()))
        }
        fn lines(&self) -> Vec<String> {
            let b = self.build.lock().unwrap();
            self.logs
                .tail(&b.log_group, &b.log_stream, usize::MAX)
                .into_iter()
                .map(|e| e.message)
                .collect()
        }
        fn phases(&self) -> Vec<(PhaseType, Option<BuildStatus>)> {
            let b = self.build.lock().unwrap();
            b.phases.iter().map(|p| (p.kind, p.status)).collect()
        }
        fn phase_status(&self, kind: PhaseType) -> Option<BuildStatus> {
            self.phases()
                .into_iter()
                .find(|(k, _)| *k == kind)
                .and_then(|(_, s)| s)
        }
        fn ran(&self, kind: PhaseType) -> bool {
            self.phases().iter().any(|(k, _)| *k == kind)
        }
    }

    #[test]
    fn state_carries_over_commands_and_phases() {
        let mut f = fixture(
            "version: 0.2\nenv:\n  variables:\n    FROM_SPEC: spec\n    OVERRIDDEN: by-spec\nphases:\n  pre_build:\n    commands:\n      - COMMIT=\"$CODEBUILD_RESOLVED_SOURCE_VERSION\"\n      - greet() { echo \"hi $1\"; }\n      - mkdir -p sub && cd sub\n  build:\n    commands:\n      - echo \"commit=$COMMIT region=$AWS_REGION/$AWS_DEFAULT_REGION spec=$FROM_SPEC over=$OVERRIDDEN\"\n      - greet there; echo \"dir=$(basename \"$PWD\")\"\n      - echo \"id=$CODEBUILD_BUILD_ID ok=$CODEBUILD_BUILD_SUCCEEDING\" >&2\n",
            &[],
        );
        // Each phase change is reported (the stack writes the record then), with the
        // change made already.
        let seen: Arc<Mutex<Vec<usize>>> = Arc::default();
        let counter = Arc::clone(&seen);
        let shared = Arc::new(Mutex::new(f.build.lock().unwrap().clone()));
        let watched = Arc::clone(&shared);
        f.spec.on_change = Some(Arc::new(move || {
            counter
                .lock()
                .unwrap()
                .push(watched.lock().unwrap().phases.len());
        }));
        let status = run(&shared, &f.spec, &f.logs, &AtomicBool::new(false), &|_| {
            Ok(())
        });
        f.build = Mutex::new(shared.lock().unwrap().clone());
        assert_eq!(status, BuildStatus::Succeeded);
        assert_eq!(
            *seen.lock().unwrap(),
            (2..=11).chain([11]).collect::<Vec<_>>(),
            "after each of the 10 phase changes, then at completion"
        );
        let lines = f.lines();
        let has = |s: &str| lines.iter().any(|l| l == s);
        assert!(
            has("commit=0123456789abcdef0123456789abcdef01234567 region=eu-west-3/eu-west-3 spec=spec over=by-project"),
            "{lines:#?}"
        );
        assert!(has("hi there"), "{lines:#?}");
        assert!(has("dir=sub"), "{lines:#?}");
        let id = f.build.lock().unwrap().id.clone();
        assert!(
            has(&format!("id={id} ok=1")),
            "stderr is logged too: {lines:#?}"
        );
        assert!(lines.iter().any(|l| l.starts_with("[Container] ")
            && l.ends_with("Phase complete: BUILD State: SUCCEEDED")));
        let kinds: Vec<PhaseType> = f.phases().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            kinds,
            [
                PhaseType::Submitted,
                PhaseType::Queued,
                PhaseType::Provisioning,
                PhaseType::DownloadSource,
                PhaseType::Install,
                PhaseType::PreBuild,
                PhaseType::Build,
                PhaseType::PostBuild,
                PhaseType::UploadArtifacts,
                PhaseType::Finalizing,
                PhaseType::Completed
            ]
        );
    }

    #[test]
    fn a_failed_command_stops_its_phase_and_abort_skips_the_rest() {
        let f = fixture(
            "version: 0.2\nphases:\n  pre_build:\n    on-failure: ABORT\n    commands:\n      - echo before\n      - exit 3\n      - echo never\n    finally:\n      - echo cleanup\n  build:\n    commands:\n      - echo build-ran\nartifacts:\n  files: [x]\n",
            &[("x", "x")],
        );
        assert_eq!(f.run(), BuildStatus::Failed);
        let lines = f.lines();
        assert!(lines.iter().any(|l| l == "before"));
        assert!(!lines.iter().any(|l| l == "never"), "{lines:#?}");
        assert!(
            lines.iter().any(|l| l == "cleanup"),
            "finally runs: {lines:#?}"
        );
        assert!(!lines.iter().any(|l| l == "build-ran"));
        assert!(lines
            .iter()
            .any(|l| l.ends_with("Command did not exit successfully exit 3 exit status 3")));
        assert_eq!(
            f.phase_status(PhaseType::PreBuild),
            Some(BuildStatus::Failed)
        );
        assert!(!f.ran(PhaseType::Build));
        assert!(!f.ran(PhaseType::UploadArtifacts));
        let b = f.build.lock().unwrap();
        let pre = b
            .phases
            .iter()
            .find(|p| p.kind == PhaseType::PreBuild)
            .unwrap();
        assert_eq!(
            pre.context,
            Some((
                "COMMAND_EXECUTION_ERROR".into(),
                "Error while executing command: exit 3. Reason: exit status 3".into()
            ))
        );
    }

    #[test]
    fn a_failed_build_phase_still_runs_post_build_and_uploads() {
        let f = fixture(
            "version: 0.2\nphases:\n  build:\n    commands:\n      - \"false\"\n  post_build:\n    commands:\n      - echo \"post ok=$CODEBUILD_BUILD_SUCCEEDING\"\nartifacts:\n  files: [x]\n",
            &[("x", "x")],
        );
        assert_eq!(f.run(), BuildStatus::Failed);
        assert!(
            f.lines().iter().any(|l| l == "post ok=0"),
            "{:#?}",
            f.lines()
        );
        assert_eq!(f.phase_status(PhaseType::Build), Some(BuildStatus::Failed));
        assert_eq!(
            f.phase_status(PhaseType::PostBuild),
            Some(BuildStatus::Succeeded)
        );
        assert_eq!(
            f.phase_status(PhaseType::UploadArtifacts),
            Some(BuildStatus::Succeeded)
        );
        assert!(f.spec.artifacts_dir.join("x").is_file());
    }

    #[test]
    fn a_failed_pre_build_without_on_failure_goes_to_finalizing() {
        let f = fixture(
            "version: 0.2\nphases:\n  pre_build:\n    commands: [\"false\"]\n  post_build:\n    commands: [echo post]\n",
            &[],
        );
        assert_eq!(f.run(), BuildStatus::Failed);
        assert!(!f.ran(PhaseType::Build));
        assert!(!f.ran(PhaseType::PostBuild));
        assert!(f.ran(PhaseType::Finalizing));
    }

    #[test]
    fn a_dropped_artifact_fails_the_build_with_codebuilds_message() {
        let f = fixture(
            "version: 0.2\nphases:\n  build:\n    commands:\n      - echo '{}' > imageDetail.json\nartifacts:\n  files:\n    - imageDetail.json\n    - taskdef.json\n",
            &[],
        );
        assert_eq!(f.run(), BuildStatus::Failed);
        assert_eq!(
            f.phase_status(PhaseType::UploadArtifacts),
            Some(BuildStatus::Failed)
        );
        let lines = f.lines();
        assert!(
            lines.iter().any(|l| l.ends_with(
                "Phase context status code: CLIENT_ERROR Message: no matching artifact paths found"
            )),
            "{lines:#?}"
        );
        assert!(lines
            .iter()
            .any(|l| l.ends_with("Skipping invalid file path taskdef.json")));
    }

    #[test]
    fn a_bad_buildspec_fails_download_source_naming_the_field() {
        let f = fixture("version: 0.2\nphases:\n  build:\n    commands: 3\n", &[]);
        assert_eq!(f.run(), BuildStatus::Failed);
        let b = f.build.lock().unwrap();
        let ds = b
            .phases
            .iter()
            .find(|p| p.kind == PhaseType::DownloadSource)
            .unwrap();
        let (code, msg) = ds.context.clone().unwrap();
        assert_eq!(code, "YAML_FILE_ERROR");
        assert!(msg.contains("phases.build.commands"), "{msg}");
    }

    #[test]
    fn stand_ins_on_path_come_first() {
        let f = fixture(
            "version: 0.2\nphases:\n  build:\n    commands: [docker version]\n",
            &[],
        );
        let bin = f.spec.work_dir.parent().unwrap().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let docker = bin.join("docker");
        std::fs::write(&docker, "#!/bin/sh\necho \"stand-in docker $*\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut f = f;
        f.spec.path_prefix = vec![bin];
        assert_eq!(f.run(), BuildStatus::Succeeded);
        assert!(f.lines().iter().any(|l| l == "stand-in docker version"));
    }

    #[test]
    fn a_timeout_kills_the_command() {
        let mut f = fixture(
            "version: 0.2\nphases:\n  build:\n    commands: [sleep 30]\n",
            &[],
        );
        f.spec.timeout = Duration::from_millis(300);
        let started = Instant::now();
        assert_eq!(f.run(), BuildStatus::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(
            f.phase_status(PhaseType::Build),
            Some(BuildStatus::TimedOut)
        );
    }

    #[test]
    fn transitions_after_failure() {
        use PhaseName::*;
        assert_eq!(next_after_failure(Install, None), PhaseType::Finalizing);
        assert_eq!(next_after_failure(PreBuild, None), PhaseType::Finalizing);
        assert_eq!(next_after_failure(Build, None), PhaseType::PostBuild);
        assert_eq!(
            next_after_failure(PostBuild, None),
            PhaseType::UploadArtifacts
        );
        assert_eq!(
            next_after_failure(Build, Some(OnFailure::Abort)),
            PhaseType::Finalizing
        );
        assert_eq!(
            next_after_failure(PreBuild, Some(OnFailure::Continue)),
            PhaseType::Build
        );
    }

    #[test]
    fn container_lines_look_like_codebuilds() {
        assert_eq!(
            container_line(1_700_000_000.5, "Running command x"),
            "[Container] 2023/11/14 22:13:20.5 Running command x"
        );
    }
}
