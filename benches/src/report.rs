//! The one-line JSON result of a run.

use serde::Serialize;

use crate::stats::Percentiles;

/// Everything a run measured; printed as one JSON object on stdout.
///
/// Counts cover the measured phase only; CPU times cover the measured phase plus the drain
/// that waits for its last deliveries.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always `"updates"`.
    pub mode: &'static str,
    /// Clients connected.
    pub clients: usize,
    /// Rooms they were spread over.
    pub rooms: usize,
    /// Target updates per second over all clients.
    pub rate: u32,
    /// Length of the measured phase.
    pub seconds: u64,
    /// Time until every client was synced, in milliseconds.
    pub connect_ms: f64,
    /// Updates sent in the measured phase.
    pub sent: u64,
    /// Deliveries owed for them: one per other client of the sender's room.
    pub expected_deliveries: u64,
    /// Deliveries that arrived before the drain ended.
    pub delivered: u64,
    /// `expected_deliveries - delivered`.
    pub missing: u64,
    /// `delivered / seconds`.
    pub delivered_per_s: f64,
    /// Send-to-arrival latency of each delivery.
    pub per_delivery_ms: Percentiles,
    /// Send-to-arrival latency at the last other client of the room, per update.
    pub fanout_ms: Percentiles,
    /// Server CPU time (user + system) during the measured phase and drain.
    pub server_cpu_s: Option<f64>,
    /// Server peak resident set size (`VmHWM`) at the end, in KiB.
    pub server_peak_rss_kb: Option<u64>,
    /// The load generator's own CPU time over the same window.
    pub generator_cpu_s: f64,
    /// `server_cpu_s` per delivery, in microseconds.
    pub server_cpu_per_delivery_us: Option<f64>,
    /// Updates not sent because a client's command queue was full (the generator or that
    /// client fell behind); a run with any is not a valid measurement of the server.
    pub backlogged: u64,
    /// Clients that stopped before the end (closed or failed sockets).
    pub failed_clients: usize,
}

/// The result of a run of any [`crate::Mode`], printed as one JSON object.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ModeReport {
    /// `updates` mode.
    Updates(Report),
    /// `idle` mode.
    Idle(crate::idle::IdleReport),
    /// `join` mode.
    Join(crate::join::JoinReport),
    /// `presence` mode.
    Presence(crate::presence_load::PresenceReport),
}

/// Runs the mode `args` selects.
///
/// # Errors
/// Whatever that mode's run returns.
pub async fn run_mode(args: &crate::LoadArgs) -> anyhow::Result<ModeReport> {
    Ok(match args.mode {
        crate::Mode::Updates => ModeReport::Updates(crate::run::run(args).await?),
        crate::Mode::Idle => ModeReport::Idle(crate::idle::run_idle(args).await?),
        crate::Mode::Join => ModeReport::Join(crate::join::run_join(args).await?),
        crate::Mode::Presence => {
            ModeReport::Presence(crate::presence_load::run_presence(args).await?)
        }
    })
}

/// `value` rounded to `decimals` decimal places, for readable JSON.
pub fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_to(1.23456, 3), 1.235);
        assert_eq!(round_to(2.0, 2), 2.0);
    }
}
