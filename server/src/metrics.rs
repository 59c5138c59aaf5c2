//! Counters for `/metrics`, in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::room_stats::RoomStats;

/// Process-wide counters. Gauges (rooms, connections) come from the room registry.
#[derive(Debug, Default)]
pub struct Metrics {
    updates_received: AtomicU64,
    frames_sent: AtomicU64,
    commits: AtomicU64,
    updates_stored: AtomicU64,
    store_failures: AtomicU64,
    closes: [AtomicU64; CLOSE_LABELS.len()],
    compactions: AtomicU64,
    quarantined: AtomicU64,
    reloads: AtomicU64,
}

/// Close reasons counted, by [`crate::CloseReason::label`].
const CLOSE_LABELS: [&str; 9] = [
    "protocol_error",
    "unsupported_data",
    "invalid_update",
    "slow_consumer",
    "message_too_big",
    "ping_timeout",
    "server_shutdown",
    "storage_unavailable",
    "room_deleted",
];

impl Metrics {
    pub(crate) fn record_update(&self) {
        self.updates_received.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_frames_sent(&self, frames: usize) {
        self.frames_sent.fetch_add(frames as u64, Ordering::Relaxed);
    }

    pub(crate) fn record_commit(&self, updates: usize) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.updates_stored
            .fetch_add(updates as u64, Ordering::Relaxed);
    }

    pub(crate) fn record_store_failure(&self) {
        self.store_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_compaction(&self) {
        self.compactions.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_quarantined(&self, updates: usize) {
        self.quarantined
            .fetch_add(updates as u64, Ordering::Relaxed);
    }

    pub(crate) fn record_reload(&self) {
        self.reloads.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_close(&self, label: &str) {
        if let Some(i) = CLOSE_LABELS.iter().position(|l| *l == label) {
            self.closes[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Room logs compacted so far.
    pub fn compactions(&self) -> u64 {
        self.compactions.load(Ordering::Relaxed)
    }

    /// Store failures so far.
    pub fn store_failures(&self) -> u64 {
        self.store_failures.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of every counter and gauge.
    pub(crate) fn render(&self, stats: RoomStats) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "ycord_rooms",
            "gauge",
            "Rooms loaded in memory.",
            stats.rooms as u64,
        );
        metric(
            "ycord_connections",
            "gauge",
            "Open WebSocket connections.",
            stats.connections as u64,
        );
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        metric(
            "ycord_updates_received_total",
            "counter",
            "Document updates that changed a room.",
            load(&self.updates_received),
        );
        metric(
            "ycord_frames_sent_total",
            "counter",
            "Frames queued to connections.",
            load(&self.frames_sent),
        );
        metric(
            "ycord_store_commits_total",
            "counter",
            "Durable commits (group commit batches).",
            load(&self.commits),
        );
        metric(
            "ycord_updates_stored_total",
            "counter",
            "Updates made durable.",
            load(&self.updates_stored),
        );
        metric(
            "ycord_store_failures_total",
            "counter",
            "Failed store commits.",
            load(&self.store_failures),
        );
        metric(
            "ycord_compactions_total",
            "counter",
            "Room logs compacted into a snapshot.",
            load(&self.compactions),
        );
        metric(
            "ycord_quarantined_updates_total",
            "counter",
            "Stored updates set aside on load because they could not be read.",
            load(&self.quarantined),
        );
        metric(
            "ycord_room_reloads_total",
            "counter",
            "Rooms whose document was rebuilt from the store after yrs failed on it.",
            load(&self.reloads),
        );
        let _ = writeln!(
            out,
            "# HELP ycord_connections_closed_total Connections closed by the server, by reason.\n# TYPE ycord_connections_closed_total counter"
        );
        for (label, count) in CLOSE_LABELS.iter().zip(&self.closes) {
            let _ = writeln!(
                out,
                "ycord_connections_closed_total{{reason=\"{label}\"}} {}",
                load(count)
            );
        }
        out
    }
}
