//! What a transport is given to start a provider's task.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Command, LocalUpdates, ProviderState};
use crate::options::ProviderOptions;
#[cfg(not(target_arch = "wasm32"))]
use crate::transport::SessionClock;

/// Everything [`Transport::start`](crate::transport::Transport::start) needs; the handle
/// keeps its own clones of the shared parts.
pub(crate) struct Launch<'a> {
    /// Shared with the handle.
    pub(crate) state: Arc<ProviderState>,
    /// The session's clock (a copy: the native task converts deadlines with it).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) clock: SessionClock,
    #[cfg(target_arch = "wasm32")]
    /// As given to the constructor (the browser names its cross-tab channel after it).
    pub(crate) server_url: &'a str,
    #[cfg(target_arch = "wasm32")]
    /// As given to the constructor.
    pub(crate) room: &'a str,
    /// The task registers it when the constructor could not.
    pub(crate) local_updates: Arc<LocalUpdates>,
    #[cfg(target_arch = "wasm32")]
    /// For the transport's own listeners (the browser's `online` / `offline`).
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    /// The task's end of the command channel.
    pub(crate) receiver: mpsc::UnboundedReceiver<Command>,
    /// The provider's options.
    pub(crate) options: &'a ProviderOptions,
}
