//! The local stand-ins for the two things a build needs AWS or a Docker engine for, so
//! the repository's `buildspec.yml` runs unchanged:
//!
//! - `docker`: `login` (reads the password from stdin, answers `Login Succeeded`),
//!   `buildx create` (no builder needed), `build` / `buildx build` (a `cargo build` of
//!   `demo` at the checked-out commit, `DEMO_GIT_COMMIT` from `--build-arg GIT_COMMIT`;
//!   with `--push` the image is in the local ECR at once, else `docker push` puts it
//!   there), `push`. `--cache-to type=local,dest=DIR` writes a small index there, so the
//!   buildspec's cache rotation has something to move.
//! - `aws`: `ecr get-login-password` and `ecr describe-images` (from the local ECR, with
//!   the AWS CLI's error text and exit code 254 for a missing image).
//!
//! The build differs from the Dockerfile's on purpose, to be fast on a laptop: the release
//! profile without LTO, with 16 codegen units and incremental compilation, and the `demo`
//! crate itself unoptimized (`opt-level=0`; its dependencies, where the serving work is
//! done, stay optimized), in one cargo target directory shared by every local build
//! (CodeBuild's cache, locally). Optimizing demo's own code cost 14 s of CPU per build
//! from scratch and 8 s per new commit, unoptimized 2.5 s and 0.6 s (measured with warm
//! dependencies): the local pipeline, `deployer local push` and the tests that build
//! commits wait on that. Like the
//! Dockerfile's it is static (`crt-static`, the host's Linux target named explicitly),
//! with the exact flags of `scripts/lib/local-demo.sh` (the container check's build and
//! the tests' stacks' demo, `scripts/test`), which builds into the same directory when it is
//! the tests' one: one release build of demo's dependencies serves all of them. The binary is the same code at the same commit.
//!
//! Each stand-in is a two-line script on the build's PATH that runs
//! `deployer local stand-in docker|aws ...` with its settings in `DEPLOYER_STANDIN_*`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ecr::backend::{split_image, ImageStore};
use crate::ecr::shapes::{DescribeImagesResponse, ImageDetail};

/// What the stand-ins need to know, passed through the environment by their scripts.
#[derive(Debug, Clone)]
pub struct StandInConfig {
    /// The local ECR's store.
    pub ecr_dir: PathBuf,
    /// Images built without `--push` (the "local Docker engine").
    pub docker_dir: PathBuf,
    /// The cargo target directory shared by local builds.
    pub target_dir: PathBuf,
    pub registry_id: String,
    pub region: String,
}

const VARS: [&str; 5] = [
    "DEPLOYER_STANDIN_ECR_DIR",
    "DEPLOYER_STANDIN_DOCKER_DIR",
    "DEPLOYER_STANDIN_TARGET_DIR",
    "DEPLOYER_STANDIN_REGISTRY_ID",
    "DEPLOYER_STANDIN_REGION",
];

impl StandInConfig {
    pub(crate) fn from_env() -> Result<Self, String> {
        let get = |k: &str| {
            std::env::var(k).map_err(|_| {
                format!("{k} is not set: the stand-ins run inside a local CodeBuild build only")
            })
        };
        Ok(StandInConfig {
            ecr_dir: get(VARS[0])?.into(),
            docker_dir: get(VARS[1])?.into(),
            target_dir: get(VARS[2])?.into(),
            registry_id: get(VARS[3])?,
            region: get(VARS[4])?,
        })
    }

    fn values(&self) -> [String; 5] {
        [
            self.ecr_dir.display().to_string(),
            self.docker_dir.display().to_string(),
            self.target_dir.display().to_string(),
            self.registry_id.clone(),
            self.region.clone(),
        ]
    }

    fn ecr(&self) -> ImageStore {
        ImageStore::new(&self.ecr_dir, &self.registry_id)
    }

    fn docker(&self) -> ImageStore {
        ImageStore::new(&self.docker_dir, &self.registry_id)
    }
}

/// Runs a stand-in and exits with its code (it is the whole process).
pub fn main(tool: &str, args: &[String]) -> ! {
    let code = match StandInConfig::from_env() {
        Ok(cfg) if tool == "docker" => docker(args, &cfg),
        Ok(cfg) => aws(args, &cfg),
        Err(e) => {
            eprintln!("{tool} (local CodeBuild stand-in): {e}");
            2
        }
    };
    std::process::exit(code)
}

/// Writes the `docker` and `aws` scripts into `bin_dir` (for the build's PATH).
pub fn write_scripts(bin_dir: &Path, exe: &Path, cfg: &StandInConfig) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(bin_dir)?;
    let exports: String = VARS
        .iter()
        .zip(cfg.values())
        .map(|(k, v)| format!("export {k}={}\n", super::runner::shell_quote(&v)))
        .collect();
    for tool in ["docker", "aws"] {
        let path = bin_dir.join(tool);
        let text = format!(
            "#!/bin/sh\n# deployer local: CodeBuild's `{tool}`, emulated (emulator/src/build/standin.rs)\n{exports}exec {} local stand-in {tool} \"$@\"\n",
            super::runner::shell_quote(&exe.to_string_lossy())
        );
        std::fs::write(&path, text)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// `docker ARGS...`; returns the exit code.
pub(crate) fn docker(args: &[String], cfg: &StandInConfig) -> i32 {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["login", rest @ ..] => login(rest),
        ["buildx", "create", ..] => {
            println!("demo-builder");
            0
        }
        ["buildx", "build", rest @ ..] | ["build", rest @ ..] => build(rest, cfg),
        ["push", image] => push(image, cfg),
        ["version"] | ["--version"] => {
            println!("Docker version stand-in (deployer local CodeBuild)");
            0
        }
        _ => {
            eprintln!(
                "docker (local CodeBuild stand-in): `docker {}` is not emulated; it serves login, buildx create, build, buildx build, push",
                args.join(" ")
            );
            1
        }
    }
}

fn login(rest: &[&str]) -> i32 {
    if !rest.contains(&"--password-stdin") {
        eprintln!("Error: Cannot perform an interactive login from a non TTY device");
        return 1;
    }
    let mut password = String::new();
    if std::io::stdin().read_to_string(&mut password).is_err() || password.trim().is_empty() {
        eprintln!("Error: Password Required");
        return 1;
    }
    println!("Login Succeeded");
    0
}

/// The options of `docker build` / `docker buildx build` the buildspec uses.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct BuildOpts {
    pub(crate) context: String,
    pub(crate) tags: Vec<String>,
    pub(crate) build_args: Vec<(String, String)>,
    pub(crate) push: bool,
    pub(crate) cache_to: Option<String>,
    pub(crate) platform: Option<String>,
}

/// Parses build options; an unknown flag is an error (the buildspec would rely on
/// something the stand-in does not do).
pub(crate) fn parse_build(rest: &[&str]) -> Result<BuildOpts, String> {
    let mut o = BuildOpts::default();
    let mut it = rest.iter().copied();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a, None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().map(String::from))
                .ok_or_else(|| format!("flag needs an argument: {name}"))
        };
        match flag {
            "--tag" | "-t" => o.tags.push(value(flag)?),
            "--build-arg" => {
                let v = value(flag)?;
                let (k, val) = v.split_once('=').unwrap_or((&v, ""));
                o.build_args.push((k.to_string(), val.to_string()));
            }
            "--push" => o.push = true,
            "--load" | "--pull" | "-q" | "--quiet" => {}
            "--platform" => o.platform = Some(value(flag)?),
            "--cache-to" => o.cache_to = Some(value(flag)?),
            "--cache-from" | "--target" | "--file" | "-f" | "--label" | "--progress"
            | "--provenance" | "--sbom" => {
                value(flag)?;
            }
            f if f.starts_with('-') => {
                return Err(format!(
                    "unknown flag: {f} (the local CodeBuild's docker stand-in does not emulate it)"
                ))
            }
            ctx if o.context.is_empty() => o.context = ctx.to_string(),
            extra => {
                return Err(format!(
                    "\"docker build\" requires exactly 1 argument (got {extra:?} too)"
                ))
            }
        }
    }
    if o.context.is_empty() {
        return Err("\"docker buildx build\" requires exactly 1 argument.".into());
    }
    Ok(o)
}

fn build(rest: &[&str], cfg: &StandInConfig) -> i32 {
    let opts = match parse_build(rest) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return 1;
        }
    };
    if let Some(p) = &opts.platform {
        if p != "linux/amd64" || std::env::consts::ARCH != "x86_64" {
            eprintln!(
                "WARNING: --platform {p}: the local build makes a {} binary for this machine",
                std::env::consts::ARCH
            );
        }
    }
    let arg = |k: &str| {
        opts.build_args
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "unknown".into())
    };
    let commit = arg("GIT_COMMIT");
    let version = arg("VERSION");
    let binary = match build_demo(Path::new(&opts.context), &commit, &cfg.target_dir) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return 1;
        }
    };
    let store = if opts.push { cfg.ecr() } else { cfg.docker() };
    for tag in &opts.tags {
        let (_, repo, t) = split_image(tag);
        if !opts.push {
            let _ = store.create_repository(&repo);
        }
        match store.put(&repo, &t, &binary.path, &commit, &version) {
            Ok(rec) => eprintln!(
                "#2 {} {tag} {}",
                if opts.push { "pushing" } else { "naming to" },
                rec.digest
            ),
            Err(e) => {
                eprintln!("ERROR: failed to push {tag}: {e}");
                return 1;
            }
        }
    }
    if let Some(spec) = &opts.cache_to {
        if let Some(dest) = spec.split(',').find_map(|kv| kv.strip_prefix("dest=")) {
            let note = format!(
                "{{\"note\":\"deployer local: the build cache is the cargo target directory {}\"}}\n",
                cfg.target_dir.display()
            );
            if let Err(e) = std::fs::create_dir_all(dest)
                .and_then(|()| std::fs::write(Path::new(dest).join("index.json"), note))
            {
                eprintln!("ERROR: cannot write the cache export {dest}: {e}");
                return 1;
            }
        }
    }
    0
}

/// The binary of a local image build, in the shared target directory. The build's lock
/// is held while this lives: every local build (the pipeline's, `deployer local push`, of
/// any checkout) writes the same `<target>/release/demo`, so without it another build could
/// replace the file between this build's end and its push (seen with two tests' builds
/// side by side: an image of one commit carrying another build's binary).
#[derive(Debug)]
pub struct BuiltDemo {
    pub path: PathBuf,
    _lock: std::fs::File,
}

/// Takes the shared target directory's local-build lock, waiting for another local build
/// to be pushed first.
fn lock_local_builds(target_dir: &Path) -> Result<std::fs::File, String> {
    let file = target_dir.join(".deployer-local-build.lock");
    let lock = std::fs::create_dir_all(target_dir)
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&file)
        })
        .map_err(|e| format!("cannot open the local build lock {}: {e}", file.display()))?;
    if lock.try_lock().is_err() {
        eprintln!(
            "#1 [local] waiting for another local build in {} to finish",
            target_dir.display()
        );
        lock.lock()
            .map_err(|e| format!("cannot lock {}: {e}", file.display()))?;
    }
    Ok(lock)
}

/// The image build of the local CodeBuild (and of `deployer local push`): a `cargo build`
/// of `demo` in `context` with `DEMO_GIT_COMMIT=commit`, in the shared `target_dir`, its
/// progress on stderr; returns the binary (keep it until it is pushed). The error is
/// docker's wording.
pub fn build_demo(context: &Path, commit: &str, target_dir: &Path) -> Result<BuiltDemo, String> {
    let lock = lock_local_builds(target_dir)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = host_target();
    let argv = [
        "build",
        "--release",
        "--locked",
        "--target",
        &target,
        "-p",
        "demo",
        "--config",
        "profile.release.lto=false",
        "--config",
        "profile.release.codegen-units=16",
        "--config",
        "profile.release.incremental=true",
        "--config",
        "profile.release.package.demo.opt-level=0",
    ];
    eprintln!(
        "#1 [local] DEMO_GIT_COMMIT={commit} RUSTFLAGS='{STATIC_RUSTFLAGS}' {cargo} {} (CARGO_TARGET_DIR={})",
        argv.join(" "),
        target_dir.display()
    );
    let status = Command::new(&cargo)
        .args(argv)
        .current_dir(context)
        .env("DEMO_GIT_COMMIT", commit)
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_TERM_COLOR", "never")
        // Exactly these flags: they are part of every unit's fingerprint, so any other
        // (a user's RUSTFLAGS) would rebuild the shared dependencies.
        .env("RUSTFLAGS", STATIC_RUSTFLAGS)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status();
    match status {
        Ok(s) if s.success() => Ok(BuiltDemo {
            path: target_dir.join(&target).join("release").join("demo"),
            _lock: lock,
        }),
        Ok(s) => Err(format!(
            "failed to solve: process \"/bin/sh -c cargo build --release --locked -p demo\" did not complete successfully: exit code: {}",
            s.code().unwrap_or(1)
        )),
        Err(e) => Err(format!(
            "cannot run {cargo}: {e} (install Rust: https://rustup.rs)"
        )),
    }
}

/// A static binary, as the Dockerfile builds for its `FROM scratch` image.
const STATIC_RUSTFLAGS: &str = "-C target-feature=+crt-static";

/// The host's Linux target (`x86_64-unknown-linux-gnu` here), named explicitly: with
/// `--target`, RUSTFLAGS reach the binary and not the build scripts and proc-macros, which
/// cannot be static.
fn host_target() -> String {
    format!("{}-unknown-linux-gnu", std::env::consts::ARCH)
}

fn push(image: &str, cfg: &StandInConfig) -> i32 {
    let (_, repo, tag) = split_image(image);
    let Some(rec) = cfg.docker().get(&repo, &tag) else {
        eprintln!("An image does not exist locally with the tag: {image}");
        return 1;
    };
    let Some(bin) = cfg.docker().binary(&repo, &tag) else {
        eprintln!("An image does not exist locally with the tag: {image}");
        return 1;
    };
    match cfg.ecr().put(&repo, &tag, &bin, &rec.commit, &rec.version) {
        Ok(r) => {
            println!("{tag}: digest: {} size: {}", r.digest, r.size_bytes);
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

/// `aws ARGS...`; returns the exit code (the AWS CLI v2's: 254 for a service error,
/// 252 for a command it does not know).
pub(crate) fn aws(args: &[String], cfg: &StandInConfig) -> i32 {
    // Global options may come anywhere; take out the ones that take a value.
    let mut words = Vec::new();
    let mut opts: Vec<(String, String)> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if let Some(name) = a.strip_prefix("--") {
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (name.to_string(), None),
            };
            let value = inline.or_else(|| it.next().cloned()).unwrap_or_default();
            opts.push((name, value));
        } else {
            words.push(a.as_str());
        }
    }
    let opt = |k: &str| opts.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    match words.as_slice() {
        ["ecr", "get-login-password"] => {
            println!("deployer-local-ecr-token");
            0
        }
        ["ecr", "describe-images"] => {
            let Some(repo) = opt("repository-name") else {
                eprintln!("aws: error: the following arguments are required: --repository-name");
                return 252;
            };
            let tag = opt("image-ids").and_then(|ids| ids.strip_prefix("imageTag="));
            let store = cfg.ecr();
            if !store.repository_exists(repo) {
                eprintln!(
                    "\nAn error occurred (RepositoryNotFoundException) when calling the DescribeImages operation: The repository with name '{repo}' does not exist in the registry with id '{}'",
                    cfg.registry_id
                );
                return 254;
            }
            let images: Vec<_> = match tag {
                Some(t) => match store.get(repo, t) {
                    Some(r) => vec![r],
                    None => {
                        eprintln!(
                            "\nAn error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {{imageDigest:'null', imageTag:'{t}'}} does not exist within the repository with name '{repo}' in the registry with id '{}'",
                            cfg.registry_id
                        );
                        return 254;
                    }
                },
                None => store.list(repo),
            };
            // What ECR's DescribeImages answers (one detail per tag asked or listed).
            let answer = DescribeImagesResponse {
                image_details: images
                    .iter()
                    .map(|r| ImageDetail::of(std::slice::from_ref(r), &cfg.registry_id))
                    .collect(),
                next_token: None,
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&answer).unwrap_or_default()
            );
            0
        }
        _ => {
            eprintln!(
                "aws (local CodeBuild stand-in): `aws {}` is not served; it serves `ecr get-login-password` and `ecr describe-images` (region {})",
                args.join(" "),
                cfg.region
            );
            252
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buildspec_build_command_parses() {
        let o = parse_build(&[
            "--platform",
            "linux/amd64",
            "--target",
            "runtime",
            "--build-arg",
            "GIT_COMMIT=abc",
            "--build-arg",
            "VERSION=0.1.0",
            "--cache-from",
            "type=local,src=/c",
            "--cache-to",
            "type=local,dest=/c.new,mode=max",
            "--tag",
            "000000000000.dkr.ecr.us-east-1.amazonaws.com/demo:abc",
            "--push",
            ".",
        ])
        .unwrap();
        assert_eq!(o.context, ".");
        assert!(o.push);
        assert_eq!(
            o.build_args,
            [
                ("GIT_COMMIT".to_string(), "abc".to_string()),
                ("VERSION".to_string(), "0.1.0".to_string())
            ]
        );
        assert_eq!(
            o.tags,
            ["000000000000.dkr.ecr.us-east-1.amazonaws.com/demo:abc"]
        );
        assert_eq!(
            o.cache_to.as_deref(),
            Some("type=local,dest=/c.new,mode=max")
        );
        assert_eq!(o.platform.as_deref(), Some("linux/amd64"));
    }

    #[test]
    fn unknown_build_flags_and_missing_context_are_errors() {
        assert!(parse_build(&["--squash", "."])
            .unwrap_err()
            .contains("--squash"));
        assert!(parse_build(&["-t", "x"])
            .unwrap_err()
            .contains("requires exactly 1 argument"));
        assert!(parse_build(&["--tag"])
            .unwrap_err()
            .contains("needs an argument"));
        assert_eq!(parse_build(&["--tag=a:b", "dir"]).unwrap().tags, ["a:b"]);
    }

    fn cfg(dir: &Path) -> StandInConfig {
        StandInConfig {
            ecr_dir: dir.join("ecr"),
            docker_dir: dir.join("docker"),
            target_dir: dir.join("target"),
            registry_id: "000000000000".into(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn describe_images_answers_from_the_local_ecr() {
        let dir = tempfile::tempdir().unwrap();
        let c = cfg(dir.path());
        let store = c.ecr();
        let args = |tag: &str| -> Vec<String> {
            [
                "ecr",
                "describe-images",
                "--region",
                "us-east-1",
                "--repository-name",
                "demo",
                "--image-ids",
                tag,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        };
        assert_eq!(aws(&args("imageTag=abc"), &c), 254, "no repository yet");
        store.create_repository("demo").unwrap();
        assert_eq!(aws(&args("imageTag=abc"), &c), 254, "no image yet");
        let bin = dir.path().join("bin");
        std::fs::write(&bin, b"x").unwrap();
        store.put("demo", "abc", &bin, "abc", "0.1.0").unwrap();
        assert_eq!(aws(&args("imageTag=abc"), &c), 0);
        let login: Vec<String> = ["ecr", "get-login-password", "--region", "us-east-1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(aws(&login, &c), 0);
        assert_eq!(aws(&["s3".to_string(), "ls".to_string()], &c), 252);
    }

    #[test]
    fn push_moves_a_local_image_into_the_ecr() {
        let dir = tempfile::tempdir().unwrap();
        let c = cfg(dir.path());
        c.ecr().create_repository("demo").unwrap();
        let image = "000000000000.dkr.ecr.us-east-1.amazonaws.com/demo:abc";
        assert_eq!(docker(&["push".into(), image.into()], &c), 1, "not built");
        c.docker().create_repository("demo").unwrap();
        let bin = dir.path().join("bin");
        std::fs::write(&bin, b"x").unwrap();
        c.docker().put("demo", "abc", &bin, "abc", "v").unwrap();
        assert_eq!(docker(&["push".into(), image.into()], &c), 0);
        assert!(c.ecr().get("demo", "abc").is_some());
        assert_eq!(
            docker(&["push".into(), image.into()], &c),
            1,
            "immutable tag"
        );
        assert_eq!(docker(&["compose".into(), "up".into()], &c), 1);
    }

    #[test]
    fn scripts_carry_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let c = cfg(dir.path());
        write_scripts(&dir.path().join("bin"), Path::new("/opt/it's/deployer"), &c).unwrap();
        let text = std::fs::read_to_string(dir.path().join("bin/docker")).unwrap();
        assert!(
            text.contains("exec '/opt/it'\\''s/deployer' local stand-in docker \"$@\""),
            "{text}"
        );
        assert!(
            text.contains("export DEPLOYER_STANDIN_REGION='us-east-1'"),
            "{text}"
        );
        assert!(dir.path().join("bin/aws").is_file());
    }
}
