//! The pipeline's source: a bare git repository in the stack's state dir, served as a
//! remote over its file path (`git remote add local <dir>`), and the detection of pushes
//! to `main`.
//!
//! Detection: a `post-receive` hook, not polling refs. The hook sees every push with its
//! old and new commit, even two pushes within one polling interval (polling would see
//! only the last, and would need a `git` process per poll); it writes one small file per
//! push into a spool directory (written aside, then renamed: the stack never reads half
//! of one) and tells the pusher on `remote:` lines. The stack reads the spool every
//! quarter second (a directory listing, no process). A push while no stack runs stays in
//! the spool and starts an execution when the stack starts, as a webhook delivery that
//! is retried would.
//!
//! Source artifact: CodePipeline's `CODE_ZIP` is the commit's tree without `.git`;
//! locally `git archive <commit>` unpacked into the build's directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, Context};

/// The branch whose pushes start the pipeline (`var.branch` in infra/).
pub const BRANCH: &str = "main";
pub(crate) const SPOOL_DIR: &str = "pushes";

/// One push to `main` seen by the hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Push {
    pub(crate) old: String,
    pub(crate) new: String,
    /// Its spool file's name (`<nanoseconds>.<commit>`): the push's identity.
    pub(crate) id: String,
    file: PathBuf,
}

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("--git-dir").arg(dir);
    // A user's global hooks path or template must not change the stack's repository.
    c.env("GIT_CONFIG_NOSYSTEM", "1");
    c
}

fn run(mut c: Command, what: &str) -> anyhow::Result<String> {
    let out = c.stdin(Stdio::null()).output().with_context(|| {
        format!("cannot run git to {what} (is git installed? apt-get install git)")
    })?;
    if !out.status.success() {
        return Err(anyhow!(
            "git could not {what}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// Creates the bare repository and its hook (keeps what is there: a restarted stack
/// serves the same remote with the same commits).
pub fn init(repo: &Path, spool: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(spool).with_context(|| format!("cannot create {}", spool.display()))?;
    if !repo.join("HEAD").is_file() {
        let mut c = Command::new("git");
        c.args(["init", "--quiet", "--bare"]).arg(repo);
        run(c, &format!("create the bare repository {}", repo.display()))?;
        let mut c = git(repo);
        c.args(["symbolic-ref", "HEAD", &format!("refs/heads/{BRANCH}")]);
        run(c, "point HEAD at main")?;
    }
    let hooks = repo.join("hooks");
    std::fs::create_dir_all(&hooks)?;
    let hook = hooks.join("post-receive");
    std::fs::write(&hook, hook_script(spool))
        .with_context(|| format!("cannot write {}", hook.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    // The hook path must not be redirected by the repository's own config.
    let mut c = git(repo);
    c.args(["config", "core.hooksPath", &hooks.to_string_lossy()]);
    run(c, "set core.hooksPath")?;
    Ok(())
}

fn hook_script(spool: &Path) -> String {
    // The stack's state file is beside the spool (both in the state dir): a push while no
    // stack runs is spooled all the same, and the next `up` starts its execution.
    let state = spool
        .parent()
        .map(|d| d.join(crate::runtime::state::STATE_FILE))
        .unwrap_or_default();
    let state = crate::codebuild::runner::shell_quote(&state.to_string_lossy());
    let spool = crate::codebuild::runner::shell_quote(&spool.to_string_lossy());
    format!(
        r#"#!/bin/sh
# deployer local: a push to {BRANCH} starts an execution of the local pipeline.
spool={spool}
state={state}
# The stack runs when its state file names a live daemon (the first "pid" is the daemon's).
pid="$(sed -n 's/^ *"pid": *\([0-9][0-9]*\).*/\1/p' "$state" 2>/dev/null | head -n 1)"
running=no
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then running=yes; fi
while read -r old new ref; do
  [ "$ref" = "refs/heads/{BRANCH}" ] || continue
  case "$new" in *[!0]*) ;; *) continue ;; esac
  name="$(date +%s%N).$new"
  printf '%s %s\n' "$old" "$new" > "$spool/.$name" && mv "$spool/.$name" "$spool/$name" || continue
  if [ "$running" = yes ]; then
    echo "deployer local: pipeline triggered by the push of $new to {BRANCH} (watch it: deployer pipeline watch)"
  else
    echo "deployer local: the push of $new to {BRANCH} is queued until \`deployer local up\` (the local stack is not running)"
  fi
done
"#
    )
}

/// The pushes in the spool, oldest first. Their files stay until [`remove_push`]: the
/// stack removes one once the execution it started is on disk, so a crash in between
/// loses no push (the execution's record names the push, which is not started twice).
pub(crate) fn pending_pushes(spool: &Path) -> Vec<Push> {
    let Ok(entries) = std::fs::read_dir(spool) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.'))
        })
        .collect();
    // Names start with the push time in nanoseconds (same width for centuries).
    files.sort();
    files
        .into_iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(&f).ok()?;
            let mut words = text.split_whitespace();
            let old = words.next()?.to_string();
            let new = words.next()?.to_string();
            let id = f.file_name()?.to_string_lossy().into_owned();
            Some(Push {
                old,
                new,
                id,
                file: f,
            })
        })
        .collect()
}

/// Removes a push from the spool (its execution is recorded).
pub(crate) fn remove_push(push: &Push) {
    let _ = std::fs::remove_file(&push.file);
}

/// Pushes recorded since the last call, oldest first; their files are removed.
#[cfg(test)]
fn take_pushes(spool: &Path) -> Vec<Push> {
    let pushes = pending_pushes(spool);
    pushes.iter().for_each(remove_push);
    pushes
}

/// The commit `main` points at, if anything was pushed.
pub(crate) fn head(repo: &Path) -> Option<String> {
    let mut c = git(repo);
    c.args([
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("refs/heads/{BRANCH}^{{commit}}"),
    ]);
    run(c, "read main").ok().filter(|s| !s.is_empty())
}

/// The first line of a commit's message.
pub(crate) fn subject(repo: &Path, commit: &str) -> anyhow::Result<String> {
    let mut c = git(repo);
    c.args(["log", "-1", "--format=%s", commit, "--"]);
    run(c, &format!("read commit {commit}"))
}

/// Unpacks the tree of `commit` into `dest` (created; must not exist or be empty).
pub fn export(repo: &Path, commit: &str, dest: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    let mut archive = git(repo)
        .args(["archive", "--format=tar", commit])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run git archive (is git installed?)")?;
    let stdout = archive.stdout.take().context("git archive has no stdout")?;
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-f")
        .arg("-")
        .arg("-C")
        .arg(dest)
        .stdin(stdout)
        .stderr(Stdio::piped())
        .output()
        .context("cannot run tar")?;
    let git_out = archive.wait_with_output()?;
    if !git_out.status.success() {
        return Err(anyhow!(
            "git archive {commit}: {}",
            String::from_utf8_lossy(&git_out.stderr).trim()
        ));
    }
    if !tar.status.success() {
        return Err(anyhow!(
            "tar could not unpack {commit}: {}",
            String::from_utf8_lossy(&tar.stderr).trim()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, script: &str) -> String {
        let out = Command::new("bash")
            .arg("-ec")
            .arg(script)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }

    #[test]
    fn a_push_to_main_is_spooled_and_exported() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("state/source.git");
        let spool = dir.path().join("state").join(SPOOL_DIR);
        init(&repo, &spool).unwrap();
        init(&repo, &spool).expect("init twice keeps the repository");
        assert_eq!(head(&repo), None);
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        let out = sh(
            &work,
            &format!(
                "git init -q -b main . && echo one > file && git add file && git commit -qm 'first change' \
                 && git remote add local '{}' && git push -q local main 2>&1 && git push -q local main:other 2>&1",
                repo.display()
            ),
        );
        // No stack runs in this state dir: the push waits for the next `up`.
        assert!(out.contains("is queued until `deployer local up`"), "{out}");
        let commit = sh(&work, "git rev-parse HEAD").trim().to_string();
        let pending = pending_pushes(&spool);
        assert_eq!(pending.len(), 1);
        assert!(pending[0].id.ends_with(&commit), "{pending:?}");
        assert_eq!(
            pending_pushes(&spool),
            pending,
            "a push stays in the spool until removed"
        );
        let pushes = take_pushes(&spool);
        assert_eq!(
            pushes.len(),
            1,
            "a push to another branch starts nothing: {pushes:?}"
        );
        assert_eq!(pushes[0].new, commit);
        assert!(take_pushes(&spool).is_empty(), "taken once");
        assert_eq!(head(&repo).as_deref(), Some(commit.as_str()));
        assert_eq!(subject(&repo, &commit).unwrap(), "first change");
        sh(&work, "echo two > file && git commit -qam second && git push -q local main && echo three > file && git commit -qam third && git push -q local main");
        let pushes = take_pushes(&spool);
        assert_eq!(pushes.len(), 2, "two quick pushes, two executions");
        assert_eq!(pushes[1].old, pushes[0].new);
        let dest = dir.path().join("checkout");
        export(&repo, &commit, &dest).unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("file")).unwrap(), "one\n");
        assert!(!dest.join(".git").exists(), "CODE_ZIP has no .git");
        let err = export(&repo, "0000000", &dir.path().join("x")).unwrap_err();
        assert!(err.to_string().contains("git archive 0000000"), "{err:#}");
        // A state file naming a live daemon (this test process): the push triggers.
        std::fs::write(
            dir.path()
                .join("state")
                .join(crate::runtime::state::STATE_FILE),
            format!(
                "{{\n  \"pid\": {},\n  \"tasks\": []\n}}\n",
                std::process::id()
            ),
        )
        .unwrap();
        let out = sh(
            &work,
            "git commit -q --allow-empty -m again && git push -q local main 2>&1",
        );
        assert!(out.contains("pipeline triggered by the push of"), "{out}");
        assert_eq!(take_pushes(&spool).len(), 1, "spooled as before");
    }
}
