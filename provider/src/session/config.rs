//! How a session is timed.

use std::time::Duration;

use ycord_protocol::AwarenessTimer;

/// Default time without any frame from the server after which a socket is considered dead
/// (y-websocket's `messageReconnectTimeout`).
pub const DEFAULT_LIVENESS_TIMEOUT: Duration = Duration::from_secs(30);

/// Timing knobs of a [`SyncSession`](super::SyncSession).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// Re-send SyncStep1 this often while a socket is open (`None`: never, the default).
    pub resync_interval: Option<Duration>,
    /// A socket that delivered nothing for this long is reported as
    /// [`SessionEvent::ConnectionStale`](super::SessionEvent::ConnectionStale).
    pub liveness_timeout: Duration,
    /// Awareness renewal and expiry intervals.
    pub awareness_timer: AwarenessTimer,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            resync_interval: None,
            liveness_timeout: DEFAULT_LIVENESS_TIMEOUT,
            awareness_timer: AwarenessTimer::default(),
        }
    }
}
