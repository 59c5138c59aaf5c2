//! `ycord-leptos` — Leptos 0.8 bindings for yrs documents: shared types as fine-grained signals.
//!
//! ```
//! use leptos::prelude::*;
//! use ycord_leptos::{use_y_map, use_y_text};
//!
//! let owner = Owner::new();
//! owner.with(|| {
//!     let doc = ycord_provider::new_doc();
//!     let body = use_y_text(&doc, &doc.get_or_insert_text("body"));
//!     (body.insert)(0, "Hello 😀");
//!     assert_eq!(body.text.get_untracked(), "Hello 😀");
//!     assert_eq!(body.len.get_untracked(), 8); // UTF-16 code units, as in JavaScript
//!
//!     let meta = use_y_map(&doc, &doc.get_or_insert_map("meta"));
//!     // A memo reading "title" depends on "title" only.
//!     let map = meta.map.clone();
//!     let title = Memo::new(move |_| map.get::<String>("title"));
//!     meta.map.set("title", "Notes").unwrap();
//!     assert_eq!(title.get_untracked().as_deref(), Some("Notes"));
//! });
//! // Disposing the owner unregisters every observer the hooks added.
//! drop(owner);
//! assert_eq!(ycord_leptos::subscription::live_observers(), 0);
//! ```
//!
//! What is here, at the root:
//! - [`use_y_text`], [`use_y_map`], [`use_y_array`]: hooks in the `use_x` /
//!   `use_x_with_options` style, returning signals and `Fn + Clone + Send + Sync` commands.
//!   They bind root and nested types alike (a map inside an array, a text inside a map).
//! - [`YCollection`]: typed records stored field by field, with reactive [`Query`]s.
//! - [`use_provider_status`] and [`SyncStatus`], [`use_presence`]: the provider as signals.
//! - [`use_undo`]: undo/redo of local edits with `can_undo` / `can_redo` signals.
//! - [`CollabTextarea`]: a `<textarea>` bound to a Y.Text that keeps the caret in place.
//!
//! And in modules, for code that goes beyond the hooks:
//! - [`origin`]: the origin every local edit carries, for writing to the document directly
//!   and still being covered by [`use_undo`].
//! - [`textarea`]: the UTF-16 diffing and caret mapping `<CollabTextarea>` is built on.
//! - [`subscription`]: how many observers the hooks hold, for leak tests.
//!
//! Every write is one transaction with the [local origin](origin::local_origin). Every
//! observer a hook registers is removed when the reactive owner that called it is cleaned up
//! ([`subscription::live_observers`] counts them), so hooks must be called under an owner
//! (inside a component, or `Owner::with`).
//!
//! Reads open a read transaction: never read these signals while holding a transaction of the
//! same document, nor from inside a yrs observer.
#![warn(missing_docs)]

mod array;
mod collection;
mod convert;
mod error;
mod map;
pub mod origin;
mod presence;
mod provider;
pub mod subscription;
mod text;
pub mod textarea;
mod undo;

pub use array::{
    items_as, use_y_array, use_y_array_with_options, UseYArrayOptions, UseYArrayReturn, YItem,
};
pub use collection::{use_y_collection, Query, YCollection};
pub use error::BindingError;
pub use map::{bind_map, use_y_map, use_y_map_with_options, UseYMapOptions, UseYMapReturn, YMap};
pub use presence::{use_presence, UsePresenceReturn};
pub use provider::{
    status_label, use_provider_status, ProviderRef, SyncStatus, SyncStatusProps,
    UseProviderStatusReturn,
};
pub use text::{use_y_text, use_y_text_with_options, TextDelta, UseYTextOptions, UseYTextReturn};
pub use textarea::{CollabTextarea, CollabTextareaProps};
pub use undo::{use_undo, use_undo_with_options, UseUndoOptions, UseUndoReturn};
