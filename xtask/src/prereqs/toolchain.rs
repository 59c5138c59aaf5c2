//! Rust toolchain components (rustfmt, clippy).

use anyhow::{bail, Result};

use crate::process;

pub fn ensure_components(components: &[&str], install: bool) -> Result<()> {
    let missing: Vec<&str> = components
        .iter()
        .copied()
        .filter(|component| !is_installed(component))
        .collect();
    if missing.is_empty() {
        println!("rust components: {} present", components.join(", "));
        return Ok(());
    }
    let list = missing.join(" ");
    if !install {
        bail!("rust components missing: {list}; run `rustup component add {list}`");
    }
    if process::output_of("rustup", &["--version"]).is_none() {
        bail!("rust components missing: {list}, and rustup is not available to add them");
    }
    let mut command = std::process::Command::new("rustup");
    command.args(["component", "add"]).args(&missing);
    if !process::run(&mut command)? {
        bail!("`rustup component add {list}` failed");
    }
    Ok(())
}

fn is_installed(component: &str) -> bool {
    let subcommand = match component {
        "rustfmt" => "fmt",
        other => other,
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    process::output_of(&cargo, &[subcommand, "--version"]).is_some()
}
