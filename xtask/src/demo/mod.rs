//! `cargo xtask demo`: builds the browser examples for production (release, size-tuned,
//! `wasm-opt`), lays them out as one static site and serves it from `ycord --static-dir`
//! next to the relay, on one port.

pub mod site;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use anyhow::{bail, Context, Result};

use crate::prereqs;
use crate::process;
use crate::workspace::Workspace;

pub const USAGE: &str = "\
usage: cargo xtask demo [options]

Installs what is missing (the wasm32 target, the wasm-bindgen-cli matching Cargo.lock, node/npm
and the npm packages: binaryen's wasm-opt, esbuild), builds every browser example in
examples/ for the browser (profile wasm-release, wasm-opt -Oz), writes them to
<target>/demo/site/, prints each one's gzipped size, then starts ycord with the embedded store
in <target>/demo/data serving the site and the rooms on one port, and prints the URLs.
Ctrl-C stops it.

options:
  --port N       port to serve on (default 8080; 0 picks a free one)
  --build-only   build the site and print the sizes, do not start the server
  --no-install   fail instead of installing missing prerequisites
  -h, --help     print this help";

/// Options of `cargo xtask demo`.
#[derive(Debug)]
pub struct DemoOptions {
    pub port: u16,
    pub build_only: bool,
    pub install: bool,
}

pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<DemoOptions>> {
    let mut options = DemoOptions {
        port: 8080,
        build_only: false,
        install: true,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--build-only" => options.build_only = true,
            "--no-install" => options.install = false,
            "--port" => {
                let port = args.next().context("--port needs a number")?;
                options.port = port.parse().with_context(|| format!("bad port {port:?}"))?;
            }
            other => bail!("unknown option {other:?} (see cargo xtask demo --help)"),
        }
    }
    Ok(Some(options))
}

/// Runs the demo; `Ok(true)` when it built (and, unless `--build-only`, served until stopped).
pub fn run(options: &DemoOptions) -> Result<bool> {
    let workspace = Workspace::locate()?;
    println!("==> prerequisites");
    prereqs::wasm::ensure_target(options.install)?;
    let bindgen = prereqs::wasm::ensure_test_runner(&workspace, options.install)?
        .with_file_name("wasm-bindgen");
    prereqs::node::ensure_node(options.install)?;
    prereqs::node::ensure_packages(&workspace.interop_dir(), options.install)?;

    println!("==> build");
    let site = site::build(&workspace, &bindgen)?;
    println!("\n{}", site.size_table());
    if options.build_only {
        println!("site: {}", site.root.display());
        return Ok(true);
    }

    if !process::run(&mut workspace.cargo(&["build", "--release", "-p", "ycord-server"]))? {
        bail!("building the ycord server failed");
    }
    let data = workspace.target_dir.join("demo").join("data");
    let mut server = std::process::Command::new(workspace.release_binary("ycord"));
    server
        .args(["--host", "127.0.0.1", "--port", &options.port.to_string()])
        .arg("--static-dir")
        .arg(&site.root)
        .arg("--data-dir")
        .arg(&data)
        .stdout(Stdio::piped());
    println!("$ {}", process::display(&server));
    let mut child = server.spawn().context("cannot start ycord")?;
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().context("ycord stdout was not piped")?)
        .read_line(&mut first_line)
        .context("while reading ycord's listening line")?;
    let Some(ws_url) = first_line.trim().strip_prefix("ycord listening on ") else {
        let _ = child.kill();
        bail!("ycord did not start (it printed {first_line:?})");
    };
    let origin = ws_url.replacen("ws://", "http://", 1);
    println!(
        "\n==> serving (Ctrl-C stops); documents are kept in {}",
        data.display()
    );
    println!("relay: {ws_url}/<room>");
    for url in site.urls(&origin) {
        println!("open:  {url}");
    }
    Ok(child.wait()?.success())
}
