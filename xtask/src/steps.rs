//! `cargo xtask test`: the order of the steps and what a failure skips.

use anyhow::{Context, Result};
use clap::ArgAction;

use crate::outcome::{StepResult, Summary};
use crate::prereqs::Needs;
use crate::services::postgres::TestPostgres;
use crate::services::redis::TestRedis;
use crate::suites::Suite;
use crate::workspace::Workspace;
use crate::{lint, msrv, prereqs, process};

/// Options of `cargo xtask test`.
#[derive(Debug, clap::Args)]
pub struct TestOptions {
    /// Run only this suite; repeat or comma-separate for several [default: all]
    #[arg(long = "suite", value_name = "NAME", value_delimiter = ',')]
    chosen: Vec<Suite>,
    /// Skip the lint steps: `cargo fmt --check`, the rust-version check and `cargo clippy`
    #[arg(long = "no-lint", action = ArgAction::SetFalse)]
    pub lint: bool,
    /// Fail instead of installing missing prerequisites
    #[arg(long = "no-install", action = ArgAction::SetFalse)]
    pub install: bool,
}

impl TestOptions {
    /// The suites to run, in the order of [`Suite::ALL`]: those chosen, or all.
    pub fn suites(&self) -> Vec<Suite> {
        Suite::ALL
            .into_iter()
            .filter(|suite| self.chosen.is_empty() || self.chosen.contains(suite))
            .collect()
    }

    /// What the selected steps need installed.
    fn needs(&self) -> Needs {
        let lint = if self.lint {
            lint::NEEDS
        } else {
            Needs::NOTHING
        };
        self.suites()
            .into_iter()
            .fold(lint, |needs, suite| needs.and(suite.needs()))
    }
}

/// Runs every step of `options`; `Ok(false)` if any failed. `Err` only when the steps cannot
/// start at all (a prerequisite is missing and cannot be installed).
pub fn test(options: &TestOptions) -> Result<bool> {
    let workspace = Workspace::locate()?;
    let installed_env = prereqs::ensure(&workspace, options.needs(), options.install)?;
    let suites = options.suites();
    // With lint on, clippy runs inside the builds (see Workspace::with_clippy): natively in
    // the build step, for wasm32 in the builds of the wasm and e2e suites.
    let workspace = if options.lint {
        workspace.with_clippy()?
    } else {
        workspace
    };

    let mut summary = Summary::default();
    if options.lint {
        summary.run("fmt", || lint::fmt(&workspace));
        summary.run("msrv", || msrv::check(&workspace));
    }
    let build_step = if options.lint {
        "build+clippy"
    } else {
        "build"
    };
    let built = summary.run(build_step, || build(&workspace));
    // Without both browser suites, the wasm32 code is linted on its own.
    let browser_builds = suites.contains(&Suite::Wasm) && suites.contains(&Suite::E2e);
    if options.lint && !browser_builds {
        summary.run("clippy wasm32", || lint::clippy_wasm(&workspace));
    }

    // Stopped when dropped at the end of this function, whatever the suites did. A suite that
    // needs PostgreSQL or Redis installed gets a throwaway server of each (the rust suite tests
    // the stores and the streams, the interop suite runs clusters of ycord processes).
    let mut postgres = None;
    let mut redis = None;
    let needs_services = built && suites.iter().any(|suite| uses_services(*suite));
    let postgres_started = !needs_services
        || summary.run("postgres", || {
            postgres = Some(TestPostgres::start()?);
            Ok(StepResult::from_status(true))
        });
    let redis_started = !needs_services
        || summary.run("redis", || {
            redis = Some(TestRedis::start()?);
            Ok(StepResult::from_status(true))
        });
    let mut env: Vec<(&str, String)> = postgres.iter().flat_map(TestPostgres::env).collect();
    env.extend(redis.iter().flat_map(TestRedis::env));
    env.extend(installed_env);

    for suite in &suites {
        if !built {
            summary.skip(suite.name(), "build failed");
        } else if uses_services(*suite) && !postgres_started {
            summary.skip(suite.name(), "postgres did not start");
        } else if uses_services(*suite) && !redis_started {
            summary.skip(suite.name(), "redis did not start");
        } else {
            summary.run(suite.name(), || suite.run(&workspace, &env));
        }
    }

    println!("\n==> summary\n{}", summary.table());
    let passed = summary.all_passed();
    if !passed {
        println!("xtask: some steps failed (see above)");
    }
    Ok(passed)
}

/// Whether `suite` runs against the throwaway PostgreSQL and Redis servers: those that need
/// them installed.
fn uses_services(suite: Suite) -> bool {
    let needs = suite.needs();
    needs.postgres || needs.redis
}

/// One build of everything, so the suites only run what is already compiled. Every cargo
/// command of xtask passes `--all-features` (the PostgreSQL store is a feature), so they all
/// share this build.
fn build(workspace: &Workspace) -> Result<StepResult> {
    let passed = process::run(&mut workspace.cargo(&[
        "build",
        "--workspace",
        "--all-targets",
        "--all-features",
    ]))?;
    if !passed && workspace.lints() {
        eprintln!(
            "xtask: the build failed; with lint on, clippy warnings are errors too (see above)"
        );
    }
    Ok(StepResult::from_status(passed))
}

/// `cargo xtask with-services`: runs `command` with a throwaway PostgreSQL server and a
/// throwaway Redis server; `Ok(true)` if the command succeeded.
pub fn with_services(command: &[String]) -> Result<bool> {
    prereqs::postgres::ensure_server(true)?;
    prereqs::redis::ensure_server(true)?;
    let postgres = TestPostgres::start()?;
    let redis = TestRedis::start()?;
    let (program, args) = command.split_first().context("no command to run")?;
    let mut child = std::process::Command::new(program);
    child.args(args).envs(postgres.env()).envs(redis.env());
    process::run(&mut child)
}
