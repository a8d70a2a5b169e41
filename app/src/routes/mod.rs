//! One file per handler.

pub mod debug;
pub mod health;
pub mod hot;
pub mod index;
pub mod not_found;
