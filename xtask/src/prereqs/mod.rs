//! Tools the selected steps need, checked before anything runs and installed when missing.
//! A new prerequisite is a file beside this one and a line in [`ensure`].

mod chromium;
pub mod node;
pub mod postgres;
pub mod system;
mod toolchain;
pub mod wasm;

use anyhow::Result;

use crate::cli::TestOptions;
use crate::suites::Suite;
use crate::workspace::Workspace;

/// Checks (and, unless `--no-install`, installs) what `options` needs. Returns the
/// environment the suites need to find what was installed.
pub fn ensure(workspace: &Workspace, options: &TestOptions) -> Result<Vec<(&'static str, String)>> {
    println!("==> prerequisites");
    let install = options.install;
    let mut env = Vec::new();
    if options.lint {
        toolchain::ensure_components(&["rustfmt", "clippy"], install)?;
    }
    let wasm = options.suites.contains(&Suite::Wasm);
    let e2e = options.suites.contains(&Suite::E2e);
    // clippy checks the browser crates for wasm32 too.
    if options.lint || wasm || e2e {
        wasm::ensure_target(install)?;
    }
    if options.suites.contains(&Suite::Rust) {
        postgres::ensure_server(install)?;
    }
    if options.suites.contains(&Suite::Interop) || wasm || e2e || options.lint {
        node::ensure_node(install)?;
        node::ensure_packages(&workspace.interop_dir(), install)?;
    }
    // The browser tests include the npm bundle at compile time: clippy compiles them too.
    if wasm || options.lint {
        node::build_browser_bundle(&workspace.interop_dir())?;
    }
    if wasm || e2e {
        let runner = wasm::ensure_test_runner(workspace, install)?;
        let driver = chromium::ensure(install)?;
        env.push((
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            runner.to_string_lossy().into_owned(),
        ));
        env.push(("CHROMEDRIVER", driver.to_string_lossy().into_owned()));
        env.push(("CHROMIUM", chromium::BROWSER.to_string()));
    }
    Ok(env)
}
