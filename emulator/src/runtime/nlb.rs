//! The "NLB" data plane: a TCP listener that forwards each new connection to a target of
//! the target group its listener points at (round robin over the healthy ones), and then
//! copies bytes both ways until either side closes. A connection keeps its target for its
//! whole life, so switching the listener never cuts a connection in flight.
//!
//! Each connection it carries holds two of the stack's file descriptors (the client's and
//! the target's). The listeners share a cap ([`slots`]) drawn from the stack's open-file
//! limit, with [`RESERVED_FDS`] kept for the rest of the stack: past the cap, connections
//! wait in the kernel's accept queue until one ends, as at an NLB at capacity. Without it,
//! a few hundred idle connections from anyone on the machine (under the common soft limit
//! of 1024) left the stack's API unable to accept and its records unable to be written.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::elbv2::backend::Lb;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// File descriptors kept for the rest of the stack: the API's connections (at most 256),
/// the records, the task output files and the followers, the pipeline's builds.
pub(crate) const RESERVED_FDS: u64 = 512;
/// The cap whatever the limit allows.
const MAX_SLOTS: u64 = 16_384;
/// The cap however low the limit.
const MIN_SLOTS: u64 = 16;

/// The connections the NLB's listeners carry at once: raises the open-file soft limit to
/// the hard one (as the service does for itself), then half of what it leaves beyond
/// [`RESERVED_FDS`]. `(slots, the soft limit)`.
pub(crate) fn slots() -> (usize, u64) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let soft = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => hard,
            Err(_) => soft,
        },
        Ok((soft, _)) => soft,
        Err(_) => 1024,
    };
    (slots_for(soft), soft)
}

fn slots_for(nofile: u64) -> usize {
    (nofile.saturating_sub(RESERVED_FDS) / 2).clamp(MIN_SLOTS, MAX_SLOTS) as usize
}

/// Accepts connections on `listener` (the `idx`-th of `lb.listeners`) until `shutdown`.
/// `slots`: shared by the listeners ([`slots`]); a connection holds one for its life.
pub(crate) async fn serve(
    listener: TcpListener,
    lb: Arc<Lb>,
    idx: usize,
    slots: Arc<Semaphore>,
    shutdown: CancellationToken,
) {
    loop {
        let slot = tokio::select! {
            _ = shutdown.cancelled() => return,
            s = Arc::clone(&slots).acquire_owned() => s.expect("the semaphore is never closed"),
        };
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            a = listener.accept() => a,
        };
        let (client, _) = match accepted {
            Ok(c) => c,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(target: "nlb", "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let lb = Arc::clone(&lb);
        tokio::spawn(async move {
            let _slot = slot;
            let _ = client.set_nodelay(true);
            forward(client, &lb, idx).await;
        });
    }
}

async fn forward(mut client: TcpStream, lb: &Lb, idx: usize) {
    let (targets, start) = lb.targets_for(idx);
    if targets.is_empty() {
        tracing::debug!(target: "nlb", "no registered target: connection reset");
        return;
    }
    // Try each target once, starting at the round-robin position: a target whose process
    // just exited refuses the connection, and the next one gets it.
    for i in 0..targets.len() {
        let addr = targets[(start + i) % targets.len()];
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(mut upstream)) => {
                let _ = upstream.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                return;
            }
            Ok(Err(e)) => tracing::debug!(target: "nlb", "connect {addr}: {e}"),
            Err(_) => tracing::debug!(target: "nlb", "connect {addr}: timed out"),
        }
    }
    tracing::warn!(target: "nlb", "no target accepted the connection");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elbv2::backend::{HealthSettings, TargetState};
    use crate::names::Names;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn the_cap_leaves_the_reserve_and_two_descriptors_a_connection() {
        assert_eq!(slots_for(1024), 256);
        assert_eq!(slots_for(20_000), 9_744);
        assert_eq!(slots_for(256), MIN_SLOTS as usize);
        assert_eq!(slots_for(1 << 20), MAX_SLOTS as usize);
    }

    /// Echoes what it reads, on each connection, until the client closes.
    async fn echo() -> std::net::SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn round_trip(c: &mut TcpStream, within: Duration) -> bool {
        if c.write_all(b"ping").await.is_err() {
            return false;
        }
        let mut buf = [0u8; 4];
        matches!(
            tokio::time::timeout(within, c.read_exact(&mut buf)).await,
            Ok(Ok(_))
        )
    }

    #[tokio::test]
    async fn past_the_cap_a_connection_waits_until_one_ends() {
        let lb = Arc::new(
            Lb::new(
                &Names {
                    region: "us-east-1".into(),
                },
                &[("prod", 0)],
                HealthSettings {
                    interval: Duration::from_secs(60),
                    timeout: Duration::from_secs(1),
                    healthy_threshold: 2,
                    unhealthy_threshold: 3,
                },
            )
            .unwrap(),
        );
        lb.add_target(0, "t1", echo().await, TargetState::Healthy);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(serve(
            listener,
            Arc::clone(&lb),
            0,
            Arc::new(Semaphore::new(2)),
            shutdown.clone(),
        ));
        let mut a = TcpStream::connect(addr).await.unwrap();
        let mut b = TcpStream::connect(addr).await.unwrap();
        assert!(round_trip(&mut a, Duration::from_secs(5)).await);
        assert!(round_trip(&mut b, Duration::from_secs(5)).await);
        // The third is in the accept queue: connected, not carried.
        let mut c = TcpStream::connect(addr).await.unwrap();
        assert!(
            !round_trip(&mut c, Duration::from_millis(300)).await,
            "carried past the cap"
        );
        // One ends: the third is carried (what it sent meanwhile too).
        drop(a);
        let mut buf = [0u8; 4];
        tokio::time::timeout(Duration::from_secs(5), c.read_exact(&mut buf))
            .await
            .expect("carried once a slot was free")
            .unwrap();
        assert_eq!(&buf, b"ping");
        assert!(round_trip(&mut b, Duration::from_secs(5)).await);
        shutdown.cancel();
        server.await.unwrap();
    }
}
