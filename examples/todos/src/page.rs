//! The page's query parameters and console.

/// The non-empty query parameter `name` of the page's URL (`?room=groceries` → `groceries`).
pub fn param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
        .filter(|value| !value.is_empty())
}

/// A warning in the browser console.
pub fn warn(message: &str) {
    web_sys::console::warn_1(&message.into());
}
