//! The server's counters and gauges, and their `/metrics` text (OpenMetrics, which Prometheus
//! scrapes), written by `prometheus-client`.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::close::CloseReason;
use crate::room_stats::RoomStats;

/// The label set of `ycord_connections_closed_total`: `reason` is [`CloseReason::label`].
type CloseLabels = [(&'static str, &'static str); 1];

/// The label set of `ycord_refusals_total`: `endpoint` (`websocket` or `api`) and `reason`.
type RefusalLabels = [(&'static str, &'static str); 2];

/// The label set of the cluster's entry counters: `kind` is the entry's kind.
type EntryLabels = [(&'static str, &'static str); 1];

/// Process-wide counters, and the gauges (rooms, connections) the room registry reports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    rooms: Gauge,
    connections: Gauge,
    updates_received: Counter,
    frames_sent: Counter,
    commits: Counter,
    updates_stored: Counter,
    store_failures: Counter,
    compactions: Counter,
    quarantined: Counter,
    reloads: Counter,
    closes: Family<CloseLabels, Counter>,
    refusals: Family<RefusalLabels, Counter>,
    redis_up: Gauge,
    entries_published: Family<EntryLabels, Counter>,
    entries_received: Family<EntryLabels, Counter>,
    entries_garbled: Counter,
    entries_dropped: Counter,
    resyncs: Family<EntryLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let metrics = Metrics {
            registry: Registry::default(),
            rooms: Gauge::default(),
            connections: Gauge::default(),
            updates_received: Counter::default(),
            frames_sent: Counter::default(),
            commits: Counter::default(),
            updates_stored: Counter::default(),
            store_failures: Counter::default(),
            compactions: Counter::default(),
            quarantined: Counter::default(),
            reloads: Counter::default(),
            closes: Family::default(),
            refusals: Family::default(),
            redis_up: Gauge::default(),
            entries_published: Family::default(),
            entries_received: Family::default(),
            entries_garbled: Counter::default(),
            entries_dropped: Counter::default(),
            resyncs: Family::default(),
        };
        let mut registry = Registry::default();
        // Counters are registered without `_total`: the encoder appends it to each sample.
        // Help texts get their final full stop from the encoder too.
        registry.register(
            "ycord_rooms",
            "Rooms loaded in memory",
            metrics.rooms.clone(),
        );
        registry.register(
            "ycord_connections",
            "Open WebSocket connections",
            metrics.connections.clone(),
        );
        registry.register(
            "ycord_updates_received",
            "Document updates that changed a room",
            metrics.updates_received.clone(),
        );
        registry.register(
            "ycord_frames_sent",
            "Frames queued to connections",
            metrics.frames_sent.clone(),
        );
        registry.register(
            "ycord_store_commits",
            "Durable commits (group commit batches)",
            metrics.commits.clone(),
        );
        registry.register(
            "ycord_updates_stored",
            "Updates made durable",
            metrics.updates_stored.clone(),
        );
        registry.register(
            "ycord_store_failures",
            "Failed store commits",
            metrics.store_failures.clone(),
        );
        registry.register(
            "ycord_compactions",
            "Room logs compacted into a snapshot",
            metrics.compactions.clone(),
        );
        registry.register(
            "ycord_quarantined_updates",
            "Stored updates set aside on load because they could not be read",
            metrics.quarantined.clone(),
        );
        registry.register(
            "ycord_room_reloads",
            "Rooms whose document was rebuilt from the store after yrs failed on it",
            metrics.reloads.clone(),
        );
        registry.register(
            "ycord_connections_closed",
            "Connections closed by the server, by reason",
            metrics.closes.clone(),
        );
        // Every reason is shown from the start, at zero, rather than only once it happened.
        for reason in CloseReason::every_kind() {
            let _ = metrics.closes.get_or_create(&[("reason", reason.label())]);
        }
        registry.register(
            "ycord_refusals",
            "WebSocket upgrades and API requests refused before reaching a room, by reason",
            metrics.refusals.clone(),
        );
        for endpoint in ["websocket", "api"] {
            for reason in crate::gate::every_reason() {
                let _ = metrics
                    .refusals
                    .get_or_create(&[("endpoint", endpoint), ("reason", reason)]);
            }
        }
        register_cluster(&mut registry, &metrics);
        Metrics {
            registry,
            ..metrics
        }
    }
}

/// The cluster's metrics (zero on a server that is not part of one).
fn register_cluster(registry: &mut Registry, metrics: &Metrics) {
    registry.register(
        "ycord_cluster_redis_up",
        "1 while the last request to Redis succeeded (cluster mode), 0 otherwise",
        metrics.redis_up.clone(),
    );
    registry.register(
        "ycord_cluster_entries_published",
        "Stream entries this node published, by kind",
        metrics.entries_published.clone(),
    );
    registry.register(
        "ycord_cluster_entries_received",
        "Other nodes' stream entries this node read, by kind",
        metrics.entries_received.clone(),
    );
    registry.register(
        "ycord_cluster_entries_garbled",
        "Stream entries skipped because they did not decode",
        metrics.entries_garbled.clone(),
    );
    registry.register(
        "ycord_cluster_entries_dropped",
        "Entries dropped unpublished because Redis was away longer than the queue lasts",
        metrics.entries_dropped.clone(),
    );
    registry.register(
        "ycord_cluster_resyncs",
        "Rooms reloaded from the store because stream entries may have been missed, by reason",
        metrics.resyncs.clone(),
    );
}

impl Metrics {
    /// The `Content-Type` of [`Metrics::render`]'s text.
    pub(crate) const CONTENT_TYPE: &str =
        "application/openmetrics-text; version=1.0.0; charset=utf-8";

    pub(crate) fn record_update(&self) {
        self.updates_received.inc();
    }

    pub(crate) fn record_frames_sent(&self, frames: usize) {
        self.frames_sent.inc_by(frames as u64);
    }

    pub(crate) fn record_commit(&self, updates: usize) {
        self.commits.inc();
        self.updates_stored.inc_by(updates as u64);
    }

    pub(crate) fn record_store_failure(&self) {
        self.store_failures.inc();
    }

    pub(crate) fn record_compaction(&self) {
        self.compactions.inc();
    }

    pub(crate) fn record_quarantined(&self, updates: usize) {
        self.quarantined.inc_by(updates as u64);
    }

    pub(crate) fn record_reload(&self) {
        self.reloads.inc();
    }

    pub(crate) fn record_close(&self, reason: &CloseReason) {
        self.closes
            .get_or_create(&[("reason", reason.label())])
            .inc();
    }

    pub(crate) fn refused(&self, endpoint: &'static str, reason: &'static str) {
        self.refusals
            .get_or_create(&[("endpoint", endpoint), ("reason", reason)])
            .inc();
    }

    /// Requests refused so far at `endpoint` (`websocket` or `api`) for `reason`.
    pub fn refusals(&self, endpoint: &'static str, reason: &'static str) -> u64 {
        self.refusals
            .get_or_create(&[("endpoint", endpoint), ("reason", reason)])
            .get()
    }

    pub(crate) fn set_redis_up(&self, is_up: bool) {
        self.redis_up.set(i64::from(is_up));
    }

    pub(crate) fn record_cluster_published(&self, kind: crate::cluster::EntryKind) {
        self.entries_published
            .get_or_create(&[("kind", kind.as_str())])
            .inc();
    }

    pub(crate) fn record_cluster_received(&self, kind: crate::cluster::EntryKind) {
        self.entries_received
            .get_or_create(&[("kind", kind.as_str())])
            .inc();
    }

    pub(crate) fn record_cluster_garbled(&self) {
        self.entries_garbled.inc();
    }

    pub(crate) fn record_cluster_dropped(&self, entries: u64) {
        self.entries_dropped.inc_by(entries);
    }

    pub(crate) fn record_resync(&self, reason: &'static str) {
        self.resyncs.get_or_create(&[("reason", reason)]).inc();
    }

    /// Room logs compacted so far.
    pub fn compactions(&self) -> u64 {
        self.compactions.get()
    }

    /// Store failures so far.
    pub fn store_failures(&self) -> u64 {
        self.store_failures.get()
    }

    /// The text of `/metrics`, with the gauges set to `stats`.
    pub(crate) fn render(&self, stats: RoomStats) -> String {
        self.rooms.set(gauge_value(stats.rooms));
        self.connections.set(gauge_value(stats.connections));
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

fn gauge_value(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_close_reason_is_counted_under_its_own_label() {
        let metrics = Metrics::default();
        for reason in CloseReason::every_kind() {
            metrics.record_close(&reason);
        }
        metrics.record_close(&CloseReason::SlowConsumer);
        let text = metrics.render(RoomStats {
            rooms: 0,
            connections: 0,
        });
        for reason in CloseReason::every_kind() {
            let expected = if reason == CloseReason::SlowConsumer {
                2
            } else {
                1
            };
            let line = format!(
                "ycord_connections_closed_total{{reason=\"{}\"}} {expected}\n",
                reason.label()
            );
            assert!(text.contains(&line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn gauges_show_the_stats_they_are_rendered_with() {
        let text = Metrics::default().render(RoomStats {
            rooms: 3,
            connections: 7,
        });
        assert!(text.contains("\nycord_rooms 3\n"), "{text}");
        assert!(text.contains("\nycord_connections 7\n"), "{text}");
    }
}
