//! Where a request carries its token: `?token=` (y-websocket's `params`), an
//! `Authorization: Bearer` header, or a `ycord.token.<jwt>` WebSocket subprotocol.

use warp::http::header::{AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL};
use warp::http::HeaderMap;

use super::verifier::TokenError;

/// The subprotocol a browser offers next to its token, and the one the server answers with.
pub const SUBPROTOCOL: &str = "ycord";

/// The prefix of the subprotocol that carries a token (`ycord.token.<jwt>`).
pub const TOKEN_SUBPROTOCOL_PREFIX: &str = "ycord.token.";

/// The one token a WebSocket upgrade carries, from any of the three places.
///
/// # Errors
/// [`TokenError::Missing`] without one, [`TokenError::Ambiguous`] with several that differ.
pub(crate) fn upgrade_token(headers: &HeaderMap, query: &str) -> Result<String, TokenError> {
    let mut found: Vec<String> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key == "token" {
            found.push(value.into_owned());
        }
    }
    found.extend(bearer_tokens(headers)?);
    found.extend(
        offered_subprotocols(headers)
            .filter_map(|protocol| protocol.strip_prefix(TOKEN_SUBPROTOCOL_PREFIX))
            .map(str::to_owned),
    );
    one(found)
}

/// The token of an HTTP API request: `Authorization: Bearer` only, so tokens stay out of
/// URLs that proxies log.
///
/// # Errors
/// As [`upgrade_token`].
pub(crate) fn api_token(headers: &HeaderMap) -> Result<String, TokenError> {
    one(bearer_tokens(headers)?)
}

/// Whether the client offered the `ycord` subprotocol, which the answer must then name.
pub(crate) fn offers_ycord(headers: &HeaderMap) -> bool {
    offered_subprotocols(headers).any(|protocol| protocol == SUBPROTOCOL)
}

fn offered_subprotocols(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
}

fn bearer_tokens(headers: &HeaderMap) -> Result<Vec<String>, TokenError> {
    let mut tokens = Vec::new();
    for value in headers.get_all(AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| TokenError::Malformed("the Authorization header is not ASCII"))?;
        let (scheme, token) = value.split_once(' ').ok_or(TokenError::Malformed(
            "the Authorization header is not `Bearer <token>`",
        ))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(TokenError::Malformed(
                "the Authorization header is not `Bearer <token>`",
            ));
        }
        tokens.push(token.trim().to_owned());
    }
    Ok(tokens)
}

fn one(mut found: Vec<String>) -> Result<String, TokenError> {
    found.sort_unstable();
    found.dedup();
    match found.len() {
        0 => Err(TokenError::Missing),
        1 => Ok(found.pop().unwrap_or_default()),
        _ => Err(TokenError::Ambiguous),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_token_query_parameter_is_read_percent_decoded() {
        let token = upgrade_token(&HeaderMap::new(), "a=1&token=x.y%2Dz&b=2").unwrap();
        assert_eq!(token, "x.y-z");
    }

    #[test]
    fn a_bearer_header_carries_the_token() {
        let h = headers(&[("authorization", "Bearer a.b.c")]);
        assert_eq!(upgrade_token(&h, "").unwrap(), "a.b.c");
        assert_eq!(api_token(&h).unwrap(), "a.b.c");
        let basic = headers(&[("authorization", "Basic dXNlcjpwdw==")]);
        assert!(matches!(api_token(&basic), Err(TokenError::Malformed(_))));
    }

    #[test]
    fn the_token_subprotocol_carries_the_token_and_ycord_is_offered() {
        let h = headers(&[("sec-websocket-protocol", "ycord, ycord.token.a.b.c")]);
        assert_eq!(upgrade_token(&h, "").unwrap(), "a.b.c");
        assert!(offers_ycord(&h));
        let split = headers(&[
            ("sec-websocket-protocol", "ycord.token.a.b.c"),
            ("sec-websocket-protocol", "other"),
        ]);
        assert_eq!(upgrade_token(&split, "").unwrap(), "a.b.c");
        assert!(!offers_ycord(&split));
    }

    #[test]
    fn two_different_tokens_are_ambiguous_and_none_is_missing() {
        let h = headers(&[("authorization", "Bearer a.b.c")]);
        assert_eq!(upgrade_token(&h, "token=d.e.f"), Err(TokenError::Ambiguous));
        assert_eq!(
            upgrade_token(&HeaderMap::new(), "token=a&token=b"),
            Err(TokenError::Ambiguous)
        );
        assert_eq!(upgrade_token(&h, "token=a.b.c").unwrap(), "a.b.c");
        assert_eq!(
            upgrade_token(&HeaderMap::new(), "x=1"),
            Err(TokenError::Missing)
        );
        assert_eq!(api_token(&HeaderMap::new()), Err(TokenError::Missing));
    }
}
