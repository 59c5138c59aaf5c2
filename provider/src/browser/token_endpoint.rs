//! Tokens fetched over HTTP, as a page asks its backend for one: a [`TokenSource`] that
//! fetches each fresh token, and a [`TokenRequest`] for the first one, started early.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::socket::describe;
use crate::options::ProviderOptions;
use crate::token::{TokenError, TokenSource};

/// The first token of a page, requested with `GET url` as soon as the page starts, so that the
/// request overlaps with the rest of its start-up (restoring the IndexedDB copy, mounting).
///
/// ```no_run
/// use ycord_provider::TokenRequest;
///
/// # async fn run() {
/// let token = TokenRequest::start("/api/collab-token?room=notes");
/// // … open IndexedDB, build the document …
/// let options = token.into_options().await; // the token, and the URL as its source
/// # drop(options);
/// # }
/// ```
pub struct TokenRequest {
    url: String,
    response: Option<js_sys::Promise>,
}

impl TokenRequest {
    /// Sends `GET url` now (the page's `fetch`: a relative URL is the page's origin, and its
    /// cookies go along).
    pub fn start(url: &str) -> Self {
        TokenRequest {
            url: url.to_owned(),
            response: web_sys::window().map(|window| window.fetch_with_str(url)),
        }
    }

    /// Asks the development endpoint of the server that served the page
    /// (`ycord --dev-token-endpoint`, on in `cargo xtask demo`) for an `rw` token for `room`.
    /// That endpoint hands a token to anyone who asks: for development only.
    pub fn dev_endpoint(room: &str) -> Self {
        let room = String::from(js_sys::encode_uri_component(&room_path(room)));
        TokenRequest::start(&format!("/dev/token?room={room}&access=rw"))
    }

    /// No request: the options will carry no token (e.g. the page talks to a relay whose
    /// tokens come from somewhere else).
    pub fn none() -> Self {
        TokenRequest {
            url: String::new(),
            response: None,
        }
    }

    /// Default options with the token and the URL as the [`TokenSource`] of fresh ones; the
    /// default options alone when there was no request or it did not answer 2xx with a token
    /// (an open server has no token endpoint and answers 404).
    pub async fn into_options(self) -> ProviderOptions {
        let Some(response) = self.response else {
            return ProviderOptions::default();
        };
        match read_token(&self.url, response).await {
            Ok(token) => ProviderOptions {
                token: Some(token),
                token_source: Some(TokenSource::from_url(&self.url)),
                ..ProviderOptions::default()
            },
            Err(err) => {
                tracing::debug!(%err, "no token: connecting without one");
                ProviderOptions::default()
            }
        }
    }
}

/// `room` as a WebSocket URL's path spells it (`a b` → `a%20b`). A server compares a token's
/// `room` claim with that path, not with the decoded name, so that is the room to ask for.
pub fn room_path(room: &str) -> String {
    web_sys::Url::new(&format!("ws://relay/{room}"))
        .map(|url| url.pathname().trim_start_matches('/').to_owned())
        .unwrap_or_else(|_| room.to_owned())
}

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
    read_token(&url, window.fetch_with_str(&url)).await
}

/// The trimmed body of a 2xx answer to `GET url`; an error for anything else.
async fn read_token(url: &str, response: js_sys::Promise) -> Result<String, TokenError> {
    let response = JsFuture::from(response)
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
        .map(|token| token.trim().to_owned())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| TokenError::new(format!("GET {url}: the body is not a token")))
}
