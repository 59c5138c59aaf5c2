//! The test suites `cargo xtask test` runs after the build. A new suite is a variant here, a
//! file beside this one, and (if it needs tools) its line in [`Suite::needs`].

mod e2e;
mod interop;
mod rust;
pub mod wasm;

use anyhow::Result;
use clap::builder::PossibleValue;
use clap::ValueEnum;

use crate::outcome::StepResult;
use crate::prereqs::Needs;
use crate::workspace::Workspace;

/// One test suite; `--suite` takes its [`name`](Suite::name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// `cargo test --workspace --all-features`: unit, integration and doc tests of every
    /// crate, with a throwaway PostgreSQL server for the PostgreSQL store and a throwaway
    /// Redis server for the cluster's streams.
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
    /// Every suite, in the order they run.
    pub const ALL: [Suite; 4] = [Suite::Rust, Suite::Interop, Suite::Wasm, Suite::E2e];

    /// The suite's name on the command line and in the summary.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Rust => "rust",
            Suite::Interop => "interop",
            Suite::Wasm => "wasm",
            Suite::E2e => "e2e",
        }
    }

    /// The tools the suite needs installed.
    pub fn needs(self) -> Needs {
        match self {
            Suite::Rust => Needs {
                postgres: true,
                redis: true,
                ..Needs::NOTHING
            },
            // The cluster tests run several ycord nodes on PostgreSQL and Redis.
            Suite::Interop => Needs {
                node_packages: true,
                postgres: true,
                redis: true,
                ..Needs::NOTHING
            },
            // The browser tests include the npm bundle at compile time.
            Suite::Wasm => Needs {
                wasm_target: true,
                node_packages: true,
                browser_bundle: true,
                browser: true,
                ..Needs::NOTHING
            },
            Suite::E2e => Needs {
                wasm_target: true,
                node_packages: true,
                browser: true,
                ..Needs::NOTHING
            },
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

/// `--suite NAME`: the names are [`Suite::name`], so the summary and the command line agree.
impl ValueEnum for Suite {
    fn value_variants<'a>() -> &'a [Self] {
        &Suite::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}
