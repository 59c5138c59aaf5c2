//! The relay at the page's own origin.

/// The WebSocket URL of the server that served the current page: `ws://host:port` for an
/// `http:` page, `wss://host:port` for an `https:` one. This is the relay of an app served by
/// `ycord --static-dir`, which serves files and rooms on one port. `None` outside a window
/// (in a worker) or on a page not loaded over HTTP.
pub fn page_relay_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = match location.protocol().ok()?.as_str() {
        "http:" => "ws",
        "https:" => "wss",
        _ => return None,
    };
    Some(format!("{scheme}://{}", location.host().ok()?))
}
