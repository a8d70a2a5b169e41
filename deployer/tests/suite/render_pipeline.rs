//! The pipeline path and `deployer render` give byte-identical files.
//!
//! Runs buildspec.yml's own commands (every phase, in order, in one bash like CodeBuild's
//! buildspec 0.2, stopping at the first failing command) in a temporary directory with a
//! simulated CodeBuild environment built from the Terraform outputs fixture, with `docker`
//! and `aws` replaced by stubs that log their calls. Then it does what the CodeDeployToECS
//! action does (replace `<IMAGE1_NAME>` in taskdef.json with `ImageURI` from
//! imageDetail.json; CodeDeploy replaces `<TASK_DEFINITION>` in appspec.yaml) and compares
//! with `deployer render` run on the same inputs.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use deployer_models::outputs::Outputs;
use serde_yaml_ng::Value;

const COMMIT: &str = "3f9c2ab1d4e5f60718293a4b5c6d7e8f90a1b2c3";
const TD_ARN: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/demo:42";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform-outputs.json")
}

struct Buildspec {
    phases: Vec<(String, Vec<String>)>,
    variables: BTreeMap<String, String>,
    artifacts: Vec<String>,
    cache_paths: Vec<String>,
}

fn str_list(v: &Value, what: &str) -> Vec<String> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("buildspec.yml: {what} must be a list"))
        .iter()
        .map(|c| {
            c.as_str()
                .unwrap_or_else(|| panic!("buildspec.yml: {what} entries must be strings"))
                .to_owned()
        })
        .collect()
}

fn load_buildspec() -> Buildspec {
    let text = std::fs::read_to_string(repo_root().join("buildspec.yml")).unwrap();
    let doc: Value = serde_yaml_ng::from_str(&text).expect("buildspec.yml is YAML");
    assert_eq!(doc["version"].as_f64(), Some(0.2), "buildspec version 0.2");
    assert_eq!(doc["env"]["shell"].as_str(), Some("bash"));
    let mut phases = Vec::new();
    // CodeBuild's order; install is optional.
    for name in ["install", "pre_build", "build", "post_build"] {
        let phase = &doc["phases"][name];
        if phase.is_null() {
            continue;
        }
        phases.push((name.to_owned(), str_list(&phase["commands"], name)));
    }
    let variables = doc["env"]["variables"]
        .as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap().to_owned(),
                        v.as_str().expect("variables are strings").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Buildspec {
        phases,
        variables,
        artifacts: str_list(&doc["artifacts"]["files"], "artifacts.files"),
        cache_paths: str_list(&doc["cache"]["paths"], "cache.paths"),
    }
}

const AWS_STUB: &str = r#"#!/bin/bash
echo "aws $*" >> "$STUB_LOG"
case "$1 $2" in
  "ecr get-login-password") echo "stub-ecr-password" ;;
  "ecr describe-images")
    if [ -n "${STUB_IMAGE_EXISTS:-}" ]; then echo '{"imageDetails":[{}]}'; exit 0; fi
    echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation" >&2
    exit 254 ;;
  *) echo "aws stub: unexpected call: $*" >&2; exit 99 ;;
esac
"#;

const DOCKER_STUB: &str = r#"#!/bin/bash
echo "docker $*" >> "$STUB_LOG"
case "$1" in
  login) read -r password; echo "login-password $password" >> "$STUB_LOG" ;;
  buildx)
    if [ "$2" = build ]; then
      for arg in "$@"; do
        case "$arg" in
          type=local,dest=*) d="${arg#type=local,dest=}"; d="${d%%,*}"; mkdir -p "$d"; echo '{}' > "$d/index.json" ;;
        esac
      done
    fi ;;
  *) echo "docker stub: unexpected call: $*" >&2; exit 99 ;;
esac
"#;

struct Run {
    status: std::process::ExitStatus,
    stderr: String,
    log: String,
    dir: tempfile::TempDir,
}

/// Runs the buildspec's commands in a fresh source directory. `env` adds to or (with
/// `None`) removes from the simulated CodeBuild environment.
fn run_buildspec(spec: &Buildspec, cache_dir: &Path, env: &[(&str, Option<&str>)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let stubs = dir.path().join("stubs");
    std::fs::create_dir_all(src.join("app")).unwrap();
    std::fs::create_dir_all(&stubs).unwrap();
    for f in [
        "taskdef.json",
        "appspec.yaml",
        "Dockerfile",
        "app/Cargo.toml",
    ] {
        std::fs::copy(repo_root().join(f), src.join(f)).unwrap();
    }
    for (name, body) in [("aws", AWS_STUB), ("docker", DOCKER_STUB)] {
        let p = stubs.join(name);
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut script = String::new();
    for (phase, commands) in &spec.phases {
        for (i, command) in commands.iter().enumerate() {
            script.push_str(command);
            script.push_str(&format!(
                "\n__rc=$?; if [ $__rc -ne 0 ]; then echo \"buildspec phase {phase} command {i} failed with $__rc\" >&2; exit $__rc; fi\n"
            ));
        }
    }
    let o = Outputs::load(&fixture_path()).unwrap();
    let log = dir.path().join("stub.log");
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(&script)
        .current_dir(&src)
        .env_clear()
        .env(
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin", stubs.display()),
        )
        .env("HOME", dir.path())
        .env("STUB_LOG", &log)
        // What CodeBuild sets itself.
        .env("CODEBUILD_RESOLVED_SOURCE_VERSION", COMMIT)
        .env("CODEBUILD_SRC_DIR", &src)
        .env("AWS_REGION", &o.region)
        .env("AWS_DEFAULT_REGION", &o.region)
        // What the CodeBuild project sets (infra/, from the same values as the outputs).
        .env("ECR_REPOSITORY_URL", &o.ecr_repository_url)
        .env("EXECUTION_ROLE_ARN", &o.execution_role_arn)
        .env("TASK_ROLE_ARN", &o.task_role_arn)
        .env("LOG_GROUP", &o.log_group_name);
    for (k, v) in &spec.variables {
        cmd.env(k, v);
    }
    // The cache directory is absolute (/root/...): keep it inside the test's directory.
    cmd.env("BUILDX_CACHE_DIR", cache_dir);
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().expect("bash runs");
    Run {
        status: out.status,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        log: std::fs::read_to_string(&log).unwrap_or_default(),
        dir,
    }
}

fn deployer_render(image: &str, arn: Option<&str>) -> (String, String) {
    let out_dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deployer"));
    cmd.args(["render", "--outputs"])
        .arg(fixture_path())
        .args(["--image", image, "--out-dir"])
        .arg(out_dir.path());
    if let Some(arn) = arn {
        cmd.args(["--task-definition-arn", arn]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "deployer render failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        std::fs::read_to_string(out_dir.path().join("taskdef.json")).unwrap(),
        std::fs::read_to_string(out_dir.path().join("appspec.yaml")).unwrap(),
    )
}

#[test]
fn pipeline_and_deployer_render_give_identical_bytes() {
    let spec = load_buildspec();
    assert_eq!(
        spec.artifacts,
        ["imageDetail.json", "taskdef.json", "appspec.yaml"]
    );
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("buildx");
    let run = run_buildspec(&spec, &cache_dir, &[]);
    assert!(run.status.success(), "buildspec failed:\n{}", run.stderr);
    let src = run.dir.path().join("src");
    let o = Outputs::load(&fixture_path()).unwrap();
    let image_uri = format!("{}:{COMMIT}", o.ecr_repository_url);

    // The artifacts the CodeDeployToECS action receives.
    let image_detail: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("imageDetail.json")).unwrap())
            .expect("imageDetail.json is JSON");
    assert_eq!(image_detail, serde_json::json!({ "ImageURI": image_uri }));
    let taskdef_artifact = std::fs::read_to_string(src.join("taskdef.json")).unwrap();
    let placeholders: Vec<String> = deployer_models::render::find_placeholders(&taskdef_artifact)
        .into_iter()
        .map(|(p, _, _)| p)
        .collect();
    assert_eq!(placeholders, ["<IMAGE1_NAME>"], "{taskdef_artifact}");
    let appspec_artifact = std::fs::read_to_string(src.join("appspec.yaml")).unwrap();

    // What the action registers, and the appspec CodeDeploy runs.
    let registered =
        taskdef_artifact.replace("<IMAGE1_NAME>", image_detail["ImageURI"].as_str().unwrap());
    let (rendered_taskdef, rendered_appspec) = deployer_render(&image_uri, None);
    assert!(
        registered == rendered_taskdef,
        "pipeline and deployer render differ:\n--- pipeline\n{registered}\n--- deployer render\n{rendered_taskdef}"
    );
    assert_eq!(appspec_artifact, rendered_appspec);
    let (_, rendered_appspec_arn) = deployer_render(&image_uri, Some(TD_ARN));
    assert_eq!(
        appspec_artifact.replace("<TASK_DEFINITION>", TD_ARN),
        rendered_appspec_arn
    );

    // The image was built from this commit, tagged by it, pushed; never `latest`.
    let registry = o.ecr_repository_url.split('/').next().unwrap();
    assert!(run
        .log
        .contains(&format!("aws ecr get-login-password --region {}", o.region)));
    assert!(run.log.contains(&format!(
        "docker login --username AWS --password-stdin {registry}"
    )));
    assert!(
        run.log.contains("login-password stub-ecr-password"),
        "{}",
        run.log
    );
    let build = run
        .log
        .lines()
        .find(|l| l.starts_with("docker buildx build"))
        .unwrap_or_else(|| panic!("no docker buildx build in:\n{}", run.log));
    for needle in [
        format!("--build-arg GIT_COMMIT={COMMIT}"),
        format!("--tag {image_uri}"),
        "--push".to_owned(),
        "--target runtime".to_owned(),
        // One linux/amd64 image (taskdef.json: X86_64), no provenance index: an attestation index would be
        // what ECR stores under the tag, and ECS would pull the index, not the image.
        "--platform linux/amd64".to_owned(),
        "--provenance=false".to_owned(),
        format!(
            "--cache-to type=local,dest={}.new,mode=max",
            cache_dir.display()
        ),
    ] {
        assert!(build.contains(&needle), "{needle:?} missing in: {build}");
    }
    assert!(!build.contains("--cache-from"), "no cache yet: {build}");
    assert!(!run.log.contains("latest"), "{}", run.log);
    let version = build
        .split("--build-arg VERSION=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap();
    let app_manifest = std::fs::read_to_string(repo_root().join("app/Cargo.toml")).unwrap();
    assert!(
        app_manifest.contains(&format!("\nversion = \"{version}\"\n")),
        "VERSION={version} is app/Cargo.toml's version"
    );

    // The cache is kept where CodeBuild saves it, and used by the next build.
    assert!(cache_dir.join("index.json").exists());
    let staging = PathBuf::from(format!("{}.new", cache_dir.display()));
    assert!(!staging.exists(), "the exported cache was moved into place");
    assert!(
        spec.cache_paths
            .iter()
            .any(|p| p.starts_with(&spec.variables["BUILDX_CACHE_DIR"])),
        "cache.paths {:?} must cover BUILDX_CACHE_DIR {}",
        spec.cache_paths,
        spec.variables["BUILDX_CACHE_DIR"]
    );
    let second = run_buildspec(&spec, &cache_dir, &[]);
    assert!(second.status.success(), "{}", second.stderr);
    assert!(
        second.log.contains(&format!(
            "--cache-from type=local,src={}",
            cache_dir.display()
        )),
        "{}",
        second.log
    );
}

#[test]
fn rebuild_of_a_pushed_commit_reuses_the_image() {
    let spec = load_buildspec();
    let cache = tempfile::tempdir().unwrap();
    let run = run_buildspec(
        &spec,
        &cache.path().join("c"),
        &[("STUB_IMAGE_EXISTS", Some("1"))],
    );
    assert!(run.status.success(), "{}", run.stderr);
    assert!(run.log.contains("aws ecr describe-images"), "{}", run.log);
    assert!(!run.log.contains("docker buildx build"), "{}", run.log);
    assert!(run.dir.path().join("src/imageDetail.json").exists());
}

#[test]
fn missing_codebuild_variable_fails_before_anything_is_written() {
    let spec = load_buildspec();
    let cache = tempfile::tempdir().unwrap();
    for (var, needle) in [
        ("EXECUTION_ROLE_ARN", "EXECUTION_ROLE_ARN is unset"),
        ("ECR_REPOSITORY_URL", "ECR_REPOSITORY_URL is not set"),
        (
            "CODEBUILD_RESOLVED_SOURCE_VERSION",
            "CODEBUILD_RESOLVED_SOURCE_VERSION is not set",
        ),
    ] {
        let run = run_buildspec(&spec, &cache.path().join("c"), &[(var, None)]);
        assert!(!run.status.success(), "{var} unset must fail");
        assert!(run.stderr.contains(needle), "{var}: {}", run.stderr);
        let src = run.dir.path().join("src");
        assert!(!src.join("imageDetail.json").exists());
        assert_eq!(
            std::fs::read_to_string(src.join("taskdef.json")).unwrap(),
            deployer_models::render::Templates::find(None, None)
                .unwrap()
                .taskdef
                .text
        );
        assert!(!run.log.contains("docker buildx build"));
    }
    let run = run_buildspec(
        &spec,
        &cache.path().join("c"),
        &[("LOG_GROUP", Some("/ecs/demo|x"))],
    );
    assert!(!run.status.success());
    assert!(run.stderr.contains("LOG_GROUP"), "{}", run.stderr);
}
