//! `ycord-protocol` — the y-websocket wire format and the awareness timing rules, without I/O;
//! [`hocuspocus`] holds the Hocuspocus dialect of the same protocol.
//!
//! Bytes go in, typed messages come out, and a malformed frame is an error with a precise
//! [`DecodeErrorKind`] instead of being silently skipped (yrs's own `MessageReader` treats a
//! truncated message as the end of a batch).
//!
//! ```
//! use ycord_protocol::{decode_frame, encode, Message, SyncMessage};
//! use yrs::StateVector;
//!
//! let frame = encode::sync_step1(&StateVector::default());
//! let messages = decode_frame(&frame).unwrap();
//! assert!(matches!(messages[0], Message::Sync(SyncMessage::Step1(_))));
//!
//! // A frame cut short is rejected, not ignored.
//! let err = decode_frame(&frame[..1]).unwrap_err();
//! assert_eq!(err.kind(), ycord_protocol::DecodeErrorKind::Truncated);
//! ```
#![warn(missing_docs)]

pub mod awareness;
#[cfg(any(test, feature = "test-util"))]
pub mod clock;
mod decode;
pub mod encode;
mod error;
pub mod hocuspocus;
mod message;
mod reader;
mod update;

pub use awareness::{forget_remote_state, AwarenessTimer, Expiry, EXPIRE_AFTER_MS, RENEW_AFTER_MS};
#[cfg(any(test, feature = "test-util"))]
pub use clock::ManualClock;
pub use decode::{decode_awareness_update, decode_frame, decode_state_vector};
pub use error::{DecodeError, DecodeErrorKind};
pub use message::{AuthMessage, Message, MessageType, SyncMessage};
pub use update::{validate_update_v1, ValidUpdate, MAX_ANY_DEPTH};

/// Largest client id a Yjs peer can use (`Number.MAX_SAFE_INTEGER`); larger ids cannot
/// round-trip through JavaScript and are rejected by the decoder.
pub const MAX_CLIENT_ID: u64 = (1 << 53) - 1;
