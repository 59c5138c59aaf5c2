//! The socket URL of a room, built as y-websocket builds it.

use crate::error::ProviderError;

/// Builds the socket URL the way y-websocket does (`server/room?params`), then lets the URL
/// parser normalise it as a browser would (a space in a room becomes `%20`).
pub(crate) fn room_url(
    server_url: &str,
    room: &str,
    params: &[(String, String)],
) -> Result<String, ProviderError> {
    with_query(
        format!("{}/{room}", server_url.trim_end_matches('/')),
        params,
    )
}

/// The socket URL of a Hocuspocus server: `server_url?params`, as `@hocuspocus/provider`
/// builds it. The document name travels in every frame, not in the URL.
pub(crate) fn server_url(
    server_url: &str,
    params: &[(String, String)],
) -> Result<String, ProviderError> {
    with_query(server_url.to_owned(), params)
}

fn with_query(mut raw: String, params: &[(String, String)]) -> Result<String, ProviderError> {
    if !params.is_empty() {
        let query: Vec<String> = params
            .iter()
            .map(|(key, value)| {
                format!(
                    "{}={}",
                    encode_uri_component(key),
                    encode_uri_component(value)
                )
            })
            .collect();
        raw.push('?');
        raw.push_str(&query.join("&"));
    }
    normalise(&raw).map_err(|detail| ProviderError::InvalidUrl {
        url: raw.clone(),
        detail,
    })
}

/// Parses `raw` with the `url` crate (WHATWG rules, as browsers) and checks its scheme.
#[cfg(not(target_arch = "wasm32"))]
fn normalise(raw: &str) -> Result<String, String> {
    let mut url = url::Url::parse(raw).map_err(|err| err.to_string())?;
    match url.scheme() {
        "ws" => {}
        "http" => url
            .set_scheme("ws")
            .map_err(|()| "cannot use it as ws://".to_string())?,
        // The native transport is built without TLS.
        "wss" | "https" => return Err(
            "TLS is not supported by this build; use ws:// (e.g. behind a TLS-terminating proxy)"
                .into(),
        ),
        other => return Err(format!("scheme {other:?} is not ws://")),
    }
    Ok(url.into())
}

/// Parses `raw` with the browser's own URL parser (which keeps the `url` crate and its
/// Unicode tables out of the wasm) and checks its scheme.
#[cfg(target_arch = "wasm32")]
fn normalise(raw: &str) -> Result<String, String> {
    let url = web_sys::Url::new(raw).map_err(|_| "not a valid URL".to_string())?;
    match url.protocol().as_str() {
        "ws:" | "wss:" => {}
        "http:" => url.set_protocol("ws:"),
        "https:" => url.set_protocol("wss:"),
        other => {
            return Err(format!(
                "scheme {:?} is not ws://",
                other.trim_end_matches(':')
            ))
        }
    }
    Ok(url.href())
}

/// JavaScript's `encodeURIComponent`, which y-websocket uses for `params`.
fn encode_uri_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_url_trims_the_trailing_slash_and_encodes_params_like_javascript() {
        let params = vec![
            ("token".to_owned(), "a b&c=d".to_owned()),
            ("x".to_owned(), "é".to_owned()),
        ];
        assert_eq!(
            room_url("ws://127.0.0.1:1234//", "room-1", &params).unwrap(),
            "ws://127.0.0.1:1234/room-1?token=a%20b%26c%3Dd&x=%C3%A9"
        );
        assert_eq!(
            room_url("http://localhost:1234", "r", &[]).unwrap(),
            "ws://localhost:1234/r"
        );
    }

    #[test]
    fn room_url_refuses_what_this_build_cannot_connect_to() {
        for url in ["wss://example.com", "ftp://example.com", "not a url"] {
            let err = room_url(url, "r", &[]).unwrap_err();
            assert!(
                matches!(err, ProviderError::InvalidUrl { .. }),
                "{url}: {err}"
            );
        }
    }

    #[test]
    fn a_hocuspocus_url_is_the_server_url_with_the_query_and_no_room() {
        let params = vec![("app".to_owned(), "a b".to_owned())];
        assert_eq!(
            server_url("ws://127.0.0.1:1234/collab", &params).unwrap(),
            "ws://127.0.0.1:1234/collab?app=a%20b"
        );
        assert_eq!(
            server_url("http://localhost:1234", &[]).unwrap(),
            "ws://localhost:1234/"
        );
    }
}
