//! Requests from the handle (and the document observer) to the transport's task.

use tokio::sync::oneshot;

/// One request to the transport's task. The task owns the socket, so everything that touches
/// it goes through here.
#[derive(Debug)]
pub(crate) enum Command {
    /// A local transaction's v1 update.
    LocalUpdate(Vec<u8>),
    /// The local awareness state changed (already applied to the session): announce it.
    LocalAwareness,
    /// A stateless frame (already addressed) for the open socket; a task reading it between
    /// sockets drops it.
    Stateless(Vec<u8>),
    /// Connect (again), also after a refusal.
    Connect,
    /// Leave, close the socket and stay disconnected; the sender is told once it is closed.
    Disconnect(oneshot::Sender<()>),
    /// The browser's `online` (`true`) or `offline` (`false`) event.
    #[cfg(target_arch = "wasm32")]
    Network(bool),
    /// The handle was dropped: leave, close and end the task.
    Shutdown,
}
