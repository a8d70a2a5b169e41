//! `deployer local push TAG...`: the local `docker build && docker push`. Builds the
//! working tree's `demo` the way the local CodeBuild builds it (the `docker` stand-in's
//! [`build_demo`], in the same shared cargo target directory) and pushes it to the local
//! ECR of a state dir as `demo:TAG`; or pushes a binary built elsewhere (`--binary`).
//!
//! Every tag is checked before the build starts (ECR's tag syntax; tags are immutable, so
//! one that exists is refused with ECR's ImageTagAlreadyExistsException message): a
//! refusal costs nothing and changes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::backend::{valid_tag, ImageError, ImageRecord, ImageStore};
use crate::codebuild::standin::build_demo;
use crate::codepipeline::driver::{build_target_dir, ECR_DIR};
use crate::names::{ACCOUNT_ID, ECR_REPOSITORY};

/// What to push where.
#[derive(Debug, Clone)]
pub struct PushRequest {
    pub state_dir: PathBuf,
    pub tags: Vec<String>,
    /// The working tree to build (`docker build CONTEXT`).
    pub context: PathBuf,
    /// A binary to push instead of building the working tree.
    pub binary: Option<PathBuf>,
}

/// Why a push did not happen. `Refused` is the caller's input (exit 2): nothing was
/// built or written.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

/// Checks, builds (unless a binary is given) and pushes; returns one record per tag.
pub fn push(req: &PushRequest) -> Result<Vec<ImageRecord>, PushError> {
    let store = ImageStore::new(req.state_dir.join(ECR_DIR), ACCOUNT_ID);
    if !store.repository_exists(ECR_REPOSITORY) {
        return Err(PushError::Refused(format!(
            "no local ECR in {}: `deployer local up` creates it (with the repository {ECR_REPOSITORY})",
            req.state_dir.display()
        )));
    }
    if req.tags.is_empty() {
        return Err(PushError::Refused("give at least one TAG".into()));
    }
    for (i, tag) in req.tags.iter().enumerate() {
        if !valid_tag(tag) {
            return Err(PushError::Refused(format!(
                "TAG {tag:?}: {}",
                ImageError::InvalidTag(tag.clone())
            )));
        }
        if req.tags[..i].contains(tag) {
            return Err(PushError::Refused(format!("TAG {tag:?} is given twice")));
        }
        if store.get(ECR_REPOSITORY, tag).is_some() {
            return Err(PushError::Refused(format!(
                "TAG {tag:?}: ImageTagAlreadyExistsException: {} Push under a new tag.",
                ImageError::TagAlreadyExists {
                    repository: ECR_REPOSITORY.into(),
                    tag: tag.clone()
                }
            )));
        }
    }
    // `_built` holds the local builds' lock until the binary is pushed.
    let (binary, commit, _built) = match &req.binary {
        Some(b) => {
            if !b.is_file() {
                return Err(PushError::Refused(format!(
                    "--binary {}: no such file",
                    b.display()
                )));
            }
            (b.clone(), "unknown".to_string(), None)
        }
        None => {
            let commit = working_tree_commit(&req.context);
            let built = build_demo(&req.context, &commit, &build_target_dir())
                .map_err(PushError::Failed)?;
            (built.path.clone(), commit, Some(built))
        }
    };
    let mut out: Vec<ImageRecord> = Vec::new();
    for tag in &req.tags {
        let rec = match out.first() {
            None => store.put(ECR_REPOSITORY, tag, &binary, &commit, tag),
            Some(first) => store.tag(ECR_REPOSITORY, tag, &first.digest),
        }
        .map_err(|e| match e {
            // Pushed by someone else since the check.
            ImageError::TagAlreadyExists { .. } => PushError::Refused(e.to_string()),
            e => PushError::Failed(e.to_string()),
        })?;
        out.push(rec);
    }
    Ok(out)
}

/// The commit the build reports: `git rev-parse --short HEAD` of the working tree, with
/// `-dirty` when it has changes (a build of uncommitted code must not pass for the
/// commit); `unknown` outside a git checkout.
fn working_tree_commit(dir: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(head) if !head.is_empty() => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{head}-dirty")
            } else {
                head
            }
        }
        _ => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_come_before_any_build_or_write() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::write(&bin, b"demo").unwrap();
        let req = |tags: &[&str], binary: Option<PathBuf>| PushRequest {
            state_dir: dir.path().to_path_buf(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            context: dir.path().to_path_buf(),
            binary,
        };
        let refused = |r: Result<Vec<ImageRecord>, PushError>| match r {
            Err(PushError::Refused(m)) => m,
            other => panic!("not refused: {other:?}"),
        };
        assert!(refused(push(&req(&["v1"], Some(bin.clone())))).contains("deployer local up"));
        let store = ImageStore::new(dir.path().join(ECR_DIR), ACCOUNT_ID);
        store.create_repository(ECR_REPOSITORY).unwrap();
        let recs = push(&req(&["v1", "v1b"], Some(bin.clone()))).unwrap();
        assert_eq!(recs[0].digest, recs[1].digest);
        let m = refused(push(&req(&["v2", "v1"], Some(bin.clone()))));
        assert!(
            m.contains("ImageTagAlreadyExistsException") && m.contains("'v1'"),
            "{m}"
        );
        assert!(store.get(ECR_REPOSITORY, "v2").is_none(), "nothing pushed");
        assert!(refused(push(&req(&["bad tag"], Some(bin.clone())))).contains("bad tag"));
        assert!(refused(push(&req(&["v3"], Some(dir.path().join("none"))))).contains("--binary"));
    }
}
