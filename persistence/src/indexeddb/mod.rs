//! The browser backend: a yrs document kept in IndexedDB, in y-indexeddb 9's format (wasm32
//! only).
//!
//! A JavaScript app using the y-indexeddb npm package and a ycord app of the same origin open
//! each other's documents: one database per document, named exactly like it, at version 1,
//! with the object stores `updates` (one Yjs v1 update per row, auto-increment keys) and
//! `custom` (application metadata). Where ycord differs, it is on the user's side:
//!
//! - reloading a document without editing it writes nothing (y-indexeddb appends the whole
//!   document on every load);
//! - compaction starts after a number of rows *or* of bytes ([`IndexeddbOptions`]) and only
//!   deletes rows this instance has merged;
//! - [`IndexeddbPersistence::when_synced`] is a future, errors are an enum
//!   ([`IndexeddbError`]) whose messages say what to do.
//!
//! ```no_run
//! # async fn example() -> Result<(), ycord_persistence::IndexeddbError> {
//! use ycord_persistence::IndexeddbPersistence;
//! use yrs::{Doc, GetString, Text, Transact};
//!
//! let doc = Doc::new();
//! let text = doc.get_or_insert_text("content");
//! // Resolves once what the browser kept is in `doc`.
//! let local = IndexeddbPersistence::open("my-room", &doc).await?;
//! text.push(&mut doc.transact_mut(), "typed offline; "); // stored at once
//! local.flush().await?; // committed to IndexedDB
//! println!("{}", text.get_string(&doc.transact()));
//! # Ok(())
//! # }
//! ```

mod apply;
mod compaction;
mod database;
mod error;
mod notify;
mod options;
mod persistence;
mod request;

pub use error::IndexeddbError;
pub use options::IndexeddbOptions;
pub use persistence::IndexeddbPersistence;
