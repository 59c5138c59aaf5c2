//! `ycord-benches` — the `ycord-load` load generator for y-websocket relay servers.
//!
//! Many clients, each with its own yrs document, join rooms of one server over loopback,
//! make real Yjs text edits at a fixed total rate, and time how long the server takes to
//! relay each update to every other client of the room. The result is one JSON line.
//! Other modes ([`Mode`]) hold idle connections, join a large document all at once, or
//! renew awareness states. [`run()`] runs whichever mode [`LoadArgs`] selects; each mode is
//! a module of [`modes`].
//!
//! Modules import in one direction: `run` → `modes` → `connect` → `client` → the leaves
//! (`args`, `author`, `ledger`, `proc_stat`, `schedule`, `stats`, `token`).
//!
//! ```
//! use ycord_benches::stats::Percentiles;
//!
//! let mut latencies_us = vec![900, 1_100, 1_000, 5_000];
//! let p = Percentiles::from_micros(&mut latencies_us);
//! assert_eq!(p.p50, Some(1.0));
//! assert_eq!(p.max, Some(5.0));
//! ```
#![warn(missing_docs)]

pub mod args;
pub mod author;
pub mod client;
pub mod connect;
pub mod ledger;
pub mod modes;
pub mod proc_stat;
pub mod run;
pub mod schedule;
pub mod stats;
pub mod token;

pub use args::{LoadArgs, Mode};
pub use run::{run, ModeReport};
