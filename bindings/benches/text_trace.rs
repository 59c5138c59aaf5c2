//! The automerge-paper editing trace (259,778 edits, see `benches/data/README.md` at the
//! workspace root) replayed into a Y.Text two ways in the same run: raw yrs, and through
//! `use_y_text` with a live subscriber that re-runs after every edit. Target: the bound
//! replay costs at most 15 % more than the raw one.
//!
//! `YCORD_TRACE_EDITS=N` replays only the first N edits (for quick runs on a busy machine).

// Criterion does not build for wasm32; `cargo clippy --all-targets --target wasm32-unknown-unknown`
// still compiles this file, so its body is native only.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::fs::File;
    use std::io::BufReader;
    use std::path::Path;

    use criterion::{criterion_group, Criterion};
    use flate2::read::GzDecoder;
    use leptos::prelude::*;
    use serde::Deserialize;
    use ycord_leptos::{use_y_text, TextDelta};
    use yrs::{GetString, Text, Transact};

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Trace {
        end_content: String,
        txns: Vec<Txn>,
    }

    #[derive(Deserialize)]
    struct Txn {
        patches: Vec<Patch>,
    }

    /// `[position, characters deleted, text inserted]`.
    #[derive(Deserialize)]
    struct Patch(u32, u32, String);

    fn read_trace() -> Vec<Patch> {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/data/automerge-paper.json.gz");
        let file = File::open(&path).unwrap_or_else(|err| panic!("open {}: {err}", path.display()));
        let trace: Trace = serde_json::from_reader(BufReader::new(GzDecoder::new(file)))
            .unwrap_or_else(|err| panic!("parse {}: {err}", path.display()));
        let mut patches: Vec<Patch> = trace.txns.into_iter().flat_map(|t| t.patches).collect();
        // Check once that both replays produce the same text (the paper itself for the full
        // trace), so the timings compare equal work.
        match std::env::var("YCORD_TRACE_EDITS")
            .ok()
            .and_then(|n| n.parse().ok())
        {
            Some(n) => patches.truncate(n),
            None => assert_eq!(replay_raw(&patches), trace.end_content),
        }
        assert_eq!(replay_bound(&patches), replay_raw(&patches));
        patches
    }

    fn replay_raw(patches: &[Patch]) -> String {
        let doc = ycord_provider::new_doc();
        let text = doc.get_or_insert_text("text");
        for Patch(pos, del, ins) in patches {
            let mut txn = doc.transact_mut();
            if *del > 0 {
                text.remove_range(&mut txn, *pos, *del);
            }
            if !ins.is_empty() {
                text.insert(&mut txn, *pos, ins);
            }
        }
        let s = text.get_string(&doc.transact());
        s
    }

    /// Raw yrs with one observer that does nothing: the part of the overhead that is yrs
    /// building change events at all.
    fn replay_observed(patches: &[Patch]) -> String {
        use yrs::Observable;
        let doc = ycord_provider::new_doc();
        let text = doc.get_or_insert_text("text");
        text.observe("bench", |_, _| {});
        for Patch(pos, del, ins) in patches {
            let mut txn = doc.transact_mut();
            if *del > 0 {
                text.remove_range(&mut txn, *pos, *del);
            }
            if !ins.is_empty() {
                text.insert(&mut txn, *pos, ins);
            }
        }
        let s = text.get_string(&doc.transact());
        text.unobserve("bench");
        s
    }

    fn replay_bound(patches: &[Patch]) -> String {
        let owner = Owner::new();
        let out = owner.with(|| {
            let doc = ycord_provider::new_doc();
            let text = doc.get_or_insert_text("text");
            let bound = use_y_text(&doc, &text);
            // A live subscriber, like a component patching the DOM from deltas: it re-runs after
            // every edit.
            let (len, delta) = (bound.len, bound.delta);
            let subscriber = Memo::new(move |_| {
                let inserted: usize = delta.with(|d| {
                    d.iter()
                        .map(|step| match step {
                            TextDelta::Insert(s) => s.len(),
                            _ => 0,
                        })
                        .sum()
                });
                (len.get(), inserted)
            });
            let mut seen = 0u64;
            for Patch(pos, del, ins) in patches {
                (bound.replace)(*pos, *del, ins);
                seen += subscriber.get().0 as u64;
            }
            assert!(seen > 0);
            bound.text.get_untracked()
        });
        drop(owner);
        out
    }

    fn bench(c: &mut Criterion) {
        let patches = read_trace();
        let mut group = c.benchmark_group("automerge_paper_replay");
        group.sample_size(10);
        group.warm_up_time(std::time::Duration::from_millis(100));
        group.bench_function("raw_yrs", |b| b.iter(|| replay_raw(&patches)));
        group.bench_function("raw_yrs_noop_observer", |b| {
            b.iter(|| replay_observed(&patches))
        });
        group.bench_function("use_y_text_live_subscriber", |b| {
            b.iter(|| replay_bound(&patches))
        });
        group.finish();
    }

    criterion_group!(benches, bench);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

#[cfg(target_arch = "wasm32")]
fn main() {}
