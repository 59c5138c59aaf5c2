//! Compaction replaces the stored rows by one once either threshold is reached, and the
//! document reloads identical afterwards.

use wasm_bindgen_test::*;
use ycord_persistence::{IndexeddbOptions, IndexeddbPersistence};

use crate::indexeddb::{apply, content, new_doc, sample_ops, unique_name, Op};

#[wasm_bindgen_test]
async fn reaching_the_row_threshold_leaves_one_row() {
    let name = unique_name("compact-rows");
    let doc = new_doc();
    let options = IndexeddbOptions {
        compact_after_rows: 10,
        compact_after_bytes: usize::MAX,
    };
    let local = IndexeddbPersistence::open_with_options(&name, &doc, options.clone())
        .await
        .unwrap();
    apply(&doc, &sample_ops("a", 9));
    local.flush().await.unwrap();
    assert_eq!(local.stored_rows().await.unwrap(), 9, "below the threshold");

    apply(&doc, &sample_ops("b", 1));
    local.flush().await.unwrap();
    assert_eq!(
        local.stored_rows().await.unwrap(),
        1,
        "compacted at 10 rows"
    );

    apply(&doc, &sample_ops("c", 3));
    local.flush().await.unwrap();
    assert_eq!(
        local.stored_rows().await.unwrap(),
        4,
        "the snapshot and 3 new rows"
    );
    let expected = content(&doc);
    drop(local);

    let loaded = new_doc();
    let reopened = IndexeddbPersistence::open_with_options(&name, &loaded, options)
        .await
        .unwrap();
    assert_eq!(content(&loaded), expected);
    reopened.clear_data().await.unwrap();
}

#[wasm_bindgen_test]
async fn reaching_the_byte_threshold_leaves_one_row_and_the_snapshot_does_not_count() {
    let name = unique_name("compact-bytes");
    let doc = new_doc();
    let options = IndexeddbOptions {
        compact_after_rows: 1000,
        compact_after_bytes: 2000,
    };
    let local = IndexeddbPersistence::open_with_options(&name, &doc, options)
        .await
        .unwrap();
    let pasted: &'static str = Box::leak("pasted text ".repeat(50).into_boxed_str());
    assert_eq!(pasted.len(), 600);
    apply(
        &doc,
        &[
            Op::Text(0, pasted),
            Op::Text(0, pasted),
            Op::Text(0, pasted),
        ],
    );
    local.flush().await.unwrap();
    assert_eq!(local.stored_rows().await.unwrap(), 3, "about 1800 bytes");

    apply(&doc, &[Op::Text(0, pasted)]);
    local.flush().await.unwrap();
    assert_eq!(
        local.stored_rows().await.unwrap(),
        1,
        "compacted past 2000 bytes"
    );

    // The snapshot alone holds more than 2000 bytes: were it counted, every edit from now on
    // would compact again.
    apply(&doc, &[Op::Text(0, "small edit")]);
    local.flush().await.unwrap();
    assert_eq!(local.stored_rows().await.unwrap(), 2);
    let expected = content(&doc);
    assert_eq!(expected.text.len(), 4 * 600 + "small edit".len());
    drop(local);

    let loaded = new_doc();
    let reopened = IndexeddbPersistence::open(&name, &loaded).await.unwrap();
    assert_eq!(content(&loaded), expected);
    reopened.clear_data().await.unwrap();
}

#[wasm_bindgen_test]
async fn compact_merges_everything_into_one_row_on_request() {
    let name = unique_name("compact-now");
    let doc = new_doc();
    let local = IndexeddbPersistence::open(&name, &doc).await.unwrap();
    apply(&doc, &sample_ops("now", 25));
    local.compact().await.unwrap();
    local.flush().await.unwrap();
    assert_eq!(local.stored_rows().await.unwrap(), 1);
    let expected = content(&doc);
    drop(local);

    let loaded = new_doc();
    let reopened = IndexeddbPersistence::open(&name, &loaded).await.unwrap();
    assert_eq!(content(&loaded), expected);
    reopened.clear_data().await.unwrap();
}
