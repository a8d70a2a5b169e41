//! Tasks as real processes: each task of a task set is the `demo` binary started with the
//! task definition's environment (plus `HOST=127.0.0.1`, its own `PORT`, and the image
//! tag as `DEMO_VERSION`), supervised until it exits, health-checked with the task
//! definition's container health command, and stopped like ECS stops a task: SIGTERM,
//! then SIGKILL after the stop timeout.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use nix::sys::signal::Signal;

use crate::ecs;
use crate::ecs::backend;
use crate::ecs::model::{launch_of, Health, HealthCheck, NewTask, StopCode, Task, TaskStatus};
use crate::logs::backend::{self as logs, FileFollower};
use crate::names::{random_id, version_of_image, HEX};
use crate::runtime::stack::Stack;
use crate::runtime::state;
use crate::wire::error::AwsError;

/// How often a task's output file is read into its log stream.
const LOG_POLL: Duration = Duration::from_millis(100);

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .context("cannot find a free port on 127.0.0.1")?;
    Ok(l.local_addr()?.port())
}

/// Starts one task of task set `task_set_id`; returns its id.
pub(crate) fn start_task(stack: &Arc<Stack>, task_set_id: &str) -> anyhow::Result<String> {
    let (task_def_arn, tg, launch) = {
        let w = stack.world();
        let ts = w
            .task_set(task_set_id)
            .ok_or_else(|| anyhow!("task set {task_set_id} does not exist"))?;
        let td = w
            .task_def(&ts.task_def_arn)
            .ok_or_else(|| anyhow!("task definition {} is not registered", ts.task_def_arn))?;
        (ts.task_def_arn.clone(), ts.tg, launch_of(td)?)
    };
    let id = random_id(32, HEX);
    let port = free_port()?;
    let version = version_of_image(&launch.image);
    let log_dir = stack.cfg.state_dir.join(state::TASK_LOG_DIR);
    std::fs::create_dir_all(&log_dir)
        .with_context(|| format!("cannot create {}", log_dir.display()))?;
    let log_path = log_dir.join(format!("{id}.log"));
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;

    let (program, _) = stack.program_for(&launch.image)?;
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(&launch.args)
        // A task sees its task definition's environment, not the deployer's (no AWS
        // credentials or other secrets leak into it).
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DEMO_VERSION", &version)
        .env(
            "ECS_CONTAINER_METADATA_URI_V4",
            format!("{}/v4/{id}", stack.api_url),
        )
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group: Ctrl-C on a foreground `up` reaches only the deployer,
        // which then stops the tasks in order.
        .process_group(0);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let pid = child.id().unwrap_or(0);
    stack.world().record_task(
        task_set_id,
        &task_def_arn,
        NewTask {
            id: id.clone(),
            image: launch.image.clone(),
            version,
            port,
            pid: Some(pid),
            has_health_check: launch.health.is_some(),
            log: log_path.display().to_string(),
        },
    );
    // Started while the stack shuts down (the scheduler replacing a task that shutdown just
    // stopped, or a deployment's new task set): shutdown sets the token before it collects
    // the tasks to stop (under the world lock), so a task inserted after that collection
    // sees the token here and is killed at once; the supervisor below records its exit.
    // Without this, such a task outlived `deployer local up` (found orphaned after a test).
    if stack.shutdown.is_cancelled() {
        let _ = child.start_kill();
    }
    stack.save_state();
    // ECS registers a task's IP and port with the task set's target group once it runs.
    stack
        .lb
        .register(tg, &id, SocketAddr::from((Ipv4Addr::LOCALHOST, port)));

    // The awslogs driver's part: the task's output, line by line, into its stream of the
    // service's log group; the follower reads to the end once the process exited.
    let output_done = tokio_util::sync::CancellationToken::new();
    tokio::spawn(
        FileFollower::new(
            Arc::clone(&stack.logs),
            log_path.clone(),
            logs::ECS_GROUP,
            &logs::ecs_stream(&id),
        )
        .run(LOG_POLL, output_done.clone()),
    );

    // Supervisor: records the exit.
    let st = Arc::clone(stack);
    let tid = id.clone();
    tokio::spawn(async move {
        let status = child.wait().await;
        let code = status.as_ref().ok().and_then(|s| s.code());
        output_done.cancel();
        st.lb.deregister(tg, &tid);
        st.world().exited(&tid, code);
        st.save_state();
    });

    if let Some(hc) = launch.health {
        let st = Arc::clone(stack);
        let tid = id.clone();
        tokio::spawn(async move { container_health(st, tid, port, launch.env, hc, program).await });
    }
    Ok(id)
}

/// RunTask: the backend's checks, then its `count` one-off tasks ([`run_task`]); their
/// ids. A task that cannot start is ECS's ClientException, naming why.
pub(crate) fn run_tasks(
    stack: &Arc<Stack>,
    req: &backend::RunTask<'_>,
) -> Result<Vec<String>, AwsError<ecs::Error>> {
    let plan = stack.world().run_task(req)?;
    (0..plan.count)
        .map(|_| {
            run_task(
                stack,
                &plan.task_def_arn,
                plan.overrides.command.clone(),
                &plan.overrides.environment,
            )
            .map_err(|e| AwsError::new(ecs::Error::ClientException, format!("{e:#}")))
        })
        .collect()
}

/// StopTask: the backend's checks, then the task stops ([`stop_task`], UserInitiated);
/// its record after the stop began.
pub(crate) fn stop_requested(
    stack: &Arc<Stack>,
    req: &backend::StopTask<'_>,
) -> Result<Task, AwsError<ecs::Error>> {
    let (id, reason) = stack.world().stop_task(req)?;
    stop_task(stack, &id, StopCode::UserInitiated, &reason);
    stack.world().tasks.get(&id).cloned().ok_or_else(|| {
        AwsError::new(
            ecs::Error::InvalidParameterException,
            "The referenced task was not found.",
        )
    })
}

/// RunTask: a one-off task of `task_def_arn` (the `demo` binary with the container's
/// command, or `command` when overridden, and the environment plus `env`), in no task set
/// and behind no target group; its output goes to its log stream like any task's, and its
/// exit is recorded (exit code, EssentialContainerExited). Returns its id.
pub(crate) fn run_task(
    stack: &Arc<Stack>,
    task_def_arn: &str,
    command: Option<Vec<String>>,
    env: &[(String, String)],
) -> anyhow::Result<String> {
    let launch = {
        let w = stack.world();
        let td = w
            .task_def(task_def_arn)
            .ok_or_else(|| anyhow!("task definition {task_def_arn} is not registered"))?;
        launch_of(td)?
    };
    let id = random_id(32, HEX);
    let port = free_port()?;
    let version = version_of_image(&launch.image);
    let log_dir = stack.cfg.state_dir.join(state::TASK_LOG_DIR);
    std::fs::create_dir_all(&log_dir)
        .with_context(|| format!("cannot create {}", log_dir.display()))?;
    let log_path = log_dir.join(format!("{id}.log"));
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let env = crate::ecs::placement::merged_env(&launch.env, env);
    let (program, _) = stack.program_for(&launch.image)?;
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(command.as_deref().unwrap_or(&launch.args))
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DEMO_VERSION", &version)
        .env(
            "ECS_CONTAINER_METADATA_URI_V4",
            format!("{}/v4/{id}", stack.api_url),
        )
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let pid = child.id().unwrap_or(0);
    stack.world().record_task(
        "",
        task_def_arn,
        NewTask {
            id: id.clone(),
            image: launch.image.clone(),
            version,
            port,
            pid: Some(pid),
            has_health_check: false,
            log: log_path.display().to_string(),
        },
    );
    if stack.shutdown.is_cancelled() {
        let _ = child.start_kill();
    }
    stack.save_state();
    let output_done = tokio_util::sync::CancellationToken::new();
    tokio::spawn(
        FileFollower::new(
            Arc::clone(&stack.logs),
            log_path,
            logs::ECS_GROUP,
            &logs::ecs_stream(&id),
        )
        .run(LOG_POLL, output_done.clone()),
    );
    let st = Arc::clone(stack);
    let tid = id.clone();
    tokio::spawn(async move {
        let status = child.wait().await;
        let code = status.as_ref().ok().and_then(|s| s.code());
        output_done.cancel();
        st.world().exited(&tid, code);
        st.save_state();
    });
    Ok(id)
}

/// Runs the container health command every `--health-interval` (the task definition's
/// `retries` and `timeout` apply; its `startPeriod` is capped at five intervals locally).
/// UNHEALTHY after `retries` consecutive failures: ECS then stops the task.
async fn container_health(
    stack: Arc<Stack>,
    task_id: String,
    port: u16,
    env: Vec<(String, String)>,
    hc: HealthCheck,
    program: PathBuf,
) {
    let interval = stack.cfg.health_interval;
    let start_period = hc.start_period.min(interval * 5);
    let started = tokio::time::Instant::now();
    let mut failures = 0u32;
    let mut first = true;
    loop {
        let delay = if first {
            interval.min(Duration::from_millis(100))
        } else {
            interval
        };
        first = false;
        tokio::select! {
            _ = stack.shutdown.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        let running = stack
            .world()
            .tasks
            .get(&task_id)
            .map(|t| t.last_status == TaskStatus::Running && t.desired_running)
            .unwrap_or(false);
        if !running {
            return;
        }
        let ok = run_health_command(&program, &hc, port, &env).await;
        let mut stop = false;
        {
            let mut w = stack.world();
            let Some(t) = w.tasks.get_mut(&task_id) else {
                return;
            };
            if ok {
                failures = 0;
                t.health = Health::Healthy;
            } else if t.health == Health::Healthy || started.elapsed() >= start_period {
                failures += 1;
                if failures >= hc.retries && t.health != Health::Unhealthy {
                    t.health = Health::Unhealthy;
                    stop = true;
                }
            }
        }
        if stop {
            tracing::warn!(target: "ecs", "task {task_id} failed its container health checks");
            stop_task(
                &stack,
                &task_id,
                StopCode::TaskFailedToStart,
                "Task failed container health checks",
            );
            return;
        }
    }
}

async fn run_health_command(
    demo_bin: &std::path::Path,
    hc: &HealthCheck,
    port: u16,
    env: &[(String, String)],
) -> bool {
    let mut cmd = if hc.shell {
        let mut c = tokio::process::Command::new("/bin/sh");
        c.arg("-c").arg(hc.argv.join(" "));
        c
    } else {
        let program = &hc.argv[0];
        // The image's entrypoint binary `/demo` is the binary of the task's image.
        let program = if program == "/demo" || program == "demo" {
            demo_bin.to_path_buf()
        } else {
            PathBuf::from(program)
        };
        let mut c = tokio::process::Command::new(program);
        c.args(&hc.argv[1..]);
        c
    };
    cmd.env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let Ok(mut child) = cmd.spawn() else {
        return false;
    };
    match tokio::time::timeout(hc.timeout, child.wait()).await {
        Ok(Ok(status)) => status.success(),
        _ => {
            let _ = child.kill().await;
            false
        }
    }
}

/// Stops a task like ECS: deregister it from its target group (no new connections),
/// SIGTERM (the app drains in-flight requests), SIGKILL after the stop timeout.
pub(crate) fn stop_task(stack: &Arc<Stack>, task_id: &str, stop_code: StopCode, reason: &str) {
    let (pid, tg, timeout) = {
        let mut w = stack.world();
        if !w.stopping(task_id, stop_code, reason) {
            return;
        }
        let Some(t) = w.tasks.get(task_id) else {
            return;
        };
        let tg = w.task_set(&t.task_set_id).map(|s| s.tg);
        let timeout = w
            .task_def(&t.task_def_arn)
            .and_then(|td| launch_of(td).ok())
            .and_then(|l| l.stop_timeout)
            .unwrap_or(stack.cfg.stop_timeout)
            .min(stack.cfg.stop_timeout);
        (t.pid, tg, timeout)
    };
    if let Some(tg) = tg {
        stack.lb.deregister(tg, task_id);
    }
    let Some(pid) = pid else { return };
    state::signal(pid, Signal::SIGTERM);
    let st = Arc::clone(stack);
    let tid = task_id.to_string();
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            let still = st
                .world()
                .tasks
                .get(&tid)
                .map(|t| t.last_status != TaskStatus::Stopped)
                .unwrap_or(false);
            if !still {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tracing::warn!(target: "ecs", "task {tid} did not stop within {timeout:?}: SIGKILL");
        state::signal(pid, Signal::SIGKILL);
    });
}

/// Waits until every listed task is STOPPED (or `timeout`).
pub(crate) async fn wait_stopped(stack: &Stack, ids: &[String], timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let all = {
            let w = stack.world();
            ids.iter().all(|id| {
                w.tasks
                    .get(id)
                    .map(|t| t.last_status == TaskStatus::Stopped)
                    .unwrap_or(true)
            })
        };
        if all {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
