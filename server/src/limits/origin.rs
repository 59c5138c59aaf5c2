//! Which browser origins may open a WebSocket (`--allowed-origin`). Browsers send `Origin`
//! on every WebSocket handshake and scripts cannot forge it, so this stops another site's
//! page from using its visitors' browsers to reach the server.

/// An `--allowed-origin` that is not an origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{origin}` is not an origin: write scheme://host or scheme://host:port, with no path")]
pub(crate) struct InvalidOrigin {
    /// What was given.
    pub(crate) origin: String,
}

/// The origins allowed to open a WebSocket; empty allows every origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AllowedOrigins {
    /// Normalised ([`normalise`]).
    origins: Vec<String>,
}

impl AllowedOrigins {
    /// The allowed origins, each `scheme://host[:port]` (a trailing `/` is ignored), or
    /// `null` for the opaque origin of sandboxed frames and `file:` pages.
    ///
    /// # Errors
    /// [`InvalidOrigin`] for an entry with no scheme or host, or with a path, query or
    /// fragment: it could never match, and a silent mismatch would lock browsers out.
    pub(crate) fn new<I, S>(origins: I) -> Result<Self, InvalidOrigin>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let origins = origins
            .into_iter()
            .map(|origin| {
                let origin = origin.as_ref();
                let trimmed = origin.strip_suffix('/').unwrap_or(origin);
                normalise(trimmed).ok_or_else(|| InvalidOrigin {
                    origin: origin.to_owned(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(AllowedOrigins { origins })
    }

    /// Whether a request with this `Origin` header may open a WebSocket. No list allows
    /// everything; no header (native clients do not send one) is allowed, since only
    /// browsers need stopping from acting for another site.
    pub(crate) fn allows(&self, origin: Option<&str>) -> bool {
        if self.origins.is_empty() {
            return true;
        }
        let Some(origin) = origin else {
            return true;
        };
        normalise(origin.trim()).is_some_and(|origin| self.origins.contains(&origin))
    }
}

/// `scheme://host[:port]` in lower case, without the scheme's default port (browsers leave
/// it out of `Origin`, a person may write it); `None` for anything else.
fn normalise(origin: &str) -> Option<String> {
    if origin.eq_ignore_ascii_case("null") {
        return Some("null".to_owned());
    }
    let (scheme, authority) = origin.split_once("://")?;
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let has_more = authority.contains(['/', '?', '#', '@']) || authority.is_empty();
    if !is_scheme || has_more {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let authority = authority.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" | "ws" => Some(":80"),
        "https" | "wss" => Some(":443"),
        _ => None,
    };
    let authority = match default_port {
        Some(port) => authority.strip_suffix(port).unwrap_or(&authority),
        None => &authority,
    };
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(origins: &[&str]) -> AllowedOrigins {
        AllowedOrigins::new(origins).unwrap()
    }

    #[test]
    fn no_list_allows_every_origin() {
        let any = AllowedOrigins::default();
        assert!(any.allows(Some("https://evil.example")));
        assert!(any.allows(None));
    }

    #[test]
    fn a_listed_origin_is_allowed_and_others_are_not() {
        let list = allowed(&["https://app.example.com", "http://localhost:3000"]);
        assert!(list.allows(Some("https://app.example.com")));
        assert!(list.allows(Some("http://localhost:3000")));
        assert!(!list.allows(Some("https://evil.example")));
        assert!(
            !list.allows(Some("http://app.example.com")),
            "another scheme"
        );
        assert!(!list.allows(Some("http://localhost:3001")), "another port");
        assert!(!list.allows(Some("https://app.example.com.evil.example")));
        assert!(!list.allows(Some("https://sub.app.example.com")));
    }

    #[test]
    fn scheme_and_host_match_without_regard_to_ascii_case() {
        let list = allowed(&["HTTPS://App.Example.com"]);
        assert!(list.allows(Some("https://app.example.COM")));
    }

    #[test]
    fn a_request_without_origin_is_allowed() {
        assert!(allowed(&["https://app.example.com"]).allows(None));
    }

    #[test]
    fn a_default_port_or_trailing_slash_in_the_list_still_matches_what_browsers_send() {
        let list = allowed(&["https://app.example.com:443/", "http://intranet:80"]);
        assert!(list.allows(Some("https://app.example.com")));
        assert!(list.allows(Some("http://intranet")));
    }

    #[test]
    fn the_opaque_origin_is_refused_unless_listed() {
        assert!(!allowed(&["https://app.example.com"]).allows(Some("null")));
        assert!(allowed(&["null"]).allows(Some("null")));
    }

    #[test]
    fn garbage_origin_headers_are_refused() {
        let list = allowed(&["https://app.example.com"]);
        for header in [
            "",
            "app.example.com",
            "https://",
            "https://app.example.com/x",
            "é",
        ] {
            assert!(!list.allows(Some(header)), "{header:?}");
        }
    }

    #[test]
    fn an_entry_that_is_not_an_origin_is_an_error() {
        for entry in [
            "app.example.com",
            "https://app.example.com/path",
            "https://",
            "://x",
        ] {
            let err = AllowedOrigins::new([entry]).unwrap_err();
            assert_eq!(err.origin, entry);
        }
    }
}
