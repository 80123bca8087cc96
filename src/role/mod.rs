//! Which instance polls, sends and runs the scheduler (issue 13).
//!
//! Several instances may share one PostgreSQL database for availability; one
//! of them is *active* at a time, the others stand by. The active instance
//! is the one holding a session-level advisory lock ([`advisory`]): it takes
//! updates by long polling (or handles the webhook inbox), runs the
//! dispatcher (so there is one sending budget per bot token, and Telegram
//! never sees two `getUpdates` at once) and the scheduler. Every instance
//! serves the webhook and `/healthz`.
//!
//! Why one elected instance rather than sharing the work: Telegram's limits
//! (30 messages/s, 1/s per chat, 20/min per group) and `getUpdates` belong to
//! the bot token, so sharing would need a distributed rate limiter and would
//! still get 409 Conflict from polling. One process already reaches the
//! limit (DESIGN.md §3); the others only need to take over quickly.
//!
//! On SQLite there is one instance: a lock file ([`file_lock`]) refuses a
//! second `pingan run` on the same database, and the only instance is always
//! active.

pub mod advisory;
pub mod file_lock;

use std::future::Future;
use std::pin::Pin;

use tokio::sync::watch;

/// Whether this instance is the active one, as it changes.
#[derive(Clone, Debug)]
pub struct RoleWatch(watch::Receiver<bool>);

impl RoleWatch {
    /// Always active, as on SQLite; keep the sender for as long as the role lasts.
    pub fn always_active() -> (watch::Sender<bool>, RoleWatch) {
        let (tx, rx) = watch::channel(true);
        (tx, RoleWatch(rx))
    }

    pub fn new(rx: watch::Receiver<bool>) -> RoleWatch {
        RoleWatch(rx)
    }

    pub fn is_active(&self) -> bool {
        *self.0.borrow()
    }

    /// `active` or `standby`, as `/healthz` shows it.
    pub fn name(&self) -> &'static str {
        if self.is_active() {
            "active"
        } else {
            "standby"
        }
    }

    /// Resolves when this instance becomes (or is) `active`; never if the
    /// election is over.
    async fn until(&mut self, active: bool) {
        if self.0.wait_for(|a| *a == active).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// A future that resolves when the term ends (the role is lost, or the
/// process stops).
pub type TermEnd = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs `term` for each term of office until `stop` turns true: waits for
/// the role, then runs `term(end)`, where `end` resolves when the role is
/// lost or the process stops; `term` must return promptly after that.
pub async fn each_term<F, Fut>(role: RoleWatch, stop: watch::Receiver<bool>, mut term: F)
where
    F: FnMut(TermEnd) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        let mut waiting = role.clone();
        tokio::select! {
            biased;
            _ = stopped(stop.clone()) => return,
            _ = waiting.until(true) => {}
        }
        let (mut lost, stop_term) = (role.clone(), stop.clone());
        let end: TermEnd = Box::pin(async move {
            tokio::select! {
                _ = stopped(stop_term) => {}
                _ = lost.until(false) => {}
            }
        });
        term(end).await;
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// This process among the instances: host name, process id and a random
/// part (a restarted process on the same host is another instance).
pub fn instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!(
        "{host}-{}-{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_term_begins_with_the_role_and_ends_when_it_is_lost() {
        let (role_tx, role_rx) = watch::channel(false);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (began, ended) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (b, e) = (began.clone(), ended.clone());
        let task = tokio::spawn(each_term(RoleWatch::new(role_rx), stop_rx, move |end| {
            let (b, e) = (b.clone(), e.clone());
            async move {
                b.fetch_add(1, Ordering::SeqCst);
                end.await;
                e.fetch_add(1, Ordering::SeqCst);
            }
        }));
        let until = |n: &Arc<AtomicUsize>, want: usize| {
            let n = n.clone();
            async move {
                while n.load(Ordering::SeqCst) < want {
                    tokio::task::yield_now().await;
                }
            }
        };
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(began.load(Ordering::SeqCst), 0, "standby: no term");
        role_tx.send(true).unwrap();
        until(&began, 1).await;
        role_tx.send(false).unwrap();
        until(&ended, 1).await;
        role_tx.send(true).unwrap();
        until(&began, 2).await;
        stop_tx.send(true).unwrap();
        task.await.unwrap();
        assert_eq!(ended.load(Ordering::SeqCst), 2);
    }
}
