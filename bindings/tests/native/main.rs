//! The native tests of the bindings: hooks bound to yrs documents under a Leptos owner, without
//! a browser. One module per contract; `common` syncs documents as a provider would.
//!
//! The modules share one process. A test that reads something the whole process shares runs
//! alone in a process of its own ([`own_process::run_alone`]).
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod own_process;

mod array_items_keep_identity_across_edits;
mod collection_queries_update_on_relevant_changes_only;
mod local_and_remote_deltas_agree;
mod map_reader_reruns_only_for_its_key;
mod observers_are_removed_when_owners_are_disposed;
mod remote_updates_reach_signals;
mod undo_covers_local_edits_only;
