//! UPLOAD_ARTIFACTS: the files `artifacts.files` names, collected as CodeBuild does.
//!
//! Each entry is a path or a glob (`**` crosses directories) relative to
//! `artifacts.base-directory` (else the source root); matched files are copied keeping
//! their path under that base, or flat with `discard-paths: yes`. An entry that matches
//! no file is logged as CodeBuild logs it (`Skipping invalid file path <entry>`) and fails
//! the phase with CodeBuild's `CLIENT_ERROR: no matching artifact paths found`. (CodeBuild
//! fails that way when nothing matches; for a list where only some entries match, its
//! documentation says nothing, and the local runner takes the strict side: every entry
//! the buildspec lists must exist, since CodeDeployToECS needs all three files.)

use std::path::{Path, PathBuf};

use super::buildspec::Artifacts;

/// CodeBuild's phase context for artifacts that are not there.
pub(crate) const NO_MATCH_CODE: &str = "CLIENT_ERROR";
pub(crate) const NO_MATCH_MESSAGE: &str = "no matching artifact paths found";

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Collected {
    /// Paths inside the output directory, in the buildspec's order.
    pub(crate) files: Vec<PathBuf>,
    /// Log lines as CodeBuild writes them during UPLOAD_ARTIFACTS.
    pub(crate) log: Vec<String>,
    /// `Some((code, message))` when the phase fails.
    pub(crate) failure: Option<(String, String)>,
}

/// Copies the artifacts of `spec` from `src` into `out` (created if needed).
pub(crate) fn collect(spec: &Artifacts, src: &Path, out: &Path) -> Collected {
    let base_rel = spec.base_directory.clone().unwrap_or_else(|| ".".into());
    let base = src.join(&base_rel);
    let mut log = vec![
        format!("Expanding base directory path: {base_rel}"),
        "Assembling file list".to_string(),
        format!("Expanding {base_rel}"),
        format!("Expanding file paths for base directory {base_rel}"),
        "Assembling file list".to_string(),
    ];
    let mut files = Vec::new();
    let mut missing = false;
    let fail = |log: Vec<String>, code: &str, message: String| Collected {
        files: Vec::new(),
        log,
        failure: Some((code.to_string(), message)),
    };
    if let Err(e) = std::fs::create_dir_all(out) {
        return fail(
            log,
            "CLIENT_ERROR",
            format!("cannot create {}: {e}", out.display()),
        );
    }
    for entry in &spec.files {
        log.push(format!("Expanding {entry}"));
        let matched = match matches(&base, entry) {
            Ok(m) => m,
            Err(reason) => {
                log.push(format!("Skipping invalid file path {entry}"));
                return fail(log, "CLIENT_ERROR", reason);
            }
        };
        if matched.is_empty() {
            log.push(format!("Skipping invalid file path {entry}"));
            missing = true;
            continue;
        }
        for rel in matched {
            let dest_rel = if spec.discard_paths {
                PathBuf::from(rel.file_name().unwrap_or_default())
            } else {
                rel.clone()
            };
            let dest = out.join(&dest_rel);
            let copied = dest
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::copy(base.join(&rel), &dest));
            if let Err(e) = copied {
                return fail(
                    log,
                    "CLIENT_ERROR",
                    format!("cannot copy {}: {e}", rel.display()),
                );
            }
            if !files.contains(&dest_rel) {
                files.push(dest_rel);
            }
        }
    }
    if missing || files.is_empty() {
        return fail(log, NO_MATCH_CODE, NO_MATCH_MESSAGE.to_string());
    }
    Collected {
        files,
        log,
        failure: None,
    }
}

/// Regular files under `base` that `pattern` matches, relative to `base`, sorted.
fn matches(base: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let rel = pattern.trim_start_matches("./");
    if Path::new(rel).is_absolute() || rel.split('/').any(|c| c == "..") {
        return Err(format!(
            "artifact path {pattern:?} leaves the base directory"
        ));
    }
    let full = format!("{}/{}", glob::Pattern::escape(&base.to_string_lossy()), rel);
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let paths = glob::glob_with(&full, opts)
        .map_err(|e| format!("artifact path {pattern:?} is not a valid pattern: {e}"))?;
    let mut out: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .filter_map(|p| p.strip_prefix(base).ok().map(Path::to_path_buf))
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, f.as_bytes()).unwrap();
        }
        dir
    }

    fn spec(files: &[&str]) -> Artifacts {
        Artifacts {
            files: files.iter().map(|s| s.to_string()).collect(),
            ..Artifacts::default()
        }
    }

    #[test]
    fn named_files_are_copied() {
        let src = tree(&["imageDetail.json", "taskdef.json", "appspec.yaml", "other"]);
        let out = tempfile::tempdir().unwrap();
        let c = collect(
            &spec(&["imageDetail.json", "taskdef.json", "appspec.yaml"]),
            src.path(),
            out.path(),
        );
        assert_eq!(c.failure, None);
        assert_eq!(
            c.files,
            [
                PathBuf::from("imageDetail.json"),
                "taskdef.json".into(),
                "appspec.yaml".into()
            ]
        );
        assert_eq!(
            std::fs::read_to_string(out.path().join("taskdef.json")).unwrap(),
            "taskdef.json"
        );
        assert!(!out.path().join("other").exists());
    }

    #[test]
    fn a_missing_file_fails_with_codebuilds_message() {
        let src = tree(&["taskdef.json", "appspec.yaml"]);
        let out = tempfile::tempdir().unwrap();
        let c = collect(
            &spec(&["imageDetail.json", "taskdef.json", "appspec.yaml"]),
            src.path(),
            out.path(),
        );
        assert_eq!(
            c.failure,
            Some((
                "CLIENT_ERROR".into(),
                "no matching artifact paths found".into()
            ))
        );
        assert!(c
            .log
            .contains(&"Skipping invalid file path imageDetail.json".to_string()));
    }

    #[test]
    fn globs_keep_or_discard_paths() {
        let src = tree(&["dist/a.txt", "dist/sub/b.txt", "top.txt"]);
        let out = tempfile::tempdir().unwrap();
        let c = collect(&spec(&["dist/**/*"]), src.path(), out.path());
        assert_eq!(c.failure, None);
        assert_eq!(
            c.files,
            [PathBuf::from("dist/a.txt"), PathBuf::from("dist/sub/b.txt")]
        );
        let out2 = tempfile::tempdir().unwrap();
        let flat = Artifacts {
            files: vec!["**/*".into()],
            base_directory: Some("dist".into()),
            discard_paths: true,
        };
        let c = collect(&flat, src.path(), out2.path());
        assert_eq!(c.failure, None);
        assert_eq!(c.files, [PathBuf::from("a.txt"), PathBuf::from("b.txt")]);
        assert!(out2.path().join("b.txt").is_file());
    }

    #[test]
    fn paths_outside_the_base_are_refused() {
        let src = tree(&["a"]);
        let out = tempfile::tempdir().unwrap();
        let c = collect(&spec(&["../a"]), src.path(), out.path());
        let (code, msg) = c.failure.unwrap();
        assert_eq!(code, "CLIENT_ERROR");
        assert!(msg.contains("leaves the base directory"), "{msg}");
    }
}
