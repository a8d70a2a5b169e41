//! What every service's answer types share: a backend's typed value (a status, a code)
//! written as AWS spells it.

use serde::{Serialize, Serializer};

/// A backend's typed value in an answer, by its AWS name (its strum name). The backends'
/// own serde names are the records' on disk (`Running`, `InProgress`), kept as they are
/// so that a stack's records still read back; the wire's names are the strum ones
/// (`RUNNING`), the one string table of each enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AwsName<T>(pub(crate) T);

impl<T: Copy + Into<&'static str>> Serialize for AwsName<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.into())
    }
}

/// The answer of an operation that has no output in AWS's model: `{}`.
#[derive(Debug, Serialize)]
pub(crate) struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_value_is_written_by_its_strum_name() {
        #[derive(Clone, Copy, strum::IntoStaticStr)]
        #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
        enum Status {
            InProgress,
        }
        assert_eq!(
            serde_json::to_value(AwsName(Status::InProgress)).unwrap(),
            "IN_PROGRESS"
        );
        assert_eq!(
            serde_json::to_value(Some(AwsName(Status::InProgress))).unwrap(),
            "IN_PROGRESS"
        );
    }
}
