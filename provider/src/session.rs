//! The sans-IO client side of the y-websocket protocol.
//!
//! A [`SyncSession`] owns a document's [`Awareness`] (and through it the [`Doc`]) and turns
//! the things that happen to a connection — a socket opened, a frame received, a local edit,
//! time passing, the socket closed — into frames to send and [`SessionEvent`]s to report. It
//! never touches a socket or a timer: the native and browser transports are thin adapters
//! that move its bytes and call [`SyncSession::tick`] at [`SyncSession::next_deadline`].

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use ycord_protocol::{
    decode_frame, encode, AuthMessage, AwarenessTimer, DecodeError, Message, SyncMessage,
};
use yrs::sync::{Awareness, AwarenessUpdate, Clock, Timestamp};
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Doc, Origin, ReadTxn, Transact, Update};

/// Default time without any frame from the server after which a socket is considered dead
/// (y-websocket's `messageReconnectTimeout`).
pub const DEFAULT_LIVENESS_TIMEOUT: Duration = Duration::from_secs(30);

/// Timing knobs of a [`SyncSession`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// Re-send SyncStep1 this often while a socket is open (`None`: never, the default).
    pub resync_interval: Option<Duration>,
    /// A socket that delivered nothing for this long is reported as
    /// [`SessionEvent::ConnectionStale`].
    pub liveness_timeout: Duration,
    /// Awareness renewal and expiry intervals.
    pub awareness_timer: AwarenessTimer,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            resync_interval: None,
            liveness_timeout: DEFAULT_LIVENESS_TIMEOUT,
            awareness_timer: AwarenessTimer::default(),
        }
    }
}

/// Something the adapter should know about or act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The session became synced (the first SyncStep2 after the socket opened) or stopped
    /// being synced (the socket closed).
    Synced(bool),
    /// Awareness states changed, by a remote update, an expiry or the socket closing.
    AwarenessChanged {
        /// Clients whose state appeared.
        added: Vec<ClientID>,
        /// Clients whose state was renewed or changed.
        updated: Vec<ClientID>,
        /// Clients whose state was removed.
        removed: Vec<ClientID>,
    },
    /// The server refused access; y-websocket clients only log this.
    PermissionDenied {
        /// The server's reason.
        reason: String,
    },
    /// Nothing arrived for [`SessionConfig::liveness_timeout`]: close this socket and open a
    /// new one.
    ConnectionStale,
}

/// What a session input produced: frames to send on the open socket, in order, each as one
/// binary WebSocket message, and events for the adapter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Complete y-websocket frames, one message each.
    pub frames: Vec<Vec<u8>>,
    /// Events, in the order they happened.
    pub events: Vec<SessionEvent>,
}

impl Output {
    /// Whether there is nothing to send and nothing to report.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty() && self.events.is_empty()
    }
}

/// Why a session input was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SessionError {
    /// The frame is not a valid y-websocket frame; drop the socket and reconnect.
    #[error("the server sent a malformed frame: {0}")]
    Decode(#[from] DecodeError),
    /// A sync message carried bytes that are not a v1 update; drop the socket and reconnect.
    #[error("the server sent an update that is not a valid v1 update: {detail}")]
    InvalidUpdate {
        /// What the decoder reported.
        detail: String,
    },
    /// A decodable update could not be integrated into the document.
    #[error("the server sent an update the document cannot integrate: {detail}")]
    UpdateRejected {
        /// What yrs reported.
        detail: String,
    },
    /// A local awareness state is not JSON; peers would reject every frame carrying it.
    #[error("awareness state is not valid JSON: {detail}")]
    InvalidAwarenessState {
        /// What the JSON parser reported.
        detail: String,
    },
    /// A frame was fed to the session while no socket was open
    /// ([`SyncSession::socket_opened`] not called, or [`SyncSession::socket_closed`] called since).
    #[error("frame received while no socket is open")]
    NotOpen,
}

/// Where a frame came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The server, over the socket.
    Server,
    /// A sibling tab, over the cross-tab channel.
    Peer,
}

/// A [`Clock`] shared between the session and its [`Awareness`], so both read the same time.
#[derive(Clone)]
struct SharedClock(Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now(&self) -> Timestamp {
        self.0.now()
    }
}

/// State that only exists while a socket is open.
#[derive(Debug, Clone, Copy)]
struct Connection {
    synced: bool,
    last_received: Timestamp,
    next_resync: Option<Timestamp>,
}

/// The client half of a y-websocket connection, without I/O.
///
/// Feed it what happens ([`socket_opened`](Self::socket_opened),
/// [`frame_received`](Self::frame_received), [`local_update`](Self::local_update),
/// [`tick`](Self::tick), [`socket_closed`](Self::socket_closed)) and send the frames it returns.
///
/// Local edits reach the session through the adapter: observe the document with
/// [`Doc::observe_update_v1`], skip transactions whose origin is
/// [`remote_origin`](Self::remote_origin) (those are the session's own applications of server
/// updates) and pass the update bytes to [`local_update`](Self::local_update) — outside the
/// observer callback, since the document is locked while it runs.
///
/// ```
/// use ycord_protocol::ManualClock;
/// use ycord_provider::SyncSession;
///
/// let mut session = SyncSession::new(ycord_provider::new_doc(), ManualClock::new(0));
/// let opened = session.socket_opened();
/// assert_eq!(opened.frames.len(), 1); // SyncStep1; no awareness state set yet
/// assert!(!session.is_synced());
/// ```
pub struct SyncSession {
    doc: Doc,
    awareness: Awareness,
    clock: SharedClock,
    remote_origin: Origin,
    config: SessionConfig,
    connection: Option<Connection>,
}

impl std::fmt::Debug for SyncSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncSession")
            .field("client_id", &self.client_id())
            .field("remote_origin", &self.remote_origin)
            .field("config", &self.config)
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

impl SyncSession {
    /// A session over `doc` with the default [`SessionConfig`]. `clock` (milliseconds) times
    /// awareness renewal, expiry, resync and liveness; it is also given to the [`Awareness`].
    pub fn new(doc: Doc, clock: impl Clock + 'static) -> Self {
        Self::with_config(doc, clock, SessionConfig::default())
    }

    /// A session over `doc` with explicit timing.
    pub fn with_config(doc: Doc, clock: impl Clock + 'static, config: SessionConfig) -> Self {
        static NEXT_SESSION: AtomicU64 = AtomicU64::new(0);
        let clock = SharedClock(Arc::new(clock));
        let awareness = Awareness::with_clock(doc.clone(), clock.clone());
        // Unique per session, so that a document synced by two sessions still forwards what one
        // server sent to the other.
        let session_no = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
        let remote_origin = Origin::from(format!("ycord-provider/remote/{session_no}"));
        SyncSession {
            doc,
            awareness,
            clock,
            remote_origin,
            config,
            connection: None,
        }
    }

    /// The synchronised document.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// The awareness (presence) states known to this session, including the local one.
    pub fn awareness(&self) -> &Awareness {
        &self.awareness
    }

    /// Mutable access to the awareness. After changing the local state through it, call
    /// [`local_awareness_changed`](Self::local_awareness_changed) and send what it returns.
    pub fn awareness_mut(&mut self) -> &mut Awareness {
        &mut self.awareness
    }

    /// The document's client id.
    pub fn client_id(&self) -> ClientID {
        self.doc.client_id()
    }

    /// The origin of every transaction in which the session applies a server update. Local
    /// update observers must skip these, or every remote update would be echoed back.
    pub fn remote_origin(&self) -> &Origin {
        &self.remote_origin
    }

    /// Whether `origin` (a transaction's origin) marks a session-applied server update.
    pub fn is_remote_origin(&self, origin: Option<&Origin>) -> bool {
        origin == Some(&self.remote_origin)
    }

    /// The timing this session was created with.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Whether a socket is open.
    pub fn is_open(&self) -> bool {
        self.connection.is_some()
    }

    /// Whether the open socket has delivered its first SyncStep2.
    pub fn is_synced(&self) -> bool {
        self.connection.is_some_and(|c| c.synced)
    }

    /// When the open socket last delivered something, per the session's clock.
    pub fn last_received(&self) -> Option<Timestamp> {
        self.connection.map(|c| c.last_received)
    }

    /// The current time of the session's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A socket to the server opened. Returns SyncStep1 with the document's state vector, then
    /// the local awareness state if one is set.
    pub fn socket_opened(&mut self) -> Output {
        let now = self.now();
        self.connection = Some(Connection {
            synced: false,
            last_received: now,
            next_resync: self
                .config
                .resync_interval
                .map(|i| now.saturating_add(millis(i))),
        });
        let state_vector = self.doc.transact().state_vector();
        let mut frames = vec![encode::sync_step1(&state_vector)];
        if let Some(json) = self.awareness.local_state_raw() {
            // When the previous socket closed, the server announced this client as removed —
            // at its last clock (y-websocket's server) or one above (yrs `remove_state`). A
            // state at a clock no higher would be ignored by every peer, so step past both.
            self.awareness.set_local_state_raw(json.clone());
            self.awareness.set_local_state_raw(json);
            frames.extend(self.local_awareness_frame());
        }
        Output {
            frames,
            events: Vec::new(),
        }
    }

    /// A binary frame arrived from the server.
    ///
    /// # Errors
    /// [`SessionError`] when the frame does not decode, carries an update yrs cannot decode
    /// or integrate, or no socket is open. The adapter should drop the socket and reconnect;
    /// messages earlier in the same frame have been applied.
    pub fn frame_received(&mut self, frame: &[u8]) -> Result<Output, SessionError> {
        let now = self.now();
        let connection = self.connection.as_mut().ok_or(SessionError::NotOpen)?;
        connection.last_received = now;
        let messages = decode_frame(frame)?;
        let mut out = Output::default();
        for message in messages {
            self.handle_message(message, Source::Server, &mut out)?;
        }
        Ok(out)
    }

    /// A frame arrived from a sibling of this session on the same machine — another tab of the
    /// same app on the cross-tab channel — rather than from the server. It is handled like a
    /// server frame (step1 answered, updates applied under
    /// [`remote_origin`](Self::remote_origin), awareness merged) except that it never marks
    /// the session synced and does not count as the server being alive. Works with or without
    /// an open socket. The returned frames are replies for the sibling channel, not the socket.
    ///
    /// # Errors
    /// As [`frame_received`](Self::frame_received), except [`SessionError::NotOpen`].
    pub fn peer_frame_received(&mut self, frame: &[u8]) -> Result<Output, SessionError> {
        let messages = decode_frame(frame)?;
        let mut out = Output::default();
        for message in messages {
            self.handle_message(message, Source::Peer, &mut out)?;
        }
        Ok(out)
    }

    /// What a session says when it joins the sibling channel, in y-websocket's order: its
    /// state vector (step1), its whole state (step2), a query for everyone's awareness, and its
    /// own awareness state if one is set.
    pub fn peer_greeting(&self) -> Vec<Vec<u8>> {
        let txn = self.doc.transact();
        let mut frames = vec![
            encode::sync_step1(&txn.state_vector()),
            encode::sync_step2(&txn.encode_state_as_update_v1(&yrs::StateVector::default())),
            encode::query_awareness(),
        ];
        drop(txn);
        if self.awareness.local_state_raw().is_some() {
            frames.extend(self.local_awareness_frame());
        }
        frames
    }

    /// The transport saw the server alive without a y-websocket message (for instance a
    /// WebSocket pong); postpones [`SessionEvent::ConnectionStale`].
    pub fn note_activity(&mut self) {
        let now = self.now();
        if let Some(connection) = self.connection.as_mut() {
            connection.last_received = now;
        }
    }

    fn handle_message(
        &mut self,
        message: Message<'_>,
        source: Source,
        out: &mut Output,
    ) -> Result<(), SessionError> {
        match message {
            Message::Sync(SyncMessage::Step1(state_vector)) => {
                let update = self.doc.transact().encode_state_as_update_v1(&state_vector);
                out.frames.push(encode::sync_step2(&update));
            }
            Message::Sync(SyncMessage::Step2(update)) => {
                self.apply_remote_update(update)?;
                let from_server = source == Source::Server;
                if let Some(connection) = self
                    .connection
                    .as_mut()
                    .filter(|c| from_server && !c.synced)
                {
                    connection.synced = true;
                    out.events.push(SessionEvent::Synced(true));
                }
            }
            Message::Sync(SyncMessage::Update(update)) => self.apply_remote_update(update)?,
            Message::Awareness(update) => self.apply_remote_awareness(update, out),
            Message::Auth(AuthMessage::PermissionDenied { reason }) => {
                out.events.push(SessionEvent::PermissionDenied {
                    reason: reason.to_owned(),
                });
            }
            Message::QueryAwareness => {
                let clients: Vec<ClientID> = self
                    .awareness
                    .iter()
                    .filter(|(_, state)| state.data.is_some())
                    .map(|(id, _)| id)
                    .collect();
                if let Ok(update) = self.awareness.update_with_clients(clients) {
                    out.frames.push(encode::awareness(&update));
                }
            }
        }
        Ok(())
    }

    /// Decodes and applies a server update under [`remote_origin`](Self::remote_origin).
    /// Update bytes come from the network and can be anything: yrs's decoder has debug
    /// assertions (client ids above 2^53) and its integration code can panic on inconsistent
    /// input, so both run under `catch_unwind` and a panic becomes an error.
    fn apply_remote_update(&self, bytes: &[u8]) -> Result<(), SessionError> {
        let update = panic::catch_unwind(|| Update::decode_v1(bytes))
            .map_err(|panic| SessionError::InvalidUpdate {
                detail: panic_message(panic.as_ref()),
            })?
            .map_err(|err| SessionError::InvalidUpdate {
                detail: err.to_string(),
            })?;
        let doc = &self.doc;
        let origin = self.remote_origin.clone();
        panic::catch_unwind(AssertUnwindSafe(move || {
            doc.transact_mut_with(origin).apply_update(update)
        }))
        .map_err(|panic| SessionError::UpdateRejected {
            detail: panic_message(panic.as_ref()),
        })?
        .map_err(|err| SessionError::UpdateRejected {
            detail: err.to_string(),
        })
    }

    fn apply_remote_awareness(&mut self, update: AwarenessUpdate, out: &mut Output) {
        let own = self.client_id();
        let own_clock_before = self.awareness.meta(own).map(|(clock, _)| clock);
        let summary = self
            .awareness
            .apply_update_summary_with(update, self.remote_origin.clone());
        if let Ok(Some(summary)) = summary {
            out.events.push(SessionEvent::AwarenessChanged {
                added: summary.added,
                updated: summary.updated,
                removed: summary.removed,
            });
        }
        // A peer announced us as gone (a `null` at our clock or above). The awareness refused
        // it and moved our clock past theirs; telling everyone is what makes the refusal stick.
        let own_clock_after = self.awareness.meta(own).map(|(clock, _)| clock);
        if own_clock_after != own_clock_before && self.awareness.local_state_raw().is_some() {
            out.frames.extend(self.local_awareness_frame());
        }
    }

    /// A local transaction produced `update` (v1). Returns the `[0, 2, update]` frame to send,
    /// or `None` while no socket is open: the next connection's SyncStep1/SyncStep2 exchange
    /// delivers it.
    pub fn local_update(&self, update: &[u8]) -> Option<Vec<u8>> {
        self.is_open().then(|| encode::sync_update(update))
    }

    /// Sets the local awareness state to `json`. Returns the frame announcing it when a
    /// socket is open.
    ///
    /// # Errors
    /// [`SessionError::InvalidAwarenessState`] when `json` is not valid JSON; nothing changes.
    pub fn set_local_state(&mut self, json: &str) -> Result<Option<Vec<u8>>, SessionError> {
        serde_json::from_str::<serde_json::Value>(json).map_err(|err| {
            SessionError::InvalidAwarenessState {
                detail: err.to_string(),
            }
        })?;
        self.awareness.set_local_state_raw(json);
        Ok(self.local_awareness_changed())
    }

    /// Removes the local awareness state (peers see this client leave). Returns the frame
    /// announcing it when a socket is open.
    pub fn clear_local_state(&mut self) -> Option<Vec<u8>> {
        // No state, nothing to announce (and no clock to bump).
        self.awareness.local_state_raw()?;
        self.awareness.clean_local_state();
        self.local_awareness_changed()
    }

    /// The local awareness state was changed through [`awareness_mut`](Self::awareness_mut).
    /// Returns the frame announcing it when a socket is open.
    pub fn local_awareness_changed(&self) -> Option<Vec<u8>> {
        if self.is_open() {
            self.local_awareness_frame()
        } else {
            None
        }
    }

    /// The frame that tells peers this client is leaving: the local id with a `null` state at
    /// a clock above the current one. The local state itself is kept (at that clock, so a
    /// later [`socket_opened`](Self::socket_opened) re-announces it above the `null`). Send it
    /// just before closing the socket on purpose; `None` when no state was ever announced.
    pub fn leave_frame(&mut self) -> Option<Vec<u8>> {
        let own = self.client_id();
        let (clock, _) = self.awareness.meta(own)?;
        let local = self.awareness.local_state_raw();
        let announced_clock = if local.is_some() { clock + 1 } else { clock };
        let mut update = self.awareness.update_with_clients([own]).ok()?;
        if let Some(entry) = update.clients.get_mut(&own) {
            entry.clock = announced_clock;
            entry.json = Arc::from("null");
        }
        if let Some(json) = local {
            self.awareness.set_local_state_raw(json);
        }
        Some(encode::awareness(&update))
    }

    /// Time passed. Renews the local awareness state every 15 s (frame), drops remote states
    /// silent for 30 s (event), re-sends SyncStep1 on the resync interval (frame), and reports
    /// [`SessionEvent::ConnectionStale`] when the socket was silent for the liveness timeout.
    /// Call it at [`next_deadline`](Self::next_deadline); calling it early is harmless.
    pub fn tick(&mut self) -> Output {
        let now = self.now();
        let mut out = Output::default();
        let timer = self.config.awareness_timer;
        if timer.renew_local(&mut self.awareness, now) {
            out.frames.extend(self.local_awareness_changed());
        }
        // Expiry is local only: announcing a `null` for a peer that is merely slow would hide
        // it from everyone until its next renewal.
        let expiry = timer.expire(&mut self.awareness, now);
        if !expiry.removed.is_empty() {
            out.events.push(SessionEvent::AwarenessChanged {
                added: Vec::new(),
                updated: Vec::new(),
                removed: expiry.removed,
            });
        }
        let liveness_ms = millis(self.config.liveness_timeout);
        let resync_ms = self.config.resync_interval.map(millis);
        if let Some(connection) = self.connection.as_mut() {
            if let (Some(due), Some(interval)) = (connection.next_resync, resync_ms) {
                if now >= due {
                    connection.next_resync = Some(now.saturating_add(interval));
                    let state_vector = self.doc.transact().state_vector();
                    out.frames.push(encode::sync_step1(&state_vector));
                }
            }
            if now.saturating_sub(connection.last_received) >= liveness_ms {
                out.events.push(SessionEvent::ConnectionStale);
            }
        }
        out
    }

    /// The earliest time at which [`tick`](Self::tick) has something to do, or `None` when
    /// nothing is scheduled.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        let awareness = self.config.awareness_timer.next_deadline(&self.awareness);
        let connection = self.connection.map(|c| {
            let liveness = c
                .last_received
                .saturating_add(millis(self.config.liveness_timeout));
            c.next_resync
                .map_or(liveness, |resync| resync.min(liveness))
        });
        [awareness, connection].into_iter().flatten().min()
    }

    /// The socket closed, for whatever reason. The session stops being synced and, as
    /// y-websocket does, forgets every remote awareness state: without a connection it can no
    /// longer tell who is present.
    pub fn socket_closed(&mut self) -> Output {
        let mut out = Output::default();
        let Some(connection) = self.connection.take() else {
            return out;
        };
        if connection.synced {
            out.events.push(SessionEvent::Synced(false));
        }
        let own = self.client_id();
        let remote: Vec<ClientID> = self
            .awareness
            .iter()
            .filter(|(id, state)| *id != own && state.data.is_some())
            .map(|(id, _)| id)
            .collect();
        for &id in &remote {
            self.awareness.remove_state(id);
        }
        if !remote.is_empty() {
            out.events.push(SessionEvent::AwarenessChanged {
                added: Vec::new(),
                updated: Vec::new(),
                removed: remote,
            });
        }
        out
    }

    /// The frame announcing the local awareness state (or its removal) at its current clock,
    /// whether or not a socket is open; `None` when no state was ever set. Transports that
    /// also talk to sibling tabs use it to keep them informed while the socket is down.
    pub fn local_awareness_frame(&self) -> Option<Vec<u8>> {
        let update = self
            .awareness
            .update_with_clients([self.client_id()])
            .ok()?;
        Some(encode::awareness(&update))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    format!("yrs panicked: {message}")
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use std::sync::Mutex;
    use ycord_protocol::ManualClock;
    use yrs::types::ToJson;
    use yrs::{Any, Array, GetString, Map, Options, Text, WriteTxn};

    fn doc(id: u64) -> Doc {
        Doc::with_options(Options {
            client_id: ClientID::new(id),
            offset_kind: yrs::OffsetKind::Utf16,
            ..Options::default()
        })
    }

    fn session(id: u64, clock: &ManualClock) -> SyncSession {
        SyncSession::new(doc(id), clock.clone())
    }

    /// Captures what a provider would send for local edits: every update whose transaction
    /// did not come from the session.
    fn capture_local_updates(session: &SyncSession) -> Arc<Mutex<Vec<Vec<u8>>>> {
        let captured = Arc::new(Mutex::new(Vec::new()));
        let sink = captured.clone();
        let remote = session.remote_origin().clone();
        session
            .doc()
            .observe_update_v1("test-capture", move |txn, event| {
                if txn.origin() != Some(&remote) {
                    sink.lock().unwrap().push(event.update.clone());
                }
            })
            .unwrap();
        captured
    }

    /// Delivers frames back and forth until both sides are quiet.
    fn pump(
        a: &mut SyncSession,
        b: &mut SyncSession,
        mut to_b: Vec<Vec<u8>>,
        mut to_a: Vec<Vec<u8>>,
    ) {
        for _ in 0..20 {
            if to_a.is_empty() && to_b.is_empty() {
                return;
            }
            let mut next_to_a = Vec::new();
            for frame in to_b.drain(..) {
                next_to_a.extend(b.frame_received(&frame).unwrap().frames);
            }
            let mut next_to_b = Vec::new();
            for frame in to_a.drain(..) {
                next_to_b.extend(a.frame_received(&frame).unwrap().frames);
            }
            to_a = next_to_a;
            to_b = next_to_b;
        }
        panic!("sessions kept talking");
    }

    fn messages(frame: &[u8]) -> Vec<Message<'_>> {
        decode_frame(frame).unwrap()
    }

    fn awareness_entries(frame: &[u8]) -> HashMap<u64, (u32, String)> {
        match messages(frame).remove(0) {
            Message::Awareness(update) => update
                .clients
                .into_iter()
                .map(|(id, e)| (id.get(), (e.clock, e.json.to_string())))
                .collect(),
            other => panic!("expected an awareness message, got {other:?}"),
        }
    }

    use std::collections::HashMap;

    /// The three roots as canonical JSON (map keys sorted), for comparing replicas.
    fn snapshot(doc: &Doc) -> serde_json::Value {
        let txn = doc.transact();
        let text = txn.get_text("text").map(|t| t.get_string(&txn));
        let map = txn.get_map("map").map(|m| m.to_json(&txn));
        let array = txn.get_array("array").map(|a| a.to_json(&txn));
        serde_json::json!({ "text": text, "map": map, "array": array })
    }

    fn random_edit(doc: &Doc, rng: &mut StdRng) {
        let mut txn = doc.transact_mut();
        match rng.random_range(0..3) {
            0 => {
                let text = txn.get_or_insert_text("text");
                let len = text.len(&txn);
                let at = rng.random_range(0..=len);
                if len > 0 && rng.random_bool(0.3) {
                    text.remove_range(&mut txn, at.min(len - 1), 1);
                } else {
                    text.insert(&mut txn, at, "xé");
                }
            }
            1 => {
                let map = txn.get_or_insert_map("map");
                let key = format!("k{}", rng.random_range(0..5));
                map.insert(&mut txn, key, rng.random_range(0..1000) as f64);
            }
            _ => {
                let array = txn.get_or_insert_array("array");
                let len = array.len(&txn);
                let at = rng.random_range(0..=len);
                array.insert(&mut txn, at, Any::from(rng.random_range(0..1000) as f64));
            }
        }
    }

    #[test]
    fn two_sessions_wired_together_reach_identical_docs() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        let mut b = session(2, &clock);
        let mut rng = StdRng::seed_from_u64(42);
        // Edits made before the connection travel in the step1/step2 exchange.
        for _ in 0..20 {
            random_edit(a.doc(), &mut rng);
            random_edit(b.doc(), &mut rng);
        }
        let from_a = capture_local_updates(&a);
        let from_b = capture_local_updates(&b);
        let opened_a = a.socket_opened().frames;
        let opened_b = b.socket_opened().frames;
        pump(&mut a, &mut b, opened_a, opened_b);
        assert!(a.is_synced() && b.is_synced());
        assert_eq!(snapshot(a.doc()), snapshot(b.doc()));
        // Applying the other side's state was not mistaken for a local edit.
        assert!(from_a.lock().unwrap().is_empty());
        assert!(from_b.lock().unwrap().is_empty());

        // Concurrent edits afterwards travel as incremental updates.
        for _ in 0..50 {
            random_edit(a.doc(), &mut rng);
            random_edit(b.doc(), &mut rng);
        }
        let to_b: Vec<_> = from_a
            .lock()
            .unwrap()
            .drain(..)
            .filter_map(|u| a.local_update(&u))
            .collect();
        let to_a: Vec<_> = from_b
            .lock()
            .unwrap()
            .drain(..)
            .filter_map(|u| b.local_update(&u))
            .collect();
        assert_eq!(to_b.len(), 50);
        pump(&mut a, &mut b, to_b, to_a);
        assert_eq!(snapshot(a.doc()), snapshot(b.doc()));
        assert!(
            from_a.lock().unwrap().is_empty(),
            "remote updates were echoed"
        );
    }

    #[test]
    fn opening_sends_step1_then_the_local_awareness_state() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        assert_eq!(a.socket_opened().frames.len(), 1);
        a.socket_closed();
        a.set_local_state(r#"{"name":"a"}"#).unwrap();
        let frames = a.socket_opened().frames;
        assert_eq!(frames.len(), 2);
        assert!(matches!(
            messages(&frames[0])[0],
            Message::Sync(SyncMessage::Step1(_))
        ));
        let entries = awareness_entries(&frames[1]);
        assert_eq!(entries[&1].1, r#"{"name":"a"}"#);
    }

    #[test]
    fn step1_is_answered_with_the_missing_state_as_step2() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        a.doc()
            .get_or_insert_text("text")
            .insert(&mut a.doc().transact_mut(), 0, "hi");
        a.socket_opened();
        let step1 = encode::sync_step1(&yrs::StateVector::default());
        let out = a.frame_received(&step1).unwrap();
        let Message::Sync(SyncMessage::Step2(update)) = messages(&out.frames[0])[0] else {
            panic!("expected step2");
        };
        let b = doc(2);
        b.transact_mut()
            .apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
        assert_eq!(snapshot(&b), snapshot(a.doc()));
    }

    #[test]
    fn sibling_tabs_converge_through_greetings_without_becoming_synced() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        let mut b = session(2, &clock);
        a.doc()
            .get_or_insert_text("text")
            .insert(&mut a.doc().transact_mut(), 0, "from a");
        b.set_local_state(r#"{"name":"b"}"#).unwrap();
        a.socket_opened();
        let local_edits = capture_local_updates(&a);

        // b joins the channel a second later; a answers its step1 and its awareness query.
        clock.set(1_000);
        let mut to_b = Vec::new();
        for frame in b.peer_greeting() {
            let out = a.peer_frame_received(&frame).unwrap();
            to_b.extend(out.frames);
        }
        for frame in to_b {
            let out = b.peer_frame_received(&frame).unwrap();
            assert!(out.frames.is_empty(), "answers are not answered");
        }
        assert_eq!(snapshot(b.doc()), snapshot(a.doc()));
        assert!(a
            .awareness()
            .iter()
            .any(|(id, s)| id.get() == 2 && s.data.is_some()));
        assert!(
            !a.is_synced() && !b.is_synced(),
            "only the server syncs a session"
        );
        assert!(
            local_edits.lock().unwrap().is_empty(),
            "what a sibling sent is applied as remote, never forwarded as a local edit"
        );
        // Peer frames do not keep a silent socket alive.
        clock.set(DEFAULT_LIVENESS_TIMEOUT.as_millis() as u64);
        assert!(a.tick().events.contains(&SessionEvent::ConnectionStale));
    }

    #[test]
    fn first_step2_after_open_marks_synced_and_closing_unsyncs() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        a.socket_opened();
        let empty_update = yrs::Doc::new()
            .transact()
            .encode_state_as_update_v1(&Default::default());
        let update = a
            .frame_received(&encode::sync_update(&empty_update))
            .unwrap();
        assert!(!a.is_synced(), "an update is not a step2");
        assert!(update.events.is_empty());
        let first = a
            .frame_received(&encode::sync_step2(&empty_update))
            .unwrap();
        assert_eq!(first.events, vec![SessionEvent::Synced(true)]);
        assert!(a.is_synced());
        let second = a
            .frame_received(&encode::sync_step2(&empty_update))
            .unwrap();
        assert!(second.events.is_empty());

        assert_eq!(a.socket_closed().events, vec![SessionEvent::Synced(false)]);
        assert!(!a.is_synced());
        a.socket_opened();
        assert!(!a.is_synced(), "a new socket must sync again");
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        assert_eq!(a.frame_received(&[0, 0, 0]), Err(SessionError::NotOpen));
        a.socket_opened();
        assert!(matches!(
            a.frame_received(&[]),
            Err(SessionError::Decode(_))
        ));
        assert!(matches!(
            a.frame_received(&[0, 2, 9, 1]),
            Err(SessionError::Decode(_))
        ));
        assert!(matches!(
            a.frame_received(&[7]),
            Err(SessionError::Decode(_))
        ));

        // A client id above 2^53 trips a debug assertion inside yrs's decoder.
        let huge_client = [
            1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0,
        ];
        let err = a
            .frame_received(&encode::sync_update(&huge_client))
            .unwrap_err();
        assert!(matches!(err, SessionError::InvalidUpdate { .. }), "{err}");

        // Random bytes. Single-byte varints keep client ids small: the case above already
        // covers the assertion, and each caught panic costs a backtrace when RUST_BACKTRACE=1.
        let mut rng = StdRng::seed_from_u64(9);
        for _ in 0..1000 {
            let len = rng.random_range(0..40);
            let garbage: Vec<u8> = (0..len).map(|_| rng.random::<u8>() & 0x7f).collect();
            // Either outcome is fine; unwinding out of the session is not.
            let _ = a.frame_received(&encode::sync_update(&garbage));
            let _ = a.frame_received(&encode::sync_step2(&garbage));
        }
        // The session still works afterwards.
        assert!(a.frame_received(&encode::query_awareness()).is_ok());
    }

    #[test]
    fn query_awareness_is_answered_with_all_known_states() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        let mut b = session(2, &clock);
        a.set_local_state(r#"{"name":"a"}"#).unwrap();
        let b_state = b.set_local_state(r#"{"name":"b"}"#).unwrap();
        assert!(b_state.is_none(), "nothing is sent while closed");
        b.socket_opened();
        let b_frame = b.local_awareness_changed().unwrap();
        a.socket_opened();
        let out = a.frame_received(&b_frame).unwrap();
        assert!(
            matches!(out.events[0], SessionEvent::AwarenessChanged { ref added, .. } if added == &[ClientID::new(2)])
        );

        let reply = a.frame_received(&encode::query_awareness()).unwrap();
        assert_eq!(reply.frames.len(), 1);
        let entries = awareness_entries(&reply.frames[0]);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[&1].1, r#"{"name":"a"}"#);
        assert_eq!(entries[&2].1, r#"{"name":"b"}"#);
    }

    #[test]
    fn local_awareness_is_renewed_after_fifteen_seconds() {
        let clock = ManualClock::new(1_000);
        let mut a = session(1, &clock);
        a.set_local_state(r#"{"name":"a"}"#).unwrap();
        let opened = a.socket_opened();
        let opened_clock = awareness_entries(&opened.frames[1])[&1].0;
        assert_eq!(a.next_deadline(), Some(16_000));

        clock.advance(14_999);
        assert!(a.tick().frames.is_empty());
        // Keep the socket alive so the liveness check stays out of the way.
        a.note_activity();
        clock.advance(1);
        let out = a.tick();
        assert_eq!(out.frames.len(), 1);
        let (renewed_clock, json) = awareness_entries(&out.frames[0])[&1].clone();
        assert_eq!(renewed_clock, opened_clock + 1);
        assert_eq!(json, r#"{"name":"a"}"#);
        assert_eq!(a.next_deadline(), Some(31_000));
    }

    #[test]
    fn remote_awareness_expires_after_thirty_seconds_without_renewal() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        let mut b = session(2, &clock);
        b.set_local_state("{}").unwrap();
        b.socket_opened();
        a.socket_opened();
        a.frame_received(&b.local_awareness_changed().unwrap())
            .unwrap();
        clock.advance(29_999);
        a.note_activity();
        assert!(a.tick().events.is_empty());
        clock.advance(1);
        let out = a.tick();
        assert!(out.events.contains(&SessionEvent::AwarenessChanged {
            added: vec![],
            updated: vec![],
            removed: vec![ClientID::new(2)],
        }));
        assert!(out.frames.is_empty(), "expiry is not broadcast");
        assert!(a
            .awareness()
            .state::<serde_json::Value>(ClientID::new(2))
            .is_none());
    }

    #[test]
    fn silent_socket_is_reported_stale_after_the_liveness_timeout() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        a.socket_opened();
        assert_eq!(a.next_deadline(), Some(30_000));
        clock.advance(20_000);
        a.frame_received(&encode::query_awareness()).unwrap();
        clock.advance(29_999);
        assert!(!a.tick().events.contains(&SessionEvent::ConnectionStale));
        clock.advance(1);
        assert!(a.tick().events.contains(&SessionEvent::ConnectionStale));
        a.socket_closed();
        clock.advance(60_000);
        assert!(a.tick().events.is_empty(), "no liveness without a socket");
        assert_eq!(a.next_deadline(), None);
    }

    #[test]
    fn resync_interval_resends_step1_while_open() {
        let clock = ManualClock::new(0);
        let config = SessionConfig {
            resync_interval: Some(Duration::from_secs(5)),
            ..SessionConfig::default()
        };
        let mut a = SyncSession::with_config(doc(1), clock.clone(), config);
        a.socket_opened();
        assert_eq!(a.next_deadline(), Some(5_000));
        clock.advance(5_000);
        let out = a.tick();
        assert_eq!(out.frames.len(), 1);
        assert!(matches!(
            messages(&out.frames[0])[0],
            Message::Sync(SyncMessage::Step1(_))
        ));
        assert_eq!(a.next_deadline(), Some(10_000));
    }

    #[test]
    fn local_origin_updates_are_forwarded_and_remote_ones_are_not() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        let forwarded = capture_local_updates(&a);
        a.socket_opened();

        let remote = doc(2);
        remote
            .get_or_insert_text("text")
            .insert(&mut remote.transact_mut(), 0, "remote");
        let update = remote
            .transact()
            .encode_state_as_update_v1(&Default::default());
        a.frame_received(&encode::sync_update(&update)).unwrap();
        assert!(forwarded.lock().unwrap().is_empty());
        assert_eq!(
            a.doc()
                .get_or_insert_text("text")
                .get_string(&a.doc().transact()),
            "remote"
        );

        // Another origin (an app, IndexedDB, another server) is local from this session's view.
        {
            let mut txn = a.doc().transact_mut_with("app");
            txn.get_or_insert_text("text").insert(&mut txn, 0, "local ");
        }
        let updates = forwarded.lock().unwrap().clone();
        assert_eq!(updates.len(), 1);
        let frame = a.local_update(&updates[0]).unwrap();
        assert!(
            matches!(messages(&frame)[0], Message::Sync(SyncMessage::Update(u)) if u == updates[0])
        );
        assert!(a.is_remote_origin(Some(a.remote_origin())));
        assert!(!a.is_remote_origin(Some(&Origin::from("app"))));
        assert!(!a.is_remote_origin(None));

        a.socket_closed();
        assert_eq!(
            a.local_update(&updates[0]),
            None,
            "no frames without a socket"
        );
    }

    #[test]
    fn socket_closed_forgets_remote_awareness_but_keeps_the_local_state() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        let mut b = session(2, &clock);
        a.set_local_state(r#"{"me":1}"#).unwrap();
        b.set_local_state("{}").unwrap();
        b.socket_opened();
        a.socket_opened();
        a.frame_received(&b.local_awareness_changed().unwrap())
            .unwrap();
        let out = a.socket_closed();
        assert!(out.events.contains(&SessionEvent::AwarenessChanged {
            added: vec![],
            updated: vec![],
            removed: vec![ClientID::new(2)],
        }));
        let present: Vec<_> = a
            .awareness()
            .iter()
            .filter(|(_, s)| s.data.is_some())
            .map(|(id, _)| id)
            .collect();
        assert_eq!(present, vec![ClientID::new(1)]);
    }

    #[test]
    fn a_remote_null_for_our_own_state_is_refused_and_reannounced() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        a.set_local_state(r#"{"me":1}"#).unwrap();
        a.socket_opened();
        let (own_clock, _) = a.awareness().meta(ClientID::new(1)).unwrap();
        let mut clients = HashMap::new();
        clients.insert(
            ClientID::new(1),
            yrs::sync::awareness::AwarenessUpdateEntry {
                clock: own_clock,
                json: Arc::from("null"),
            },
        );
        let out = a
            .frame_received(&encode::awareness(&AwarenessUpdate { clients }))
            .unwrap();
        assert_eq!(out.frames.len(), 1);
        let (announced_clock, json) = awareness_entries(&out.frames[0])[&1].clone();
        assert!(announced_clock > own_clock);
        assert_eq!(json, r#"{"me":1}"#);
        assert!(a.awareness().local_state_raw().is_some());
    }

    #[test]
    fn leave_frame_announces_null_and_reconnecting_supersedes_it() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        let mut peer = session(2, &clock);
        a.set_local_state(r#"{"me":1}"#).unwrap();
        a.socket_opened();
        peer.socket_opened();
        peer.frame_received(&a.local_awareness_changed().unwrap())
            .unwrap();

        let leave = a.leave_frame().unwrap();
        assert_eq!(awareness_entries(&leave)[&1].1, "null");
        let out = peer.frame_received(&leave).unwrap();
        assert!(
            matches!(&out.events[0], SessionEvent::AwarenessChanged { removed, .. } if removed == &[ClientID::new(1)])
        );
        a.socket_closed();
        assert!(
            a.awareness().local_state_raw().is_some(),
            "the local state is kept"
        );

        let reopened = a.socket_opened();
        let out = peer.frame_received(&reopened.frames[1]).unwrap();
        assert!(
            matches!(&out.events[0], SessionEvent::AwarenessChanged { added, updated, .. }
            if added.contains(&ClientID::new(1)) || updated.contains(&ClientID::new(1)))
        );
        assert!(peer
            .awareness()
            .state::<serde_json::Value>(ClientID::new(1))
            .is_some());
    }

    #[test]
    fn clearing_the_local_state_announces_null() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        a.set_local_state("{}").unwrap();
        a.socket_opened();
        let frame = a.clear_local_state().unwrap();
        assert_eq!(awareness_entries(&frame)[&1].1, "null");
        assert_eq!(a.clear_local_state(), None, "already cleared");
        assert_eq!(a.socket_opened().frames.len(), 1, "no state to announce");
    }

    #[test]
    fn invalid_json_awareness_state_is_refused() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        let err = a.set_local_state("{name").unwrap_err();
        assert!(matches!(err, SessionError::InvalidAwarenessState { .. }));
        assert!(a.awareness().local_state_raw().is_none());
    }

    #[test]
    fn permission_denied_is_surfaced_as_an_event() {
        let clock = ManualClock::new(0);
        let mut a = session(1, &clock);
        a.socket_opened();
        let out = a
            .frame_received(&encode::permission_denied("read-only room"))
            .unwrap();
        assert_eq!(
            out.events,
            vec![SessionEvent::PermissionDenied {
                reason: "read-only room".into()
            }]
        );
    }
}
