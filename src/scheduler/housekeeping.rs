//! Once a day, the bot lets go of what it no longer needs: the record of
//! updates handled more than a week ago (Telegram keeps an unconfirmed
//! update for a day at most, so none of them can come again) and the bytes
//! of files it has sent (reports' workbooks and charts).

use super::{Job, JobFuture, claim_slot};
use crate::app::App;
use crate::store::{outbox, updates};

/// How long a handled update is remembered.
pub const KEEP_UPDATES: i64 = 7 * 86_400;

pub struct Housekeeping;

impl Job for Housekeeping {
    fn name(&self) -> &'static str {
        "housekeeping"
    }

    fn run<'a>(&'a self, app: &'a App, now: i64) -> JobFuture<'a> {
        Box::pin(async move {
            let mut tx = app.store.begin().await?;
            if claim_slot(&mut tx, self.name(), now.div_euclid(86_400), now).await? {
                let updates = updates::forget_before(&mut tx, now - KEEP_UPDATES).await?;
                let files = outbox::drop_sent_files(&mut tx, now - 86_400).await?;
                tracing::info!(updates, files, "housekeeping");
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
