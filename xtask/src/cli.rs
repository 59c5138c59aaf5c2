//! Command line of `cargo xtask`.

use anyhow::{bail, Context, Result};

use crate::suites::Suite;

pub const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test                      install what is missing, build, lint and run every test suite
  with-postgres CMD [ARG…]  run CMD with a throwaway PostgreSQL server on loopback, its URL
                            in YCORD_TEST_POSTGRES_URL (e.g. to run the PostgreSQL store's
                            tests or benchmark alone); stopped and deleted afterwards
  demo                      build the browser examples and serve them with ycord (--help)
  bench ARGS…               benchmarks that are not part of CI (cargo xtask bench --help)
  help                      print this help (also: cargo xtask test --help)";

pub const TEST_USAGE: &str = "\
usage: cargo xtask test [options]

Installs what is missing (node/npm, the npm packages, rustfmt/clippy, PostgreSQL, the
wasm32 target, the wasm-bindgen-cli matching Cargo.lock, Chromium and chromedriver), builds
the workspace once (--all-features), checks formatting and clippy (natively and for wasm32),
starts a throwaway PostgreSQL server for the rust suite and a ycord server for the wasm
suite, runs the selected suites and prints a summary. Exits non-zero if any step failed.

options:
  --suite NAME   run only this suite; repeat or comma-separate for several
                 (suites: rust, interop, wasm, e2e; default: all)
  --no-lint      skip `cargo fmt --check` and `cargo clippy`
  --no-install   fail instead of installing missing prerequisites
  -h, --help     print this help

environment:
  CARGO_TARGET_DIR   where cargo builds (default: <repo>/target); the interop suite takes
                     the ycord and ycord-interop-agent binaries from <target>/debug/";

/// What the user asked for.
pub enum Invocation {
    Help(&'static str),
    Test(TestOptions),
    /// `with-postgres`: the command to run, program first.
    WithPostgres(Vec<String>),
    /// `bench`: its arguments, parsed by the `bench` module.
    Bench(Vec<String>),
    Demo(crate::demo::DemoOptions),
}

/// Options of `cargo xtask test`.
#[derive(Debug)]
pub struct TestOptions {
    /// Suites to run, in the order of [`Suite::ALL`].
    pub suites: Vec<Suite>,
    pub lint: bool,
    pub install: bool,
}

pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Invocation> {
    match args.next().as_deref() {
        None | Some("help" | "-h" | "--help") => Ok(Invocation::Help(USAGE)),
        Some("test") => parse_test(args),
        Some("bench") => Ok(Invocation::Bench(args.collect())),
        Some("demo") => match crate::demo::parse(args)? {
            Some(options) => Ok(Invocation::Demo(options)),
            None => Ok(Invocation::Help(crate::demo::USAGE)),
        },
        Some("with-postgres") => {
            let command: Vec<String> = args.collect();
            if command.is_empty() {
                bail!("with-postgres needs a command to run");
            }
            Ok(Invocation::WithPostgres(command))
        }
        Some(other) => bail!("unknown command {other:?}"),
    }
}

fn parse_test(mut args: impl Iterator<Item = String>) -> Result<Invocation> {
    let mut chosen = Vec::new();
    let mut lint = true;
    let mut install = true;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Invocation::Help(TEST_USAGE)),
            "--no-lint" => lint = false,
            "--no-install" => install = false,
            "--suite" => {
                let names = args.next().context("--suite needs a suite name")?;
                for name in names.split(',') {
                    chosen.push(name.parse::<Suite>()?);
                }
            }
            other => match other.strip_prefix("--suite=") {
                Some(names) => {
                    for name in names.split(',') {
                        chosen.push(name.parse::<Suite>()?);
                    }
                }
                None => bail!("unknown option {other:?} (see cargo xtask test --help)"),
            },
        }
    }
    let suites = Suite::ALL
        .into_iter()
        .filter(|suite| chosen.is_empty() || chosen.contains(suite))
        .collect();
    Ok(Invocation::Test(TestOptions {
        suites,
        lint,
        install,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_options(args: &[&str]) -> TestOptions {
        let args = std::iter::once("test").chain(args.iter().copied());
        match parse(args.map(String::from)).unwrap() {
            Invocation::Test(options) => options,
            _ => panic!("expected test options"),
        }
    }

    #[test]
    fn runs_everything_by_default() {
        let options = test_options(&[]);
        assert_eq!(options.suites, Suite::ALL.to_vec());
        assert!(options.lint && options.install);
    }

    #[test]
    fn selects_suites() {
        assert_eq!(
            test_options(&["--suite", "interop"]).suites,
            [Suite::Interop]
        );
        assert_eq!(
            test_options(&["--suite=interop,rust", "--no-lint"]).suites,
            [Suite::Rust, Suite::Interop]
        );
        assert!(!test_options(&["--no-lint"]).lint);
    }

    #[test]
    fn rejects_unknown_input() {
        assert!(parse(["test", "--suite", "python"].map(String::from).into_iter()).is_err());
        assert!(parse(["test", "--fast"].map(String::from).into_iter()).is_err());
        assert!(parse(["deploy"].map(String::from).into_iter()).is_err());
    }
}
