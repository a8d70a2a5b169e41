//! A build that fails leaves the BuildKit cache as it was.
//!
//! `buildspec.yml` exports the BuildKit cache to `$BUILDX_CACHE_DIR.new`, then replaces the
//! contents of `$BUILDX_CACHE_DIR` with it (CodeBuild saves that directory to S3). Each
//! multi-line command starts with `set -euo pipefail`: without it, a failed
//! `docker buildx build` went on to empty the cache directory and failed only at the `mv`,
//! so the next build (CodeBuild uploads the cache whatever the outcome) started cold.
//!
//! The local CodeBuild runs the repository's own `buildspec.yml` unchanged; the `docker`
//! stand-in builds `demo` with cargo, so a commit with a syntax error fails at the build
//! line as it would in the Dockerfile's builder stage. The test fills the cache directory
//! with known files, runs the broken commit's build and compares every file afterwards.
//!
//! It uses only the emulator's build API, as `local_build.rs` does, and shares that
//! module's cargo target directory for the stand-in's builds (`<target>/local-codebuild`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Duration;

use deployer_emulator::codebuild::logs::MemoryLogs;
use deployer_emulator::codebuild::model::{Build, BuildStatus, PhaseType};
use deployer_emulator::codebuild::runner::{self, RunSpec};
use deployer_emulator::codepipeline::source;

// The local CodeBuild set-up (stand-ins, the throwaway repository) that local_build.rs uses too.
use crate::local_build::{env, repository, sh, Env, REGION, REGISTRY};

/// Every entry under `dir`: relative path -> file contents (`None` for a directory).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(base).unwrap().to_path_buf();
            if path.is_dir() {
                out.insert(rel, None);
                walk(base, &path, out);
            } else {
                out.insert(rel, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn a_build_that_does_not_compile_leaves_the_buildkit_cache_as_it_was() {
    let Env { root, bin, .. } = env();

    // The cache a previous build exported (the shape of BuildKit's type=local export).
    let cache = root.path().join("state/codebuild/cache/demo-buildx");
    let blobs = cache.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(
        cache.join("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[]}\n",
    )
    .unwrap();
    std::fs::write(
        cache.join("oci-layout"),
        "{\"imageLayoutVersion\":\"1.0.0\"}\n",
    )
    .unwrap();
    std::fs::write(blobs.join("0123abcd"), b"a cached layer\n").unwrap();
    let before = snapshot(&cache);

    // A commit that does not compile.
    let (work, bare, _) = repository(root.path());
    sh(
        &work,
        "printf '\\nfn broken( {{\\n' >> app/src/main.rs && git commit -qam 'broken build' && git push -q local main",
    );
    let commit = sh(&work, "git rev-parse HEAD");

    let dir = root.path().join("state/codebuild/builds/1");
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
            ("BUILDX_CACHE_DIR".into(), cache.display().to_string()),
        ],
        path_prefix: vec![bin],
        timeout: Duration::from_secs(1800),
        state_dir: None,
        on_change: None,
    };
    let record = Mutex::new(Build::new(
        "demo",
        &format!("arn:aws:codebuild:{REGION}:{REGISTRY}"),
        1,
        &commit,
        "codepipeline/demo",
        0.0,
    ));
    let logs = MemoryLogs::default();
    let commit_owned = commit.clone();
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
    let lines: Vec<String> = logs
        .tail(&b.log_group, &b.log_stream, usize::MAX)
        .into_iter()
        .map(|e| e.message)
        .collect();
    let log = lines.join("\n");

    // It failed where it should: the image build, with the compiler's error.
    assert_eq!(b.status, BuildStatus::Failed, "{log}");
    assert_eq!(
        b.phases
            .iter()
            .find(|p| p.kind == PhaseType::Build)
            .and_then(|p| p.status),
        Some(BuildStatus::Failed),
        "{log}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ERROR: failed to solve: process")),
        "the build failed at docker buildx build:\n{log}"
    );

    // The cache directory holds exactly what it held before.
    let after = if cache.is_dir() {
        snapshot(&cache)
    } else {
        BTreeMap::new()
    };
    let names = |s: &BTreeMap<PathBuf, Option<Vec<u8>>>| {
        s.keys()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&after),
        names(&before),
        "the failed build changed the cache directory's entries:\n{log}"
    );
    assert!(
        after == before,
        "the failed build changed a cache file's contents:\n{log}"
    );
}
