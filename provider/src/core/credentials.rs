//! Which access token the next connection sends, and when to ask the token source for a new
//! one.

use crate::options::ProviderOptions;
use crate::token::{TokenError, TokenSource};

/// The provider's token and its source. The transport asks [`refresh_due`](Self::refresh_due)
/// before each connection attempt, awaits the source when told to, reports the answer to
/// [`refreshed`](Self::refreshed), then sends [`token`](Self::token).
#[derive(Debug)]
pub(crate) struct Credentials {
    token: Option<String>,
    source: Option<TokenSource>,
    /// The current token was refused (or there is none yet): fetch one before connecting.
    stale: bool,
}

impl Credentials {
    /// With no initial token but a source, the first connection waits for the source.
    pub(crate) fn new(options: &ProviderOptions) -> Self {
        Credentials {
            token: options.token.clone(),
            source: options.token_source.clone(),
            stale: options.token.is_none(),
        }
    }

    /// The source to call before the next connection attempt, when the current token is known
    /// to be refused or there is none yet.
    pub(crate) fn refresh_due(&self) -> Option<TokenSource> {
        self.source.clone().filter(|_| self.stale)
    }

    /// What the source answered. A token replaces the current one; an error keeps the token
    /// stale, so the next attempt asks again (after the reconnect backoff).
    pub(crate) fn refreshed(
        &mut self,
        answer: Result<String, TokenError>,
    ) -> Result<(), TokenError> {
        let token = answer?;
        self.token = Some(token);
        self.stale = false;
        Ok(())
    }

    /// The token to send with the next connection attempt.
    pub(crate) fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The server refused the token. Returns whether a fresh one can be fetched (a source is
    /// configured); if so, the next attempt fetches it first.
    pub(crate) fn refused(&mut self) -> bool {
        self.stale = true;
        self.source.is_some()
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn source() -> TokenSource {
        TokenSource::new(|| async { Ok("fresh".to_string()) })
    }

    fn options(token: Option<&str>, source: Option<TokenSource>) -> ProviderOptions {
        ProviderOptions {
            token: token.map(str::to_owned),
            token_source: source,
            ..ProviderOptions::default()
        }
    }

    #[test]
    fn a_given_token_is_sent_without_asking_the_source() {
        let credentials = Credentials::new(&options(Some("given"), Some(source())));
        assert!(credentials.refresh_due().is_none());
        assert_eq!(credentials.token(), Some("given"));
    }

    #[test]
    fn without_a_token_the_first_connection_waits_for_the_source() {
        let mut credentials = Credentials::new(&options(None, Some(source())));
        assert!(credentials.refresh_due().is_some());
        assert_eq!(credentials.token(), None);
        credentials.refreshed(Ok("fresh".into())).unwrap();
        assert!(credentials.refresh_due().is_none());
        assert_eq!(credentials.token(), Some("fresh"));
    }

    #[test]
    fn a_refused_token_is_replaced_before_the_next_connection() {
        let mut credentials = Credentials::new(&options(Some("old"), Some(source())));
        assert!(credentials.refused());
        assert!(credentials.refresh_due().is_some());
        credentials.refreshed(Ok("new".into())).unwrap();
        assert_eq!(credentials.token(), Some("new"));
        assert!(credentials.refresh_due().is_none());
    }

    #[test]
    fn a_failed_refresh_keeps_asking() {
        let mut credentials = Credentials::new(&options(Some("old"), Some(source())));
        credentials.refused();
        let err = credentials.refreshed(Err(TokenError::new("down")));
        assert!(err.is_err());
        assert!(
            credentials.refresh_due().is_some(),
            "the next attempt asks again"
        );
    }

    #[test]
    fn without_a_source_a_refusal_cannot_be_helped() {
        let mut credentials = Credentials::new(&options(Some("old"), None));
        assert!(!credentials.refused());
        assert!(credentials.refresh_due().is_none());
        let mut open = Credentials::new(&ProviderOptions::default());
        assert!(
            open.refresh_due().is_none(),
            "no token and no source: connect without one"
        );
        assert_eq!(open.token(), None);
        assert!(!open.refused());
    }
}
