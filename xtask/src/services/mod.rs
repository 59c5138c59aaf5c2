//! Servers the tests need, started on loopback in a temp dir before the suites and stopped
//! after them (also when a suite fails). A new service is a file beside this one.

pub mod postgres;
pub mod redis;
pub mod ycord;

use std::net::TcpListener;

use anyhow::{Context, Result};

/// A port of 127.0.0.1 that nothing listens on right now, for servers that cannot be told to
/// pick one themselves.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}
