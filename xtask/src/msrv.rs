//! The workspace's `rust-version` must be true: no package in the locked dependency graph
//! may need a newer Rust than the workspace declares, and every member declares it, since
//! clippy's `incompatible_msrv` reads it per package.

use std::collections::HashSet;
use std::fmt;
use std::process::Stdio;
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::outcome::StepResult;
use crate::process;
use crate::workspace::Workspace;

/// Compares every package's `rust-version` in `cargo metadata --locked` with the workspace's.
pub fn check(workspace: &Workspace) -> Result<StepResult> {
    let mut command = workspace.cargo(&["metadata", "--format-version", "1", "--locked"]);
    command.stderr(Stdio::inherit());
    println!("$ {}", process::display(&command));
    let output = command
        .output()
        .with_context(|| format!("cannot start `{}`", process::display(&command)))?;
    if !output.status.success() {
        bail!("`cargo metadata --locked` failed (is Cargo.lock up to date with the manifests?)");
    }
    let metadata: Value =
        serde_json::from_slice(&output.stdout).context("while reading cargo metadata's JSON")?;
    let review = Review::of(&metadata)?;
    println!("{}", review.summary());
    for problem in &review.problems {
        eprintln!("xtask: {problem}");
    }
    Ok(StepResult::from_status(review.problems.is_empty()))
}

/// A Rust release as `rust-version` states it: `major.minor` or `major.minor.patch`, a
/// missing patch being 0 (so `1.89` is `1.89.0`, older than `1.89.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RustVersion {
    major: u64,
    minor: u64,
    patch: u64,
}

impl FromStr for RustVersion {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self> {
        let numbers = text
            .split('.')
            .map(str::parse::<u64>)
            .collect::<Result<Vec<_>, _>>()
            .ok();
        match numbers.as_deref() {
            Some(&[major, minor]) => Ok(RustVersion {
                major,
                minor,
                patch: 0,
            }),
            Some(&[major, minor, patch]) => Ok(RustVersion {
                major,
                minor,
                patch,
            }),
            _ => bail!("{text:?} is not a rust-version (major.minor[.patch])"),
        }
    }
}

impl fmt::Display for RustVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.patch != 0 {
            write!(f, ".{}", self.patch)?;
        }
        Ok(())
    }
}

/// What the metadata says about rust-version, and what is wrong with it.
#[derive(Debug)]
struct Review {
    /// The workspace's rust-version: the lowest a member declares.
    workspace: RustVersion,
    /// The dependency that needs the newest Rust, and that version.
    newest_dependency: Option<(String, RustVersion)>,
    /// Packages checked.
    packages: usize,
    /// One line per problem, naming the package.
    problems: Vec<String>,
}

impl Review {
    /// Reviews the JSON of `cargo metadata --format-version 1`.
    fn of(metadata: &Value) -> Result<Review> {
        let members: HashSet<&str> = metadata["workspace_members"]
            .as_array()
            .context("cargo metadata lists no workspace_members")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let packages = metadata["packages"]
            .as_array()
            .context("cargo metadata lists no packages")?;

        let mut problems = Vec::new();
        let mut declared = Vec::new();
        let mut dependencies = Vec::new();
        for package in packages {
            let name = package["name"].as_str().unwrap_or("?");
            let label = format!("{name} {}", package["version"].as_str().unwrap_or("?"));
            let is_member = package["id"]
                .as_str()
                .is_some_and(|id| members.contains(id));
            let version = match package["rust_version"].as_str().map(str::parse) {
                None => None,
                Some(Ok(version)) => Some(version),
                Some(Err(err)) => {
                    problems.push(format!("{label}: {err:#}"));
                    continue;
                }
            };
            match (is_member, version) {
                (true, Some(version)) => declared.push((name.to_owned(), version)),
                (true, None) => problems.push(format!(
                    "workspace member {name} does not declare rust-version: add \
                     `rust-version.workspace = true` to {} so clippy checks it against the MSRV",
                    package["manifest_path"]
                        .as_str()
                        .unwrap_or("its Cargo.toml")
                )),
                (false, Some(version)) => dependencies.push((name, label, version)),
                (false, None) => {}
            }
        }

        let Some(workspace) = declared.iter().map(|(_, version)| *version).min() else {
            bail!("no workspace member declares rust-version (Cargo.toml [workspace.package])");
        };
        if declared.iter().any(|(_, version)| *version != workspace) {
            let list: Vec<String> = declared
                .iter()
                .map(|(name, version)| format!("{name} {version}"))
                .collect();
            problems.push(format!(
                "workspace members declare different rust-versions ({}): inherit \
                 `rust-version.workspace = true` instead",
                list.join(", ")
            ));
        }
        for (name, label, version) in &dependencies {
            if *version > workspace {
                problems.push(format!(
                    "{label} needs Rust {version}, newer than the workspace's rust-version \
                     {workspace}: raise rust-version in Cargo.toml, or keep an older {name} \
                     (`cargo update -p {name} --precise <version>`)"
                ));
            }
        }
        let newest_dependency = dependencies
            .into_iter()
            .max_by_key(|(_, _, version)| *version)
            .map(|(_, label, version)| (label, version));
        Ok(Review {
            workspace,
            newest_dependency,
            packages: packages.len(),
            problems,
        })
    }

    /// One line for the log: the declared version and the dependency that sets the floor.
    fn summary(&self) -> String {
        let newest = match &self.newest_dependency {
            Some((label, version)) => {
                format!("; the newest any dependency needs: {version} ({label})")
            }
            None => String::new(),
        };
        format!(
            "rust-version {} checked against {} packages{newest}",
            self.workspace, self.packages
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn version(text: &str) -> RustVersion {
        text.parse().unwrap()
    }

    fn package(name: &str, rust_version: Option<&str>) -> Value {
        json!({
            "name": name,
            "version": "1.0.0",
            "id": format!("{name}@1.0.0"),
            "rust_version": rust_version,
            "manifest_path": format!("/repo/{name}/Cargo.toml"),
        })
    }

    fn metadata(members: &[Value], dependencies: &[Value]) -> Value {
        let ids: Vec<&Value> = members.iter().map(|member| &member["id"]).collect();
        let packages: Vec<&Value> = members.iter().chain(dependencies).collect();
        json!({ "workspace_members": ids, "packages": packages })
    }

    #[test]
    fn rust_versions_compare_by_number_not_text() {
        assert!(version("1.9") < version("1.10"));
        assert_eq!(version("1.89"), version("1.89.0"));
        assert!(version("1.89.1") > version("1.89"));
        assert!(version("2.0") > version("1.99.9"));
        assert_eq!(version("1.89.0").to_string(), "1.89");
        assert_eq!(version("1.89.1").to_string(), "1.89.1");
        for bad in ["1", "1.x", "1.89.0-nightly", "", "1.2.3.4"] {
            assert!(bad.parse::<RustVersion>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_dependency_needing_newer_rust_than_the_workspace_is_named() {
        let review = Review::of(&metadata(
            &[package("ycord-server", Some("1.89"))],
            &[
                package("uuid", Some("1.90")),
                package("rusqlite", Some("1.89.0")),
                package("libc", None),
            ],
        ))
        .unwrap();
        assert_eq!(review.workspace, version("1.89"));
        assert_eq!(review.problems.len(), 1, "{:?}", review.problems);
        assert!(review.problems[0].starts_with("uuid 1.0.0 needs Rust 1.90"));
        assert!(review.summary().contains("1.90 (uuid 1.0.0)"));
    }

    #[test]
    fn dependencies_at_or_below_the_workspace_version_pass() {
        let review = Review::of(&metadata(
            &[package("a", Some("1.89")), package("b", Some("1.89"))],
            &[
                package("rusqlite", Some("1.89")),
                package("old", Some("1.63")),
            ],
        ))
        .unwrap();
        assert!(review.problems.is_empty(), "{:?}", review.problems);
    }

    #[test]
    fn a_member_without_rust_version_is_named() {
        let review = Review::of(&metadata(
            &[package("a", Some("1.89")), package("agent", None)],
            &[],
        ))
        .unwrap();
        assert_eq!(review.problems.len(), 1);
        assert!(review.problems[0].contains("workspace member agent"));
        assert!(review.problems[0].contains("/repo/agent/Cargo.toml"));
    }

    #[test]
    fn members_declaring_different_versions_are_named() {
        let review = Review::of(&metadata(
            &[package("a", Some("1.89")), package("b", Some("1.90"))],
            &[package("dep", Some("1.90"))],
        ))
        .unwrap();
        assert_eq!(review.workspace, version("1.89"));
        assert!(review.problems.iter().any(|p| p.contains("a 1.89, b 1.90")));
        assert!(review.problems.iter().any(|p| p.starts_with("dep 1.0.0")));
    }
}
