//! The server's integration tests, against the real server over real sockets: one test binary
//! with one module per contract, so the crate links once for all of them.
//!
//! Run one module or one test by its path, e.g.
//! `cargo test -p ycord-server --test server malformed_input_closes_only_the_offender::`.
//!
//! `stored_rooms_survive_restarts` has PostgreSQL cases that need a real server
//! (`cargo xtask with-postgres cargo test -p ycord-server`); `full_disk_is_reported_and_recovered`
//! needs root to mount a tiny tmpfs. Neither is ever skipped.

mod access_support;
mod support;

mod access_hostile_tokens;
mod access_http_api_needs_a_token_for_the_room;
mod access_leeway_is_the_connections_too;
mod access_public_keys_are_chosen_by_kid;
mod access_read_only_connections_write_nothing;
mod access_refusal_logs_never_show_the_token;
mod access_tokens_come_by_query_bearer_or_subprotocol;
mod awareness_follows_connections;
mod cluster_nodes_share_rooms;
mod full_disk_is_reported_and_recovered;
mod limits_refuse_only_the_offender;
mod malformed_input_closes_only_the_offender;
mod metrics_count_real_traffic;
mod server_lifecycle;
mod static_files_are_served_beside_the_relay;
mod stored_rooms_survive_restarts;
mod unreadable_stored_updates_are_quarantined;
