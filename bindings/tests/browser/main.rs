//! The browser tests of the bindings: `<CollabTextarea>` in headless Chromium, typed into as a
//! user would, with remote edits, input methods and a real ycord server (the test harness
//! starts one). One module per contract; `common` mounts textareas, types and syncs.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod common;

mod collab_textarea_composition_survives_remote_edits;
mod collab_textarea_keeps_caret_and_round_trips_text;
mod textareas_converge_through_a_ycord_server;
mod tokens_from_the_page_reach_an_auth_server;
