//! The one way snapport takes a lock: a panic elsewhere while it was held does not make
//! the data unusable (every guarded value here stays consistent between statements),
//! so a poisoned lock is taken as it is.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, poisoned or not.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
