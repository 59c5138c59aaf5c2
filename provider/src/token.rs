//! Where a provider gets a fresh access token when the server says the one it has is no good.

use std::future::Future;
use std::pin::Pin;

use thiserror::Error;

/// Why a [`TokenSource`] produced no token. The provider logs it (never a token) and tries
/// again after its reconnect backoff.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot get an access token: {detail}")]
pub struct TokenError {
    detail: String,
}

impl TokenError {
    /// An error saying `detail` (e.g. "the token endpoint answered 503"); never put the token
    /// itself in it.
    pub fn new(detail: impl std::fmt::Display) -> Self {
        TokenError {
            detail: detail.to_string(),
        }
    }

    /// What went wrong, as given to [`new`](Self::new).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

/// What a [`TokenSource`] call returns.
#[cfg(not(target_arch = "wasm32"))]
pub type TokenFuture = Pin<Box<dyn Future<Output = Result<String, TokenError>> + Send>>;
/// What a [`TokenSource`] call returns.
#[cfg(target_arch = "wasm32")]
pub type TokenFuture = Pin<Box<dyn Future<Output = Result<String, TokenError>>>>;

#[cfg(not(target_arch = "wasm32"))]
type Fetch = std::sync::Arc<dyn Fn() -> TokenFuture + Send + Sync>;
// Browser futures hold JavaScript objects, which are neither `Send` nor `Sync`.
#[cfg(target_arch = "wasm32")]
type Fetch = std::rc::Rc<dyn Fn() -> TokenFuture>;

/// A callback producing a fresh access token (a JWT), for
/// [`ProviderOptions::token_source`](crate::ProviderOptions::token_source).
///
/// The provider calls it before its first connection when it has no
/// [`token`](crate::ProviderOptions::token), and again before reconnecting after the server
/// closed the socket with code 4401 (token expired) or refused the upgrade with HTTP 401 or
/// 403. In the browser, where a page cannot see the HTTP status of a refused upgrade, it is
/// called again after every connection attempt that failed before the socket opened.
///
/// ```
/// use ycord_provider::{TokenError, TokenSource};
///
/// let source = TokenSource::new(|| async {
///     // Ask your auth service; here a fixed token.
///     Ok::<_, TokenError>("eyJhbGciOi…".to_string())
/// });
/// # let _ = source;
/// ```
#[derive(Clone)]
pub struct TokenSource {
    fetch: Fetch,
}

impl TokenSource {
    /// A source that runs `fetch` for each token it is asked for.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new<F, Fut>(fetch: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, TokenError>> + Send + 'static,
    {
        TokenSource {
            fetch: std::sync::Arc::new(move || Box::pin(fetch()) as TokenFuture),
        }
    }

    /// A source that runs `fetch` for each token it is asked for.
    #[cfg(target_arch = "wasm32")]
    pub fn new<F, Fut>(fetch: F) -> Self
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<String, TokenError>> + 'static,
    {
        TokenSource {
            fetch: std::rc::Rc::new(move || Box::pin(fetch()) as TokenFuture),
        }
    }

    /// Asks the source for one token. An empty (or all-whitespace) answer is an error;
    /// surrounding whitespace, such as the newline an HTTP endpoint ends its body with, is
    /// trimmed.
    pub fn fetch(&self) -> TokenFuture {
        let pending = (self.fetch)();
        Box::pin(async move {
            let token = pending.await?;
            let trimmed = token.trim();
            if trimmed.is_empty() {
                return Err(TokenError::new("the token source returned an empty token"));
            }
            Ok(if trimmed.len() == token.len() {
                token
            } else {
                trimmed.to_owned()
            })
        })
    }
}

impl PartialEq for TokenSource {
    /// Two sources are equal when they are clones of one another.
    fn eq(&self, other: &Self) -> bool {
        #[cfg(not(target_arch = "wasm32"))]
        return std::sync::Arc::ptr_eq(&self.fetch, &other.fetch);
        #[cfg(target_arch = "wasm32")]
        return std::rc::Rc::ptr_eq(&self.fetch, &other.fetch);
    }
}

impl Eq for TokenSource {}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSource(..)")
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fetch_trims_the_answer_and_refuses_an_empty_one() {
        let padded = TokenSource::new(|| async { Ok("abc.def.ghi\n".to_string()) });
        assert_eq!(padded.fetch().await.unwrap(), "abc.def.ghi");
        let empty = TokenSource::new(|| async { Ok(" \n".to_string()) });
        assert!(empty.fetch().await.is_err());
        let failing = TokenSource::new(|| async { Err(TokenError::new("endpoint down")) });
        assert_eq!(failing.fetch().await.unwrap_err().detail(), "endpoint down");
    }

    #[test]
    fn a_source_equals_its_clones_only() {
        let source = TokenSource::new(|| async { Ok("t".to_string()) });
        let other = TokenSource::new(|| async { Ok("t".to_string()) });
        assert_eq!(source, source.clone());
        assert_ne!(source, other);
    }
}
