//! The cost of changing one key of a bound Y.Map that has many keys and many subscribed
//! readers (one memo per key read). Target: independent of the number of keys and readers,
//! because a change notifies only the readers of the keys it touched.

// Criterion does not build for wasm32; `cargo clippy --all-targets --target wasm32-unknown-unknown`
// still compiles this file, so its body is native only.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{criterion_group, BenchmarkId, Criterion};
    use leptos::prelude::*;
    use ycord_leptos::use_y_map;

    fn bench(c: &mut Criterion) {
        let mut group = c.benchmark_group("map_one_key_change");
        for (keys, readers) in [(1_000u32, 1_000u32), (10_000, 1_000), (10_000, 10_000)] {
            let owner = Owner::new();
            owner.with(|| {
                let doc = ycord_provider::new_doc();
                let bound = use_y_map(&doc, &doc.get_or_insert_map("m"));
                for k in 0..keys {
                    bound.map.set(&format!("key-{k}"), k).unwrap();
                }
                let stride = keys / readers;
                let memos: Vec<Memo<Option<u32>>> = (0..readers)
                    .map(|r| {
                        let map = bound.map.clone();
                        let key = format!("key-{}", r * stride);
                        Memo::new(move |_| map.get::<u32>(&key))
                    })
                    .collect();
                for m in &memos {
                    m.get();
                }
                let watched = memos[memos.len() / 2];
                let watched_key = format!("key-{}", (readers / 2) * stride);
                let mut n = 0u32;
                group.bench_function(
                    BenchmarkId::new(format!("{readers}_readers"), format!("{keys}_keys")),
                    |b| {
                        b.iter(|| {
                            n = n.wrapping_add(1);
                            bound.map.set(&watched_key, n).unwrap();
                            // The one reader of that key re-runs; the others stay clean.
                            assert_eq!(watched.get(), Some(n));
                        })
                    },
                );
            });
            drop(owner);
        }
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
