//! One poison-tolerant lock: a panic while a guard was held leaves the state as the
//! panicking code left it, which every caller here accepts (each operation leaves the
//! state whole before it can panic), rather than taking the whole stack down with it.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, taking the data back from a poisoned lock.
pub(crate) fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
