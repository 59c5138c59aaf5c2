//! Two instances (two tabs) keeping different documents in one database, writing and
//! compacting in turns, never delete what the other wrote: a third instance loads all of it.

use wasm_bindgen_test::*;
use ycord_persistence::{IndexeddbOptions, IndexeddbPersistence};
use yrs::Any;

use crate::indexeddb::{apply, content, new_doc, unique_name, Op};

#[wasm_bindgen_test]
async fn interleaved_writes_and_compactions_keep_every_row() {
    let name = unique_name("shared");
    // Small thresholds: both compact many times, each while the other has unread rows.
    let options = IndexeddbOptions {
        compact_after_rows: 4,
        compact_after_bytes: usize::MAX,
    };
    let (doc_a, doc_b) = (new_doc(), new_doc());
    let a = IndexeddbPersistence::open_with_options(&name, &doc_a, options.clone())
        .await
        .unwrap();
    let b = IndexeddbPersistence::open_with_options(&name, &doc_b, options)
        .await
        .unwrap();

    for round in 0..12 {
        apply(
            &doc_a,
            &[Op::Map(format!("a{round}"), format!("from a {round}"))],
        );
        apply(
            &doc_b,
            &[Op::Map(format!("b{round}"), format!("from b {round}"))],
        );
        apply(&doc_b, &[Op::Array(format!("b{round}"))]);
        if round % 3 == 0 {
            // Explicit compactions race with the threshold ones.
            b.compact().await.unwrap();
        }
        if round % 2 == 1 {
            a.flush().await.unwrap();
        }
    }
    apply(&doc_a, &[Op::Text(0, "a's last word")]);
    a.flush().await.unwrap();
    b.flush().await.unwrap();

    let reader = new_doc();
    let third = IndexeddbPersistence::open(&name, &reader).await.unwrap();
    let loaded = content(&reader);
    for round in 0..12 {
        assert_eq!(
            loaded.map.get(&format!("a{round}")),
            Some(&Any::from(format!("from a {round}"))),
            "a's edit {round}"
        );
        assert_eq!(
            loaded.map.get(&format!("b{round}")),
            Some(&Any::from(format!("from b {round}"))),
            "b's edit {round}"
        );
    }
    assert_eq!(loaded.map.len(), 24);
    assert_eq!(loaded.array.len(), 12);
    assert_eq!(loaded.text, "a's last word");
    assert!(
        third.stored_rows().await.unwrap() < 4 + 4,
        "both kept compacting"
    );
    drop((a, b));
    third.clear_data().await.unwrap();
}
