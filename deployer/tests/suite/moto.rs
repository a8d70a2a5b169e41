//! Request shapes against moto (`.venv/bin/moto_server`, installed by `bash
//! scripts/setup`) on 127.0.0.1: the stack is created with boto3, then the deployer
//! binary runs `verify` (GetDeploymentGroup, DescribeTargetGroups, ECR, IAM) and
//! `deploy --no-wait` (RegisterTaskDefinition, CreateDeployment). What moto stored is
//! read back and compared with what `render` produces.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use deployer::aws::Aws;
use deployer::aws::Ctx;
use deployer_models::outputs::Outputs;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn venv_tool(name: &str) -> PathBuf {
    let path = workspace().join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `bash scripts/setup` (it installs moto[server] into .venv)",
        path.display()
    );
    path
}

/// moto_server on a free loopback port; killed and reaped on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        let server = venv_tool("moto_server");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {port} in 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates the stack in moto with boto3 and writes Terraform-style outputs for it.
const SETUP: &str = r#"
import boto3, json, sys
ep, fixture, out = sys.argv[1], sys.argv[2], sys.argv[3]
kw = dict(endpoint_url=ep, region_name="eu-west-1",
          aws_access_key_id="test", aws_secret_access_key="test")
ec2, elb, ecs = boto3.client("ec2", **kw), boto3.client("elbv2", **kw), boto3.client("ecs", **kw)
cd, iam, ecr = boto3.client("codedeploy", **kw), boto3.client("iam", **kw), boto3.client("ecr", **kw)
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24",
           AvailabilityZone=f"eu-west-1{z}")["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
sg = ec2.create_security_group(GroupName="demo", Description="demo", VpcId=vpc)["GroupId"]
lb = elb.create_load_balancer(Name="demo", Subnets=subnets, Type="network",
                              Scheme="internet-facing")["LoadBalancers"][0]
tg = {c: elb.create_target_group(Name=f"demo-{c}", Protocol="TCP", Port=3000, VpcId=vpc,
        TargetType="ip", HealthCheckProtocol="HTTP", HealthCheckPath="/health")
        ["TargetGroups"][0]["TargetGroupArn"] for c in ("blue", "green")}
listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80,
    DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["blue"]}])["Listeners"][0]["ListenerArn"]
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
roles = {n: iam.create_role(RoleName=n, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
         for n in ("demo-execution", "demo-task", "demo-codedeploy")}
repo = ecr.create_repository(repositoryName="demo")["repository"]["repositoryUri"]
manifest = json.dumps({"schemaVersion": 2, "mediaType":
    "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
               "digest": "sha256:" + "a" * 64}, "layers": []})
ecr.put_image(repositoryName="demo", imageManifest=manifest, imageTag="v1")
ecs.create_cluster(clusterName="demo")
first = ecs.register_task_definition(family="demo", networkMode="awsvpc",
    requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
    containerDefinitions=[{"name": "demo", "image": repo + ":v0", "essential": True,
                           "portMappings": [{"containerPort": 3000}]}])["taskDefinition"]["taskDefinitionArn"]
ecs.create_service(cluster="demo", serviceName="demo", taskDefinition=first, desiredCount=1,
    launchType="FARGATE", deploymentController={"type": "CODE_DEPLOY"},
    loadBalancers=[{"targetGroupArn": tg["blue"], "containerName": "demo", "containerPort": 3000}],
    networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}})
cd.create_application(applicationName="demo", computePlatform="ECS")
cd.create_deployment_group(applicationName="demo", deploymentGroupName="demo",
    serviceRoleArn=roles["demo-codedeploy"], deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
    ecsServices=[{"serviceName": "demo", "clusterName": "demo"}],
    deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    blueGreenDeploymentConfiguration={
        "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE",
                                                      "terminationWaitTimeInMinutes": 5}},
    loadBalancerInfo={"targetGroupPairInfoList": [{"targetGroups": [{"name": "demo-blue"},
        {"name": "demo-green"}], "prodTrafficRoute": {"listenerArns": [listener]}}]},
    autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]})
outputs = json.load(open(fixture))
def put(k, v): outputs[k]["value"] = v
put("region", "eu-west-1"); put("account_id", "123456789012")
put("target_group_blue_arn", tg["blue"]); put("target_group_green_arn", tg["green"])
put("listener_arn", listener); put("test_listener_arn", "")
put("execution_role_arn", roles["demo-execution"]); put("task_role_arn", roles["demo-task"])
put("ecr_repository_url", repo); put("ecr_repository_name", "demo")
json.dump(outputs, open(out, "w"), indent=2)
print(repo)
"#;

struct Stack {
    moto: Moto,
    _dir: tempfile::TempDir,
    outputs: PathBuf,
    repo: String,
}

fn stack() -> Stack {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs.json");
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform-outputs.json");
    let out = Command::new(venv_tool("python"))
        .args(["-c", SETUP, &moto.url])
        .arg(&fixture)
        .arg(&outputs)
        .output()
        .expect("run the boto3 setup");
    assert!(
        out.status.success(),
        "creating the stack in moto failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let repo = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Stack {
        moto,
        _dir: dir,
        outputs,
        repo,
    }
}

fn deployer(stack: &Stack, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deployer"))
        .args(args)
        .arg("--outputs")
        .arg(&stack.outputs)
        .env("AWS_ENDPOINT_URL", &stack.moto.url)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("DEPLOYER_OUTPUTS")
        .output()
        .expect("run the deployer binary")
}

async fn ctx(stack: &Stack) -> Ctx {
    let outputs = Outputs::load(&stack.outputs).unwrap();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&stack.moto.url)
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    let aws = Aws {
        ecs: aws_sdk_ecs::Client::new(&config),
        codedeploy: aws_sdk_codedeploy::Client::new(&config),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
        ecr: aws_sdk_ecr::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        codepipeline: aws_sdk_codepipeline::Client::new(&config),
        codebuild: aws_sdk_codebuild::Client::new(&config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&config),
        cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
        autoscaling: aws_sdk_applicationautoscaling::Client::new(&config),
        sts: aws_sdk_sts::Client::new(&config),
        region: "eu-west-1".into(),
    };
    Ctx { outputs, aws }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_then_deploy_sends_the_rendered_task_definition_and_appspec() {
    let stack = stack();
    let image = format!("{}:v1", stack.repo);

    // verify: GetDeploymentGroup, DescribeServices, DescribeTargetGroups, ECR, IAM.
    let out = deployer(&stack, &["verify", "--image", &image]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "verify:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let report = text(&out.stdout);
    for check in [
        "service",
        "deployment group",
        "deployment config",
        "image in ECR",
        "execution role",
    ] {
        assert!(
            report
                .lines()
                .any(|l| l.starts_with("ok") && l.contains(check)),
            "verify did not pass `{check}`:\n{report}"
        );
    }
    let out = deployer(
        &stack,
        &["verify", "--image", &format!("{}:nope", stack.repo)],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("FAIL image in ECR"),
        "{}",
        text(&out.stdout)
    );

    // deploy of a tag that is not in the repository: refused (exit 2) before anything
    // is registered.
    let ctx0 = ctx(&stack).await;
    let families = || async {
        ctx0.aws
            .ecs
            .list_task_definitions()
            .send()
            .await
            .unwrap()
            .task_definition_arns
            .unwrap_or_default()
    };
    let before = families().await;
    let out = deployer(
        &stack,
        &[
            "deploy",
            "--image",
            &format!("{}:nope", stack.repo),
            "--no-wait",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("image in ECR")
            && text(&out.stderr).contains("nothing was changed"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(families().await, before, "no task definition registered");

    // deploy --no-wait: RegisterTaskDefinition + CreateDeployment.
    let out = deployer(
        &stack,
        &[
            "deploy",
            "--image",
            &image,
            "--env",
            "DEMO_FAIL_HEALTH=1",
            "--no-wait",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "deploy: {}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();
    // AWS ids look like d-ABCDE1234; moto answers a UUID. Either way: one token.
    assert!(
        !id.is_empty() && !id.contains(char::is_whitespace),
        "deployment id on stdout: {id:?}"
    );

    let ctx = ctx(&stack).await;
    let env = [("DEMO_FAIL_HEALTH".to_owned(), "1".to_owned())];
    let templates = deployer_models::render::Templates::find(None, None).unwrap();
    let rendered = templates
        .render_task_definition(&ctx.outputs, &image.parse().unwrap(), &env)
        .unwrap();

    // What moto stored is what render produced, field by field.
    let (live, model) = deployer::aws::ecs::describe_task_definition(&ctx, "demo")
        .await
        .unwrap();
    let arn = live.task_definition_arn.clone().unwrap();
    assert!(arn.ends_with("task-definition/demo:2"), "{arn}");
    assert_eq!(
        deployer::aws::ecs_taskdef::normalize(&model).to_canonical_json(),
        deployer::aws::ecs_taskdef::normalize(&rendered).to_canonical_json()
    );
    let container = model.container("demo").unwrap();
    assert!(container
        .environment
        .iter()
        .any(|e| e.name == "DEMO_FAIL_HEALTH" && e.value == "1"));
    // An identical render is recognised as the latest revision (deploy skips it).
    assert!(matches!(
        deployer::aws::ecs::plan_register(&ctx, &rendered)
            .await
            .unwrap(),
        deployer::aws::ecs::Plan::Reuse { .. }
    ));

    // The deployment carries the appspec inline, naming the new revision.
    let info = ctx
        .aws
        .codedeploy
        .get_deployment()
        .deployment_id(&id)
        .send()
        .await
        .unwrap()
        .deployment_info
        .unwrap();
    assert_eq!(info.application_name.as_deref(), Some("demo"));
    assert_eq!(info.deployment_group_name.as_deref(), Some("demo"));
    let revision = info.revision.unwrap();
    assert_eq!(revision.revision_type.unwrap().as_str(), "AppSpecContent");
    let content = revision.app_spec_content.unwrap().content.unwrap();
    let spec: serde_yaml_ng::Value = serde_yaml_ng::from_str(&content).unwrap();
    let props = &spec["Resources"][0]["TargetService"]["Properties"];
    assert_eq!(
        props["TaskDefinition"].as_str(),
        Some(arn.as_str()),
        "{content}"
    );
    assert_eq!(
        props["LoadBalancerInfo"]["ContainerName"].as_str(),
        Some("demo")
    );
    assert_eq!(
        props["LoadBalancerInfo"]["ContainerPort"].as_u64(),
        Some(3000)
    );

    // moto keeps deployments `Created`: a second deploy is refused by preflight (exit 6),
    // naming it, and registers nothing.
    let out = deployer(
        &stack,
        &[
            "deploy",
            "--image",
            &format!("{}:v2", stack.repo),
            "--no-wait",
        ],
    );
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!("deployment {id} is Created")),
        "{}",
        text(&out.stderr)
    );
    let (again, _) = deployer::aws::ecs::describe_task_definition(&ctx, "demo")
        .await
        .unwrap();
    assert_eq!(
        again.revision, 2,
        "no revision registered by the refused deploy"
    );
}
