//! Time-driven work: reminders, follow-up questions, recurring alerts and
//! scheduled reports.
//!
//! Each feature contributes a [`Job`]; [`Scheduler::tick`] runs every job once
//! at the domain clock's current time. The background loop ticks every few
//! seconds of real time; tests move the manual clock and call `tick`
//! themselves, so nothing waits on a timer. Jobs must be idempotent (they
//! look at stored state such as "reminded at"), and a job that must run once
//! per occurrence claims its slot with [`claim_slot`].

pub mod expr;
pub mod housekeeping;
pub mod schedule;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use sqlx::Row;
use tokio::sync::Mutex;

use crate::app::{App, panic_message};
use crate::store::Conn;

pub type JobFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

pub trait Job: Send + Sync {
    fn name(&self) -> &'static str;
    /// Does whatever is due at `now` (domain seconds).
    fn run<'a>(&'a self, app: &'a App, now: i64) -> JobFuture<'a>;
}

/// How often the background loop ticks (real time).
pub const TICK_EVERY: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub struct Scheduler {
    jobs: Arc<Vec<Box<dyn Job>>>,
    /// One tick at a time, whether from the loop or from a test.
    running: Arc<Mutex<()>>,
}

impl Scheduler {
    pub fn new(jobs: Vec<Box<dyn Job>>) -> Scheduler {
        Scheduler {
            jobs: Arc::new(jobs),
            running: Arc::default(),
        }
    }

    /// Runs every job once; a failing or panicking job is logged (its
    /// transaction rolls back as it unwinds) and does not stop the others.
    pub async fn tick(&self, app: &App) {
        let _one_at_a_time = self.running.lock().await;
        let now = app.clock.now();
        for job in self.jobs.iter() {
            match AssertUnwindSafe(job.run(app, now)).catch_unwind().await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(job = job.name(), error = %format!("{e:#}"), "scheduled job failed")
                }
                Err(panic) => tracing::error!(
                    job = job.name(),
                    panic = panic_message(panic.as_ref()),
                    "scheduled job panicked"
                ),
            }
        }
        app.wake_dispatcher();
    }

    /// Ticks every [`TICK_EVERY`] until `shutdown`.
    pub async fn run(self, app: App, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut every = tokio::time::interval(TICK_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = every.tick() => self.tick(&app).await,
            }
        }
    }
}

/// Claims occurrence `slot` of `job`; false if it already ran (here or on
/// another instance). Call it in the same transaction as the job's effect.
pub async fn claim_slot(conn: &mut Conn, job: &str, slot: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("INSERT INTO job_runs (job, slot, ran_at) VALUES ($1, $2, $3) ON CONFLICT (job, slot) DO NOTHING")
        .bind(job)
        .bind(slot)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The latest slot of `job` that has run.
pub async fn last_slot(conn: &mut Conn, job: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query("SELECT MAX(slot) AS s FROM job_runs WHERE job = $1")
        .bind(job)
        .fetch_one(&mut *conn)
        .await?
        .try_get("s")
}
