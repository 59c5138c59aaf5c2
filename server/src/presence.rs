//! A room's awareness states and which connection each one belongs to.
//!
//! Ownership decides whose states vanish when a connection closes. A connection owns the
//! client ids it introduced while nobody else owned them; ids it merely relays (y-websocket
//! clients echo every awareness change they receive) stay with their introducer, so a tab
//! that relays others' states does not leave ghosts behind or remove live peers.
//!
//! Two rules go beyond the reference server:
//! - A reconnecting client announces itself with the clock it had before, which is not newer
//!   than the `null` state the server broadcast when its old socket closed, so every peer would
//!   ignore it until its next renewal (up to 15 s later). The first message of a connection
//!   that re-announces a removed id is therefore re-stamped with a newer clock.
//! - That first message also moves ownership to the new connection, so the old socket dying
//!   later does not remove a client that is connected again.

use std::collections::HashMap;

use serde::de::IgnoredAny;
use ycord_protocol::AwarenessTimer;
use yrs::sync::{Awareness, AwarenessUpdate, Clock, Timestamp};
use yrs::{ClientID, Doc};

use crate::conn_id::ConnId;

/// What to send to the room after an awareness update was applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Relay {
    /// Nothing new: every entry was stale; send nothing.
    Nothing,
    /// Forward the update exactly as it was received.
    AsReceived,
    /// Forward this re-stamped update instead of the received bytes.
    Rewritten(AwarenessUpdate),
}

/// Awareness states of one room with per-connection ownership.
pub struct Presence {
    awareness: Awareness,
    owners: HashMap<ClientID, ConnId>,
    timer: AwarenessTimer,
}

impl Presence {
    /// An empty set of states, timestamped by `clock`.
    pub fn new<C: Clock + 'static>(clock: C, timer: AwarenessTimer) -> Self {
        Presence {
            awareness: Awareness::with_clock(Doc::new(), clock),
            owners: HashMap::new(),
            timer,
        }
    }

    /// Applies an update received on `conn`. `is_first` tells whether it is the first awareness
    /// message of that connection, which is where a client announces itself.
    pub fn apply(&mut self, conn: ConnId, mut update: AwarenessUpdate, is_first: bool) -> Relay {
        let mut rewritten = false;
        if is_first && update.clients.len() == 1 {
            let (&id, entry) = update.clients.iter_mut().next().expect("one entry");
            if entry.json.as_ref() != "null" {
                if let Some((known_clock, _)) = self.awareness.meta(id) {
                    let is_removed = self.awareness.state::<IgnoredAny>(id).is_none();
                    if is_removed && entry.clock <= known_clock {
                        entry.clock = known_clock + 1;
                        rewritten = true;
                    }
                }
                self.owners.insert(id, conn);
            }
        }
        let relay = if rewritten {
            Relay::Rewritten(update.clone())
        } else {
            Relay::AsReceived
        };
        // Only our own ids could fail here (the server has no local state), so an error is
        // impossible in practice; treat it as "nothing applied".
        let Ok(Some(summary)) = self.awareness.apply_update_summary(update) else {
            return Relay::Nothing;
        };
        for id in summary.added.iter().chain(&summary.updated) {
            self.owners.entry(*id).or_insert(conn);
        }
        for id in &summary.removed {
            self.owners.remove(id);
        }
        relay
    }

    /// Removes every state owned by `conn`, returning the `null` update to broadcast, if any.
    pub fn release(&mut self, conn: ConnId) -> Option<AwarenessUpdate> {
        let owned = self.owned_by(conn);
        for id in &owned {
            self.owners.remove(id);
            self.awareness.remove_state(*id);
        }
        self.update_for(owned)
    }

    /// Removes states not renewed within the expiry timeout, returning the `null` update.
    pub fn expire(&mut self, now: Timestamp) -> Option<AwarenessUpdate> {
        let expiry = self.timer.expire(&mut self.awareness, now);
        for id in &expiry.removed {
            self.owners.remove(id);
        }
        self.update_for(expiry.removed)
    }

    /// Every live state, for a newly joined connection or a query-awareness request.
    pub fn snapshot(&self) -> Option<AwarenessUpdate> {
        let update = self.awareness.update().ok()?;
        (!update.clients.is_empty()).then_some(update)
    }

    /// The ids currently owned by `conn`.
    pub fn owned_by(&self, conn: ConnId) -> Vec<ClientID> {
        let mut ids: Vec<ClientID> = self
            .owners
            .iter()
            .filter(|(_, owner)| **owner == conn)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_by_key(ClientID::get);
        ids
    }

    fn update_for(&self, ids: Vec<ClientID>) -> Option<AwarenessUpdate> {
        if ids.is_empty() {
            return None;
        }
        self.awareness.update_with_clients(ids).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use ycord_protocol::ManualClock;
    use yrs::sync::awareness::AwarenessUpdateEntry;

    fn entry(id: u64, clock: u32, json: &str) -> AwarenessUpdate {
        let mut clients = HashMap::new();
        clients.insert(
            ClientID::new(id),
            AwarenessUpdateEntry {
                clock,
                json: Arc::from(json),
            },
        );
        AwarenessUpdate { clients }
    }

    fn presence() -> (Presence, ManualClock) {
        let clock = ManualClock::new(0);
        (
            Presence::new(clock.clone(), AwarenessTimer::default()),
            clock,
        )
    }

    #[test]
    fn closing_a_connection_removes_exactly_the_ids_it_introduced() {
        let (mut p, _) = presence();
        assert_eq!(p.apply(1, entry(10, 1, "{}"), true), Relay::AsReceived);
        assert_eq!(p.apply(2, entry(20, 1, "{}"), true), Relay::AsReceived);
        // Connection 2 relays 10's state back: stale, not broadcast, ownership unchanged.
        assert_eq!(p.apply(2, entry(10, 1, "{}"), false), Relay::Nothing);
        let removed = p.release(1).expect("10 removed");
        let e = &removed.clients[&ClientID::new(10)];
        assert_eq!((e.clock, e.json.as_ref()), (2, "null"));
        assert_eq!(removed.clients.len(), 1);
        assert_eq!(p.owned_by(2), vec![ClientID::new(20)]);
    }

    #[test]
    fn a_reconnecting_client_is_restamped_so_peers_accept_it_at_once() {
        let (mut p, _) = presence();
        p.apply(1, entry(10, 3, r#"{"n":1}"#), true);
        p.release(1); // broadcast null at clock 4
        match p.apply(2, entry(10, 3, r#"{"n":1}"#), true) {
            Relay::Rewritten(update) => assert_eq!(update.clients[&ClientID::new(10)].clock, 5),
            other => panic!("expected a rewrite, got {other:?}"),
        }
        assert_eq!(p.owned_by(2), vec![ClientID::new(10)]);
        assert!(p.snapshot().is_some());
    }

    #[test]
    fn a_new_connection_takes_over_its_client_from_a_half_dead_socket() {
        let (mut p, _) = presence();
        p.apply(1, entry(10, 1, "{}"), true);
        // The client reconnects before the server noticed the old socket died.
        p.apply(2, entry(10, 1, "{}"), true);
        assert!(
            p.release(1).is_none(),
            "old socket must not remove a connected client"
        );
        assert!(p.release(2).is_some());
    }

    #[test]
    fn stale_states_expire_after_thirty_seconds() {
        let (mut p, clock) = presence();
        p.apply(1, entry(10, 1, "{}"), true);
        clock.advance(29_999);
        assert!(p.expire(clock.now()).is_none());
        clock.advance(1);
        let removed = p.expire(clock.now()).expect("expired");
        assert_eq!(removed.clients[&ClientID::new(10)].json.as_ref(), "null");
        assert!(p.owned_by(1).is_empty());
    }
}
