//! The Lambda function's entry point (`bootstrap`): one configuration load, then the
//! Runtime API loop; each invocation is one CodeDeploy hook event.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use release_hook::{aws::Aws, HookEvent, Settings};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let settings = Settings::from_lookup(|name| std::env::var(name).ok())?;
    let config = aws_config::load_from_env().await;
    let aws = Aws::new(&config);
    lambda_runtime::run(service_fn(|event: LambdaEvent<HookEvent>| {
        let (aws, settings) = (aws.clone(), settings.clone());
        async move {
            let outcome = release_hook::run(&aws, &settings, &event.payload).await?;
            // One JSON line in the function's log group: the verdict with both sides' figures.
            tracing::info!(
                deployment_id = %outcome.deployment_id,
                passed = outcome.passed,
                report = %serde_json::to_string(&outcome).unwrap_or_default(),
                "{}",
                if outcome.passed { "green passed the checks" } else { "green failed the checks" }
            );
            Ok::<_, Error>(serde_json::to_value(&outcome)?)
        }
    }))
    .await
}
