//! The Hocuspocus dialect of a session: the same sync and awareness rules as y-websocket,
//! behind Hocuspocus's framing (every frame names the document), with its token handshake,
//! sync-status acks, document close, stateless messages, ping/pong, and a keep-alive for a server that drops a
//! socket after 60 s without a message.
//!
//! The session builds every sync, awareness and query-awareness message as y-websocket does,
//! then addresses it: Hocuspocus writes those three types exactly like y-websocket after the
//! document name, so a y-websocket frame behind `varString(document)` is the Hocuspocus frame.

use std::time::Duration;

use ycord_protocol::hocuspocus::{
    self, AuthScope, DocumentAddress, HocuspocusAuthMessage, HocuspocusDecodeError,
    HocuspocusFrame, HocuspocusMessage,
};
use ycord_protocol::{encode, Message};
use yrs::encoding::write::Write;
use yrs::sync::Timestamp;

use super::{millis, Output, SessionError, SessionEvent, Source, SyncSession};

/// Without a local awareness state (whose 15 s renewal the server hears), a session asks for
/// everyone's awareness this often, so that Hocuspocus (which closes a socket after 60 s
/// without a message, and does not count WebSocket pings) keeps the socket.
pub const HOCUSPOCUS_KEEP_ALIVE: Duration = Duration::from_secs(30);

/// The reason [`SessionEvent::PermissionDenied`] carries when a Hocuspocus server refuses a
/// change (a sync status `false`: the connection is read-only), as ycord's server words it.
pub const READ_ONLY_REASON: &str = "read-only";

/// The Hocuspocus side of a session: the document's name and the token, which outlive
/// sockets, and what one socket learnt.
#[derive(Debug, Clone)]
pub(super) struct Hocuspocus {
    document: String,
    token: String,
    connection: HocuspocusConnection,
}

/// What the server said on the current socket.
#[derive(Debug, Clone, Copy, Default)]
struct HocuspocusConnection {
    scope: Option<AuthScope>,
    unsynced_changes: u32,
    /// The opening step2 (the answer to the server's first step1) is counted on open; every
    /// later answer (to a resync or probe step1) is counted when it is sent.
    first_step1_answered: bool,
    refusal_reported: bool,
    next_keep_alive: Timestamp,
}

impl Hocuspocus {
    pub(super) fn new(document: &str) -> Self {
        Hocuspocus {
            document: document.to_owned(),
            token: String::new(),
            connection: HocuspocusConnection::default(),
        }
    }

    /// `frame` (one y-websocket sync, awareness or query-awareness message) addressed to the
    /// document.
    fn address(&self, frame: Vec<u8>) -> Vec<u8> {
        let mut addressed = Vec::with_capacity(self.document.len() + 2 + frame.len());
        addressed.write_string(&self.document);
        addressed.extend_from_slice(&frame);
        addressed
    }

    fn token_frame(&self) -> Vec<u8> {
        hocuspocus::encode::token(&self.document, &self.token, None)
    }
}

impl SyncSession {
    /// The document name this session puts in front of every frame; `None` in the
    /// y-websocket dialect.
    pub fn document_name(&self) -> Option<&str> {
        self.hocuspocus.as_ref().map(|h| h.document.as_str())
    }

    /// Sets the token the next [`socket_opened`](Self::socket_opened) sends in Hocuspocus's
    /// auth message (`None` sends `""`, as Hocuspocus providers do without a token). The
    /// y-websocket dialect ignores it: there the token belongs in the WebSocket handshake.
    pub fn set_token(&mut self, token: Option<&str>) {
        if let Some(hocuspocus) = self.hocuspocus.as_mut() {
            hocuspocus.token = token.unwrap_or_default().to_owned();
        }
    }

    /// The access the Hocuspocus server granted on the open socket; `None` before it
    /// answered the token, without a socket, and in the y-websocket dialect.
    pub fn auth_scope(&self) -> Option<AuthScope> {
        self.hocuspocus.as_ref()?.connection.scope
    }

    /// Changes sent on the open socket that the Hocuspocus server has not acknowledged with
    /// a sync status yet (Hocuspocus's `unsyncedChanges`): the opening SyncStep2 counts as
    /// one (from the moment the socket opens), every later step2 answering a server step1
    /// and every local update as one more. A read-only connection never reaches zero.
    /// Always `0` in the y-websocket dialect, which has no acknowledgements.
    pub fn unsynced_changes(&self) -> u32 {
        self.hocuspocus
            .as_ref()
            .map_or(0, |h| h.connection.unsynced_changes)
    }

    /// A frame for the socket from one the session built for y-websocket peers: the frames
    /// of [`set_local_state`](Self::set_local_state),
    /// [`clear_local_state`](Self::clear_local_state),
    /// [`local_awareness_changed`](Self::local_awareness_changed),
    /// [`local_awareness_frame`](Self::local_awareness_frame) and
    /// [`leave_frame`](Self::leave_frame) are y-websocket frames (what sibling tabs speak);
    /// pass them through this before sending them on the socket. Every other method already
    /// returns socket frames. Unchanged in the y-websocket dialect.
    pub fn socket_frame(&self, frame: Vec<u8>) -> Vec<u8> {
        match &self.hocuspocus {
            Some(hocuspocus) => hocuspocus.address(frame),
            None => frame,
        }
    }

    /// Hocuspocus: the frame that sends `payload` (any string; its meaning is up to the
    /// application) to the server as a stateless message for this document. A Hocuspocus
    /// server hands it to its `onStateless` hook; whether anyone else sees it is up to that
    /// hook (e.g. `document.broadcastStateless(payload)`). ycord's server relays it to the
    /// document's other Hocuspocus connections. Nothing is counted or acknowledged.
    ///
    /// # Errors
    /// [`SessionError::StatelessUnsupported`] in the y-websocket dialect, which has no such
    /// message; [`SessionError::NotOpen`] while no socket is open: a stateless message is a
    /// signal about now, so it is not kept for the next socket.
    pub fn stateless_frame(&self, payload: &str) -> Result<Vec<u8>, SessionError> {
        let hocuspocus = self
            .hocuspocus
            .as_ref()
            .ok_or(SessionError::StatelessUnsupported)?;
        if !self.is_open() {
            return Err(SessionError::NotOpen);
        }
        Ok(hocuspocus::encode::stateless(&hocuspocus.document, payload))
    }

    /// Hocuspocus's opening: the token first (the server waits for it and queues the rest),
    /// then `opened` (step1 and the awareness state), addressed.
    pub(super) fn hocuspocus_opened(&mut self, opened: &mut Output) {
        let now = self.now();
        let Some(hocuspocus) = self.hocuspocus.as_mut() else {
            return;
        };
        hocuspocus.connection = HocuspocusConnection {
            // The server answers our step1 with its own step1; our step2 in reply is the
            // first change it acknowledges.
            unsynced_changes: 1,
            next_keep_alive: now.saturating_add(millis(HOCUSPOCUS_KEEP_ALIVE)),
            ..HocuspocusConnection::default()
        };
        let mut frames = vec![hocuspocus.token_frame()];
        frames.extend(opened.frames.drain(..).map(|f| hocuspocus.address(f)));
        opened.frames = frames;
    }

    /// A local update: counted until the server acknowledges it.
    pub(super) fn hocuspocus_local_update(&mut self, frame: Vec<u8>) -> Vec<u8> {
        match self.hocuspocus.as_mut() {
            Some(hocuspocus) => {
                hocuspocus.connection.unsynced_changes += 1;
                hocuspocus.address(frame)
            }
            None => frame,
        }
    }

    /// Time passed: ask for awareness when nothing else keeps the server hearing from us.
    pub(super) fn hocuspocus_tick(&mut self, now: Timestamp, out: &mut Output) {
        let has_local_state = self.awareness.local_state_raw().is_some();
        let open = self.is_open();
        let Some(hocuspocus) = self.hocuspocus.as_mut() else {
            return;
        };
        if open && now >= hocuspocus.connection.next_keep_alive {
            hocuspocus.connection.next_keep_alive =
                now.saturating_add(millis(HOCUSPOCUS_KEEP_ALIVE));
            // With a local state, its renewal every 15 s is what the server hears.
            if !has_local_state {
                out.frames.push(encode::query_awareness());
            }
        }
        out.frames = out
            .frames
            .drain(..)
            .map(|f| hocuspocus.address(f))
            .collect();
    }

    /// When [`hocuspocus_tick`](Self::hocuspocus_tick) has something to do.
    pub(super) fn hocuspocus_deadline(&self) -> Option<Timestamp> {
        let hocuspocus = self.hocuspocus.as_ref()?;
        self.is_open()
            .then_some(hocuspocus.connection.next_keep_alive)
    }

    /// A frame from a Hocuspocus server.
    pub(super) fn hocuspocus_frame_received(
        &mut self,
        frame: &[u8],
    ) -> Result<Output, SessionError> {
        let mut out = Output::default();
        let decoded = match hocuspocus::decode(frame) {
            Ok(decoded) => decoded,
            // As `@hocuspocus/provider` does: a newer server may send types this client does
            // not know; they are logged and skipped, not a reason to drop the socket.
            Err(
                err @ (HocuspocusDecodeError::UnknownMessageType(_)
                | HocuspocusDecodeError::UnknownAuthType(_)),
            ) => {
                tracing::debug!(%err, "ignoring a Hocuspocus message of an unknown type");
                return Ok(out);
            }
            Err(err) => return Err(err.into()),
        };
        let (document, message) = match decoded {
            HocuspocusFrame::Ping => {
                out.frames.push(hocuspocus::encode::pong());
                return Ok(out);
            }
            HocuspocusFrame::Pong => return Ok(out),
            HocuspocusFrame::Document { document, message } => (document, message),
        };
        let ours = self.document_name().unwrap_or_default();
        if DocumentAddress::parse(document).name != ours {
            tracing::debug!(
                document,
                "ignoring a Hocuspocus message for another document"
            );
            return Ok(out);
        }
        // Frames built addressed already; `out` collects y-websocket ones until the end.
        let mut addressed = Vec::new();
        match message {
            HocuspocusMessage::Sync(sync) => {
                if matches!(sync, ycord_protocol::SyncMessage::Step1(_)) {
                    self.hocuspocus_step1_answered();
                }
                self.handle_message(Message::Sync(sync), Source::Server, &mut out)?;
            }
            HocuspocusMessage::Awareness(update) => {
                self.handle_message(Message::Awareness(update), Source::Server, &mut out)?;
            }
            HocuspocusMessage::QueryAwareness => {
                self.handle_message(Message::QueryAwareness, Source::Server, &mut out)?;
            }
            HocuspocusMessage::Auth(auth) => {
                addressed.extend(self.hocuspocus_auth(auth, &mut out));
            }
            HocuspocusMessage::SyncStatus { is_applied } => {
                self.hocuspocus_sync_status(is_applied, &mut out);
            }
            HocuspocusMessage::Close { reason } => {
                out.events.push(SessionEvent::DocumentClosed {
                    reason: reason.unwrap_or_default().to_owned(),
                });
            }
            HocuspocusMessage::Stateless(payload) => {
                out.events.push(SessionEvent::Stateless {
                    payload: payload.to_owned(),
                });
            }
            // Type 6 is server-internal (servers relay it as type 5), and sync replies answer
            // a server's own sync; neither is meant for a provider.
            HocuspocusMessage::SyncReply(_) | HocuspocusMessage::BroadcastStateless(_) => {
                tracing::debug!(
                    document,
                    "ignoring a Hocuspocus message a provider does not use"
                );
            }
        }
        if let Some(hocuspocus) = self.hocuspocus.as_ref() {
            out.frames = out
                .frames
                .drain(..)
                .map(|f| hocuspocus.address(f))
                .collect();
        }
        out.frames.extend(addressed);
        Ok(out)
    }

    /// Returns the (addressed) token frame when the server asks for it again.
    fn hocuspocus_auth(
        &mut self,
        auth: HocuspocusAuthMessage<'_>,
        out: &mut Output,
    ) -> Option<Vec<u8>> {
        let hocuspocus = self.hocuspocus.as_mut()?;
        match auth {
            HocuspocusAuthMessage::TokenRequest => return Some(hocuspocus.token_frame()),
            HocuspocusAuthMessage::PermissionDenied { reason } => {
                out.events.push(SessionEvent::AuthenticationFailed {
                    reason: reason.to_owned(),
                });
            }
            HocuspocusAuthMessage::Authenticated { scope } => {
                hocuspocus.connection.scope = Some(scope);
                out.events.push(SessionEvent::Authenticated { scope });
            }
            HocuspocusAuthMessage::Token { .. } => {
                tracing::debug!("ignoring a token message from the server");
            }
        }
        None
    }

    /// The server's step1 is answered with a step2, which the server acknowledges.
    fn hocuspocus_step1_answered(&mut self) {
        if let Some(hocuspocus) = self.hocuspocus.as_mut() {
            let connection = &mut hocuspocus.connection;
            if connection.first_step1_answered {
                connection.unsynced_changes += 1;
            }
            connection.first_step1_answered = true;
        }
    }

    fn hocuspocus_sync_status(&mut self, is_applied: bool, out: &mut Output) {
        let Some(hocuspocus) = self.hocuspocus.as_mut() else {
            return;
        };
        let connection = &mut hocuspocus.connection;
        if is_applied {
            connection.unsynced_changes = connection.unsynced_changes.saturating_sub(1);
        } else if !connection.refusal_reported {
            connection.refusal_reported = true;
            out.events.push(SessionEvent::PermissionDenied {
                reason: READ_ONLY_REASON.to_owned(),
            });
        }
    }

    /// The socket closed: what the server said on it no longer holds.
    pub(super) fn hocuspocus_closed(&mut self) {
        if let Some(hocuspocus) = self.hocuspocus.as_mut() {
            hocuspocus.connection = HocuspocusConnection::default();
        }
    }
}

/// Where a Hocuspocus frame from the server belongs, for a socket shared by several
/// documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// The browser has no shared socket yet.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) enum FrameRoute<'a> {
    /// To the session of the document with this name (the address without a session id).
    Document(&'a str),
    /// A lone ping: answer it with [`hocuspocus::encode::pong`], for the whole socket.
    Ping,
    /// A lone pong: nothing to do.
    Pong,
    /// Not a Hocuspocus frame: no session can use it.
    Unroutable,
}

/// Reads only the address of `frame`, leaving the rest to the document's session.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn route(frame: &[u8]) -> FrameRoute<'_> {
    use yrs::encoding::read::{Cursor, Read};
    match frame {
        [9] => return FrameRoute::Ping,
        [10] => return FrameRoute::Pong,
        _ => {}
    }
    let mut cursor = Cursor::new(frame);
    let Ok(len) = cursor.read_var::<u64>() else {
        return FrameRoute::Unroutable;
    };
    let start = cursor.next;
    let address = usize::try_from(len)
        .ok()
        .and_then(|len| frame.get(start..start.checked_add(len)?))
        .and_then(|bytes| std::str::from_utf8(bytes).ok());
    match address {
        Some(address) => FrameRoute::Document(DocumentAddress::parse(address).name),
        None => FrameRoute::Unroutable,
    }
}
