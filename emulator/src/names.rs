//! The names every emulated service shares: the stack's resources (as `infra/` names
//! them), their ARNs from the region, and the random ids AWS hands out.

pub(crate) const ACCOUNT_ID: &str = "000000000000";
pub(crate) const CLUSTER: &str = "demo";
pub(crate) const SERVICE: &str = "demo";
pub(crate) const FAMILY: &str = "demo";
pub(crate) const CONTAINER: &str = "demo";
pub(crate) const CONTAINER_PORT: u16 = 3000;
pub(crate) const APP_NAME: &str = "demo";
pub(crate) const GROUP_NAME: &str = "demo";
pub(crate) const DEPLOYMENT_CONFIG: &str = "CodeDeployDefault.ECSAllAtOnce";
pub(crate) const TG_NAMES: [&str; 2] = ["demo-blue", "demo-green"];
pub(crate) const ECR_REPOSITORY: &str = "demo";
pub(crate) const EXECUTION_ROLE: &str = "demo-ecs-task-execution";
pub(crate) const TASK_ROLE: &str = "demo-ecs-task";
pub(crate) const LOG_GROUP: &str = "/ecs/demo";
/// The 5xx metric filter and alarm (infra/codedeploy.tf's `http_5xx`, both named
/// `${var.name}-http-5xx`), and the metric between them.
pub(crate) const HTTP_5XX_ALARM: &str = "demo-http-5xx";
pub(crate) const HTTP_5XX_FILTER: &str = "demo-http-5xx";
pub(crate) const METRICS_NAMESPACE: &str = "demo/service";
pub(crate) const HTTP_5XX_METRIC: &str = "Http5xx";

/// `n` random characters from `alphabet`.
pub(crate) fn random_id(n: usize, alphabet: &[u8]) -> String {
    (0..n)
        .map(|_| alphabet[fastrand_index(alphabet.len())] as char)
        .collect()
}

fn fastrand_index(len: usize) -> usize {
    let bytes = uuid::Uuid::new_v4();
    (u128::from_le_bytes(*bytes.as_bytes()) % len as u128) as usize
}

pub(crate) const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub(crate) const HEX: &[u8] = b"0123456789abcdef";
pub(crate) const DIGITS: &[u8] = b"0123456789";

/// ARNs and names of everything the stack serves, from its region.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    pub(crate) region: String,
}

impl Names {
    pub(crate) fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{ACCOUNT_ID}:{resource}", self.region)
    }
    pub(crate) fn cluster_arn(&self) -> String {
        self.arn("ecs", &format!("cluster/{CLUSTER}"))
    }
    pub(crate) fn service_arn(&self) -> String {
        self.arn("ecs", &format!("service/{CLUSTER}/{SERVICE}"))
    }
    pub(crate) fn task_def_arn(&self, family: &str, revision: u32) -> String {
        self.arn("ecs", &format!("task-definition/{family}:{revision}"))
    }
    pub(crate) fn task_arn(&self, id: &str) -> String {
        self.arn("ecs", &format!("task/{CLUSTER}/{id}"))
    }
    pub(crate) fn task_set_arn(&self, id: &str) -> String {
        self.arn("ecs", &format!("task-set/{CLUSTER}/{SERVICE}/{id}"))
    }
    pub(crate) fn lb_arn(&self) -> String {
        self.arn(
            "elasticloadbalancing",
            "loadbalancer/net/demo/0123456789abcdef",
        )
    }
    pub(crate) fn tg_arn(&self, name: &str) -> String {
        let suffix = if name.ends_with("blue") {
            "1111111111111111"
        } else {
            "2222222222222222"
        };
        self.arn(
            "elasticloadbalancing",
            &format!("targetgroup/{name}/{suffix}"),
        )
    }
    pub(crate) fn listener_arn(&self, port_kind: &str) -> String {
        let suffix = if port_kind == "prod" {
            "aaaaaaaaaaaaaaaa"
        } else {
            "bbbbbbbbbbbbbbbb"
        };
        self.arn(
            "elasticloadbalancing",
            &format!("listener/net/demo/0123456789abcdef/{suffix}"),
        )
    }
    pub(crate) fn role_arn(&self, name: &str) -> String {
        format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}")
    }
    pub(crate) fn ecr_repository_url(&self) -> String {
        format!(
            "{ACCOUNT_ID}.dkr.ecr.{}.amazonaws.com/{ECR_REPOSITORY}",
            self.region
        )
    }
}

/// The version a task reports: the image tag (`repo:tag` -> `tag`; a digest reference
/// `repo@sha256:...` -> the digest; no tag -> `latest`).
pub(crate) fn version_of_image(image: &str) -> String {
    if let Some((_, digest)) = image.split_once('@') {
        return digest.to_string();
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) if !tag.is_empty() => tag.to_string(),
        _ => "latest".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_the_image_tag() {
        assert_eq!(version_of_image("demo:v2"), "v2");
        assert_eq!(
            version_of_image("000000000000.dkr.ecr.us-east-1.amazonaws.com/demo:1.2.3"),
            "1.2.3"
        );
        assert_eq!(version_of_image("localhost:5000/demo"), "latest");
        assert_eq!(version_of_image("demo@sha256:abcd"), "sha256:abcd");
    }

    #[test]
    fn random_ids_use_the_alphabet() {
        let id = random_id(9, UPPER_ALNUM);
        assert_eq!(id.len(), 9);
        assert!(id.bytes().all(|b| UPPER_ALNUM.contains(&b)), "{id}");
        assert_ne!(random_id(16, HEX), random_id(16, HEX));
    }
}
