//! Per-room record of updates in flight, matched to their relayed copies by frame bytes.
//!
//! The server relays each update frame byte for byte, so a hash of the frame identifies it on
//! arrival. Each room has its own lock, held only for a map lookup, so clients of different
//! rooms never contend.

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
    /// Other clients of the room that have not received it yet.
    awaiting: usize,
    is_echoed: bool,
    is_measured: bool,
}

#[derive(Debug, Default)]
struct Entries {
    in_flight: HashMap<u64, InFlight>,
    /// Fan-out latencies of measured updates, in microseconds.
    fanout_us: Vec<u32>,
}

/// Updates sent in one room that not every client of the room has received yet.
#[derive(Debug)]
pub struct RoomLedger {
    members: usize,
    entries: Mutex<Entries>,
}

impl RoomLedger {
    /// A ledger for a room of `members` clients.
    pub fn new(members: usize) -> Self {
        RoomLedger {
            members,
            entries: Mutex::new(Entries::default()),
        }
    }

    /// Number of clients in the room.
    pub fn members(&self) -> usize {
        self.members
    }

    /// Records that client `sender` sends the frame with `key` at `sent_at`.
    ///
    /// Call it before the frame goes on the socket, or a fast relay can arrive first.
    pub fn record_send(&self, key: u64, sender: usize, sent_at: Instant, is_measured: bool) {
        let entry = InFlight {
            sent_at,
            sender,
            awaiting: self.members.saturating_sub(1),
            is_echoed: false,
            is_measured,
        };
        self.lock().in_flight.insert(key, entry);
    }

    /// Records that client `receiver` received the frame with `key` at `received_at`.
    ///
    /// When the last other client receives an update, its fan-out latency is kept; the entry
    /// is dropped once the sender's echo has arrived too.
    pub fn record_receipt(&self, key: u64, receiver: usize, received_at: Instant) -> Receipt {
        let mut entries = self.lock();
        let Entries {
            in_flight,
            fanout_us,
        } = &mut *entries;
        let Some(entry) = in_flight.get_mut(&key) else {
            return Receipt::Unknown;
        };
        let receipt = if entry.sender == receiver {
            if entry.is_echoed {
                return Receipt::Unknown;
            }
            entry.is_echoed = true;
            Receipt::Echo
        } else {
            if entry.awaiting == 0 {
                return Receipt::Unknown;
            }
            entry.awaiting -= 1;
            let latency = received_at.saturating_duration_since(entry.sent_at);
            if entry.awaiting == 0 && entry.is_measured {
                fanout_us.push(micros(latency));
            }
            Receipt::Delivered {
                latency,
                is_measured: entry.is_measured,
            }
        };
        if entry.awaiting == 0 && entry.is_echoed {
            in_flight.remove(&key);
        }
        receipt
    }

    /// Updates still waiting for a delivery or for their echo.
    pub fn in_flight(&self) -> usize {
        self.lock().in_flight.len()
    }

    /// Takes the fan-out latencies (µs) of measured updates every other client received.
    pub fn take_fanouts(&self) -> Vec<u32> {
        std::mem::take(&mut self.lock().fanout_us)
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

    #[test]
    fn fanout_is_the_last_delivery_and_entry_leaves_after_echo() {
        let ledger = RoomLedger::new(3);
        let t0 = Instant::now();
        ledger.record_send(7, 0, t0, true);
        let first = ledger.record_receipt(7, 1, t0 + Duration::from_millis(2));
        assert_eq!(
            first,
            Receipt::Delivered {
                latency: Duration::from_millis(2),
                is_measured: true
            }
        );
        assert_eq!(ledger.record_receipt(7, 0, t0), Receipt::Echo);
        assert_eq!(ledger.in_flight(), 1);
        ledger.record_receipt(7, 2, t0 + Duration::from_millis(5));
        assert_eq!(ledger.in_flight(), 0);
        assert_eq!(ledger.take_fanouts(), vec![5_000]);
        assert_eq!(ledger.record_receipt(7, 2, t0), Receipt::Unknown);
    }

    #[test]
    fn warmup_updates_leave_no_fanout() {
        let ledger = RoomLedger::new(2);
        let t0 = Instant::now();
        ledger.record_send(1, 1, t0, false);
        ledger.record_receipt(1, 0, t0);
        assert!(ledger.take_fanouts().is_empty());
    }

    #[test]
    fn distinct_frames_get_distinct_keys() {
        assert_ne!(frame_key(&[0, 2, 1]), frame_key(&[0, 2, 2]));
        assert_eq!(frame_key(&[0, 2, 1]), frame_key(&[0, 2, 1]));
    }
}
