//! The command reference (`docs/reference/commands.md`) is generated from the parser, by
//! walking `deployer --help` and each subcommand's `--help`; this test fails when the file
//! is out of date, and says how to regenerate it. So a flag's help text exists once (its
//! doc comment), and the reference cannot drift from it.

use std::path::PathBuf;
use std::process::Command;

const REGENERATE: &str = "UPDATE_REFERENCE=1 cargo test -p deployer --test suite reference";

fn reference_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/reference/commands.md")
}

fn help(path: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_deployer"))
        .args(path)
        .arg("--help")
        // The width the reference is written at; no setting of the caller's leaks in.
        .env("COLUMNS", "100")
        .env_remove("DEPLOYER_OUTPUTS")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run the deployer binary");
    assert!(
        out.status.success(),
        "deployer {} --help exited {:?}: {}",
        path.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The subcommands a help text lists under `Commands:` (clap's layout: two spaces, the
/// name, then the description), without `help`.
fn subcommands(help: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_commands = false;
    for line in help.lines() {
        if line == "Commands:" {
            in_commands = true;
            continue;
        }
        if in_commands {
            if line.is_empty() || !line.starts_with(' ') {
                break;
            }
            // Continuation lines of a wrapped description are indented further.
            if let Some(rest) = line.strip_prefix("  ") {
                if rest.starts_with(' ') {
                    continue;
                }
                let name = rest.split_whitespace().next().unwrap_or_default();
                if !name.is_empty() && name != "help" {
                    names.push(name.to_owned());
                }
            }
        }
    }
    names
}

/// Every command path, depth first, in the order `--help` lists them.
fn walk(path: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    let args: Vec<&str> = path.iter().map(String::as_str).collect();
    let text = help(&args);
    let subs = subcommands(&text);
    out.push((path.clone(), text));
    for sub in subs {
        let mut next = path.clone();
        next.push(sub);
        walk(next, out);
    }
}

fn generate() -> String {
    let mut all = Vec::new();
    walk(Vec::new(), &mut all);
    let mut md = String::from(
        "# Command reference\n\n\
         Generated from the parser (each flag's doc comment): do not edit by hand. A test\n\
         (`deployer/tests/suite/reference.rs`) fails when this file is out of date;\n\
         regenerate it with:\n\n",
    );
    md.push_str(&format!("```sh\n{REGENERATE}\n```\n\n"));
    md.push_str("Commands:\n\n");
    for (path, _) in &all {
        let name = std::iter::once("deployer")
            .chain(path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        md.push_str(&format!("- [`{name}`](#{})\n", name.replace(' ', "-")));
    }
    for (path, text) in &all {
        let name = std::iter::once("deployer")
            .chain(path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        md.push_str(&format!(
            "\n## {name}\n\n```text\n{}\n```\n",
            text.trim_end()
        ));
    }
    md
}

#[test]
fn command_reference_is_up_to_date() {
    let fresh = generate();
    let path = reference_path();
    if std::env::var_os("UPDATE_REFERENCE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != fresh {
        let first_diff = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
        panic!(
            "{} is out of date (first difference at line {}): regenerate it with `{REGENERATE}`",
            path.display(),
            first_diff + 1
        );
    }
}

#[test]
fn reference_lists_every_top_level_command() {
    // The walk must see what the top-level help lists, or the reference would miss them.
    let top = help(&[]);
    let subs = subcommands(&top);
    for expected in [
        "deploy",
        "rollback",
        "status",
        "local",
        "logs",
        "pipeline",
        "dashboard",
    ] {
        assert!(
            subs.iter().any(|s| s == expected),
            "`{expected}` not found among {subs:?} in deployer --help"
        );
    }
}
