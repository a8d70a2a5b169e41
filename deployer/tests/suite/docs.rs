//! The docs stay true: each shell block in README.md and docs/ marked
//! `<!-- runs in a test: deployer/tests/suite/docs.rs -->` (on the line before its fence)
//! is run here as written, with `bash -euo pipefail`, against a local stack of its own: the
//! binaries under test first on PATH, a temporary state dir, ports picked by the OS. The
//! stack is stopped afterwards whatever happened (`deployer local down`, then a check that
//! no process of it is left).
//!
//! A block that changes the repository it runs in (adds a git remote, pushes, commits) is
//! marked `<!-- runs in a test, in a copy of the repository: deployer/tests/suite/docs.rs -->`
//! and runs in a throwaway git repository holding the workspace's files, its local builds
//! in the test run's shared build cache (`<target>/local-codebuild`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support;

const MARK: &str = "<!-- runs in a test: deployer/tests/suite/docs.rs -->";
const MARK_IN_COPY: &str =
    "<!-- runs in a test, in a copy of the repository: deployer/tests/suite/docs.rs -->";

/// Where a marked block runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    /// The workspace itself.
    Workspace,
    /// A throwaway repository with the workspace's files.
    Copy,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// The marked shell blocks of a markdown file: (line of the fence, the block's text, where
/// it runs).
fn marked_blocks(text: &str) -> Vec<(usize, String, Place)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let place = match lines[i].trim() {
            MARK => Some(Place::Workspace),
            MARK_IN_COPY => Some(Place::Copy),
            _ => None,
        };
        if let Some(place) = place {
            let fence = i + 1;
            assert!(
                lines.get(fence).is_some_and(|l| l.starts_with("```sh")),
                "line {}: the mark must stand right before a ```sh fence",
                i + 1
            );
            let end = (fence + 1..lines.len())
                .find(|&j| lines[j].starts_with("```"))
                .unwrap_or_else(|| panic!("line {}: unclosed code block", fence + 1));
            blocks.push((fence + 1, lines[fence + 1..end].join("\n"), place));
            i = end;
        }
        i += 1;
    }
    blocks
}

/// The markdown files whose blocks can be marked.
fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

fn run_block(file: &Path, line: usize, block: &str, place: Place) {
    let state = support::temp_state_dir();
    let copy = tempfile::tempdir().unwrap();
    let dir = match place {
        Place::Workspace => repo(),
        Place::Copy => crate::local_build::working_copy(copy.path()).0,
    };
    let bin_dir = support::deployer_bin().parent().unwrap().to_path_buf();
    let demo_dir = support::demo_bin().parent().unwrap().to_path_buf();
    let path = std::env::join_paths([bin_dir, demo_dir].into_iter().chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let with_env = |cmd: &mut Command| {
        cmd.current_dir(&dir)
            .env("PATH", &path)
            .env(
                "DEPLOYER_LOCAL_BUILD_TARGET_DIR",
                crate::local_build::shared_target_dir(),
            )
            .env("DEPLOYER_LOCAL_STATE_DIR", state.path())
            .env("DEPLOYER_LOCAL_API_PORT", "0")
            .env("DEPLOYER_LOCAL_NLB_PORT", "0")
            .env("DEPLOYER_LOCAL_TEST_PORT", "0")
            .env("DEPLOYER_DEMO_BIN", support::demo_bin())
            .env("DEPLOYER_HOOK_BIN", support::hook_bin())
            .env_remove("DEPLOYER_OUTPUTS")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL");
    };
    let mut cmd = Command::new("bash");
    cmd.args(["-euo", "pipefail", "-c", block]);
    with_env(&mut cmd);
    let out = cmd.output().expect("run bash");

    // Whatever the block did, nothing of its stack may outlive the test.
    let mut down = Command::new(support::deployer_bin());
    down.args(["local", "down"]);
    with_env(&mut down);
    let _ = down.output();
    let left = support::processes_using(state.path(), Duration::from_secs(10));

    assert!(
        out.status.success(),
        "{}:{line}: the block exited {:?}\n--- stdout\n{}\n--- stderr\n{}",
        file.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        left.is_empty(),
        "{}:{line}: processes of the block's stack left running: {left:?}",
        file.display()
    );
}

#[test]
fn marked_blocks_in_the_docs_run_as_written() {
    let mut blocks = Vec::new();
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, block, place) in marked_blocks(&text) {
            blocks.push((file.clone(), line, block, place));
        }
    }
    let ran = blocks.len();
    // Each block has a stack of its own: they run at once (mostly waiting on deployments).
    std::thread::scope(|s| {
        let runs: Vec<_> = blocks
            .iter()
            .map(|(file, line, block, place)| {
                s.spawn(move || run_block(file, *line, block, *place))
            })
            .collect();
        let failures: Vec<String> = runs
            .into_iter()
            .filter_map(|r| r.join().err())
            .map(|e| {
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "a block's thread panicked".to_owned())
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    });
    // README's "manual rollouts in five commands" at least: a mark lost in an edit must not
    // turn this test into one that runs nothing.
    assert!(ran >= 1, "no marked block found in README.md or docs/");
}

#[test]
fn the_marks_find_their_blocks() {
    let text = format!(
        "intro\n{MARK}\n```sh\necho one\necho two\n```\n```sh\nnot marked\n```\n\
         {MARK_IN_COPY}\n```sh\ngit push\n```\n"
    );
    assert_eq!(
        marked_blocks(&text),
        vec![
            (3, "echo one\necho two".to_owned(), Place::Workspace),
            (11, "git push".to_owned(), Place::Copy),
        ]
    );
}
