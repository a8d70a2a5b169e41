//! The "NLB" data plane: a TCP listener that forwards each new connection to a target of
//! the target group its listener points at (round robin over the healthy ones), and then
//! copies bytes both ways until either side closes. A connection keeps its target for its
//! whole life, so switching the listener never cuts a connection in flight.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::elbv2::backend::Lb;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Accepts connections on `listener` (the `idx`-th of `lb.listeners`) until `shutdown`.
pub(crate) async fn serve(
    listener: TcpListener,
    lb: Arc<Lb>,
    idx: usize,
    shutdown: CancellationToken,
) {
    loop {
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
