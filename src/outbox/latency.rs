//! How long sent messages waited, per lane: from queueing to the recorded
//! send, in real time (`/metrics` shows it as a histogram).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;

use crate::store::outbox::Lane;

/// The `lane="…"` label of the outbox's metrics.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct LaneLabel {
    pub lane: &'static str,
}

impl From<Lane> for LaneLabel {
    fn from(lane: Lane) -> Self {
        LaneLabel { lane: lane.key() }
    }
}

/// Upper bounds (seconds) of the latency buckets: an answer or an alert copy
/// goes out within a second or two when the bot is idle; a broadcast to 140
/// groups takes about 5 s, a group's 20/min stretches its queue into minutes.
pub const BUCKETS: [f64; 14] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 180.0, 300.0,
];

/// Send latency per lane. Cloning shares the counts.
#[derive(Debug, Clone)]
pub struct SendLatency {
    family: Family<LaneLabel, Histogram>,
}

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

impl Default for SendLatency {
    fn default() -> Self {
        let family = Family::new_with_constructor(histogram as fn() -> Histogram);
        // Every lane has a series from the start, so a quiet lane reads 0
        // rather than missing.
        for lane in Lane::ALL {
            let _ = family.get_or_create(&lane.into());
        }
        SendLatency { family }
    }
}

impl SendLatency {
    /// A row of `lane` queued at `queued_ms` was sent at `now_ms` (both real ms).
    pub fn observe(&self, lane: Lane, queued_ms: i64, now_ms: i64) {
        // Rows queued before lanes existed carry no queueing time.
        if queued_ms <= 0 {
            return;
        }
        let secs = (now_ms - queued_ms).max(0) as f64 / 1000.0;
        self.family.get_or_create(&lane.into()).observe(secs);
    }

    /// The histograms, to register with a registry.
    pub fn family(&self) -> Family<LaneLabel, Histogram> {
        self.family.clone()
    }
}
