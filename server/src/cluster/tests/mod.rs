//! The cluster's building blocks against a real Redis 7 server, one module per contract.
//!
//! The server's URL comes from `YCORD_TEST_REDIS_URL`, which `cargo xtask test` sets (it
//! starts a throwaway `redis-server`); without it these tests fail, they are never skipped.
//! Alone: `cargo xtask with-services cargo test -p ycord-server --lib cluster::`.
//! Every test uses rooms and node ids of its own, so they share the server safely.

mod support;

mod entries_cross_nodes;
mod heartbeats_expire_unless_renewed;
mod lost_positions_are_reported;
mod reader_resumes_after_reconnects;
mod redis_holds_bounded_state;
