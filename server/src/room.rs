//! The sans-IO core of a room: one document, its awareness states and its connections.
//!
//! Frames go in, [`Effect`]s come out; the room task ([`crate::room_task`]) moves them to
//! sockets. Every frame is decoded and every update validated before anything is applied, so
//! a bad frame closes its connection and leaves the document exactly as it was.

use std::collections::HashMap;

use bytes::Bytes;
use ycord_protocol::{decode_frame, encode, AwarenessTimer, Message, SyncMessage};
use yrs::sync::{Clock, Timestamp};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, OffsetKind, Options, ReadTxn, StateVector, Transact, Update};

use crate::close::CloseReason;
use crate::presence::{Presence, Relay};

/// Identifies one WebSocket connection for the lifetime of the server.
pub type ConnId = u64;

/// What the room asks its adapter to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send a frame to one connection.
    Send(ConnId, Bytes),
    /// Send a frame to every connection of the room, the sender included.
    Broadcast(Bytes),
    /// Close one connection with a reason; the room has already forgotten it.
    Close(ConnId, CloseReason),
    /// Store this v1 update durably. It has been applied to the document; under sync-before-echo
    /// durability, the effects after it wait until the store confirms it.
    Append(Bytes),
}

/// How many step2 answers are kept per document version (one per distinct state vector).
const STEP2_CACHE_ENTRIES: usize = 16;

#[derive(Debug, Default)]
struct Connection {
    has_sent_awareness: bool,
}

/// A document and everyone editing it.
pub struct Room {
    doc: Doc,
    presence: Presence,
    connections: HashMap<ConnId, Connection>,
    /// Encoded step2 frames by the state vector they answer; valid until the doc changes.
    step2_cache: HashMap<Vec<u8>, Bytes>,
}

impl Room {
    /// A room whose document starts from the stored v1 `updates`, in order.
    ///
    /// # Errors
    /// When a stored update is not a valid v1 update.
    pub fn new<C: Clock + 'static>(
        updates: &[&[u8]],
        clock: C,
    ) -> Result<Self, yrs::encoding::read::Error> {
        let doc = doc_from_updates(updates)?;
        Ok(Room {
            doc,
            presence: Presence::new(clock, AwarenessTimer::default()),
            connections: HashMap::new(),
            step2_cache: HashMap::new(),
        })
    }

    /// The room's document.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// Whether `conn` is (still) a connection of this room; frames from a rejected connection
    /// that were already queued are ignored.
    pub fn is_connected(&self, conn: ConnId) -> bool {
        self.connections.contains_key(&conn)
    }

    /// Number of open connections.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// The whole document as one v1 update.
    pub fn encode_state(&self) -> Vec<u8> {
        self.doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    /// Adds a connection: the server speaks first with its step1, then every known awareness
    /// state, as y-websocket clients expect.
    pub fn join(&mut self, conn: ConnId) -> Vec<Effect> {
        self.connections.insert(conn, Connection::default());
        let state_vector = self.doc.transact().state_vector();
        let mut effects = vec![Effect::Send(conn, encode::sync_step1(&state_vector).into())];
        if let Some(states) = self.presence.snapshot() {
            effects.push(Effect::Send(conn, encode::awareness(&states).into()));
        }
        effects
    }

    /// Removes a connection and broadcasts the removal of the awareness states it owned.
    pub fn leave(&mut self, conn: ConnId) -> Vec<Effect> {
        if self.connections.remove(&conn).is_none() {
            return Vec::new();
        }
        match self.presence.release(conn) {
            Some(removed) => vec![Effect::Broadcast(encode::awareness(&removed).into())],
            None => Vec::new(),
        }
    }

    /// Handles one binary frame from `conn`.
    pub fn receive(&mut self, conn: ConnId, frame: Bytes) -> Vec<Effect> {
        let messages = match decode_frame(&frame) {
            Ok(messages) => messages,
            Err(err) => return self.reject(conn, CloseReason::from(&err)),
        };
        let mut updates = Vec::new();
        for message in &messages {
            if let Message::Sync(sync) = message {
                if let Some(bytes) = sync.update() {
                    match decode_update(bytes) {
                        Ok(update) => updates.push(update),
                        Err(reason) => return self.reject(conn, reason),
                    }
                }
            }
        }
        let is_single = messages.len() == 1;
        let mut updates = updates.into_iter();
        let mut effects = Vec::new();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::Step1(state_vector)) => {
                    effects.push(Effect::Send(conn, self.step2_for(&state_vector)));
                }
                Message::Sync(sync) => {
                    let update = updates.next().expect("validated above");
                    match self.apply(update) {
                        Ok(false) => {}
                        Ok(true) => {
                            let update = sync.update().unwrap_or_default();
                            effects.push(Effect::Append(frame.slice_ref(update)));
                            let relay = match sync {
                                // The received frame is already `[0, 2, update]`: relay it as is.
                                SyncMessage::Update(_) if is_single => frame.clone(),
                                _ => encode::sync_update(sync.update().unwrap_or_default()).into(),
                            };
                            effects.push(Effect::Broadcast(relay));
                        }
                        Err(Rejected { reason, partial }) => {
                            effects.extend(partial);
                            effects.extend(self.reject(conn, reason));
                            return effects;
                        }
                    }
                }
                Message::Awareness(update) => {
                    let is_first = self
                        .connections
                        .get_mut(&conn)
                        .is_some_and(|c| !std::mem::replace(&mut c.has_sent_awareness, true));
                    // y-websocket clients read only the first message of a frame, so an
                    // awareness message that shared its frame is relayed on its own.
                    let own_frame = (!is_single).then(|| Bytes::from(encode::awareness(&update)));
                    match self.presence.apply(conn, update, is_first) {
                        Relay::Nothing => {}
                        Relay::AsReceived => effects.push(Effect::Broadcast(
                            own_frame.unwrap_or_else(|| frame.clone()),
                        )),
                        Relay::Rewritten(update) => {
                            effects.push(Effect::Broadcast(encode::awareness(&update).into()));
                        }
                    }
                }
                Message::QueryAwareness => {
                    if let Some(states) = self.presence.snapshot() {
                        effects.push(Effect::Send(conn, encode::awareness(&states).into()));
                    }
                }
                // Clients have nothing to authenticate with in this dialect; a stray auth
                // message is harmless and ignored.
                Message::Auth(_) => {}
            }
        }
        effects
    }

    /// Applies an update that did not come from a connection (the HTTP API): it is stored and
    /// relayed to every connection like any client's update.
    ///
    /// # Errors
    /// The reason the update is invalid, with the effects of whatever part of it yrs had
    /// already integrated (to be stored and relayed all the same).
    pub fn apply_external(&mut self, update: Bytes) -> Result<Vec<Effect>, Rejected> {
        let decoded = decode_update(&update).map_err(|reason| Rejected {
            reason,
            partial: Vec::new(),
        })?;
        if !self.apply(decoded)? {
            return Ok(Vec::new());
        }
        let frame = Bytes::from(encode::sync_update(&update));
        Ok(vec![Effect::Append(update), Effect::Broadcast(frame)])
    }

    /// Closes every connection with `reason`, as when the room is deleted.
    pub fn close_all(&mut self, reason: &CloseReason) -> Vec<Effect> {
        let mut effects = Vec::with_capacity(self.connections.len());
        for (conn, _) in std::mem::take(&mut self.connections) {
            // Nobody is left to tell about the awareness states this removes.
            self.presence.release(conn);
            effects.push(Effect::Close(conn, reason.clone()));
        }
        effects
    }

    /// Drops awareness states nobody renewed for 30 s.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Effect> {
        match self.presence.expire(now) {
            Some(removed) => vec![Effect::Broadcast(encode::awareness(&removed).into())],
            None => Vec::new(),
        }
    }

    fn reject(&mut self, conn: ConnId, reason: CloseReason) -> Vec<Effect> {
        let mut effects = self.leave(conn);
        effects.push(Effect::Close(conn, reason));
        effects
    }

    /// The step2 answer to a step1, encoded once per distinct state vector and doc version.
    fn step2_for(&mut self, state_vector: &StateVector) -> Bytes {
        let key = state_vector.encode_v1();
        if let Some(frame) = self.step2_cache.get(&key) {
            return frame.clone();
        }
        let update = self.doc.transact().encode_state_as_update_v1(state_vector);
        let frame = Bytes::from(encode::sync_step2(&update));
        if self.step2_cache.len() >= STEP2_CACHE_ENTRIES {
            self.step2_cache.clear();
        }
        self.step2_cache.insert(key, frame.clone());
        frame
    }

    /// Applies a validated update; returns whether it changed anything others need to see.
    fn apply(&mut self, update: Update) -> Result<bool, Rejected> {
        let mut txn = self.doc.transact_mut();
        let pending_before = pending_signature(&txn);
        let result = txn.apply_update(update);
        let is_changed = txn.before_state() != txn.after_state()
            || !txn.delete_set().is_empty()
            || pending_signature(&txn) != pending_before;
        // yrs leaves what it integrated before an error in the document: that part must be
        // stored and relayed like any change, or memory and store would disagree.
        let partial = match (&result, is_changed) {
            (Err(_), true) => Some(txn.encode_update_v1()),
            _ => None,
        };
        drop(txn);
        if is_changed {
            self.step2_cache.clear();
        }
        match result {
            Ok(()) => Ok(is_changed),
            Err(err) => Err(Rejected {
                reason: CloseReason::InvalidUpdate(format!("update rejected: {err}")),
                partial: partial
                    .map(|diff| {
                        let frame = Bytes::from(encode::sync_update(&diff));
                        vec![Effect::Append(Bytes::from(diff)), Effect::Broadcast(frame)]
                    })
                    .unwrap_or_default(),
            }),
        }
    }
}

/// An update yrs refused part-way through.
#[derive(Debug)]
pub struct Rejected {
    /// Why, for the sender.
    pub reason: CloseReason,
    /// Effects storing and relaying the part that was integrated before the error.
    pub partial: Vec<Effect>,
}

/// What is waiting for missing dependencies, so that an update adding nothing (a duplicate)
/// is told apart from one that was parked until its dependencies arrive.
fn pending_signature<T: ReadTxn>(txn: &T) -> Option<(StateVector, StateVector, usize)> {
    let store = txn.store();
    let pending = store.pending_update();
    let pending_ds = store.pending_ds().map_or(0, |ds| ds.iter().count());
    match pending {
        None if pending_ds == 0 => None,
        None => Some((StateVector::default(), StateVector::default(), pending_ds)),
        Some(p) => Some((p.missing.clone(), p.update.state_vector(), pending_ds)),
    }
}

/// Updates merged at once when rebuilding a document. yrs's merge re-sorts its inputs for
/// every block it writes, so its cost grows with the square of their number: small chunks
/// keep it linear, and one transaction integrates all the chunks.
const MERGE_CHUNK: usize = 64;

/// Rebuilds a document from its stored v1 updates, in order.
///
/// # Errors
/// When a stored update is not a valid v1 update.
pub fn doc_from_updates(updates: &[&[u8]]) -> Result<Doc, yrs::encoding::read::Error> {
    let doc = Doc::with_options(Options {
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    });
    let mut txn = doc.transact_mut();
    for chunk in updates.chunks(MERGE_CHUNK) {
        let merged;
        let bytes = match chunk {
            [single] => *single,
            many => {
                merged = yrs::merge_updates_v1(many)?;
                &merged[..]
            }
        };
        txn.apply_update(Update::decode_v1(bytes)?)
            .map_err(|err| yrs::encoding::read::Error::Custom(err.to_string()))?;
    }
    drop(txn);
    Ok(doc)
}

/// Decodes update bytes from the network. yrs asserts on some invalid input in debug builds,
/// so a panic during decoding is caught and reported as an invalid update.
fn decode_update(bytes: &[u8]) -> Result<Update, CloseReason> {
    match std::panic::catch_unwind(|| Update::decode_v1(bytes)) {
        Ok(Ok(update)) => Ok(update),
        Ok(Err(err)) => Err(CloseReason::InvalidUpdate(format!("invalid update: {err}"))),
        Err(_) => Err(CloseReason::InvalidUpdate(
            "invalid update: undecodable bytes".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ycord_protocol::ManualClock;
    use yrs::{GetString, Text};

    fn room() -> Room {
        Room::new(&[], ManualClock::new(0)).unwrap()
    }

    /// An update inserting `content` into `doc`'s text, holding only that edit.
    fn text_update(doc: &Doc, content: &str) -> Vec<u8> {
        let text = doc.get_or_insert_text("text");
        let before = doc.transact().state_vector();
        text.insert(&mut doc.transact_mut(), 0, content);
        let update = doc.transact().encode_state_as_update_v1(&before);
        update
    }

    fn text_update_frame_payload(frame: &Bytes) -> Bytes {
        match &decode_frame(frame).unwrap()[0] {
            Message::Sync(SyncMessage::Update(update)) => frame.slice_ref(update),
            other => panic!("{other:?}"),
        }
    }

    fn text_of(room: &Room) -> String {
        let text = room.doc().get_or_insert_text("text");
        let txn = room.doc().transact();
        text.get_string(&txn)
    }

    #[test]
    fn join_sends_step1_first() {
        let mut room = room();
        let effects = room.join(1);
        assert_eq!(effects.len(), 1);
        let Effect::Send(1, frame) = &effects[0] else {
            panic!("{effects:?}")
        };
        assert!(matches!(
            decode_frame(frame).unwrap()[0],
            Message::Sync(SyncMessage::Step1(_))
        ));
    }

    #[test]
    fn an_update_is_relayed_as_the_same_bytes_to_everyone() {
        let mut room = room();
        room.join(1);
        room.join(2);
        let frame = Bytes::from(encode::sync_update(&text_update(&Doc::new(), "hi")));
        let effects = room.receive(1, frame.clone());
        let update = text_update_frame_payload(&frame);
        assert_eq!(
            effects,
            vec![Effect::Append(update), Effect::Broadcast(frame.clone())]
        );
        assert_eq!(text_of(&room), "hi");
        // The same update again changes nothing and is not relayed.
        assert!(room.receive(2, frame).is_empty());
    }

    #[test]
    fn a_step2_with_nothing_new_is_not_relayed() {
        let mut room = room();
        room.join(1);
        let update = text_update(&Doc::new(), "abc");
        room.receive(1, encode::sync_update(&update).into());
        assert!(room
            .receive(1, encode::sync_step2(&update).into())
            .is_empty());
    }

    #[test]
    fn garbage_update_closes_the_sender_and_leaves_the_doc_unchanged() {
        let mut room = room();
        room.join(1);
        room.receive(
            1,
            encode::sync_update(&text_update(&Doc::new(), "keep")).into(),
        );
        let before = room.encode_state();
        let effects = room.receive(1, encode::sync_update(&[0xff, 0xff, 0xff, 0x01, 7]).into());
        let Some(Effect::Close(1, reason)) = effects.last() else {
            panic!("{effects:?}")
        };
        assert_eq!(reason.code(), 1007);
        assert_eq!(room.encode_state(), before);
        assert_eq!(room.connection_count(), 0);
    }

    #[test]
    fn a_parked_update_is_relayed_once_and_its_duplicates_not_at_all() {
        let mut room = room();
        room.join(1);
        let doc = Doc::new();
        let _first = text_update(&doc, "a");
        let second = text_update(&doc, "b"); // depends on the first, which the room lacks
        let frame = Bytes::from(encode::sync_update(&second));
        assert_eq!(
            room.receive(1, frame.clone()).len(),
            2,
            "stored and relayed once"
        );
        assert!(
            room.receive(1, frame).is_empty(),
            "a duplicate of a parked update"
        );
    }

    #[test]
    fn a_rejected_connection_is_no_longer_connected() {
        let mut room = room();
        room.join(1);
        room.receive(1, Bytes::from_static(&[9]));
        assert!(!room.is_connected(1));
    }

    #[test]
    fn step1_answers_are_cached_until_the_doc_changes() {
        let mut room = room();
        room.join(1);
        let step1 = Bytes::from(encode::sync_step1(&StateVector::default()));
        let first = room.receive(1, step1.clone());
        let second = room.receive(1, step1.clone());
        let (Effect::Send(_, a), Effect::Send(_, b)) = (&first[0], &second[0]) else {
            panic!()
        };
        assert_eq!(a.as_ptr(), b.as_ptr(), "the cached frame is reused");
        room.receive(
            1,
            encode::sync_update(&text_update(&Doc::new(), "x")).into(),
        );
        let third = room.receive(1, step1);
        let Effect::Send(_, c) = &third[0] else {
            panic!()
        };
        assert_ne!(a, c);
    }
}
