//! Container image references: `[registry/]repository[:tag][@sha256:<64 hex>]`.
//!
//! The grammar is the one of the Docker/OCI distribution reference, checked by
//! [`oci_spec::distribution::Reference`]. [`ImageRef`] keeps the text exactly as given
//! (its `Display`), because that text goes into the task definition byte for byte, the
//! same way the CodeDeployToECS action copies `ImageURI` from `imageDetail.json`.

use std::fmt;
use std::str::FromStr;

use oci_spec::distribution::Reference;

/// A parsed, valid image reference. `Display` gives back the original text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    text: String,
    registry: Option<String>,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// The error for a string that is not a valid image reference: names the value and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid image reference {value:?}: {reason} \
     (expected [registry/]repository[:tag][@sha256:<64 hex digits>], \
     e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo:3f9c2ab)"
)]
pub struct InvalidImageRef {
    pub value: String,
    pub reason: String,
}

impl ImageRef {
    /// Parses a reference; see [`InvalidImageRef`] for what is rejected.
    pub fn parse(text: &str) -> Result<ImageRef, InvalidImageRef> {
        let fail = |reason: &str| InvalidImageRef {
            value: text.to_owned(),
            reason: reason.to_owned(),
        };
        if text.is_empty() {
            return Err(fail("it is empty"));
        }
        if text.trim() != text {
            return Err(fail("it has leading or trailing whitespace"));
        }
        if let Some(c) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail(&format!("it contains the character {c:?}")));
        }
        let (name, tag, digest) = split(text);
        if let Some(digest) = digest {
            let Some(hex) = digest.strip_prefix("sha256:") else {
                return Err(fail(&format!(
                    "the digest {digest:?} must be sha256:<64 hex digits> (the only kind ECR and ECS use)"
                )));
            };
            if hex.len() != 64
                || !hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return Err(fail(&format!(
                    "the digest {digest:?} must be sha256: followed by exactly 64 lowercase hex digits"
                )));
            }
        }
        let parsed = Reference::from_str(text).map_err(|err| {
            let repo_part =
                name.split_once('/').map_or(
                    name,
                    |(first, rest)| {
                        if is_registry(first) {
                            rest
                        } else {
                            name
                        }
                    },
                );
            if repo_part.chars().any(|c| c.is_ascii_uppercase()) {
                fail("the repository name must be lowercase")
            } else {
                fail(&err.to_string())
            }
        })?;

        let registry = name
            .split_once('/')
            .and_then(|(first, _)| is_registry(first).then(|| first.to_owned()));
        Ok(ImageRef {
            text: text.to_owned(),
            registry,
            repository: parsed.repository().to_owned(),
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
        })
    }

    /// The registry host (with port), when the reference names one
    /// (e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`).
    pub fn registry(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    /// The repository path without registry (`demo`, or `library/nginx` for Docker Hub).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag written in the reference (`None` when there is none: no implicit `latest`).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest written in the reference (`sha256:...`).
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// True when the reference pins what runs: a tag or a digest is given. Without either,
    /// ECS pulls the mutable `latest`.
    pub fn is_pinned(&self) -> bool {
        self.tag.is_some() || self.digest.is_some()
    }

    /// The reference as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Splits `name[:tag][@digest]` (the tag's colon is the last one after the last slash).
fn split(text: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match text.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (text, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(&rest[last_slash + i + 1..]),
            digest,
        ),
        None => (rest, None, digest),
    }
}

/// Docker's rule: the first path component is a registry when it contains `.` or `:`, or
/// is `localhost`.
fn is_registry(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost"
}

impl FromStr for ImageRef {
    type Err = InvalidImageRef;

    fn from_str(s: &str) -> Result<ImageRef, InvalidImageRef> {
        ImageRef::parse(s)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:9b2a4c1f0e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3";

    #[test]
    fn ecr_reference_with_tag() {
        let r: ImageRef = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo:3f9c2ab"
            .parse()
            .unwrap();
        assert_eq!(
            r.registry(),
            Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
        );
        assert_eq!(r.repository(), "demo");
        assert_eq!(r.tag(), Some("3f9c2ab"));
        assert_eq!(r.digest(), None);
        assert!(r.is_pinned());
        assert_eq!(
            r.to_string(),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo:3f9c2ab"
        );
    }

    #[test]
    fn tag_and_digest_and_port() {
        let text = format!("localhost:5000/team/demo:v1.2.3@{DIGEST}");
        let r = ImageRef::parse(&text).unwrap();
        assert_eq!(r.registry(), Some("localhost:5000"));
        assert_eq!(r.repository(), "team/demo");
        assert_eq!(r.tag(), Some("v1.2.3"));
        assert_eq!(r.digest(), Some(DIGEST));
        assert_eq!(r.to_string(), text);
    }

    #[test]
    fn no_registry_no_tag_is_valid_but_not_pinned() {
        let r = ImageRef::parse("demo").unwrap();
        assert_eq!(r.registry(), None);
        assert_eq!(r.tag(), None);
        assert!(!r.is_pinned());
        let r = ImageRef::parse(&format!("demo@{DIGEST}")).unwrap();
        assert!(r.is_pinned());
        assert_eq!(r.tag(), None);
    }

    #[test]
    fn invalid_references_name_value_and_reason() {
        for (bad, reason) in [
            ("", "empty"),
            (" demo:1", "whitespace"),
            ("demo:1 ", "whitespace"),
            ("Demo:1", "lowercase"),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/Demo:1",
                "lowercase",
            ),
            ("demo:", "invalid reference format"),
            ("demo:-bad", "invalid reference format"),
            ("demo::1", "invalid reference format"),
            ("demo@sha256:abc", "digest"),
            ("demo@md5:0123456789abcdef0123456789abcdef", "digest"),
            ("demo\"x", "invalid reference format"),
            ("demo:1\n", "whitespace"),
        ] {
            let err = ImageRef::parse(bad).expect_err(bad);
            let msg = err.to_string();
            assert!(
                msg.contains(&format!("{bad:?}")),
                "{msg} should quote the value"
            );
            assert!(msg.contains(reason), "{msg} should say {reason}");
        }
        let upper = format!("demo@sha256:{}", "A".repeat(64));
        let msg = ImageRef::parse(&upper).unwrap_err().to_string();
        assert!(msg.contains("lowercase hex"), "{msg}");
    }
}
