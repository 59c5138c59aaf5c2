//! Connecting many clients at once, each through the full y-websocket handshake.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{timeout_at, Instant};

use crate::args::LoadArgs;
use crate::client::{room_name, Client, ClientConfig};
use crate::token::Tokens;

/// A client whose handshake finished.
pub struct Connected {
    /// The connected client.
    pub client: Client,
    /// The update the server's step2 carried.
    pub state: Vec<u8>,
    /// When that step2 arrived.
    pub synced_at: Instant,
    /// From the start of its TCP connect to that step2: the upgrade (token check included)
    /// and the sync, without the wait for a free handshake slot.
    pub handshake: Duration,
}

/// Connects every client of `configs`, at most `concurrency` handshakes at a time, and
/// returns them in the order of `configs`.
///
/// # Errors
/// When any client fails to connect, or not all are synced within `limit`; the clients
/// already connected are dropped (their sockets close).
pub async fn connect_all(
    configs: Vec<ClientConfig>,
    concurrency: usize,
    limit: Duration,
) -> anyhow::Result<Vec<Connected>> {
    let deadline = Instant::now() + limit;
    let total = configs.len();
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for config in configs {
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let started = Instant::now();
            let (client, state) = Client::connect_with_state(&config)
                .await
                .with_context(|| format!("client {}", config.index))?;
            let synced_at = Instant::now();
            anyhow::Ok((
                config.index,
                Connected {
                    client,
                    state,
                    synced_at,
                    handshake: synced_at - started,
                },
            ))
        });
    }
    let mut connected: Vec<Option<Connected>> = (0..total).map(|_| None).collect();
    let mut count = 0;
    while count < total {
        match timeout_at(deadline, tasks.join_next()).await {
            Ok(Some(Ok(Ok((index, client))))) => {
                connected[index] = Some(client);
                count += 1;
            }
            Ok(Some(Ok(Err(err)))) => return Err(err),
            Ok(Some(Err(err))) => bail!("a connecting task failed: {err}"),
            Ok(None) => bail!("connecting tasks ended with {count} of {total} synced"),
            Err(_) => bail!(
                "only {count} of {total} clients synced within {} s",
                limit.as_secs()
            ),
        }
    }
    Ok(connected.into_iter().flatten().collect())
}

/// Checks that this process may open `sockets` more files, with some to spare.
///
/// # Errors
/// When the soft `RLIMIT_NOFILE` (read from `/proc/self/limits`) is too low; the message
/// says how to raise it.
pub fn check_open_file_limit(sockets: usize) -> anyhow::Result<()> {
    let limits =
        std::fs::read_to_string("/proc/self/limits").context("reading /proc/self/limits")?;
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .context("no 'Max open files' line in /proc/self/limits")?;
    if soft == "unlimited" {
        return Ok(());
    }
    let soft: usize = soft.parse().context("parsing the open-file limit")?;
    let needed = sockets + 64;
    if soft < needed {
        bail!(
            "{sockets} connections need about {needed} open files but the limit is {soft}: \
             raise it with `ulimit -n {needed}` (the server process needs as many)"
        );
    }
    Ok(())
}

/// One [`ClientConfig`] per `--clients`, client `i` in room `i % rooms` on the node
/// [`LoadArgs::node_of`] picks from `base_urls`, with distinct fresh Yjs client ids and the
/// token `tokens` gives each.
///
/// Ids come from OS entropy, not the seed: a server keeps its rooms between runs, and a
/// fresh document reusing an id the room already has would write updates the server
/// already holds, which it rightly does not relay.
///
/// # Errors
/// When a token cannot be signed.
pub fn client_configs(
    args: &LoadArgs,
    base_urls: &[String],
    tokens: &Tokens,
) -> anyhow::Result<Vec<ClientConfig>> {
    let mut rng = StdRng::seed_from_u64(args.seed);
    unique_client_ids(&mut rand::rng(), args.clients)
        .into_iter()
        .enumerate()
        .map(|(index, client_id)| {
            let room = args.room_of(index);
            let node = args.node_of(index);
            Ok(ClientConfig {
                index,
                room,
                node,
                client_id,
                base_url: base_urls[node].clone(),
                token: tokens.for_client(index, &room_name(room))?,
                seed: rng.random(),
            })
        })
        .collect()
}

/// The tokens `--token` or `--token-secret-file` asks for.
///
/// # Errors
/// When the token secret cannot be read or is too short.
pub fn tokens(args: &LoadArgs) -> anyhow::Result<Tokens> {
    Ok(match (&args.token, &args.token_secret_file) {
        (Some(token), _) => Tokens::Fixed(token.clone()),
        (None, Some(path)) => Tokens::minted_from_file(path)?,
        (None, None) => Tokens::None,
    })
}

/// Distinct random 32-bit Yjs client ids (never 0).
fn unique_client_ids(rng: &mut impl Rng, count: usize) -> Vec<u32> {
    let mut seen = HashSet::with_capacity(count);
    let mut ids = Vec::with_capacity(count);
    while ids.len() < count {
        let id = rng.random_range(1..=u32::MAX);
        if seen.insert(id) {
            ids.push(id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_distinct_nonzero_and_seeded() {
        let ids = unique_client_ids(&mut StdRng::seed_from_u64(3), 1000);
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 1000);
        assert!(!ids.contains(&0));
        assert_eq!(ids, unique_client_ids(&mut StdRng::seed_from_u64(3), 1000));
    }
}
