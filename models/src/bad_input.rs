//! The marker for errors caused by the user's input. It lives here, in the lowest crate,
//! because every crate above (the emulator, the CLI) marks its own input errors with it and
//! the CLI maps any error whose chain holds one to exit code 2.

/// Marks an error as the user's input being wrong (exit code 2). The message must name
/// the file, the field or position, and the value.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Shorthand: `return Err(bad_input(format!(...)))`.
pub fn bad_input(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(BadInput(msg.into()))
}
