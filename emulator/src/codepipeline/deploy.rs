//! The Deploy action, with CodeDeployToECS's semantics: from the build's artifacts,
//! `<IMAGE1_NAME>` in `taskdef.json` becomes `ImageURI` of `imageDetail.json`, the task
//! definition is registered, `<TASK_DEFINITION>` in `appspec.yaml` becomes its ARN, and
//! a blue/green deployment is created in the deployment group; the action ends with the
//! deployment (Succeeded, or Failed when it fails or is rolled back).
//!
//! Like the real action, it is a client of the ECS and CodeDeploy APIs: it calls the
//! stack's own endpoint (JSON 1.1 over loopback), so it runs the same code paths that
//! `deployer deploy` and `aws ecs deploy` drive.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

/// `(code, message)` as CodePipeline's `ErrorDetails`.
pub(crate) type ActionError = (String, String);

fn config_error(message: impl Into<String>) -> ActionError {
    ("ConfigurationError".into(), message.into())
}

/// The task definition (image filled in) and the appspec template of a build's artifacts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prepared {
    pub(crate) image_uri: String,
    pub(crate) task_definition: Value,
    pub(crate) appspec_template: String,
}

/// Reads `imageDetail.json`, `taskdef.json` and `appspec.yaml` from `artifacts` (the
/// BuildOutput artifact) as CodeDeployToECS does.
pub(crate) fn prepare(artifacts: &Path) -> Result<Prepared, ActionError> {
    let read = |name: &str| {
        std::fs::read_to_string(artifacts.join(name)).map_err(|e| {
            config_error(format!(
                "Exception while trying to read the file '{name}' from the artifact BuildOutput: {e}"
            ))
        })
    };
    let detail: Value = serde_json::from_str(&read("imageDetail.json")?).map_err(|e| {
        config_error(format!(
            "Exception while trying to parse the image URI file imageDetail.json from the artifact BuildOutput: {e}"
        ))
    })?;
    let image_uri = detail["ImageURI"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            config_error(
                "imageDetail.json in the artifact BuildOutput has no ImageURI (expected {\"ImageURI\": \"<repository>:<tag>\"})",
            )
        })?
        .to_string();
    let taskdef_text = read("taskdef.json")?;
    if !taskdef_text.contains("<IMAGE1_NAME>") {
        return Err(config_error(
            "The AWS ECS container IMAGE1_NAME in taskdef.json has no placeholder <IMAGE1_NAME> to fill with the image URI",
        ));
    }
    let filled = taskdef_text.replace("<IMAGE1_NAME>", &image_uri);
    let task_definition: Value = serde_json::from_str(&filled).map_err(|e| {
        config_error(format!(
            "Exception while trying to parse the task definition taskdef.json from the artifact BuildOutput: {e}"
        ))
    })?;
    let appspec_template = read("appspec.yaml")?;
    if !appspec_template.contains("<TASK_DEFINITION>") {
        return Err(config_error(
            "appspec.yaml in the artifact BuildOutput has no placeholder <TASK_DEFINITION> for the task definition ARN",
        ));
    }
    Ok(Prepared {
        image_uri,
        task_definition,
        appspec_template,
    })
}

/// A client of the stack's API for the two services the action calls.
pub(crate) struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    pub(crate) fn new(api_url: &str) -> Self {
        Client {
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            url: api_url.to_string(),
        }
    }

    async fn call(&self, target: &str, body: &Value) -> Result<Value, ActionError> {
        let resp = self
            .http
            .post(&self.url)
            .header("x-amz-target", target)
            .header("content-type", "application/x-amz-json-1.1")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| ("JobFailed".to_string(), format!("{target}: {e}")))?;
        let ok = resp.status().is_success();
        let v: Value = resp
            .json()
            .await
            .map_err(|e| ("JobFailed".to_string(), format!("{target}: {e}")))?;
        if !ok {
            return Err((
                "JobFailed".into(),
                format!(
                    "{}: {}",
                    v["__type"].as_str().unwrap_or("error"),
                    v["message"].as_str().unwrap_or("")
                ),
            ));
        }
        Ok(v)
    }

    /// Registers the task definition and creates the deployment; returns its id.
    pub(crate) async fn start(
        &self,
        p: &Prepared,
        application: &str,
        group: &str,
        description: &str,
    ) -> Result<(String, String), ActionError> {
        let td = self
            .call(
                "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
                &p.task_definition,
            )
            .await?;
        let arn = td["taskDefinition"]["taskDefinitionArn"]
            .as_str()
            .ok_or_else(|| {
                (
                    "JobFailed".to_string(),
                    "RegisterTaskDefinition returned no ARN".to_string(),
                )
            })?
            .to_string();
        let appspec = p.appspec_template.replace("<TASK_DEFINITION>", &arn);
        let d = self
            .call(
                "CodeDeploy_20141006.CreateDeployment",
                &json!({
                    "applicationName": application,
                    "deploymentGroupName": group,
                    "description": description,
                    "revision": {
                        "revisionType": "AppSpecContent",
                        "appSpecContent": {"content": appspec}
                    }
                }),
            )
            .await?;
        let id = d["deploymentId"]
            .as_str()
            .ok_or_else(|| {
                (
                    "JobFailed".to_string(),
                    "CreateDeployment returned no id".to_string(),
                )
            })?
            .to_string();
        Ok((arn, id))
    }

    /// `None` while the deployment runs; its end as the action's outcome once it is done.
    pub(crate) async fn poll(&self, deployment_id: &str) -> Option<Result<String, ActionError>> {
        let v = match self
            .call(
                "CodeDeploy_20141006.GetDeployment",
                &json!({"deploymentId": deployment_id}),
            )
            .await
        {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        outcome_of(&v["deploymentInfo"])
    }
}

/// The action's end from a `DeploymentInfo`, or `None` while it runs.
pub(crate) fn outcome_of(info: &Value) -> Option<Result<String, ActionError>> {
    let id = info["deploymentId"].as_str().unwrap_or("");
    match info["status"].as_str()? {
        "Succeeded" => Some(Ok(format!("Deployment {id} succeeded"))),
        status @ ("Failed" | "Stopped") => {
            let why = info["errorInformation"]["message"]
                .as_str()
                .unwrap_or("no error information");
            let rolled_back = info["rollbackInfo"]["rollbackDeploymentId"].is_string();
            Some(Err((
                "JobFailed".into(),
                format!(
                    "Deployment {id} {}{}: {why}",
                    status.to_lowercase(),
                    if rolled_back {
                        " and was rolled back"
                    } else {
                        ""
                    }
                ),
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifacts(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (n, t) in files {
            std::fs::write(dir.path().join(n), t).unwrap();
        }
        dir
    }

    const TD: &str =
        r#"{"family":"demo","containerDefinitions":[{"name":"demo","image":"<IMAGE1_NAME>"}]}"#;
    const AS: &str = "version: 0.0\nResources:\n- TargetService:\n    Type: AWS::ECS::Service\n    Properties:\n      TaskDefinition: <TASK_DEFINITION>\n";

    #[test]
    fn the_image_fills_the_task_definition() {
        let dir = artifacts(&[
            (
                "imageDetail.json",
                r#"{"ImageURI":"0.dkr.ecr.us-east-1.amazonaws.com/demo:abc"}"#,
            ),
            ("taskdef.json", TD),
            ("appspec.yaml", AS),
        ]);
        let p = prepare(dir.path()).unwrap();
        assert_eq!(p.image_uri, "0.dkr.ecr.us-east-1.amazonaws.com/demo:abc");
        assert_eq!(
            p.task_definition["containerDefinitions"][0]["image"],
            "0.dkr.ecr.us-east-1.amazonaws.com/demo:abc"
        );
        assert!(p.appspec_template.contains("<TASK_DEFINITION>"));
    }

    #[test]
    fn missing_or_wrong_artifacts_are_configuration_errors() {
        let cases: [(&[(&str, &str)], &str); 4] = [
            (
                &[("taskdef.json", TD), ("appspec.yaml", AS)],
                "imageDetail.json",
            ),
            (
                &[
                    ("imageDetail.json", "{}"),
                    ("taskdef.json", TD),
                    ("appspec.yaml", AS),
                ],
                "no ImageURI",
            ),
            (
                &[
                    ("imageDetail.json", r#"{"ImageURI":"x:1"}"#),
                    ("taskdef.json", "{}"),
                    ("appspec.yaml", AS),
                ],
                "<IMAGE1_NAME>",
            ),
            (
                &[
                    ("imageDetail.json", r#"{"ImageURI":"x:1"}"#),
                    ("taskdef.json", TD),
                    ("appspec.yaml", "version: 0.0\n"),
                ],
                "<TASK_DEFINITION>",
            ),
        ];
        for (files, needle) in cases {
            let dir = artifacts(files);
            let (code, msg) = prepare(dir.path()).unwrap_err();
            assert_eq!(code, "ConfigurationError");
            assert!(msg.contains(needle), "{msg}");
        }
    }

    #[test]
    fn deployment_status_becomes_the_outcome() {
        assert_eq!(
            outcome_of(&json!({"deploymentId": "d-1", "status": "InProgress"})),
            None
        );
        assert_eq!(
            outcome_of(&json!({"deploymentId": "d-1", "status": "Succeeded"})),
            Some(Ok("Deployment d-1 succeeded".into()))
        );
        let (code, msg) = outcome_of(&json!({
            "deploymentId": "d-1", "status": "Failed",
            "errorInformation": {"code": "HEALTH_CONSTRAINTS", "message": "tasks failed their health checks"},
            "rollbackInfo": {"rollbackDeploymentId": "d-2"}
        }))
        .unwrap()
        .unwrap_err();
        assert_eq!(code, "JobFailed");
        assert_eq!(
            msg,
            "Deployment d-1 failed and was rolled back: tasks failed their health checks"
        );
    }
}
