//! Decode errors with a kind a server can map to a close code.

use thiserror::Error;

/// Why a frame was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The frame ended in the middle of a message.
    Truncated,
    /// A message type or sub-type this protocol does not define.
    UnknownType,
    /// The bytes do not form a valid message (bad varint, bad UTF-8, bad JSON, out-of-range id).
    Malformed,
}

/// A frame that could not be decoded, with the place it failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The frame had no bytes at all.
    #[error("empty frame")]
    Empty,
    /// The frame ended before the named field was complete.
    #[error("truncated frame: {field} is incomplete")]
    Truncated {
        /// The field being read when the bytes ran out.
        field: &'static str,
    },
    /// The top-level message type is not 0–3.
    #[error("unknown message type {0}")]
    UnknownMessageType(u64),
    /// The sync sub-type is not 0–2.
    #[error("unknown sync message type {0}")]
    UnknownSyncType(u64),
    /// The auth sub-type is not permission-denied.
    #[error("unknown auth message type {0}")]
    UnknownAuthType(u64),
    /// The named field holds bytes that are not valid for it.
    #[error("malformed {field}: {detail}")]
    Malformed {
        /// The field that failed validation.
        field: &'static str,
        /// What was wrong with it.
        detail: String,
    },
}

impl DecodeError {
    /// The class of the error, for choosing a close code.
    pub fn kind(&self) -> DecodeErrorKind {
        match self {
            DecodeError::Empty | DecodeError::Truncated { .. } => DecodeErrorKind::Truncated,
            DecodeError::UnknownMessageType(_)
            | DecodeError::UnknownSyncType(_)
            | DecodeError::UnknownAuthType(_) => DecodeErrorKind::UnknownType,
            DecodeError::Malformed { .. } => DecodeErrorKind::Malformed,
        }
    }

    pub(crate) fn malformed(field: &'static str, detail: impl Into<String>) -> Self {
        DecodeError::Malformed {
            field,
            detail: detail.into(),
        }
    }
}
