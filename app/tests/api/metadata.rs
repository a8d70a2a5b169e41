use crate::helpers::{client, fake_metadata, spawn_app, task_document, IMAGE, TASK_ARN, TASK_ID};

async fn root_json(app: &crate::helpers::TestApp) -> serde_json::Value {
    client()
        .get(app.url("/"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn task_metadata_is_reported_when_the_endpoint_answers() {
    // Arrange: the container endpoint says our image; the task endpoint the ARN and AZ.
    let container =
        serde_json::json!({"Name": "demo", "Image": "registry.example/demo:from-container"});
    let fake = fake_metadata(
        (200, task_document().to_string()),
        Some((200, container.to_string())),
    )
    .await;
    let app = spawn_app(&[("ECS_CONTAINER_METADATA_URI_V4", &fake.base_url)]).await;

    // Act
    let json = root_json(&app).await;
    let line = client()
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // Assert
    assert_eq!(
        json["task"],
        serde_json::json!({
            "arn": TASK_ARN,
            "id": TASK_ID,
            "availability_zone": "eu-west-1b",
            "image": "registry.example/demo:from-container",
        })
    );
    assert!(
        line.contains(&format!("task {TASK_ID} in eu-west-1b")),
        "{line}"
    );
}

#[tokio::test]
async fn image_comes_from_the_task_list_when_the_container_endpoint_fails() {
    let fake = fake_metadata(
        (200, task_document().to_string()),
        Some((500, "oops".into())),
    )
    .await;
    let app = spawn_app(&[("ECS_CONTAINER_METADATA_URI_V4", &fake.base_url)]).await;

    let json = root_json(&app).await;

    assert_eq!(json["task"]["image"], IMAGE);
    assert_eq!(json["task"]["arn"], TASK_ARN);
}

#[tokio::test]
async fn a_broken_endpoint_leaves_the_hostname_only() {
    for (status, body) in [
        (500, "{}".to_owned()),
        (200, "not json".to_owned()),
        (200, "{}".to_owned()),
    ] {
        let fake = fake_metadata((status, body.clone()), None).await;
        let app = spawn_app(&[("ECS_CONTAINER_METADATA_URI_V4", &fake.base_url)]).await;

        let json = root_json(&app).await;

        assert_eq!(json["task"], serde_json::Value::Null, "{status} {body}");
        assert_eq!(json["hostname"], demo::metadata::hostname());
    }
}

#[tokio::test]
async fn an_absent_endpoint_does_not_stop_startup() {
    // A port nobody listens on: connection refused at once.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v4/test-id", free.local_addr().unwrap());
    drop(free);
    let app = spawn_app(&[("ECS_CONTAINER_METADATA_URI_V4", &url)]).await;

    let json = root_json(&app).await;

    assert_eq!(json["task"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_silent_endpoint_is_given_up_on_after_the_timeout() {
    // A listener that accepts (in the backlog) but never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v4/test-id", silent.local_addr().unwrap());
    let started = std::time::Instant::now();
    let mut settings = crate::helpers::settings(&[("ECS_CONTAINER_METADATA_URI_V4", &url)]);
    settings.metadata_timeout = std::time::Duration::from_millis(200);

    let app = demo::startup::Application::build(settings).await.unwrap();

    let elapsed = started.elapsed();
    assert!(
        elapsed >= std::time::Duration::from_millis(200),
        "{elapsed:?}"
    );
    assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");
    assert!(app.state().identity().task.is_none());
    drop(silent);
}
