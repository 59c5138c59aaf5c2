//! `cargo xtask demo`: builds the browser examples for production (release, size-tuned,
//! `wasm-opt`), lays them out as one static site and serves it from `ycord --static-dir`
//! next to the relay, on one port. The relay requires tokens (an HS256 secret generated under
//! the target directory) and hands them out at `/dev/token`, where the examples get theirs.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use anyhow::{bail, Context, Result};
use clap::ArgAction;

use crate::prereqs;
use crate::process;
use crate::services::ycord::write_secret_file;
use crate::site;
use crate::workspace::Workspace;

/// Options of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub struct DemoOptions {
    /// Port to serve on (0 picks a free one)
    #[arg(long, value_name = "N", default_value_t = 8080)]
    pub port: u16,
    /// Build the site and print the sizes, do not start the server
    #[arg(long)]
    pub build_only: bool,
    /// Fail instead of installing missing prerequisites
    #[arg(long = "no-install", action = ArgAction::SetFalse)]
    pub install: bool,
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
    // Kept across runs, like the documents, so that tokens pages already hold stay valid.
    let secret = workspace.target_dir.join("demo").join("auth-secret");
    if !secret.is_file() {
        write_secret_file(&secret)?;
    }
    let mut server = std::process::Command::new(workspace.release_binary("ycord"));
    server
        .args(["--host", "127.0.0.1", "--port", &options.port.to_string()])
        .arg("--static-dir")
        .arg(&site.root)
        .arg("--data-dir")
        .arg(&data)
        .arg("--auth-secret-file")
        .arg(&secret)
        .arg("--dev-token-endpoint")
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
    println!("relay: {ws_url}/<room> (tokens required)");
    println!(
        "tokens: {origin}/dev/token?room=<room>&access=rw|ro hands one to anyone who asks; this \
         is a development convenience, not an identity system (secret: {})",
        secret.display()
    );
    for url in site.urls(&origin) {
        println!("open:  {url}");
    }
    Ok(child.wait()?.success())
}
