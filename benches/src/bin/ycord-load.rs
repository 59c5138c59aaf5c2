//! `ycord-load`: drives a y-websocket relay on loopback and prints one JSON line of results.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use ycord_benches::LoadArgs;

fn main() -> anyhow::Result<()> {
    let args = LoadArgs::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let report = runtime.block_on(ycord_benches::run(&args))?;
    println!("{}", serde_json::to_string(&report)?);
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}
