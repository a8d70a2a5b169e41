//! The open-file limit (`RLIMIT_NOFILE`) and the connection cap it allows.
//!
//! Every connection is a file descriptor. `demo serve` raises its soft limit to the hard
//! limit at startup (the soft limit is often 1024 while the hard one is much higher;
//! raising it needs no privilege), and the default `DEMO_MAX_CONNECTIONS` follows from the
//! result: the limit, counted up to [`DEFAULT_CAP_FD_CEILING`], minus [`RESERVED_FDS`] for
//! the server's own files. On AWS, `taskdef.json` sets `nofile` to 8192 (soft and hard;
//! Fargate's default is 65535 for both, per the ECS API reference's `Ulimit`), so the cap
//! there is 8128; the ceiling keeps the default within the task's memory where the hard
//! limit is much larger (Docker's default is 1048576).
//! Fargate's limits: <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Ulimit.html>
//! ("The default nofile soft limit is 65535 and the default hard limit is 65535"; older
//! pages and the CDK v1 docs still say 1024 and 4096, which is why the task definition
//! sets it rather than relying on the default).

use nix::sys::resource::{getrlimit, setrlimit, Resource};

/// File descriptors kept for the server itself: stdio, the listener, the runtime's epoll
/// and eventfd, the metadata client, and the connection accepted while the cap is full
/// (about ten in use; the rest is margin).
pub const RESERVED_FDS: u64 = 64;

/// The default cap counts the open-file limit up to this many files. A connection costs
/// about 12 KiB of memory while silent or idle and about 24 KiB once part of a head has
/// arrived (hyper's read buffer: 8 KiB, grown to 16 KiB for the rest of a head), plus the
/// kernel's socket; 8128 slowloris connections then take about 200 MiB, within the 512 MiB
/// task with room to serve (bench/README.md, "Connection flood", has the measured RSS).
pub const DEFAULT_CAP_FD_CEILING: u64 = 8_192;

/// The process's `RLIMIT_NOFILE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NofileLimit {
    /// The soft limit (what `open`/`accept` are held to).
    pub soft: u64,
    /// The hard limit (how far the soft one may be raised).
    pub hard: u64,
}

/// Reads the current limit.
pub fn current() -> nix::Result<NofileLimit> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    Ok(NofileLimit { soft, hard })
}

/// Raises the soft limit to the hard limit; returns the limit before and after.
pub fn raise_to_hard() -> nix::Result<(NofileLimit, NofileLimit)> {
    let before = current()?;
    if before.soft < before.hard {
        setrlimit(Resource::RLIMIT_NOFILE, before.hard, before.hard)?;
    }
    Ok((before, current()?))
}

/// The most connections a soft limit of `soft` open files allows.
pub fn max_connections_allowed(soft: u64) -> usize {
    usize::try_from(soft.saturating_sub(RESERVED_FDS))
        .unwrap_or(usize::MAX)
        .max(1)
}

/// The default cap for a soft limit of `soft` open files.
pub fn default_max_connections(soft: u64) -> usize {
    max_connections_allowed(soft.min(DEFAULT_CAP_FD_CEILING))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_leaves_room_and_stops_at_the_ceiling() {
        assert_eq!(default_max_connections(1024), 960);
        assert_eq!(default_max_connections(8_192), 8_128);
        assert_eq!(default_max_connections(65_535), 8_128);
        assert_eq!(default_max_connections(1_048_576), 8_128);
        assert_eq!(default_max_connections(10), 1);
        assert_eq!(max_connections_allowed(65_535), 65_471);
    }

    #[test]
    fn raising_keeps_the_hard_limit() {
        let (before, after) = raise_to_hard().expect("getrlimit/setrlimit");
        assert_eq!(after.hard, before.hard);
        assert_eq!(after.soft, after.hard);
    }
}
