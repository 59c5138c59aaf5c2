//! Command line of `cargo xtask`: the commands, with the options each command module
//! declares; the usage text is clap's, derived from these definitions.

use clap::{CommandFactory, Parser, Subcommand};

use crate::bench::BenchCommand;
use crate::demo::DemoOptions;
use crate::steps::TestOptions;

/// The project's automation: everything CI runs, the browser demo, benchmarks.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
pub struct Cli {
    /// What to do; without one, this help.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands of `cargo xtask`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install what is missing, build, lint and run every test suite
    ///
    /// Installs what is missing (node/npm, the npm packages, rustfmt/clippy, PostgreSQL, Redis,
    /// the wasm32 target, the wasm-bindgen-cli matching Cargo.lock, Chromium and chromedriver),
    /// checks formatting and that no locked dependency needs a newer Rust than the workspace's
    /// rust-version, builds the workspace once (--all-features) with clippy as the compiler of
    /// its own crates (-D warnings; the wasm32 builds of the browser suites lint the browser
    /// code the same way), starts a throwaway PostgreSQL server and a throwaway Redis server
    /// for the rust and interop suites and a ycord server for the wasm suite, runs the selected suites and prints a summary with each
    /// step's time. Exits non-zero if any step failed.
    #[command(verbatim_doc_comment, after_long_help = TEST_ENVIRONMENT)]
    Test(TestOptions),
    /// Run CMD with a throwaway PostgreSQL server and Redis server on loopback
    ///
    /// Their URLs are in YCORD_TEST_POSTGRES_URL and YCORD_TEST_REDIS_URL (e.g. to run the
    /// PostgreSQL store's or the cluster's tests or a benchmark alone); both servers are
    /// stopped and deleted afterwards. `with-postgres` is the same command's older name.
    #[command(verbatim_doc_comment, visible_alias = "with-postgres")]
    WithServices {
        /// The program to run and its arguments (passed on as they are, options included)
        #[arg(
            value_name = "CMD",
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        command: Vec<String>,
    },
    /// Build the browser examples and serve them with ycord
    ///
    /// Installs what is missing (the wasm32 target, the wasm-bindgen-cli matching Cargo.lock,
    /// node/npm and the npm packages: binaryen's wasm-opt, esbuild), builds every browser
    /// example in examples/ for the browser (profile wasm-release, wasm-opt -Oz), writes them
    /// to <target>/demo/site/, prints each one's gzipped size, then starts ycord with the
    /// embedded store in <target>/demo/data serving the site and the rooms on one port, and
    /// prints the URLs. Ctrl-C stops it.
    ///
    /// With --nodes N (N > 1), runs a cluster instead: a throwaway PostgreSQL server and Redis
    /// server (installed when missing, as for `test`) and N ycord nodes sharing them, the
    /// secret and the site, on consecutive ports from --port. Ctrl-C stops the nodes, then the
    /// servers, whose data is deleted.
    #[command(verbatim_doc_comment)]
    Demo(DemoOptions),
    /// Benchmarks that are not part of CI
    Bench {
        /// The benchmark to run.
        #[command(subcommand)]
        command: BenchCommand,
    },
}

/// The environment section of `cargo xtask test --help`.
const TEST_ENVIRONMENT: &str = "\
Environment:
  CARGO_TARGET_DIR  where cargo builds (default: <repo>/target); the interop suite takes
                    the ycord and ycord-interop-agent binaries from <target>/debug/";

/// Prints the help of `cargo xtask`, for a run without a command.
pub fn print_help() -> std::io::Result<()> {
    Cli::command().print_help()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suites::Suite;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cargo xtask").chain(args.iter().copied()))
    }

    fn test_options(args: &[&str]) -> TestOptions {
        let args: Vec<&str> = std::iter::once("test")
            .chain(args.iter().copied())
            .collect();
        match parse(&args).unwrap().command {
            Some(Command::Test(options)) => options,
            other => panic!("expected test options, got {other:?}"),
        }
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn runs_everything_by_default() {
        let options = test_options(&[]);
        assert_eq!(options.suites(), Suite::ALL.to_vec());
        assert!(options.lint && options.install);
    }

    #[test]
    fn selects_suites() {
        assert_eq!(
            test_options(&["--suite", "interop"]).suites(),
            [Suite::Interop]
        );
        assert_eq!(
            test_options(&["--suite=interop,rust", "--no-lint"]).suites(),
            [Suite::Rust, Suite::Interop]
        );
        assert_eq!(
            test_options(&["--suite", "e2e", "--suite", "wasm"]).suites(),
            [Suite::Wasm, Suite::E2e]
        );
        assert!(!test_options(&["--no-lint"]).lint);
        assert!(!test_options(&["--no-install"]).install);
    }

    #[test]
    fn rejects_unknown_input() {
        assert!(parse(&["test", "--suite", "python"]).is_err());
        assert!(parse(&["test", "--fast"]).is_err());
        assert!(parse(&["deploy"]).is_err());
        assert!(parse(&["with-services"]).is_err());
        assert!(parse(&["with-postgres"]).is_err());
        assert!(parse(&["demo", "--port", "http"]).is_err());
        assert!(parse(&["demo", "--nodes", "0"]).is_err());
        assert!(parse(&["bench", "compare", "--slow"]).is_err());
    }

    #[test]
    fn with_services_passes_the_command_on_as_given() {
        let Some(Command::WithServices { command }) = parse(&[
            "with-services",
            "cargo",
            "test",
            "-p",
            "ycord-persistence",
            "--",
            "--nocapture",
        ])
        .unwrap()
        .command
        else {
            panic!("expected with-services");
        };
        assert_eq!(
            command,
            [
                "cargo",
                "test",
                "-p",
                "ycord-persistence",
                "--",
                "--nocapture"
            ]
        );
    }

    #[test]
    fn demo_and_bench_options_keep_their_defaults() {
        let Some(Command::Demo(demo)) = parse(&["demo"]).unwrap().command else {
            panic!("expected demo");
        };
        assert_eq!(
            (demo.port, demo.nodes, demo.build_only, demo.install),
            (8080, 1, false, true)
        );
        assert_eq!(demo.serve_built_site, None);
        let Some(Command::Demo(demo)) = parse(&[
            "demo",
            "--port",
            "0",
            "--nodes",
            "3",
            "--build-only",
            "--no-install",
        ])
        .unwrap()
        .command
        else {
            panic!("expected demo");
        };
        assert_eq!(
            (demo.port, demo.nodes, demo.build_only, demo.install),
            (0, 3, true, false)
        );
        let Some(Command::Bench {
            command: BenchCommand::Compare(compare),
        }) = parse(&["bench", "compare", "--quick", "--no-write", "--npm-ci"])
            .unwrap()
            .command
        else {
            panic!("expected bench compare");
        };
        assert!(compare.is_quick && compare.is_dry && compare.force_npm_ci);
    }
}
