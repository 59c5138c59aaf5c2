//! `cargo xtask demo`: builds the browser examples for production (release, size-tuned,
//! `wasm-opt`), lays them out as one static site and serves it from `ycord --static-dir`
//! next to the relay, on one port. The relay requires tokens (an HS256 secret generated under
//! the target directory) and hands them out at `/dev/token`, where the examples get theirs.
//!
//! With `--nodes N` above 1 it runs a cluster instead: a throwaway PostgreSQL server and Redis
//! server, and N nodes on consecutive ports sharing them, the secret and the site.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::ArgAction;

use crate::prereqs;
use crate::process;
use crate::services::postgres::TestPostgres;
use crate::services::redis::TestRedis;
use crate::services::ycord::write_secret_file;
use crate::site;
use crate::workspace::Workspace;

/// Options of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub struct DemoOptions {
    /// Port to serve on (0 picks a free one); with several nodes, the first node's port
    #[arg(long, value_name = "N", default_value_t = 8080)]
    pub port: u16,
    /// Run N ycord nodes on consecutive ports, sharing a throwaway PostgreSQL and Redis
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub nodes: u16,
    /// Build the site and print the sizes, do not start the server
    #[arg(long)]
    pub build_only: bool,
    /// Fail instead of installing missing prerequisites
    #[arg(long = "no-install", action = ArgAction::SetFalse)]
    pub install: bool,
    /// Serve the cluster from this already built site (how the command re-runs itself with
    /// Ctrl-C ignored; see `serve_cluster_past_ctrl_c`)
    #[arg(long, value_name = "DIR", hide = true)]
    pub serve_built_site: Option<PathBuf>,
}

/// How often the cluster's nodes are checked for having exited.
const NODE_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Runs the demo; `Ok(true)` when it built (and, unless `--build-only`, served until stopped).
pub fn run(options: &DemoOptions) -> Result<bool> {
    let workspace = Workspace::locate()?;
    if let Some(site_root) = &options.serve_built_site {
        return serve_cluster(&workspace, site_root, options);
    }
    let is_cluster = options.nodes > 1;
    if is_cluster {
        // Before the long builds: a port range past 65535 fails now, not after them.
        node_ports(options.port, options.nodes)?;
    }
    println!("==> prerequisites");
    prereqs::wasm::ensure_target(options.install)?;
    let bindgen = prereqs::wasm::ensure_test_runner(&workspace, options.install)?
        .with_file_name("wasm-bindgen");
    prereqs::node::ensure_node(options.install)?;
    prereqs::node::ensure_packages(&workspace.interop_dir(), options.install)?;
    if is_cluster {
        prereqs::postgres::ensure_server(options.install)?;
        prereqs::redis::ensure_server(options.install)?;
    }

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
    let secret = secret_file(&workspace)?;
    if is_cluster {
        #[cfg(unix)]
        return serve_cluster_past_ctrl_c(&site.root, options);
        #[cfg(not(unix))]
        return serve_cluster(&workspace, &site.root, options);
    }

    let data = workspace.target_dir.join("demo").join("data");
    let mut server = ycord_command(&workspace, &site.root, &secret, options.port);
    server.arg("--data-dir").arg(&data);
    let mut node = Node::start("ycord", server)?;
    println!(
        "\n==> serving (Ctrl-C stops); documents are kept in {}",
        data.display()
    );
    println!("relay: {}/<room> (tokens required)", node.ws_url);
    print_token_hint(&node.origin(), &secret);
    for url in site.urls(&node.origin()) {
        println!("open:  {url}");
    }
    Ok(node.child.wait()?.success())
}

/// The HS256 secret of the demo's nodes, created on the first run. Kept across runs, like the
/// documents, so that tokens pages already hold stay valid.
fn secret_file(workspace: &Workspace) -> Result<PathBuf> {
    let secret = workspace.target_dir.join("demo").join("auth-secret");
    if !secret.is_file() {
        write_secret_file(&secret)?;
    }
    Ok(secret)
}

/// `ycord` serving `site_root` on 127.0.0.1:`port` with tokens from `secret` and the
/// development token endpoint; the caller adds the store.
fn ycord_command(workspace: &Workspace, site_root: &Path, secret: &Path, port: u16) -> Command {
    let mut command = Command::new(workspace.release_binary("ycord"));
    command
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--static-dir")
        .arg(site_root)
        .arg("--auth-secret-file")
        .arg(secret)
        .arg("--dev-token-endpoint");
    command
}

/// The port of each of `nodes` nodes: consecutive from `first`, or 0 for every node (each
/// picks a free one) when `first` is 0.
fn node_ports(first: u16, nodes: u16) -> Result<Vec<u16>> {
    if first == 0 {
        return Ok(vec![0; usize::from(nodes)]);
    }
    (0..nodes)
        .map(|offset| {
            first.checked_add(offset).with_context(|| {
                format!(
                    "--port {first} --nodes {nodes}: node {} would need a port above 65535",
                    offset + 1
                )
            })
        })
        .collect()
}

/// Ctrl-C signals every process of the terminal's foreground group at once. The nodes and
/// Redis stop on it, but `pg_ctl` detaches PostgreSQL from the terminal, and xtask would die
/// before its servers are dropped, leaving PostgreSQL running. std cannot ignore a signal, so
/// xtask replaces itself (same process, the builds done) with itself under `sh`'s
/// `trap '' INT`, which survives `exec`: that xtask outlives Ctrl-C, waits for the nodes to
/// stop and then stops the servers. (Elsewhere the cluster is served directly, and Ctrl-C
/// may leave its PostgreSQL server running until the next run removes it.)
#[cfg(unix)]
fn serve_cluster_past_ctrl_c(site_root: &Path, options: &DemoOptions) -> Result<bool> {
    use std::os::unix::process::CommandExt;

    let xtask = std::env::current_exe().context("cannot find the running xtask binary")?;
    let error = Command::new("sh")
        .args(["-c", "trap '' INT; exec \"$0\" \"$@\""])
        .arg(xtask)
        .args(["demo", "--port", &options.port.to_string()])
        .args(["--nodes", &options.nodes.to_string()])
        .arg("--serve-built-site")
        .arg(site_root)
        .exec();
    Err(error).context("cannot re-run xtask with Ctrl-C ignored (sh -c \"trap '' INT; …\")")
}

/// Starts PostgreSQL, Redis and the nodes, then waits until every node has stopped (Ctrl-C
/// stops them all; one stopped alone leaves the others serving). The servers and their data
/// go when this returns, whatever happened.
fn serve_cluster(workspace: &Workspace, site_root: &Path, options: &DemoOptions) -> Result<bool> {
    let ports = node_ports(options.port, options.nodes)?;
    let secret = secret_file(workspace)?;
    let pages = site::web_examples(workspace)?;

    println!("\n==> PostgreSQL and Redis");
    // Declared before the nodes so that they are dropped after them.
    let postgres = TestPostgres::start()?;
    let redis = TestRedis::start()?;

    println!("\n==> {} nodes", ports.len());
    let mut nodes = Vec::with_capacity(ports.len());
    for (index, port) in ports.into_iter().enumerate() {
        let mut command = ycord_command(workspace, site_root, &secret, port);
        command
            .arg("--database-url")
            .arg(postgres.url())
            .arg("--redis-url")
            .arg(redis.url());
        nodes.push(Node::start(&format!("node {}", index + 1), command)?);
    }

    println!(
        "\n==> serving {} nodes (Ctrl-C stops them, then PostgreSQL and Redis); documents are \
         kept in PostgreSQL ({}) until then",
        nodes.len(),
        postgres.url()
    );
    for node in &nodes {
        println!(
            "{}: {}/<room> (node {}, pid {})",
            node.name,
            node.ws_url,
            node.id.as_deref().unwrap_or("id not printed"),
            node.child.id()
        );
    }
    println!("redis:  {}", redis.url());
    print_token_hint(&nodes[0].origin(), &secret);
    println!("        (every node hands out tokens that every node accepts)");
    for node in &nodes {
        for page in &pages {
            // As site::Site::urls writes them.
            println!("open:  {}/{page}/", node.origin());
        }
    }
    if let (Some(page), [first, second, ..]) = (pages.first(), nodes.as_slice()) {
        println!(
            "\ntry:   {}/{page}/?room=NAME and {}/{page}/?room=NAME, side by side: two ports are \
             two origins to the browser (no shared IndexedDB, no cross-tab channel), so what \
             one page types reaches the other through Redis",
            first.origin(),
            second.origin()
        );
        println!(
            "       then `kill` one node's pid and open the room on the other port: everything \
             echoed is in PostgreSQL"
        );
    }

    let succeeded = wait_for_all(nodes)?;
    println!("\n==> stopping PostgreSQL and Redis");
    drop(redis);
    drop(postgres);
    Ok(succeeded)
}

fn print_token_hint(origin: &str, secret: &Path) {
    println!(
        "tokens: {origin}/dev/token?room=<room>&access=rw|ro hands one to anyone who asks; this \
         is a development convenience, not an identity system (secret: {})",
        secret.display()
    );
}

/// Waits until every node has exited, saying which did when; `Ok(true)` if all exited
/// successfully.
fn wait_for_all(mut running: Vec<Node>) -> Result<bool> {
    let mut all_succeeded = true;
    while !running.is_empty() {
        thread::sleep(NODE_POLL_INTERVAL);
        let mut still_running = Vec::with_capacity(running.len());
        for mut node in running {
            match node.child.try_wait()? {
                Some(status) => {
                    println!("{} ({}) stopped: {status}", node.name, node.ws_url);
                    all_succeeded &= status.success();
                }
                None => still_running.push(node),
            }
        }
        running = still_running;
    }
    Ok(all_succeeded)
}

/// A `ycord` the demo started; killed when dropped.
struct Node {
    /// `ycord` or `node N`, as the output names it.
    name: String,
    /// What it printed on `ycord node …` (cluster mode only).
    id: Option<String>,
    /// `ws://127.0.0.1:PORT`, from its listening line.
    ws_url: String,
    child: Child,
}

impl Node {
    /// Spawns `command` and waits for its listening line. What it prints to stdout afterwards
    /// is passed on, prefixed with `name`.
    fn start(name: &str, mut command: Command) -> Result<Self> {
        command.stdout(Stdio::piped());
        println!("$ {}", process::display(&command));
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start `{}`", process::display(&command)))?;
        let mut stdout = BufReader::new(child.stdout.take().context("ycord stdout was not piped")?);
        let started = match read_start(&mut stdout) {
            Ok(started) => started,
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(err.context(format!("{name} did not start")));
            }
        };
        let prefix = name.to_string();
        // A closed pipe would make ycord's next line to stdout fail.
        thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                println!("{prefix}: {line}");
            }
        });
        Ok(Node {
            name: name.to_string(),
            id: started.node_id,
            ws_url: started.ws_url,
            child,
        })
    }

    /// `http://127.0.0.1:PORT`, where its pages and its token endpoint are.
    fn origin(&self) -> String {
        self.ws_url.replacen("ws://", "http://", 1)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `ycord` prints on start.
#[derive(Debug, PartialEq, Eq)]
struct Start {
    /// From `ycord node <32 hex>`, printed first in cluster mode.
    node_id: Option<String>,
    /// From `ycord listening on ws://HOST:PORT`.
    ws_url: String,
}

/// Reads `ycord`'s stdout up to its listening line.
fn read_start(stdout: &mut impl BufRead) -> Result<Start> {
    let mut node_id = None;
    let mut printed = Vec::new();
    loop {
        let mut line = String::new();
        if stdout
            .read_line(&mut line)
            .context("while reading ycord's listening line")?
            == 0
        {
            bail!("it exited without a listening line (it printed {printed:?})");
        }
        let line = line.trim();
        if let Some(ws_url) = line.strip_prefix("ycord listening on ") {
            return Ok(Start {
                node_id,
                ws_url: ws_url.to_string(),
            });
        }
        if let Some(id) = line.strip_prefix("ycord node ") {
            node_id = Some(id.to_string());
        }
        printed.push(line.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_listen_on_consecutive_ports_from_the_first() {
        assert_eq!(node_ports(8080, 1).unwrap(), [8080]);
        assert_eq!(node_ports(8080, 3).unwrap(), [8080, 8081, 8082]);
        assert_eq!(node_ports(65534, 2).unwrap(), [65534, 65535]);
    }

    #[test]
    fn port_zero_lets_every_node_pick_a_free_port() {
        assert_eq!(node_ports(0, 3).unwrap(), [0, 0, 0]);
    }

    #[test]
    fn a_port_range_past_65535_is_refused_naming_the_node() {
        let error = node_ports(65535, 2).unwrap_err().to_string();
        assert!(error.contains("node 2"), "{error}");
    }

    #[test]
    fn the_listening_line_is_found_after_the_node_line() {
        let mut stdout = "ycord node 0123456789abcdef0123456789abcdef\n\
                          ycord listening on ws://127.0.0.1:8081\n\
                          later output\n"
            .as_bytes();
        assert_eq!(
            read_start(&mut stdout).unwrap(),
            Start {
                node_id: Some("0123456789abcdef0123456789abcdef".to_string()),
                ws_url: "ws://127.0.0.1:8081".to_string(),
            }
        );
        assert_eq!(stdout, b"later output\n", "reads no further than it must");
    }

    #[test]
    fn a_single_server_has_no_node_line() {
        let mut stdout = "ycord listening on ws://127.0.0.1:8080\n".as_bytes();
        assert_eq!(read_start(&mut stdout).unwrap().node_id, None);
    }

    #[test]
    fn a_server_that_exits_before_listening_is_reported_with_what_it_printed() {
        let mut stdout = "ycord node 0123\nsomething else\n".as_bytes();
        let error = read_start(&mut stdout).unwrap_err().to_string();
        assert!(error.contains("something else"), "{error}");
    }
}
