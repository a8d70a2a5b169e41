//! Lambda's functions as data: each one's configuration (name, ARN, the executable that is
//! its code, timeout, memory size, environment) and the lookups the API makes by name or
//! ARN, with Lambda's error codes ([`super::Error`]). No HTTP, no processes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::Error;
use crate::wire::error::AwsError;
use deployer_models::sync::lock;

pub(crate) type LambdaResult<T> = Result<T, AwsError<Error>>;

/// The runtime every local function reports: a custom runtime running `bootstrap`.
pub(crate) const RUNTIME: &str = "provided.al2023";
/// The only version there is locally.
pub(crate) const LATEST: &str = "$LATEST";

/// A function as CreateFunction (here: `deployer local up`) defines it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewFunction {
    pub(crate) name: String,
    /// The executable Lambda runs (`bootstrap`).
    pub(crate) code: PathBuf,
    pub(crate) timeout: Duration,
    pub(crate) memory_mb: u32,
    pub(crate) environment: BTreeMap<String, String>,
    pub(crate) role: String,
    pub(crate) description: String,
}

/// A registered function.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Function {
    pub(crate) arn: String,
    pub(crate) def: NewFunction,
    /// Base64 of the SHA-256 of the code, as `CodeSha256` reports it.
    pub(crate) code_sha256: String,
    pub(crate) code_size: u64,
    /// ISO 8601 with milliseconds and `+0000`, as Lambda writes `LastModified`.
    pub(crate) last_modified: String,
}

impl Function {
    pub(crate) fn name(&self) -> &str {
        &self.def.name
    }
    pub(crate) fn log_group(&self) -> String {
        format!("/aws/lambda/{}", self.def.name)
    }
}

/// The functions of the stack.
pub(crate) struct Lambda {
    region: String,
    account: String,
    functions: Mutex<BTreeMap<String, Function>>,
}

/// Function names: 1 to 64 letters, digits, hyphens, underscores (the API reference's
/// pattern for a bare name).
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Lambda {
    pub(crate) fn new(region: &str, account: &str) -> Self {
        Lambda {
            region: region.to_string(),
            account: account.to_string(),
            functions: Mutex::new(BTreeMap::new()),
        }
    }

    pub(crate) fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.region, self.account
        )
    }

    /// CreateFunction's part the stack needs: registers `def` with its code's digest.
    pub(crate) fn create(&self, def: NewFunction) -> LambdaResult<Function> {
        if !valid_name(&def.name) {
            return Err(AwsError::new(
                Error::InvalidParameterValueException,
                format!(
                    "Function name {:?}: 1 to 64 letters, digits, hyphens or underscores",
                    def.name
                ),
            ));
        }
        let bytes = std::fs::read(&def.code).map_err(|e| {
            AwsError::new(
                Error::InvalidParameterValueException,
                format!(
                    "cannot read the code of {} ({}): {e}",
                    def.name,
                    def.code.display()
                ),
            )
        })?;
        let f = Function {
            arn: self.function_arn(&def.name),
            code_sha256: aws_smithy_types::base64::encode(Sha256::digest(&bytes)),
            code_size: bytes.len() as u64,
            last_modified: humantime::format_rfc3339_millis(std::time::SystemTime::now())
                .to_string()
                .replace('Z', "+0000"),
            def,
        };
        lock(&self.functions).insert(f.def.name.clone(), f.clone());
        Ok(f)
    }

    /// The function a `FunctionName` member names: a name, a partial ARN
    /// (`<account>:function:<name>`) or a full ARN, each with an optional `:$LATEST`.
    pub(crate) fn get(&self, id: &str, qualifier: Option<&str>) -> LambdaResult<Function> {
        let not_found = || {
            AwsError::new(
                Error::ResourceNotFoundException,
                format!(
                    "Function not found: {}",
                    if id.starts_with("arn:") {
                        id.to_string()
                    } else {
                        self.function_arn(id)
                    }
                ),
            )
        };
        let rest = id
            .strip_prefix(&format!("arn:aws:lambda:{}:", self.region))
            .unwrap_or(id);
        let rest = rest
            .strip_prefix(&format!("{}:function:", self.account))
            .unwrap_or(rest);
        let (name, arn_qualifier) = match rest.split_once(':') {
            Some((n, q)) => (n, Some(q)),
            None => (rest, None),
        };
        for q in [arn_qualifier, qualifier].into_iter().flatten() {
            if q != LATEST {
                return Err(AwsError::new(
                    Error::ResourceNotFoundException,
                    format!(
                        "Function not found: {}:{q} (only {LATEST} exists locally)",
                        self.function_arn(name)
                    ),
                ));
            }
        }
        if !valid_name(name) {
            return Err(not_found());
        }
        lock(&self.functions)
            .get(name)
            .cloned()
            .ok_or_else(not_found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lambda_with(name: &str) -> Lambda {
        let l = Lambda::new("us-east-1", "000000000000");
        l.create(NewFunction {
            name: name.into(),
            code: std::env::current_exe().unwrap(),
            timeout: Duration::from_secs(3),
            memory_mb: 128,
            environment: BTreeMap::new(),
            role: "arn:aws:iam::000000000000:role/r".into(),
            description: String::new(),
        })
        .unwrap();
        l
    }

    #[test]
    fn functions_are_found_by_name_and_arn() {
        let l = lambda_with("demo-validate");
        let arn = "arn:aws:lambda:us-east-1:000000000000:function:demo-validate";
        for id in [
            "demo-validate",
            arn,
            "000000000000:function:demo-validate",
            "demo-validate:$LATEST",
            &format!("{arn}:$LATEST"),
        ] {
            assert_eq!(l.get(id, None).unwrap().arn, arn, "{id}");
        }
        let e = l.get("other", None).unwrap_err();
        assert_eq!(e.code_str(), "ResourceNotFoundException");
        assert!(e.message.contains("function:other"), "{}", e.message);
        let e = l.get("demo-validate", Some("3")).unwrap_err();
        assert_eq!(e.code_str(), "ResourceNotFoundException");
    }

    #[test]
    fn names_and_code_are_checked() {
        let l = Lambda::new("us-east-1", "000000000000");
        let mut def = NewFunction {
            name: "bad name".into(),
            code: std::env::current_exe().unwrap(),
            timeout: Duration::from_secs(3),
            memory_mb: 128,
            environment: BTreeMap::new(),
            role: String::new(),
            description: String::new(),
        };
        assert_eq!(
            l.create(def.clone()).unwrap_err().code_str(),
            "InvalidParameterValueException"
        );
        def.name = "ok".into();
        def.code = PathBuf::from("/nonexistent/bootstrap");
        let e = l.create(def).unwrap_err();
        assert!(
            e.message.contains("/nonexistent/bootstrap"),
            "{}",
            e.message
        );
        assert!(l.get("ok", None).is_err(), "nothing half-registered");
    }
}
