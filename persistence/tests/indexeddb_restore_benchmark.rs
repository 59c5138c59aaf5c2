//! Restore benchmark (not a test; every case is `#[ignore]`d so CI skips it): how long
//! ycord and the y-indexeddb npm package take to restore the automerge-paper document from
//! IndexedDB, in the same Chromium run, stored
//! (a) as one row per edit — 259,778 rows, what y-indexeddb writes while someone types —
//! and (b) compacted into one row.
//!
//! Each restore reads a fresh copy of the same rows (both libraries write to the database
//! while loading: y-indexeddb appends a row, ycord compacts past its row threshold), and the
//! contenders alternate which goes first. Times are `performance.now()` from creating the
//! persistence to the document holding the content (`when_synced` / `whenSynced`).
//!
//! ```text
//! (cd interop && npm ci && npm run build:browser)
//! YCORD_BENCH_RUNS=3 WASM_BINDGEN_TEST_TIMEOUT=900 CHROMEDRIVER=/usr/bin/chromedriver \
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test --release -p ycord-persistence --target wasm32-unknown-unknown \
//!   --test indexeddb_restore_benchmark -- --include-ignored --nocapture
//! ```
//!
//! The trace is `benches/data/automerge-paper.json.gz` (Martin Kleppmann, CC-BY 4.0; see
//! `benches/data/README.md`); yjs replays it in the page, one transaction per edit.
#![cfg(target_arch = "wasm32")]

// Borrowed from the browser tests' binary, which the benchmark stays out of: run by hand with
// `--include-ignored`, it must not bring every browser test along.
#[path = "browser/indexeddb.rs"]
mod indexeddb;
#[path = "browser/yjs.rs"]
mod yjs;

use indexeddb::{new_doc, unique_name};
use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use ycord_persistence::IndexeddbPersistence;
use yrs::{Text, Transact};

wasm_bindgen_test_configure!(run_in_browser);

const TRACE: &[u8] = include_bytes!("../../benches/data/automerge-paper.json.gz");

/// Restores per contender and storage layout (`YCORD_BENCH_RUNS` at build time, default 3).
fn runs() -> usize {
    option_env!("YCORD_BENCH_RUNS").map_or(3, |runs| runs.parse().expect("a number of runs"))
}

fn now() -> f64 {
    web_sys::window()
        .expect("a window")
        .performance()
        .expect("performance")
        .now()
}

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).expect("field")
}

struct Trace {
    updates: Array,
    snapshot: Uint8Array,
    text_length: u32,
}

async fn trace() -> Trace {
    let replayed = yjs::replay_trace(&Uint8Array::from(TRACE)).await;
    let text = get(&replayed, "text").as_string().expect("text");
    Trace {
        updates: get(&replayed, "updates").into(),
        snapshot: get(&replayed, "snapshot").into(),
        text_length: text.encode_utf16().count() as u32,
    }
}

/// Milliseconds ycord takes to restore `name`, and then to finish the compaction that the
/// load starts (0 when none is due).
async fn restore_with_ycord(name: &str, text_length: u32) -> (f64, f64) {
    let start = now();
    let doc = new_doc();
    let local = IndexeddbPersistence::open(name, &doc).await.unwrap();
    let restored = now() - start;
    let text = doc.get_or_insert_text("text");
    assert_eq!(
        text.len(&doc.transact()),
        text_length,
        "ycord restored it all"
    );
    local.flush().await.unwrap();
    let compacted = now() - start - restored;
    drop(local);
    (restored, compacted)
}

async fn restore_with_y_indexeddb(name: &str, text_length: u32) -> f64 {
    let result = yjs::restore_with_y_indexeddb(name).await;
    let length = get(&result, "length").as_f64().unwrap() as u32;
    assert_eq!(length, text_length, "y-indexeddb restored it all");
    get(&result, "ms").as_f64().unwrap()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn compare(layout: &str, rows: &Array, text_length: u32) {
    let (mut ycord, mut ycord_compaction, mut js) = (Vec::new(), Vec::new(), Vec::new());
    let mut get_all = Vec::new();
    let mut reloaded = Vec::new();
    for run in 0..runs() {
        let ycord_name = unique_name(&format!("bench-{layout}-ycord"));
        let js_name = unique_name(&format!("bench-{layout}-js"));
        let start = now();
        yjs::write_rows(&ycord_name, rows).await;
        yjs::write_rows(&js_name, rows).await;
        let written = now() - start;
        // The read both libraries need, on both copies alike.
        for name in [&ycord_name, &js_name] {
            let read = yjs::time_get_all(name).await;
            assert_eq!(get(&read, "rows").as_f64(), Some(f64::from(rows.length())));
            get_all.push(get(&read, "ms").as_f64().unwrap());
        }
        if run % 2 == 0 {
            let (restored, compacted) = restore_with_ycord(&ycord_name, text_length).await;
            js.push(restore_with_y_indexeddb(&js_name, text_length).await);
            ycord.push(restored);
            ycord_compaction.push(compacted);
        } else {
            js.push(restore_with_y_indexeddb(&js_name, text_length).await);
            let (restored, compacted) = restore_with_ycord(&ycord_name, text_length).await;
            ycord.push(restored);
            ycord_compaction.push(compacted);
        }
        console_log!(
            "{layout} run {run}: ycord {:.0} ms (+{:.0} ms compaction after), y-indexeddb {:.0} ms \
             (one getAll of the rows: {:.0} ms) [writing {} rows twice took {:.0} ms]",
            ycord[run],
            ycord_compaction[run],
            js[run],
            get_all[2 * run],
            rows.length(),
            written
        );
        // The next page load, still without edits: ycord's load left one compacted row,
        // y-indexeddb's added one full-state row to the rows it had.
        let (again, _) = restore_with_ycord(&ycord_name, text_length).await;
        let js_again = restore_with_y_indexeddb(&js_name, text_length).await;
        console_log!(
            "{layout} run {run}, reloaded: ycord {again:.0} ms, y-indexeddb {js_again:.0} ms"
        );
        reloaded.push((again, js_again));
        yjs::delete_database(&ycord_name).await;
        yjs::delete_database(&js_name).await;
    }
    let (ycord, js, get_all) = (median(ycord), median(js), median(get_all));
    console_log!(
        "RESULT {layout} ({} rows): ycord {ycord:.0} ms, y-indexeddb {js:.0} ms, \
         ycord/y-indexeddb = {:.2}; one getAll of the same rows, before either restore, \
         {get_all:.0} ms (medians of {}; ycord's compaction after load {:.0} ms)",
        rows.length(),
        ycord / js,
        runs(),
        median(ycord_compaction)
    );
    console_log!(
        "RESULT {layout}, second restore without edits: ycord {:.0} ms, y-indexeddb {:.0} ms",
        median(reloaded.iter().map(|r| r.0).collect()),
        median(reloaded.iter().map(|r| r.1).collect())
    );
}

#[wasm_bindgen_test]
#[ignore = "benchmark: run with --include-ignored, see the file's docs"]
async fn restore_automerge_paper_from_one_row_per_edit() {
    let trace = trace().await;
    assert_eq!(trace.updates.length(), 259_778);
    compare("individual", &trace.updates, trace.text_length).await;
}

#[wasm_bindgen_test]
#[ignore = "benchmark: run with --include-ignored, see the file's docs"]
async fn restore_automerge_paper_from_one_compacted_row() {
    let trace = trace().await;
    let rows = Array::of1(&trace.snapshot);
    compare("compacted", &rows, trace.text_length).await;
}
