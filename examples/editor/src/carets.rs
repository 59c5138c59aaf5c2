//! Carets in awareness: where each user's selection is, as positions that stay on the same
//! characters while the text changes around them.

use serde::{Deserialize, Serialize};
use yrs::{Assoc, Doc, IndexedSequence, StickyIndex, Text, TextRef, Transact};

use crate::identity::User;

/// What each client publishes in awareness. `user` and `cursor` (`anchor`/`head` as Yjs
/// relative positions in their JSON form) follow the JavaScript editors' convention.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PeerState {
    pub user: User,
    #[serde(default)]
    pub cursor: Option<Cursor>,
}

/// A selection: `anchor` where it started, `head` where the caret is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub anchor: StickyIndex,
    pub head: StickyIndex,
}

impl Cursor {
    /// The selection `anchor..head` (UTF-16 offsets, as the browser counts) of `text`.
    pub fn at(doc: &Doc, text: &TextRef, anchor: u32, head: u32) -> Option<Cursor> {
        let txn = doc.transact();
        // After the last character there is no character to stick to: that position is "the
        // end of the text", as Yjs encodes it.
        let at = |index| {
            text.sticky_index(&txn, index, Assoc::After).or_else(|| {
                (index >= text.len(&txn)).then(|| StickyIndex::from_type(&txn, text, Assoc::After))
            })
        };
        Some(Cursor {
            anchor: at(anchor)?,
            head: at(head)?,
        })
    }

    /// Where the caret is now (UTF-16 offset), if its text still exists.
    pub fn head_offset(&self, doc: &Doc) -> Option<u32> {
        Some(self.head.get_offset(&doc.transact())?.index)
    }
}

/// A remote caret placed in the text.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedCaret {
    pub client_id: u64,
    pub user: User,
    /// UTF-16 offset.
    pub offset: u32,
    /// 1-based line and column (in characters), for the people list.
    pub line: u32,
    pub column: u32,
}

/// Places each peer's caret in `text` (the document's current string).
pub fn place(doc: &Doc, text: &str, peers: &[(u64, PeerState)]) -> Vec<PlacedCaret> {
    peers
        .iter()
        .filter_map(|(client_id, peer)| {
            let offset = peer.cursor.as_ref()?.head_offset(doc)?;
            let (line, column) = line_and_column(text, offset);
            Some(PlacedCaret {
                client_id: *client_id,
                user: peer.user.clone(),
                offset,
                line,
                column,
            })
        })
        .collect()
}

/// A piece of the mirror drawn under the textarea: text, or a caret between two characters.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Text(String),
    Caret(PlacedCaret),
}

/// `text` cut at every caret, in order. Offsets past the end put the caret at the end.
pub fn pieces(text: &str, carets: &[PlacedCaret]) -> Vec<Piece> {
    let mut carets = carets.to_vec();
    carets.sort_by_key(|caret| caret.offset);
    let mut pieces = Vec::with_capacity(carets.len() * 2 + 1);
    let mut rest = text;
    let mut consumed = 0u32;
    for caret in carets {
        let cut = byte_index(rest, caret.offset.saturating_sub(consumed));
        if cut > 0 {
            pieces.push(Piece::Text(rest[..cut].to_string()));
            consumed += rest[..cut].encode_utf16().count() as u32;
            rest = &rest[cut..];
        }
        pieces.push(Piece::Caret(caret));
    }
    pieces.push(Piece::Text(rest.to_string()));
    pieces
}

/// The byte index of UTF-16 offset `units` in `text`, rounded down to a character boundary.
fn byte_index(text: &str, units: u32) -> usize {
    let mut counted = 0;
    for (index, ch) in text.char_indices() {
        if counted >= units {
            return index;
        }
        counted += ch.len_utf16() as u32;
        if counted > units {
            return index;
        }
    }
    text.len()
}

fn line_and_column(text: &str, offset: u32) -> (u32, u32) {
    let before = &text[..byte_index(text, offset)];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
    (line, column)
}
