//! Why a Hocuspocus frame was rejected.

use thiserror::Error;

use super::address::MAX_DOCUMENT_NAME_BYTES;
use crate::error::{DecodeError, DecodeErrorKind};

/// A Hocuspocus frame that could not be decoded, with the place it failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HocuspocusDecodeError {
    /// A failure the y-websocket codec reports the same way: an empty or truncated frame, a
    /// malformed field (bad varint, UTF-8 or JSON, an out-of-range id, trailing bytes), an
    /// unknown sync sub-type.
    #[error(transparent)]
    Frame(#[from] DecodeError),
    /// The message type after the document name is not one Hocuspocus defines (0–8).
    #[error("unknown Hocuspocus message type {0}")]
    UnknownMessageType(u64),
    /// The auth sub-type is not token (0), permission denied (1) or authenticated (2).
    #[error("unknown Hocuspocus auth message type {0}")]
    UnknownAuthType(u64),
    /// A ping (9) or pong (10) came after a document name; both are a lone byte.
    #[error("message type {0} (ping or pong) must be a lone byte, not addressed to a document")]
    AddressedPingPong(u64),
    /// The document address is longer than [`MAX_DOCUMENT_NAME_BYTES`].
    #[error("document name of {len} bytes is longer than the limit of {MAX_DOCUMENT_NAME_BYTES}")]
    DocumentNameTooLong {
        /// The length the frame declared, in bytes.
        len: u64,
    },
}

impl HocuspocusDecodeError {
    /// The class of the error, for choosing a close code the same way as for y-websocket.
    pub fn kind(&self) -> DecodeErrorKind {
        match self {
            HocuspocusDecodeError::Frame(err) => err.kind(),
            HocuspocusDecodeError::UnknownMessageType(_)
            | HocuspocusDecodeError::UnknownAuthType(_) => DecodeErrorKind::UnknownType,
            HocuspocusDecodeError::AddressedPingPong(_)
            | HocuspocusDecodeError::DocumentNameTooLong { .. } => DecodeErrorKind::Malformed,
        }
    }
}
