//! When to (re)connect: the user's wish, the server's refusal, and the backoff between tries.

use std::time::Duration;

use super::backoff::Backoff;
use crate::options::ProviderOptions;

/// The reconnect policy both transports follow. It decides, and the transport keeps time.
#[derive(Debug)]
pub(crate) struct Reconnect {
    should_connect: bool,
    backoff: Backoff,
}

impl Reconnect {
    /// Connecting is enabled when `options.connect` is set.
    pub(crate) fn new(options: &ProviderOptions) -> Self {
        Reconnect {
            should_connect: options.connect,
            backoff: Backoff::new(options.initial_backoff, options.max_backoff),
        }
    }

    /// Whether the provider should be connected (or trying to be).
    pub(crate) fn should_connect(&self) -> bool {
        self.should_connect
    }

    /// [`WebsocketProvider::connect`](crate::WebsocketProvider::connect): also the only way
    /// out of a refusal.
    pub(crate) fn enable(&mut self) {
        self.should_connect = true;
    }

    /// [`WebsocketProvider::disconnect`](crate::WebsocketProvider::disconnect).
    pub(crate) fn disable(&mut self) {
        self.should_connect = false;
    }

    /// The server closed the socket with `code`. Returns whether that was a refusal, after
    /// which the provider stops reconnecting until `connect()`.
    pub(crate) fn closed_by_server(&mut self, url: &str, code: u16, reason: &str) -> bool {
        if !is_refusal(code) {
            return false;
        }
        tracing::warn!(
            %url, code, %reason,
            "the server refused the connection; not reconnecting until connect()"
        );
        self.should_connect = false;
        true
    }

    /// A socket synced. Only a connection that synced did useful work: one that is accepted
    /// and closed at once must keep backing off.
    pub(crate) fn synced(&mut self) {
        self.backoff.reset();
    }

    /// The network is back: the next try should not wait out a delay grown while it was gone.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn network_restored(&mut self) {
        self.backoff.reset();
    }

    /// Counts one more unsuccessful connection and returns the (jittered) delay before the
    /// next try.
    pub(crate) fn next_delay(&mut self) -> Duration {
        self.backoff.next_delay(fastrand::f64())
    }
}

/// Close codes 4400–4499 mirror HTTP 4xx: the server decided that reconnecting cannot help
/// (access revoked, document gone). y-websocket 3.x clients stop reconnecting on them too.
pub(crate) fn is_refusal(code: u16) -> bool {
    (4400..4500).contains(&code)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn only_close_codes_4400_to_4499_are_refusals() {
        for code in [1000, 1006, 4000, 4399, 4500] {
            assert!(!is_refusal(code), "{code}");
        }
        for code in [4400, 4403, 4499] {
            assert!(is_refusal(code), "{code}");
        }
    }

    #[test]
    fn a_refusal_stops_reconnecting_until_connect() {
        let mut reconnect = Reconnect::new(&ProviderOptions::default());
        assert!(!reconnect.closed_by_server("ws://x/r", 1006, ""));
        assert!(reconnect.should_connect());
        assert!(reconnect.closed_by_server("ws://x/r", 4403, "no access"));
        assert!(!reconnect.should_connect());
        reconnect.enable();
        assert!(reconnect.should_connect());
    }
}
