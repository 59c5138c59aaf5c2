//! When to (re)connect: the user's wish, the server's refusal, the token, and the backoff
//! between tries.

use std::time::Duration;

use super::backoff::Backoff;
use super::credentials::Credentials;
use crate::options::ProviderOptions;
use crate::status::Status;

/// The close code of a connection whose token expired.
pub(crate) const TOKEN_EXPIRED: u16 = 4401;

/// The reconnect policy both transports follow. It decides, and the transport keeps time.
#[derive(Debug)]
pub(crate) struct Reconnect {
    should_connect: bool,
    /// Stopped because the server refused the token and no source can replace it.
    unauthorized: bool,
    backoff: Backoff,
    /// The token to send and when to refresh it; refusals of the token are decided here.
    pub(crate) credentials: Credentials,
}

impl Reconnect {
    /// Connecting is enabled when `options.connect` is set.
    pub(crate) fn new(options: &ProviderOptions) -> Self {
        Reconnect {
            should_connect: options.connect,
            unauthorized: false,
            backoff: Backoff::new(options.initial_backoff, options.max_backoff),
            credentials: Credentials::new(options),
        }
    }

    /// The status to report while no socket is being opened.
    pub(crate) fn idle_status(&self) -> Status {
        if self.unauthorized {
            Status::Unauthorized
        } else {
            Status::Disconnected
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
        self.unauthorized = false;
    }

    /// [`WebsocketProvider::disconnect`](crate::WebsocketProvider::disconnect).
    pub(crate) fn disable(&mut self) {
        self.should_connect = false;
        self.unauthorized = false;
    }

    /// The server closed the socket with `code`. Returns whether that was a refusal, after
    /// which the provider stops reconnecting until `connect()`.
    ///
    /// 4401 (token expired) is a refusal only without a token source; with one, the next
    /// attempt fetches a fresh token first.
    pub(crate) fn closed_by_server(&mut self, url: &str, code: u16, reason: &str) -> bool {
        if code == TOKEN_EXPIRED {
            return self.token_refused(url, &format!("close code {code} ({reason})"));
        }
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

    /// The server answered the upgrade with HTTP `status` instead of switching protocols.
    /// Returns whether the provider stops reconnecting until `connect()`: only for 401 or 403
    /// without a token source. Other statuses (429, 503: full) are retried after the backoff.
    /// (Browsers cannot see the status: see `failed_before_open`.)
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn upgrade_refused(&mut self, url: &str, status: u16) -> bool {
        match status {
            401 | 403 => self.token_refused(url, &format!("HTTP {status} at upgrade")),
            _ => false,
        }
    }

    /// A socket closed before it opened (browser). Browsers hide why (a refused upgrade and an
    /// unreachable server look the same), so with a token source the token is refreshed before
    /// the next attempt, in case it was the token.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn failed_before_open(&mut self) {
        self.credentials.refused();
    }

    /// A Hocuspocus server refused the token for the document (its socket stays open, but
    /// nothing more is exchanged for the document on it). Returns whether the provider stops
    /// until `connect()`, as [`Status::Unauthorized`]: only without a token source; with one,
    /// the next attempt fetches a fresh token first.
    pub(crate) fn authentication_failed(&mut self, url: &str, reason: &str) -> bool {
        self.token_refused(url, &format!("Hocuspocus permission denied ({reason})"))
    }

    fn token_refused(&mut self, url: &str, what: &str) -> bool {
        if self.credentials.refused() {
            tracing::info!(%url, %what, "the server refused the token; fetching a fresh one");
            return false;
        }
        tracing::warn!(
            %url, %what,
            "the server refused the token and there is no token source; not reconnecting until connect()"
        );
        self.should_connect = false;
        self.unauthorized = true;
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

    fn with_source() -> ProviderOptions {
        ProviderOptions {
            token: Some("old".into()),
            token_source: Some(crate::TokenSource::new(|| async { Ok("new".to_string()) })),
            ..ProviderOptions::default()
        }
    }

    #[test]
    fn an_expired_token_with_a_source_reconnects_with_a_fresh_one() {
        let mut reconnect = Reconnect::new(&with_source());
        assert!(!reconnect.closed_by_server("ws://x/r", 4401, "token expired"));
        assert!(reconnect.should_connect());
        assert!(reconnect.credentials.refresh_due().is_some());
        assert_eq!(reconnect.idle_status(), Status::Disconnected);
    }

    #[test]
    fn an_expired_token_without_a_source_stops_as_unauthorized_until_connect() {
        let options = ProviderOptions {
            token: Some("old".into()),
            ..ProviderOptions::default()
        };
        let mut reconnect = Reconnect::new(&options);
        assert!(reconnect.closed_by_server("ws://x/r", 4401, "token expired"));
        assert!(!reconnect.should_connect());
        assert_eq!(reconnect.idle_status(), Status::Unauthorized);
        reconnect.enable();
        assert!(reconnect.should_connect());
        assert_eq!(reconnect.idle_status(), Status::Disconnected);
    }

    #[test]
    fn other_refusals_stop_without_being_unauthorized() {
        let mut reconnect = Reconnect::new(&with_source());
        assert!(reconnect.closed_by_server("ws://x/r", 4403, "gone"));
        assert_eq!(reconnect.idle_status(), Status::Disconnected);
        assert!(
            reconnect.credentials.refresh_due().is_none(),
            "only the token's refusal refreshes it"
        );
    }

    #[test]
    fn http_401_and_403_at_upgrade_refresh_the_token_or_stop() {
        for status in [401, 403] {
            let mut reconnect = Reconnect::new(&with_source());
            assert!(!reconnect.upgrade_refused("ws://x/r", status));
            assert!(reconnect.credentials.refresh_due().is_some(), "{status}");

            let mut reconnect = Reconnect::new(&ProviderOptions::default());
            assert!(reconnect.upgrade_refused("ws://x/r", status));
            assert_eq!(reconnect.idle_status(), Status::Unauthorized, "{status}");
        }
    }

    #[test]
    fn a_hocuspocus_token_refusal_refreshes_the_token_or_stops_as_unauthorized() {
        let mut reconnect = Reconnect::new(&with_source());
        assert!(!reconnect.authentication_failed("ws://x", "permission-denied"));
        assert!(reconnect.should_connect());
        assert!(reconnect.credentials.refresh_due().is_some());

        let mut reconnect = Reconnect::new(&ProviderOptions::default());
        assert!(reconnect.authentication_failed("ws://x", "permission-denied"));
        assert!(!reconnect.should_connect());
        assert_eq!(reconnect.idle_status(), Status::Unauthorized);
    }

    #[test]
    fn a_full_server_at_upgrade_is_retried_with_the_same_token() {
        for status in [429, 503] {
            let mut reconnect = Reconnect::new(&with_source());
            assert!(!reconnect.upgrade_refused("ws://x/r", status));
            assert!(reconnect.should_connect());
            assert!(reconnect.credentials.refresh_due().is_none(), "{status}");
        }
    }
}
