//! Telegram's sending limits, kept by pacing rather than by provoking 429s.
//!
//! Bots FAQ: about 30 messages a second overall, about one a second in one
//! chat (short bursts are tolerated) and 20 a minute in one group. Each is a
//! sliding window; the windows are a little longer than Telegram's so that
//! network jitter between our clock and the server's cannot push two sends
//! into the same server-side window.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct Limits {
    pub overall_per_second: usize,
    pub chat_burst: usize,
    pub group_per_minute: usize,
    /// Of each group's minute, this many sends are kept for alerts: other
    /// traffic to a group stops short of them (and of the last send of a
    /// chat's burst), so an alert is never blocked by the group's own
    /// replies.
    pub alert_headroom: usize,
    /// Added to every window to absorb jitter.
    pub margin: Duration,
    /// Tests and benchmarks only: start no more sends after this many, as a
    /// process that dies mid-broadcast would (the rows stay queued).
    pub stop_after_sends: Option<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            overall_per_second: 30,
            chat_burst: 3,
            group_per_minute: 20,
            alert_headroom: 2,
            margin: Duration::from_millis(25),
            stop_after_sends: None,
        }
    }
}

/// At most `cap` events in any window of `span`.
#[derive(Debug)]
struct Window {
    cap: usize,
    span: Duration,
    times: VecDeque<Instant>,
}

impl Window {
    fn new(cap: usize, span: Duration) -> Window {
        Window {
            cap,
            span,
            times: VecDeque::new(),
        }
    }

    /// When the next event may happen; `None` means now.
    fn next_free(&mut self, now: Instant) -> Option<Instant> {
        self.next_free_within(self.cap, now)
    }

    /// When the next event may happen if only `cap` of the window may be
    /// used; `None` means now.
    fn next_free_within(&mut self, cap: usize, now: Instant) -> Option<Instant> {
        while self.times.front().is_some_and(|t| *t + self.span <= now) {
            self.times.pop_front();
        }
        let cap = cap.max(1);
        (self.times.len() >= cap).then(|| self.times[self.times.len() - cap] + self.span)
    }

    fn record(&mut self, now: Instant) {
        self.times.push_back(now);
    }

    fn idle_since(&self, now: Instant) -> bool {
        self.times.back().is_none_or(|t| *t + self.span <= now)
    }
}

#[derive(Debug)]
struct ChatWindows {
    /// ~1 per second with a short burst: `chat_burst` per `chat_burst` seconds.
    chat: Window,
    /// Only for groups (negative ids): 20 a minute.
    group: Option<Window>,
    /// Set from a 429's `retry_after`.
    blocked_until: Option<Instant>,
}

#[derive(Debug)]
pub struct RateLimiter {
    limits: Limits,
    overall: Window,
    chats: HashMap<i64, ChatWindows>,
}

impl RateLimiter {
    pub fn new(limits: Limits) -> RateLimiter {
        let overall = Window::new(
            limits.overall_per_second,
            Duration::from_secs(1) + limits.margin,
        );
        RateLimiter {
            limits,
            overall,
            chats: HashMap::new(),
        }
    }

    fn chat(&mut self, chat_id: i64) -> &mut ChatWindows {
        let limits = &self.limits;
        self.chats.entry(chat_id).or_insert_with(|| ChatWindows {
            chat: Window::new(
                limits.chat_burst,
                Duration::from_secs(limits.chat_burst as u64) + limits.margin,
            ),
            group: (chat_id < 0).then(|| {
                Window::new(
                    limits.group_per_minute,
                    Duration::from_secs(60) + limits.margin,
                )
            }),
            blocked_until: None,
        })
    }

    /// When a message to `chat_id` may go; `None` means now. Only alert
    /// traffic (`alert`) may use a group's headroom.
    pub fn next_free(&mut self, chat_id: i64, now: Instant, alert: bool) -> Option<Instant> {
        let overall = self.overall.next_free(now);
        let (burst, per_minute, headroom) = (
            self.limits.chat_burst,
            self.limits.group_per_minute,
            self.limits.alert_headroom,
        );
        let c = self.chat(chat_id);
        let blocked = c.blocked_until.filter(|t| *t > now);
        let (chat, group) = match c.group.as_mut() {
            // In a group, other traffic takes one send of the chat's burst
            // window (its minute allows no more on average anyway), so an
            // alert's copy and its live card find room at once.
            Some(g) if !alert && headroom > 0 => (
                c.chat.next_free_within(burst.saturating_sub(2), now),
                g.next_free_within(per_minute.saturating_sub(headroom), now),
            ),
            Some(g) => (c.chat.next_free(now), g.next_free(now)),
            None => (c.chat.next_free(now), None),
        };
        [overall, blocked, chat, group].into_iter().flatten().max()
    }

    /// Whether the overall budget is used up for now.
    pub fn overall_full(&mut self, now: Instant) -> Option<Instant> {
        self.overall.next_free(now)
    }

    /// When the chat was last written to (for round robin within a lane).
    pub fn last_sent(&self, chat_id: i64) -> Option<Instant> {
        self.chats
            .get(&chat_id)
            .and_then(|c| c.chat.times.back().copied())
    }

    pub fn record(&mut self, chat_id: i64, now: Instant) {
        self.overall.record(now);
        let c = self.chat(chat_id);
        c.chat.record(now);
        if let Some(g) = c.group.as_mut() {
            g.record(now);
        }
    }

    /// Telegram said to wait: hold the chat until then.
    pub fn block(&mut self, chat_id: i64, until: Instant) {
        self.chat(chat_id).blocked_until = Some(until);
    }

    /// Drops state of chats that have been quiet for a minute (bounded memory).
    pub fn forget_idle(&mut self, now: Instant) {
        self.chats.retain(|_, c| {
            !(c.chat.idle_since(now)
                && c.group.as_ref().is_none_or(|g| g.idle_since(now))
                && c.blocked_until.is_none_or(|t| t <= now))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn overall_window_caps_at_thirty_a_second() {
        let mut rl = RateLimiter::new(Limits::default());
        let start = Instant::now();
        for chat in 0..30 {
            assert_eq!(rl.next_free(-(chat + 1), start, true), None);
            rl.record(-(chat + 1), start);
        }
        let next = rl.next_free(-100, start, true).expect("31st must wait");
        assert_eq!(next - start, Duration::from_millis(1025));
        assert_eq!(rl.next_free(-100, next, true), None);
    }

    #[tokio::test(start_paused = true)]
    async fn one_chat_gets_a_short_burst_then_one_a_second() {
        let mut rl = RateLimiter::new(Limits::default());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(rl.next_free(5, t0, false), None);
            rl.record(5, t0);
        }
        assert_eq!(
            rl.next_free(5, t0, false),
            Some(t0 + Duration::from_millis(3025))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn group_gets_twenty_a_minute() {
        let mut rl = RateLimiter::new(Limits::default());
        let mut t = Instant::now();
        let start = t;
        for _ in 0..20 {
            if let Some(next) = rl.next_free(-7, t, true) {
                t = next;
            }
            rl.record(-7, t);
        }
        let next = rl.next_free(-7, t, true).unwrap();
        assert!(
            next >= start + Duration::from_secs(60),
            "21st message within a minute"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_blocks_the_chat() {
        let mut rl = RateLimiter::new(Limits::default());
        let t0 = Instant::now();
        rl.block(9, t0 + Duration::from_secs(4));
        assert_eq!(
            rl.next_free(9, t0, false),
            Some(t0 + Duration::from_secs(4))
        );
        assert_eq!(rl.next_free(10, t0, false), None);
        rl.forget_idle(t0 + Duration::from_secs(5));
        assert_eq!(rl.next_free(9, t0 + Duration::from_secs(5), false), None);
    }

    #[tokio::test(start_paused = true)]
    async fn replies_leave_a_groups_headroom_to_alerts() {
        let mut rl = RateLimiter::new(Limits::default());
        let mut t = Instant::now();
        let start = t;
        // Replies fill what they may of the group's minute…
        for _ in 0..18 {
            if let Some(next) = rl.next_free(-7, t, false) {
                t = next;
            }
            rl.record(-7, t);
        }
        let reply = rl.next_free(-7, t, false).expect("the 19th reply waits");
        assert!(reply >= start + Duration::from_secs(60));
        // …and an alert goes at once, not a minute later.
        assert_eq!(rl.next_free(-7, t, true), None);
        // A private chat has no group window: no headroom is kept there.
        for _ in 0..2 {
            assert_eq!(rl.next_free(8, start, false), None);
            rl.record(8, start);
        }
        assert_eq!(rl.next_free(8, start, false), None);
    }

    #[tokio::test(start_paused = true)]
    async fn replies_leave_most_of_a_groups_burst_to_alerts() {
        let mut rl = RateLimiter::new(Limits::default());
        let t0 = Instant::now();
        assert_eq!(rl.next_free(-3, t0, false), None);
        rl.record(-3, t0);
        assert!(rl.next_free(-3, t0, false).is_some());
        for _ in 0..2 {
            assert_eq!(rl.next_free(-3, t0, true), None);
            rl.record(-3, t0);
        }
        assert!(rl.next_free(-3, t0, true).is_some());
    }
}
