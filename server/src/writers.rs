//! Which connection writes each client id's new clocks.
//!
//! A struct is identified by `(client, clock)`, and a document keeps the first struct it sees
//! for an id. A hostile connection that copies a live client's update and changes its clock
//! (or content) can therefore claim that client's next clocks: when the real client writes
//! them, its structs are duplicates and are dropped everywhere. Deleting clocks a client has
//! not written yet is the same attack the other way round: the deletion waits, and removes the
//! client's next edit on arrival everywhere but in that client's own document. So while a
//! connection writes a client id's new clocks, no other connection may reach past that id's
//! current clock, with structs or with deletions. Honest clients write
//! only their own id's new clocks (other clients' structs reach them from the server, which
//! already has them); the one exception, a tab answering a step1 with structs another tab gave
//! it before that tab's own socket delivered them, is refused, reconnects, and finds them
//! delivered.

use std::collections::HashMap;

use yrs::{ClientID, IdSet, StateVector, Update};

use crate::conn_id::ConnId;

/// The writing connection of each client id that a live connection has written.
#[derive(Debug, Default)]
pub struct Writers {
    by_client: HashMap<ClientID, ConnId>,
}

/// An update would write or delete clocks of a client id another connection writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimed {
    /// The client id.
    pub client: ClientID,
}

impl Writers {
    /// The client ids whose clocks `update` from `conn` takes past `known` (the clock up to
    /// which the document knows each client), if `conn` may write all of them.
    ///
    /// A connection may write a client id nobody writes, or that it writes itself. It may also
    /// take one over from another connection by continuing it exactly where the document
    /// stands, without a gap: that is a client whose old socket is not closed yet (a dropped
    /// network is noticed by the ping timeout) reconnecting and typing on, or a step2 handing
    /// back structs the room relayed and then could not keep. Only the part past the
    /// document's clock is judged (the clocks below it are known, whatever gaps a step2 shows
    /// among them). Structs that start past that clock, and deletions of clocks not written
    /// yet, stay refused.
    ///
    /// # Errors
    /// [`Claimed`] naming the first client id the update may not write.
    pub fn check(
        &self,
        conn: ConnId,
        update: &Update,
        known: &StateVector,
    ) -> Result<Vec<ClientID>, Claimed> {
        let mut added = Vec::new();
        let insertions = update.insertions(true);
        for (client, ranges) in insertions.iter() {
            let state = known.get(client);
            let Some(end) = ranges.iter().map(|r| r.end).max() else {
                continue;
            };
            if end <= state {
                continue;
            }
            let continues = continues_at(ranges.iter().map(|r| (r.start, r.end)), state);
            match self.by_client.get(client) {
                Some(&writer) if writer != conn && !continues => {
                    return Err(Claimed { client: *client })
                }
                _ => added.push(*client),
            }
        }
        for (client, end) in ends(update.delete_set()) {
            if end > known.get(&client)
                && self.by_client.get(&client).is_some_and(|&w| w != conn)
                && !added.contains(&client)
            {
                return Err(Claimed { client });
            }
        }
        Ok(added)
    }

    /// Records `conn` as the writer of `clients` (as [`Writers::check`] returned them).
    pub fn claim(&mut self, conn: ConnId, clients: &[ClientID]) {
        for client in clients {
            self.by_client.insert(*client, conn);
        }
    }

    /// Forgets what `conn` wrote: another connection may write those ids now.
    pub fn release(&mut self, conn: ConnId) {
        self.by_client.retain(|_, writer| *writer != conn);
    }
}

/// Whether the part of `ranges` (a client's inserted clocks, `start..end`) past `state` starts
/// exactly at `state` and has no gap. Only that part counts: a step2 may also repeat clocks the
/// document holds, with gaps among them (a client relaying structs it keeps waiting).
fn continues_at(ranges: impl Iterator<Item = (u32, u32)>, state: u32) -> bool {
    let mut past: Vec<(u32, u32)> = ranges.filter(|&(_, end)| end > state).collect();
    past.sort_unstable();
    let Some(&(first, _)) = past.first() else {
        return true;
    };
    if first > state {
        return false;
    }
    past.windows(2).all(|pair| pair[1].0 <= pair[0].1)
}

/// Each client of `ids` with the end of its last range.
pub(crate) fn ends(ids: &IdSet) -> impl Iterator<Item = (ClientID, u32)> + '_ {
    ids.iter().filter_map(|(client, ranges)| {
        ranges
            .into_iter()
            .map(|range| range.end)
            .max()
            .map(|end| (*client, end))
    })
}

#[cfg(test)]
mod tests {
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, ReadTxn, Text, Transact};

    use super::*;

    /// The update of typing `content` at the end of `doc`'s text.
    fn typed(doc: &Doc, content: &str) -> Update {
        let text = doc.get_or_insert_text("text");
        let before = doc.transact().state_vector();
        let len = text.len(&doc.transact());
        text.insert(&mut doc.transact_mut(), len, content);
        let bytes = doc.transact().encode_state_as_update_v1(&before);
        Update::decode_v1(&bytes).unwrap()
    }

    fn state(doc: &Doc) -> StateVector {
        doc.transact().state_vector()
    }

    #[test]
    fn only_the_part_past_the_document_must_continue_it() {
        // A step2 repeating known clocks with a gap among them, then continuing at 35.
        assert!(continues_at([(24, 27), (35, 36)].into_iter(), 35));
        assert!(continues_at([(30, 40)].into_iter(), 35));
        assert!(continues_at([(35, 37), (37, 40)].into_iter(), 35));
        assert!(
            !continues_at([(36, 40)].into_iter(), 35),
            "starts past the document"
        );
        assert!(
            !continues_at([(35, 37), (38, 40)].into_iter(), 35),
            "a gap past it"
        );
        assert!(continues_at([(0, 10)].into_iter(), 35), "nothing past it");
    }

    #[test]
    fn the_first_connection_to_write_a_client_id_keeps_it_until_it_leaves() {
        let mut writers = Writers::default();
        let doc = Doc::with_client_id(7);
        let first = typed(&doc, "abc");
        let added = writers.check(1, &first, &StateVector::default()).unwrap();
        assert_eq!(added, vec![ClientID::new(7)]);
        writers.claim(1, &added);
        let known = state(&doc);
        let next = typed(&doc, "de");
        // Past the known clock with a gap: not a continuation, refused for anyone but 1.
        let after_next = typed(&doc, "f");
        let claimed = Err(Claimed {
            client: ClientID::new(7),
        });
        assert_eq!(writers.check(2, &after_next, &known), claimed);
        assert!(writers.check(1, &after_next, &known).is_ok());
        writers.release(1);
        assert!(writers.check(2, &after_next, &known).is_ok());
        let _ = next;
    }

    #[test]
    fn a_reconnected_client_continuing_where_the_document_stands_takes_over() {
        let mut writers = Writers::default();
        let doc = Doc::with_client_id(7);
        writers.claim(1, &[ClientID::new(7)]);
        let known = state(&doc);
        let next = typed(&doc, "typed on");
        assert_eq!(writers.check(2, &next, &known), Ok(vec![ClientID::new(7)]));
    }

    #[test]
    fn structs_the_document_already_has_are_anyone_s_to_resend() {
        let mut writers = Writers::default();
        let doc = Doc::with_client_id(7);
        let all = typed(&doc, "abc");
        writers.claim(1, &[ClientID::new(7)]);
        // A step2 repeating what the document holds adds nothing to 7.
        assert_eq!(writers.check(2, &all, &state(&doc)), Ok(vec![]));
    }
}
