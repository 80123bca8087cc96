//! Once a day, the bot lets go of what it no longer needs:
//! - the record of updates handled more than a week ago (Telegram keeps an
//!   unconfirmed update for a day at most, so none of them can come again);
//! - the bytes of files it has sent (reports' workbooks and charts);
//! - private report drafts untouched for a day (abandoned; the resident
//!   starts again with /report);
//! - outbox rows sent more than [`KEEP_SENT`] ago, except those still
//!   referenced or carrying buttons (see [`outbox::forget_sent_before`]).

use super::{Job, JobFuture, claim_slot};
use crate::app::App;
use crate::store::{drafts, outbox, updates};

/// How long a handled update is remembered.
pub const KEEP_UPDATES: i64 = 7 * 86_400;

/// How long an untouched report draft is kept.
pub const KEEP_DRAFTS: i64 = 86_400;

/// How long a sent outbox row is kept (when nothing refers to it).
pub const KEEP_SENT: i64 = 30 * 86_400;

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
                let drafts = drafts::forget_before(&mut tx, now - KEEP_DRAFTS).await?;
                let sent = outbox::forget_sent_before(&mut tx, now - KEEP_SENT).await?;
                tracing::info!(updates, files, drafts, sent, "housekeeping");
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
