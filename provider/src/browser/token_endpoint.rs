//! A token source that fetches its tokens over HTTP, as a page asks its backend for one.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::socket::describe;
use crate::token::{TokenError, TokenSource};

impl TokenSource {
    /// A source that fetches each token with `GET url` (the page's `fetch`, so a relative URL
    /// is resolved against the page and cookies of the same origin go along) and uses the
    /// response body, trimmed, as the token. A status other than 2xx is a [`TokenError`].
    ///
    /// ```no_run
    /// use ycord_provider::{ProviderOptions, TokenSource};
    ///
    /// // `ycord --dev-token-endpoint` serves this (for development only).
    /// let options = ProviderOptions {
    ///     token_source: Some(TokenSource::from_url("/dev/token?room=notes&access=rw")),
    ///     ..ProviderOptions::default()
    /// };
    /// # let _ = options;
    /// ```
    pub fn from_url(url: &str) -> Self {
        let url = url.to_owned();
        TokenSource::new(move || fetch_text(url.clone()))
    }
}

async fn fetch_text(url: String) -> Result<String, TokenError> {
    let window = web_sys::window().ok_or_else(|| TokenError::new("no window to fetch from"))?;
    let response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .map_err(|err| TokenError::new(format!("GET {url}: {}", describe(err))))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| TokenError::new(format!("GET {url}: not a response")))?;
    if !response.ok() {
        return Err(TokenError::new(format!(
            "GET {url} answered {}",
            response.status()
        )));
    }
    let body = response
        .text()
        .map_err(|err| TokenError::new(format!("GET {url}: {}", describe(err))))?;
    let body = JsFuture::from(body)
        .await
        .map_err(|err| TokenError::new(format!("GET {url}: {}", describe(err))))?;
    body.as_string()
        .ok_or_else(|| TokenError::new(format!("GET {url}: the body is not text")))
}
