//! What can go wrong with a document kept in IndexedDB.

use thiserror::Error;

use super::request::DomFailure;

/// An IndexedDB operation of [`IndexeddbPersistence`](super::IndexeddbPersistence) failed.
/// Each message says what the user or the app can do about it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum IndexeddbError {
    /// This JavaScript context has no usable IndexedDB.
    #[error(
        "IndexedDB is not available here ({0}); run in a browser window or worker with \
         storage enabled (some private-browsing modes and sandboxed iframes disable it)"
    )]
    Unavailable(String),

    /// The database exists at a version above 1, which ycord and y-indexeddb do not open.
    #[error(
        "IndexedDB database '{name}' was upgraded past version 1 by other code, so neither \
         ycord nor y-indexeddb can open it; use another document name or delete the database \
         (IndexeddbPersistence::clear_data)"
    )]
    VersionTooNew {
        /// The database (document) name.
        name: String,
    },

    /// Another tab or instance deleted or upgraded the database, which closed this
    /// instance's connection.
    #[error(
        "IndexedDB database '{name}' was closed because another tab or instance deleted or \
         upgraded it; edits since then are not stored locally — open the document again"
    )]
    VersionChange {
        /// The database (document) name.
        name: String,
    },

    /// Deleting the database waits for other connections to close.
    #[error(
        "IndexedDB database '{name}' is still open in another tab that does not let go; it \
         will be deleted once that tab closes it (close the app's other tabs)"
    )]
    Blocked {
        /// The database (document) name.
        name: String,
    },

    /// The origin's storage quota is used up.
    #[error(
        "the browser's storage quota for this site is used up, so IndexedDB database '{name}' \
         cannot grow; free space (clear_data of documents no longer needed) or ask for \
         persistent storage with navigator.storage.persist()"
    )]
    QuotaExceeded {
        /// The database (document) name.
        name: String,
    },

    /// A row of the `updates` store is not a Yjs v1 update.
    #[error(
        "row {position} (counted from 0 in key order) of the 'updates' store in IndexedDB \
         database '{name}' is not a Yjs v1 update ({reason}); something other than ycord or \
         y-indexeddb wrote it, or it is damaged — clear_data deletes the local copy"
    )]
    CorruptRow {
        /// The database (document) name.
        name: String,
        /// The row's position among the rows read (all rows, at load).
        position: u32,
        /// The row's key, when it was read (compaction reads keys, loading does not).
        key: Option<f64>,
        /// What is wrong with it.
        reason: String,
    },

    /// The persistence was destroyed (or its database cleared) before the operation.
    #[error("the IndexedDB persistence of '{name}' was destroyed; create a new one to use it")]
    Destroyed {
        /// The database (document) name.
        name: String,
    },

    /// Any other failure the browser reported.
    #[error("IndexedDB {operation} of database '{name}' failed: {kind}: {message}")]
    Browser {
        /// The database (document) name.
        name: String,
        /// What ycord was doing (`open`, `load`, `store`, `compact`, …).
        operation: &'static str,
        /// The `DOMException` name, e.g. `UnknownError`.
        kind: String,
        /// The browser's message.
        message: String,
    },
}

impl IndexeddbError {
    /// Classifies a browser failure during `operation` on database `name`.
    pub(crate) fn from_failure(name: &str, operation: &'static str, failure: DomFailure) -> Self {
        let name = name.to_owned();
        match failure.name.as_str() {
            "QuotaExceededError" => IndexeddbError::QuotaExceeded { name },
            "VersionError" => IndexeddbError::VersionTooNew { name },
            _ => IndexeddbError::Browser {
                name,
                operation,
                kind: failure.name,
                message: failure.message,
            },
        }
    }
}
