//! The Hocuspocus wire dialect (`@hocuspocus/server` and `@hocuspocus/provider` 4.x), without I/O.
//!
//! One socket carries many documents: every frame starts with the document's address, then
//! the message type and its payload. The sync and awareness payloads are y-websocket's and
//! are validated the same way; the rest (auth, stateless, close, sync status, ping/pong) is
//! Hocuspocus's own. `docs/hocuspocus.md` describes the conversation.
//!
//! ```
//! use ycord_protocol::hocuspocus::{self, encode, AuthScope, HocuspocusAuthMessage,
//!     HocuspocusFrame, HocuspocusMessage};
//!
//! let frame = encode::authenticated("notes/demo", AuthScope::ReadOnly);
//! let HocuspocusFrame::Document { document, message } = hocuspocus::decode(&frame).unwrap() else {
//!     panic!("an authenticated message is addressed to a document");
//! };
//! assert_eq!(document, "notes/demo");
//! assert_eq!(
//!     message,
//!     HocuspocusMessage::Auth(HocuspocusAuthMessage::Authenticated { scope: AuthScope::ReadOnly })
//! );
//!
//! // Keep-alives are a lone byte, addressed to no document.
//! assert_eq!(hocuspocus::decode(&encode::ping()).unwrap(), HocuspocusFrame::Ping);
//!
//! // A frame cut short is rejected, not ignored.
//! let err = hocuspocus::decode(&frame[..frame.len() - 1]).unwrap_err();
//! assert_eq!(err.kind(), ycord_protocol::DecodeErrorKind::Truncated);
//! ```

mod address;
mod decode;
pub mod encode;
mod error;
mod message;
#[cfg(test)]
mod recorded_frames;

pub use address::{DocumentAddress, MAX_DOCUMENT_NAME_BYTES, SESSION_SEPARATOR};
pub use decode::decode;
pub use error::HocuspocusDecodeError;
pub use message::{
    AuthScope, HocuspocusAuthMessage, HocuspocusFrame, HocuspocusMessage, HocuspocusMessageType,
};
