//! The test suites `cargo xtask test` runs after the build. A new suite is a variant here, a
//! file beside this one, and (if it needs tools) a line in `prereqs::ensure`.

mod e2e;
mod interop;
mod rust;
pub mod wasm;

use std::str::FromStr;

use anyhow::{bail, Result};

use crate::outcome::StepResult;
use crate::workspace::Workspace;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// `cargo test --workspace --all-features`: unit, integration and doc tests of every
    /// crate, with a throwaway PostgreSQL server for the PostgreSQL store.
    Rust,
    /// The Node suite in `interop/tests/`: real yjs / y-websocket clients and the Rust agent
    /// against the real `ycord` binary and the reference Node server.
    Interop,
    /// wasm-bindgen-test suites of the browser crates in headless Chromium, against a real
    /// `ycord` server started for them.
    Wasm,
    /// The browser examples built for production and served by `ycord`, driven in Chromium by
    /// playwright-core: typing, presence, offline, reload from IndexedDB, the JS interop page.
    E2e,
}

impl Suite {
    pub const ALL: [Suite; 4] = [Suite::Rust, Suite::Interop, Suite::Wasm, Suite::E2e];

    pub fn name(self) -> &'static str {
        match self {
            Suite::Rust => "rust",
            Suite::Interop => "interop",
            Suite::Wasm => "wasm",
            Suite::E2e => "e2e",
        }
    }

    /// Runs the suite with `env` (what the started services tell the tests) set.
    pub fn run(self, workspace: &Workspace, env: &[(&str, String)]) -> Result<StepResult> {
        match self {
            Suite::Rust => rust::run(workspace, env),
            Suite::Interop => interop::run(workspace, env),
            Suite::Wasm => wasm::run(workspace, env),
            Suite::E2e => e2e::run(workspace, env),
        }
    }
}

impl FromStr for Suite {
    type Err = anyhow::Error;

    fn from_str(name: &str) -> Result<Self> {
        match Suite::ALL.into_iter().find(|suite| suite.name() == name) {
            Some(suite) => Ok(suite),
            None => {
                let known: Vec<_> = Suite::ALL.iter().map(|suite| suite.name()).collect();
                bail!("unknown suite {name:?} (known: {})", known.join(", "))
            }
        }
    }
}
