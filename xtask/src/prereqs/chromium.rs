//! Debian's Chromium and its WebDriver, which run the browser suite headless.

use std::path::PathBuf;

use anyhow::{bail, Result};

use super::system;
use crate::process;

/// Where Debian installs the browser, which the end-to-end suite drives.
pub const BROWSER: &str = "/usr/bin/chromium";

/// Where Debian installs the driver; `CHROMEDRIVER` overrides it.
const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The chromedriver to use, installing `chromium` and `chromium-driver` when missing.
pub fn ensure(install: bool) -> Result<PathBuf> {
    let driver = std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CHROMEDRIVER));
    let browser = process::output_of("chromium", &["--version"]);
    if browser.is_none() || !driver.is_file() {
        system::apt_install(
            &["chromium", "chromium-driver"],
            install,
            "chromium or chromedriver is missing",
        )?;
    }
    let Some(version) = process::output_of("chromium", &["--version"]) else {
        bail!("chromium is still not runnable after installing it");
    };
    if !driver.is_file() {
        bail!(
            "{} is still missing after installing chromium-driver",
            driver.display()
        );
    }
    println!("{version}, driver {}", driver.display());
    Ok(driver)
}
