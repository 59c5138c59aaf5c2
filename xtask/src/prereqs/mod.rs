//! Tools the selected steps need, checked before anything runs and installed when missing.
//! A new prerequisite is a file beside this one, a field of [`Needs`] and a line in
//! [`ensure`]. This layer knows tools, not steps: each step says what it needs.

mod chromium;
pub mod node;
pub mod postgres;
pub mod redis;
pub mod system;
mod toolchain;
pub mod wasm;

use anyhow::Result;

use crate::workspace::Workspace;

/// What a step needs installed before it runs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// The rustfmt and clippy components.
    pub lint_components: bool,
    /// The wasm32 target.
    pub wasm_target: bool,
    /// PostgreSQL's server binaries.
    pub postgres: bool,
    /// `redis-server`.
    pub redis: bool,
    /// node, npm and the npm packages of `interop/`.
    pub node_packages: bool,
    /// The npm bundle that browser tests include at compile time (built from the packages).
    pub browser_bundle: bool,
    /// The wasm-bindgen test runner matching Cargo.lock, Chromium and chromedriver.
    pub browser: bool,
}

impl Needs {
    /// Nothing to install.
    pub const NOTHING: Needs = Needs {
        lint_components: false,
        wasm_target: false,
        postgres: false,
        redis: false,
        node_packages: false,
        browser_bundle: false,
        browser: false,
    };

    /// What `self` or `other` needs.
    pub fn and(self, other: Needs) -> Needs {
        Needs {
            lint_components: self.lint_components || other.lint_components,
            wasm_target: self.wasm_target || other.wasm_target,
            postgres: self.postgres || other.postgres,
            redis: self.redis || other.redis,
            node_packages: self.node_packages || other.node_packages,
            browser_bundle: self.browser_bundle || other.browser_bundle,
            browser: self.browser || other.browser,
        }
    }
}

/// Checks (and when `install` is set, installs) what `needs` lists. Returns the
/// environment the steps need to find what was installed.
pub fn ensure(
    workspace: &Workspace,
    needs: Needs,
    install: bool,
) -> Result<Vec<(&'static str, String)>> {
    println!("==> prerequisites");
    let mut env = Vec::new();
    if needs.lint_components {
        toolchain::ensure_components(&["rustfmt", "clippy"], install)?;
    }
    if needs.wasm_target {
        wasm::ensure_target(install)?;
    }
    if needs.postgres {
        postgres::ensure_server(install)?;
    }
    if needs.redis {
        redis::ensure_server(install)?;
    }
    if needs.node_packages {
        node::ensure_node(install)?;
        node::ensure_packages(&workspace.interop_dir(), install)?;
    }
    if needs.browser_bundle {
        node::build_browser_bundle(&workspace.interop_dir())?;
    }
    if needs.browser {
        let runner = wasm::ensure_test_runner(workspace, install)?;
        let driver = chromium::ensure(install)?;
        env.push((wasm::RUNNER_VARIABLE, runner.to_string_lossy().into_owned()));
        env.push(("CHROMEDRIVER", driver.to_string_lossy().into_owned()));
        env.push(("CHROMIUM", chromium::BROWSER.to_string()));
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_combine_field_by_field() {
        let lint = Needs {
            lint_components: true,
            node_packages: true,
            ..Needs::NOTHING
        };
        let rust = Needs {
            postgres: true,
            redis: true,
            ..Needs::NOTHING
        };
        let both = lint.and(rust);
        assert!(both.lint_components && both.node_packages && both.postgres && both.redis);
        assert!(!both.wasm_target && !both.browser_bundle && !both.browser);
        assert_eq!(Needs::NOTHING.and(Needs::NOTHING), Needs::default());
    }
}
