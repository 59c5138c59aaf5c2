//! Typed y-websocket messages, borrowing their payloads from the frame they were decoded from.

use yrs::sync::AwarenessUpdate;
use yrs::StateVector;

/// Top-level message type tags of the y-websocket protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum MessageType {
    /// Document synchronisation (`0`).
    Sync = 0,
    /// Awareness update (`1`).
    Awareness = 1,
    /// Authentication (`2`).
    Auth = 2,
    /// Request for all known awareness states (`3`).
    QueryAwareness = 3,
}

/// One decoded y-websocket message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message<'a> {
    /// A sync-protocol message.
    Sync(SyncMessage<'a>),
    /// An awareness update, already decoded and validated (client ids, UTF-8, JSON).
    Awareness(AwarenessUpdate),
    /// An authentication message.
    Auth(AuthMessage<'a>),
    /// A request to send back every known awareness state.
    QueryAwareness,
}

/// The three sync-protocol sub-messages.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncMessage<'a> {
    /// SyncStep1: the sender's state vector; answer with a [`SyncMessage::Step2`].
    Step1(StateVector),
    /// SyncStep2: a v1 update holding what the receiver's state vector lacked.
    Step2(&'a [u8]),
    /// An incremental v1 update.
    Update(&'a [u8]),
}

impl SyncMessage<'_> {
    /// The v1 update carried by a step2 or update message, which are applied the same way.
    pub fn update(&self) -> Option<&[u8]> {
        match self {
            SyncMessage::Step1(_) => None,
            SyncMessage::Step2(update) | SyncMessage::Update(update) => Some(update),
        }
    }
}

/// Authentication messages of the y-websocket dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMessage<'a> {
    /// The server refused access; y-websocket clients only log the reason.
    PermissionDenied {
        /// Human-readable reason.
        reason: &'a str,
    },
}
