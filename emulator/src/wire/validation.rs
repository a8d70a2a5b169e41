//! AWS's model validation, as the services built on it (ELBv2, IAM, STS, ...) answer it:
//! every broken constraint of botocore's input shape (`min`, `max`, `pattern`, required)
//! in one message, `1 validation error detected: Value 'x' at 'roleName' failed to satisfy
//! constraint: Member must have length less than or equal to 64` (several joined with
//! `; `, as in `2 validation errors detected: ...`). Members are named in camelCase, as
//! AWS writes them (`pageSize`, `targets.1.member.port`).

use super::error::{AwsError, ErrorCode};

/// The broken constraints of one request, in the order they were checked.
#[derive(Debug, Default)]
pub(crate) struct Constraints(Vec<String>);

impl Constraints {
    fn broken(&mut self, value: Option<&str>, member: &str, rule: String) {
        let value = value.map_or("null".to_string(), |v| format!("'{v}'"));
        self.0.push(format!(
            "Value {value} at '{member}' failed to satisfy constraint: Member must {rule}"
        ));
    }

    /// A required member.
    pub(crate) fn required<T>(&mut self, member: &str, value: Option<T>) {
        if value.is_none() {
            self.broken(None, member, "not be null".into());
        }
    }

    /// A string's length, in characters, from `min` to `max`.
    pub(crate) fn length(&mut self, member: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.broken(
                Some(value),
                member,
                format!("have length greater than or equal to {min}"),
            );
        }
        if n > max {
            self.broken(
                Some(value),
                member,
                format!("have length less than or equal to {max}"),
            );
        }
    }

    /// A number from `min` to `max`.
    pub(crate) fn range(&mut self, member: &str, value: i64, min: i64, max: i64) {
        let text = value.to_string();
        if value < min {
            self.broken(
                Some(&text),
                member,
                format!("have value greater than or equal to {min}"),
            );
        }
        if value > max {
            self.broken(
                Some(&text),
                member,
                format!("have value less than or equal to {max}"),
            );
        }
    }

    /// A string that must match the model's `pattern` (`matches`: whether it does).
    pub(crate) fn pattern(&mut self, member: &str, value: &str, pattern: &str, matches: bool) {
        if !matches {
            self.broken(
                Some(value),
                member,
                format!("satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    /// A string that must be one of the model's `enum` values.
    pub(crate) fn one_of(&mut self, member: &str, value: &str, values: &[&str]) {
        if !values.contains(&value) {
            self.broken(
                Some(value),
                member,
                format!("satisfy enum value set: [{}]", values.join(", ")),
            );
        }
    }

    /// A list of at most `max` members (AWS writes the list as `[a, b]`).
    pub(crate) fn count<T: AsRef<str>>(&mut self, member: &str, items: &[T], max: usize) {
        if items.len() > max {
            let list: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
            self.broken(
                Some(&format!("[{}]", list.join(", "))),
                member,
                format!("have length less than or equal to {max}"),
            );
        }
    }

    /// `code` with every broken constraint, or nothing when none is.
    pub(crate) fn check<C: ErrorCode>(self, code: C) -> Result<(), AwsError<C>> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(AwsError::new(
                code,
                format!("1 validation error detected: {}", self.0[0]),
            )),
            n => Err(AwsError::new(
                code,
                format!("{n} validation errors detected: {}", self.0.join("; ")),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
    enum E {
        ValidationError,
    }
    impl ErrorCode for E {}

    #[test]
    fn one_broken_constraint_and_several() {
        let mut c = Constraints::default();
        c.range("pageSize", 0, 1, 400);
        assert_eq!(
            c.check(E::ValidationError).unwrap_err().message,
            "1 validation error detected: Value '0' at 'pageSize' failed to satisfy \
             constraint: Member must have value greater than or equal to 1"
        );
        let mut c = Constraints::default();
        c.pattern("roleName", "", "[\\w+=,.@-]+", false);
        c.length("roleName", "", 1, 64);
        c.required("marker", None::<&str>);
        assert_eq!(
            c.check(E::ValidationError).unwrap_err().message,
            "3 validation errors detected: Value '' at 'roleName' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; \
             Value '' at 'roleName' failed to satisfy constraint: Member must have length \
             greater than or equal to 1; Value null at 'marker' failed to satisfy \
             constraint: Member must not be null"
        );
        let mut c = Constraints::default();
        c.one_of("stateValue", "Alarm", &["OK", "ALARM"]);
        c.count("alarmNames", &["a", "b", "c"], 2);
        assert_eq!(
            c.check(E::ValidationError).unwrap_err().message,
            "2 validation errors detected: Value 'Alarm' at 'stateValue' failed to satisfy \
             constraint: Member must satisfy enum value set: [OK, ALARM]; Value '[a, b, c]' at \
             'alarmNames' failed to satisfy constraint: Member must have length less than or \
             equal to 2"
        );
        let mut c = Constraints::default();
        c.one_of("stateValue", "OK", &["OK", "ALARM"]);
        c.count("alarmNames", &["a", "b"], 2);
        c.length("roleName", "demo", 1, 64);
        c.range("pageSize", 400, 1, 400);
        c.required("x", Some(1));
        assert!(c.check(E::ValidationError).is_ok());
    }
}
