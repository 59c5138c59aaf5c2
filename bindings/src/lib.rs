//! `ycord-leptos` — Leptos bindings for yrs documents.
#![warn(missing_docs)]
