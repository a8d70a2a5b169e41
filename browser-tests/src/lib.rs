//! Empty on purpose: this crate holds only the dashboard's browser tests
//! (`tests/dashboard/`). They drive the `deployer` binary that `cargo test --workspace`
//! builds beside them, and `deployer::dashboard` in process.
