//! The deployer's models crate (its place among the crates: docs/architecture.md). What a
//! deployment is made of, as typed models: the Terraform outputs ([`outputs`]),
//! the image reference ([`image`]), the task definition ([`taskdef`]), the appspec
//! ([`appspec`]), and rendering them from the repository's templates ([`render`]).
//! Pure: no AWS, no network; the only I/O is reading a file (the outputs).
//! Also the pure side of the day-2 commands: how log events read ([`logview`]) and what
//! `deployer scale` may change ([`scaling`]). Two small helpers every crate shares: the clock
//! ([`time`]) and a poison-tolerant lock ([`sync`]).

pub mod appspec;
mod bad_input;
pub use bad_input::{bad_input, BadInput};
pub mod image;
pub mod logview;
pub mod outputs;
pub mod render;
pub mod scaling;
pub mod sync;
pub mod taskdef;
pub mod time;
