//! What the page tells the app (its query parameters) and what the app tells the page (when
//! the content appeared), for people and for the end-to-end tests.

/// The non-empty query parameter `name` of the page's URL (`?room=notes` → `notes`).
pub fn param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
        .filter(|value| !value.is_empty())
}

/// Records that `milestone` happened, in milliseconds since the page started loading, as
/// `<body data-MILESTONE-ms="…">`.
pub fn mark(milestone: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(elapsed) = window.performance().map(|performance| performance.now()) else {
        return;
    };
    if let Some(body) = window.document().and_then(|document| document.body()) {
        let _ = body.set_attribute(&format!("data-{milestone}-ms"), &format!("{elapsed:.1}"));
    }
}

/// A warning in the browser console.
pub fn warn(message: &str) {
    web_sys::console::warn_1(&message.into());
}
