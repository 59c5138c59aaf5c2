//! What every transport shares: the [`WebsocketProvider`](crate::WebsocketProvider) handle,
//! the state it shares with its transport's task, the commands between them, the observer that
//! forwards local edits, and the reconnect policy with the token it sends.
//!
//! A transport (`native/`, `browser/`) only opens sockets, moves bytes and keeps time. It
//! provides the same three items under the same names: `SessionClock` (the session's clock),
//! `Transport` (what the handle keeps alive, started by `Transport::start`) and the task it
//! spawns, `Worker`.

mod backoff;
mod command;
mod credentials;
mod handle;
mod launch;
mod local_updates;
mod reconnect;
mod state;

pub use self::backoff::{DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF};
pub use self::handle::WebsocketProvider;

pub(crate) use self::command::Command;
pub(crate) use self::launch::Launch;
pub(crate) use self::local_updates::{LocalUpdates, Registration};
pub(crate) use self::reconnect::Reconnect;
pub(crate) use self::state::{ProviderState, SocketVerdict};
