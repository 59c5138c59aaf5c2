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
    if old == new {
        return None;
    }
    let mut prefix_bytes = 0usize;
    let mut prefix_units = 0u32;
    for (a, b) in old.chars().zip(new.chars()) {
        if a != b {
            break;
        }
        prefix_bytes += a.len_utf8();
        prefix_units += a.len_utf16() as u32;
    }
    let (old_rest, new_rest) = (&old[prefix_bytes..], &new[prefix_bytes..]);
    let mut suffix_bytes = 0usize;
    for (a, b) in old_rest.chars().rev().zip(new_rest.chars().rev()) {
        if a != b {
            break;
        }
        suffix_bytes += a.len_utf8();
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
}
