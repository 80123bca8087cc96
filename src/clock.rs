//! Wall-clock time for the domain (deadlines, schedules), replaceable in tests.
//!
//! Rate limiting uses tokio's monotonic clock instead; this one is only for
//! times that are stored and shown.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Seconds since the Unix epoch, UTC.
pub type Timestamp = i64;

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    /// A clock that only moves when told to.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn manual(start: Timestamp) -> Clock {
        Clock::Manual(Arc::new(AtomicI64::new(start)))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => chrono::Utc::now().timestamp(),
            Clock::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward; a no-op on the system clock.
    pub fn advance(&self, secs: i64) {
        if let Clock::Manual(t) = self {
            t.fetch_add(secs, Ordering::SeqCst);
        }
    }
}
