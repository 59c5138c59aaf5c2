//! Who you are to the others in the room: a name and a colour.

use serde::{Deserialize, Serialize};

/// A user as shown to others. The field names are those JavaScript Yjs editors
/// (y-codemirror, y-quill, y-prosemirror) put under `user` in awareness, so they show ycord
/// users too.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub color: String,
}

/// Colours readable on white, for carets and name tags.
const PALETTE: [&str; 8] = [
    "#d1495b", "#00798c", "#6a4c93", "#e07a00", "#2a9d8f", "#3d5a80", "#b5179e", "#588157",
];

/// Where the name is remembered between visits.
const NAME_KEY: &str = "ycord-editor/name";

/// This browser's user: the `?name=` of the URL, else the name remembered from an earlier
/// visit, else a new guest name (remembered from now on).
pub fn local_user() -> User {
    let storage = web_sys::window().and_then(|window| window.local_storage().ok().flatten());
    let remembered = storage
        .as_ref()
        .and_then(|storage| storage.get_item(NAME_KEY).ok().flatten());
    let name = crate::page::param("name")
        .or(remembered)
        .unwrap_or_else(|| format!("Guest {}", (js_sys::Math::random() * 9000.0) as u32 + 1000));
    if let Some(storage) = &storage {
        let _ = storage.set_item(NAME_KEY, &name);
    }
    let color = colour_of(&name).to_string();
    User { name, color }
}

/// The same name always gets the same colour, on every machine.
fn colour_of(name: &str) -> &'static str {
    let hash = name.bytes().fold(0u32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(byte.into())
    });
    PALETTE[hash as usize % PALETTE.len()]
}
