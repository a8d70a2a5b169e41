//! The local ECR's contents: which `<repository>:<tag>` images exist, and what each one
//! runs. Locally an "image" is the `demo` binary a build produced (plus a small record:
//! digest, size, push time, commit); a task whose image is `<repository>:<tag>` runs that
//! binary. Tags are immutable, as the Terraform repository's (`image_tag_mutability =
//! "IMMUTABLE"`).
//!
//! Layout: `<root>/<repository>/<tag>/{demo,image.json}`; an image appears at once
//! (written to a temporary directory, then renamed), so a reader never sees half of one.

use deployer_models::time::now_secs as now;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One image's record (`image.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRecord {
    pub repository: String,
    pub tag: String,
    /// `sha256:<hex>` of the binary.
    pub digest: String,
    pub size_bytes: u64,
    /// Epoch milliseconds (an integer: the record reads back exactly).
    pub pushed_at_ms: u64,
    /// The build argument GIT_COMMIT (the commit the binary reports).
    pub commit: String,
    /// The build argument VERSION.
    pub version: String,
}

impl ImageRecord {
    /// Epoch seconds (the JSON APIs' timestamps).
    pub fn pushed_at(&self) -> f64 {
        self.pushed_at_ms as f64 / 1000.0
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("The repository with name '{0}' does not exist in the registry with id '{1}'")]
    RepositoryNotFound(String, String),
    #[error("The image tag '{tag}' already exists in the '{repository}' repository and cannot be overwritten because the repository is immutable.")]
    TagAlreadyExists { repository: String, tag: String },
    #[error("{0}")]
    Io(String),
}

/// The store under `root`.
#[derive(Debug, Clone)]
pub struct ImageStore {
    root: PathBuf,
    registry_id: String,
}

pub(crate) const BINARY: &str = "demo";
const RECORD: &str = "image.json";

impl ImageStore {
    pub fn new(root: impl Into<PathBuf>, registry_id: &str) -> Self {
        ImageStore {
            root: root.into(),
            registry_id: registry_id.to_string(),
        }
    }

    /// Creates the repository (no-op when it exists).
    pub fn create_repository(&self, name: &str) -> Result<(), ImageError> {
        std::fs::create_dir_all(self.root.join(name)).map_err(|e| {
            ImageError::Io(format!(
                "cannot create {}: {e}",
                self.root.join(name).display()
            ))
        })
    }

    pub fn repository_exists(&self, name: &str) -> bool {
        valid_component(name) && self.root.join(name).is_dir()
    }

    /// Stores `binary` as `<repository>:<tag>`.
    pub fn put(
        &self,
        repository: &str,
        tag: &str,
        binary: &Path,
        commit: &str,
        version: &str,
    ) -> Result<ImageRecord, ImageError> {
        if !self.repository_exists(repository) {
            return Err(ImageError::RepositoryNotFound(
                repository.to_string(),
                self.registry_id.clone(),
            ));
        }
        if !valid_component(tag) {
            return Err(ImageError::Io(format!("invalid tag {tag:?}")));
        }
        let dir = self.root.join(repository).join(tag);
        if dir.exists() {
            return Err(ImageError::TagAlreadyExists {
                repository: repository.to_string(),
                tag: tag.to_string(),
            });
        }
        let io = |what: &str, e: std::io::Error| ImageError::Io(format!("{what}: {e}"));
        let bytes = std::fs::read(binary)
            .map_err(|e| io(&format!("cannot read {}", binary.display()), e))?;
        let record = ImageRecord {
            repository: repository.to_string(),
            tag: tag.to_string(),
            digest: format!("sha256:{}", hex(&Sha256::digest(&bytes))),
            size_bytes: bytes.len() as u64,
            pushed_at_ms: (now() * 1000.0) as u64,
            commit: commit.to_string(),
            version: version.to_string(),
        };
        let tmp = self
            .root
            .join(repository)
            .join(format!(".{tag}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| io("cannot create the image directory", e))?;
        let bin = tmp.join(BINARY);
        std::fs::write(&bin, &bytes).map_err(|e| io("cannot write the image binary", e))?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| io("cannot make the image binary executable", e))?;
        }
        let json = serde_json::to_vec_pretty(&record).map_err(|e| ImageError::Io(e.to_string()))?;
        std::fs::write(tmp.join(RECORD), json).map_err(|e| io("cannot write image.json", e))?;
        match std::fs::rename(&tmp, &dir) {
            Ok(()) => Ok(record),
            Err(_) if dir.exists() => {
                let _ = std::fs::remove_dir_all(&tmp);
                Err(ImageError::TagAlreadyExists {
                    repository: repository.to_string(),
                    tag: tag.to_string(),
                })
            }
            Err(e) => Err(io("cannot publish the image", e)),
        }
    }

    /// The image `<repository>:<tag>`, if it exists.
    pub fn get(&self, repository: &str, tag: &str) -> Option<ImageRecord> {
        if !valid_component(repository) || !valid_component(tag) {
            return None;
        }
        let text = std::fs::read(self.root.join(repository).join(tag).join(RECORD)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// The binary an image runs.
    pub fn binary(&self, repository: &str, tag: &str) -> Option<PathBuf> {
        self.get(repository, tag)?;
        Some(self.root.join(repository).join(tag).join(BINARY))
    }

    /// Every image of a repository, oldest push first.
    pub fn list(&self, repository: &str) -> Vec<ImageRecord> {
        let Ok(entries) = std::fs::read_dir(self.root.join(repository)) else {
            return Vec::new();
        };
        let mut out: Vec<ImageRecord> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let tag = e.file_name().to_string_lossy().into_owned();
                if tag.starts_with('.') {
                    return None;
                }
                self.get(repository, &tag)
            })
            .collect();
        out.sort_by(|a, b| a.pushed_at_ms.cmp(&b.pushed_at_ms).then(a.tag.cmp(&b.tag)));
        out
    }
}

/// `<registry>/<repository>:<tag>` → `(registry, repository, tag)`; the tag defaults to
/// `latest`, as docker's does.
pub(crate) fn split_image(uri: &str) -> (String, String, String) {
    let (registry, rest) = match uri.split_once('/') {
        Some((host, rest)) if host.contains('.') || host.contains(':') || host == "localhost" => {
            (host.to_string(), rest)
        }
        _ => (String::new(), uri),
    };
    match rest.rsplit_once(':') {
        Some((repo, tag)) => (registry, repo.to_string(), tag.to_string()),
        None => (registry, rest.to_string(), "latest".to_string()),
    }
}

fn valid_component(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !s.split('/').any(|c| c.is_empty() || c == "..")
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_list_and_immutability() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::new(dir.path().join("ecr"), "000000000000");
        let bin = dir.path().join("demo-built");
        std::fs::write(&bin, b"binary one").unwrap();
        assert_eq!(
            store.put("demo", "abc", &bin, "abc", "0.1.0"),
            Err(ImageError::RepositoryNotFound(
                "demo".into(),
                "000000000000".into()
            ))
        );
        store.create_repository("demo").unwrap();
        let rec = store.put("demo", "abc", &bin, "abc", "0.1.0").unwrap();
        assert_eq!(rec.size_bytes, 10);
        assert!(rec.digest.starts_with("sha256:") && rec.digest.len() == 71);
        assert_eq!(store.get("demo", "abc"), Some(rec.clone()));
        assert_eq!(
            std::fs::read(store.binary("demo", "abc").unwrap()).unwrap(),
            b"binary one"
        );
        assert_eq!(store.get("demo", "other"), None);
        let e = store.put("demo", "abc", &bin, "abc", "0.1.0").unwrap_err();
        assert!(
            e.to_string()
                .contains("cannot be overwritten because the repository is immutable"),
            "{e}"
        );
        std::fs::write(&bin, b"binary two").unwrap();
        store.put("demo", "def", &bin, "def", "0.1.0").unwrap();
        let tags: Vec<String> = store.list("demo").into_iter().map(|r| r.tag).collect();
        assert_eq!(tags, ["abc", "def"]);
        assert_eq!(store.get("../ecr", "abc"), None, "no path escapes");
    }

    #[test]
    fn image_uris_split() {
        assert_eq!(
            split_image("000000000000.dkr.ecr.us-east-1.amazonaws.com/demo:abc"),
            (
                "000000000000.dkr.ecr.us-east-1.amazonaws.com".into(),
                "demo".into(),
                "abc".into()
            )
        );
        assert_eq!(
            split_image("localhost:5000/team/demo"),
            ("localhost:5000".into(), "team/demo".into(), "latest".into())
        );
        assert_eq!(
            split_image("demo:v2"),
            (String::new(), "demo".into(), "v2".into())
        );
    }
}
