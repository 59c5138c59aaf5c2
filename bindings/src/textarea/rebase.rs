//! A local edit made against an older view of a text, moved over the remote changes that
//! arrived since.
//!
//! While an input method composes (CJK, dead keys, phone keyboards), the textarea must not be
//! rewritten, or the browser ends the composition. Remote changes are held back, and when the
//! composition ends the user's edit is a [`Splice`] of the old view: it is rebased here over
//! the held-back deltas before it is applied to the document.

use super::splice::{map_position, Splice};
use crate::text::TextDelta;

/// The units `start..end` of the text before `delta`, where they are after it: the pieces of
/// the range that `delta` kept, in order. Text inserted inside the range is not part of it (the
/// range comes back split around it) and units `delta` deleted are gone.
pub fn map_range(start: u32, end: u32, delta: &[TextDelta]) -> Vec<(u32, u32)> {
    let mut pieces = Vec::new();
    let (mut old_at, mut new_at) = (0u32, 0u32);
    for step in delta {
        if old_at >= end {
            break;
        }
        match step {
            TextDelta::Retain(n) => {
                push_overlap(&mut pieces, start, end, old_at, old_at + n, new_at);
                old_at += n;
                new_at += n;
            }
            TextDelta::Insert(s) => new_at += s.encode_utf16().count() as u32,
            TextDelta::Delete(n) => old_at += n,
        }
    }
    // Past its last step, a delta keeps everything.
    push_overlap(&mut pieces, start, end, old_at, u32::MAX, new_at);
    pieces
}

/// Adds the part of `start..end` inside the kept run `from..to` (old offsets), which begins at
/// `new_at` after the change; joins it to the previous piece when they touch.
fn push_overlap(
    pieces: &mut Vec<(u32, u32)>,
    start: u32,
    end: u32,
    from: u32,
    to: u32,
    new_at: u32,
) {
    let (a, b) = (start.max(from), end.min(to));
    if a >= b {
        return;
    }
    let piece = (new_at + (a - from), new_at + (b - from));
    match pieces.last_mut() {
        Some(last) if last.1 == piece.0 => last.1 = piece.1,
        _ => pieces.push(piece),
    }
}

/// A [`Splice`] of an old view, moved over the changes made to the text since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebased {
    /// The ranges to delete, in the current text: what is left of the units the splice
    /// replaced. Ascending; delete them from the last.
    pub deletes: Vec<(u32, u32)>,
    /// Where the inserted text goes, in the current text once `deletes` are gone.
    pub at: u32,
    /// The text to insert.
    pub insert: String,
    splice: Splice,
    insert_units: u32,
    deleted_units: u32,
    deltas: Vec<Vec<TextDelta>>,
}

impl Rebased {
    /// Moves `splice`, an edit of the text as it was before `deltas` (oldest first), over them.
    pub fn new(splice: Splice, deltas: Vec<Vec<TextDelta>>) -> Self {
        let mut deletes = Vec::new();
        if splice.delete > 0 {
            deletes.push((splice.index, splice.index + splice.delete));
        }
        let mut at = splice.index;
        for delta in &deltas {
            deletes = deletes
                .iter()
                .flat_map(|&(s, e)| map_range(s, e, delta))
                .collect();
            at = map_position(at, delta, true);
        }
        // The replacement goes where the first surviving replaced unit is.
        if let Some(&(first, _)) = deletes.first() {
            at = first;
        }
        let deleted_units = deletes.iter().map(|(s, e)| e - s).sum();
        Rebased {
            deletes,
            at,
            insert: splice.insert.clone(),
            insert_units: splice.insert.encode_utf16().count() as u32,
            deleted_units,
            splice,
            deltas,
        }
    }

    /// Where `position`, an offset of the edited view (the old text with the splice applied),
    /// is in the text once the rebased splice is applied: on the same character. Text a peer
    /// inserted exactly there lands before it when `stick_right`, as in [`map_position`].
    pub fn map_position(&self, position: u32, stick_right: bool) -> u32 {
        let Splice { index, delete, .. } = self.splice;
        if position >= index && position <= index + self.insert_units {
            // Within the user's own insertion, which moved as a block.
            return self.at + (position - index);
        }
        let (old, after_splice) = if position < index {
            (position, false)
        } else {
            (position - self.insert_units + delete, true)
        };
        let mapped = self
            .deltas
            .iter()
            .fold(old, |p, delta| map_position(p, delta, stick_right));
        if after_splice {
            mapped - self.deleted_units + self.insert_units
        } else {
            mapped
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::textarea::utf16_splice;
    use TextDelta::*;

    fn apply(text: &str, delta: &[TextDelta]) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        let (mut out, mut at) = (Vec::new(), 0usize);
        for step in delta {
            match step {
                Retain(n) => {
                    out.extend_from_slice(&units[at..at + *n as usize]);
                    at += *n as usize;
                }
                Insert(s) => out.extend(s.encode_utf16()),
                Delete(n) => at += *n as usize,
            }
        }
        out.extend_from_slice(&units[at..]);
        String::from_utf16(&out).unwrap()
    }

    /// The user edits `base` into `edited` while the peers' `remote` deltas apply to `base`:
    /// the document after the peers' changes, and the user's edit rebased onto it.
    fn rebase(base: &str, edited: &str, remote: Vec<Vec<TextDelta>>) -> (String, Rebased) {
        let now = remote.iter().fold(base.to_owned(), |t, d| apply(&t, d));
        (
            now,
            Rebased::new(utf16_splice(base, edited).unwrap(), remote),
        )
    }

    fn apply_rebased(text: &str, r: &Rebased) -> String {
        let mut units: Vec<u16> = text.encode_utf16().collect();
        for &(s, e) in r.deletes.iter().rev() {
            units.drain(s as usize..e as usize);
        }
        let at = r.at as usize;
        units.splice(at..at, r.insert.encode_utf16());
        String::from_utf16(&units).unwrap()
    }

    #[test]
    fn a_range_comes_back_split_around_text_inserted_inside_it() {
        assert_eq!(
            map_range(2, 6, &[Retain(4), Insert("xy".into())]),
            vec![(2, 4), (6, 8)]
        );
        // Inserted at the edges: outside the range.
        assert_eq!(
            map_range(2, 6, &[Retain(2), Insert("x".into())]),
            vec![(3, 7)]
        );
        assert_eq!(
            map_range(2, 6, &[Retain(6), Insert("x".into())]),
            vec![(2, 6)]
        );
    }

    #[test]
    fn deleted_units_leave_the_range() {
        assert_eq!(map_range(2, 6, &[Retain(3), Delete(2)]), vec![(2, 4)]);
        assert_eq!(map_range(2, 6, &[Delete(10)]), vec![]);
        assert_eq!(map_range(2, 6, &[Delete(1)]), vec![(1, 5)]);
    }

    #[test]
    fn a_composed_insertion_lands_where_the_user_typed_after_remote_edits() {
        let base = "hello world";
        // The user composes "日本" after "hello " while a peer adds a prefix and a suffix.
        let edited = "hello 日本world";
        let remote = vec![
            vec![Insert("big ".into())],
            vec![Retain(15), Insert("!".into())],
        ];
        let (now, r) = rebase(base, edited, remote);
        assert_eq!(now, "big hello world!");
        assert_eq!(apply_rebased(&now, &r), "big hello 日本world!");
        // The caret after the composed text stays after it; one before the edit stays put.
        assert_eq!(r.map_position(8, true), 4 + 8);
        assert_eq!(r.map_position(0, true), 4);
        assert_eq!(r.map_position(9, true), 13, "in front of the 'o' of world");
    }

    #[test]
    fn replaced_text_is_removed_but_a_peer_insertion_inside_it_survives() {
        let base = "one two three";
        // The composition replaced "two" (a phone keyboard composes the word at the caret).
        let edited = "one 2 three";
        // Meanwhile a peer put "X" in the middle of "two".
        let remote = vec![vec![Retain(5), Insert("X".into())]];
        let (now, r) = rebase(base, edited, remote);
        assert_eq!(now, "one tXwo three");
        assert_eq!(r.deletes, vec![(4, 5), (6, 8)]);
        assert_eq!(apply_rebased(&now, &r), "one 2X three");
        assert_eq!(
            r.map_position(5, true),
            5,
            "the caret after the composed '2'"
        );
    }

    #[test]
    fn replaced_text_the_peer_already_deleted_is_not_deleted_twice() {
        let base = "abcdef";
        let edited = "abXYef"; // "cd" replaced by "XY"
        let remote = vec![vec![Retain(1), Delete(4)]]; // peer deleted "bcde"
        let (now, r) = rebase(base, edited, remote);
        assert_eq!(now, "af");
        assert!(r.deletes.is_empty());
        assert_eq!(apply_rebased(&now, &r), "aXYf");
        assert_eq!(
            r.map_position(6, true),
            4,
            "the end of the text stays the end"
        );
    }

    #[test]
    fn with_no_remote_change_the_splice_is_applied_as_it_is() {
        let r = Rebased::new(utf16_splice("a😀b", "a😀中b").unwrap(), Vec::new());
        assert_eq!(r.deletes, vec![]);
        assert_eq!(r.at, 3);
        assert_eq!(r.insert, "中");
        assert_eq!(r.map_position(4, true), 4);
    }
}
