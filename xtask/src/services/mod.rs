//! Servers the tests need, started on loopback in a temp dir before the suites and stopped
//! after them (also when a suite fails). A new service is a file beside this one.

pub mod postgres;
pub mod ycord;
