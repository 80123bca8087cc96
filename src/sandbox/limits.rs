//! Telegram's flood limits for outgoing messages: 30/s overall and 20/min per group, as sliding windows.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// At most this many sends in [`GLOBAL_WINDOW`] across all chats.
pub const GLOBAL_MAX: usize = 30;
pub const GLOBAL_WINDOW: Duration = Duration::from_secs(1);
/// At most this many sends in [`GROUP_WINDOW`] to one group or supergroup.
pub const GROUP_MAX: usize = 20;
pub const GROUP_WINDOW: Duration = Duration::from_secs(60);

/// Sliding-window counters of accepted sends.
#[derive(Default)]
pub(crate) struct Limiter {
    global: VecDeque<Instant>,
    per_chat: HashMap<i64, VecDeque<Instant>>,
}

/// How long until a slot frees in `window`, if it is full.
fn wait(
    window: &mut VecDeque<Instant>,
    max: usize,
    span: Duration,
    now: Instant,
) -> Option<Duration> {
    while window
        .front()
        .is_some_and(|&t| now.duration_since(t) >= span)
    {
        window.pop_front();
    }
    (window.len() >= max)
        .then(|| (window[window.len() - max] + span).saturating_duration_since(now))
}

fn secs(d: Duration) -> u32 {
    (d.as_secs_f64().ceil() as u32).max(1)
}

impl Limiter {
    /// `Err(retry_after_seconds)` when a send to `chat` now would exceed a limit. Does not record.
    pub fn check(&mut self, chat: i64, now: Instant) -> Result<(), u32> {
        let mut worst = wait(&mut self.global, GLOBAL_MAX, GLOBAL_WINDOW, now);
        if chat < 0 {
            let w = self.per_chat.entry(chat).or_default();
            worst = worst.max(wait(w, GROUP_MAX, GROUP_WINDOW, now));
        }
        match worst {
            Some(d) => Err(secs(d)),
            None => Ok(()),
        }
    }

    /// Records an accepted send to `chat`.
    pub fn record(&mut self, chat: i64, now: Instant) {
        self.global.push_back(now);
        if chat < 0 {
            self.per_chat.entry(chat).or_default().push_back(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn thirty_per_second_overall() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        for i in 0..30 {
            let now = t0 + ms(i);
            assert_eq!(l.check(100 + i as i64, now), Ok(()));
            l.record(100 + i as i64, now);
        }
        assert_eq!(l.check(1, t0 + ms(40)), Err(1));
        // The first send leaves the window at t0+1s.
        assert_eq!(l.check(1, t0 + ms(1000)), Ok(()));
    }

    #[test]
    fn twenty_per_minute_per_group() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        for i in 0..20 {
            let now = t0 + Duration::from_secs(i);
            assert_eq!(l.check(-5, now), Ok(()));
            l.record(-5, now);
        }
        // 20 sends at t0..t0+19s: the first frees at t0+60s.
        assert_eq!(l.check(-5, t0 + Duration::from_secs(20)), Err(40));
        assert_eq!(l.check(-6, t0 + Duration::from_secs(20)), Ok(()));
        // Private chats have no per-chat limit here.
        assert_eq!(l.check(7, t0 + Duration::from_secs(20)), Ok(()));
        assert_eq!(l.check(-5, t0 + Duration::from_millis(59_500)), Err(1));
        assert_eq!(l.check(-5, t0 + Duration::from_secs(60)), Ok(()));
    }
}
