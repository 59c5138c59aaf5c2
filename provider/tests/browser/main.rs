//! The browser provider in headless Chromium, against the ycord server `cargo xtask test`
//! starts: one test binary, one module per contract.
#![cfg(target_arch = "wasm32")]

mod common;

mod hocuspocus_dialect_in_the_browser;
mod offline_first;
mod providers_converge_through_the_server;
mod tab_converges_with_a_y_websocket_tab;
mod tabs_back_from_offline_see_everyone_at_once;
mod tabs_converge_without_a_server;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
