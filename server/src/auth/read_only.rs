//! What a read-only connection may send into its room: sync step1, awareness (unless switched
//! off) and awareness queries. Its step2 and update messages are dropped here, before the room
//! decodes them, and the first one is answered with y-protocols' permission-denied message.

use bytes::Bytes;
use ycord_protocol::{decode_frame, encode, Message, SyncMessage};

/// The reason sent in the permission-denied message.
pub(crate) const READ_ONLY_REASON: &str = "read-only";

/// A v1 update with no structs and no deletions.
const EMPTY_UPDATE: &[u8] = &[0, 0];

/// The filter of one read-only connection.
#[derive(Debug)]
pub(crate) struct ReadOnlyFilter {
    relay_awareness: bool,
    has_told: bool,
}

/// What to do with one frame from a read-only connection.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Filtered {
    /// What goes on to the room, if anything.
    pub(crate) forward: Option<Bytes>,
    /// What goes back to the client, if anything (the permission-denied message, once).
    pub(crate) reply: Option<Bytes>,
}

impl ReadOnlyFilter {
    pub(crate) fn new(relay_awareness: bool) -> Self {
        ReadOnlyFilter {
            relay_awareness,
            has_told: false,
        }
    }

    /// Splits `frame` into what the room may see and what the client is told.
    pub(crate) fn filter(&mut self, frame: Bytes) -> Filtered {
        // A frame that does not decode goes on unchanged: the room closes the connection with
        // the precise reason, as for anyone else. It cannot write, since it does not decode.
        let Ok(messages) = decode_frame(&frame) else {
            return Filtered {
                forward: Some(frame),
                reply: None,
            };
        };
        let is_allowed = |message: &Message<'_>| match message {
            Message::Sync(SyncMessage::Step1(_)) | Message::QueryAwareness => true,
            Message::Awareness(_) => self.relay_awareness,
            Message::Sync(_) | Message::Auth(_) => false,
        };
        // y-websocket answers the server's step1 with a step2 even when it has nothing: an
        // empty update (no structs, no deletions) is dropped without telling, so the client
        // hears "read-only" only when it actually tries to edit.
        let writes = messages.iter().any(|message| match message {
            Message::Sync(SyncMessage::Step2(update) | SyncMessage::Update(update)) => {
                *update != EMPTY_UPDATE
            }
            _ => false,
        });
        let reply = (writes && !std::mem::replace(&mut self.has_told, true))
            .then(|| Bytes::from(encode::permission_denied(READ_ONLY_REASON)));
        if messages.iter().all(is_allowed) {
            return Filtered {
                forward: Some(frame),
                reply,
            };
        }
        let mut kept = Vec::new();
        for message in messages.iter().filter(|message| is_allowed(message)) {
            match message {
                Message::Sync(SyncMessage::Step1(state_vector)) => {
                    kept.extend(encode::sync_step1(state_vector));
                }
                Message::Awareness(update) => kept.extend(encode::awareness(update)),
                Message::QueryAwareness => kept.extend(encode::query_awareness()),
                Message::Sync(_) | Message::Auth(_) => {}
            }
        }
        Filtered {
            forward: (!kept.is_empty()).then(|| Bytes::from(kept)),
            reply,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, ReadTxn, StateVector, Text, Transact};

    fn update() -> Vec<u8> {
        let doc = Doc::new();
        let text = doc.get_or_insert_text("t");
        text.insert(&mut doc.transact_mut(), 0, "hello");
        let update = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        update
    }

    #[test]
    fn a_read_only_update_is_dropped_and_answered_once_with_permission_denied() {
        let mut filter = ReadOnlyFilter::new(true);
        let first = filter.filter(Bytes::from(encode::sync_update(&update())));
        assert_eq!(first.forward, None);
        assert_eq!(
            first.reply,
            Some(Bytes::from(encode::permission_denied("read-only")))
        );
        let second = filter.filter(Bytes::from(encode::sync_step2(&update())));
        assert_eq!(second, Filtered::default());
    }

    #[test]
    fn an_empty_step2_is_dropped_without_a_denial() {
        let mut filter = ReadOnlyFilter::new(true);
        let empty = Doc::new()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        assert_eq!(empty, EMPTY_UPDATE);
        let filtered = filter.filter(Bytes::from(encode::sync_step2(&empty)));
        assert_eq!(filtered, Filtered::default());
        let edit = filter.filter(Bytes::from(encode::sync_update(&update())));
        assert!(edit.reply.is_some(), "a real edit is still denied once");
    }

    #[test]
    fn a_read_only_step1_and_awareness_query_go_through_unchanged() {
        let mut filter = ReadOnlyFilter::new(true);
        for frame in [
            encode::sync_step1(&StateVector::default()),
            encode::query_awareness(),
        ] {
            let frame = Bytes::from(frame);
            let filtered = filter.filter(frame.clone());
            assert_eq!(filtered.forward, Some(frame));
            assert_eq!(filtered.reply, None);
        }
    }

    #[test]
    fn a_frame_mixing_step1_and_an_update_keeps_only_the_step1() {
        let mut filter = ReadOnlyFilter::new(true);
        let step1 = encode::sync_step1(&StateVector::default());
        let mut frame = step1.clone();
        frame.extend(encode::sync_update(&update()));
        let filtered = filter.filter(Bytes::from(frame));
        assert_eq!(filtered.forward, Some(Bytes::from(step1)));
        assert!(filtered.reply.is_some());
    }

    #[test]
    fn awareness_of_read_only_clients_is_dropped_when_switched_off() {
        let awareness = {
            let mut update = yrs::sync::AwarenessUpdate {
                clients: Default::default(),
            };
            update.clients.insert(
                yrs::block::ClientID::new(7),
                yrs::sync::awareness::AwarenessUpdateEntry {
                    clock: 1,
                    json: "{\"user\":\"ro\"}".into(),
                },
            );
            Bytes::from(encode::awareness(&update))
        };
        let filtered = ReadOnlyFilter::new(false).filter(awareness.clone());
        assert_eq!(filtered, Filtered::default());
        let relayed = ReadOnlyFilter::new(true).filter(awareness.clone());
        assert_eq!(relayed.forward, Some(awareness));
    }
}
