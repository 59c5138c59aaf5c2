//! The demo site: every browser example built for production under one directory, as
//! `cargo xtask demo` serves it and the e2e suite tests it.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::prereqs::wasm::WASM_TARGET;
use crate::process;
use crate::workspace::Workspace;

/// Cargo profile of the browser builds (root Cargo.toml): release, optimised for size.
const PROFILE: &str = "wasm-release";

/// One built example.
pub struct Example {
    pub name: String,
    /// Gzipped bytes of its wasm and of its JavaScript.
    pub wasm_gzipped: u64,
    pub js_gzipped: u64,
}

/// The built site.
pub struct Site {
    pub root: PathBuf,
    pub examples: Vec<Example>,
}

impl Site {
    pub fn size_table(&self) -> String {
        let mut table = String::from("example        wasm+js gzipped (KB)   wasm    js\n");
        for example in &self.examples {
            table.push_str(&format!(
                "{:<14} {:>10.1}            {:>6.1}  {:>5.1}\n",
                example.name,
                (example.wasm_gzipped + example.js_gzipped) as f64 / 1024.0,
                example.wasm_gzipped as f64 / 1024.0,
                example.js_gzipped as f64 / 1024.0,
            ));
        }
        table
    }

    pub fn urls(&self, origin: &str) -> Vec<String> {
        self.examples
            .iter()
            .map(|example| format!("{origin}/{}/", example.name))
            .collect()
    }
}

/// The examples that run in a browser: folders of `examples/` with an `index.html`.
pub fn web_examples(workspace: &Workspace) -> Result<Vec<String>> {
    let dir = workspace.root.join("examples");
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("while listing {}", dir.display()))? {
        let path = entry?.path();
        if path.join("index.html").is_file() {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            names.push(name);
        }
    }
    names.sort();
    if names.is_empty() {
        bail!(
            "no browser example (a folder with index.html) in {}",
            dir.display()
        );
    }
    Ok(names)
}

pub fn build(workspace: &Workspace, bindgen: &Path) -> Result<Site> {
    let names = web_examples(workspace)?;
    let mut args = vec!["build", "--profile", PROFILE, "--target", WASM_TARGET];
    for name in &names {
        args.extend(["-p", name.as_str()]);
    }
    if !process::run(&mut workspace.cargo(&args))? {
        bail!("building the browser examples failed");
    }
    let root = workspace.target_dir.join("demo").join("site");
    if root.exists() {
        fs::remove_dir_all(&root).with_context(|| format!("while clearing {}", root.display()))?;
    }
    let node_bin = workspace.interop_dir().join("node_modules").join(".bin");
    let mut examples = Vec::new();
    for name in &names {
        let out = root.join(name);
        let source = workspace.root.join("examples").join(name);
        let wasm = workspace
            .target_dir
            .join(WASM_TARGET)
            .join(PROFILE)
            .join(format!("{}.wasm", name.replace('-', "_")));
        let mut bind = std::process::Command::new(bindgen);
        bind.args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            "app",
            "--out-dir",
        ])
        .arg(&out)
        .arg(&wasm);
        if !process::run(&mut bind)? {
            bail!("wasm-bindgen failed for {name}");
        }
        let optimised = out.join("app_bg.wasm");
        let mut opt = std::process::Command::new(node_bin.join("wasm-opt"));
        opt.args(["-Oz", "--strip-debug", "--strip-producers"])
            .args(WASM_FEATURES)
            .arg(&optimised)
            .arg("-o")
            .arg(&optimised);
        if !process::run(&mut opt)? {
            bail!("wasm-opt failed for {name}");
        }
        let mut js_files = vec![out.join("app.js")];
        let entry = source.join("js").join("main.mjs");
        if entry.is_file() {
            let bundle = out.join("bundle.js");
            let mut esbuild = std::process::Command::new(node_bin.join("esbuild"));
            // The npm packages are installed once, in interop/.
            esbuild
                .env("NODE_PATH", workspace.interop_dir().join("node_modules"))
                .arg(&entry)
                .args(["--bundle", "--format=esm", "--minify", "--platform=browser"])
                .arg(format!("--outfile={}", bundle.display()));
            if !process::run(&mut esbuild)? {
                bail!("esbuild failed for {name}");
            }
            js_files.push(bundle);
        }
        copy_static(&source, &out)?;
        let mut js_gzipped = 0;
        for file in &js_files {
            js_gzipped += gzipped_size(file)?;
        }
        examples.push(Example {
            name: name.clone(),
            wasm_gzipped: gzipped_size(&optimised)?,
            js_gzipped,
        });
    }
    write_index(&root, &names)?;
    Ok(Site { root, examples })
}

/// Features of the wasm that rustc emits for wasm32-unknown-unknown, which wasm-opt must be
/// allowed to keep.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// `index.html` and everything under `assets/`.
fn copy_static(source: &Path, out: &Path) -> Result<()> {
    fs::copy(source.join("index.html"), out.join("index.html"))
        .with_context(|| format!("while copying {}/index.html", source.display()))?;
    let assets = source.join("assets");
    if assets.is_dir() {
        for entry in fs::read_dir(&assets)? {
            let path = entry?.path();
            if path.is_file() {
                fs::copy(&path, out.join(path.file_name().unwrap_or_default()))?;
            }
        }
    }
    Ok(())
}

fn gzipped_size(path: &Path) -> Result<u64> {
    let output = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .with_context(|| format!("cannot run gzip on {}", path.display()))?;
    if !output.status.success() {
        bail!("gzip failed on {}", path.display());
    }
    Ok(output.stdout.len() as u64)
}

fn write_index(root: &Path, names: &[String]) -> Result<()> {
    let links: String = names
        .iter()
        .map(|name| format!("    <li><a href=\"{name}/\">{name}</a></li>\n"))
        .collect();
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>ycord examples</title></head>\n\
         <body>\n  <h1>ycord examples</h1>\n  <ul>\n{links}  </ul>\n</body>\n</html>\n"
    );
    fs::write(root.join("index.html"), html)
        .with_context(|| format!("while writing {}/index.html", root.display()))
}
