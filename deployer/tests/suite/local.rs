//! End-to-end tests of `deployer local`: real `demo` processes behind the local NLB,
//! driven through the AWS SDK (the deployer's code path) and the real AWS CLI.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{
    AppSpecContent, DeploymentStatus, DeploymentWaitType, RevisionLocation, RevisionLocationType,
};
use aws_sdk_ecs::types::{
    ContainerDefinition, HealthCheck, KeyValuePair, PortMapping, TransportProtocol,
};
use support::{version_at, wait_all_gone, LocalStack};

struct Clients {
    ecs: aws_sdk_ecs::Client,
    cd: aws_sdk_codedeploy::Client,
}

async fn clients(stack: &LocalStack) -> Clients {
    let cfg = stack.sdk_config().await;
    Clients {
        ecs: aws_sdk_ecs::Client::new(&cfg),
        cd: aws_sdk_codedeploy::Client::new(&cfg),
    }
}

/// Registers a task definition for `image` (plus environment) and starts a deployment.
async fn start_deployment(c: &Clients, image: &str, env: &[(&str, &str)]) -> String {
    let container = ContainerDefinition::builder()
        .name("demo")
        .image(image)
        .essential(true)
        .port_mappings(
            PortMapping::builder()
                .container_port(3000)
                .protocol(TransportProtocol::Tcp)
                .build(),
        )
        .set_environment(Some(
            env.iter()
                .map(|(k, v)| KeyValuePair::builder().name(*k).value(*v).build())
                .collect(),
        ))
        .health_check(
            HealthCheck::builder()
                .command("CMD")
                .command("/demo")
                .command("healthcheck")
                .interval(5)
                .timeout(2)
                .retries(3)
                .start_period(0)
                .build()
                .expect("health check"),
        )
        .build();
    let td = c
        .ecs
        .register_task_definition()
        .family("demo")
        .container_definitions(container)
        .send()
        .await
        .expect("RegisterTaskDefinition");
    let arn = td
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("ARN")
        .to_string();
    let appspec = format!(
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: \"{arn}\"\n        LoadBalancerInfo:\n          ContainerName: demo\n          ContainerPort: 3000\n"
    );
    c.cd.create_deployment()
        .application_name("demo")
        .deployment_group_name("demo")
        .revision(
            RevisionLocation::builder()
                .revision_type(RevisionLocationType::AppSpecContent)
                .app_spec_content(AppSpecContent::builder().content(appspec).build())
                .build(),
        )
        .send()
        .await
        .expect("CreateDeployment")
        .deployment_id()
        .expect("deployment id")
        .to_string()
}

/// Polls GetDeployment until `pred` holds (or panics after `timeout`).
async fn wait_deployment(
    c: &Clients,
    id: &str,
    timeout: Duration,
    pred: impl Fn(&aws_sdk_codedeploy::types::DeploymentInfo) -> bool,
) -> aws_sdk_codedeploy::types::DeploymentInfo {
    let deadline = Instant::now() + timeout;
    loop {
        let info =
            c.cd.get_deployment()
                .deployment_id(id)
                .send()
                .await
                .expect("GetDeployment")
                .deployment_info
                .expect("deploymentInfo");
        if pred(&info) {
            return info;
        }
        assert!(
            Instant::now() < deadline,
            "deployment {id} still {:?} after {timeout:?}: {info:?}",
            info.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn is(status: DeploymentStatus) -> impl Fn(&aws_sdk_codedeploy::types::DeploymentInfo) -> bool {
    move |d| d.status.as_ref() == Some(&status)
}

fn done(d: &aws_sdk_codedeploy::types::DeploymentInfo) -> bool {
    matches!(
        d.status,
        Some(DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped)
    )
}

/// Every response through `url` (fresh connections) reports `version`.
fn assert_all_version(url: &str, version: &str, n: usize) {
    for i in 0..n {
        let got = version_at(url).unwrap_or_else(|e| panic!("request {i} to {url}: {e}"));
        assert_eq!(got, version, "request {i} to {url}");
    }
}

/// When a request started, and the version that answered (or the error).
type Sample = (Instant, Result<String, String>);

/// Bounded HTTP load on the NLB: fresh connection per request, every result recorded.
struct Load {
    stop: Arc<AtomicBool>,
    results: Arc<Mutex<Vec<Sample>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    const MAX_REQUESTS: usize = 40_000;
    const MAX_TIME: Duration = Duration::from_secs(120);

    fn start(url: &str, threads: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let results = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let threads = (0..threads)
            .map(|_| {
                let (stop, results, url) =
                    (Arc::clone(&stop), Arc::clone(&results), url.to_string());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) && started.elapsed() < Self::MAX_TIME {
                        let t = Instant::now();
                        let r = version_at(&url).map_err(|e| e.to_string());
                        let mut res = results.lock().unwrap();
                        res.push((t, r));
                        if res.len() >= Self::MAX_REQUESTS {
                            break;
                        }
                        drop(res);
                        std::thread::sleep(Duration::from_millis(2));
                    }
                })
            })
            .collect();
        Load {
            stop,
            results,
            threads,
        }
    }

    fn finish(mut self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            t.join().expect("load thread");
        }
        std::mem::take(&mut *self.results.lock().unwrap())
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_downtime_across_five_deployments_and_an_automatic_rollback() {
    let mut stack = LocalStack::start();
    let c = clients(&stack).await;
    assert_all_version(&stack.nlb_url, "v1", 5);
    let load = Load::start(&stack.nlb_url, 2);

    // (version, when its deployment succeeded, when the next one started)
    let mut windows: Vec<(String, Instant, Option<Instant>)> = Vec::new();
    for i in 2..=6 {
        let version = format!("v{i}");
        if let Some(last) = windows.last_mut() {
            last.2 = Some(Instant::now());
        }
        let id = start_deployment(&c, &format!("demo:{version}"), &[]).await;
        let info = wait_deployment(&c, &id, Duration::from_secs(60), done).await;
        assert_eq!(
            info.status,
            Some(DeploymentStatus::Succeeded),
            "deployment of {version}: {info:?}"
        );
        // After the switch every response comes from the new version.
        windows.push((version.clone(), Instant::now(), None));
        assert_all_version(&stack.nlb_url, &version, 10);
    }

    // A replacement whose /health fails never gets traffic and rolls back automatically.
    let failing = start_deployment(&c, "demo:v7-broken", &[("DEMO_FAIL_HEALTH", "1")]).await;
    let info = wait_deployment(&c, &failing, Duration::from_secs(60), done).await;
    assert_eq!(info.status, Some(DeploymentStatus::Failed), "{info:?}");
    let err = info.error_information.clone().expect("errorInformation");
    assert!(err.message().unwrap_or("").contains("health"), "{err:?}");
    let rb = info.rollback_info.clone().expect("rollbackInfo");
    let rollback_id = rb
        .rollback_deployment_id()
        .expect("rollbackDeploymentId")
        .to_string();
    let rollback = wait_deployment(&c, &rollback_id, Duration::from_secs(60), done).await;
    assert_eq!(
        rollback.status,
        Some(DeploymentStatus::Succeeded),
        "{rollback:?}"
    );
    assert_eq!(
        rollback.creator.as_ref().map(|c| c.as_str()),
        Some("codeDeployRollback")
    );
    assert_eq!(
        rollback
            .rollback_info
            .as_ref()
            .and_then(|r| r.rollback_triggering_deployment_id()),
        Some(failing.as_str())
    );
    assert_all_version(&stack.nlb_url, "v6", 10);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let end = Instant::now();

    let results = load.finish();
    let failures: Vec<_> = results.iter().filter(|(_, r)| r.is_err()).collect();
    assert!(
        results.len() > 100,
        "too little load to prove anything: {} requests",
        results.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} requests failed, e.g. {:?}",
        failures.len(),
        results.len(),
        failures.first()
    );
    // From each deployment's success until the next one starts: only its version.
    // The failing deployment and its rollback never move traffic off the last version.
    for (version, from, until) in &windows {
        let until = until.unwrap_or(end);
        let wrong: Vec<_> = results
            .iter()
            .filter(|(t, _)| t >= from && *t < until)
            .filter(|(_, r)| r.as_deref() != Ok(version.as_str()))
            .collect();
        assert!(
            wrong.is_empty(),
            "after {version} succeeded: {} responses from another version, e.g. {:?}",
            wrong.len(),
            wrong.first()
        );
    }
    eprintln!(
        "load: {} requests, 0 failed, across 5 deployments and 1 rollback",
        results.len()
    );

    let pids = stack.pids();
    assert!(pids.len() >= 3, "daemon and tasks: {pids:?}");
    let out = stack.down();
    assert!(
        out.status.success(),
        "down: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left = wait_all_gone(&pids, Duration::from_secs(5));
    assert!(left.is_empty(), "still running after down: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_wait_continue_stop_and_api_errors() {
    let stack = LocalStack::start_with(&[
        "--ready-action",
        "stop",
        "--ready-wait",
        "60s",
        "--termination-wait",
        "60s",
    ]);
    let c = clients(&stack).await;

    // Ready: the replacement answers on the test listener, production stays on v1.
    let id = start_deployment(&c, "demo:v2", &[]).await;
    wait_deployment(
        &c,
        &id,
        Duration::from_secs(30),
        is(DeploymentStatus::Ready),
    )
    .await;
    assert_all_version(&stack.nlb_url, "v1", 5);
    assert_all_version(&stack.test_url, "v2", 5);

    // One deployment at a time per group.
    let cfg = stack.sdk_config().await;
    let err = c
        .cd
        .create_deployment()
        .application_name("demo")
        .deployment_group_name("demo")
        .revision(
            RevisionLocation::builder()
                .revision_type(RevisionLocationType::AppSpecContent)
                .app_spec_content(AppSpecContent::builder().content("version: 0.0\nResources:\n  - s:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: demo:1\n").build())
                .build(),
        )
        .send()
        .await
        .expect_err("a second deployment while one is active");
    assert!(err
        .into_service_error()
        .is_deployment_limit_exceeded_exception());
    let err =
        c.cd.continue_deployment()
            .deployment_id(&id)
            .deployment_wait_type(DeploymentWaitType::TerminationWait)
            .send()
            .await
            .expect_err("no termination wait yet");
    assert!(err
        .into_service_error()
        .is_deployment_is_not_in_ready_state_exception());

    // Approve: traffic switches, then end the (60 s) termination wait early.
    c.cd.continue_deployment()
        .deployment_id(&id)
        .deployment_wait_type(DeploymentWaitType::ReadyWait)
        .send()
        .await
        .expect("ContinueDeployment READY_WAIT");
    wait_deployment(&c, &id, Duration::from_secs(30), |d| {
        d.instance_termination_wait_time_started
    })
    .await;
    assert_all_version(&stack.nlb_url, "v2", 5);
    let t = Instant::now();
    c.cd.continue_deployment()
        .deployment_id(&id)
        .deployment_wait_type(DeploymentWaitType::TerminationWait)
        .send()
        .await
        .expect("ContinueDeployment TERMINATION_WAIT");
    let info = wait_deployment(&c, &id, Duration::from_secs(20), done).await;
    assert_eq!(info.status, Some(DeploymentStatus::Succeeded));
    assert!(t.elapsed() < Duration::from_secs(20));

    // The deployment target: lifecycle events in order, task sets with weights.
    let target =
        c.cd.get_deployment_target()
            .deployment_id(&id)
            .target_id("demo:demo")
            .send()
            .await
            .expect("GetDeploymentTarget");
    let ecs_target = target
        .deployment_target()
        .and_then(|t| t.ecs_target())
        .expect("ecsTarget");
    let events: Vec<(&str, &str)> = ecs_target
        .lifecycle_events()
        .iter()
        .map(|e| {
            (
                e.lifecycle_event_name().unwrap_or(""),
                e.status().map(|s| s.as_str()).unwrap_or(""),
            )
        })
        .collect();
    let names: Vec<&str> = events.iter().map(|e| e.0).collect();
    assert_eq!(
        names,
        [
            "BeforeInstall",
            "Install",
            "AfterInstall",
            "AllowTestTraffic",
            "AfterAllowTestTraffic",
            "BeforeAllowTraffic",
            "AllowTraffic",
            "AfterAllowTraffic"
        ]
    );
    assert!(events.iter().all(|e| e.1 == "Succeeded"), "{events:?}");
    let green = ecs_target
        .task_sets_info()
        .iter()
        .find(|t| t.task_set_label().map(|l| l.as_str()) == Some("Green"))
        .expect("Green task set");
    assert_eq!(green.traffic_weight(), 100.0);
    assert_eq!(
        green.target_group().and_then(|t| t.name()),
        Some("demo-green")
    );
    assert_eq!(green.running_count(), 2);

    // StopDeployment with rollback: traffic stays where it was, the replacement goes.
    let id3 = start_deployment(&c, "demo:v3", &[]).await;
    wait_deployment(
        &c,
        &id3,
        Duration::from_secs(30),
        is(DeploymentStatus::Ready),
    )
    .await;
    c.cd.stop_deployment()
        .deployment_id(&id3)
        .auto_rollback_enabled(true)
        .send()
        .await
        .expect("StopDeployment");
    let info = wait_deployment(&c, &id3, Duration::from_secs(20), done).await;
    assert_eq!(info.status, Some(DeploymentStatus::Stopped));
    let rb = info
        .rollback_info()
        .and_then(|r| r.rollback_deployment_id())
        .expect("rollback id")
        .to_string();
    let rb = wait_deployment(&c, &rb, Duration::from_secs(20), done).await;
    assert_eq!(rb.status, Some(DeploymentStatus::Succeeded));
    assert_all_version(&stack.nlb_url, "v2", 5);
    assert_all_version(&stack.test_url, "v2", 5);

    // Errors have AWS's codes.
    let e =
        c.cd.get_deployment()
            .deployment_id("d-AAAAAAAAA")
            .send()
            .await
            .expect_err("unknown id");
    assert!(e
        .into_service_error()
        .is_deployment_does_not_exist_exception());
    let e =
        c.cd.get_deployment()
            .deployment_id("nope")
            .send()
            .await
            .expect_err("malformed id");
    assert!(e.into_service_error().is_invalid_deployment_id_exception());
    let e =
        c.cd.stop_deployment()
            .deployment_id(&id)
            .send()
            .await
            .expect_err("completed");
    assert!(e
        .into_service_error()
        .is_deployment_already_completed_exception());
    let e =
        c.cd.get_deployment_group()
            .application_name("demo")
            .deployment_group_name("nope")
            .send()
            .await
            .expect_err("unknown group");
    assert!(e
        .into_service_error()
        .is_deployment_group_does_not_exist_exception());
    let e = c
        .ecs
        .describe_services()
        .cluster("other")
        .services("demo")
        .send()
        .await
        .expect_err("unknown cluster");
    assert!(e.into_service_error().is_cluster_not_found_exception());

    // ELBv2, IAM, ECR (query protocol / XML, and JSON) through the SDK.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&cfg);
    let tgs = elb
        .describe_target_groups()
        .names("demo-green")
        .send()
        .await
        .expect("DescribeTargetGroups");
    let green_arn = tgs.target_groups()[0]
        .target_group_arn()
        .expect("arn")
        .to_string();
    assert_eq!(tgs.target_groups()[0].health_check_path(), Some("/health"));
    let health = elb
        .describe_target_health()
        .target_group_arn(&green_arn)
        .send()
        .await
        .expect("DescribeTargetHealth");
    let states: Vec<_> = health
        .target_health_descriptions()
        .iter()
        .filter_map(|d| {
            d.target_health()
                .and_then(|h| h.state())
                .map(|s| s.as_str().to_string())
        })
        .collect();
    assert_eq!(states, ["healthy", "healthy"]);
    let outputs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stack.outputs).unwrap()).unwrap();
    let listener_arn = outputs["listener_arn"]["value"].as_str().unwrap();
    let listeners = elb
        .describe_listeners()
        .listener_arns(listener_arn)
        .send()
        .await
        .expect("DescribeListeners");
    assert_eq!(
        listeners.listeners()[0].default_actions()[0].target_group_arn(),
        Some(green_arn.as_str())
    );
    let e = elb
        .describe_target_groups()
        .names("nope")
        .send()
        .await
        .expect_err("unknown target group");
    assert!(e.into_service_error().is_target_group_not_found_exception());
    let iam = aws_sdk_iam::Client::new(&cfg);
    let role = outputs["execution_role_arn"]["value"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    iam.get_role()
        .role_name(&role)
        .send()
        .await
        .expect("GetRole");
    let e = iam
        .get_role()
        .role_name("nope")
        .send()
        .await
        .expect_err("unknown role");
    assert!(e.into_service_error().is_no_such_entity_exception());
    let ecr = aws_sdk_ecr::Client::new(&cfg);
    let images = ecr
        .describe_images()
        .repository_name("demo")
        .image_ids(
            aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag("v2")
                .build(),
        )
        .send()
        .await
        .expect("DescribeImages");
    assert!(images.image_details()[0]
        .image_digest()
        .unwrap_or("")
        .starts_with("sha256:"));
}

#[test]
fn aws_cli_ecs_deploy_completes_against_the_local_stack() {
    // The command as is: without --codedeploy-application/--codedeploy-deployment-group
    // the CLI looks for AppECS-demo-demo/DgpECS-demo-demo, which the local stack accepts.
    let aws = Command::new("aws").arg("--version").output();
    assert!(
        aws.as_ref().is_ok_and(|o| o.status.success()),
        "the AWS CLI (`aws`) is required: it comes with the machine image (or `pip install awscli`)"
    );
    let stack = LocalStack::start();
    let dir = tempfile::tempdir().unwrap();
    let td = serde_json::json!({
        "family": "demo",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{
            "name": "demo", "image": "demo:cli", "essential": true,
            "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
            "healthCheck": {"command": ["CMD", "/demo", "healthcheck"], "interval": 5, "timeout": 2, "retries": 2}
        }]
    });
    let td_path = dir.path().join("taskdef.json");
    std::fs::write(&td_path, td.to_string()).unwrap();
    let appspec_path = dir.path().join("appspec.yaml");
    std::fs::write(
        &appspec_path,
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n          ContainerName: demo\n          ContainerPort: 3000\n",
    )
    .unwrap();
    let out = stack
        .command("aws")
        .args([
            "ecs",
            "deploy",
            "--service",
            "demo",
            "--cluster",
            "demo",
            "--task-definition",
        ])
        .arg(&td_path)
        .arg("--codedeploy-appspec")
        .arg(&appspec_path)
        .output()
        .expect("run aws ecs deploy");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "aws ecs deploy failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = stdout
        .split_whitespace()
        .find(|w| w.starts_with("d-"))
        .unwrap_or_else(|| panic!("no deployment id in: {stdout}"))
        .to_string();
    let out = stack
        .command("aws")
        .args([
            "deploy",
            "get-deployment",
            "--deployment-id",
            &id,
            "--query",
            "deploymentInfo.status",
            "--output",
            "text",
        ])
        .output()
        .expect("run aws deploy get-deployment");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Succeeded",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_all_version(&stack.nlb_url, "cli", 5);
}

/// The read-only calls a user types first against a new endpoint are served, with the
/// AWS CLI: the cluster, the service, the task definitions, the ECR repository and the
/// images `up` pushed (the initial image, under its tag).
#[test]
fn aws_cli_first_reads_are_served() {
    let stack = LocalStack::start();
    let aws = |args: &[&str]| stack.aws_json(args);
    let clusters = aws(&["ecs", "list-clusters"]);
    assert!(clusters["clusterArns"][0]
        .as_str()
        .is_some_and(|a| a.ends_with(":cluster/demo")));
    let services = aws(&["ecs", "list-services", "--cluster", "demo"]);
    assert!(services["serviceArns"][0]
        .as_str()
        .is_some_and(|a| a.ends_with("/demo")));
    let tds = aws(&["ecs", "list-task-definitions"]);
    assert!(tds["taskDefinitionArns"][0]
        .as_str()
        .is_some_and(|a| a.ends_with("task-definition/demo:1")));
    let repos = aws(&["ecr", "describe-repositories"]);
    assert_eq!(repos["repositories"][0]["repositoryName"], "demo");
    assert_eq!(repos["repositories"][0]["imageTagMutability"], "IMMUTABLE");
    let images = aws(&[
        "ecr",
        "describe-images",
        "--repository-name",
        "demo",
        "--image-ids",
        "imageTag=v1",
    ]);
    let digest = images["imageDetails"][0]["imageDigest"].as_str().unwrap();
    let bin = std::fs::read(support::demo_bin()).unwrap();
    use sha2::Digest as _;
    let want: String = sha2::Sha256::digest(&bin)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        digest,
        format!("sha256:{want}"),
        "the digest is the content's"
    );
    let out = stack
        .command("aws")
        .args([
            "ecr",
            "describe-images",
            "--repository-name",
            "demo",
            "--image-ids",
        ])
        .arg(format!(
            "imageTag={}",
            &support::NEVER_PUSHED["demo:".len()..]
        ))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ImageNotFoundException"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The raw template (placeholders in it) is refused as ECS refuses it, naming the field,
    // and registers nothing.
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../taskdef.json");
    let out = stack
        .command("aws")
        .args(["ecs", "register-task-definition", "--cli-input-json"])
        .arg(format!("file://{}", template.display()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    // The template's first placeholder, in its field order.
    assert!(
        err.contains("(ClientException)")
            && err.contains("taskRoleArn: \"<TASK_ROLE_ARN>\"")
            && err.contains("template placeholder"),
        "{err}"
    );
    let after = aws(&["ecs", "list-task-definitions"]);
    assert_eq!(after["taskDefinitionArns"], tds["taskDefinitionArns"]);
}

#[test]
fn down_leaves_nothing_and_up_cleans_a_crashed_stack() {
    let mut stack = LocalStack::start_with(&["--tasks", "1"]);
    let old = stack.pids();
    assert_eq!(old.len(), 2, "daemon + 1 task: {old:?}");
    // Crash: the daemon dies, its task keeps running.
    Command::new("kill")
        .args(["-KILL", &stack.pid.to_string()])
        .status()
        .unwrap();
    assert!(wait_all_gone(&old[..1], Duration::from_secs(5)).is_empty());
    assert!(support::alive(old[1]), "the task outlives a crashed daemon");
    let out = stack.deployer().args(["local", "env"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not running"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // `up` in the same state dir stops the leftovers by PID and starts afresh.
    let dir = std::mem::replace(&mut stack.dir, support::temp_state_dir());
    stack.down();
    let mut again = LocalStack::start_in(dir, &["--tasks", "1"]);
    assert!(
        wait_all_gone(&old, Duration::from_secs(5)).is_empty(),
        "stale task still runs"
    );
    assert_all_version(&again.nlb_url, "v1", 3);
    let pids = again.pids();
    let out = again.down();
    assert!(out.status.success());
    assert!(
        wait_all_gone(&pids, Duration::from_secs(5)).is_empty(),
        "still running after down: {pids:?}"
    );
    assert!(
        !again.state_dir().join("state.json").exists(),
        "down removes the state file"
    );
    let left = support::processes_using(again.state_dir(), Duration::from_secs(5));
    assert!(left.is_empty(), "processes left behind by down: {left:?}");
}

/// What a stack's records say, read through its API: the task definitions, the
/// deployments (newest first) and the images' digests by tag.
async fn records_seen(stack: &LocalStack) -> (Vec<String>, Vec<String>, Vec<(String, String)>) {
    let cfg = stack.sdk_config().await;
    let tds = aws_sdk_ecs::Client::new(&cfg)
        .list_task_definitions()
        .send()
        .await
        .expect("ListTaskDefinitions")
        .task_definition_arns
        .unwrap_or_default();
    let deployments = aws_sdk_codedeploy::Client::new(&cfg)
        .list_deployments()
        .application_name("demo")
        .deployment_group_name("demo")
        .send()
        .await
        .expect("ListDeployments")
        .deployments
        .unwrap_or_default();
    let mut images: Vec<(String, String)> = aws_sdk_ecr::Client::new(&cfg)
        .describe_images()
        .repository_name("demo")
        .send()
        .await
        .expect("DescribeImages")
        .image_details
        .unwrap_or_default()
        .into_iter()
        .flat_map(|d| {
            let digest = d.image_digest.clone().unwrap_or_default();
            d.image_tags
                .unwrap_or_default()
                .into_iter()
                .map(move |t| (t, digest.clone()))
        })
        .collect();
    images.sort();
    (tds, deployments, images)
}

/// `kill -9` of the stack while a deployment waits (its replacement runs behind the test
/// listener), then `up` in the same state dir: the same task definition revisions, the
/// same deployments (the one in flight ended Failed with INTERNAL_ERROR and a message
/// that says why), the same images, production on the revision that was live (v2, rolled
/// out before), no process of the dead stack left, and the group free for a new
/// deployment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_after_a_crash_mid_deployment_restores_the_records_and_the_live_revision() {
    let flags = [
        "--tasks",
        "1",
        "--ready-action",
        "stop",
        "--ready-wait",
        "60s",
        "--termination-wait",
        "60s",
    ];
    let mut stack = LocalStack::start_with(&flags);
    let c = clients(&stack).await;
    // v2 rolled out to the end: live on demo-green.
    let first = start_deployment(&c, "demo:v2", &[]).await;
    wait_deployment(
        &c,
        &first,
        Duration::from_secs(30),
        is(DeploymentStatus::Ready),
    )
    .await;
    for wait in [
        DeploymentWaitType::ReadyWait,
        DeploymentWaitType::TerminationWait,
    ] {
        if wait == DeploymentWaitType::TerminationWait {
            wait_deployment(&c, &first, Duration::from_secs(30), |d| {
                d.instance_termination_wait_time_started
            })
            .await;
        }
        c.cd.continue_deployment()
            .deployment_id(&first)
            .deployment_wait_type(wait)
            .send()
            .await
            .expect("ContinueDeployment");
    }
    let info = wait_deployment(&c, &first, Duration::from_secs(30), done).await;
    assert_eq!(info.status, Some(DeploymentStatus::Succeeded));
    assert_all_version(&stack.nlb_url, "v2", 3);
    // v3 in flight: its task answers on the test listener, production stays on v2.
    let second = start_deployment(&c, "demo:v3", &[]).await;
    wait_deployment(
        &c,
        &second,
        Duration::from_secs(30),
        is(DeploymentStatus::Ready),
    )
    .await;
    assert_all_version(&stack.test_url, "v3", 3);
    let before = records_seen(&stack).await;
    assert_eq!(before.0.len(), 3, "{:?}", before.0);
    assert_eq!(before.1, [second.clone(), first.clone()]);
    // The records are on disk, and the stack says its writes are not failing.
    let (code, body) = support::http_get(&stack.api_url, "/_local/status").expect("status");
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(code, 200);
    assert!(
        status["records"]["writes"].as_u64() > Some(0) && status["records"]["failing"].is_null(),
        "{}",
        status["records"]
    );
    let dead = stack.pids();
    assert_eq!(dead.len(), 3, "daemon, the v2 task, the v3 task: {dead:?}");

    Command::new("kill")
        .args(["-KILL", &stack.pid.to_string()])
        .status()
        .unwrap();
    assert!(wait_all_gone(&dead[..1], Duration::from_secs(5)).is_empty());
    let dir = std::mem::replace(&mut stack.dir, support::temp_state_dir());
    stack.down();
    let again = LocalStack::start_in(dir, &flags);
    let left = wait_all_gone(&dead, Duration::from_secs(5));
    assert!(left.is_empty(), "the dead stack's processes: {left:?}");

    assert_eq!(records_seen(&again).await, before, "the same records");
    let c = clients(&again).await;
    let info = wait_deployment(&c, &first, Duration::from_secs(1), done).await;
    assert_eq!(info.status, Some(DeploymentStatus::Succeeded));
    let info = wait_deployment(&c, &second, Duration::from_secs(1), done).await;
    assert_eq!(info.status, Some(DeploymentStatus::Failed));
    let error = info.error_information.expect("errorInformation");
    assert_eq!(
        error.code,
        Some(aws_sdk_codedeploy::types::ErrorCode::InternalError)
    );
    let message = error.message.unwrap_or_default();
    assert!(
        message.contains("The local stack stopped while this deployment was in progress"),
        "{message}"
    );
    // Production: the revision that was live, on the restarted stack's own task.
    assert_all_version(&again.nlb_url, "v2", 3);
    assert_all_version(&again.test_url, "v2", 3);
    let fresh = again.pids();
    assert_eq!(fresh.len(), 2, "daemon and one v2 task: {fresh:?}");
    assert!(fresh.iter().all(|p| !dead.contains(p)));
    // The group is free: a new deployment starts.
    let third = start_deployment(&c, "demo:v4", &[]).await;
    wait_deployment(
        &c,
        &third,
        Duration::from_secs(30),
        is(DeploymentStatus::Ready),
    )
    .await;
    assert!(third != first && third != second);
}

#[test]
fn foreground_up_stops_everything_on_ctrl_c() {
    let dir = support::temp_state_dir();
    let mut child = Command::new(support::deployer_bin())
        .args(["local", "up", "--state-dir"])
        .arg(dir.path())
        .args(support::FAST)
        .args(["--tasks", "1"])
        .env("DEPLOYER_DEMO_BIN", support::demo_bin())
        .env("DEPLOYER_HOOK_BIN", support::hook_bin())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Guard(u32);
    impl Drop for Guard {
        fn drop(&mut self) {
            if support::alive(self.0) {
                let _ = Command::new("kill")
                    .args(["-KILL", &self.0.to_string()])
                    .status();
            }
        }
    }
    let _guard = Guard(child.id());
    let deadline = Instant::now() + Duration::from_secs(30);
    let state = loop {
        if let Some(st) = support::read_state(dir.path()).filter(|s| s["ready"] == true) {
            break st;
        }
        assert!(Instant::now() < deadline, "not ready in 30s");
        std::thread::sleep(Duration::from_millis(50));
    };
    let tasks: Vec<u32> = state["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["pid"].as_u64().unwrap() as u32)
        .collect();
    let _task_guards: Vec<Guard> = tasks.iter().map(|&p| Guard(p)).collect();
    assert_eq!(tasks.len(), 1);
    // The check below sees a running stack's task (it logs into the state dir).
    let running = support::processes_using(dir.path(), Duration::ZERO);
    assert!(
        running.iter().any(|(pid, _)| *pid == tasks[0]),
        "{running:?}"
    );
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(wait_all_gone(&tasks, Duration::from_secs(5)).is_empty());
    assert!(
        support::read_state(dir.path()).is_none(),
        "state file removed"
    );
    // Nor any task started while it stopped (a replacement the state never listed).
    let left = support::processes_using(dir.path(), Duration::from_secs(5));
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

#[test]
fn bad_input_exits_2_and_names_the_flag() {
    let dir = support::temp_state_dir();
    let out = Command::new(support::deployer_bin())
        .args(["local", "up", "--state-dir"])
        .arg(dir.path())
        .args(["--demo-bin", "/nonexistent/demo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo-bin /nonexistent/demo"));
    let out = Command::new(support::deployer_bin())
        .args(["local", "up", "--tasks", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(support::deployer_bin())
        .args(["local", "up", "--state-dir"])
        .arg(dir.path())
        .args(["--api-port", "9000", "--nlb-port", "9000", "--demo-bin"])
        .arg(support::demo_bin())
        .env("DEPLOYER_HOOK_BIN", support::hook_bin())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--nlb-port 9000"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(support::deployer_bin())
        .args(["local", "env", "--state-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no local stack runs"));
}

/// The members of process group `pgid` that are alive (from /proc).
fn group_members(pgid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    let (_, rest) = s.rsplit_once(") ")?;
                    rest.split_whitespace().nth(2)?.parse::<u32>().ok()
                })
                == Some(pgid)
                && support::alive(*pid)
        })
        .collect()
}

/// Pushes a commit whose build never ends (`sleep` in pre_build) to the stack's remote and
/// waits until its command runs; returns the work tree (kept alive), the command's process
/// group (bash and both sleeps in it) and the build's id.
fn start_endless_build(stack: &LocalStack) -> (tempfile::TempDir, u32, String) {
    let work = tempfile::tempdir().unwrap();
    let remote = stack
        .state_dir()
        .join(deployer_emulator::codepipeline::driver::REPO_DIR);
    let script = format!(
        "git init -q -b main . && printf 'version: 0.2\\nphases:\\n  pre_build:\\n    commands:\\n      - sleep 300 & sleep 301\\n' > buildspec.yml \
         && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm 'a build that never ends' \
         && git push -q '{}' main 2>&1",
        remote.display()
    );
    let out = Command::new("bash")
        .args(["-ec", &script])
        .current_dir(work.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let groups = stack
        .state_dir()
        .join(deployer_emulator::runtime::state::PGROUP_DIR);
    let deadline = Instant::now() + Duration::from_secs(60);
    let (pgid, build) = loop {
        let recorded = deployer_emulator::runtime::state::recorded_groups(stack.state_dir());
        if let Some(g) = recorded.first() {
            if group_members(g.pgid).len() >= 3 {
                let id = g.what.rsplit(' ').next().unwrap_or_default().to_string();
                break (g.pgid, id); // bash, and both sleeps
            }
        }
        assert!(
            Instant::now() < deadline,
            "no build command started: {:?}",
            std::fs::read_dir(&groups).map(|d| d.count())
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    (work, pgid, build)
}

/// A build that never ends is stopped with StopBuild (the AWS CLI's `codebuild stop-build`):
/// it ends STOPPED and its command's whole process group is gone.
#[test]
fn stop_build_stops_a_build_that_never_ends() {
    let stack = LocalStack::start_with(&["--tasks", "1"]);
    let (_work, pgid, build) = start_endless_build(&stack);
    assert!(build.starts_with("demo:"), "{build}");
    let aws = |args: &[&str]| stack.aws_json(args);
    let stopped = aws(&["codebuild", "stop-build", "--id", &build]);
    assert_eq!(stopped["build"]["id"], build.as_str());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = aws(&["codebuild", "batch-get-builds", "--ids", &build]);
        if got["builds"][0]["buildStatus"] == "STOPPED" {
            break;
        }
        assert!(Instant::now() < deadline, "not stopped: {got}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while !group_members(pgid).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = group_members(pgid);
    for pid in &left {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    assert!(
        left.is_empty(),
        "the stopped build's processes still run: {left:?}"
    );
    // A build that is over cannot be stopped again (CodeBuild's InvalidInputException).
    let again = stack
        .command("aws")
        .args(["codebuild", "stop-build", "--id", &build])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("InvalidInputException"));
}

/// StopPipelineExecution with `--abandon` (the AWS CLI's) ends the execution Stopped at
/// once and stops the build it runs: its process group is gone.
#[test]
fn stop_pipeline_execution_abandons_its_build() {
    let stack = LocalStack::start_with(&["--tasks", "1"]);
    let (_work, pgid, _) = start_endless_build(&stack);
    let aws = |args: &[&str]| stack.aws_json(args);
    let list = aws(&[
        "codepipeline",
        "list-pipeline-executions",
        "--pipeline-name",
        "demo",
    ]);
    let id = list["pipelineExecutionSummaries"][0]["pipelineExecutionId"]
        .as_str()
        .unwrap()
        .to_string();
    let stopped = aws(&[
        "codepipeline",
        "stop-pipeline-execution",
        "--pipeline-name",
        "demo",
        "--pipeline-execution-id",
        &id,
        "--abandon",
        "--reason",
        "a build that never ends",
    ]);
    assert_eq!(stopped["pipelineExecutionId"], id.as_str());
    let got = aws(&[
        "codepipeline",
        "get-pipeline-execution",
        "--pipeline-name",
        "demo",
        "--pipeline-execution-id",
        &id,
    ]);
    assert_eq!(got["pipelineExecution"]["status"], "Stopped", "{got}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !group_members(pgid).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = group_members(pgid);
    for pid in &left {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    assert!(left.is_empty(), "the abandoned build still runs: {left:?}");
    let again = stack
        .command("aws")
        .args([
            "codepipeline",
            "stop-pipeline-execution",
            "--pipeline-name",
            "demo",
            "--pipeline-execution-id",
            &id,
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("PipelineExecutionNotStoppableException")
    );
}

/// A build whose command never ends, then `kill -9` of the stack: the build's shell and
/// its children (one process group, recorded in the state dir) outlive the daemon, and the
/// next `up` in the state dir stops the whole group by its id; the build's record comes
/// back ended (FAULT, its phase saying why, its timeout kept) and so does its execution.
#[test]
fn up_after_a_crash_mid_build_stops_the_builds_process_group() {
    let mut stack = LocalStack::start_with(&["--tasks", "1"]);
    let (_work, pgid, build) = start_endless_build(&stack);
    let members = group_members(pgid);
    let daemon_and_task = stack.pids();
    Command::new("kill")
        .args(["-KILL", &stack.pid.to_string()])
        .status()
        .unwrap();
    assert!(wait_all_gone(&daemon_and_task[..1], Duration::from_secs(5)).is_empty());
    // Without the record, nothing would stop these: they outlive their stack.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        group_members(pgid),
        members,
        "the build outlives its crashed stack"
    );

    let dir = std::mem::replace(&mut stack.dir, support::temp_state_dir());
    stack.down();
    let again = LocalStack::start_in(dir, &["--tasks", "1"]);
    // Its record came back, ended: its process group is gone, it cannot go on.
    let aws = |args: &[&str]| again.aws_json(args);
    let got = aws(&["codebuild", "batch-get-builds", "--ids", &build]);
    let b = &got["builds"][0];
    assert_eq!(b["buildStatus"], "FAULT", "{got}");
    assert_eq!(b["timeoutInMinutes"], 30, "{got}");
    let phase = &b["phases"].as_array().unwrap()[b["phases"].as_array().unwrap().len() - 3];
    assert_eq!(phase["phaseType"], "PRE_BUILD", "{got}");
    assert!(
        phase["contexts"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("The local stack stopped"),
        "{got}"
    );
    let list = aws(&[
        "codepipeline",
        "list-pipeline-executions",
        "--pipeline-name",
        "demo",
    ]);
    let execution = &list["pipelineExecutionSummaries"][0];
    assert_eq!(execution["status"], "Failed", "{list}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !group_members(pgid).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = group_members(pgid);
    // Whatever a failure leaves is stopped by PID, by this test.
    for pid in &left {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    assert!(
        left.is_empty(),
        "the dead stack's build still runs: {left:?}"
    );
    assert!(
        wait_all_gone(&daemon_and_task, Duration::from_secs(5)).is_empty(),
        "the dead stack's task still runs"
    );
    drop(again);
}

/// One ECS call in JSON 1.1 over a raw connection (no SDK retries): (status, body).
fn ecs_call(stack: &LocalStack, op: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let target = format!("AmazonEC2ContainerServiceV20141113.{op}");
    let (status, text) = support::http_post(
        &stack.api_url,
        None,
        &[
            ("X-Amz-Target", target.as_str()),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        &body.to_string(),
    )
    .expect("POST to the API");
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{op}: {e}: {text}"));
    (status, v)
}

/// One query-protocol call (a form body) over a raw connection: (status, the XML).
fn query_call(stack: &LocalStack, form: &str) -> (u16, String) {
    support::http_post(
        &stack.api_url,
        None,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form,
    )
    .expect("POST to the API")
}

fn task_definition_arns(stack: &LocalStack) -> Vec<String> {
    let (status, v) = ecs_call(stack, "ListTaskDefinitions", &serde_json::json!({}));
    assert_eq!(status, 200, "{v}");
    v["taskDefinitionArns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

fn records_status(stack: &LocalStack) -> serde_json::Value {
    let (code, body) = support::http_get(&stack.api_url, "/_local/status").expect("status");
    assert_eq!(code, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["records"].clone()
}

#[test]
fn while_the_records_cannot_be_written_no_change_is_answered_as_made() {
    let mut stack = LocalStack::start();
    let register = |tag: &str| {
        serde_json::json!({
            "family": "demo",
            "containerDefinitions": [{"name": "demo", "image": format!("demo:{tag}")}]
        })
    };
    for tag in ["v2", "v3"] {
        let (status, v) = ecs_call(&stack, "RegisterTaskDefinition", &register(tag));
        assert_eq!(status, 200, "{v}");
        // The follower's write of the rest of the world is done 10 ms after a change.
        std::thread::sleep(Duration::from_millis(300));
    }
    let dir = stack.state_dir().to_path_buf();
    let (snapshot, journal) = (dir.join("records.json"), dir.join("records.log"));
    assert!(
        journal.exists(),
        "the registrations' entries are in the journal"
    );
    let before = task_definition_arns(&stack);
    // The disk fails the stack: its journal deleted, and no snapshot can be renamed into
    // place (a directory holds the name).
    std::fs::remove_file(&journal).unwrap();
    std::fs::remove_file(&snapshot).unwrap();
    std::fs::create_dir(&snapshot).unwrap();

    // The write that finds it: the change is made in memory, and the answer says it is not
    // on disk (a server error, not a success a crash would undo).
    let (status, v) = ecs_call(&stack, "RegisterTaskDefinition", &register("v4"));
    assert_eq!(status, 500, "{v}");
    assert_eq!(v["__type"], "InternalFailure", "{v}");
    let message = v["message"].as_str().unwrap();
    assert!(
        message.contains("records.log") && message.contains("was deleted"),
        "{message}"
    );
    let made = task_definition_arns(&stack);
    assert_eq!(made.len(), before.len() + 1, "{made:?}");
    let records = records_status(&stack);
    assert!(
        records["failing"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("records")),
        "{records}"
    );

    // Until a write succeeds, no change is made: ECS and ELBv2 writes are refused (503,
    // which the SDKs retry), reads are served. A request tries the write again first, at
    // most once a second (the stack's follower too): past that second, the try is a
    // snapshot, which fails on the directory.
    std::thread::sleep(Duration::from_millis(1100));
    let (status, v) = ecs_call(&stack, "RegisterTaskDefinition", &register("v5"));
    assert_eq!(status, 503, "{v}");
    assert_eq!(v["__type"], "ServiceUnavailable", "{v}");
    let message = v["message"].as_str().unwrap();
    assert!(
        message.contains("cannot write its records")
            && message.contains(&snapshot.display().to_string()),
        "{message}"
    );
    let (status, xml) = query_call(&stack, "Action=ModifyListener&Version=2015-12-01&ListenerArn=arn%3Aaws%3Aelasticloadbalancing%3Aus-east-1%3A000000000000%3Alistener%2Fnet%2Fdemo%2F0%2F0");
    assert_eq!(status, 503, "{xml}");
    assert!(xml.contains("<Code>ServiceUnavailable</Code>"), "{xml}");
    assert_eq!(
        task_definition_arns(&stack),
        made,
        "no change while refused"
    );
    // CloudWatch keeps nothing in the records: its writes are served.
    let (status, text) = query_call(&stack, "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=t&Namespace=demo%2Fservice&MetricName=Http5xx&Statistic=Sum&Period=60&EvaluationPeriods=1&Threshold=5&ComparisonOperator=GreaterThanOrEqualToThreshold");
    assert_eq!(status, 200, "{text}");

    // The disk is back: the next try (the follower's, or this request's once the second
    // since the last one has passed) is a snapshot of everything, and the change is made.
    std::fs::remove_dir(&snapshot).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, v) = ecs_call(&stack, "RegisterTaskDefinition", &register("v5"));
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{v}");
        assert!(
            Instant::now() < deadline,
            "still refused 5 s after the disk was back: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(records_status(&stack)["failing"].is_null());
    let all = task_definition_arns(&stack);
    assert_eq!(all.len(), made.len() + 1, "{all:?}");

    // What was answered, even as a server error, is on disk: killed and up again, the
    // same revisions.
    let pid = stack.pid;
    Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(wait_all_gone(&[pid], Duration::from_secs(5)).is_empty());
    let dir = std::mem::replace(&mut stack.dir, support::temp_state_dir());
    stack.down();
    let again = LocalStack::start_in(dir, &[]);
    assert_eq!(task_definition_arns(&again), all);
}
