//! A room's awareness states, which connection each one belongs to, and the clock the server
//! numbers them with.
//!
//! Ownership decides whose states vanish when a connection closes. A connection owns the
//! client ids it introduced while nobody else owned them; ids it merely relays (y-websocket
//! clients echo every awareness change they receive) stay with their introducer, so a tab
//! that relays others' states does not leave ghosts behind or remove live peers.
//!
//! The server owns the clock it sends for each id (the *wire clock*), strictly increasing and
//! above every clock it has sent before. A client whose socket dropped still remembers the
//! clocks it last heard; had the server replayed the states at those clocks, y-protocols would
//! refuse them (`currClock === clock`) and the returning client would see nobody until each
//! peer's next renewal, up to 30 s later. So:
//! - every snapshot (a join, a query-awareness) is sent one wire clock above the last one sent;
//! - a change from a state's owner is judged by the owner's own clock, then relayed at
//!   `max(wire + 1, owner's clock)`, which in a quiet room is just the owner's clock, so the
//!   received frame goes out unchanged; the owner adopts a bumped clock for its own state,
//!   which y-protocols and yrs both accept;
//! - a connection's first message re-announcing its own id takes that id over, so a client
//!   back on a new socket is relayed at once and an old half-dead socket dying later does not
//!   remove it.
//!
//! In a cluster, the states another node's clients announced arrive relayed by that node and
//! are owned here by its stand-in ([`crate::conn_id::is_node_owner`]). Each node numbers its
//! own wire clocks, so clocks of different nodes are never compared: a node's entries are
//! judged by that node's clock, a connection here always speaks for itself (another node's
//! entries never change or remove a state a connection of this node owns), and a client that
//! moved between nodes is taken over by the node it announced itself on last.

use std::collections::HashMap;
use std::sync::Arc;

use ycord_protocol::AwarenessTimer;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Clock, Timestamp};
use yrs::ClientID;

use crate::conn_id::{is_node_owner, ConnId};

/// What to send to the room after an awareness update was applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Relay {
    /// Nothing new: every entry was stale; send nothing.
    Nothing,
    /// Forward the update exactly as it was received.
    AsReceived,
    /// Forward this update instead of the received bytes (stale entries left out, clocks
    /// renumbered).
    Rewritten(AwarenessUpdate),
}

/// What the server knows of one client id.
#[derive(Debug)]
struct Peer {
    /// The highest clock sent to anyone for this id: whatever a client remembers is at most this.
    wire: u32,
    /// The highest clock received from the id's owner, in the owner's own numbering.
    own: u32,
    /// The JSON state, `None` once removed.
    state: Option<Arc<str>>,
    owner: Option<ConnId>,
    renewed_at: Timestamp,
}

impl Peer {
    fn is_live(&self) -> bool {
        self.state.is_some()
    }

    /// Marks the state removed at the next wire clock, returning the entry to broadcast.
    fn remove(&mut self) -> AwarenessUpdateEntry {
        self.state = None;
        self.owner = None;
        self.wire = self.wire.saturating_add(1);
        AwarenessUpdateEntry {
            clock: self.wire,
            json: Arc::from("null"),
        }
    }
}

/// How an incoming entry relates to what the server knows, and so how it is judged.
enum Sender {
    /// The id's owner: its own clock decides.
    Owner,
    /// A connection re-announcing its own id as its first message: it takes the id over.
    Returning,
    /// Anyone else (a relay, or the first sight of an id): the wire clock decides.
    Other,
}

/// Where an update came from.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// A connection of this node; `announces_itself` when it is the connection's first
    /// awareness message and holds one state.
    Connection { announces_itself: bool },
    /// Another node, relaying its clients' states.
    Node,
}

/// Awareness states of one room with per-connection ownership and server-owned clocks.
pub struct Presence {
    peers: HashMap<ClientID, Peer>,
    clock: Arc<dyn Clock>,
    timer: AwarenessTimer,
}

impl Presence {
    /// An empty set of states, timestamped by `clock`.
    pub fn new<C: Clock + 'static>(clock: C, timer: AwarenessTimer) -> Self {
        Presence {
            peers: HashMap::new(),
            clock: Arc::new(clock),
            timer,
        }
    }

    /// Applies an update received on `conn`. `is_first` tells whether it is the first awareness
    /// message of that connection, which is where a client announces itself.
    pub fn apply(&mut self, conn: ConnId, update: AwarenessUpdate, is_first: bool) -> Relay {
        let origin = Origin::Connection {
            announces_itself: is_first && update.clients.len() == 1,
        };
        self.apply_from(conn, update, origin)
    }

    /// Applies an update another node relayed for its clients; `owner` is that node's stand-in
    /// here. States a connection of this node owns are left alone; a state owned by yet another
    /// node moves to `owner` (its client announced itself there later), and only the owner's
    /// removal removes it.
    pub fn apply_from_node(&mut self, owner: ConnId, update: AwarenessUpdate) -> Relay {
        debug_assert!(is_node_owner(owner));
        self.apply_from(owner, update, Origin::Node)
    }

    fn apply_from(&mut self, conn: ConnId, update: AwarenessUpdate, origin: Origin) -> Relay {
        let now = self.clock.now();
        let mut relayed = HashMap::with_capacity(update.clients.len());
        let mut unchanged = true;
        for (id, entry) in update.clients {
            match self.accept(conn, id, &entry, origin, now) {
                Some(clock) => {
                    unchanged &= clock == entry.clock;
                    relayed.insert(
                        id,
                        AwarenessUpdateEntry {
                            clock,
                            json: entry.json,
                        },
                    );
                }
                None => unchanged = false,
            }
        }
        if relayed.is_empty() {
            Relay::Nothing
        } else if unchanged {
            Relay::AsReceived
        } else {
            Relay::Rewritten(AwarenessUpdate { clients: relayed })
        }
    }

    /// Judges one entry; returns the wire clock to relay it at, or `None` when it is stale.
    fn accept(
        &mut self,
        conn: ConnId,
        id: ClientID,
        entry: &AwarenessUpdateEntry,
        origin: Origin,
        now: Timestamp,
    ) -> Option<u32> {
        let removal = entry.json.as_ref() == "null";
        let Some(peer) = self.peers.get_mut(&id) else {
            // First sight of this id. A removal is remembered (so a late copy of the state it
            // removed is refused) but there is nothing to tell anyone.
            self.peers.insert(
                id,
                Peer {
                    wire: entry.clock,
                    own: entry.clock,
                    state: (!removal).then(|| entry.json.clone()),
                    owner: (!removal).then_some(conn),
                    renewed_at: now,
                },
            );
            return (!removal).then_some(entry.clock);
        };
        let owned_by_node = peer.owner.is_some_and(is_node_owner);
        let sender = match origin {
            _ if peer.owner == Some(conn) => Sender::Owner,
            // Another node's clocks are not comparable with this node's: it takes an id over
            // unless a connection here owns it, and never removes what it does not own.
            Origin::Node if removal || peer.owner.is_some_and(|owner| !is_node_owner(owner)) => {
                return None
            }
            Origin::Node => Sender::Returning,
            // The owner's clock only grows, so an older clock is someone relaying a past
            // state; a client back from another node is numbered by that node, so it is
            // believed.
            Origin::Connection { announces_itself }
                if announces_itself && !removal && (entry.clock >= peer.own || owned_by_node) =>
            {
                Sender::Returning
            }
            Origin::Connection { .. } => Sender::Other,
        };
        let is_newer = match sender {
            Sender::Owner => entry.clock > peer.own,
            Sender::Returning => true,
            // The y-protocols rule, in wire numbering: newer, or a removal of the current state.
            Sender::Other => {
                entry.clock > peer.wire || (entry.clock == peer.wire && removal && peer.is_live())
            }
        };
        if !is_newer {
            return None;
        }
        if matches!(sender, Sender::Owner | Sender::Returning) {
            peer.own = entry.clock;
        }
        if matches!(sender, Sender::Returning) || (peer.owner.is_none() && !removal) {
            peer.owner = Some(conn);
        }
        peer.wire = peer.wire.saturating_add(1).max(entry.clock);
        peer.state = (!removal).then(|| entry.json.clone());
        peer.renewed_at = now;
        Some(peer.wire)
    }

    /// Removes every state owned by `conn`, returning the `null` update to broadcast, if any.
    pub fn release(&mut self, conn: ConnId) -> Option<AwarenessUpdate> {
        let mut removed = HashMap::new();
        for (id, peer) in &mut self.peers {
            if peer.owner != Some(conn) {
                continue;
            }
            if peer.is_live() {
                removed.insert(*id, peer.remove());
            } else {
                peer.owner = None;
            }
        }
        (!removed.is_empty()).then_some(AwarenessUpdate { clients: removed })
    }

    /// Removes states not renewed within the expiry timeout, returning the `null` update.
    pub fn expire(&mut self, now: Timestamp) -> Option<AwarenessUpdate> {
        let expire_after = self.timer.expire_after_ms;
        let removed: HashMap<ClientID, AwarenessUpdateEntry> = self
            .peers
            .iter_mut()
            .filter(|(_, peer)| {
                peer.is_live() && now.saturating_sub(peer.renewed_at) >= expire_after
            })
            .map(|(id, peer)| (*id, peer.remove()))
            .collect();
        (!removed.is_empty()).then_some(AwarenessUpdate { clients: removed })
    }

    /// Every live state, for a newly joined connection or a query-awareness request, one wire
    /// clock above anything sent before so that a client coming back accepts all of them.
    pub fn snapshot(&mut self) -> Option<AwarenessUpdate> {
        let clients: HashMap<ClientID, AwarenessUpdateEntry> = self
            .peers
            .iter_mut()
            .filter_map(|(id, peer)| {
                let json = peer.state.clone()?;
                peer.wire = peer.wire.saturating_add(1);
                Some((
                    *id,
                    AwarenessUpdateEntry {
                        clock: peer.wire,
                        json,
                    },
                ))
            })
            .collect();
        (!clients.is_empty()).then_some(AwarenessUpdate { clients })
    }

    /// The live ids owned by `conn`.
    #[cfg(test)]
    pub fn owned_by(&self, conn: ConnId) -> Vec<ClientID> {
        let mut ids: Vec<ClientID> = self
            .peers
            .iter()
            .filter(|(_, peer)| peer.owner == Some(conn) && peer.is_live())
            .map(|(id, _)| *id)
            .collect();
        ids.sort_by_key(ClientID::get);
        ids
    }
}

#[cfg(test)]
mod tests;
