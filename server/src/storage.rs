//! Opening the configured document store.

use std::sync::Arc;

use ycord_persistence::{DocStore, MemoryStore, SqliteStore, StoreError};

use crate::config::Storage;

/// Opens (and creates, when missing) the store `storage` names.
///
/// # Errors
/// When the directory, file or database cannot be opened or its schema created.
pub(crate) async fn open(storage: &Storage) -> Result<Arc<dyn DocStore>, StoreError> {
    match storage {
        Storage::Memory => Ok(Arc::new(MemoryStore::new())),
        Storage::Embedded(dir) => {
            std::fs::create_dir_all(dir).map_err(|err| {
                StoreError::Unavailable(format!("cannot create {}: {err}", dir.display()))
            })?;
            let store = SqliteStore::open(&dir.join(Storage::EMBEDDED_FILE))?;
            Ok(Arc::new(store))
        }
        #[cfg(feature = "postgres")]
        Storage::Postgres(url) => {
            let store = ycord_persistence::PostgresStore::connect(url).await?;
            Ok(Arc::new(store))
        }
    }
}
