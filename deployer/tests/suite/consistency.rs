//! One source of truth: the container name, port, family and health command of
//! docs/CONTRACTS.md agree with the app's defaults, the Dockerfile, taskdef.json,
//! appspec.yaml, buildspec.yml and the Terraform outputs fixture (and the fixture with
//! infra/outputs.tf). infra/'s own resources are checked by infra's tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use deployer_models::appspec::AppSpec;
use deployer_models::outputs::Outputs;
use deployer_models::render::Templates;
use deployer_models::taskdef::{Protocol, TaskDefinition};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The Names table of docs/CONTRACTS.md: `| what | `value` |`.
fn contract() -> BTreeMap<String, String> {
    read("docs/CONTRACTS.md")
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            (cells.len() == 2 && cells[1].starts_with('`'))
                .then(|| (cells[0].to_owned(), cells[1].to_owned()))
        })
        .collect()
}

fn contract_value(key: &str) -> String {
    let c = contract();
    let v = c
        .get(key)
        .unwrap_or_else(|| panic!("docs/CONTRACTS.md has no row {key:?}: {c:?}"));
    v.split('`').nth(1).unwrap().to_owned()
}

struct Contract {
    container: String,
    port: u16,
    family: String,
    health: Vec<String>,
}

fn the_contract() -> Contract {
    let port = contract_value("container port");
    Contract {
        container: contract_value("container name"),
        port: port.parse().unwrap_or_else(|_| panic!("port {port:?}")),
        family: contract_value("task definition family"),
        health: serde_json::from_str(&contract_value("container health command"))
            .expect("the health command is a JSON array"),
    }
}

/// A Dockerfile instruction: keyword (upper case), arguments, and the stage it is in.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
    stage: usize,
}

fn dockerfile() -> Vec<Instruction> {
    let text = read("Dockerfile");
    let mut out = Vec::new();
    let mut stage = 0;
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if current.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if t.starts_with('#') {
            continue;
        }
        if let Some(cont) = t.strip_suffix('\\') {
            current.push_str(cont);
            current.push(' ');
            continue;
        }
        current.push_str(t);
        let (keyword, args) = current.split_once(char::is_whitespace).unwrap();
        let keyword = keyword.to_ascii_uppercase();
        if keyword == "FROM" {
            stage += 1;
        }
        out.push(Instruction {
            keyword,
            args: args.trim().to_owned(),
            stage,
        });
        current.clear();
    }
    out
}

fn final_stage(all: &[Instruction]) -> Vec<&Instruction> {
    let last = all.iter().map(|i| i.stage).max().unwrap();
    all.iter().filter(|i| i.stage == last).collect()
}

fn one<'a>(stage: &[&'a Instruction], keyword: &str) -> &'a Instruction {
    let found: Vec<_> = stage.iter().filter(|i| i.keyword == keyword).collect();
    assert_eq!(found.len(), 1, "runtime stage: expected one {keyword}");
    found[0]
}

fn exec_form(i: &Instruction, what: &str) -> Vec<String> {
    serde_json::from_str(&i.args).unwrap_or_else(|_| {
        panic!(
            "Dockerfile {what} must be exec form (JSON array): {}",
            i.args
        )
    })
}

fn templates() -> Templates {
    Templates::find(None, None).expect("taskdef.json and appspec.yaml at the workspace root")
}

fn taskdef() -> TaskDefinition {
    TaskDefinition::from_json_str(&templates().taskdef.text, "taskdef.json").unwrap()
}

#[test]
fn contract_table_has_the_names() {
    let c = the_contract();
    assert_eq!(c.container, "demo");
    assert_eq!(c.port, 3000);
    assert_eq!(c.family, "demo");
    assert_eq!(c.health, ["CMD", "/demo", "healthcheck"]);
}

#[test]
fn app_defaults_agree() {
    let c = the_contract();
    let settings = demo::configuration::Settings::from_lookup(|_| Ok(None)).unwrap();
    assert_eq!(settings.port, c.port, "the app's default PORT");
    // The health command runs a real subcommand of the binary (and a wrong one would not).
    let args: Vec<&str> = c.health[1..].iter().map(String::as_str).collect();
    assert!(
        demo::cli::Cli::try_parse_from(&args).is_ok(),
        "`demo {}` must be a subcommand of demo",
        args[1..].join(" ")
    );
    assert!(demo::cli::Cli::try_parse_from(["/demo", "health-check"]).is_err());

    // The drain bound after SIGTERM is below ECS's stopTimeout (else SIGKILL cuts it).
    let td = taskdef();
    let container = td.container(&c.container).unwrap();
    let drain = container
        .environment
        .iter()
        .find(|kv| kv.name == "DEMO_SHUTDOWN_TIMEOUT_SECS")
        .map(|kv| kv.value.parse::<u64>().unwrap())
        .unwrap_or(settings.shutdown_timeout.as_secs());
    let stop = u64::from(container.stop_timeout.unwrap_or(30));
    assert!(
        drain < stop,
        "drain {drain}s must be below stopTimeout {stop}s"
    );
}

#[test]
fn taskdef_agrees() {
    let c = the_contract();
    let td = taskdef();
    assert_eq!(td.family, c.family);
    assert_eq!(td.container_definitions.len(), 1);
    let container = td
        .container(&c.container)
        .expect("container named as in the contract");
    assert_eq!(container.essential, Some(true));
    assert_eq!(container.image, "<IMAGE1_NAME>");
    assert_eq!(container.port_mappings.len(), 1);
    let p = &container.port_mappings[0];
    assert_eq!(p.container_port, c.port);
    assert_eq!(p.host_port, Some(c.port));
    assert_eq!(p.protocol, Some(Protocol::Tcp));
    let hc = container.health_check.as_ref().expect("health check");
    assert_eq!(hc.command, c.health);
    assert_eq!(container.readonly_root_filesystem, Some(true));
    let user = container.user.as_deref().expect("user");
    assert!(
        !user.starts_with("0") && !user.starts_with("root"),
        "non-root: {user}"
    );
}

#[test]
fn appspec_agrees() {
    let c = the_contract();
    let spec = AppSpec::from_yaml_str(&templates().appspec.text, "appspec.yaml").unwrap();
    let (_, service) = spec.service().unwrap();
    assert_eq!(service.properties.task_definition, "<TASK_DEFINITION>");
    assert_eq!(
        service.properties.load_balancer_info.container_name,
        c.container
    );
    assert_eq!(service.properties.load_balancer_info.container_port, c.port);
}

#[test]
fn dockerfile_agrees() {
    let c = the_contract();
    let all = dockerfile();
    let runtime = final_stage(&all);
    let from = one(&runtime, "FROM");
    assert_eq!(
        from.args, "scratch AS runtime",
        "runtime stage: FROM scratch, named runtime"
    );

    assert_eq!(one(&runtime, "EXPOSE").args, c.port.to_string());
    let entrypoint = exec_form(one(&runtime, "ENTRYPOINT"), "ENTRYPOINT");
    assert_eq!(
        entrypoint,
        [c.health[1].clone()],
        "ENTRYPOINT is the binary of the health command"
    );
    assert_eq!(exec_form(one(&runtime, "CMD"), "CMD"), ["serve"]);
    let copy = one(&runtime, "COPY");
    assert!(
        copy.args.ends_with(&format!(" {}", c.health[1])),
        "the binary is copied to {}: {}",
        c.health[1],
        copy.args
    );

    // HEALTHCHECK [options] CMD ["/demo", "healthcheck"] with taskdef.json's timings.
    let hc = one(&runtime, "HEALTHCHECK");
    let (options, cmd) = hc
        .args
        .split_once("CMD ")
        .expect("HEALTHCHECK ... CMD [...]");
    let cmd: Vec<String> = serde_json::from_str(cmd.trim()).expect("exec-form HEALTHCHECK");
    assert_eq!(cmd, c.health[1..]);
    let td = taskdef();
    let thc = td
        .container(&c.container)
        .unwrap()
        .health_check
        .clone()
        .unwrap();
    let opt = |name: &str| -> u32 {
        options
            .split_whitespace()
            .find_map(|o| o.strip_prefix(&format!("--{name}=")))
            .unwrap_or_else(|| panic!("HEALTHCHECK --{name}"))
            .trim_end_matches('s')
            .parse()
            .unwrap()
    };
    assert_eq!(Some(opt("interval")), thc.interval, "interval");
    assert_eq!(Some(opt("timeout")), thc.timeout, "timeout");
    assert_eq!(Some(opt("retries")), thc.retries, "retries");
    assert_eq!(Some(opt("start-period")), thc.start_period, "start period");

    // Same non-root user as the task definition.
    let user = one(&runtime, "USER").args.clone();
    assert_eq!(
        Some(user.as_str()),
        td.container(&c.container).unwrap().user.as_deref()
    );
    assert!(!user.starts_with('0'), "non-root");

    // OCI labels: source is the workspace's repository; revision and version from args.
    let labels = one(&runtime, "LABEL").args.clone();
    let manifest = read("Cargo.toml");
    let repository = manifest
        .lines()
        .find_map(|l| l.strip_prefix("repository = "))
        .unwrap();
    assert!(
        labels.contains(&format!("org.opencontainers.image.source={repository}")),
        "{labels}"
    );
    assert!(labels.contains("org.opencontainers.image.revision=\"${GIT_COMMIT}\""));
    assert!(labels.contains("org.opencontainers.image.version=\"${VERSION}\""));

    // The build stage compiles only the app's package, taking the commit as an argument.
    let app_manifest = read("app/Cargo.toml");
    let package = app_manifest
        .lines()
        .find_map(|l| l.strip_prefix("name = "))
        .unwrap()
        .trim_matches('"');
    let runs: Vec<&Instruction> = all.iter().filter(|i| i.keyword == "RUN").collect();
    assert!(runs
        .iter()
        .any(|r| r.args.contains("cargo build") && r.args.contains(&format!("-p {package}"))));
    assert!(runs
        .iter()
        .any(|r| r.args.contains("DEMO_GIT_COMMIT=\"${GIT_COMMIT}\"")));
    assert!(all
        .iter()
        .any(|i| i.keyword == "ARG" && i.args.starts_with("GIT_COMMIT")));
}

#[test]
fn buildspec_agrees_with_the_dockerfile() {
    let text = read("buildspec.yml");
    let all = dockerfile();
    let runtime = final_stage(&all);
    let stage_name = one(&runtime, "FROM")
        .args
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        text.contains(&format!("--target {stage_name}")),
        "buildspec builds --target {stage_name}"
    );
    for arg in ["GIT_COMMIT", "VERSION"] {
        assert!(
            text.contains(&format!("--build-arg {arg}=")),
            "buildspec passes {arg}"
        );
        assert!(
            runtime
                .iter()
                .any(|i| i.keyword == "ARG" && i.args.starts_with(arg)),
            "the runtime stage declares ARG {arg}"
        );
    }
}

#[test]
fn outputs_fixture_agrees() {
    let c = the_contract();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform-outputs.json");
    let o = Outputs::load(&path).unwrap();
    assert_eq!(o.task_family, c.family);
    assert_eq!(o.container_name, c.container);
    assert_eq!(o.container_port, c.port);
    assert_eq!(o.cluster_name, contract_value("ECS cluster / service"));
    assert_eq!(
        o.codedeploy_deployment_config,
        contract_value("CodeDeploy deployment config")
    );
    let groups = &contract()["target groups"];
    for name in [&o.target_group_blue_name, &o.target_group_green_name] {
        assert!(groups.contains(&format!("`{name}`")), "{name} in {groups}");
    }
}

/// The fixture is an example of `terraform output -json` for this stack: it has every
/// contract output, and once infra/outputs.tf is in the tree, exactly its outputs.
#[test]
fn outputs_fixture_matches_the_contract_and_infra() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform-outputs.json");
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let fixture: std::collections::BTreeSet<String> =
        fixture.as_object().unwrap().keys().cloned().collect();
    for name in deployer_models::outputs::OUTPUT_NAMES {
        assert!(
            fixture.contains(*name),
            "fixture lacks contract output `{name}`"
        );
    }
    let outputs_tf = root().join("infra/outputs.tf");
    if outputs_tf.exists() {
        let re = regex::Regex::new(r#"(?m)^output\s+"([A-Za-z0-9_-]+)""#).unwrap();
        let text = std::fs::read_to_string(&outputs_tf).unwrap();
        let declared: std::collections::BTreeSet<String> =
            re.captures_iter(&text).map(|c| c[1].to_owned()).collect();
        assert_eq!(
            fixture, declared,
            "deployer/tests/fixtures/terraform-outputs.json must list exactly the outputs of infra/outputs.tf"
        );
    }
}
