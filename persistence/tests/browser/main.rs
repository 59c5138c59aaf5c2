//! The browser tests of the persistence: `IndexeddbPersistence` in headless Chromium, alone,
//! in several instances sharing a database, and against the real y-indexeddb npm package in
//! the same page. One module per contract; `indexeddb` and `yjs` are what they share.
//!
//! The restore benchmark (`indexeddb_restore_benchmark.rs`) is a test binary of its own, run
//! by hand; it borrows `indexeddb` and `yjs` from here.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod indexeddb;
mod yjs;

mod indexeddb_clear_data_deletes_the_database;
mod indexeddb_compacts_by_rows_and_bytes;
mod indexeddb_custom_values_get_set_delete;
mod indexeddb_databases_are_shared_with_y_indexeddb;
mod indexeddb_instances_sharing_a_database_never_lose_rows;
mod indexeddb_reload_without_edits_stores_nothing;
mod indexeddb_round_trips_a_document;
