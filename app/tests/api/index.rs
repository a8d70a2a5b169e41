use crate::helpers::{client, spawn_app};

#[tokio::test]
async fn root_answers_one_readable_line_by_default() {
    // Arrange
    let app = spawn_app(&[("DEMO_VERSION", "v1.2.3"), ("DEMO_COMMIT", "abc1234")]).await;

    // Act
    let response = client().get(app.url("/")).send().await.unwrap();

    // Assert
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("version v1.2.3"), "{body}");
    assert!(body.contains("commit abc1234"), "{body}");
    assert!(
        body.contains(&format!("host {}", demo::metadata::hostname())),
        "{body}"
    );
    assert_eq!(body.lines().count(), 1, "{body}");
    assert!(body.ends_with('\n'));
}

#[tokio::test]
async fn root_answers_json_when_asked() {
    let app = spawn_app(&[("DEMO_VERSION", "blue-7"), ("DEMO_COMMIT", "0123abcd")]).await;

    let response = client()
        .get(app.url("/"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["vary"], "accept");
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "service": "demo",
            "version": "blue-7",
            "commit": "0123abcd",
            "hostname": demo::metadata::hostname(),
            "task": null,
        })
    );
}

#[tokio::test]
async fn defaults_report_the_crate_version_and_build_commit() {
    let app = spawn_app(&[]).await;

    let json: serde_json::Value = client()
        .get(app.url("/"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    let expected_commit = option_env!("DEMO_GIT_COMMIT")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("unknown");
    assert_eq!(json["commit"], expected_commit);
}

#[tokio::test]
async fn head_is_answered_without_a_body() {
    let app = spawn_app(&[]).await;

    let response = client().head(app.url("/")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());
}
