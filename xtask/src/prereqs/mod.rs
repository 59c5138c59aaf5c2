//! Tools the selected steps need, checked before anything runs and installed when missing.
//! A new prerequisite is a file beside this one and a line in [`ensure`].

mod node;
pub mod postgres;
pub mod system;
mod toolchain;

use anyhow::Result;

use crate::cli::TestOptions;
use crate::suites::Suite;
use crate::workspace::Workspace;

/// Checks (and, unless `--no-install`, installs) what `options` needs.
pub fn ensure(workspace: &Workspace, options: &TestOptions) -> Result<()> {
    println!("==> prerequisites");
    let install = options.install;
    if options.lint {
        toolchain::ensure_components(&["rustfmt", "clippy"], install)?;
    }
    if options.suites.contains(&Suite::Rust) {
        postgres::ensure_server(install)?;
    }
    if options.suites.contains(&Suite::Interop) {
        node::ensure_node(install)?;
        node::ensure_packages(&workspace.interop_dir(), install)?;
    }
    Ok(())
}
