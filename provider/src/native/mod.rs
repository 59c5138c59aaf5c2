//! The native transport: the provider's task drives the session over tokio-tungstenite.

mod clock;
mod hocuspocus_socket;
mod socket;
mod worker;

use self::worker::Worker;
use crate::core::Launch;

pub(crate) use self::clock::SessionClock;
pub use self::hocuspocus_socket::HocuspocusSocket;

/// What the handle keeps of the native transport: nothing, the task ends on
/// [`Command::Shutdown`](crate::core::Command::Shutdown).
#[derive(Debug)]
pub(crate) struct Transport;

impl Transport {
    /// Spawns the provider's task.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub(crate) fn start(launch: Launch<'_>) -> Self {
        tokio::spawn(Worker::new(launch).run());
        Transport
    }
}
