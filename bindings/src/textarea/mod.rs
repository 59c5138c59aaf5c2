//! `<CollabTextarea>` and the text diffing it is built on.
//!
//! The component is re-exported at the crate root. The helpers work in UTF-16 code units, the
//! unit of browsers' textarea values and selections and of documents from
//! `ycord_provider::new_doc`: [`utf16_splice`] turns two values of a text into the one edit
//! between them, and [`map_position`] moves a caret through a [`TextDelta`](crate::TextDelta)
//! so it stays on its character. They are public for text inputs other than a `<textarea>`.

mod component;
mod rebase;
mod splice;

pub use component::{CollabTextarea, CollabTextareaProps};
pub use splice::{map_position, utf16_splice, Splice};
