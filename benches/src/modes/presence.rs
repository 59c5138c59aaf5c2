//! `presence` mode: every client renews its awareness state at a fixed interval.
//!
//! Each state carries the time it was sent (`"t"`, µs since the run's epoch), so a receiver
//! can time it whatever bytes the server relays it in: the reference server re-encodes
//! awareness updates, ycord forwards the received bytes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::{sleep_until, timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use ycord_protocol::{decode_frame, encode, Message};
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::AwarenessUpdate;
use yrs::ClientID;

use crate::args::LoadArgs;
use crate::connect::{check_open_file_limit, client_configs, connect_all, tokens};
use crate::ledger::micros;
use crate::proc_stat::{self, ProcTarget};
use crate::stats::{round_to, Percentiles};

/// Longest wait for every client to connect and sync.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// Time after the measured window for the last renewals to arrive.
const DRAIN: Duration = Duration::from_secs(2);

/// What a `presence` run measured.
#[derive(Debug, Clone, Serialize)]
pub struct PresenceReport {
    /// Always `"presence"`.
    pub mode: &'static str,
    /// Clients connected.
    pub clients: usize,
    /// Rooms they were spread over.
    pub rooms: usize,
    /// Interval between one client's renewals, in ms.
    pub renew_ms: u64,
    /// Length of the measured window.
    pub seconds: u64,
    /// Time until every client was synced, in milliseconds.
    pub connect_ms: f64,
    /// Renewals sent in the measured window.
    pub sent: u64,
    /// Deliveries owed for them: one per other client of the sender's room.
    pub expected_deliveries: u64,
    /// Those that arrived.
    pub delivered: u64,
    /// `expected_deliveries - delivered`.
    pub missing: u64,
    /// Send-to-arrival latency of each delivery.
    pub per_delivery_ms: Percentiles,
    /// Server CPU during the measured window and drain.
    pub server_cpu_s: Option<f64>,
    /// `server_cpu_s` per delivery, in µs.
    pub server_cpu_per_delivery_us: Option<f64>,
    /// Server peak resident memory at the end, in KiB.
    pub server_peak_rss_kb: Option<u64>,
    /// Generator CPU over the same window.
    pub generator_cpu_s: f64,
    /// Clients that stopped early (socket closed or failed).
    pub failed_clients: usize,
}

#[derive(Debug, Default)]
struct PresenceStats {
    room: usize,
    sent: u64,
    delivered: u64,
    latencies_us: Vec<u32>,
    failed: bool,
}

/// The measured window, in µs since the epoch.
#[derive(Debug, Clone, Copy)]
struct Window {
    epoch: Instant,
    from_us: u64,
    to_us: u64,
}

impl Window {
    fn contains(&self, t_us: u64) -> bool {
        (self.from_us..self.to_us).contains(&t_us)
    }
}

/// Connects the clients, lets each renew its awareness every `--renew-ms` for
/// `--warmup-seconds` + `--seconds`, and times every renewal at every other client.
///
/// # Errors
/// When the flags are invalid, the server cannot be sampled, or the clients do not all
/// sync within 60 s.
pub async fn run(args: &LoadArgs) -> anyhow::Result<PresenceReport> {
    let base_urls = args.validate()?;
    check_open_file_limit(args.clients)?;
    let ticks = proc_stat::ticks_per_second();
    let server = args.server_pid().map(ProcTarget::Pid);
    let configs = client_configs(args, &base_urls, &tokens(args)?)?;
    let ids: Vec<u32> = configs.iter().map(|c| c.client_id).collect();
    let start = Instant::now();
    let clients = connect_all(configs, args.connect_concurrency, CONNECT_TIMEOUT).await?;
    let connect_ms = start.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "ycord-load: {} clients synced in {connect_ms:.0} ms; renewing every {} ms",
        clients.len(),
        args.renew_ms
    );

    let epoch = Instant::now();
    let window = Window {
        epoch,
        from_us: args.warmup_seconds * 1_000_000,
        to_us: (args.warmup_seconds + args.seconds) * 1_000_000,
    };
    let stop = epoch + Duration::from_micros(window.to_us) + DRAIN;
    let renew = Duration::from_millis(args.renew_ms);
    let mut tasks = JoinSet::new();
    for (index, connected) in clients.into_iter().enumerate() {
        let phase = renew.mul_f64(index as f64 / args.clients as f64);
        let id = ids[index];
        let room = args.room_of(index);
        tasks.spawn(renew_and_time(
            connected.client.into_socket(),
            id,
            room,
            index,
            epoch + phase,
            renew,
            window,
            stop,
        ));
    }

    sleep_until(epoch + Duration::from_micros(window.from_us)).await;
    let server_start = server.map(|s| proc_stat::sample(s, ticks)).transpose()?;
    let own_start = proc_stat::sample(ProcTarget::Own, ticks)?;
    sleep_until(stop).await;
    let server_end = server.map(|s| proc_stat::sample(s, ticks)).transpose()?;
    let own_end = proc_stat::sample(ProcTarget::Own, ticks)?;

    let mut all = Vec::with_capacity(args.clients);
    while let Ok(Some(result)) = timeout_at(stop + Duration::from_secs(5), tasks.join_next()).await
    {
        all.push(result?);
    }
    let sent = all.iter().map(|s| s.sent).sum();
    let expected_deliveries = all
        .iter()
        .map(|s| s.sent * (args.members_of(s.room) as u64 - 1))
        .sum();
    let delivered: u64 = all.iter().map(|s| s.delivered).sum();
    let mut latencies: Vec<u32> = all
        .iter_mut()
        .flat_map(|s| std::mem::take(&mut s.latencies_us))
        .collect();
    let server_cpu_s = match (server_start, server_end) {
        (Some(a), Some(b)) => Some(b.cpu_seconds - a.cpu_seconds),
        _ => None,
    };
    Ok(PresenceReport {
        mode: "presence",
        clients: args.clients,
        rooms: args.rooms,
        renew_ms: args.renew_ms,
        seconds: args.seconds,
        connect_ms: round_to(connect_ms, 1),
        sent,
        expected_deliveries,
        delivered,
        missing: expected_deliveries.saturating_sub(delivered),
        per_delivery_ms: Percentiles::from_micros(&mut latencies),
        server_cpu_s: server_cpu_s.map(|s| round_to(s, 2)),
        server_cpu_per_delivery_us: server_cpu_s
            .filter(|_| delivered > 0)
            .map(|s| round_to(s * 1e6 / delivered as f64, 3)),
        server_peak_rss_kb: server_end.and_then(|s| s.peak_rss_kb),
        generator_cpu_s: round_to(own_end.cpu_seconds - own_start.cpu_seconds, 2),
        failed_clients: all.iter().filter(|s| s.failed).count(),
    })
}

#[allow(clippy::too_many_arguments)]
async fn renew_and_time(
    (mut sink, mut stream): (
        futures_util::stream::SplitSink<crate::client::Socket, WsMessage>,
        futures_util::stream::SplitStream<crate::client::Socket>,
    ),
    id: u32,
    room: usize,
    index: usize,
    first: Instant,
    renew: Duration,
    window: Window,
    stop: Instant,
) -> PresenceStats {
    let mut stats = PresenceStats {
        room,
        ..PresenceStats::default()
    };
    let own = ClientID::new(u64::from(id));
    let mut next = first;
    let mut clock = 0u32;
    loop {
        tokio::select! {
            () = sleep_until(next), if next < stop => {
                clock += 1;
                let t_us = micros(window.epoch.elapsed()) as u64;
                let json: Arc<str> =
                    format!("{{\"user\":{{\"name\":\"client-{index}\"}},\"t\":{t_us}}}").into();
                let update = AwarenessUpdate {
                    clients: HashMap::from([(own, AwarenessUpdateEntry { clock, json })]),
                };
                if sink.send(WsMessage::binary(encode::awareness(&update))).await.is_err() {
                    stats.failed = true;
                    break;
                }
                stats.sent += u64::from(window.contains(t_us));
                next += renew;
            }
            incoming = stream.next() => {
                let received_us = micros(window.epoch.elapsed()) as u64;
                match incoming {
                    Some(Ok(WsMessage::Binary(frame))) => {
                        let Ok(messages) = decode_frame(&frame) else { continue };
                        for message in messages {
                            let Message::Awareness(update) = message else { continue };
                            for (client, entry) in &update.clients {
                                if *client == own {
                                    continue;
                                }
                                let Some(t_us) = sent_at_us(&entry.json) else { continue };
                                if window.contains(t_us) {
                                    stats.delivered += 1;
                                    stats.latencies_us.push(
                                        u32::try_from(received_us.saturating_sub(t_us))
                                            .unwrap_or(u32::MAX),
                                    );
                                }
                            }
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => {
                        stats.failed = true;
                        break;
                    }
                }
            }
            () = sleep_until(stop) => break,
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
    stats
}

/// The `"t":` number at the end of a state this mode sent; `None` for any other state.
fn sent_at_us(json: &str) -> Option<u64> {
    let at = json.rfind("\"t\":")?;
    json[at + 4..].trim_end_matches('}').trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_time_is_read_back_from_the_state() {
        assert_eq!(
            sent_at_us("{\"user\":{\"name\":\"client-3\"},\"t\":123456}"),
            Some(123_456)
        );
        assert_eq!(sent_at_us("null"), None);
    }
}
