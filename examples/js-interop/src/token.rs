//! The access token, from the development endpoint of the server that served the page.
//!
//! `ycord --dev-token-endpoint` (which `cargo xtask demo` turns on) hands a token for any room
//! to anyone who asks: a development convenience, not an identity system. A real app gets its
//! tokens from its own backend, after its own login, with a [`TokenSource`] calling it.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use ycord_provider::{ProviderOptions, TokenSource};

/// `GET /dev/token?room=…&access=rw`, started early so that it overlaps with restoring the
/// local copy.
pub struct TokenRequest {
    url: String,
    response: Option<js_sys::Promise>,
}

impl TokenRequest {
    /// Sends the request now, unless the page names another relay (`relay_param`, from
    /// `?relay=…`): the tokens of the server that served the page are good for it alone.
    pub fn start(room: &str, relay_param: Option<&str>) -> Self {
        let url = format!(
            "/dev/token?room={}&access=rw",
            String::from(js_sys::encode_uri_component(&room_as_addressed(room)))
        );
        let response = web_sys::window()
            .filter(|_| relay_param.is_none())
            .map(|window| window.fetch_with_str(&url));
        TokenRequest { url, response }
    }

    /// The provider's options: a server with the endpoint gets its token (and the endpoint as
    /// the source of fresh ones, asked again when the server says the token expired); a server
    /// without it (an open one, answering 404), or another relay, gets none.
    pub async fn into_options(self) -> ProviderOptions {
        match token_from(self.response).await {
            Some(token) => ProviderOptions {
                token: Some(token),
                token_source: Some(TokenSource::from_url(&self.url)),
                ..ProviderOptions::default()
            },
            None => ProviderOptions::default(),
        }
    }
}

/// The room as the socket URL's path spells it (`a b` → `a%20b`): the server checks a
/// token's room against that path, not against the decoded name.
fn room_as_addressed(room: &str) -> String {
    web_sys::Url::new(&format!("ws://relay/{room}"))
        .map(|url| url.pathname().trim_start_matches('/').to_string())
        .unwrap_or_else(|_| room.to_string())
}

/// The token in the body of a 2xx answer; `None` for anything else.
async fn token_from(response: Option<js_sys::Promise>) -> Option<String> {
    let response = JsFuture::from(response?).await.ok()?;
    let response: web_sys::Response = response.dyn_into().ok()?;
    if !response.ok() {
        return None;
    }
    let body = JsFuture::from(response.text().ok()?).await.ok()?;
    let token = body.as_string()?.trim().to_string();
    (!token.is_empty()).then_some(token)
}
