//! Storage errors.

use thiserror::Error;

/// A storage operation failed. Nothing it was asked to write is durable.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The backend could not be reached or refused the operation (disk full, read-only
    /// file system, database down, …).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back as written.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}
