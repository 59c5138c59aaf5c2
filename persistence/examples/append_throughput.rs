//! Durable append throughput: how many small updates per second a store commits when group
//! commit hands it batches of 1, 10 or 100 updates, for one document and for 100.
//!
//! Updates are real yrs updates of one typed character (about 30 bytes). Appends are
//! sequential, one commit in flight, as the server's group-commit task issues them.
//!
//! ```text
//! cargo run --release -p ycord-persistence --example append_throughput            # SQLite
//! cargo xtask with-postgres cargo run --release -p ycord-persistence \
//!     --features postgres --example append_throughput                             # + PostgreSQL
//! ```
//! PostgreSQL is measured when `YCORD_TEST_POSTGRES_URL` is set. `--seconds N` sets how long
//! each configuration runs (default 3). The SQLite file lives in the system temp dir; set
//! `TMPDIR` to measure another disk.
//!
//! The backends measured here are native only; a wasm32 build of the examples gets a `main`
//! that says so.

#[cfg(target_arch = "wasm32")]
fn main() {
    panic!("append_throughput measures the native backends: run it with a native target");
}

#[cfg(not(target_arch = "wasm32"))]
use native::main;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use bytes::Bytes;
    use ycord_persistence::{DocStore, SqliteStore};
    use yrs::{Doc, Text, Transact};

    const DOC_COUNTS: [usize; 2] = [1, 100];
    const BATCH_SIZES: [usize; 3] = [1, 10, 100];

    #[tokio::main]
    pub async fn main() {
        let seconds = std::env::args()
            .skip_while(|arg| arg != "--seconds")
            .nth(1)
            .map(|value| value.parse().expect("--seconds takes a number"))
            .unwrap_or(3.0);
        let run_for = Duration::from_secs_f64(seconds);
        let updates = typed_updates(20_000);
        let average = updates.iter().map(Bytes::len).sum::<usize>() as f64 / updates.len() as f64;
        println!(
            "{} distinct typing updates, {average:.1} bytes on average; {seconds} s per row\n",
            updates.len()
        );
        println!(
            "{:<10} {:>5} {:>6} {:>12} {:>10} {:>12}",
            "store", "docs", "batch", "updates/s", "commits/s", "ms/commit"
        );

        let dir = tempfile::tempdir().unwrap();
        let sqlite: Arc<dyn DocStore> =
            Arc::new(SqliteStore::open(&dir.path().join("bench.sqlite3")).unwrap());
        measure("sqlite", &sqlite, &updates, run_for).await;

        match std::env::var("YCORD_TEST_POSTGRES_URL") {
        Ok(url) => postgres(&url, &updates, run_for).await,
        Err(_) => println!(
            "\npostgres: skipped (set YCORD_TEST_POSTGRES_URL, e.g. with `cargo xtask with-postgres`)"
        ),
    }
    }

    #[cfg(feature = "postgres")]
    async fn postgres(url: &str, updates: &[Bytes], run_for: Duration) {
        let store: Arc<dyn DocStore> = Arc::new(
            ycord_persistence::PostgresStore::connect(url)
                .await
                .expect("PostgreSQL is reachable"),
        );
        measure("postgres", &store, updates, run_for).await;
    }

    #[cfg(not(feature = "postgres"))]
    async fn postgres(_url: &str, _updates: &[Bytes], _run_for: Duration) {
        println!("\npostgres: skipped (build with --features postgres)");
    }

    async fn measure(name: &str, store: &Arc<dyn DocStore>, updates: &[Bytes], run_for: Duration) {
        for docs in DOC_COUNTS {
            let names: Vec<String> = (0..docs)
                .map(|i| format!("{name}-{docs}-room-{i}"))
                .collect();
            for batch_size in BATCH_SIZES {
                let mut next = 0usize;
                let mut commits = 0u64;
                let started = Instant::now();
                while started.elapsed() < run_for {
                    // Round-robin over the documents, as group commit gathers many rooms.
                    let batch: Vec<(&str, Bytes)> = (0..batch_size)
                        .map(|i| {
                            let n = next + i;
                            (names[n % docs].as_str(), updates[n % updates.len()].clone())
                        })
                        .collect();
                    store.append_batch(&batch).await.expect("append");
                    next += batch_size;
                    commits += 1;
                }
                let elapsed = started.elapsed().as_secs_f64();
                println!(
                    "{name:<10} {docs:>5} {batch_size:>6} {:>12.0} {:>10.0} {:>12.3}",
                    next as f64 / elapsed,
                    commits as f64 / elapsed,
                    elapsed * 1000.0 / commits as f64
                );
            }
        }
    }

    /// One yrs update per typed character, from a client with a 32-bit id as browsers use.
    fn typed_updates(count: usize) -> Vec<Bytes> {
        let doc = Doc::with_client_id(0x9e37_79b9);
        let text = doc.get_or_insert_text("text");
        (0..count)
            .map(|i| {
                let mut txn = doc.transact_mut();
                let letter = char::from(b'a' + (i % 26) as u8).to_string();
                text.insert(&mut txn, i as u32, &letter);
                Bytes::from(txn.encode_update_v1())
            })
            .collect()
    }
}
