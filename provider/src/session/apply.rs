//! Applying server updates without letting hostile bytes unwind through the session.

use std::panic::{self, AssertUnwindSafe};

use yrs::updates::decoder::Decode;
use yrs::{Transact, Update};

use super::{SessionError, SyncSession};

impl SyncSession {
    /// Decodes and applies a server update under [`remote_origin`](Self::remote_origin).
    /// Update bytes come from the network and can be anything: yrs's decoder has debug
    /// assertions (client ids above 2^53) and its integration code can panic on inconsistent
    /// input, so both run under `catch_unwind` and a panic becomes an error.
    pub(super) fn apply_remote_update(&self, bytes: &[u8]) -> Result<(), SessionError> {
        let update = panic::catch_unwind(|| Update::decode_v1(bytes))
            .map_err(|panic| SessionError::InvalidUpdate {
                detail: panic_message(panic.as_ref()),
            })?
            .map_err(|err| SessionError::InvalidUpdate {
                detail: err.to_string(),
            })?;
        let doc = &self.doc;
        let origin = self.remote_origin.clone();
        panic::catch_unwind(AssertUnwindSafe(move || {
            doc.transact_mut_with(origin).apply_update(update)
        }))
        .map_err(|panic| SessionError::UpdateRejected {
            detail: panic_message(panic.as_ref()),
        })?
        .map_err(|err| SessionError::UpdateRejected {
            detail: err.to_string(),
        })
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    format!("yrs panicked: {message}")
}
