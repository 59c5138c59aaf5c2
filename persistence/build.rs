//! The browser tests import the real yjs / y-indexeddb npm packages from a bundle that
//! `npm run build:browser` (in `interop/`) generates. When it is missing, the tests fail to
//! compile with instructions (cfg `ycord_js_bundle_missing`) instead of a bare "file not found".

use std::path::Path;

const BUNDLE: &str = "../interop/browser/dist/yjs-browser.js";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ycord_js_bundle_missing)");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        return;
    }
    println!("cargo::rerun-if-changed={BUNDLE}");
    if !Path::new(BUNDLE).exists() {
        println!("cargo::rustc-cfg=ycord_js_bundle_missing");
    }
}
