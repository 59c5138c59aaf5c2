//! The [`DocStore`](ycord_persistence::DocStore) contract: the same cases, in `cases.rs`, run
//! against every backend, plus the cases only one backend has (`sqlite.rs`, `postgres.rs`, and
//! SQLite recovering from a failed write and from a full disk, `sqlite_recovers_*.rs`). The
//! cases of `stored_compaction.rs` run against every backend with two stores on the same data,
//! as two servers sharing it have.
//!
//! The PostgreSQL cases need a real server: `cargo xtask test` starts one and sets
//! `YCORD_TEST_POSTGRES_URL`; without it they fail (they are never skipped).
//!
//! These backends are native only; the browser backend has its own binary (`tests/browser/`).
#![cfg(not(target_arch = "wasm32"))]

mod backends;
mod cases;
mod clock;
mod stored_compaction;
mod updates;

mod sqlite;
// Linux only (prlimit, unshare). Both change what a whole process shares (its file size limit,
// its mounts), so each runs in a process of its own.
#[cfg(target_os = "linux")]
mod own_process;
#[cfg(target_os = "linux")]
mod sqlite_recovers_after_a_failed_write;
#[cfg(target_os = "linux")]
mod sqlite_recovers_after_the_disk_fills_up;

#[cfg(feature = "postgres")]
mod postgres;

/// One module per backend with one `#[tokio::test]` per case, e.g. `sqlite::delete_…`.
macro_rules! contract {
    ($backend:ident: $($case:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let backend = crate::backends::Backend::$backend().await;
                    crate::cases::$case(backend.store()).await;
                    backend.finish().await;
                }
            )*
        }
    };
}

macro_rules! every_backend {
    ($($case:ident),* $(,)?) => {
        mod every_backend {
            contract!(memory: $($case),*);
            contract!(sqlite: $($case),*);
            #[cfg(feature = "postgres")]
            contract!(postgres: $($case),*);
        }
    };
}

/// Like `contract!`, for the cases of `stored_compaction.rs`, which also get a second store
/// on the same data (see `Backend::another_store`).
macro_rules! shared_contract {
    ($backend:ident: $($case:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let backend = crate::backends::Backend::$backend().await;
                    let other = backend.another_store().await;
                    crate::stored_compaction::$case(backend.store(), other).await;
                    backend.finish().await;
                }
            )*
        }
    };
}

macro_rules! every_backend_shared {
    ($($case:ident),* $(,)?) => {
        mod every_backend_two_stores {
            shared_contract!(memory: $($case),*);
            shared_contract!(sqlite: $($case),*);
            #[cfg(feature = "postgres")]
            shared_contract!(postgres: $($case),*);
        }
    };
}

every_backend_shared!(
    stored_compaction_keeps_every_update,
    concurrent_stored_compactions_lose_no_concurrent_append,
    an_unreadable_update_keeps_its_range_uncompacted,
    stored_compaction_never_resurrects_a_deleted_document,
);

every_backend!(
    appended_updates_load_back_in_order_and_byte_exact,
    one_batch_spans_several_documents,
    empty_batch_stores_nothing,
    unknown_document_loads_empty,
    concurrent_appends_all_land_with_distinct_seqs,
    compaction_keeps_content_identical,
    updates_after_up_to_survive_compaction_in_order,
    compaction_leaves_other_documents_alone,
    compaction_never_resurrects_a_deleted_document,
    compacting_twice_keeps_one_snapshot,
    delete_removes_only_that_document,
    appends_after_delete_start_a_new_log,
    list_reports_names_counts_and_bytes_in_name_order,
    quarantined_updates_leave_the_log_and_keep_their_bytes_and_reason,
    quarantine_skips_updates_no_longer_in_the_log,
    deleting_a_document_deletes_its_quarantine,
    compaction_leaves_the_quarantine_alone,
    delete_quarantined_removes_one_update,
);
