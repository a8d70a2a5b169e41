//! The local ECR's contents: which `<repository>:<tag>` images exist, and what each one
//! runs. Locally an "image" is the `demo` binary a build produced (plus a small record:
//! digest, size, push time, commit); a task whose image is `<repository>:<tag>` (or
//! `<repository>@<digest>`) runs that binary. Tags are immutable, as the Terraform
//! repository's (`image_tag_mutability = "IMMUTABLE"`).
//!
//! Content-addressed, as a registry is: `<root>/blobs/<hex>` holds each binary once (its
//! name is its sha256, the image's digest), `<root>/<repository>/<tag>/image.json` names
//! the digest a tag points at. Pushing the same binary under ten tags stores it once (the
//! test stacks tag one binary many times); a tag appears at once (its directory is written
//! aside, then renamed), so a reader never sees half of one, and a crash leaves either the
//! old state or the new one.

use deployer_models::time::now_secs as now;
use std::io::{Read, Write};
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

    /// The image manifest ECR hands out (BatchGetImage) and takes back (PutImage): an OCI
    /// manifest whose one layer is the binary. Rendered from the record alone, so the same
    /// image always has the same manifest.
    pub fn manifest(&self) -> String {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": self.digest,
                "size": self.size_bytes
            },
            "layers": [{
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": self.digest,
                "size": self.size_bytes
            }]
        })
        .to_string()
    }
}

/// The media type of [`ImageRecord::manifest`].
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("The repository with name '{0}' does not exist in the registry with id '{1}'")]
    RepositoryNotFound(String, String),
    #[error("The image tag '{tag}' already exists in the '{repository}' repository and cannot be overwritten because the repository is immutable.")]
    TagAlreadyExists { repository: String, tag: String },
    #[error("The image with imageId {{imageDigest:'{digest}'}} does not exist within the repository with name '{repository}' in the registry with id '{registry}'")]
    DigestNotFound {
        repository: String,
        digest: String,
        registry: String,
    },
    #[error("Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9-_.]+' and length 1..300': {0:?}")]
    InvalidTag(String),
    #[error("{0}")]
    Io(String),
}

/// The store under `root`.
#[derive(Debug, Clone)]
pub struct ImageStore {
    root: PathBuf,
    registry_id: String,
}

const BLOBS: &str = "blobs";
const RECORD: &str = "image.json";

impl ImageStore {
    pub fn new(root: impl Into<PathBuf>, registry_id: &str) -> Self {
        ImageStore {
            root: root.into(),
            registry_id: registry_id.to_string(),
        }
    }

    pub fn registry_id(&self) -> &str {
        &self.registry_id
    }

    /// Creates the repository (no-op when it exists).
    pub fn create_repository(&self, name: &str) -> Result<(), ImageError> {
        if !valid_component(name) || name == BLOBS {
            return Err(ImageError::Io(format!("invalid repository name {name:?}")));
        }
        std::fs::create_dir_all(self.root.join(name)).map_err(|e| {
            ImageError::Io(format!(
                "cannot create {}: {e}",
                self.root.join(name).display()
            ))
        })
    }

    pub fn repository_exists(&self, name: &str) -> bool {
        valid_component(name) && name != BLOBS && self.root.join(name).is_dir()
    }

    /// The repositories, by name.
    pub fn repositories(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut out: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != BLOBS && !n.starts_with('.'))
            .collect();
        out.sort();
        out
    }

    /// Stores `binary` as `<repository>:<tag>` (`docker push`).
    pub fn put(
        &self,
        repository: &str,
        tag: &str,
        binary: &Path,
        commit: &str,
        version: &str,
    ) -> Result<ImageRecord, ImageError> {
        self.check_new_tag(repository, tag)?;
        let (digest, size) = self.store_blob(binary)?;
        self.write_tag(ImageRecord {
            repository: repository.to_string(),
            tag: tag.to_string(),
            digest,
            size_bytes: size,
            pushed_at_ms: (now() * 1000.0) as u64,
            commit: commit.to_string(),
            version: version.to_string(),
        })
    }

    /// Tags an image already in the repository (`digest`) as `tag` too (PutImage with the
    /// manifest BatchGetImage gave: ECR's way to retag). Keeps the image's commit and version.
    pub fn tag(
        &self,
        repository: &str,
        tag: &str,
        digest: &str,
    ) -> Result<ImageRecord, ImageError> {
        self.check_new_tag(repository, tag)?;
        let Some(source) = self.by_digest(repository, digest).into_iter().next() else {
            return Err(ImageError::DigestNotFound {
                repository: repository.to_string(),
                digest: digest.to_string(),
                registry: self.registry_id.clone(),
            });
        };
        self.write_tag(ImageRecord {
            tag: tag.to_string(),
            pushed_at_ms: (now() * 1000.0) as u64,
            ..source
        })
    }

    /// Removes the tag (BatchDeleteImage); the blob stays (ECR's garbage collection is not
    /// emulated: a blob is small next to the state dir's logs). Returns the removed record.
    pub fn delete(&self, repository: &str, tag: &str) -> Option<ImageRecord> {
        let rec = self.get(repository, tag)?;
        let dir = self.root.join(repository).join(tag);
        let gone = self
            .root
            .join(repository)
            .join(format!(".{tag}.{}.deleted", std::process::id()));
        std::fs::rename(&dir, &gone).ok()?;
        let _ = std::fs::remove_dir_all(&gone);
        Some(rec)
    }

    fn check_new_tag(&self, repository: &str, tag: &str) -> Result<(), ImageError> {
        if !self.repository_exists(repository) {
            return Err(ImageError::RepositoryNotFound(
                repository.to_string(),
                self.registry_id.clone(),
            ));
        }
        if !valid_tag(tag) {
            return Err(ImageError::InvalidTag(tag.to_string()));
        }
        if self.root.join(repository).join(tag).exists() {
            return Err(ImageError::TagAlreadyExists {
                repository: repository.to_string(),
                tag: tag.to_string(),
            });
        }
        Ok(())
    }

    /// Copies `binary` into the blobs (once per content): `(sha256:<hex>, size)`.
    fn store_blob(&self, binary: &Path) -> Result<(String, u64), ImageError> {
        let io = |what: String, e: std::io::Error| ImageError::Io(format!("{what}: {e}"));
        let blobs = self.root.join(BLOBS);
        std::fs::create_dir_all(&blobs)
            .map_err(|e| io(format!("cannot create {}", blobs.display()), e))?;
        let mut src = std::fs::File::open(binary)
            .map_err(|e| io(format!("cannot read {}", binary.display()), e))?;
        let tmp = blobs.join(format!(
            ".{}.{}.tmp",
            std::process::id(),
            crate::names::random_id(8, crate::names::HEX)
        ));
        let mut out =
            std::fs::File::create(&tmp).map_err(|e| io("cannot write a blob".into(), e))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = src
                .read(&mut buf)
                .map_err(|e| io(format!("cannot read {}", binary.display()), e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|e| io("cannot write a blob".into(), e))?;
            size += n as u64;
        }
        out.sync_all()
            .map_err(|e| io("cannot write a blob".into(), e))?;
        drop(out);
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| io("cannot make the image binary executable".into(), e))?;
        }
        let hex = hex(&hasher.finalize());
        let dest = blobs.join(&hex);
        if dest.exists() {
            let _ = std::fs::remove_file(&tmp);
        } else {
            std::fs::rename(&tmp, &dest).map_err(|e| io("cannot store a blob".into(), e))?;
        }
        Ok((format!("sha256:{hex}"), size))
    }

    fn write_tag(&self, record: ImageRecord) -> Result<ImageRecord, ImageError> {
        let io = |what: &str, e: std::io::Error| ImageError::Io(format!("{what}: {e}"));
        let (repository, tag) = (record.repository.clone(), record.tag.clone());
        let dir = self.root.join(&repository).join(&tag);
        let tmp = self.root.join(&repository).join(format!(
            ".{tag}.{}.{}.tmp",
            std::process::id(),
            crate::names::random_id(8, crate::names::HEX)
        ));
        std::fs::create_dir_all(&tmp).map_err(|e| io("cannot create the image directory", e))?;
        let json = serde_json::to_vec_pretty(&record).map_err(|e| ImageError::Io(e.to_string()))?;
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(tmp.join(RECORD))?;
            f.write_all(&json)?;
            f.sync_all()
        };
        write().map_err(|e| io("cannot write image.json", e))?;
        match std::fs::rename(&tmp, &dir) {
            Ok(()) => Ok(record),
            Err(_) if dir.exists() => {
                let _ = std::fs::remove_dir_all(&tmp);
                Err(ImageError::TagAlreadyExists { repository, tag })
            }
            Err(e) => Err(io("cannot publish the image", e)),
        }
    }

    /// The image `<repository>:<tag>`, if it exists.
    pub fn get(&self, repository: &str, tag: &str) -> Option<ImageRecord> {
        if !valid_component(repository) || !valid_tag(tag) {
            return None;
        }
        let text = std::fs::read(self.root.join(repository).join(tag).join(RECORD)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// The tags of `repository` that point at `digest` (oldest push first).
    pub fn by_digest(&self, repository: &str, digest: &str) -> Vec<ImageRecord> {
        self.list(repository)
            .into_iter()
            .filter(|r| r.digest == digest)
            .collect()
    }

    /// The binary of a digest.
    fn blob(&self, digest: &str) -> Option<PathBuf> {
        let hex = digest.strip_prefix("sha256:")?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let path = self.root.join(BLOBS).join(hex);
        path.is_file().then_some(path)
    }

    /// The binary an image runs.
    pub fn binary(&self, repository: &str, tag: &str) -> Option<PathBuf> {
        self.blob(&self.get(repository, tag)?.digest)
    }

    /// An image reference (`[<registry>/]<repository>:<tag>` or `...@sha256:<hex>`) as the
    /// local ECR resolves it: its record and its binary, or None when it was never pushed.
    pub fn resolve(&self, image: &str) -> Option<(ImageRecord, PathBuf)> {
        let (_, repo, reference) = split_image(image);
        let rec = if reference.starts_with("sha256:") {
            self.by_digest(&repo, &reference).into_iter().next()?
        } else {
            self.get(&repo, &reference)?
        };
        let bin = self.blob(&rec.digest)?;
        Some((rec, bin))
    }

    /// Every image of a repository, oldest push first.
    pub fn list(&self, repository: &str) -> Vec<ImageRecord> {
        if !self.repository_exists(repository) {
            return Vec::new();
        }
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
/// `latest`, as docker's does; `<repository>@sha256:<hex>` gives the digest as the tag.
pub(crate) fn split_image(uri: &str) -> (String, String, String) {
    let (registry, rest) = match uri.split_once('/') {
        Some((host, rest)) if host.contains('.') || host.contains(':') || host == "localhost" => {
            (host.to_string(), rest)
        }
        _ => (String::new(), uri),
    };
    if let Some((repo, digest)) = rest.split_once('@') {
        return (registry, repo.to_string(), digest.to_string());
    }
    match rest.rsplit_once(':') {
        Some((repo, tag)) => (registry, repo.to_string(), tag.to_string()),
        None => (registry, rest.to_string(), "latest".to_string()),
    }
}

/// ECR's ImageTag: `[a-zA-Z0-9-_.]+`, 1 to 300 characters (botocore's `ImageTag` shape);
/// not `.`/`..` and not starting with `.`, so a tag is always a plain directory name here.
pub(crate) fn valid_tag(s: &str) -> bool {
    (1..=300).contains(&s.len())
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
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
    fn one_blob_per_content_retags_resolve_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::new(dir.path().join("ecr"), "000000000000");
        store.create_repository("demo").unwrap();
        let bin = dir.path().join("demo-built");
        std::fs::write(&bin, b"binary one").unwrap();
        let one = store.put("demo", "v1", &bin, "c1", "1").unwrap();
        let again = store.put("demo", "v1-again", &bin, "c1", "1").unwrap();
        assert_eq!(one.digest, again.digest, "same content, same digest");
        let blobs = std::fs::read_dir(dir.path().join("ecr/blobs"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .count();
        assert_eq!(blobs, 1, "the content is stored once");
        let tagged = store.tag("demo", "v2", &one.digest).unwrap();
        assert_eq!(
            (tagged.digest.as_str(), tagged.commit.as_str()),
            (one.digest.as_str(), "c1")
        );
        assert!(matches!(
            store.tag("demo", "v3", &format!("sha256:{}", "0".repeat(64))),
            Err(ImageError::DigestNotFound { .. })
        ));
        assert!(matches!(
            store.tag("demo", "v2", &one.digest),
            Err(ImageError::TagAlreadyExists { .. })
        ));
        assert_eq!(
            store.tag("demo", "bad/tag", &one.digest),
            Err(ImageError::InvalidTag("bad/tag".into()))
        );
        let (rec, path) = store
            .resolve("000000000000.dkr.ecr.us-east-1.amazonaws.com/demo:v2")
            .unwrap();
        assert_eq!(rec.tag, "v2");
        assert_eq!(std::fs::read(path).unwrap(), b"binary one");
        let (by_digest, _) = store.resolve(&format!("demo@{}", one.digest)).unwrap();
        assert_eq!(by_digest.digest, one.digest);
        assert!(store.resolve("demo:never-pushed").is_none());
        assert!(store.resolve("other:v1").is_none());
        assert_eq!(store.delete("demo", "v2").map(|r| r.tag), Some("v2".into()));
        assert!(store.get("demo", "v2").is_none());
        assert!(
            store.resolve("demo:v1").is_some(),
            "the blob stays for the other tags"
        );
        assert_eq!(store.repositories(), ["demo"]);
        let manifest: serde_json::Value = serde_json::from_str(&one.manifest()).unwrap();
        assert_eq!(manifest["layers"][0]["digest"], one.digest.as_str());
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
        assert_eq!(
            split_image("demo@sha256:ab"),
            (String::new(), "demo".into(), "sha256:ab".into())
        );
    }
}
