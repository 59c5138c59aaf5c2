//! Typed Hocuspocus frames, borrowing their payloads from the bytes they were decoded from.

use yrs::sync::AwarenessUpdate;

use crate::message::SyncMessage;

/// Top-level message type tags of the Hocuspocus dialect, as written after the document name.
///
/// [`HocuspocusMessageType::Ping`] and [`HocuspocusMessageType::Pong`] are the exception: they
/// travel as a lone byte with no document name in front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum HocuspocusMessageType {
    /// Document synchronisation, the y-protocols sync payload (`0`).
    Sync = 0,
    /// Awareness update (`1`).
    Awareness = 1,
    /// Authentication: token, token request, permission denied, authenticated (`2`).
    Auth = 2,
    /// Request for every known awareness state (`3`).
    QueryAwareness = 3,
    /// A sync payload answering another server instance; Hocuspocus never sends it to a
    /// provider (`4`).
    SyncReply = 4,
    /// An application-defined string for the other side (`5`).
    Stateless = 5,
    /// A stateless string for every connection of the document; server-internal (`6`).
    BroadcastStateless = 6,
    /// The document connection is closed (`7`).
    Close = 7,
    /// Whether a step2 or update was applied (`8`).
    SyncStatus = 8,
    /// Keep-alive probe, a lone byte (`9`).
    Ping = 9,
    /// Answer to a ping, a lone byte (`10`).
    Pong = 10,
}

impl TryFrom<u64> for HocuspocusMessageType {
    type Error = u64;

    /// The type named by a tag, or the tag itself when Hocuspocus defines no such type.
    fn try_from(tag: u64) -> Result<Self, u64> {
        use HocuspocusMessageType::*;
        Ok(match tag {
            0 => Sync,
            1 => Awareness,
            2 => Auth,
            3 => QueryAwareness,
            4 => SyncReply,
            5 => Stateless,
            6 => BroadcastStateless,
            7 => Close,
            8 => SyncStatus,
            9 => Ping,
            10 => Pong,
            other => return Err(other),
        })
    }
}

/// One WebSocket frame of the Hocuspocus dialect: a message for one document, or a keep-alive.
#[derive(Debug, Clone, PartialEq)]
pub enum HocuspocusFrame<'a> {
    /// `varString(document) · varUint(type) · payload`: a message for one document.
    Document {
        /// The document address exactly as on the wire: the document name, followed by
        /// `\0` and a session id when the provider multiplexes sessions (see
        /// [`super::DocumentAddress`]). Answers go back to this same address.
        document: &'a str,
        /// What the frame says about that document.
        message: HocuspocusMessage<'a>,
    },
    /// The single byte `9`: the peer asks for a [`HocuspocusFrame::Pong`].
    Ping,
    /// The single byte `10`: the answer to a [`HocuspocusFrame::Ping`].
    Pong,
}

impl<'a> HocuspocusFrame<'a> {
    /// The document address the frame is for; `None` for a ping or pong.
    pub fn document(&self) -> Option<&'a str> {
        match self {
            HocuspocusFrame::Document { document, .. } => Some(document),
            HocuspocusFrame::Ping | HocuspocusFrame::Pong => None,
        }
    }
}

/// A message addressed to one document.
#[derive(Debug, Clone, PartialEq)]
pub enum HocuspocusMessage<'a> {
    /// A sync-protocol message (type `0`), with the same payload as y-websocket's.
    Sync(SyncMessage<'a>),
    /// An awareness update (type `1`), already decoded and validated (client ids, UTF-8, JSON)
    /// exactly as y-websocket's are.
    Awareness(AwarenessUpdate),
    /// An authentication message (type `2`).
    Auth(HocuspocusAuthMessage<'a>),
    /// A request to send back every known awareness state (type `3`).
    QueryAwareness,
    /// A sync-protocol message that must not be answered with a step1 of one's own (type `4`).
    /// Hocuspocus uses it between server instances; providers do not understand it.
    SyncReply(SyncMessage<'a>),
    /// An application-defined string (type `5`), delivered to the other side only.
    Stateless(&'a str),
    /// A stateless string to relay to every connection of the document (type `6`).
    /// Hocuspocus closes a connection that sends it: it is meant for server instances only.
    BroadcastStateless(&'a str),
    /// The document connection is over (type `7`). A provider sends it without a reason when
    /// it detaches; a server sends it with one when it drops the connection.
    Close {
        /// Why the server closed the document connection; `None` from a provider.
        reason: Option<&'a str>,
    },
    /// The server's verdict on a step2 or update (type `8`).
    SyncStatus {
        /// `true`: applied (or nothing new); `false`: refused, as for a read-only connection.
        is_applied: bool,
    },
}

/// The four authentication messages of the Hocuspocus dialect (type `2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HocuspocusAuthMessage<'a> {
    /// Client → server, sub-type `0` with a payload: the token, the first message a provider
    /// sends for a document (an empty string when it has none).
    Token {
        /// The token as configured on the provider, `""` when none is.
        token: &'a str,
        /// The provider's package version (`4.8.0` appends it); optional on the wire, as the
        /// server reads it only when bytes are left.
        provider_version: Option<&'a str>,
    },
    /// Server → client, sub-type `0` with no payload: send the token again.
    TokenRequest,
    /// Server → client, sub-type `1`: the token was refused for this document.
    PermissionDenied {
        /// Human-readable reason (Hocuspocus's default is `permission-denied`).
        reason: &'a str,
    },
    /// Server → client, sub-type `2`: the token was accepted for this document.
    Authenticated {
        /// What the connection may do.
        scope: AuthScope,
    },
}

/// The access a Hocuspocus server granted, as carried by
/// [`HocuspocusAuthMessage::Authenticated`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthScope {
    /// `readonly`: updates are refused with a [`HocuspocusMessage::SyncStatus`] `false`.
    ReadOnly,
    /// `read-write`: updates are applied.
    ReadWrite,
}

impl AuthScope {
    /// The scope as written on the wire: `readonly` or `read-write`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthScope::ReadOnly => "readonly",
            AuthScope::ReadWrite => "read-write",
        }
    }

    /// The scope named by its wire string, or `None` for any other string.
    pub fn from_wire(scope: &str) -> Option<Self> {
        match scope {
            "readonly" => Some(AuthScope::ReadOnly),
            "read-write" => Some(AuthScope::ReadWrite),
            _ => None,
        }
    }
}

/// Auth sub-type `0`: a token (client → server) or a token request (server → client).
pub(crate) const AUTH_TOKEN: u64 = 0;
/// Auth sub-type `1`: permission denied.
pub(crate) const AUTH_PERMISSION_DENIED: u64 = 1;
/// Auth sub-type `2`: authenticated, with a scope.
pub(crate) const AUTH_AUTHENTICATED: u64 = 2;

/// Sync sub-type `0`: SyncStep1, a state vector (as in y-protocols and y-websocket).
pub(crate) const SYNC_STEP1: u64 = 0;
/// Sync sub-type `1`: SyncStep2, an update answering a step1.
pub(crate) const SYNC_STEP2: u64 = 1;
/// Sync sub-type `2`: an incremental update.
pub(crate) const SYNC_UPDATE: u64 = 2;
