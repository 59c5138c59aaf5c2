//! Document addresses: the string in front of every Hocuspocus message.

/// Longest document address, in bytes, that [`super::decode`] accepts.
///
/// Hocuspocus itself sets no limit. Every frame repeats the address, and a server keys its
/// state by it, so ycord refuses addresses no real document name needs: 1 KiB leaves room for
/// a path-like name, a UUID and a session suffix many times over.
pub const MAX_DOCUMENT_NAME_BYTES: usize = 1024;

/// What separates the document name from a session id in a [`DocumentAddress`].
pub const SESSION_SEPARATOR: char = '\0';

/// A document address split into its parts.
///
/// A provider created with `sessionAwareness: true` addresses its messages to
/// `name \0 sessionId`, so that several providers for one document can share a socket; the
/// server routes by the name and answers to the whole address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocumentAddress<'a> {
    /// The document name: everything before the first `\0`.
    pub name: &'a str,
    /// The session id after the first `\0`, if there is one.
    pub session: Option<&'a str>,
}

impl<'a> DocumentAddress<'a> {
    /// Splits an address at its first `\0`; an address without one is a plain document name.
    pub fn parse(address: &'a str) -> Self {
        match address.split_once(SESSION_SEPARATOR) {
            Some((name, session)) => DocumentAddress {
                name,
                session: Some(session),
            },
            None => DocumentAddress {
                name: address,
                session: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_address_splits_at_the_first_nul() {
        let address = DocumentAddress::parse("notes/demo\0k3x\0y");
        assert_eq!(address.name, "notes/demo");
        assert_eq!(address.session, Some("k3x\0y"));
    }

    #[test]
    fn a_plain_address_is_the_document_name() {
        let address = DocumentAddress::parse("notes/demo");
        assert_eq!(address.name, "notes/demo");
        assert_eq!(address.session, None);
    }
}
