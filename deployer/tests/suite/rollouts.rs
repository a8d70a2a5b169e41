//! Manual rollouts against `deployer local`: the templates come from the
//! working tree, rollback goes back to what was live, `revisions` tells the history,
//! and every refusal exits 2 before any AWS write (the endpoint's request log shows no
//! RegisterTaskDefinition or CreateDeployment).

use crate::support;

use std::path::Path;
use std::process::{Output, Stdio};

use support::LocalStack;

const FAST_WATCH: &[&str] = &["--interval", "200ms", "--timeout", "90s"];

fn run_in(stack: &LocalStack, dir: Option<&Path>, args: &[&str]) -> Output {
    let mut c = stack.deployer();
    if let Some(d) = dir {
        c.current_dir(d);
    }
    c.args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run the deployer binary")
}

fn run(stack: &LocalStack, args: &[&str]) -> Output {
    run_in(stack, None, args)
}

fn watched<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend_from_slice(FAST_WATCH);
    v
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn explain(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn writes(stack: &LocalStack) -> Vec<String> {
    stack
        .api_calls()
        .into_iter()
        .filter(|c| {
            c.ends_with(".RegisterTaskDefinition")
                || c.ends_with(".CreateDeployment")
                || c.ends_with(".StopDeployment")
                || c.ends_with(".ContinueDeployment")
        })
        .collect()
}

/// How many revisions the stack's task definition family has (ListTaskDefinitions).
fn revision_count(stack: &LocalStack) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ecs = aws_sdk_ecs::Client::new(&stack.sdk_config().await);
        let out = ecs
            .list_task_definitions()
            .family_prefix("demo")
            .send()
            .await
            .expect("ListTaskDefinitions");
        out.task_definition_arns.unwrap_or_default().len()
    })
}

fn version_served(stack: &LocalStack) -> String {
    support::version_at(&stack.nlb_url).expect("GET / through the NLB")
}

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

#[test]
fn refusals_exit_2_before_any_write_and_the_working_tree_template_is_deployed() {
    let stack = LocalStack::start_logging_calls(&[]);

    let refusals: &[(&[&str], &[&str])] = &[
        // 4: ReadyWait on a group that switches traffic on its own.
        (
            &["deploy", "--image", "demo:v2", "--wait-until", "ReadyWait"],
            &["does not wait for approval", "deployment_ready_option"],
        ),
        // 6: outside the stack's ECR repository; a mutable tag.
        (
            &["deploy", "--image", "docker.io/library/nginx:1.27"],
            &["not in the stack's ECR repository", "dkr.ecr"],
        ),
        (
            &["deploy", "--image", "demo:latest"],
            &["looks mutable", "--allow-mutable-tag"],
        ),
        // 7: a revision that does not exist.
        (
            &["deploy", "--task-definition", "demo:99"],
            &["--task-definition demo:99", "no such task definition"],
        ),
        (
            &["deploy", "--task-definition", "42"],
            &["--task-definition 42", "demo:42"],
        ),
        // 1: a template that is not there.
        (
            &[
                "deploy",
                "--image",
                "demo:v2",
                "--taskdef",
                "/nonexistent/taskdef.json",
            ],
            &["/nonexistent/taskdef.json", "--taskdef"],
        ),
        // An image never pushed to the stack's ECR (a short commit never built).
        (
            &["deploy", "--image", support::NEVER_PUSHED],
            &[
                "image in ECR",
                "imageTag:'3e6c8b2'",
                "does not exist within the repository",
            ],
        ),
        // 2: rollback to a revision that does not exist.
        (&["rollback", "--to", "77"], &["--to 77", "demo:77"]),
    ];
    for (args, needles) in refusals {
        let out = run(&stack, &watched(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", explain(&out));
        let err = text(&out.stderr);
        for n in *needles {
            assert!(err.contains(n), "{args:?}: {n:?} not in: {err}");
        }
    }
    // 8: an appspec that CodeDeploy would refuse, or that names another container or
    // port than the task definition has: refused before RegisterTaskDefinition, so the
    // family keeps its revisions.
    let revisions_before = revision_count(&stack);
    let bad = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(root().join("appspec.yaml")).unwrap();
    let cases: [(&str, String, &[&str]); 4] = [
        (
            "garbage.yaml",
            "Resources: [\n  - {TargetService: \n".to_owned(),
            &["garbage.yaml"],
        ),
        (
            "name.yaml",
            good.replace("ContainerName: demo", "ContainerName: web"),
            &["name.yaml", "ContainerName", "\"web\""],
        ),
        (
            "port.yaml",
            good.replace("ContainerPort: 3000", "ContainerPort: 8080"),
            &["port.yaml", "ContainerPort 8080"],
        ),
        (
            "empty.yaml",
            "Version: 0.0\nResources: []\n".to_owned(),
            &["empty.yaml", "Resources"],
        ),
    ];
    for (name, content, needles) in &cases {
        let path = bad.path().join(name);
        std::fs::write(&path, content).unwrap();
        let path = path.to_str().unwrap();
        for args in [
            watched(&["deploy", "--image", "demo:v2", "--appspec", path]),
            watched(&[
                "deploy",
                "--image",
                "demo:v2",
                "--appspec",
                path,
                "--dry-run",
            ]),
            // verify renders the same appspec (read-only).
            vec!["verify", "--image", "demo:v1", "--appspec", path],
        ] {
            let out = run(&stack, &args);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", explain(&out));
            // verify prints its checks on stdout.
            let err = text(&out.stderr) + &text(&out.stdout);
            for n in *needles {
                assert!(err.contains(n), "{args:?}: {n:?} not in: {err}");
            }
            assert!(!err.contains("registered"), "{args:?}: {err}");
        }
    }
    assert_eq!(
        revision_count(&stack),
        revisions_before,
        "a refused appspec registers no revision"
    );
    assert_eq!(
        writes(&stack),
        Vec::<String>::new(),
        "no write for a refusal"
    );
    // The log does record calls: the refusals above made read calls.
    assert!(
        stack
            .api_calls()
            .iter()
            .any(|c| c.ends_with(".DescribeTaskDefinition")),
        "{:?}",
        stack.api_calls()
    );

    // 1: an edited template in a temporary copy of the repository is what gets registered.
    let copy = tempfile::tempdir().unwrap();
    let taskdef = std::fs::read_to_string(root().join("taskdef.json")).unwrap();
    let marker = r#""name": "DEMO_LOG_FORMAT","#;
    assert!(
        taskdef.contains(marker),
        "taskdef.json sets DEMO_LOG_FORMAT"
    );
    let edited = taskdef.replace(
        marker,
        r#""name": "DEMO_EDITED_IN_THE_TREE",
          "value": "yes"
        },
        {
          "name": "DEMO_LOG_FORMAT","#,
    );
    std::fs::write(copy.path().join("taskdef.json"), &edited).unwrap();
    std::fs::copy(
        root().join("appspec.yaml"),
        copy.path().join("appspec.yaml"),
    )
    .unwrap();
    let sub = copy.path().join("deep/er");
    std::fs::create_dir_all(&sub).unwrap();

    // The dry run and the diff say which files they used.
    let out = run_in(
        &stack,
        Some(&sub),
        &["deploy", "--image", "demo:v2", "--dry-run"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let copy_taskdef = copy.path().canonicalize().unwrap().join("taskdef.json");
    assert!(
        text(&out.stderr).contains(&copy_taskdef.display().to_string()),
        "{}",
        explain(&out)
    );
    assert!(
        text(&out.stdout).contains("DEMO_EDITED_IN_THE_TREE"),
        "{}",
        explain(&out)
    );

    let out = run_in(
        &stack,
        Some(&sub),
        &watched(&["deploy", "--image", "demo:v2"]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let out = run(&stack, &["--output", "json", "revisions", "--limit", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let newest: serde_json::Value =
        serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(newest["live_now"], true, "{newest}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let env = rt.block_on(async {
        let ecs = aws_sdk_ecs::Client::new(&stack.sdk_config().await);
        let td = ecs
            .describe_task_definition()
            .task_definition(newest["arn"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .task_definition
            .unwrap();
        td.container_definitions.unwrap()[0]
            .environment
            .clone()
            .unwrap_or_default()
    });
    assert!(
        env.iter()
            .any(|kv| kv.name.as_deref() == Some("DEMO_EDITED_IN_THE_TREE")),
        "the edited template was registered: {env:?}"
    );
    // diff exits like diff(1): 0 from the copy (the live one is its render) ...
    let out = run_in(&stack, Some(&sub), &["diff"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    // ... 1 from the repository, whose own template now differs from the live one.
    let out = run(&stack, &["diff"]);
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    assert!(
        text(&out.stdout).contains("-          \"name\": \"DEMO_EDITED_IN_THE_TREE\""),
        "{}",
        explain(&out)
    );
    assert!(
        text(&out.stdout).contains(&root().join("taskdef.json").display().to_string()),
        "the diff names the template: {}",
        explain(&out)
    );

    // Each command needs only the Terraform outputs it uses.
    let all: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&stack.outputs).unwrap()).unwrap();
    let partial = |keep: &[&str]| {
        let m: serde_json::Map<String, serde_json::Value> = all
            .iter()
            .filter(|(k, _)| keep.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let f = copy.path().join(format!("outputs-{}.json", keep.len()));
        std::fs::write(&f, serde_json::to_string(&m).unwrap()).unwrap();
        f
    };
    let status_needs = [
        "region",
        "cluster_name",
        "service_name",
        "codedeploy_app_name",
        "codedeploy_group_name",
        "listener_arn",
        "target_group_blue_name",
        "target_group_blue_arn",
        "target_group_green_name",
        "target_group_green_arn",
    ];
    let f = partial(&status_needs);
    let out = run(&stack, &["status", "--outputs", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(text(&out.stdout).contains("live "), "{}", explain(&out));
    let f = partial(&status_needs[..5]);
    let out = run(&stack, &["status", "--outputs", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("5 outputs are missing") && err.contains("`listener_arn`"),
        "{err}"
    );
    assert!(err.contains("`deployer status` needs them"), "{err}");
    let f = partial(&[
        "region",
        "account_id",
        "codedeploy_app_name",
        "codedeploy_group_name",
    ]);
    let out = run(&stack, &["continue", "--outputs", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("nothing to continue"),
        "{}",
        explain(&out)
    );
    let deploy_needs = [
        "region",
        "account_id",
        "cluster_name",
        "service_name",
        "codedeploy_app_name",
        "codedeploy_group_name",
        "target_group_blue_name",
        "target_group_green_name",
        "task_family",
        "container_name",
        "container_port",
        "execution_role_arn",
        "task_role_arn",
        "log_group_name",
        "ecr_repository_name",
        "ecr_repository_url",
    ];
    let f = partial(&deploy_needs);
    let f = f.to_str().unwrap();
    let out = run(&stack, &["verify", "--outputs", f]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let out = run(&stack, &["diff", "--outputs", f]);
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    let out = run(
        &stack,
        &watched(&["deploy", "--image", "demo:v3", "--outputs", f]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let out = run(&stack, &watched(&["rollback", "--outputs", f]));
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let f = partial(&["nlb_url"]);
    let out = run(
        &stack,
        &["smoke", "--outputs", f.to_str().unwrap(), "--requests", "2"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
}

#[test]
fn rollback_goes_back_to_the_revision_that_was_live() {
    let stack = LocalStack::start_with(&["--install-timeout", "5s"]);
    // 2: good, 3: fails (rolled back automatically), 4: good.
    let out = run(&stack, &watched(&["deploy", "--image", "demo:v2"]));
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let out = run(
        &stack,
        &watched(&[
            "deploy",
            "--image",
            "demo:v3",
            "--env",
            "DEMO_FAIL_HEALTH=1",
        ]),
    );
    assert_eq!(out.status.code(), Some(3), "{}", explain(&out));
    let out = run(&stack, &watched(&["deploy", "--image", "demo:v4"]));
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert_eq!(version_served(&stack), "v4");

    // 3: the history per revision.
    let out = run(&stack, &["--output", "json", "revisions"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let revs: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let nums: Vec<u64> = revs
        .iter()
        .map(|r| r["revision"].as_u64().unwrap())
        .collect();
    assert_eq!(nums, vec![4, 3, 2, 1], "newest first");
    assert_eq!(revs[0]["live_now"], true);
    assert!(revs[0]["images"][0].as_str().unwrap().ends_with("/demo:v4"));
    assert_eq!(revs[1]["live"], serde_json::json!([]), "3 never served");
    assert!(
        revs[1]["failed_by"][0]
            .as_str()
            .unwrap()
            .ends_with("Failed"),
        "{}",
        revs[1]
    );
    assert_eq!(revs[2]["live"].as_array().unwrap().len(), 1, "{}", revs[2]);
    // Times are RFC 3339, as in every JSON line.
    let registered = revs[2]["registered_at"].as_str().unwrap();
    assert!(
        registered.starts_with("20") && registered.ends_with('Z'),
        "{registered}"
    );
    assert_eq!(revs[3]["live"][0]["put_live_by"], serde_json::Value::Null);
    let human = run(&stack, &["revisions"]);
    assert!(
        text(&human.stdout).contains("never live according to the deployment history"),
        "{}",
        explain(&human)
    );

    // 2: rollback proposes 2 (live before 4), not 3 (which never served).
    let out = run(&stack, &["rollback", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let err = text(&out.stderr);
    assert!(err.contains("task-definition/demo:2 ("), "{err}");
    assert!(err.contains("live from"), "{err}");
    let out = run(&stack, &watched(&["rollback"]));
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        text(&out.stderr)
            .contains("deploying arn:aws:ecs:us-east-1:000000000000:task-definition/demo:2"),
        "{}",
        explain(&out)
    );
    assert_eq!(version_served(&stack), "v2");

    // The rollback returned at the termination wait: let it finish.
    let out = run(&stack, &watched(&["wait"]));
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));

    // --to picks another; the live one is refused.
    let out = run(&stack, &["rollback", "--to", "4", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(text(&out.stderr).contains("demo:4"), "{}", explain(&out));
    let out = run(&stack, &["rollback", "--to", "2", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
}

#[test]
fn version_names_the_commit_and_build_date() {
    let out = std::process::Command::new(support::deployer_bin())
        .arg("--version")
        .output()
        .unwrap();
    let v = text(&out.stdout);
    let re = regex::Regex::new(
        r"^deployer \d+\.\d+\.\d+ \(([0-9a-f]{12}|unknown commit), built \d{4}-\d\d-\d\d\)\n$",
    )
    .unwrap();
    assert!(re.is_match(&v), "{v:?}");
    // This test runs in a git checkout: the commit is named.
    assert!(!v.contains("unknown commit"), "{v:?}");
}

#[test]
fn smoke_without_a_successful_request_prints_no_latency() {
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let out = std::process::Command::new(support::deployer_bin())
        .args(["smoke", "--url", &url, "--requests", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", explain(&out));
    let human = text(&out.stdout);
    assert!(human.contains("latency: none"), "{human}");
    assert!(!human.contains("p50"), "{human}");
    let out = std::process::Command::new(support::deployer_bin())
        .args([
            "--output",
            "json",
            "smoke",
            "--url",
            &url,
            "--requests",
            "3",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["latency_ms"], serde_json::Value::Null, "{report}");
    assert_eq!(report["errors"], 3);
}

#[test]
fn completions_and_man_pages_come_from_the_parser() {
    let bin = support::deployer_bin();
    for (shell, marker) in [
        ("bash", "_deployer()"),
        ("zsh", "#compdef deployer"),
        ("fish", "complete -c deployer"),
    ] {
        let out = std::process::Command::new(&bin)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", explain(&out));
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: {marker:?} missing");
        for word in ["revisions", "rollback", "allow-mutable-tag"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    let out = std::process::Command::new(&bin)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));

    let out = std::process::Command::new(&bin)
        .arg("man")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        text(&out.stdout).contains(".TH deployer 1"),
        "{}",
        explain(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = std::process::Command::new(&bin)
        .args(["man", "--out-dir"])
        .arg(&pages)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    for page in [
        "deployer.1",
        "deployer-deploy.1",
        "deployer-rollback.1",
        "deployer-revisions.1",
    ] {
        let text = std::fs::read_to_string(pages.join(page)).unwrap_or_default();
        assert!(text.contains(".TH"), "{page} written: {text:?}");
    }
    assert!(std::fs::read_to_string(pages.join("deployer-deploy.1"))
        .unwrap()
        .contains("allow\\-mutable\\-tag"));
}

/// Credentials of another account than the outputs' `account_id` are refused before any
/// write (exit 2, naming both); a deploy while the last one is in its termination wait
/// exits 6 saying until when and which `deployer continue` ends it, and writes nothing.
#[test]
fn another_account_exits_2_and_a_deployment_in_flight_exits_6_before_any_write() {
    let stack = LocalStack::start_logging_calls(&["--termination-wait", "120s"]);

    // botocore (the AWS CLI) parses the local GetCallerIdentity: the outputs' account.
    let out = stack
        .command("aws")
        .args(["sts", "get-caller-identity", "--output", "json"])
        .stdin(Stdio::null())
        .output()
        .expect("the AWS CLI (`aws`) is required: it comes with the machine image");
    assert!(out.status.success(), "{}", explain(&out));
    let identity: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let mut outputs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stack.outputs).unwrap()).unwrap();
    let ours = outputs["account_id"]["value"].as_str().unwrap().to_owned();
    assert_eq!(identity["Account"], ours.as_str(), "{identity}");
    outputs["account_id"]["value"] = serde_json::json!("111111111111");
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other-account.json");
    std::fs::write(&other, outputs.to_string()).unwrap();
    let other = other.to_str().unwrap();
    for args in [
        watched(&["deploy", "--task-definition", "1", "--outputs", other]),
        vec!["scale", "--tasks", "3", "--outputs", other],
    ] {
        let out = run(&stack, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", explain(&out));
        let err = text(&out.stderr);
        assert!(
            err.contains("account 111111111111") && err.contains(&format!("account {ours}")),
            "{args:?} names both accounts: {err}"
        );
    }
    let changes = |stack: &LocalStack| -> Vec<String> {
        stack
            .api_calls()
            .into_iter()
            .filter(|c| {
                c.ends_with(".UpdateService")
                    || c.ends_with(".RegisterScalableTarget")
                    || c.ends_with(".RunTask")
                    || c.ends_with(".StopTask")
            })
            .chain(writes(stack))
            .collect()
    };
    assert_eq!(changes(&stack), Vec::<String>::new(), "no write");

    // A deployment that returned at its termination wait is still in flight.
    let out = run(
        &stack,
        &watched(&[
            "deploy",
            "--image",
            "demo:v2",
            "--wait-until",
            "TerminationWait",
        ]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let before = changes(&stack);
    for args in [
        watched(&["deploy", "--image", "demo:v3"]),
        vec!["scale", "--tasks", "3"],
    ] {
        let out = run(&stack, &args);
        assert_eq!(out.status.code(), Some(6), "{args:?}: {}", explain(&out));
        let err = text(&out.stderr);
        for needle in [
            "termination wait until ",
            "deployer continue --termination d-",
            "deployer wait d-",
        ] {
            assert!(err.contains(needle), "{args:?}: {needle:?} not in {err}");
        }
    }
    assert_eq!(changes(&stack), before, "a refusal writes nothing");
}
