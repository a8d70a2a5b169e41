//! The running stack as the CodeDeploy lifecycle engine sees it ([`Platform`]): tasks are
//! processes, routes are the NLB's listeners, the clock is the wall clock.

use std::sync::Arc;
use std::time::Duration;

use super::stack::Stack;
use super::tasks;
use crate::codedeploy::lifecycle::{self, Platform, Route};
use crate::ecs::model::StopCode;
use crate::world::World;

impl Platform for Stack {
    fn world(&self) -> impl std::ops::DerefMut<Target = World> + '_ {
        Stack::world(self)
    }

    fn now(&self) -> std::time::Instant {
        std::time::Instant::now()
    }

    async fn tick(&self) -> bool {
        tokio::select! {
            _ = self.shutdown.cancelled() => false,
            _ = tokio::time::sleep(lifecycle::TICK) => true,
        }
    }

    fn install_timeout(&self) -> Duration {
        self.cfg.install_timeout
    }

    fn start_tasks(this: &Arc<Self>, task_set: &str) -> anyhow::Result<()> {
        let desired = this.world().task_set(task_set).map_or(0, |ts| ts.desired);
        for _ in 0..desired {
            tasks::start_task(this, task_set)?;
        }
        Ok(())
    }

    /// Deregisters and stops the tasks (SIGTERM; they drain); the set goes once they stopped.
    fn stop_tasks(this: &Arc<Self>, task_set: &str, ids: Vec<String>, reason: &str) {
        for id in &ids {
            tasks::stop_task(this, id, StopCode::ServiceSchedulerInitiated, reason);
        }
        let st = Arc::clone(this);
        let ts_id = task_set.to_string();
        tokio::spawn(async move {
            tasks::wait_stopped(&st, &ids, st.cfg.stop_timeout + Duration::from_secs(5)).await;
            st.world().remove_task_set(&ts_id);
        });
    }

    fn route(&self, route: Route, tg: usize) {
        self.lb.switch(route.kind(), tg);
    }

    fn task_set_healthy(&self, task_set: &str) -> bool {
        Stack::task_set_healthy(self, task_set)
    }

    fn hook_timeout(&self) -> Duration {
        self.cfg.hook_timeout
    }

    fn active_alarms(&self, alarms: &[String]) -> Vec<String> {
        self.cloudwatch.in_alarm(alarms)
    }

    /// Lambda's `Event` invocation: queued (here: started) at once, run in the background.
    fn invoke_hook(
        this: &Arc<Self>,
        function: &str,
        payload: serde_json::Value,
    ) -> Result<(), String> {
        let f = this.lambda.get(function, None).map_err(|e| e.message)?;
        let sandbox = this.lambda_sandbox();
        tokio::spawn(async move {
            let payload = axum::body::Bytes::from(payload.to_string());
            if let Err(e) = crate::lambda::runner::invoke(&sandbox, &f, payload).await {
                tracing::error!(target: "lambda", "{}: {e:#}", f.name());
            }
        });
        Ok(())
    }
}
