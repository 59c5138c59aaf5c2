//! Per-room record of updates in flight, matched to their relayed copies by frame bytes.
//!
//! The server relays each update frame byte for byte, so a hash of the frame identifies it on
//! arrival. Each room has its own lock, held only for a map lookup, so clients of different
//! rooms never contend. A room's clients may be spread over the nodes of a cluster; each
//! delivery is then same-node (sender and receiver connected to one node) or cross-node.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Key of a frame in a [`RoomLedger`]: a 64-bit hash of its bytes.
///
/// Every update carries its author's client id and clock, so two distinct frames of one run
/// do not share bytes, and a 64-bit collision among a few million frames is negligible.
pub fn frame_key(frame: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(frame);
    hasher.finish()
}

/// What a received frame turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// Another client's update reached this client.
    Delivered {
        /// Time from the send to this arrival.
        latency: Duration,
        /// Whether the update was sent in the measured phase (not warmup).
        is_measured: bool,
        /// Whether the sender is connected to another node than this client.
        is_cross_node: bool,
    },
    /// The server echoed this client's own update back to it.
    Echo,
    /// No update with these bytes is in flight: the server altered the bytes, or sent the
    /// same update twice.
    Unknown,
}

#[derive(Debug)]
struct InFlight {
    sent_at: Instant,
    sender: usize,
    /// Other clients on the sender's node that have not received it yet.
    awaiting_same_node: usize,
    /// Clients on other nodes that have not received it yet.
    awaiting_cross_node: usize,
    is_echoed: bool,
    is_measured: bool,
}

impl InFlight {
    fn awaiting(&self) -> usize {
        self.awaiting_same_node + self.awaiting_cross_node
    }
}

/// Fan-out latencies of measured updates, in microseconds: the time until the last receiver
/// of each group had the update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fanouts {
    /// Until every other client of the room had it.
    pub all: Vec<u32>,
    /// Until every other client on the sender's node had it (updates that had such clients).
    pub same_node: Vec<u32>,
    /// Until every client on the other nodes had it (updates that had such clients).
    pub cross_node: Vec<u32>,
}

#[derive(Debug, Default)]
struct Entries {
    in_flight: HashMap<u64, InFlight>,
    fanouts: Fanouts,
}

/// Updates sent in one room that not every client of the room has received yet.
#[derive(Debug)]
pub struct RoomLedger {
    /// Node of each client of the room, by client index.
    node_of: HashMap<usize, usize>,
    /// Clients of the room on each node.
    node_sizes: HashMap<usize, usize>,
    entries: Mutex<Entries>,
}

impl RoomLedger {
    /// A ledger for a room whose clients are `members`: (client index, node) pairs.
    pub fn new(members: impl IntoIterator<Item = (usize, usize)>) -> Self {
        let node_of: HashMap<usize, usize> = members.into_iter().collect();
        let mut node_sizes = HashMap::new();
        for &node in node_of.values() {
            *node_sizes.entry(node).or_insert(0) += 1;
        }
        RoomLedger {
            node_of,
            node_sizes,
            entries: Mutex::new(Entries::default()),
        }
    }

    /// Number of clients in the room.
    pub fn members(&self) -> usize {
        self.node_of.len()
    }

    /// Records that client `sender` sends the frame with `key` at `sent_at`.
    ///
    /// Call it before the frame goes on the socket, or a fast relay can arrive first.
    pub fn record_send(&self, key: u64, sender: usize, sent_at: Instant, is_measured: bool) {
        let same_node = self
            .node_of
            .get(&sender)
            .and_then(|node| self.node_sizes.get(node))
            .copied()
            .unwrap_or(0);
        let entry = InFlight {
            sent_at,
            sender,
            awaiting_same_node: same_node.saturating_sub(1),
            awaiting_cross_node: self.members() - same_node,
            is_echoed: false,
            is_measured,
        };
        self.lock().in_flight.insert(key, entry);
    }

    /// Records that client `receiver` received the frame with `key` at `received_at`.
    ///
    /// When the last other client (of the room, of the sender's node, of the other nodes)
    /// receives an update, its fan-out latency is kept; the entry is dropped once the sender's
    /// echo has arrived too.
    pub fn record_receipt(&self, key: u64, receiver: usize, received_at: Instant) -> Receipt {
        let receiver_node = self.node_of.get(&receiver);
        let mut entries = self.lock();
        let Entries { in_flight, fanouts } = &mut *entries;
        let Some(entry) = in_flight.get_mut(&key) else {
            return Receipt::Unknown;
        };
        let is_cross_node = self.node_of.get(&entry.sender) != receiver_node;
        let receipt = if entry.sender == receiver {
            if entry.is_echoed {
                return Receipt::Unknown;
            }
            entry.is_echoed = true;
            Receipt::Echo
        } else {
            let awaiting = if is_cross_node {
                &mut entry.awaiting_cross_node
            } else {
                &mut entry.awaiting_same_node
            };
            if *awaiting == 0 {
                return Receipt::Unknown;
            }
            *awaiting -= 1;
            let is_group_done = *awaiting == 0;
            let latency = received_at.saturating_duration_since(entry.sent_at);
            if entry.is_measured {
                if is_group_done && is_cross_node {
                    fanouts.cross_node.push(micros(latency));
                } else if is_group_done {
                    fanouts.same_node.push(micros(latency));
                }
                if entry.awaiting() == 0 {
                    fanouts.all.push(micros(latency));
                }
            }
            Receipt::Delivered {
                latency,
                is_measured: entry.is_measured,
                is_cross_node,
            }
        };
        if entry.awaiting() == 0 && entry.is_echoed {
            in_flight.remove(&key);
        }
        receipt
    }

    /// Updates still waiting for a delivery or for their echo.
    pub fn in_flight(&self) -> usize {
        self.lock().in_flight.len()
    }

    /// Takes the fan-out latencies of the measured updates that reached their receivers.
    pub fn take_fanouts(&self) -> Fanouts {
        std::mem::take(&mut self.lock().fanouts)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic elsewhere cannot leave the map half-updated, so a poisoned lock is usable.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A duration in whole microseconds, saturating at `u32::MAX` (about 71 minutes).
pub fn micros(duration: Duration) -> u32 {
    u32::try_from(duration.as_micros()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A room of clients `0..nodes.len()`, client `i` on node `nodes[i]`.
    fn room(nodes: &[usize]) -> RoomLedger {
        RoomLedger::new(nodes.iter().copied().enumerate())
    }

    #[test]
    fn fanout_is_the_last_delivery_and_entry_leaves_after_echo() {
        let ledger = room(&[0, 0, 0]);
        let t0 = Instant::now();
        ledger.record_send(7, 0, t0, true);
        let first = ledger.record_receipt(7, 1, t0 + Duration::from_millis(2));
        assert_eq!(
            first,
            Receipt::Delivered {
                latency: Duration::from_millis(2),
                is_measured: true,
                is_cross_node: false,
            }
        );
        assert_eq!(ledger.record_receipt(7, 0, t0), Receipt::Echo);
        assert_eq!(ledger.in_flight(), 1);
        ledger.record_receipt(7, 2, t0 + Duration::from_millis(5));
        assert_eq!(ledger.in_flight(), 0);
        let fanouts = ledger.take_fanouts();
        assert_eq!(fanouts.all, vec![5_000]);
        assert_eq!(fanouts.same_node, vec![5_000]);
        assert!(fanouts.cross_node.is_empty());
        assert_eq!(ledger.record_receipt(7, 2, t0), Receipt::Unknown);
    }

    #[test]
    fn deliveries_across_nodes_are_told_apart_with_a_fanout_each() {
        // Clients 0 and 2 on node 0, 1 and 3 on node 1.
        let ledger = room(&[0, 1, 0, 1]);
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        ledger.record_send(9, 0, t0, true);
        let cross = ledger.record_receipt(9, 1, at(3));
        assert!(matches!(
            cross,
            Receipt::Delivered {
                is_cross_node: true,
                ..
            }
        ));
        let same = ledger.record_receipt(9, 2, at(1));
        assert!(matches!(
            same,
            Receipt::Delivered {
                is_cross_node: false,
                ..
            }
        ));
        ledger.record_receipt(9, 0, t0);
        ledger.record_receipt(9, 3, at(4));
        assert_eq!(ledger.in_flight(), 0);
        assert_eq!(
            ledger.take_fanouts(),
            Fanouts {
                all: vec![4_000],
                same_node: vec![1_000],
                cross_node: vec![4_000],
            }
        );
    }

    #[test]
    fn a_second_copy_to_one_node_is_unknown() {
        // One client per node: the only cross-node receiver cannot receive twice.
        let ledger = room(&[0, 1]);
        let t0 = Instant::now();
        ledger.record_send(5, 0, t0, true);
        ledger.record_receipt(5, 1, t0);
        assert_eq!(ledger.record_receipt(5, 1, t0), Receipt::Unknown);
    }

    #[test]
    fn warmup_updates_leave_no_fanout() {
        let ledger = room(&[0, 0]);
        let t0 = Instant::now();
        ledger.record_send(1, 1, t0, false);
        ledger.record_receipt(1, 0, t0);
        assert_eq!(ledger.take_fanouts(), Fanouts::default());
    }

    #[test]
    fn distinct_frames_get_distinct_keys() {
        assert_ne!(frame_key(&[0, 2, 1]), frame_key(&[0, 2, 2]));
        assert_eq!(frame_key(&[0, 2, 1]), frame_key(&[0, 2, 1]));
    }
}
