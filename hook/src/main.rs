//! The Lambda function's entry point (`bootstrap`): one configuration load, then the
//! Runtime API loop; each invocation is one CodeDeploy hook event.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use release_hook::{aws::Aws, HookEvent, Settings};

/// lambda_runtime's default subscriber (level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`,
/// JSON when the function's log format is JSON), without ANSI colours: the output is a
/// CloudWatch log, read in the console, by `deployer` and by filters, never a terminal.
fn init_logging() {
    use lambda_runtime::tracing::subscriber::{filter::LevelFilter, fmt, EnvFilter};
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|l| l.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let builder = fmt()
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_env_filter(
            EnvFilter::builder()
                .with_default_directive(level.into())
                .from_env_lossy(),
        );
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        builder.json().init()
    } else {
        builder.init()
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_logging();
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
