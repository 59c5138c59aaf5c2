//! The sans-IO client side of the y-websocket protocol, and of its Hocuspocus dialect.
//!
//! A [`SyncSession`] owns a document's [`Awareness`] (and through it the [`Doc`]) and turns
//! the things that happen to a connection — a socket opened, a frame received, a local edit,
//! time passing, the socket closed — into frames to send and [`SessionEvent`]s to report. It
//! never touches a socket or a timer: the native and browser transports are thin adapters
//! that move its bytes and call [`SyncSession::tick`] at [`SyncSession::next_deadline`].

mod apply;
mod awareness;
mod config;
mod error;
mod events;
mod hocuspocus;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ycord_protocol::{decode_frame, encode, AuthMessage, Message, SyncMessage};
use yrs::sync::{Awareness, Clock, Timestamp};
use yrs::{ClientID, Doc, Origin, ReadTxn, Transact};

pub use self::config::{SessionConfig, DEFAULT_LIVENESS_TIMEOUT};
pub use self::error::SessionError;
pub use self::events::{Output, SessionEvent};
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use self::hocuspocus::{route, FrameRoute};
pub use self::hocuspocus::{HOCUSPOCUS_KEEP_ALIVE, READ_ONLY_REASON};

use self::hocuspocus::Hocuspocus;
use crate::dialect::Dialect;

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
    /// Set in the Hocuspocus dialect.
    hocuspocus: Option<Hocuspocus>,
}

impl std::fmt::Debug for SyncSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncSession")
            .field("client_id", &self.client_id())
            .field("remote_origin", &self.remote_origin)
            .field("config", &self.config)
            .field("connection", &self.connection)
            .field("dialect", &self.dialect())
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
            hocuspocus: None,
        }
    }

    /// A session speaking the Hocuspocus dialect for the document named `document` (a
    /// Hocuspocus document name, a provider's `name`): every frame it returns is addressed to
    /// it, and [`socket_opened`](Self::socket_opened) starts with the token (see
    /// [`set_token`](Self::set_token)).
    pub fn hocuspocus(
        doc: Doc,
        clock: impl Clock + 'static,
        config: SessionConfig,
        document: &str,
    ) -> Self {
        let mut session = Self::with_config(doc, clock, config);
        session.hocuspocus = Some(Hocuspocus::new(document));
        session
    }

    /// The wire dialect this session speaks.
    pub fn dialect(&self) -> Dialect {
        if self.hocuspocus.is_some() {
            Dialect::Hocuspocus
        } else {
            Dialect::YWebsocket
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
    /// the local awareness state if one is set. In the Hocuspocus dialect the token message
    /// comes first.
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
        let mut opened = Output {
            frames,
            events: Vec::new(),
        };
        self.hocuspocus_opened(&mut opened);
        opened
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
        if self.hocuspocus.is_some() {
            return self.hocuspocus_frame_received(frame);
        }
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
            Message::QueryAwareness => self.answer_awareness_query(out),
        }
        Ok(())
    }

    /// A local transaction produced `update` (v1). Returns the `[0, 2, update]` frame to send
    /// (addressed, in the Hocuspocus dialect), or `None` while no socket is open: the next
    /// connection's SyncStep1/SyncStep2 exchange delivers it.
    pub fn local_update(&mut self, update: &[u8]) -> Option<Vec<u8>> {
        if !self.is_open() {
            return None;
        }
        Some(self.hocuspocus_local_update(encode::sync_update(update)))
    }

    /// Time passed. Renews the local awareness state every 15 s (frame), drops remote states
    /// silent for 30 s (event), re-sends SyncStep1 on the resync interval (frame), and reports
    /// [`SessionEvent::ConnectionStale`] when the socket was silent for the liveness timeout.
    /// Call it at [`next_deadline`](Self::next_deadline); calling it early is harmless.
    pub fn tick(&mut self) -> Output {
        let now = self.now();
        let mut out = Output::default();
        self.renew_and_expire_awareness(now, &mut out);
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
        self.hocuspocus_tick(now, &mut out);
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
        [awareness, connection, self.hocuspocus_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// The socket closed, for whatever reason. The session stops being synced and, as
    /// y-websocket does, forgets every remote awareness state: without a connection it can no
    /// longer tell who is present.
    pub fn socket_closed(&mut self) -> Output {
        let mut out = Output::default();
        let Some(connection) = self.connection.take() else {
            return out;
        };
        self.hocuspocus_closed();
        if connection.synced {
            out.events.push(SessionEvent::Synced(false));
        }
        self.forget_remote_awareness(&mut out);
        out
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
