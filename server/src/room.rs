//! The sans-IO core of a room: one document, its awareness states and its connections.
//!
//! Frames go in, [`Effect`]s come out; the room task moves them to sockets. Every frame is
//! decoded and every update validated completely ([`validate_update_v1`]) before anything is
//! applied, so a bad frame closes its connection and leaves the document exactly as it was,
//! and what the room stores and relays is only ever bytes yjs and yrs read alike. Should yrs
//! panic anyway, the panic is caught: the connection that caused it is closed and the room
//! asks for its document to be rebuilt from the store ([`Effect::Reload`]).
//!
//! A frame whose updates would make the document larger than its limit is refused whole,
//! before anything of it is applied (see [`document_size`]).

use std::collections::HashMap;

use bytes::Bytes;
use ycord_protocol::{
    decode_frame, encode, validate_update_v1, AwarenessTimer, Message, SyncMessage,
};
use yrs::sync::{Clock, Timestamp};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update};

use crate::close::CloseReason;
use crate::conn_id::ConnId;
use crate::limits::Limits;
use crate::load::contained;
use crate::presence::{Presence, Relay};
use crate::writers::{ends, Writers};
use document_size::{Admission, DocumentSize};
use waiting::{starts_past, Waiting};

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
    /// yrs panicked on the document, which can no longer be trusted: rebuild it from the store
    /// (once the appends before this effect are durable) and hand it to
    /// [`Room::replace_document`].
    Reload,
}

/// How many step2 answers are kept per document version (one per distinct state vector).
const STEP2_CACHE_ENTRIES: usize = 16;

/// Which protocol a connection speaks, as far as the room needs to know.
///
/// The room's frames are y-websocket messages (`varUint(type) · payload`); a Hocuspocus
/// connection's adapter puts the document address in front of each (sync and awareness have
/// the same type numbers in both dialects). What differs is the conversation: a Hocuspocus
/// server never greets with a step1 but answers the client's step1 with its own step1 and then
/// the step2, and it acknowledges every step2 and update with a SyncStatus message once it is
/// stored. Only Hocuspocus connections ever get a SyncStatus frame from the room.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dialect {
    /// y-websocket: step1 on join, no acknowledgements (read-only is filtered before the room).
    #[default]
    YWebsocket,
    /// Hocuspocus: step1 only in answer to one, SyncStatus after each step2 and update.
    Hocuspocus {
        /// A read-only document connection: its updates are never applied and are answered
        /// with SyncStatus(false); a step2 gets SyncStatus(true) only if it holds nothing new.
        is_read_only: bool,
    },
}

/// The Hocuspocus SyncStatus message without its document address (`[8, applied]`).
pub(crate) fn sync_status(is_applied: bool) -> Bytes {
    use ycord_protocol::hocuspocus::HocuspocusMessageType;
    let frame = [
        HocuspocusMessageType::SyncStatus as u8,
        u8::from(is_applied),
    ];
    Bytes::copy_from_slice(&frame)
}

#[derive(Debug, Default)]
struct Connection {
    has_sent_awareness: bool,
    dialect: Dialect,
}

/// A document and everyone editing it.
pub struct Room {
    doc: Doc,
    presence: Presence,
    connections: HashMap<ConnId, Connection>,
    writers: Writers,
    /// Encoded step2 frames by the state vector they answer; valid until the doc changes.
    step2_cache: HashMap<Vec<u8>, Bytes>,
    size: DocumentSize,
    /// Updates held back until the document reaches where they start (see [`waiting`]).
    waiting: Waiting,
}

impl Room {
    /// A room around `doc` (see [`crate::load::rebuild_document`] and
    /// [`crate::load::new_document`]), with the default document size limit
    /// ([`Limits::max_document_size`]).
    pub fn new<C: Clock + 'static>(doc: Doc, clock: C) -> Self {
        Room {
            doc,
            presence: Presence::new(clock, AwarenessTimer::default()),
            connections: HashMap::new(),
            writers: Writers::default(),
            step2_cache: HashMap::new(),
            size: DocumentSize::new(Limits::default().max_document_size),
            waiting: Waiting::default(),
        }
    }

    /// This room, refusing updates that would make its document (encoded as one v1 update)
    /// larger than `limit` bytes. A document already larger when loaded stays readable; only
    /// updates are refused.
    pub fn with_max_document_size(mut self, limit: usize) -> Self {
        self.size = DocumentSize::new(limit);
        self
    }

    /// Swaps in a document rebuilt from the store after [`Effect::Reload`]; connections and
    /// awareness states stay.
    pub fn replace_document(&mut self, doc: Doc) {
        self.doc = doc;
        self.step2_cache.clear();
        self.size.forget();
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

    /// Number of open connections (tests read it; the room task keeps its own peers).
    #[cfg(test)]
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// The whole document as one v1 update (tests read it; the room task encodes off the hot
    /// path, contained against yrs panics).
    #[cfg(test)]
    pub fn encode_state(&self) -> Vec<u8> {
        self.doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    /// Adds a connection: the server speaks first with its step1, then every known awareness
    /// state, as y-websocket clients expect.
    // The server joins through `join_as`; tests and benches use this.
    #[cfg_attr(not(any(test, feature = "bench-internals")), allow(dead_code))]
    pub fn join(&mut self, conn: ConnId) -> Vec<Effect> {
        self.join_as(conn, Dialect::YWebsocket)
    }

    /// Adds a connection speaking `dialect`: a Hocuspocus connection is greeted with the
    /// awareness states only (its step1 comes in answer to the client's).
    pub fn join_as(&mut self, conn: ConnId, dialect: Dialect) -> Vec<Effect> {
        let connection = Connection {
            dialect,
            ..Connection::default()
        };
        self.connections.insert(conn, connection);
        let mut effects = Vec::new();
        if dialect == Dialect::YWebsocket {
            let state_vector = self.doc.transact().state_vector();
            effects.push(Effect::Send(conn, encode::sync_step1(&state_vector).into()));
        }
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
        self.writers.release(conn);
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
        let is_single = messages.len() == 1;
        let dialect = self
            .connections
            .get(&conn)
            .map_or(Dialect::YWebsocket, |c| c.dialect);
        let acknowledges = dialect != Dialect::YWebsocket;
        let mut effects = Vec::new();
        let messages = if dialect == (Dialect::Hocuspocus { is_read_only: true }) {
            match self.refuse_writes(conn, messages) {
                Ok((kept, answers)) => {
                    effects = answers;
                    kept
                }
                Err(reason) => return self.reject(conn, reason),
            }
        } else {
            messages
        };
        let mut updates = Vec::new();
        let mut incoming = 0;
        for message in &messages {
            if let Message::Sync(sync) = message {
                if let Some(bytes) = sync.update() {
                    match decode_update(bytes) {
                        Ok(update) => updates.push(update),
                        Err(reason) => return self.reject(conn, reason),
                    }
                    incoming += bytes.len();
                }
            }
        }
        // The whole frame or none of it: a refusal after some of its updates were applied
        // would leave the sender unsure what the room has.
        if !updates.is_empty() {
            if let Err(Rejected { reason, partial }) = self.admit_size(incoming) {
                let mut effects = partial;
                effects.extend(self.reject(conn, reason));
                return effects;
            }
        }
        let mut updates = updates.into_iter();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::Step1(state_vector)) => {
                    if acknowledges {
                        let own = self.doc.transact().state_vector();
                        effects.push(Effect::Send(conn, encode::sync_step1(&own).into()));
                    }
                    match self.step2_for(&state_vector) {
                        Ok(step2) => effects.push(Effect::Send(conn, step2)),
                        Err(reason) => {
                            effects.push(Effect::Reload);
                            let reason = CloseReason::StorageUnavailable(reason);
                            effects.extend(self.reject(conn, reason));
                            return effects;
                        }
                    }
                }
                Message::Sync(sync) => {
                    let update = updates.next().expect("validated above");
                    let raw = frame.slice_ref(sync.update().unwrap_or_default());
                    // Behind the update's append: the sender hears it is stored before its echo.
                    let ack = acknowledges.then(|| Effect::Send(conn, sync_status(true)));
                    match self.apply(update, &raw, Some(conn)) {
                        Ok(Applied::Nothing | Applied::Held(_)) => effects.extend(ack),
                        Ok(Applied::AsReceived) => {
                            let update = sync.update().unwrap_or_default();
                            effects.push(Effect::Append(frame.slice_ref(update)));
                            effects.extend(ack);
                            let relay = match sync {
                                // The received frame is already `[0, 2, update]`: relay it as is.
                                SyncMessage::Update(_) if is_single => frame.clone(),
                                _ => encode::sync_update(update).into(),
                            };
                            effects.push(Effect::Broadcast(relay));
                        }
                        Ok(Applied::Diff(diff)) => {
                            let mut diff = diff_effects(diff);
                            if let Some(ack) = ack {
                                diff.insert(1, ack);
                            }
                            effects.extend(diff);
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
        effects.extend(self.release_waiting());
        effects
    }

    /// Takes the writes out of a read-only Hocuspocus connection's messages and answers them
    /// as Hocuspocus does: nothing is applied; an update gets SyncStatus(false), a step2
    /// SyncStatus(true) only if the document already holds all of it. Returns the messages
    /// left (step1, awareness, queries) and the answers.
    fn refuse_writes<'a>(
        &self,
        conn: ConnId,
        messages: Vec<Message<'a>>,
    ) -> Result<(Vec<Message<'a>>, Vec<Effect>), CloseReason> {
        let mut kept = Vec::with_capacity(messages.len());
        let mut answers = Vec::new();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::Update(_)) => {
                    answers.push(Effect::Send(conn, sync_status(false)));
                }
                Message::Sync(SyncMessage::Step2(update)) => {
                    let is_known = self.holds(&decode_update(update)?);
                    answers.push(Effect::Send(conn, sync_status(is_known)));
                }
                other => kept.push(other),
            }
        }
        Ok((kept, answers))
    }

    /// Whether the document already holds everything `update` inserts and deletes (the Yjs
    /// `snapshotContainsUpdate` check Hocuspocus makes for read-only step2 messages).
    fn holds(&self, update: &Update) -> bool {
        let doc = &self.doc;
        contained(|| {
            let snapshot = doc.transact().snapshot();
            let inserts_known = update
                .state_vector()
                .iter()
                .all(|(client, &clock)| clock <= snapshot.state_map.get(client));
            let deletes_known = update
                .delete_set()
                .diff(&snapshot.delete_set)
                .iter()
                .all(|(_, ranges)| ranges.is_empty());
            Ok(inserts_known && deletes_known)
        })
        .unwrap_or(false)
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
        self.admit_size(update.len())?;
        let mut effects = match self.apply(decoded, &update, None)? {
            Applied::Nothing | Applied::Held(_) => Vec::new(),
            Applied::AsReceived => {
                let frame = Bytes::from(encode::sync_update(&update));
                vec![Effect::Append(update), Effect::Broadcast(frame)]
            }
            Applied::Diff(diff) => diff_effects(diff),
        };
        effects.extend(self.release_waiting());
        Ok(effects)
    }

    /// Applies the held updates the document has now reached, in the order they came; returns
    /// their effects (stored and relayed like any update).
    fn release_waiting(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        while !self.waiting.is_empty() {
            let state = self.doc.transact().state_vector();
            let Some(held) = self.waiting.take_ready(&state) else {
                break;
            };
            // Validated when it came; yrs decodes it again.
            let Ok(update) = decode_update(&held.update) else {
                continue;
            };
            let writer = held
                .writer
                .filter(|conn| self.connections.contains_key(conn));
            match self.apply(update, &held.update, writer) {
                Ok(Applied::Nothing | Applied::Held(_)) => {}
                Ok(Applied::AsReceived) => {
                    let frame = Bytes::from(encode::sync_update(&held.update));
                    effects.extend([Effect::Append(held.update), Effect::Broadcast(frame)]);
                }
                Ok(Applied::Diff(diff)) => effects.extend(diff_effects(diff)),
                // Its sender may have written on meanwhile from elsewhere; what yrs took of it
                // is kept like any partial update.
                Err(rejected) => effects.extend(rejected.partial),
            }
        }
        effects
    }

    /// Closes every connection with `reason`, as when the room is deleted.
    pub fn close_all(&mut self, reason: &CloseReason) -> Vec<Effect> {
        let mut effects = Vec::with_capacity(self.connections.len());
        for (conn, _) in std::mem::take(&mut self.connections) {
            // Nobody is left to tell about the awareness states this removes.
            self.presence.release(conn);
            self.writers.release(conn);
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
    /// Encoding is where yrs re-reads structs parked for missing dependencies, so it is where
    /// a bad one would make it panic: the panic becomes an error.
    fn step2_for(&mut self, state_vector: &StateVector) -> Result<Bytes, String> {
        let key = state_vector.encode_v1();
        if let Some(frame) = self.step2_cache.get(&key) {
            return Ok(frame.clone());
        }
        let doc = &self.doc;
        let update = contained(|| Ok(doc.transact().encode_state_as_update_v1(state_vector)))?;
        let frame = Bytes::from(encode::sync_step2(&update));
        if self.step2_cache.len() >= STEP2_CACHE_ENTRIES {
            self.step2_cache.clear();
        }
        self.step2_cache.insert(key, frame.clone());
        Ok(frame)
    }

    /// Whether the document may take `incoming` more bytes of updates. Measuring the
    /// document is where yrs re-reads parked structs, as in [`Room::step2_for`]: should it
    /// panic, the room is reloaded.
    fn admit_size(&mut self, incoming: usize) -> Result<(), Rejected> {
        let doc = &self.doc;
        let measure = || {
            contained(|| {
                let state = doc
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default());
                Ok(state.len())
            })
        };
        match self.size.admit(incoming, measure) {
            Ok(()) => Ok(()),
            Err(Admission::TooLarge(too_large)) => Err(Rejected {
                reason: CloseReason::DocumentTooLarge {
                    limit: too_large.limit,
                },
                partial: Vec::new(),
            }),
            Err(Admission::Unmeasurable(panic)) => Err(Rejected {
                reason: CloseReason::StorageUnavailable(panic),
                partial: vec![Effect::Reload],
            }),
        }
    }

    /// Applies a validated update (`raw`, decoded as `update`) from `writer` (`None`: the HTTP
    /// API or another node); returns what of it the document took, to be stored and relayed.
    /// An update that starts past the document's clocks is held back, not applied
    /// ([`waiting`]).
    fn apply(
        &mut self,
        update: Update,
        raw: &Bytes,
        writer: Option<ConnId>,
    ) -> Result<Applied, Rejected> {
        // Counted whatever the outcome: the estimate only has to stay above the real size.
        self.size.record(raw.len());
        let (doc, writers) = (&self.doc, &self.writers);
        match contained(|| {
            Ok(Self::apply_to(
                doc,
                update,
                writer.map(|conn| (conn, writers)),
            ))
        }) {
            Ok(outcome) => {
                if !matches!(outcome, Ok((Applied::Nothing, _))) {
                    self.step2_cache.clear();
                }
                let (applied, added) = outcome?;
                if let Applied::Held(starts) = applied {
                    self.waiting.hold(writer, raw.clone(), starts);
                    return Ok(Applied::Nothing);
                }
                if let Some(conn) = writer {
                    self.writers.claim(conn, &added);
                }
                Ok(applied)
            }
            Err(panic) => {
                tracing::error!(error = %panic, "yrs panicked applying an update: reloading the room");
                Err(Rejected {
                    reason: CloseReason::InvalidUpdate(format!(
                        "update could not be applied: {panic}"
                    )),
                    partial: vec![Effect::Reload],
                })
            }
        }
    }

    /// Returns what the document took and the client ids the update reached new clocks of.
    fn apply_to(
        doc: &Doc,
        update: Update,
        writer: Option<(ConnId, &Writers)>,
    ) -> Result<(Applied, Vec<ClientID>), Rejected> {
        let mut txn = doc.transact_mut();
        let added = match writer {
            Some((conn, writers)) => writers
                .check(conn, &update, &known(&txn))
                .map_err(|claimed| Rejected {
                    reason: CloseReason::InvalidUpdate(format!(
                        "update writes or deletes clocks client {} has not written yet, and another connection writes that client",
                        claimed.client.get()
                    )),
                    partial: Vec::new(),
                })?,
            None => Vec::new(),
        };
        // Checked for the writers rule first, held back without touching the document.
        let starts = update.state_vector_lower();
        if starts_past(&starts, txn.before_state()) {
            return Ok((Applied::Held(starts), added));
        }
        // Structs the document already has (a client re-sending them, or a hostile copy with
        // other content under the same ids) are dropped by yrs: an update holding any is
        // stored and relayed as what the document took, never as received.
        let overlaps = update
            .state_vector_lower()
            .iter()
            .any(|(client, &first)| first < txn.before_state().get(client));
        let pending_before = pending_signature(&txn);
        let result = txn.apply_update(update);
        let pending_after = pending_signature(&txn);
        let is_integrated = txn.before_state() != txn.after_state() || !txn.delete_set().is_empty();
        // Taken exactly as received: nothing known before, nothing parked, nothing unparked.
        let is_exact =
            result.is_ok() && !overlaps && pending_before.is_none() && pending_after.is_none();
        let applied = match (is_integrated, is_exact) {
            (false, _) => Applied::Nothing,
            (true, true) => Applied::AsReceived,
            (true, false) => Applied::Diff(txn.encode_update_v1()),
        };
        drop(txn);
        match result {
            Ok(()) => Ok((applied, added)),
            // yrs leaves what it integrated before an error in the document: that part is
            // stored and relayed like any change, or memory and store would disagree.
            Err(err) => Err(Rejected {
                reason: CloseReason::InvalidUpdate(format!("update rejected: {err}")),
                partial: match applied {
                    Applied::Diff(diff) => diff_effects(diff),
                    Applied::Nothing | Applied::AsReceived | Applied::Held(_) => Vec::new(),
                },
            }),
        }
    }
}

/// What the document took of an update.
#[derive(Debug)]
enum Applied {
    /// Nothing new, or only structs parked until their dependencies arrive: nothing to store
    /// or relay yet (the update that completes them carries them).
    Nothing,
    /// Exactly the received update: store and relay its bytes.
    AsReceived,
    /// Part of it, or it with structs it unparked: this update says exactly what.
    Diff(Vec<u8>),
    /// Nothing yet: it starts (per client, these clocks) past the document's and is held back.
    Held(StateVector),
}

/// Storing and relaying an update the room encoded itself.
fn diff_effects(diff: Vec<u8>) -> Vec<Effect> {
    let frame = Bytes::from(encode::sync_update(&diff));
    vec![Effect::Append(Bytes::from(diff)), Effect::Broadcast(frame)]
}

/// The clock up to which the document knows each client: what it holds, and what it keeps
/// waiting for missing dependencies. Clients answering a step1 send back what they too keep
/// waiting (yjs and yrs add it to every state they encode); that is nothing new.
fn known<'a>(txn: &'a yrs::TransactionMut<'_>) -> std::borrow::Cow<'a, StateVector> {
    let store = txn.store();
    let (pending, pending_ds) = (store.pending_update(), store.pending_ds());
    if pending.is_none() && pending_ds.is_none() {
        return std::borrow::Cow::Borrowed(txn.before_state());
    }
    let mut known = txn.before_state().clone();
    let pending_ids = pending.map(|pending| pending.update.insertions(true));
    for ids in pending_ids.iter().chain(pending_ds) {
        for (client, end) in ends(ids) {
            known.set_max(client, end);
        }
    }
    std::borrow::Cow::Owned(known)
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

/// Decodes update bytes from the network: validated completely first, then decoded by yrs
/// (with any panic caught).
pub(crate) fn decode_update(bytes: &[u8]) -> Result<Update, CloseReason> {
    let invalid = |reason: String| CloseReason::InvalidUpdate(format!("invalid update: {reason}"));
    let valid = validate_update_v1(bytes).map_err(|err| invalid(err.to_string()))?;
    contained(|| Update::decode_v1(valid.as_bytes()).map_err(|err| err.to_string()))
        .map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ycord_protocol::ManualClock;
    use yrs::{GetString, Text};

    pub(super) fn room() -> Room {
        Room::new(crate::load::new_document(), ManualClock::new(0))
    }

    /// An update inserting `content` into `doc`'s text, holding only that edit.
    pub(super) fn text_update(doc: &Doc, content: &str) -> Vec<u8> {
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

    pub(super) fn text_of(room: &Room) -> String {
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
    fn an_update_past_a_gap_is_held_then_stored_and_relayed_after_the_update_that_fills_it() {
        let mut room = room();
        room.join(1);
        room.join(2);
        let doc = Doc::new();
        let first = text_update(&doc, "a");
        let second = text_update(&doc, "b"); // starts where the first ends: the room lacks it
        let frame = Bytes::from(encode::sync_update(&second));
        assert!(
            room.receive(1, frame.clone()).is_empty(),
            "held: nothing applied yet, nothing to store or relay"
        );
        assert_eq!(
            text_of(&room),
            "",
            "a held update does not touch the document"
        );
        assert!(room.receive(1, frame).is_empty(), "a duplicate of it");
        let effects = room.receive(2, encode::sync_update(&first).into());
        // Each as received, in the order the document took them; the duplicate adds nothing.
        assert_eq!(
            effects,
            vec![
                Effect::Append(Bytes::from(first.clone())),
                Effect::Broadcast(encode::sync_update(&first).into()),
                Effect::Append(Bytes::from(second.clone())),
                Effect::Broadcast(encode::sync_update(&second).into()),
            ]
        );
        assert_eq!(text_of(&room), "ba");
    }

    #[test]
    fn an_update_repeating_known_structs_is_stored_as_what_was_new() {
        let mut room = room();
        room.join(1);
        let doc = Doc::new();
        let first = text_update(&doc, "a");
        text_update(&doc, "b");
        room.receive(1, encode::sync_update(&first).into());
        // A step2 with everything the writer has: "a" again, and "b".
        let all = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let effects = room.receive(1, encode::sync_step2(&all).into());
        let [Effect::Append(stored), Effect::Broadcast(_)] = &effects[..] else {
            panic!("{effects:?}")
        };
        assert!(stored.len() < all.len(), "only the new edit is stored");
        assert_eq!(text_of(&room), "ba");
    }

    #[test]
    fn another_connection_cannot_claim_future_clocks_of_a_live_writer() {
        let mut room = room();
        room.join(1);
        room.join(2);
        let writer = Doc::with_client_id(7);
        room.receive(1, encode::sync_update(&text_update(&writer, "mine")).into());
        // Clocks past the writer's next ones, under its id: they would wait in the room and
        // take the place of the writer's next edit when it arrives.
        let forger = Doc::with_client_id(7);
        forger
            .transact_mut()
            .apply_update(Update::decode_v1(&room.encode_state()).unwrap())
            .unwrap();
        text_update(&forger, "unsent ");
        let forged = text_update(&forger, "forged ");
        let effects = room.receive(2, encode::sync_update(&forged).into());
        let Some(Effect::Close(2, reason)) = effects.last() else {
            panic!("{effects:?}")
        };
        assert_eq!(reason.code(), 1007);
        // The real edit still lands.
        room.receive(
            1,
            encode::sync_update(&text_update(&writer, "real ")).into(),
        );
        assert_eq!(text_of(&room), "real mine");
    }

    #[test]
    fn a_rejected_connection_is_no_longer_connected() {
        let mut room = room();
        room.join(1);
        room.receive(1, Bytes::from_static(&[9]));
        assert!(!room.is_connected(1));
    }

    /// A room holding "seed", limited to its current size plus `headroom` bytes, with
    /// connections 1 and 2; and its limit.
    fn room_with_headroom(headroom: usize) -> (Room, usize) {
        let mut room = room();
        room.join(1);
        room.receive(
            1,
            encode::sync_update(&text_update(&Doc::new(), "seed")).into(),
        );
        let limit = room.encode_state().len() + headroom;
        let mut room = room.with_max_document_size(limit);
        room.join(1);
        room.join(2);
        (room, limit)
    }

    #[test]
    fn an_update_that_would_pass_the_document_limit_closes_only_its_sender_and_changes_nothing() {
        let (mut room, limit) = room_with_headroom(100);
        let before = room.encode_state();
        let big = text_update(&Doc::new(), &"x".repeat(200));
        let effects = room.receive(2, encode::sync_update(&big).into());
        let reason = CloseReason::DocumentTooLarge { limit };
        assert_eq!(
            effects,
            vec![Effect::Close(2, reason)],
            "nothing stored, nothing relayed"
        );
        assert_eq!(room.encode_state(), before);
        assert!(!room.is_connected(2));

        // The other connection still syncs and edits.
        let step1 = Bytes::from(encode::sync_step1(&StateVector::default()));
        let [Effect::Send(1, _)] = &room.receive(1, step1)[..] else {
            panic!("step1 not answered")
        };
        let effects = room.receive(
            1,
            encode::sync_update(&text_update(&Doc::new(), "ok")).into(),
        );
        assert!(
            matches!(&effects[..], [Effect::Append(_), Effect::Broadcast(_)]),
            "{effects:?}"
        );
        assert!(text_of(&room).contains("ok"));
    }

    #[test]
    fn updates_under_the_document_limit_pass_until_it_is_reached() {
        let (mut room, limit) = room_with_headroom(300);
        let writer = Doc::new();
        let mut accepted = 0;
        loop {
            let update = text_update(&writer, "0123456789");
            let effects = room.receive(1, encode::sync_update(&update).into());
            match &effects[..] {
                [Effect::Append(_), Effect::Broadcast(_)] => accepted += 1,
                [Effect::Close(1, CloseReason::DocumentTooLarge { .. })] => break,
                other => panic!("{other:?}"),
            }
        }
        assert!(
            accepted >= 5,
            "only {accepted} small edits fitted in 300 bytes"
        );
        assert!(room.encode_state().len() <= limit);
    }

    #[test]
    fn a_frame_over_the_document_limit_is_refused_whole() {
        let (mut room, _) = room_with_headroom(100);
        let before = room.encode_state();
        let writer = Doc::new();
        let small = text_update(&writer, "a");
        let large = text_update(&writer, &"b".repeat(150));
        let mut frame = encode::sync_update(&small);
        frame.extend(encode::sync_update(&large));
        let effects = room.receive(1, frame.into());
        assert!(
            matches!(
                &effects[..],
                [Effect::Close(1, CloseReason::DocumentTooLarge { .. })]
            ),
            "{effects:?}"
        );
        assert_eq!(room.encode_state(), before, "not even the small update");
    }

    #[test]
    fn an_http_update_over_the_document_limit_is_refused_and_changes_nothing() {
        let (mut room, limit) = room_with_headroom(100);
        let before = room.encode_state();
        let big = text_update(&Doc::new(), &"x".repeat(200));
        let rejected = room.apply_external(big.into()).unwrap_err();
        assert_eq!(rejected.reason, CloseReason::DocumentTooLarge { limit });
        assert!(rejected.partial.is_empty());
        assert_eq!(room.encode_state(), before);
        assert_eq!(room.connection_count(), 2);
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

#[cfg(test)]
mod convergence;
mod document_size;
#[cfg(test)]
mod hocuspocus_dialect;
#[cfg(test)]
pub(crate) mod hostile_frames;
mod remote;
mod waiting;
