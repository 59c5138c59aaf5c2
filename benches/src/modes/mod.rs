//! One module per [`Mode`](crate::Mode): each connects its clients, drives its load and
//! returns its own report; `ycord_benches::run` picks the one the flags select.

pub mod idle;
pub mod join;
pub mod presence;
pub mod updates;
