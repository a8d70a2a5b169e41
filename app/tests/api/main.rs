//! Integration tests: one binary, one module per area.

mod drain;
mod faults;
mod flood;
mod healthcheck;
mod helpers;
mod index;
mod limits;
mod metadata;
mod process;
mod router;
