//! `join` mode: one large document, many clients joining its room at the same moment.

use std::time::Duration;

use anyhow::{bail, Context};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::time::{timeout, Instant};
use ycord_protocol::encode;
use yrs::updates::decoder::Decode;
use yrs::{
    ClientID, Doc, GetString, Map, OffsetKind, Options, ReadTxn, StateVector, Text, Transact,
    Update,
};

use crate::args::LoadArgs;
use crate::client::{room_name, Client, ClientConfig};
use crate::connect::{check_open_file_limit, client_configs, connect_all, tokens};
use crate::proc_stat::{self, ProcTarget};
use crate::stats::{round_to, Percentiles};

/// Longest wait for the upload, and for all joiners to sync.
const STEP_TIMEOUT: Duration = Duration::from_secs(120);
/// Map entries set per transaction while building the document.
const ENTRIES_PER_TXN: usize = 10;

/// What a `join` run measured.
#[derive(Debug, Clone, Serialize)]
pub struct JoinReport {
    /// Always `"join"`.
    pub mode: &'static str,
    /// Clients that joined at once.
    pub clients: usize,
    /// Characters of text in the document.
    pub doc_text_bytes: usize,
    /// Edits that made the text.
    pub doc_edits: usize,
    /// Map entries in the document.
    pub doc_entries: usize,
    /// Size of the document as one v1 update, in bytes.
    pub doc_update_bytes: usize,
    /// Time from the first joiner's connect until the last one's step2 arrived, in ms.
    pub all_synced_ms: f64,
    /// Each joiner's time from the common start to its step2.
    pub sync_ms: Percentiles,
    /// Joiners whose step2 rebuilt the whole document (text and map); should equal `clients`.
    pub complete_states: usize,
    /// Server resident memory after the upload, before the joins, in KiB.
    pub server_rss_before_join_kb: Option<u64>,
    /// Server peak resident memory (`VmHWM`) at the end, in KiB.
    pub server_peak_rss_kb: Option<u64>,
    /// Server CPU time from the first connect to the last step2.
    pub server_cpu_s: f64,
    /// Generator CPU over the same window.
    pub generator_cpu_s: f64,
}

/// Uploads a document built from `--doc-edits` edits of `--doc-bytes` text plus
/// `--doc-entries` map entries to `room-0`, then connects `--clients` fresh clients to that
/// room at once and times their sync.
///
/// # Errors
/// When the flags are invalid, `--server-pid` is missing, a step times out, or a
/// connection fails.
pub async fn run(args: &LoadArgs) -> anyhow::Result<JoinReport> {
    let base_urls = args.validate()?;
    check_open_file_limit(args.clients + 1)?;
    let ticks = proc_stat::ticks_per_second();
    let server = ProcTarget::Pid(args.server_pid().context("join mode needs --server-pid")?);

    let tokens = tokens(args)?;
    let mut configs = client_configs(args, &base_urls, &tokens)?;
    for config in &mut configs {
        config.room = 0;
        config.token = tokens.for_client(config.index, &room_name(0))?;
    }
    let uploader_config = ClientConfig {
        index: usize::MAX,
        ..configs[0].clone()
    };
    let built = Instant::now();
    let update = build_document(args, StdRng::seed_from_u64(args.seed));
    eprintln!(
        "ycord-load: built a {} byte document in {:.0} ms; uploading",
        update.len(),
        built.elapsed().as_secs_f64() * 1000.0
    );
    let mut uploader = timeout(STEP_TIMEOUT, Client::connect(&uploader_config))
        .await
        .context("uploader: not synced in time")??;
    let update_len = update.len();
    let state_vector = Update::decode_v1(&update)?.state_vector();
    uploader.send(encode::sync_update(&update)).await?;
    // The server handles a connection's messages in order: the step2 answer to this step1
    // arrives only after the upload was applied.
    uploader.send(encode::sync_step1(&state_vector)).await?;
    timeout(STEP_TIMEOUT, uploader.await_step2())
        .await
        .context("upload not confirmed in time")??;
    drop(update);

    let before = proc_stat::sample(server, ticks)?;
    let own_start = proc_stat::sample(ProcTarget::Own, ticks)?;
    eprintln!("ycord-load: {} clients join at once", args.clients);
    let start = Instant::now();
    let joined = connect_all(configs, args.clients, STEP_TIMEOUT).await?;
    let end = proc_stat::sample(server, ticks)?;
    let own_end = proc_stat::sample(ProcTarget::Own, ticks)?;
    let mut sync_us: Vec<u32> = joined
        .iter()
        .map(|c| u32::try_from(c.synced_at.duration_since(start).as_micros()).unwrap_or(u32::MAX))
        .collect();
    let all_synced_ms = sync_us.iter().max().copied().unwrap_or(0) as f64 / 1000.0;

    let mut complete_states = 0;
    for connected in &joined {
        if is_complete(&connected.state, args)? {
            complete_states += 1;
        }
    }
    drop(joined);
    drop(uploader);
    Ok(JoinReport {
        mode: "join",
        clients: args.clients,
        doc_text_bytes: args.doc_bytes,
        doc_edits: args.doc_edits,
        doc_entries: args.doc_entries,
        doc_update_bytes: update_len,
        all_synced_ms: round_to(all_synced_ms, 3),
        sync_ms: Percentiles::from_micros(&mut sync_us),
        complete_states,
        server_rss_before_join_kb: before.rss_kb,
        server_peak_rss_kb: end.peak_rss_kb,
        server_cpu_s: round_to(end.cpu_seconds - before.cpu_seconds, 2),
        generator_cpu_s: round_to(own_end.cpu_seconds - own_start.cpu_seconds, 2),
    })
}

/// The document as one v1 update: `--doc-bytes` of text in root `"text"` typed as
/// `--doc-edits` insertions at random positions, and `--doc-entries` string entries in root
/// map `"meta"`.
pub fn build_document(args: &LoadArgs, mut rng: StdRng) -> Vec<u8> {
    let doc = Doc::with_options(Options {
        client_id: ClientID::new(u64::from(rng.random_range(1..=u32::MAX))),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    });
    let text = doc.get_or_insert_text("text");
    let map = doc.get_or_insert_map("meta");
    let mut len = 0u32;
    for edit in 0..args.doc_edits {
        let remaining = args.doc_bytes - len as usize;
        let chunk = remaining / (args.doc_edits - edit);
        let typed: String = (0..chunk)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz  \n"[rng.random_range(0..29)]))
            .collect();
        let index = rng.random_range(0..=len);
        text.insert(&mut doc.transact_mut(), index, &typed);
        len += chunk as u32;
    }
    for first in (0..args.doc_entries).step_by(ENTRIES_PER_TXN) {
        let mut txn = doc.transact_mut();
        for entry in first..(first + ENTRIES_PER_TXN).min(args.doc_entries) {
            map.insert(
                &mut txn,
                format!("key-{entry}"),
                format!("value of entry {entry}"),
            );
        }
    }
    let txn = doc.transact();
    txn.encode_state_as_update_v1(&StateVector::default())
}

/// Whether `state` rebuilds a document with all of the text and every map entry.
fn is_complete(state: &[u8], args: &LoadArgs) -> anyhow::Result<bool> {
    let doc = Doc::new();
    let text = doc.get_or_insert_text("text");
    let map = doc.get_or_insert_map("meta");
    let update = Update::decode_v1(state).context("a joiner's step2 does not decode")?;
    if doc.transact_mut().apply_update(update).is_err() {
        bail!("a joiner's step2 does not apply");
    }
    let txn = doc.transact();
    Ok(text.get_string(&txn).len() == args.doc_bytes && map.len(&txn) as usize == args.doc_entries)
}
