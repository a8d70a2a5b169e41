//! The local CodeBuild runs the repository's own `buildspec.yml`, unchanged, on a commit
//! pushed to the stack's bare repository: the `docker`/`aws` stand-ins build `demo` at
//! that commit into the local ECR, the artifacts are the three files CodeDeployToECS
//! reads. A commit that does not compile fails the BUILD phase and leaves no image.
//!
//! One cargo target directory (`<target>/local-codebuild`) serves every build of every
//! run, as CodeBuild's cache does: the first run pays for a release build of demo's
//! dependencies, later builds recompile the `demo` crate only.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Duration;

use deployer_emulator::codebuild::logs::MemoryLogs;
use deployer_emulator::codebuild::model::{Build, BuildStatus, PhaseType};
use deployer_emulator::codebuild::runner::{self, RunSpec};
use deployer_emulator::codebuild::standin::{self, StandInConfig};
use deployer_emulator::codepipeline::source;
use deployer_emulator::ecr::backend::ImageStore;

pub(crate) const REGION: &str = "us-east-1";
pub(crate) const REGISTRY: &str = "000000000000";

pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the deployer crate is in the workspace")
        .to_path_buf()
}

/// `<target>/local-codebuild`, next to this test's own build.
pub(crate) fn shared_target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DEPLOYER_LOCAL_BUILD_TARGET_DIR") {
        return dir.into();
    }
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_deployer"));
    exe.parent()
        .and_then(Path::parent)
        .expect("the deployer binary is in <target>/<profile>/")
        .join("local-codebuild")
}

pub(crate) fn sh(dir: &Path, script: &str) -> String {
    let out = Command::new("bash")
        .arg("-ec")
        .arg(script)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{script}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A throwaway git repository at `root/work` (branch `main`, one commit) holding the
/// workspace's tracked files as they are on disk; returns (work tree, commit).
pub(crate) fn working_copy(root: &Path) -> (PathBuf, String) {
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let ws = workspace();
    let files = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&ws)
        .output()
        .expect("git runs (apt-get install git)");
    assert!(
        files.status.success(),
        "the workspace must be a git checkout: {}",
        String::from_utf8_lossy(&files.stderr)
    );
    for rel in files.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let rel = Path::new(std::str::from_utf8(rel).unwrap());
        let src = ws.join(rel);
        if !src.is_file() {
            continue; // deleted in the work tree
        }
        let dest = work.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&src, &dest).unwrap();
    }
    sh(
        &work,
        "git init -q -b main . && git add -A && git commit -qm 'workspace as it is'",
    );
    let commit = sh(&work, "git rev-parse HEAD");
    (work, commit)
}

/// [`working_copy`], pushed to a fresh bare "local remote" (remote `local`); returns
/// (work tree, bare repo, commit).
pub(crate) fn repository(root: &Path) -> (PathBuf, PathBuf, String) {
    let (work, commit) = working_copy(root);
    let bare = root.join("state/source.git");
    source::init(&bare, &root.join("state/pushes")).unwrap();
    sh(
        &work,
        &format!(
            "git remote add local '{}' && git push -q local main",
            bare.display()
        ),
    );
    (work, bare, commit)
}

pub(crate) struct Env {
    pub(crate) root: tempfile::TempDir,
    pub(crate) cfg: StandInConfig,
    pub(crate) bin: PathBuf,
}

/// A temporary state dir with the local ECR's `demo` repository and the `docker`/`aws`
/// stand-ins written, as the stack prepares them for its CodeBuild.
pub(crate) fn env() -> Env {
    let root = tempfile::tempdir().unwrap();
    let cfg = StandInConfig {
        ecr_dir: root.path().join("state/ecr"),
        docker_dir: root.path().join("state/codebuild/docker"),
        target_dir: shared_target_dir(),
        registry_id: REGISTRY.into(),
        region: REGION.into(),
    };
    ImageStore::new(&cfg.ecr_dir, REGISTRY)
        .create_repository("demo")
        .unwrap();
    let bin = root.path().join("state/codebuild/bin");
    standin::write_scripts(&bin, Path::new(env!("CARGO_BIN_EXE_deployer")), &cfg).unwrap();
    Env { root, cfg, bin }
}

/// Runs one build of `commit` from `bare`, as the pipeline's Build action does.
fn build(env: &Env, bare: &Path, commit: &str, n: u64) -> (Build, Vec<String>, PathBuf) {
    let dir = env.root.path().join(format!("state/codebuild/builds/{n}"));
    let spec = RunSpec {
        source_dir: dir.join("src"),
        artifacts_dir: dir.join("artifacts"),
        work_dir: dir.join("work"),
        region: REGION.into(),
        project_env: vec![
            (
                "ECR_REPOSITORY_URL".into(),
                format!("{REGISTRY}.dkr.ecr.{REGION}.amazonaws.com/demo"),
            ),
            (
                "EXECUTION_ROLE_ARN".into(),
                format!("arn:aws:iam::{REGISTRY}:role/demo-ecs-task-execution"),
            ),
            (
                "TASK_ROLE_ARN".into(),
                format!("arn:aws:iam::{REGISTRY}:role/demo-ecs-task"),
            ),
            ("LOG_GROUP".into(), "/ecs/demo".into()),
            (
                "BUILDX_CACHE_DIR".into(),
                env.root
                    .path()
                    .join("state/codebuild/cache/demo-buildx")
                    .display()
                    .to_string(),
            ),
        ],
        path_prefix: vec![env.bin.clone()],
        timeout: Duration::from_secs(1800),
        state_dir: None,
        on_change: None,
    };
    let record = Mutex::new(Build::new(
        "demo",
        &format!("arn:aws:codebuild:{REGION}:{REGISTRY}"),
        n,
        commit,
        "codepipeline/demo",
        0.0,
    ));
    let logs = MemoryLogs::default();
    let bare = bare.to_path_buf();
    let commit_owned = commit.to_string();
    runner::run(
        &record,
        &spec,
        &logs,
        &AtomicBool::new(false),
        &move |dest: &Path| {
            source::export(&bare, &commit_owned, dest).map_err(|e| format!("{e:#}"))
        },
    );
    let b = record.into_inner().unwrap();
    let lines = logs
        .tail(&b.log_group, &b.log_stream, usize::MAX)
        .into_iter()
        .map(|e| e.message)
        .collect();
    (b, lines, spec.artifacts_dir)
}

fn phase_status(b: &Build, kind: PhaseType) -> Option<BuildStatus> {
    b.phases
        .iter()
        .find(|p| p.kind == kind)
        .and_then(|p| p.status)
}

#[test]
fn the_repository_buildspec_builds_the_commit_then_a_broken_commit_fails_its_build() {
    let env = env();
    let (work, bare, commit) = repository(env.root.path());
    let (b, lines, artifacts) = build(&env, &bare, &commit, 1);
    assert_eq!(
        b.status,
        BuildStatus::Succeeded,
        "build log:\n{}",
        lines.join("\n")
    );
    let image_uri = format!("{REGISTRY}.dkr.ecr.{REGION}.amazonaws.com/demo:{commit}");
    let detail: serde_json::Value =
        serde_json::from_slice(&std::fs::read(artifacts.join("imageDetail.json")).unwrap())
            .unwrap();
    assert_eq!(detail["ImageURI"], image_uri.as_str());
    let taskdef = std::fs::read_to_string(artifacts.join("taskdef.json")).unwrap();
    assert!(
        taskdef.contains("\"image\": \"<IMAGE1_NAME>\""),
        "{taskdef}"
    );
    assert!(taskdef.contains(&format!(
        "arn:aws:iam::{REGISTRY}:role/demo-ecs-task-execution"
    )));
    assert!(!taskdef.contains("<LOG_GROUP>") && taskdef.contains("/ecs/demo"));
    let appspec = std::fs::read_to_string(artifacts.join("appspec.yaml")).unwrap();
    assert!(appspec.contains("<TASK_DEFINITION>"));
    let store = ImageStore::new(&env.cfg.ecr_dir, REGISTRY);
    let image = store
        .get("demo", &commit)
        .expect("the image is in the local ECR");
    assert_eq!(image.commit, commit);
    let demo = store.binary("demo", &commit).unwrap();
    let help = Command::new(&demo).arg("--version").output().unwrap();
    assert!(help.status.success(), "the image's binary runs");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Running command aws ecr get-login-password")),
        "{}",
        lines.join("\n")
    );
    assert!(lines.iter().any(|l| l == "Login Succeeded"));

    // The same commit again: the buildspec finds the image and does not rebuild.
    let (b2, lines2, _) = build(&env, &bare, &commit, 2);
    assert_eq!(b2.status, BuildStatus::Succeeded, "{}", lines2.join("\n"));
    assert!(
        lines2
            .iter()
            .any(|l| l.contains("is already in ECR; not rebuilding")),
        "{}",
        lines2.join("\n")
    );

    // A commit that does not compile: BUILD fails, no image, POST_BUILD skipped (ABORT).
    sh(
        &work,
        "printf '\\nfn broken( {{\\n' >> app/src/main.rs && git commit -qam 'broken build' && git push -q local main",
    );
    let broken = sh(&work, "git rev-parse HEAD");
    let (b3, lines3, _) = build(&env, &bare, &broken, 3);
    assert_eq!(b3.status, BuildStatus::Failed, "{}", lines3.join("\n"));
    assert_eq!(
        phase_status(&b3, PhaseType::Build),
        Some(BuildStatus::Failed)
    );
    assert!(!b3.phases.iter().any(|p| p.kind == PhaseType::PostBuild));
    assert!(
        store.get("demo", &broken).is_none(),
        "no image for a failed build"
    );
    assert!(
        lines3.iter().any(|l| l.contains("error")),
        "the compiler's error is in the build log:\n{}",
        lines3.join("\n")
    );
    assert!(lines3
        .iter()
        .any(|l| l.contains("ERROR: failed to solve: process")));
}

/// `deployer local push TAG` builds the working tree as the local CodeBuild does and pushes
/// it: two commits pushed under two tags are two images (two digests), a tag that exists is
/// refused before any build, and a deployment of each tag runs that tag's own binary (the
/// commit it reports at GET /).
#[test]
fn local_push_builds_the_working_tree_and_each_task_runs_its_own_image() {
    let root = tempfile::tempdir().unwrap();
    let (work, _bare, _) = repository(root.path());
    let stack = crate::support::LocalStack::start();
    let push = |tag: &str| {
        stack
            .deployer()
            .current_dir(&work)
            .env("DEPLOYER_LOCAL_BUILD_TARGET_DIR", shared_target_dir())
            .args(["--output", "json", "local", "push", tag])
            .output()
            .expect("run deployer local push")
    };
    let pushed = |tag: &str| {
        let out = push(tag);
        assert!(
            out.status.success(),
            "local push {tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON")
    };
    let first_commit = sh(&work, "git rev-parse --short HEAD");
    let one = pushed("build-1");
    sh(&work, "git commit -q --allow-empty -m 'a second commit'");
    let second_commit = sh(&work, "git rev-parse --short HEAD");
    let two = pushed("build-2");
    assert_eq!(one["commit"], first_commit.as_str());
    assert_eq!(two["commit"], second_commit.as_str());
    assert_ne!(one["digest"], two["digest"], "two builds, two images");

    let again = push("build-1");
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("ImageTagAlreadyExistsException") && !err.contains("#1 [local]"),
        "refused before building: {err}"
    );

    for (tag, commit) in [("build-1", &first_commit), ("build-2", &second_commit)] {
        let out = stack
            .deployer()
            .args(["deploy", "--image", &format!("demo:{tag}")])
            .args(["--interval", "200ms", "--timeout", "90s"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "deploy demo:{tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (status, body) =
            crate::support::http_get_with(&stack.nlb_url, "/", &[("Accept", "application/json")])
                .unwrap();
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["commit"], commit.as_str(), "{body}");
        assert_eq!(v["version"], tag, "{body}");
    }
}
