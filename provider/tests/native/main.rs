//! The native provider against a real server (or a deliberately broken one) on 127.0.0.1:
//! one test binary, one module per contract.
#![cfg(not(target_arch = "wasm32"))]

mod common;

mod a_valid_token_syncs_by_header_or_query;
mod concurrent_edits_converge;
mod disconnect_removes_presence;
mod expired_token_is_replaced_from_the_token_source;
mod hocuspocus_refused_token_is_replaced_from_the_token_source;
mod local_edits_are_sent_when_created_during_a_transaction;
mod offline_edits_are_delivered_on_reconnect;
mod read_only_token_syncs_but_cannot_edit;
mod reconnect_backs_off_until_a_socket_syncs;
mod reconnects_after_server_restart;
mod refusal_close_code_stops_reconnecting;
mod refused_upgrade_asks_the_token_source;
mod silent_socket_is_replaced;
mod stateless_messages_pass_between_hocuspocus_providers;
