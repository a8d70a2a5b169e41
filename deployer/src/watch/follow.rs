//! The watch loop: polls AWS, feeds the [`Watch`] machine, reports progress, handles
//! Ctrl-C and approvals, enforces the timeout, and ends with one [`Summary`].

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_codedeploy::types::{DeploymentGroupInfo, DeploymentWaitType};

use crate::aws::cloudwatch::{self, AlarmState};
use crate::aws::ecs::StoppedTask;
use crate::aws::{codedeploy, ecs, error_kind, Ctx, ErrorKind};
use crate::exit::{bad_input, Code};
use crate::options::{InterruptAction, OutputFormat};
use crate::watch::guards;
use crate::watch::machine::{Event, Observation, Outcome, Watch};
use crate::watch::observe::Poller;
use crate::watch::progress::{clock, Reporter, Summary};

/// How many of a stopped task's last log lines a failure report shows.
const LAST_LINES: i32 = 10;

/// What the person asked of a watch (`--timeout`, `--interval`, `--wait-until`,
/// `--on-interrupt`), before the defaults are filled in.
#[derive(Debug, Clone)]
pub(crate) struct WatchSettings {
    /// `None`: what the deployment group implies ([`default_timeout`]).
    pub(crate) timeout: Option<Duration>,
    pub(crate) interval: Option<Duration>,
    pub(crate) wait_until: Option<String>,
    pub(crate) on_interrupt: InterruptAction,
}

/// Resolved watch settings.
#[derive(Debug, Clone)]
pub(crate) struct WatchOptions {
    pub timeout: Duration,
    /// A fixed poll period (`--interval`); `None`: adaptive ([`Pace`]).
    pub interval: Option<Duration>,
    pub wait_until: Option<String>,
    pub on_interrupt: InterruptAction,
    /// Ask before the traffic switch (`deploy --approve`); needs a terminal.
    pub approve: bool,
    pub output: OutputFormat,
    /// After a failure, follow the rollback deployment CodeDeploy started.
    pub follow_rollback: bool,
    /// Approve the traffic switch without asking (`rollback` redeploying the previous
    /// revision: the person asked for exactly that switch).
    pub auto_approve: bool,
}

impl WatchOptions {
    /// Fills the default timeout from the deployment group's settings.
    pub(crate) async fn resolve(
        ctx: &Ctx,
        args: &WatchSettings,
        approve: bool,
        output: OutputFormat,
    ) -> anyhow::Result<WatchOptions> {
        if args.interval.is_some_and(|i| i.is_zero()) {
            return Err(bad_input("--interval must be more than 0"));
        }
        let timeout = match args.timeout {
            Some(t) if t.is_zero() => return Err(bad_input("--timeout must be more than 0")),
            Some(t) => t,
            None => {
                let group = codedeploy::deployment_group(ctx).await?;
                default_timeout(&group)
            }
        };
        Ok(WatchOptions {
            timeout,
            interval: args.interval,
            wait_until: args.wait_until.clone(),
            on_interrupt: args.on_interrupt,
            approve,
            output,
            follow_rollback: true,
            auto_approve: false,
        })
    }
}

/// How long to sleep between polls. Fixed with `--interval`; else adaptive: 250ms after
/// anything changed, then 1.5x longer after each poll that saw nothing new, up to 5s;
/// never past the predicted end of a ready or termination wait, and fast again once it
/// passed (CodeDeploy completes the deployment shortly after).
#[derive(Debug, Clone)]
pub(crate) struct Pace {
    fixed: Option<Duration>,
    current: Duration,
    passed_wait_end: Option<f64>,
}

impl Pace {
    pub(crate) const MIN: Duration = Duration::from_millis(250);
    pub(crate) const MAX: Duration = Duration::from_secs(5);

    pub(crate) fn new(fixed: Option<Duration>) -> Pace {
        Pace {
            fixed,
            current: Pace::MIN,
            passed_wait_end: None,
        }
    }

    /// The sleep before the next poll: `changed` when the last poll reported events,
    /// `wait_end` the predicted end of the wait in progress and `now` (epoch seconds).
    pub(crate) fn next(&mut self, changed: bool, wait_end: Option<f64>, now: f64) -> Duration {
        if let Some(f) = self.fixed {
            return f;
        }
        self.current = if changed {
            Pace::MIN
        } else {
            self.current.mul_f64(1.5).min(Pace::MAX)
        };
        match wait_end {
            Some(end) if end > now => self.current.min(Duration::from_secs_f64(end - now)),
            Some(end) => {
                // The wait just ended: back to fast polls (once per wait end).
                if self.passed_wait_end != Some(end) {
                    self.passed_wait_end = Some(end);
                    self.current = Pace::MIN;
                }
                self.current
            }
            None => self.current,
        }
    }
}

/// The predicted end of the wait `obs` is in, if any.
fn wait_end(obs: &Observation) -> Option<f64> {
    if obs.status == "Ready" {
        obs.ready_wait_until()
    } else if obs.termination_wait_started {
        obs.termination_wait_until()
    } else {
        None
    }
}

/// Whether the group stops at the ready wait for approval (`deploymentReadyOption`
/// `actionOnTimeout = STOP_DEPLOYMENT`).
pub(crate) fn waits_for_approval(group: &DeploymentGroupInfo) -> bool {
    group
        .blue_green_deployment_configuration
        .as_ref()
        .and_then(|b| b.deployment_ready_option.as_ref())
        .and_then(|r| r.action_on_timeout.clone())
        == Some(aws_sdk_codedeploy::types::DeploymentReadyAction::StopDeployment)
}

/// `--wait-until ReadyWait` needs a group that waits for approval: otherwise traffic
/// switches on its own and the watch would pass the point it was asked to stop at.
pub(crate) fn check_wait_until(
    group: &DeploymentGroupInfo,
    wait_until: Option<&str>,
) -> anyhow::Result<()> {
    if wait_until == Some("ReadyWait") && !waits_for_approval(group) {
        return Err(bad_input(format!(
            "--wait-until ReadyWait: deployment group `{}` does not wait for approval \
             (deploymentReadyOption.actionOnTimeout is CONTINUE_DEPLOYMENT): production \
             traffic would switch without stopping there. Set deployment_ready_option \
             {{ action_on_timeout = \"STOP_DEPLOYMENT\", wait_time_in_minutes = N }} on the \
             deployment group in infra/, or wait until TerminationWait instead",
            group.deployment_group_name.as_deref().unwrap_or("?")
        )));
    }
    Ok(())
}

/// Ready wait (when the group waits for approval) + termination wait + 15 minutes for
/// tasks to start and pass health checks.
pub(crate) fn default_timeout(group: &DeploymentGroupInfo) -> Duration {
    use aws_sdk_codedeploy::types::{DeploymentReadyAction, InstanceAction};
    let mut minutes: u64 = 15;
    if let Some(bg) = &group.blue_green_deployment_configuration {
        if let Some(ready) = &bg.deployment_ready_option {
            if ready.action_on_timeout == Some(DeploymentReadyAction::StopDeployment) {
                minutes += ready.wait_time_in_minutes.max(0) as u64;
            }
        }
        if let Some(term) = &bg.terminate_blue_instances_on_deployment_success {
            if term.action == Some(InstanceAction::Terminate) {
                minutes += term.termination_wait_time_in_minutes.max(0) as u64;
            }
        }
    }
    Duration::from_secs(minutes * 60)
}

enum Interrupt {
    Leave,
    Rollback,
}

/// Polls deployment `id` until it ends, the milestone is reached, the timeout passes or
/// the person interrupts; reports progress and a summary; returns the exit code.
pub(crate) async fn follow(ctx: &Ctx, id: &str, opts: &WatchOptions) -> anyhow::Result<Code> {
    let (code, summary) = follow_to_summary(ctx, id, opts).await?;
    Reporter::plain(opts.output).summary(&summary);
    Ok(code)
}

/// [`follow`] without printing the summary: for a watch that ends with a summary of its
/// own (`pipeline watch`: one `summary`, the last line, for the whole execution).
pub(crate) async fn follow_to_summary(
    ctx: &Ctx,
    id: &str,
    opts: &WatchOptions,
) -> anyhow::Result<(Code, Summary)> {
    let started = Instant::now();
    Follower {
        ctx,
        id,
        opts,
        reporter: Reporter::new(opts.output),
        poller: std::cell::RefCell::new(None),
        guards: std::cell::RefCell::new(GuardWatch::default()),
        started,
        deadline: started + opts.timeout,
    }
    .run()
    .await
}

/// One watch in progress: what every step of the loop needs.
struct Follower<'a> {
    ctx: &'a Ctx,
    id: &'a str,
    opts: &'a WatchOptions,
    reporter: Reporter,
    /// Remembers the deployment's target between polls (see [`Poller`]).
    poller: std::cell::RefCell<Option<Poller>>,
    /// What the watch knows of the release guards (hooks, alarms) between polls.
    guards: std::cell::RefCell<GuardWatch>,
    started: Instant,
    deadline: Instant,
}

/// The release guards as the watch follows them: the deployment's hooks (to announce
/// their start), the group's alarms and their last states (to report transitions).
#[derive(Debug, Default)]
struct GuardWatch {
    /// (event, function) of the deployment's AppSpec, once read.
    hooks: Option<Vec<(String, String)>>,
    /// The lifecycle events whose hooks' start was announced.
    announced: std::collections::BTreeSet<String>,
    /// The group's alarm configuration (enabled: its alarm names), once read.
    alarm_names: Option<Vec<String>>,
    /// Each alarm's last state seen.
    states: std::collections::BTreeMap<String, AlarmState>,
    /// Reading the alarms failed once (reported once; not tried again).
    alarms_off: bool,
}

impl Follower<'_> {
    async fn run(&self) -> anyhow::Result<(Code, Summary)> {
        let (ctx, id, opts) = (self.ctx, self.id, self.opts);
        let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        let mut watch = Watch::new(opts.wait_until.clone());
        let mut pace = Pace::new(opts.interval);
        let mut stopping = false;
        let mut asked_approval = false;
        // Registered before the first line is printed, so a Ctrl-C from then on is ours.
        let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
            .context("listening for Ctrl-C")?;

        self.reporter.start(&format!("watching deployment {id}"));
        let outcome = loop {
            let (obs, outcome, changed) = self.poll(&mut watch, id).await?;
            if let Some(outcome) = outcome {
                break outcome;
            }
            if obs.status == "Ready" && !asked_approval && !stopping {
                if opts.auto_approve {
                    asked_approval = true;
                    codedeploy::continue_deployment(ctx, id, DeploymentWaitType::ReadyWait).await?;
                    self.line("approved the traffic switch (the rollback asked for it)");
                }
                if opts.approve && !asked_approval {
                    asked_approval = true;
                    stopping = self.ask_approval().await?;
                }
            }
            let now = Instant::now();
            if now >= self.deadline {
                return Ok((Code::Timeout, self.timed_out(&obs)));
            }
            let sleep = pace
                .next(changed, wait_end(&obs), deployer_models::time::now_secs())
                .min(self.deadline - now);
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = sigint.recv() => {
                    if stopping {
                        self.line(&format!(
                            "interrupted again: leaving {id} to finish its rollback \
                             (`deployer wait {id}`)"));
                        self.reporter.finish();
                        let summary = self.summary("interrupted", Code::Interrupted, &obs.status);
                        return Ok((Code::Interrupted, summary));
                    }
                    match self.interrupted(interactive).await {
                        Interrupt::Leave => {
                            self.line(&format!(
                                "interrupted: {id} keeps running; resume with `deployer wait {id}`"));
                            self.reporter.finish();
                            let summary = self.summary("interrupted", Code::Interrupted, &obs.status);
                            return Ok((Code::Interrupted, summary));
                        }
                        Interrupt::Rollback => {
                            self.line(&format!("interrupted: stopping {id} with rollback"));
                            match codedeploy::stop_with_rollback(ctx, id).await {
                                Ok(()) => stopping = true,
                                Err(err) if error_kind(&err) == Some(ErrorKind::Conflict) => {
                                    // It finished meanwhile; the next poll tells how.
                                    self.line(&format!("{err:#}"));
                                }
                                Err(err) => return Err(err),
                            }
                        }
                    }
                }
            }
        };
        self.finish(&watch, outcome).await
    }

    /// One poll of deployment `id`: observes it, reports what changed and the live
    /// status line; returns the observation and the outcome, once there is one.
    async fn poll(
        &self,
        watch: &mut Watch,
        id: &str,
    ) -> anyhow::Result<(Observation, Option<Outcome>, bool)> {
        let mut poller = self.poller.borrow_mut().take().unwrap_or_default();
        let result = poller.observe(self.ctx, id).await;
        *self.poller.borrow_mut() = Some(poller);
        let obs = result?;
        let (events, outcome) = watch.observe(&obs);
        // The alarms first: a transition to ALARM comes before the stop it causes.
        let alarm_changed = self.poll_alarms().await;
        for ev in &events {
            self.reporter.event(self.started.elapsed(), ev);
            if let Event::Lifecycle { name, status, .. } = ev {
                // A hook's start comes before its result, also when a slow poll first sees
                // its event already ended (the whole lifecycle can pass between two polls).
                let ran = matches!(status.as_str(), "InProgress" | "Succeeded" | "Failed");
                if ran && self.guards.borrow_mut().announced.insert(name.clone()) {
                    self.report_hook_start(name).await;
                }
            }
        }
        self.reporter.status(self.started.elapsed(), &obs);
        Ok((obs, outcome, !events.is_empty() || alarm_changed))
    }

    /// A lifecycle event began: its hook functions (the AppSpec's `Hooks`) start now.
    async fn report_hook_start(&self, event: &str) {
        let known = self.guards.borrow().hooks.clone();
        let hooks = match known {
            Some(h) => h,
            None => match codedeploy::hooks(self.ctx, self.id).await {
                Ok(h) => {
                    self.guards.borrow_mut().hooks = Some(h.clone());
                    h
                }
                Err(err) => {
                    self.line(&format!("(could not read the deployment's hooks: {err:#})"));
                    self.guards.borrow_mut().hooks = Some(Vec::new());
                    Vec::new()
                }
            },
        };
        for (_, function) in hooks.iter().filter(|(e, _)| e == event) {
            let name = function.rsplit(':').next().unwrap_or(function);
            self.line(&format!(
                "hook {name} ({event}): started (CodeDeploy waits for its status)"
            ));
        }
    }

    /// Reads the group's alarms and reports each change of state (an `alarm` line, with
    /// the metric's value); returns whether one changed. A failure to read them (no
    /// cloudwatch:DescribeAlarms right, an endpoint without CloudWatch) is reported once.
    async fn poll_alarms(&self) -> bool {
        if self.guards.borrow().alarms_off {
            return false;
        }
        let known = self.guards.borrow().alarm_names.clone();
        let names = match known {
            Some(n) => n,
            None => match codedeploy::deployment_group(self.ctx).await {
                Ok(g) => {
                    let names = codedeploy::watched_alarms(&g);
                    self.guards.borrow_mut().alarm_names = Some(names.clone());
                    names
                }
                Err(err) => {
                    self.line(&format!("(could not read the group's alarms: {err:#})"));
                    self.guards.borrow_mut().alarms_off = true;
                    return false;
                }
            },
        };
        if names.is_empty() {
            return false;
        }
        let states = match cloudwatch::alarms(self.ctx, &names).await {
            Ok(s) => s,
            Err(err) => {
                self.line(&format!(
                    "(could not read the alarms CodeDeploy watches, {}: {err:#})",
                    names.join(", ")
                ));
                self.guards.borrow_mut().alarms_off = true;
                return false;
            }
        };
        let mut changed = false;
        for a in states {
            let previous = self
                .guards
                .borrow_mut()
                .states
                .insert(a.name.clone(), a.clone());
            let before = previous.as_ref().map(|p| p.state.as_str());
            // The first look reports only an alarm already in ALARM.
            let report = match before {
                Some(b) => b != a.state,
                None => a.state == "ALARM",
            };
            if report {
                changed = true;
                self.report_alarm(&a, before);
            }
        }
        changed
    }

    fn report_alarm(&self, a: &AlarmState, before: Option<&str>) {
        let value = a
            .value
            .map(|v| format!(" (value {v:?}, {})", a.rule))
            .unwrap_or_default();
        let human = format!(
            "alarm {}: {} -> {}{value}: {}",
            a.name,
            before.unwrap_or("?"),
            a.state,
            a.reason
        );
        let event = serde_json::json!({
            "name": a.name,
            "state": a.state,
            "previous": before,
            "reason": a.reason,
            "value": a.value,
            "threshold": a.threshold,
            "rule": a.rule,
        });
        match self.opts.output {
            OutputFormat::Json => {
                self.reporter
                    .execution_event(self.started.elapsed(), "alarm", &event, &human)
            }
            OutputFormat::Human => self.line(&human),
        }
    }

    /// Which alarm stopped the release (ALARM_ACTIVE): the alarm's name, rule and value.
    async fn alarm_guard(&self, obs: &Observation) -> Option<String> {
        if obs.error_code.as_deref() != Some("ALARM_ACTIVE") {
            return None;
        }
        self.poll_alarms().await;
        let states: Vec<AlarmState> = self.guards.borrow().states.values().cloned().collect();
        guards::alarm_guard(obs.error_message.as_deref(), &states)
    }

    /// `deploy --approve`: asks whether to switch traffic; returns whether the
    /// deployment is now being stopped.
    async fn ask_approval(&self) -> anyhow::Result<bool> {
        let id = self.id;
        match self
            .reporter
            .ask(
                "the replacement task set is ready. Switch production traffic to it? \
                 [y]es / [n]o, stop and roll back / [l]eave it waiting: ",
            )
            .await
        {
            Some('y') => {
                codedeploy::continue_deployment(self.ctx, id, DeploymentWaitType::ReadyWait)
                    .await?;
                self.line("approved: switching traffic to the replacement task set");
                Ok(false)
            }
            Some('n') => {
                codedeploy::stop_with_rollback(self.ctx, id).await?;
                self.line("stopping with rollback");
                Ok(true)
            }
            _ => {
                self.line(&format!(
                    "left waiting: approve with `deployer continue {id}`"
                ));
                Ok(false)
            }
        }
    }

    /// What to do about a Ctrl-C: ask on a terminal, else `--on-interrupt`.
    async fn interrupted(&self, interactive: bool) -> Interrupt {
        if interactive {
            match self
                .reporter
                .ask(&format!(
                    "interrupted. [l]eave {} running, or [s]top it and roll back? ",
                    self.id
                ))
                .await
            {
                Some('s') | Some('r') => Interrupt::Rollback,
                _ => Interrupt::Leave,
            }
        } else {
            match self.opts.on_interrupt {
                InterruptAction::Leave => Interrupt::Leave,
                InterruptAction::Rollback => Interrupt::Rollback,
            }
        }
    }

    /// The watch ended with `outcome`: reports the failure's diagnostics and stopped
    /// tasks, follows CodeDeploy's rollback, and prints the summary.
    async fn finish(&self, watch: &Watch, outcome: Outcome) -> anyhow::Result<(Code, Summary)> {
        let obs = watch.last().cloned().unwrap_or_default();
        let mut summary = self.summary(outcome.name(), outcome.code(), &obs.status);
        if let Outcome::Reached(m) = &outcome {
            summary.milestone = Some(m.clone());
        }
        summary.error = obs.error_message.as_ref().map(|m| match &obs.error_code {
            Some(c) => format!("{c}: {m}"),
            None => m.clone(),
        });
        summary.rollback_deployment_id = obs.rollback_deployment_id.clone();
        summary.guard = self.report_hooks(&obs).await;
        if summary.guard.is_none() {
            summary.guard = self.alarm_guard(&obs).await;
        }
        if matches!(
            outcome,
            Outcome::Failed | Outcome::Stopped | Outcome::AlarmStopped
        ) {
            self.report_failed_events(&obs);
            if outcome == Outcome::Failed {
                summary.stopped_tasks = self.report_stopped_tasks(&obs).await;
            }
            if let (Some(rb), true) = (&obs.rollback_deployment_id, self.opts.follow_rollback) {
                summary.rollback_status = Some(self.follow_rollback(rb).await?);
            }
        }
        self.reporter.finish();
        Ok((outcome.code(), summary))
    }

    fn report_failed_events(&self, obs: &Observation) {
        for ev in obs.lifecycle_events.iter().filter(|e| e.status == "Failed") {
            if let Some(d) = &ev.diagnostics {
                let mut text = format!(
                    "{} failed: {}",
                    ev.name,
                    d.message.as_deref().unwrap_or("(no message)")
                );
                if let Some(code) = obs.failure_code(ev) {
                    text.push_str(&format!(" [{code}]"));
                }
                if let Some(tail) = &d.log_tail {
                    text.push_str(&format!(
                        "\n  log tail:\n    {}",
                        tail.replace('\n', "\n    ")
                    ));
                }
                self.line(&text);
            }
        }
    }

    /// Reports each validation hook that ran (its result, its figures, its last log lines);
    /// returns the guard that stopped the release, if one did. A failure to read them is
    /// reported, not returned.
    async fn report_hooks(&self, obs: &Observation) -> Option<String> {
        let ran: Vec<&str> = obs
            .lifecycle_events
            .iter()
            .filter(|e| matches!(e.status.as_str(), "Succeeded" | "Failed"))
            .map(|e| e.name.as_str())
            .collect();
        let hooks = match codedeploy::hooks(self.ctx, self.id).await {
            Ok(h) => h,
            Err(err) => {
                self.line(&format!("(could not read the deployment's hooks: {err:#})"));
                return None;
            }
        };
        let since = obs.created_at.unwrap_or_default() * 1000;
        let mut guard = None;
        for (event, function) in hooks.iter().filter(|(e, _)| ran.contains(&e.as_str())) {
            let failed = obs
                .lifecycle_events
                .iter()
                .any(|e| &e.name == event && e.status == "Failed");
            let lines = crate::aws::logs::function_lines(
                &self.ctx.aws.logs,
                function,
                since,
                guards::HOOK_LOG_LINES,
            )
            .await;
            let lines: Vec<String> = match lines {
                Ok(events) => events.into_iter().map(|e| e.message).collect(),
                Err(err) => vec![format!("(could not read its log: {err:#})")],
            };
            let hook = guards::HookResult::from_log(event, function, failed, &lines);
            self.line(&hook.text(&lines));
            if failed && guard.is_none() {
                guard = Some(hook.guard());
            }
        }
        guard
    }

    /// Reports the tasks that stopped since the deployment began (a failure's usual
    /// cause); a failure to read them is reported, not returned.
    async fn report_stopped_tasks(&self, obs: &Observation) -> Vec<StoppedTask> {
        match ecs::stopped_tasks(self.ctx, obs.created_at).await {
            Ok(mut tasks) => {
                for t in &mut tasks {
                    // Its last lines from CloudWatch Logs (awslogs stream ecs/<container>/<id>),
                    // on AWS and on the local stack alike.
                    let o = &self.ctx.outputs;
                    let stream =
                        deployer_models::logview::stream_name("ecs", &o.container_name, &t.task);
                    match crate::aws::logs::last_lines(
                        &self.ctx.aws.logs,
                        &o.log_group_name,
                        &stream,
                        LAST_LINES,
                    )
                    .await
                    {
                        Ok(events) => {
                            t.last_lines =
                                events.iter().map(deployer_models::logview::human).collect()
                        }
                        Err(err) => {
                            t.last_lines = vec![format!("(could not read its log: {err:#})")]
                        }
                    }
                    let mut text = format!(
                        "stopped task {}: {}",
                        t.task,
                        t.stopped_reason.as_deref().unwrap_or("(no reason given)")
                    );
                    for c in &t.containers {
                        text.push_str(&format!("\n  {c}"));
                    }
                    if !t.last_lines.is_empty() {
                        text.push_str(&format!(
                            "\n  last log lines ({} {stream}):",
                            o.log_group_name
                        ));
                        for l in &t.last_lines {
                            text.push_str(&format!("\n    {l}"));
                        }
                    }
                    self.line(&text);
                }
                tasks
            }
            Err(err) => {
                self.line(&format!("(could not read the stopped tasks: {err:#})"));
                Vec::new()
            }
        }
    }

    /// Follows rollback deployment `rb` to its end (or the deadline); returns its last
    /// status.
    async fn follow_rollback(&self, rb: &str) -> anyhow::Result<String> {
        self.line(&format!("following rollback deployment {rb}"));
        let mut rb_watch = Watch::new(None);
        let mut pace = Pace::new(self.opts.interval);
        // A new deployment: its own target.
        *self.poller.borrow_mut() = None;
        loop {
            let (o, end, changed) = self.poll(&mut rb_watch, rb).await?;
            if end.is_some() {
                return Ok(o.status);
            }
            if Instant::now() >= self.deadline {
                self.line(&format!(
                    "timed out following rollback {rb}; `deployer wait {rb}`"
                ));
                return Ok(o.status);
            }
            tokio::time::sleep(pace.next(changed, wait_end(&o), deployer_models::time::now_secs()))
                .await;
        }
    }

    fn timed_out(&self, obs: &Observation) -> Summary {
        let (id, timeout) = (self.id, self.opts.timeout);
        self.line(&format!(
            "timed out after {} watching {id} (status {}); it may still be running: \
             `deployer wait {id}`",
            clock(timeout),
            obs.status
        ));
        let mut summary = self.summary("timeout", Code::Timeout, &obs.status);
        summary.error = Some(format!("timed out after {}", clock(timeout)));
        summary.rollback_deployment_id = obs.rollback_deployment_id.clone();
        self.reporter.finish();
        summary
    }

    /// A summary of this watch with nothing optional filled in.
    fn summary(&self, outcome: &str, code: Code, status: &str) -> Summary {
        Summary {
            deployment_id: self.id.to_owned(),
            outcome: outcome.into(),
            status: status.to_owned(),
            milestone: None,
            exit_code: code.as_u8(),
            elapsed_secs: self.started.elapsed().as_secs(),
            error: None,
            rollback_deployment_id: None,
            rollback_status: None,
            stopped_tasks: Vec::new(),
            guard: None,
        }
    }

    fn line(&self, text: &str) {
        self.reporter.line(self.started.elapsed(), text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_is_fast_while_things_move_and_backs_off_when_they_do_not() {
        let mut p = Pace::new(None);
        assert_eq!(p.next(true, None, 0.0), Pace::MIN);
        let quiet: Vec<Duration> = (0..10).map(|_| p.next(false, None, 0.0)).collect();
        assert!(quiet.windows(2).all(|w| w[0] <= w[1]), "{quiet:?}");
        assert_eq!(*quiet.last().unwrap(), Pace::MAX);
        assert_eq!(p.next(true, None, 0.0), Pace::MIN, "a change resets it");
    }

    #[test]
    fn pace_wakes_at_the_end_of_a_wait_then_polls_fast() {
        let mut p = Pace::new(None);
        for _ in 0..10 {
            p.next(false, None, 0.0);
        }
        // 2s before the predicted end: sleep exactly until it.
        assert_eq!(
            p.next(false, Some(100.0), 98.0),
            Duration::from_secs_f64(2.0)
        );
        // Past it: fast again, then backing off.
        assert_eq!(p.next(false, Some(100.0), 100.5), Pace::MIN);
        assert!(p.next(false, Some(100.0), 101.0) > Pace::MIN);
    }

    #[tokio::test]
    async fn the_default_timeout_comes_from_the_deployment_group() {
        use crate::aws::mock::{ctx, mock};
        use aws_sdk_codedeploy::operation::get_deployment_group::GetDeploymentGroupOutput;
        use aws_sdk_codedeploy::types::{
            BlueGreenDeploymentConfiguration, BlueInstanceTerminationOption, DeploymentReadyAction,
            DeploymentReadyOption, InstanceAction,
        };
        let group = mock!(aws_sdk_codedeploy::Client::get_deployment_group)
            .match_requests(|r| {
                r.application_name() == Some("demo") && r.deployment_group_name() == Some("demo")
            })
            .then_output(|| {
                let bg = BlueGreenDeploymentConfiguration::builder()
                    .deployment_ready_option(
                        DeploymentReadyOption::builder()
                            .action_on_timeout(DeploymentReadyAction::StopDeployment)
                            .wait_time_in_minutes(30)
                            .build(),
                    )
                    .terminate_blue_instances_on_deployment_success(
                        BlueInstanceTerminationOption::builder()
                            .action(InstanceAction::Terminate)
                            .termination_wait_time_in_minutes(5)
                            .build(),
                    )
                    .build();
                GetDeploymentGroupOutput::builder()
                    .deployment_group_info(
                        DeploymentGroupInfo::builder()
                            .blue_green_deployment_configuration(bg)
                            .build(),
                    )
                    .build()
            });
        let ctx = ctx(&[&group]);
        let settings = WatchSettings {
            timeout: None,
            interval: None,
            wait_until: None,
            on_interrupt: InterruptAction::Leave,
        };
        let opts = WatchOptions::resolve(&ctx, &settings, false, OutputFormat::Json)
            .await
            .unwrap();
        // 30 min ready wait + 5 min termination wait + 15 min.
        assert_eq!(opts.timeout, Duration::from_secs(50 * 60));
        // A timeout given is kept, and the group is not read.
        let given = WatchSettings {
            timeout: Some(Duration::from_secs(90)),
            ..settings
        };
        let opts = WatchOptions::resolve(&ctx, &given, false, OutputFormat::Json)
            .await
            .unwrap();
        assert_eq!(opts.timeout, Duration::from_secs(90));
        assert_eq!(group.num_calls(), 1);
    }

    #[test]
    fn a_fixed_interval_is_kept() {
        let mut p = Pace::new(Some(Duration::from_secs(5)));
        assert_eq!(p.next(true, None, 0.0), Duration::from_secs(5));
        assert_eq!(p.next(false, Some(1.0), 0.0), Duration::from_secs(5));
    }
}
