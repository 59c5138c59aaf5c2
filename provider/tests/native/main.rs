//! The native provider against a real server (or a deliberately broken one) on 127.0.0.1:
//! one test binary, one module per contract.
#![cfg(not(target_arch = "wasm32"))]

mod common;

mod concurrent_edits_converge;
mod disconnect_removes_presence;
mod local_edits_are_sent_when_created_during_a_transaction;
mod offline_edits_are_delivered_on_reconnect;
mod reconnect_backs_off_until_a_socket_syncs;
mod reconnects_after_server_restart;
mod refusal_close_code_stops_reconnecting;
mod silent_socket_is_replaced;
