//! Sends the outbox, at Telegram's pace.
//!
//! One loop picks, for each chat, the oldest pending row (so a chat's
//! messages arrive in order), checks the rate limiter, claims the row with a
//! lease and sends it in a task of its own. Sends run concurrently because a
//! slow reply (teloxide waits 10 s after any 5xx before reading it) must not
//! hold up the other chats. The loop sleeps until a row is queued
//! ([`Dispatcher::waker`]), a send ends, or the next row becomes sendable.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::limits::{Limits, RateLimiter};
use super::wall_ms;
use crate::clock::Clock;
use crate::store::outbox::{self as rows, Lane, OutKind, Pending};
use crate::store::{Conn, Store, groups, people};

/// How a send failed, as far as the dispatcher needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// 429: wait this long before writing to the chat again.
    RetryAfter(Duration),
    /// The group became a supergroup with this id.
    Migrated(i64),
    /// The bot can no longer write there (removed, blocked, never started).
    Gone(String),
    /// The bot lacks the administrator right the request needs (`not enough
    /// rights …`, `CHAT_ADMIN_REQUIRED`): retrying will not help, and the
    /// group's record must say so, so that it is not asked again.
    NoRights(String),
    /// The request is wrong and retrying will not help.
    Rejected(String),
    /// Network or server trouble: try again later.
    Transient(String),
}

/// What actually talks to the Bot API (the Telegram adapter implements it).
pub trait Transport: Send + Sync + 'static {
    /// Sends or edits; returns the message id of a new message.
    fn deliver(
        &self,
        msg: &Pending,
        edit_target: Option<i64>,
    ) -> impl Future<Output = Result<Option<i64>, SendError>> + Send;
}

/// Told about every send the dispatcher records, inside the transaction
/// that records it (features keep their own state in step with the outbox,
/// e.g. an alert's progress card). The dispatcher knows nothing of them.
pub trait SendHook: Send + Sync + 'static {
    fn after_record<'a>(
        &'a self,
        conn: &'a mut Conn,
        row: &'a Pending,
        now: i64,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;
}

/// Counters for logs, tests and metrics.
#[derive(Debug, Default)]
pub struct DispatchStats {
    pub sent: AtomicU64,
    pub too_many_requests: AtomicU64,
    pub transient_errors: AtomicU64,
    pub rejected: AtomicU64,
    pub gone: AtomicU64,
    /// Wall-clock milliseconds of the last pass over the queue (for `/healthz`).
    pub last_pass_ms: AtomicI64,
    /// From queued to sent, per lane (real time).
    pub send_latency: super::latency::SendLatency,
}

/// Give up a row after this many transient failures.
const MAX_ATTEMPTS: i64 = 8;
/// Longer than any single request may take (teloxide's client times out at 17 s).
const LEASE: Duration = Duration::from_secs(60);
/// The least time between two passes over the queue (well under the
/// one-second pacing of a chat, so nothing waits noticeably for it).
const MIN_PASS_GAP: Duration = Duration::from_millis(20);
/// How many chats one pass looks at in each lane (the first pending row of each).
const SCAN: i64 = 2000;

pub struct Dispatcher<T: Transport> {
    store: Store,
    transport: Arc<T>,
    clock: Clock,
    limits: Limits,
    wake: Arc<Notify>,
    stats: Arc<DispatchStats>,
    hooks: Arc<Vec<Arc<dyn SendHook>>>,
    /// Sends started, for [`Limits::stop_after_sends`].
    started: AtomicU64,
    /// The instance whose name this dispatcher's leases carry.
    owner: String,
}

impl<T: Transport> Dispatcher<T> {
    pub fn new(store: Store, transport: T, clock: Clock, limits: Limits) -> Self {
        Dispatcher {
            store,
            transport: Arc::new(transport),
            clock,
            limits,
            wake: Arc::new(Notify::new()),
            stats: Arc::new(DispatchStats::default()),
            hooks: Arc::new(Vec::new()),
            started: AtomicU64::new(0),
            owner: crate::role::instance_id(),
        }
    }

    /// Names the instance this dispatcher's leases carry.
    pub fn with_owner(mut self, owner: &str) -> Self {
        self.owner = owner.to_string();
        self
    }

    /// Adds a hook called after each recorded send.
    pub fn with_hook(mut self, hook: Arc<dyn SendHook>) -> Self {
        let mut hooks: Vec<_> = self.hooks.iter().cloned().collect();
        hooks.push(hook);
        self.hooks = Arc::new(hooks);
        self
    }

    /// Notify this after queueing rows so they go out at once.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub fn stats(&self) -> Arc<DispatchStats> {
        self.stats.clone()
    }

    /// Runs until `shutdown` resolves, then lets sends in flight finish
    /// (for at most `grace`). Unsent rows stay queued for the next start.
    ///
    /// One dispatcher sends per database: the active instance's (see
    /// [`crate::role`]), and `run` is called once per term of office. A lease
    /// held by another instance was taken by one that has lost the role
    /// (stopped or crashed mid-send), so the term resumes those rows now
    /// rather than when the lease runs out; at most one extra copy each.
    pub async fn run(&self, shutdown: impl Future<Output = ()>, grace: Duration) {
        tokio::pin!(shutdown);
        match self.release_leases().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(rows = n, "resuming sends another process had started"),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "could not release old leases"),
        }
        // The previous sender's last second still counts at Telegram, and this
        // limiter starts empty: let that window pass before the first send.
        if self.sent_lately().await {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(Duration::from_secs(1) + self.limits.margin) => {}
            }
        }
        let mut limiter = RateLimiter::new(self.limits.clone());
        let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let mut tasks = JoinSet::new();
        loop {
            let started = Instant::now();
            let next = match self.pass(&mut limiter, &in_flight, &mut tasks).await {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "outbox pass failed");
                    Some(Instant::now() + Duration::from_secs(1))
                }
            };
            let sleep_until = next.unwrap_or_else(|| Instant::now() + Duration::from_secs(30));
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.wake.notified() => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = tokio::time::sleep_until(sleep_until) => {}
            }
            while tasks.try_join_next().is_some() {}
            // A busy bot queues rows after every update; one pass per MIN_PASS_GAP
            // takes them all, instead of rescanning the queue for each.
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep_until(started + MIN_PASS_GAP) => {}
            }
        }
        let _ =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    }

    async fn release_leases(&self) -> anyhow::Result<u64> {
        let mut conn = self.store.conn().await?;
        Ok(rows::release_leases(&mut conn, &self.owner).await?)
    }

    /// Whether anything went out in the last two seconds (wall time).
    async fn sent_lately(&self) -> bool {
        let since = wall_ms() / 1000 - 2;
        match self.store.conn().await {
            Ok(mut conn) => rows::sent_since(&mut conn, since).await.unwrap_or(true),
            Err(_) => true,
        }
    }

    /// Starts every send that may go now; returns when to look again.
    async fn pass(
        &self,
        limiter: &mut RateLimiter,
        in_flight: &Arc<Mutex<HashSet<i64>>>,
        tasks: &mut JoinSet<()>,
    ) -> anyhow::Result<Option<Instant>> {
        let mut conn = self.store.conn().await?;
        let now_ms = wall_ms();
        self.stats.last_pass_ms.store(now_ms, Ordering::Relaxed);
        limiter.forget_idle(Instant::now());
        let mut plan = Plan::default();
        for lane in Lane::ALL {
            // A lane behind a full budget would not get a send this pass.
            if let Some(t) = limiter.overall_full(Instant::now()) {
                plan.soonest(t);
                break;
            }
            let heads = rows::lane_heads(&mut conn, lane, SCAN).await?;
            plan.add_lane(heads, limiter);
        }
        loop {
            // The chats with a send in flight, read under the lock (not copied
            // for every pick); the guard ends with this statement.
            let pick = plan.next(
                limiter,
                &in_flight.lock().unwrap_or_else(|e| e.into_inner()),
                Instant::now(),
                wall_ms(),
            );
            let row = match pick {
                Pick::Send(row) => row,
                Pick::Broken(row) => {
                    rows::mark_failed(&mut conn, row.id, "the message to edit was never sent")
                        .await?;
                    continue;
                }
                Pick::Done => break,
            };
            if self
                .limits
                .stop_after_sends
                .is_some_and(|n| self.started.load(Ordering::Relaxed) >= n as u64)
            {
                return Ok(None);
            }
            let now_ms = wall_ms();
            let lease_until = now_ms + LEASE.as_millis() as i64;
            if !rows::claim(&mut conn, row.id, now_ms, lease_until, &self.owner).await? {
                continue;
            }
            // The claim may have waited for the write lock: count the send
            // from when it really starts.
            limiter.record(row.chat_id, Instant::now());
            self.started.fetch_add(1, Ordering::Relaxed);
            in_flight
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(row.chat_id);
            let (store, transport, clock, stats, in_flight, hooks) = (
                self.store.clone(),
                self.transport.clone(),
                self.clock.clone(),
                self.stats.clone(),
                in_flight.clone(),
                self.hooks.clone(),
            );
            let chat_id = row.chat_id;
            let edit_target = row.target_message_id;
            tasks.spawn(async move {
                let result = transport.deliver(&row, edit_target).await;
                // What happened must be written down, or the row is sent again when
                // its lease runs out: try a few times before leaving it to the lease.
                for attempt in 1..=3 {
                    match record(&store, &clock, &stats, &hooks, &row, result.clone()).await {
                        Ok(()) => break,
                        Err(e) => tracing::error!(error = %format!("{e:#}"), row = row.id, attempt, "could not record a send"),
                    }
                }
                in_flight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&chat_id);
            });
        }
        Ok(plan.next_look)
    }
}

/// What the scheduling rule says to do next.
#[derive(Debug)]
pub enum Pick {
    /// Send this row now.
    Send(Pending),
    /// An edit, pin or unpin whose message was never sent: give it up.
    Broken(Pending),
    /// Nothing more may go in this pass.
    Done,
}

/// The scheduling rule for one pass (issue 10): the highest non-empty lane
/// first, within Telegram's limits; within a lane, round robin by chat (the
/// chat served longest ago first, then the oldest row). Each chat offers
/// its oldest row of each lane, so a chat's rows of one lane keep their
/// order, and an edit or pin waits while the message it acts on is pending.
/// Pure apart from the limiter, so it is unit-tested with a paused clock.
#[derive(Debug, Default)]
pub struct Plan {
    rows: std::collections::VecDeque<Pending>,
    /// When to look again for the rows that must wait.
    pub next_look: Option<Instant>,
}

impl Plan {
    fn soonest(&mut self, t: Instant) {
        self.next_look = Some(self.next_look.map_or(t, |n| n.min(t)));
    }

    /// Adds a lane's head rows (the lanes in order, highest first).
    pub fn add_lane(&mut self, mut heads: Vec<Pending>, limiter: &RateLimiter) {
        heads.sort_by_key(|r| (limiter.last_sent(r.chat_id), r.id));
        self.rows.extend(heads);
    }

    /// The next row to send now, in lane order.
    pub fn next(
        &mut self,
        limiter: &mut RateLimiter,
        busy: &HashSet<i64>,
        now: Instant,
        now_ms: i64,
    ) -> Pick {
        while let Some(row) = self.rows.pop_front() {
            if busy.contains(&row.chat_id) {
                continue;
            }
            let wait_ms = row.not_before_ms.max(row.lease_until_ms) - now_ms;
            if wait_ms > 0 {
                self.soonest(now + Duration::from_millis(wait_ms as u64));
                continue;
            }
            if row.kind.target().is_some() {
                if row.target_pending {
                    continue; // it goes once its message has; that send wakes us
                }
                if row.target_message_id.is_none() {
                    return Pick::Broken(row);
                }
            }
            // The overall budget first: when it is spent, nothing more goes
            // this pass, and the next look is when it frees (not when this
            // row's own chat would, which may be later).
            if let Some(t) = limiter.overall_full(now) {
                self.soonest(t);
                self.rows.clear();
                return Pick::Done;
            }
            if let Some(t) = limiter.next_free(row.chat_id, now, row.lane.is_alert()) {
                self.soonest(t);
                continue;
            }
            return Pick::Send(row);
        }
        Pick::Done
    }
}

/// Writes what became of a send.
async fn record(
    store: &Store,
    clock: &Clock,
    stats: &DispatchStats,
    hooks: &[Arc<dyn SendHook>],
    row: &Pending,
    result: Result<Option<i64>, SendError>,
) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    let now = clock.now();
    match result {
        Ok(message_id) => {
            stats.sent.fetch_add(1, Ordering::Relaxed);
            stats
                .send_latency
                .observe(row.lane, row.queued_ms, wall_ms());
            rows::mark_sent(&mut tx, row.id, message_id.or(row.target_message_id), now).await?;
        }
        Err(SendError::RetryAfter(wait)) => {
            stats.too_many_requests.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(chat = row.chat_id, ?wait, "429 from the Bot API");
            rows::retry_later(
                &mut tx,
                row.id,
                wall_ms() + wait.as_millis() as i64,
                "429 Too Many Requests",
            )
            .await?;
        }
        Err(SendError::Migrated(new_chat)) => {
            tracing::info!(
                old = row.chat_id,
                new = new_chat,
                "group moved to a supergroup"
            );
            groups::migrate(&mut tx, row.chat_id, new_chat, now).await?;
            rows::move_chat(&mut tx, row.chat_id, new_chat).await?;
        }
        Err(SendError::Gone(why)) => {
            stats.gone.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(chat = row.chat_id, %why, "chat no longer reachable; dropping its queue");
            rows::mark_failed(&mut tx, row.id, &why).await?;
            rows::fail_chat(&mut tx, row.chat_id, &why).await?;
            if row.chat_id < 0 {
                groups::set_active(&mut tx, row.chat_id, false, now).await?;
            } else {
                people::set_private_chat(&mut tx, row.chat_id, false).await?;
            }
        }
        Err(SendError::NoRights(why)) => {
            stats.rejected.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(chat = row.chat_id, row = row.id, %why, "the bot lacks the right; recorded");
            rows::mark_failed(&mut tx, row.id, &why).await?;
            if matches!(row.kind, OutKind::Pin { .. } | OutKind::Unpin { .. }) {
                groups::lost_pin_right(&mut tx, row.chat_id, now).await?;
            }
        }
        Err(SendError::Rejected(why)) => {
            stats.rejected.fetch_add(1, Ordering::Relaxed);
            tracing::error!(chat = row.chat_id, row = row.id, %why, "the Bot API rejected a message");
            rows::mark_failed(&mut tx, row.id, &why).await?;
        }
        Err(SendError::Transient(why)) => {
            stats.transient_errors.fetch_add(1, Ordering::Relaxed);
            if row.attempts + 1 >= MAX_ATTEMPTS {
                tracing::error!(chat = row.chat_id, row = row.id, %why, "giving up after repeated errors");
                rows::mark_failed(&mut tx, row.id, &why).await?;
            } else {
                let backoff = Duration::from_secs(1u64 << row.attempts.clamp(0, 6));
                tracing::warn!(chat = row.chat_id, row = row.id, %why, ?backoff, "send failed; will retry");
                rows::retry_later(
                    &mut tx,
                    row.id,
                    wall_ms() + backoff.as_millis() as i64,
                    &why,
                )
                .await?;
            }
        }
    }
    for hook in hooks {
        hook.after_record(&mut tx, row, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, chat_id: i64, lane: Lane) -> Pending {
        Pending {
            id,
            chat_id,
            kind: OutKind::Send,
            text: String::new(),
            markup: None,
            reply_to: None,
            attempts: 0,
            not_before_ms: 0,
            lease_until_ms: 0,
            target_message_id: None,
            target_pending: false,
            lane,
            queued_ms: 0,
        }
    }

    /// Runs the rule for one pass, recording the picks as sent a
    /// microsecond apart from `now`.
    fn picks(plan: &mut Plan, limiter: &mut RateLimiter, now: Instant) -> Vec<i64> {
        let mut out = Vec::new();
        loop {
            match plan.next(limiter, &HashSet::new(), now, 0) {
                Pick::Send(r) => {
                    limiter.record(r.chat_id, now + Duration::from_micros(out.len() as u64));
                    out.push(r.id);
                }
                Pick::Broken(r) => out.push(-r.id),
                Pick::Done => return out,
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_highest_lane_goes_first_within_the_overall_budget() {
        let mut limiter = RateLimiter::new(Limits::default());
        let mut plan = Plan::default();
        // Older replies in 40 chats, then an alert to 40 other chats.
        let replies: Vec<_> = (1..=40).map(|i| row(i, -i, Lane::Answer)).collect();
        let copies: Vec<_> = (41..=80).map(|i| row(i, -i, Lane::Urgent)).collect();
        plan.add_lane(copies, &limiter);
        plan.add_lane(replies, &limiter);
        let now = Instant::now();
        let sent = picks(&mut plan, &mut limiter, now);
        assert_eq!(
            sent,
            (41..=70).collect::<Vec<_>>(),
            "30 a second, all alert copies"
        );
        assert_eq!(plan.next_look, Some(now + Duration::from_millis(1025)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_budget_is_looked_at_again_when_it_frees_not_later() {
        let mut limiter = RateLimiter::new(Limits::default());
        let now = Instant::now();
        // The card's chat has used its burst; 29 other chats the rest of the second.
        for _ in 0..3 {
            limiter.record(-1, now);
        }
        for chat in 2..=28 {
            limiter.record(-chat, now);
        }
        let mut plan = Plan::default();
        plan.add_lane(vec![row(1, -1, Lane::Card)], &limiter);
        plan.add_lane(
            (100..140).map(|i| row(i, -i, Lane::Urgent)).collect(),
            &limiter,
        );
        assert_eq!(picks(&mut plan, &mut limiter, now), Vec::<i64>::new());
        // 30 sends in this second: the next look is when the second ends,
        // not when the card's chat may write again (3 s on).
        assert_eq!(plan.next_look, Some(now + Duration::from_millis(1025)));
    }

    #[tokio::test(start_paused = true)]
    async fn within_a_lane_the_chat_served_longest_ago_goes_first() {
        let mut limiter = RateLimiter::new(Limits::default());
        let t0 = Instant::now();
        // Chat -1 had a reply a moment ago; chats -2 and -3 have not.
        limiter.record(-1, t0);
        let t1 = t0 + Duration::from_secs(5);
        let mut plan = Plan::default();
        plan.add_lane(
            vec![
                row(1, -1, Lane::Answer),
                row(2, -2, Lane::Answer),
                row(3, -3, Lane::Answer),
            ],
            &limiter,
        );
        assert_eq!(picks(&mut plan, &mut limiter, t1), vec![2, 3, 1]);
        // Next pass: the same three chats, now -1 was served first of them.
        let t2 = t1 + Duration::from_secs(5);
        let mut plan = Plan::default();
        plan.add_lane(
            vec![
                row(4, -1, Lane::Answer),
                row(5, -2, Lane::Answer),
                row(6, -3, Lane::Answer),
            ],
            &limiter,
        );
        assert_eq!(picks(&mut plan, &mut limiter, t2), vec![5, 6, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_edit_waits_for_its_message_and_a_lost_one_is_given_up() {
        let mut limiter = RateLimiter::new(Limits::default());
        let mut plan = Plan::default();
        let mut waiting = row(1, -1, Lane::FollowOn);
        waiting.kind = OutKind::Pin { of: 9 };
        waiting.target_pending = true;
        let mut lost = row(2, -2, Lane::FollowOn);
        lost.kind = OutKind::Edit { of: 8 };
        let mut ready = row(3, -3, Lane::FollowOn);
        ready.kind = OutKind::Edit { of: 7 };
        ready.target_message_id = Some(70);
        plan.add_lane(vec![waiting, lost, ready], &limiter);
        assert_eq!(picks(&mut plan, &mut limiter, Instant::now()), vec![-2, 3]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_groups_replies_leave_room_for_an_alert() {
        let mut limiter = RateLimiter::new(Limits::default());
        let mut t = Instant::now();
        let start = t;
        // The group's replies use all they may of its minute.
        for _ in 0..18 {
            if let Some(next) = limiter.next_free(-5, t, false) {
                t = next;
            }
            limiter.record(-5, t);
        }
        t += Duration::from_secs(3);
        let mut plan = Plan::default();
        plan.add_lane(vec![row(1, -5, Lane::Urgent)], &limiter);
        plan.add_lane(vec![row(2, -5, Lane::Answer)], &limiter);
        assert_eq!(picks(&mut plan, &mut limiter, t), vec![1]);
        // The reply waits for the group's minute, the alert did not.
        assert!(t < start + Duration::from_secs(60));
        assert!(
            plan.next_look
                .is_some_and(|n| n >= start + Duration::from_secs(60))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_row_waiting_for_retry_or_lease_is_skipped_until_then() {
        let mut limiter = RateLimiter::new(Limits::default());
        let now = Instant::now();
        let mut later = row(1, -1, Lane::Urgent);
        later.not_before_ms = 500;
        let mut plan = Plan::default();
        plan.add_lane(vec![later, row(2, -2, Lane::Bulk)], &limiter);
        assert_eq!(picks(&mut plan, &mut limiter, now), vec![2]);
        assert_eq!(plan.next_look, Some(now + Duration::from_millis(500)));
    }
}
