//! `deployer render` and its library API: the templates, the Terraform outputs fixture,
//! rendering, and every kind of bad input (each error names the file, field and value).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use deployer::exit::Code;
use deployer_models::appspec::AppSpec;
use deployer_models::image::ImageRef;
use deployer_models::outputs::{Outputs, OUTPUT_NAMES};
use deployer_models::render::{self, Templates};
use deployer_models::taskdef::TaskDefinition;
use serde_json::Value;

const IMAGE: &str =
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo:3f9c2ab1d4e5f60718293a4b5c6d7e8f90a1b2c3";
const TD_ARN: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/demo:42";

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform-outputs.json")
}

fn fixture_text() -> String {
    std::fs::read_to_string(fixture_path()).expect("fixture exists")
}

fn fixture() -> Outputs {
    Outputs::load(&fixture_path()).expect("the fixture is valid")
}

/// The fixture with one output's value replaced (or removed with `None`).
fn fixture_with(name: &str, value: Option<Value>) -> String {
    let mut v: Value = serde_json::from_str(&fixture_text()).unwrap();
    let map = v.as_object_mut().unwrap();
    match value {
        Some(value) => map[name]["value"] = value,
        None => {
            map.remove(name);
        }
    }
    serde_json::to_string_pretty(&v).unwrap()
}

/// The repository's templates, found as the deployer finds them (upwards from the
/// crate directory, where cargo runs the tests).
fn templates() -> Templates {
    Templates::find(None, None).expect("taskdef.json and appspec.yaml at the workspace root")
}

fn taskdef_template() -> String {
    templates().taskdef.text
}

fn appspec_template() -> String {
    templates().appspec.text
}

fn image() -> ImageRef {
    IMAGE.parse().unwrap()
}

fn err_text(err: &anyhow::Error) -> String {
    format!("{err:#}")
}

fn assert_bad_input(err: &anyhow::Error, needles: &[&str]) {
    let msg = err_text(err);
    assert_eq!(
        Code::from_error(err),
        Code::BadInput,
        "should be bad input (exit 2): {msg}"
    );
    for n in needles {
        assert!(msg.contains(n), "error should mention {n:?}: {msg}");
    }
}

// ---- templates -------------------------------------------------------------------

#[test]
fn taskdef_template_is_in_canonical_form() {
    let td = TaskDefinition::from_json_str(&taskdef_template(), "taskdef.json").unwrap();
    let canonical = td.to_canonical_json();
    assert!(
        canonical == taskdef_template(),
        "taskdef.json must be stored exactly as the model serializes it, or the pipeline's \
         sed output and `deployer render` differ. Canonical form:\n{canonical}"
    );
}

#[test]
fn appspec_template_is_in_canonical_form() {
    let spec = AppSpec::from_yaml_str(&appspec_template(), "appspec.yaml").unwrap();
    let canonical = spec.to_yaml();
    assert!(
        canonical == appspec_template(),
        "appspec.yaml must be stored exactly as the model serializes it. Canonical form:\n{canonical}"
    );
}

#[test]
fn templates_hold_exactly_the_contract_placeholders() {
    let mut found: Vec<String> = render::find_placeholders(&taskdef_template())
        .into_iter()
        .map(|(p, _, _)| p)
        .collect();
    found.sort();
    let mut expected: Vec<String> = render::TASKDEF_PLACEHOLDERS
        .iter()
        .map(|s| s.to_string())
        .collect();
    expected.sort();
    assert_eq!(found, expected);
    let found: Vec<String> = render::find_placeholders(&appspec_template())
        .into_iter()
        .map(|(p, _, _)| p)
        .collect();
    assert_eq!(found, vec!["<TASK_DEFINITION>".to_string()]);
}

#[test]
fn templates_are_read_from_the_working_tree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap();
    // From the crate directory (and any directory below the root) the upward search
    // finds the workspace root's files.
    let t = Templates::find_from(&root.join("deployer/src/commands"), None, None).unwrap();
    assert_eq!(t.taskdef.path, root.join("taskdef.json"));
    assert_eq!(t.appspec.path, root.join("appspec.yaml"));
    assert_eq!(
        t.taskdef.text,
        std::fs::read_to_string(root.join("taskdef.json")).unwrap()
    );

    // An edited copy elsewhere is what gets rendered: nothing is compiled in.
    let dir = tempfile::tempdir().unwrap();
    let edited = t.taskdef.text.replace("\"512\"", "\"1024\"");
    assert_ne!(edited, t.taskdef.text, "the template sets memory 512");
    std::fs::write(dir.path().join("taskdef.json"), &edited).unwrap();
    std::fs::write(dir.path().join("appspec.yaml"), &t.appspec.text).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let copy = Templates::find_from(&dir.path().join("sub"), None, None).unwrap();
    let td = copy
        .render_task_definition(&fixture(), &image(), &[])
        .unwrap();
    assert_eq!(td.memory.as_deref(), Some("1024"));

    // Flags win over the search, each on its own.
    let other = dir.path().join("other.json");
    std::fs::write(&other, &t.taskdef.text).unwrap();
    let flagged = Templates::find_from(&dir.path().join("sub"), Some(&other), None).unwrap();
    assert_eq!(flagged.taskdef.path, other);
    assert_eq!(flagged.appspec.path, dir.path().join("appspec.yaml"));
}

#[test]
fn missing_or_malformed_templates_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // Only one of the two: not a template root.
    std::fs::write(dir.path().join("taskdef.json"), "{}").unwrap();
    let err = Templates::find_from(dir.path(), None, None).unwrap_err();
    assert_bad_input(
        &err,
        &["taskdef.json", "appspec.yaml", "--taskdef", "--appspec"],
    );

    let missing = dir.path().join("nope.json");
    let err = Templates::find_from(dir.path(), Some(&missing), Some(&missing)).unwrap_err();
    assert_bad_input(&err, &["nope.json", "--taskdef"]);

    // Malformed JSON: exit 2 naming the file and the position.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"family\": \"demo\",").unwrap();
    let t = Templates::find_from(Path::new(env!("CARGO_MANIFEST_DIR")), Some(&bad), None).unwrap();
    let err = t
        .render_task_definition(&fixture(), &image(), &[])
        .unwrap_err();
    assert_bad_input(&err, &["bad.json", "line 1"]);
}

// ---- the Terraform outputs fixture ------------------------------------------------

#[test]
fn fixture_has_every_contract_output() {
    let v: Value = serde_json::from_str(&fixture_text()).unwrap();
    let map = v.as_object().unwrap();
    for name in OUTPUT_NAMES {
        let entry = map
            .get(*name)
            .unwrap_or_else(|| panic!("fixture lacks output `{name}`"));
        assert_eq!(entry["sensitive"], Value::Bool(false), "{name}");
        let ty = if *name == "container_port" {
            "number"
        } else {
            "string"
        };
        assert_eq!(entry["type"], Value::String(ty.into()), "{name}");
    }
    // Terraform prints outputs sorted by name; the fixture is a verbatim example.
    let names: Vec<&String> = map.keys().collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[test]
fn fixture_loads_into_typed_fields() {
    let o = fixture();
    assert_eq!(o.origin, fixture_path().display().to_string());
    assert_eq!(o.region, "eu-west-1");
    assert_eq!(o.account_id, "123456789012");
    assert_eq!(o.task_family, "demo");
    assert_eq!(o.container_name, "demo");
    assert_eq!(o.container_port, 3000);
    assert_eq!(o.cluster_name, "demo");
    assert_eq!(o.service_name, "demo");
    assert_eq!(o.target_group_blue_name, "demo-blue");
    assert_eq!(o.target_group_green_name, "demo-green");
    assert_eq!(
        o.codedeploy_deployment_config,
        "CodeDeployDefault.ECSAllAtOnce"
    );
    assert!(o.test_listener_arn.is_some());
    assert_eq!(
        o.execution_role_arn,
        "arn:aws:iam::123456789012:role/demo-ecs-execution"
    );
}

#[test]
fn outputs_round_trip_through_terraform_json() {
    let o = fixture();
    let json = o.to_terraform_json();
    let mut original: Value = serde_json::from_str(&fixture_text()).unwrap();
    // Outputs beyond the contract (e.g. listener_port) are not part of the typed model.
    original
        .as_object_mut()
        .unwrap()
        .retain(|k, _| OUTPUT_NAMES.contains(&k.as_str()));
    assert_eq!(json, original);
    let back = Outputs::from_json_str(&json.to_string(), &o.origin).unwrap();
    assert_eq!(back, o);
}

#[test]
fn empty_test_listener_means_none() {
    let text = fixture_with("test_listener_arn", Some(Value::String(String::new())));
    let o = Outputs::from_json_str(&text, "outputs.json").unwrap();
    assert_eq!(o.test_listener_arn, None);
    assert_eq!(o.to_terraform_json()["test_listener_arn"]["value"], "");
}

#[test]
fn missing_output_is_named() {
    let text = fixture_with("execution_role_arn", None);
    let err = Outputs::from_json_str(&text, "stack.json").unwrap_err();
    assert_bad_input(&err, &["stack.json", "`execution_role_arn`", "missing"]);
}

#[test]
fn wrong_output_types_are_named_with_their_values() {
    let text = fixture_with("container_port", Some(Value::String("3000".into())));
    let err = Outputs::from_json_str(&text, "stack.json").unwrap_err();
    assert_bad_input(
        &err,
        &["stack.json", "`container_port`", "\"3000\"", "port number"],
    );

    let text = fixture_with("container_port", Some(serde_json::json!(70000)));
    let err = Outputs::from_json_str(&text, "stack.json").unwrap_err();
    assert_bad_input(&err, &["`container_port`", "70000"]);

    let text = fixture_with("region", Some(serde_json::json!(["eu-west-1"])));
    let err = Outputs::from_json_str(&text, "stack.json").unwrap_err();
    assert_bad_input(&err, &["`region`", "expected a string", "array"]);
}

#[test]
fn malformed_output_values_are_named() {
    for (name, value, needle) in [
        ("region", "Ireland", "AWS region"),
        ("account_id", "12345", "12-digit"),
        ("execution_role_arn", "demo-task-execution", "not an ARN"),
        (
            "task_role_arn",
            "arn:aws:iam::123456789012:user/demo",
            "role",
        ),
        (
            "target_group_blue_arn",
            "arn:aws:ecs:eu-west-1:123456789012:cluster/demo",
            "elasticloadbalancing",
        ),
        ("log_group_name", "/ecs/demo app", "CloudWatch Logs group"),
        ("log_group_name", "/ecs/de\"mo", "'\"'"),
        (
            "ecr_repository_url",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo:latest",
            "without tag",
        ),
        ("container_name", "demo app", "letters, digits"),
        ("nlb_url", "demo.elb.amazonaws.com", "URL"),
    ] {
        let text = fixture_with(name, Some(Value::String(value.into())));
        let err = Outputs::from_json_str(&text, "stack.json").unwrap_err();
        assert_bad_input(&err, &["stack.json", &format!("`{name}`"), needle]);
        assert!(
            err_text(&err).contains(&format!("{value:?}")),
            "{}",
            err_text(&err)
        );
    }
}

#[test]
fn malformed_json_gives_line_and_column() {
    let text = "{\n  \"region\": {\n    \"value\": \"eu-west-1\",\n  }\n}\n";
    let err = Outputs::from_json_str(text, "stack.json").unwrap_err();
    assert_bad_input(&err, &["stack.json", "line 4, column 3"]);

    let err = Outputs::from_json_str("{}\n", "stack.json").unwrap_err();
    assert_bad_input(
        &err,
        &["stack.json", "no Terraform outputs", "terraform apply"],
    );

    let err = Outputs::from_json_str("[1, 2]", "stack.json").unwrap_err();
    assert_bad_input(&err, &["stack.json", "terraform output -json", "an array"]);

    // The raw value of a single output (`terraform output -json region`) is not the map.
    let err = Outputs::from_json_str("{\"region\": \"eu-west-1\"}", "stack.json").unwrap_err();
    assert_bad_input(&err, &["`region`", "\"value\" field"]);
}

#[test]
fn unreadable_outputs_file_is_bad_input_naming_it() {
    let err = Outputs::load(Path::new("/nonexistent/outputs.json")).unwrap_err();
    assert_bad_input(&err, &["/nonexistent/outputs.json", "terraform"]);
}

// ---- rendering --------------------------------------------------------------------

#[test]
fn rendered_task_definition_is_complete_and_valid() {
    let td = templates()
        .render_task_definition(&fixture(), &image(), &[])
        .unwrap();
    assert!(td.validate().is_empty(), "{:?}", td.validate());
    let json = td.to_canonical_json();
    assert!(render::find_placeholders(&json).is_empty(), "{json}");
    let c = td.container("demo").unwrap();
    assert_eq!(c.image, IMAGE);
    assert_eq!(
        td.execution_role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/demo-ecs-execution")
    );
    assert_eq!(
        td.task_role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/demo-ecs-task")
    );
    let log = c.log_configuration.as_ref().unwrap();
    assert_eq!(log.log_driver, "awslogs");
    assert_eq!(log.options["awslogs-group"], "/ecs/demo");
    assert_eq!(log.options["awslogs-region"], "eu-west-1");
    assert_eq!(log.options["awslogs-stream-prefix"], "ecs");
    insta::assert_snapshot!("rendered_taskdef", json);
}

#[test]
fn rendered_appspec_keeps_or_fills_the_task_definition() {
    let kept = templates()
        .render_appspec(&fixture(), None)
        .unwrap()
        .to_yaml();
    assert_eq!(kept, appspec_template());
    let filled = templates()
        .render_appspec(&fixture(), Some(TD_ARN))
        .unwrap()
        .to_yaml();
    assert_eq!(
        filled,
        appspec_template().replace("<TASK_DEFINITION>", TD_ARN)
    );
    insta::assert_snapshot!("rendered_appspec", filled);
}

#[test]
fn env_overrides_replace_and_add() {
    let env = vec![
        ("RUST_LOG".to_string(), "debug".to_string()),
        ("DEMO_FAIL_HEALTH".to_string(), "1".to_string()),
    ];
    let td = templates()
        .render_task_definition(&fixture(), &image(), &env)
        .unwrap();
    let c = td.container("demo").unwrap();
    let get = |n: &str| {
        c.environment
            .iter()
            .filter(|kv| kv.name == n)
            .map(|kv| kv.value.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(get("RUST_LOG"), vec!["debug"]);
    assert_eq!(get("DEMO_FAIL_HEALTH"), vec!["1"]);
    assert_eq!(get("DEMO_LOG_FORMAT"), vec!["json"]);

    let bad = vec![("1BAD".to_string(), "x".to_string())];
    let err = templates()
        .render_task_definition(&fixture(), &image(), &bad)
        .unwrap_err();
    assert_bad_input(&err, &["\"1BAD\""]);
    assert_eq!(
        render::parse_env_override("A_B=c=d").unwrap(),
        ("A_B".to_string(), "c=d".to_string())
    );
    assert!(render::parse_env_override("novalue").is_err());
}

#[test]
fn unpinned_image_is_refused() {
    let err = templates()
        .render_task_definition(&fixture(), &"demo".parse().unwrap(), &[])
        .unwrap_err();
    assert_bad_input(&err, &["--image demo", "latest"]);
}

#[test]
fn disagreeing_outputs_are_named() {
    let o = Outputs::from_json_str(
        &fixture_with("task_family", Some("web".into())),
        "stack.json",
    )
    .unwrap();
    let err = templates()
        .render_task_definition(&o, &image(), &[])
        .unwrap_err();
    assert_bad_input(
        &err,
        &[
            "taskdef.json",
            "\"demo\"",
            "`task_family`",
            "\"web\"",
            "stack.json",
        ],
    );

    let o = Outputs::from_json_str(
        &fixture_with("container_name", Some("web".into())),
        "stack.json",
    )
    .unwrap();
    let err = templates()
        .render_task_definition(&o, &image(), &[])
        .unwrap_err();
    assert_bad_input(
        &err,
        &["taskdef.json", "\"web\"", "`container_name`", "stack.json"],
    );
    let err = templates().render_appspec(&o, None).unwrap_err();
    assert_bad_input(
        &err,
        &["appspec.yaml", "ContainerName", "\"demo\"", "\"web\""],
    );

    let o = Outputs::from_json_str(
        &fixture_with("container_port", Some(8080.into())),
        "stack.json",
    )
    .unwrap();
    let err = templates()
        .render_task_definition(&o, &image(), &[])
        .unwrap_err();
    assert_bad_input(&err, &["taskdef.json", "[3000]", "`container_port` = 8080"]);
    let err = templates().render_appspec(&o, None).unwrap_err();
    assert_bad_input(&err, &["appspec.yaml", "ContainerPort 3000", "8080"]);
}

#[test]
fn task_definition_arn_must_match_the_stack() {
    for (arn, needle) in [
        ("demo:42", "not an ARN"),
        (
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42",
            "family \"web\"",
        ),
        (
            "arn:aws:ecs:us-east-1:123456789012:task-definition/demo:42",
            "region \"us-east-1\"",
        ),
        (
            "arn:aws:ecs:eu-west-1:210987654321:task-definition/demo:42",
            "account \"210987654321\"",
        ),
        (
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/demo",
            "no :REVISION",
        ),
        (
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/demo:x",
            "revision \"x\"",
        ),
        (
            "arn:aws:ecs:eu-west-1:123456789012:service/demo/demo",
            "task-definition",
        ),
    ] {
        let err = templates()
            .render_appspec(&fixture(), Some(arn))
            .unwrap_err();
        assert_bad_input(
            &err,
            &["--task-definition-arn", &format!("{arn:?}"), needle],
        );
    }
}

#[test]
fn unknown_and_unresolved_placeholders_are_errors() {
    let template = taskdef_template().replace("\"ecs\"", "\"<STREAM_PREFIX>\"");
    let err =
        render::render_task_definition_from(&template, "custom.json", &fixture(), &image(), &[])
            .unwrap_err();
    let msg = err_text(&err);
    assert!(
        msg.contains("custom.json") && msg.contains("<STREAM_PREFIX>"),
        "{msg}"
    );
    assert!(msg.contains("line "), "{msg}");

    let template = appspec_template().replace("TargetService", "<SERVICE>");
    let err = render::render_appspec_from(&template, "custom.yaml", &fixture(), None).unwrap_err();
    assert!(err_text(&err).contains("<SERVICE>"), "{}", err_text(&err));
}

#[test]
fn broken_templates_report_position() {
    let template =
        taskdef_template().replace("\"readonlyRootFilesystem\"", "\"readOnlyRootFilesystem\"");
    let err =
        render::render_task_definition_from(&template, "custom.json", &fixture(), &image(), &[])
            .unwrap_err();
    let msg = err_text(&err);
    assert!(
        msg.contains("custom.json")
            && msg.contains("readOnlyRootFilesystem")
            && msg.contains("line "),
        "{msg}"
    );

    let template = appspec_template().replace("ContainerPort: 3000", "ContainerPort: [3000");
    let err = render::render_appspec_from(&template, "custom.yaml", &fixture(), None).unwrap_err();
    let msg = err_text(&err);
    assert!(
        msg.contains("custom.yaml") && msg.contains("line "),
        "{msg}"
    );

    let template = taskdef_template().replace("\"512\"", "\"4096\"");
    let err =
        render::render_task_definition_from(&template, "custom.json", &fixture(), &image(), &[])
            .unwrap_err();
    assert!(
        err_text(&err).contains("not a task size Fargate supports"),
        "{}",
        err_text(&err)
    );
}

// ---- the binary -------------------------------------------------------------------

fn deployer() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deployer"));
    cmd.env_remove("DEPLOYER_OUTPUTS");
    cmd
}

#[test]
fn cli_writes_both_files_and_they_match_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let result = deployer()
        .args(["render", "--outputs"])
        .arg(fixture_path())
        .args([
            "--image",
            IMAGE,
            "--task-definition-arn",
            TD_ARN,
            "--out-dir",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let taskdef = std::fs::read_to_string(out.join("taskdef.json")).unwrap();
    let appspec = std::fs::read_to_string(out.join("appspec.yaml")).unwrap();
    assert_eq!(
        taskdef,
        templates()
            .render_task_definition(&fixture(), &image(), &[])
            .unwrap()
            .to_canonical_json()
    );
    assert_eq!(
        appspec,
        templates()
            .render_appspec(&fixture(), Some(TD_ARN))
            .unwrap()
            .to_yaml()
    );
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["appspec.yaml", "taskdef.json"],
        "no temporary files left"
    );
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        stdout.contains("taskdef.json") && stdout.contains(IMAGE),
        "{stdout}"
    );
}

#[test]
fn cli_reads_stdin_and_env_and_prints_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = deployer()
        .args(["--output", "json", "render", "--image", IMAGE, "--out-dir"])
        .arg(dir.path())
        .env("DEPLOYER_OUTPUTS", "-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(fixture_text().as_bytes())
        .unwrap();
    let result = child.wait_with_output().unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let summary: Value = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(summary["image"], IMAGE);
    assert_eq!(summary["family"], "demo");
    assert_eq!(summary["taskDefinitionArn"], Value::Null);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("appspec.yaml")).unwrap(),
        appspec_template()
    );
}

#[test]
fn cli_bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let bad_outputs = dir.path().join("outputs.json");
    std::fs::write(&bad_outputs, fixture_with("log_group_name", None)).unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--image".into(), "Demo:1".into()], "lowercase"),
        (vec!["--image".into(), "demo".into()], "latest"),
        (
            vec![
                "--image".into(),
                IMAGE.into(),
                "--task-definition-arn".into(),
                "demo:1".into(),
            ],
            "--task-definition-arn",
        ),
    ];
    for (args, needle) in cases {
        let result = deployer()
            .arg("render")
            .arg("--outputs")
            .arg(fixture_path())
            .args(&args)
            .arg("--out-dir")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    let result = deployer()
        .args(["render", "--image", IMAGE, "--outputs"])
        .arg(&bad_outputs)
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`log_group_name`") && stderr.contains("outputs.json"),
        "{stderr}"
    );
    assert!(!out.exists());

    let result = deployer()
        .args(["render", "--image", IMAGE])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&result.stderr).contains("--outputs"));
}

#[test]
fn cli_help_snapshot() {
    let result = deployer()
        .args(["render", "--help"])
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(result.status.success());
    insta::assert_snapshot!("render_help", String::from_utf8_lossy(&result.stdout));
}

// ---- AWS's own model of RegisterTaskDefinition ------------------------------------

/// Validates `params` against botocore's RegisterTaskDefinition input shape (the service
/// model the AWS CLI and SDKs are generated from); returns the validator's report.
fn botocore_validate(params: &Value) -> Result<(), String> {
    let python = crate::support::venv_python();
    let script = r#"
import json, sys
import botocore.session
from botocore.validate import ParamValidator
model = botocore.session.get_session().get_service_model("ecs")
shape = model.operation_model("RegisterTaskDefinition").input_shape
report = ParamValidator().validate(json.load(sys.stdin), shape)
if report.has_errors():
    print(report.generate_report())
    sys.exit(1)
"#;
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(params.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => Ok(()),
        Some(1) if !report.contains("Traceback") => Err(report),
        _ => panic!("botocore validation did not run: {report}"),
    }
}

#[test]
fn rendered_task_definition_is_a_valid_register_task_definition_input_for_botocore() {
    let json = templates()
        .render_task_definition(&fixture(), &image(), &[])
        .unwrap()
        .to_canonical_json();
    let params: Value = serde_json::from_str(&json).unwrap();
    botocore_validate(&params).unwrap_or_else(|report| panic!("{report}"));

    // The same validator rejects a misspelt field and a wrong type (the check can fail).
    let mut typo = params.clone();
    typo["containerDefinitions"][0]["readOnlyRootFilesystem"] = Value::Bool(true);
    let report = botocore_validate(&typo).unwrap_err();
    assert!(report.contains("readOnlyRootFilesystem"), "{report}");
    let mut wrong = params;
    wrong["cpu"] = serde_json::json!(256);
    assert!(botocore_validate(&wrong).is_err());
}
