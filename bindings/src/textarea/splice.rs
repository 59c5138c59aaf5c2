//! The minimal edit between two strings and caret mapping, in UTF-16 code units.
//!
//! Browsers report textarea values and selections in UTF-16 code units, and documents from
//! `ycord_provider::new_doc` count text offsets the same way, so positions pass through
//! unchanged. The diff compares whole characters, so it never splits a surrogate pair.

use crate::text::TextDelta;

/// One contiguous replacement: delete `delete` units at `index`, then insert `insert` there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    /// Where the edit starts (UTF-16 code units).
    pub index: u32,
    /// How many units to delete.
    pub delete: u32,
    /// What to insert.
    pub insert: String,
}

/// The single replacement that turns `old` into `new` (common prefix and suffix kept);
/// `None` when they are equal.
pub fn utf16_splice(old: &str, new: &str) -> Option<Splice> {
    utf16_splice_around(old, new, u32::MAX, 0)
}

/// [`utf16_splice`] for an edit made at the units `start..end` of `old` (where the caret or
/// selection was): of the equally small splices, the one that covers `start..end`.
///
/// A plain diff cannot tell where a character went in when it repeats its neighbour (typing
/// "w" in front of "world" looks like an insertion after the "w"). That is harmless when the
/// edit is applied as it is, but an edit moved over other changes must be where the user made
/// it. When covering `start..end` would take a larger splice that does not replace exactly
/// `start..end`, the edit was made elsewhere (an input method may compose a word away from the
/// caret) and the plain one is returned.
pub(crate) fn utf16_splice_near(old: &str, new: &str, start: u32, end: u32) -> Option<Splice> {
    let plain = utf16_splice(old, new)?;
    let near = utf16_splice_around(old, new, start, end)?;
    let same_size = near.delete == plain.delete && near.insert.len() == plain.insert.len();
    let replaces_selection = near.index == start && near.index + near.delete == end;
    Some(if same_size || replaces_selection {
        near
    } else {
        plain
    })
}

/// The splice whose kept prefix ends at `start` at the latest and whose kept suffix starts at
/// `end` at the earliest.
fn utf16_splice_around(old: &str, new: &str, start: u32, end: u32) -> Option<Splice> {
    if old == new {
        return None;
    }
    let mut prefix_bytes = 0usize;
    let mut prefix_units = 0u32;
    for (a, b) in old.chars().zip(new.chars()) {
        if a != b || prefix_units + a.len_utf16() as u32 > start {
            break;
        }
        prefix_bytes += a.len_utf8();
        prefix_units += a.len_utf16() as u32;
    }
    let (old_rest, new_rest) = (&old[prefix_bytes..], &new[prefix_bytes..]);
    // With `end` at 0 any suffix is allowed; skipping the count keeps a plain diff (run on
    // every keystroke) at one pass over the text.
    let max_suffix = match end {
        0 => u32::MAX,
        _ => (old.encode_utf16().count() as u32).saturating_sub(end),
    };
    let mut suffix_bytes = 0usize;
    let mut suffix_units = 0u32;
    for (a, b) in old_rest.chars().rev().zip(new_rest.chars().rev()) {
        if a != b || suffix_units + a.len_utf16() as u32 > max_suffix {
            break;
        }
        suffix_bytes += a.len_utf8();
        suffix_units += a.len_utf16() as u32;
    }
    let removed = &old_rest[..old_rest.len() - suffix_bytes];
    let inserted = &new_rest[..new_rest.len() - suffix_bytes];
    Some(Splice {
        index: prefix_units,
        delete: removed.encode_utf16().count() as u32,
        insert: inserted.to_owned(),
    })
}

/// Where a position in the text before `delta` ends up after it, staying on the same
/// character. Text inserted exactly at the position lands before it when `stick_right` (a caret
/// in front of a character follows that character), after it otherwise (the end of a selection
/// does not grow over text typed at its edge).
pub fn map_position(position: u32, delta: &[TextDelta], stick_right: bool) -> u32 {
    let mut old_at = 0u32;
    let mut new_at = 0u32;
    for step in delta {
        match step {
            TextDelta::Retain(n) => {
                if old_at + n > position {
                    break;
                }
                old_at += n;
                new_at += n;
            }
            TextDelta::Insert(s) => {
                if old_at == position && !stick_right {
                    break;
                }
                new_at += s.encode_utf16().count() as u32;
            }
            TextDelta::Delete(n) => {
                if old_at + n > position {
                    // The position was inside the deleted range: it collapses to its start.
                    return new_at;
                }
                old_at += n;
            }
        }
    }
    new_at + (position - old_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_counts_utf16_units_and_keeps_surrogate_pairs_whole() {
        let s = utf16_splice("a😀b", "a😀xb").unwrap();
        assert_eq!(
            s,
            Splice {
                index: 3,
                delete: 0,
                insert: "x".into()
            }
        );
        let s = utf16_splice("a😀b", "ab").unwrap();
        assert_eq!(
            s,
            Splice {
                index: 1,
                delete: 2,
                insert: String::new()
            }
        );
        // Two emoji sharing the high surrogate must not be split.
        let s = utf16_splice("😀", "😁").unwrap();
        assert_eq!(
            s,
            Splice {
                index: 0,
                delete: 2,
                insert: "😁".into()
            }
        );
        assert_eq!(utf16_splice("same", "same"), None);
    }

    #[test]
    fn splice_of_repeated_characters_is_minimal() {
        let s = utf16_splice("aaa", "aaaa").unwrap();
        assert_eq!((s.delete, s.insert.as_str()), (0, "a"));
        let s = utf16_splice("héllo", "hello").unwrap();
        assert_eq!(
            s,
            Splice {
                index: 1,
                delete: 1,
                insert: "e".into()
            }
        );
    }

    #[test]
    fn positions_follow_their_character() {
        use TextDelta::*;
        // "hello" → "XXhello": the caret before 'l' (2) moves to 4.
        assert_eq!(map_position(2, &[Insert("XX".into())], true), 4);
        // Insert after the caret: unchanged.
        assert_eq!(map_position(2, &[Retain(3), Insert("X".into())], true), 2);
        // Insert exactly at the caret.
        assert_eq!(map_position(2, &[Retain(2), Insert("X".into())], true), 3);
        assert_eq!(map_position(2, &[Retain(2), Insert("X".into())], false), 2);
        // Delete before the caret.
        assert_eq!(map_position(4, &[Retain(1), Delete(2)], true), 2);
        // Delete around the caret collapses it to the deletion point.
        assert_eq!(map_position(3, &[Retain(1), Delete(4)], true), 1);
        // Surrogate pairs count two units.
        assert_eq!(map_position(1, &[Insert("😀".into())], true), 3);
    }

    #[test]
    fn an_edit_made_at_the_caret_is_placed_there_even_between_equal_characters() {
        // "w" typed in front of "world": a plain diff puts it after the existing "w".
        assert_eq!(
            utf16_splice("hello world", "hello wworld").unwrap().index,
            7
        );
        let s = utf16_splice_near("hello world", "hello wworld", 6, 6).unwrap();
        assert_eq!(
            s,
            Splice {
                index: 6,
                delete: 0,
                insert: "w".into()
            }
        );
        // The selection "ab" of "aabb" replaced by "a": the edit covers 1..3, although deleting
        // the last "b" gives the same text.
        assert_eq!(utf16_splice("aabb", "aab").unwrap().index, 3);
        let s = utf16_splice_near("aabb", "aab", 1, 3).unwrap();
        assert_eq!(
            s,
            Splice {
                index: 1,
                delete: 2,
                insert: "a".into()
            }
        );
    }

    #[test]
    fn an_edit_made_away_from_the_caret_keeps_its_minimal_splice() {
        // The caret was at 0, but "two" was composed into "2".
        let s = utf16_splice_near("one two three", "one 2 three", 0, 0).unwrap();
        assert_eq!(
            s,
            Splice {
                index: 4,
                delete: 3,
                insert: "2".into()
            }
        );
    }
}
