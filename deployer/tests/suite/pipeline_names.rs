//! infra/ and the local pipeline agree on names: the pipeline and CodeBuild project
//! (`var.name`), the stages and their providers, the execution mode, the branch, the
//! Deploy action's template paths and placeholder, the project's environment variables
//! (and that the buildspec needs no others), the build log group and the build timeout.

use std::collections::BTreeSet;
use std::path::Path;

use deployer_emulator::codepipeline::driver::{
    BUILD_LOG_GROUP, BUILD_TIMEOUT_MINUTES, PIPELINE_NAME, PROJECT_ENV, PROJECT_NAME,
};
use deployer_emulator::codepipeline::engine::Stage;
use deployer_emulator::codepipeline::source::BRANCH;
use regex::Regex;

fn read(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// The default of a Terraform variable in infra/variables.tf.
fn default_of(var: &str) -> String {
    let text = read("infra/variables.tf");
    let re = Regex::new(&format!(
        r#"(?s)variable "{var}" \{{.*?default\s*=\s*"?([^"\n]*)"?\n"#
    ))
    .unwrap();
    re.captures(&text)
        .unwrap_or_else(|| panic!("infra/variables.tf: no default for variable {var}"))[1]
        .trim()
        .to_string()
}

fn attr(block: &str, name: &str) -> Vec<String> {
    let re = Regex::new(&format!(r#"(?m)^\s*{name}\s*=\s*"?([^"\n]+?)"?\s*$"#)).unwrap();
    re.captures_iter(block).map(|c| c[1].to_string()).collect()
}

#[test]
fn pipeline_and_project_names_come_from_var_name() {
    let name = default_of("name");
    let pipeline = read("infra/codepipeline.tf");
    let codebuild = read("infra/codebuild.tf");
    assert!(
        pipeline.contains("resource \"aws_codepipeline\" \"app\" {\n  name          = var.name")
    );
    assert!(codebuild
        .contains("resource \"aws_codebuild_project\" \"app\" {\n  name           = var.name"));
    assert_eq!(PIPELINE_NAME, name);
    assert_eq!(PROJECT_NAME, name);
    assert_eq!(BRANCH, default_of("branch"));
}

#[test]
fn stages_providers_and_mode_agree() {
    let text = read("infra/codepipeline.tf");
    let stages: Vec<String> = Regex::new(r#"(?s)stage \{\s*name = "([A-Za-z]+)""#)
        .unwrap()
        .captures_iter(&text)
        .map(|c| c[1].to_string())
        .collect();
    let local: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(stages, local, "stage names and order");
    assert_eq!(
        attr(&text, "provider"),
        ["CodeStarSourceConnection", "CodeBuild", "CodeDeployToECS"]
    );
    // One action per stage, named as its stage (the local engine's rule).
    let actions: Vec<String> = Regex::new(r#"(?s)action \{\s*name\s*=\s*"([A-Za-z]+)""#)
        .unwrap()
        .captures_iter(&text)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(actions, local);
    assert_eq!(attr(&text, "execution_mode"), ["SUPERSEDED"]);
    assert_eq!(attr(&text, "pipeline_type"), ["V2"]);
    assert_eq!(attr(&text, "TaskDefinitionTemplatePath"), ["taskdef.json"]);
    assert_eq!(attr(&text, "AppSpecTemplatePath"), ["appspec.yaml"]);
    assert_eq!(attr(&text, "Image1ContainerName"), ["IMAGE1_NAME"]);
    assert!(read("taskdef.json").contains("\"<IMAGE1_NAME>\""));
    assert!(read("appspec.yaml").contains("<TASK_DEFINITION>"));
}

#[test]
fn project_environment_log_group_and_timeout_agree() {
    let text = read("infra/codebuild.tf");
    let env: BTreeSet<String> =
        Regex::new(r#"(?s)environment_variable \{\s*name\s*=\s*"([A-Z_]+)""#)
            .unwrap()
            .captures_iter(&text)
            .map(|c| c[1].to_string())
            .collect();
    let local: BTreeSet<String> = PROJECT_ENV.iter().map(|s| s.to_string()).collect();
    assert_eq!(env, local, "the CodeBuild project's environment variables");
    // The buildspec reads only those, CodeBuild's own, and its own env.variables.
    let buildspec = read("buildspec.yml");
    let used: BTreeSet<String> = Regex::new(r"\$\{!?([A-Z][A-Z0-9_]*)")
        .unwrap()
        .captures_iter(&buildspec)
        .map(|c| c[1].to_string())
        .collect();
    assert!(
        used.contains("ECR_REPOSITORY_URL") && used.contains("CODEBUILD_RESOLVED_SOURCE_VERSION"),
        "the scan finds the buildspec's variables: {used:?}"
    );
    let assigned = Regex::new(r"(?m)(?:^|[\s;])([A-Z][A-Z0-9_]*)=")
        .unwrap()
        .captures_iter(&buildspec)
        .map(|c| c[1].to_string())
        .collect::<Vec<_>>();
    let provided: BTreeSet<String> = local
        .iter()
        .cloned()
        .chain(assigned)
        .chain(
            [
                "CODEBUILD_RESOLVED_SOURCE_VERSION",
                "AWS_REGION",
                "BUILDX_CACHE_DIR",
            ]
            .map(String::from),
        )
        .collect();
    let missing: Vec<_> = used.difference(&provided).collect();
    assert!(
        missing.is_empty(),
        "buildspec.yml reads variables nobody sets: {missing:?}"
    );
    // The build log group: logs_config names the group resource, "/codebuild/${var.name}".
    assert!(text.contains("group_name = aws_cloudwatch_log_group.codebuild.name"));
    assert!(text.contains("name              = \"/codebuild/${var.name}\""));
    assert_eq!(
        BUILD_LOG_GROUP,
        format!("/codebuild/{}", default_of("name"))
    );
    assert_eq!(
        BUILD_TIMEOUT_MINUTES.to_string(),
        default_of("build_timeout_minutes")
    );
}
