//! Documents configured for JavaScript peers.

use yrs::{ClientID, Doc, OffsetKind, Options};

/// A document configured the way Yjs 13 peers expect: a random 32-bit client id (yrs's default
/// 53-bit ids make every update about 20 % larger) and UTF-16 text offsets, so indices match
/// JavaScript strings. Other options are yrs's defaults.
pub fn new_doc() -> Doc {
    Doc::with_options(Options {
        client_id: ClientID::new(u64::from(fastrand::u32(..))),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_doc_uses_32_bit_client_ids_and_utf16_offsets() {
        for _ in 0..100 {
            let doc = new_doc();
            assert!(doc.client_id().get() <= u64::from(u32::MAX));
            assert_eq!(doc.offset_kind(), OffsetKind::Utf16);
        }
    }
}
