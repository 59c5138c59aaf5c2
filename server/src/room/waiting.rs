//! Updates held back because they start past a gap in a client's clocks.
//!
//! A client's next edit can reach the room before the edits it follows: those were lost with a
//! dropped socket, and the client sends them again only in the step2 of its next connection,
//! after edits it made meanwhile. yrs 0.28 keeps such structs in the document's block store
//! behind the gap, invisible to the state vector and to its pending update; the room would then
//! take the update as applied and relay it whole, so that clients holding the missing clocks
//! integrate structs the room has not, and yrs can later lose the ones it kept. So the room
//! never hands yrs an update with a gap: it holds it here, unapplied, unstored and unrelayed,
//! and applies it once the document has reached where it starts. Nothing held was
//! acknowledged; if it never becomes applicable, its sender still has it and sends it in its
//! next step2.

use std::collections::VecDeque;

use bytes::Bytes;
use yrs::StateVector;

use crate::conn_id::ConnId;

/// Updates held per room at most; the oldest goes first (its sender sends it again).
const MAX_HELD: usize = 256;

/// One held update.
pub(super) struct Held {
    /// The connection it came from, if any (the HTTP API and other nodes have none).
    pub(super) writer: Option<ConnId>,
    /// Its bytes, validated.
    pub(super) update: Bytes,
    /// Where it starts, per client.
    starts: StateVector,
}

/// The updates a room holds back, oldest first.
#[derive(Default)]
pub(super) struct Waiting {
    held: VecDeque<Held>,
}

/// Whether an update starting at `starts` (per client: its lowest clock) starts past `state`
/// for some client: a gap the document cannot bridge.
pub(super) fn starts_past(starts: &StateVector, state: &StateVector) -> bool {
    starts
        .iter()
        .any(|(client, &start)| start > state.get(client))
}

impl Waiting {
    /// Holds `update` from `writer`, which starts at `starts`.
    pub(super) fn hold(&mut self, writer: Option<ConnId>, update: Bytes, starts: StateVector) {
        if self.held.len() >= MAX_HELD {
            self.held.pop_front();
        }
        self.held.push_back(Held {
            writer,
            update,
            starts,
        });
    }

    /// Whether nothing is held.
    pub(super) fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// The oldest held update that no longer starts past `state`, taken out.
    pub(super) fn take_ready(&mut self, state: &StateVector) -> Option<Held> {
        let at = self.held.iter().position(|held| {
            held.starts
                .iter()
                .all(|(client, &start)| start <= state.get(client))
        })?;
        self.held.remove(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, ReadTxn, Text, Transact, Update};

    fn edits(count: usize) -> (Doc, Vec<Vec<u8>>) {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("text");
        let updates = (0..count)
            .map(|_| {
                let before = doc.transact().state_vector();
                text.insert(&mut doc.transact_mut(), 0, "ab");
                doc.transact().encode_state_as_update_v1(&before)
            })
            .collect();
        (doc, updates)
    }

    #[test]
    fn an_update_is_ready_once_the_state_reaches_its_start() {
        let (doc, updates) = edits(3);
        let third = Update::decode_v1(&updates[2]).unwrap();
        let mut waiting = Waiting::default();
        let starts = third.state_vector_lower();
        assert!(starts_past(&starts, &StateVector::default()));
        waiting.hold(Some(1), Bytes::from(updates[2].clone()), starts);
        let mut state = StateVector::default();
        assert!(waiting.take_ready(&state).is_none());
        state.set_max(doc.client_id(), 2);
        assert!(
            waiting.take_ready(&state).is_none(),
            "still two clocks short"
        );
        state.set_max(doc.client_id(), 4);
        let ready = waiting.take_ready(&state).expect("ready");
        assert_eq!(
            (ready.writer, ready.update.as_ref()),
            (Some(1), &updates[2][..])
        );
        assert!(waiting.is_empty());
    }

    #[test]
    fn at_most_a_bounded_number_is_held() {
        let (_, updates) = edits(2);
        let second = Update::decode_v1(&updates[1]).unwrap();
        let mut waiting = Waiting::default();
        for writer in 0..(MAX_HELD as u64 + 10) {
            waiting.hold(
                Some(writer),
                Bytes::from(updates[1].clone()),
                second.state_vector_lower(),
            );
        }
        assert_eq!(waiting.held.len(), MAX_HELD);
        assert_eq!(waiting.held.front().unwrap().writer, Some(10));
    }
}
