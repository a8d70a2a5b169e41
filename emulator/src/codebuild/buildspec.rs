//! A CodeBuild buildspec (version 0.2), as the local CodeBuild runs it.
//!
//! Parsed from the commit's own `buildspec.yml`, with errors that name the field and the
//! value. What the local runner honours: `env.shell` (bash only), `env.variables`,
//! `env.exported-variables` (accepted, not exported anywhere), the four phases with
//! `commands`, `finally` and `on-failure`, `artifacts.files` / `base-directory` /
//! `discard-paths`, `cache.paths` (kept, see [`super::runner`]). What needs AWS
//! (`parameter-store`, `secrets-manager`, `reports`, `batch`, secondary artifacts,
//! `runtime-versions`) is refused with a message naming the key, not silently skipped.

use serde_yaml_ng::{Mapping, Value};

/// The four phases CodeBuild runs from the buildspec, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PhaseName {
    Install,
    PreBuild,
    Build,
    PostBuild,
}

impl PhaseName {
    pub(crate) const ALL: [PhaseName; 4] = [
        PhaseName::Install,
        PhaseName::PreBuild,
        PhaseName::Build,
        PhaseName::PostBuild,
    ];

    /// The key in the buildspec.
    pub(crate) fn key(self) -> &'static str {
        match self {
            PhaseName::Install => "install",
            PhaseName::PreBuild => "pre_build",
            PhaseName::Build => "build",
            PhaseName::PostBuild => "post_build",
        }
    }
}

/// `on-failure` of a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnFailure {
    /// Stop the build: no later phase, no artifacts.
    Abort,
    /// Go on with the next phase.
    Continue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Phase {
    pub(crate) name: PhaseName,
    /// `None`: CodeBuild's default transitions (see [`super::runner::next_after_failure`]).
    pub(crate) on_failure: Option<OnFailure>,
    pub(crate) commands: Vec<String>,
    pub(crate) finally: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Artifacts {
    pub(crate) files: Vec<String>,
    pub(crate) base_directory: Option<String>,
    pub(crate) discard_paths: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Buildspec {
    /// `env.variables`, in file order (values as strings, as CodeBuild reads them).
    pub(crate) variables: Vec<(String, String)>,
    /// Phases present in the file, in CodeBuild's order.
    pub(crate) phases: Vec<Phase>,
    pub(crate) artifacts: Option<Artifacts>,
    pub(crate) cache_paths: Vec<String>,
}

/// A buildspec that CodeBuild (or the local runner) would refuse; `field` is the YAML path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("buildspec {file}: {field}: {reason}")]
pub(crate) struct BuildspecError {
    pub(crate) file: String,
    pub(crate) field: String,
    pub(crate) reason: String,
}

impl Buildspec {
    /// Parses `text`; `file` only names the source in errors.
    pub(crate) fn parse(text: &str, file: &str) -> Result<Self, BuildspecError> {
        let err = |field: &str, reason: String| BuildspecError {
            file: file.to_string(),
            field: field.to_string(),
            reason,
        };
        let root: Value = serde_yaml_ng::from_str(text)
            .map_err(|e| err("(document)", format!("not valid YAML: {e}")))?;
        let root = root.as_mapping().ok_or_else(|| {
            err(
                "(document)",
                format!("expected a mapping, got {}", kind(&root)),
            )
        })?;
        for (k, _) in root {
            let key = key_str(k);
            if ![
                "version",
                "env",
                "phases",
                "artifacts",
                "cache",
                "run-as",
                "proxy",
            ]
            .contains(&key.as_str())
            {
                let reason = match key.as_str() {
                    "reports" | "batch" => {
                        format!("{key:?} needs AWS and is not run by the local CodeBuild")
                    }
                    _ => format!("unknown key {key:?}"),
                };
                return Err(err(&key, reason));
            }
        }
        match root.get("version") {
            Some(v) if scalar(v).as_deref() == Some("0.2") => {}
            Some(v) => {
                return Err(err(
                    "version",
                    format!(
                        "{} is not supported: the local CodeBuild runs version 0.2 (all commands of a build in one shell's state)",
                        scalar(v).unwrap_or_else(|| kind(v).to_string())
                    ),
                ))
            }
            None => return Err(err("version", "is required (0.2)".into())),
        }
        let mut spec = Buildspec::default();
        if let Some(env) = root.get("env") {
            let env = mapping(env).ok_or_else(|| err("env", expected_mapping(env)))?;
            for (k, v) in env {
                let key = key_str(k);
                match key.as_str() {
                    "shell" => match scalar(v).as_deref() {
                        Some("bash") => {}
                        other => {
                            return Err(err(
                                "env.shell",
                                format!("{other:?}: the local CodeBuild runs bash only"),
                            ))
                        }
                    },
                    "variables" => {
                        let vars =
                            mapping(v).ok_or_else(|| err("env.variables", expected_mapping(v)))?;
                        for (name, value) in vars {
                            let name = key_str(name);
                            let value = scalar(value).ok_or_else(|| {
                                err(
                                    &format!("env.variables.{name}"),
                                    format!("expected a scalar value, got {}", kind(value)),
                                )
                            })?;
                            spec.variables.push((name, value));
                        }
                    }
                    "exported-variables" | "git-credential-helper" => {}
                    "parameter-store" | "secrets-manager" => {
                        return Err(err(
                            &format!("env.{key}"),
                            "needs AWS and is not served by the local CodeBuild".into(),
                        ))
                    }
                    _ => return Err(err(&format!("env.{key}"), "unknown key".into())),
                }
            }
        }
        let phases = root
            .get("phases")
            .ok_or_else(|| err("phases", "is required".into()))?;
        let phases = mapping(phases).ok_or_else(|| err("phases", expected_mapping(phases)))?;
        for (k, _) in phases {
            let key = key_str(k);
            if !PhaseName::ALL.iter().any(|p| p.key() == key) {
                return Err(err(
                    &format!("phases.{key}"),
                    "unknown phase (install, pre_build, build, post_build)".into(),
                ));
            }
        }
        for name in PhaseName::ALL {
            let Some(p) = phases.get(name.key()) else {
                continue;
            };
            let path = format!("phases.{}", name.key());
            let p = mapping(p).ok_or_else(|| err(&path, expected_mapping(p)))?;
            let mut phase = Phase {
                name,
                on_failure: None,
                commands: Vec::new(),
                finally: Vec::new(),
            };
            for (k, v) in p {
                let key = key_str(k);
                let field = format!("{path}.{key}");
                match key.as_str() {
                    "commands" => phase.commands = string_list(v, &field, &err)?,
                    "finally" => phase.finally = string_list(v, &field, &err)?,
                    "on-failure" => {
                        phase.on_failure = Some(match scalar(v).as_deref() {
                            Some("ABORT") => OnFailure::Abort,
                            Some("CONTINUE") => OnFailure::Continue,
                            other => {
                                return Err(err(
                                    &field,
                                    format!("{other:?}: expected ABORT or CONTINUE"),
                                ))
                            }
                        })
                    }
                    "run-as" => {}
                    "runtime-versions" => {
                        return Err(err(
                            &field,
                            "selects CodeBuild image runtimes; the local CodeBuild uses this machine's tools"
                                .into(),
                        ))
                    }
                    _ => return Err(err(&field, "unknown key".into())),
                }
            }
            spec.phases.push(phase);
        }
        if let Some(a) = root.get("artifacts") {
            let a = mapping(a).ok_or_else(|| err("artifacts", expected_mapping(a)))?;
            let mut art = Artifacts::default();
            for (k, v) in a {
                let key = key_str(k);
                let field = format!("artifacts.{key}");
                match key.as_str() {
                    "files" => art.files = string_list(v, &field, &err)?,
                    "base-directory" => {
                        art.base_directory = Some(scalar(v).ok_or_else(|| {
                            err(&field, format!("expected a path, got {}", kind(v)))
                        })?)
                    }
                    "discard-paths" => {
                        art.discard_paths = match scalar(v).as_deref() {
                            Some("yes") | Some("true") => true,
                            Some("no") | Some("false") => false,
                            other => {
                                return Err(err(&field, format!("{other:?}: expected yes or no")))
                            }
                        }
                    }
                    "name" | "enable-symlinks" | "s3-prefix" => {}
                    "secondary-artifacts" | "exclude-paths" => {
                        return Err(err(
                            &field,
                            "is not supported by the local CodeBuild".into(),
                        ))
                    }
                    _ => return Err(err(&field, "unknown key".into())),
                }
            }
            if art.files.is_empty() {
                return Err(err("artifacts.files", "is required and not empty".into()));
            }
            spec.artifacts = Some(art);
        }
        if let Some(c) = root.get("cache") {
            let c = mapping(c).ok_or_else(|| err("cache", expected_mapping(c)))?;
            for (k, v) in c {
                let key = key_str(k);
                let field = format!("cache.{key}");
                match key.as_str() {
                    "paths" => spec.cache_paths = string_list(v, &field, &err)?,
                    "key" | "fallback-keys" | "action" => {}
                    _ => return Err(err(&field, "unknown key".into())),
                }
            }
        }
        Ok(spec)
    }

    pub(crate) fn phase(&self, name: PhaseName) -> Option<&Phase> {
        self.phases.iter().find(|p| p.name == name)
    }
}

fn key_str(k: &Value) -> String {
    scalar(k).unwrap_or_else(|| format!("{k:?}"))
}

/// A YAML scalar as CodeBuild reads it (numbers and booleans as their text).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "yes" } else { "no" }.to_string()),
        _ => None,
    }
}

fn mapping(v: &Value) -> Option<&Mapping> {
    v.as_mapping()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn expected_mapping(v: &Value) -> String {
    format!("expected a mapping, got {}", kind(v))
}

fn string_list(
    v: &Value,
    field: &str,
    err: &dyn Fn(&str, String) -> BuildspecError,
) -> Result<Vec<String>, BuildspecError> {
    let items = v
        .as_sequence()
        .ok_or_else(|| err(field, format!("expected a list, got {}", kind(v))))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            scalar(item).ok_or_else(|| {
                err(
                    &format!("{field}[{i}]"),
                    format!("expected a string, got {}", kind(item)),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Buildspec, BuildspecError> {
        Buildspec::parse(text, "buildspec.yml")
    }

    #[test]
    fn the_repository_buildspec_parses() {
        let text = include_str!("../../../buildspec.yml");
        let spec = parse(text).expect("the repository's buildspec.yml parses");
        assert_eq!(
            spec.variables,
            vec![(
                "BUILDX_CACHE_DIR".to_string(),
                "/root/.cache/demo-buildx".to_string()
            )]
        );
        let names: Vec<_> = spec.phases.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [PhaseName::PreBuild, PhaseName::Build, PhaseName::PostBuild]
        );
        assert_eq!(
            spec.phase(PhaseName::PreBuild).unwrap().on_failure,
            Some(OnFailure::Abort)
        );
        assert_eq!(spec.phase(PhaseName::PostBuild).unwrap().on_failure, None);
        assert!(spec.phase(PhaseName::PreBuild).unwrap().commands[0].starts_with("COMMIT="));
        assert_eq!(
            spec.artifacts.unwrap().files,
            ["imageDetail.json", "taskdef.json", "appspec.yaml"]
        );
        assert_eq!(spec.cache_paths, ["/root/.cache/demo-buildx/**/*"]);
    }

    #[test]
    fn phases_come_in_codebuild_order_whatever_the_file_order() {
        let spec = parse(
            "version: 0.2\nphases:\n  post_build:\n    commands: [c]\n  install:\n    commands: [a]\n    finally: [f]\n  build:\n    on-failure: CONTINUE\n    commands: [b]\n",
        )
        .unwrap();
        let names: Vec<_> = spec.phases.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [PhaseName::Install, PhaseName::Build, PhaseName::PostBuild]
        );
        assert_eq!(spec.phases[0].finally, ["f"]);
        assert_eq!(spec.phases[1].on_failure, Some(OnFailure::Continue));
        assert!(spec.artifacts.is_none());
    }

    #[test]
    fn scalars_become_strings() {
        let spec = parse(
            "version: 0.2\nenv:\n  variables:\n    N: 3\n    B: true\n    S: x\nphases:\n  build:\n    commands: [echo]\n",
        )
        .unwrap();
        assert_eq!(
            spec.variables,
            [
                ("N".to_string(), "3".to_string()),
                ("B".to_string(), "yes".to_string()),
                ("S".to_string(), "x".to_string())
            ]
        );
    }

    #[test]
    fn errors_name_the_field_and_value() {
        let cases = [
            ("version: 0.1\nphases: {}\n", "version", "0.1"),
            ("phases: {}\n", "version", "required"),
            ("version: 0.2\n", "phases", "required"),
            (
                "version: 0.2\nphases:\n  test:\n    commands: [x]\n",
                "phases.test",
                "unknown phase",
            ),
            (
                "version: 0.2\nphases:\n  build:\n    on-failure: RETRY\n    commands: [x]\n",
                "phases.build.on-failure",
                "RETRY",
            ),
            (
                "version: 0.2\nphases:\n  build:\n    commands: x\n",
                "phases.build.commands",
                "expected a list, got a string",
            ),
            (
                "version: 0.2\nphases:\n  build:\n    commands: [[x]]\n",
                "phases.build.commands[0]",
                "expected a string",
            ),
            (
                "version: 0.2\nenv:\n  shell: sh\nphases: {}\n",
                "env.shell",
                "bash only",
            ),
            (
                "version: 0.2\nenv:\n  parameter-store:\n    A: /a\nphases: {}\n",
                "env.parameter-store",
                "needs AWS",
            ),
            (
                "version: 0.2\nphases: {}\nartifacts:\n  files: []\n",
                "artifacts.files",
                "not empty",
            ),
            (
                "version: 0.2\nphases: {}\nreports: {}\n",
                "reports",
                "needs AWS",
            ),
            ("version: 0.2\nphases: {}\nfoo: 1\n", "foo", "unknown key"),
            ("- a\n", "(document)", "expected a mapping, got a list"),
            ("version: [\n", "(document)", "not valid YAML"),
        ];
        for (text, field, reason) in cases {
            let e = parse(text).expect_err(text);
            assert_eq!(e.field, field, "{text}: {e}");
            assert!(e.reason.contains(reason), "{text}: {e}");
            assert!(
                e.to_string().starts_with("buildspec buildspec.yml: "),
                "{e}"
            );
        }
    }
}
