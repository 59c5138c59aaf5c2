//! The room's document size limit, checked without encoding the document on every update.
//!
//! The exact size (the document encoded as one v1 update) costs an encoding of the whole
//! document, so the room keeps an estimate instead: the exact size when it was last
//! measured, plus a generous allowance for each update applied since. Only when the estimate
//! and an incoming update would pass the limit is the document measured again, and the
//! refusal is always decided on the exact size.

/// An update would make the document larger than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the document would exceed {limit} bytes")]
pub(crate) struct TooLarge {
    /// The limit in bytes.
    pub(crate) limit: usize,
}

/// Growth allowed per byte of an applied update. An update's bytes bound what it adds,
/// except that inserting or deleting inside an existing run splits it, and each split adds
/// a struct header the update does not carry; twice its length plus
/// [`GROWTH_PER_UPDATE`] covers that.
const GROWTH_PER_BYTE: usize = 2;
/// Growth allowed per applied update, on top of [`GROWTH_PER_BYTE`].
const GROWTH_PER_UPDATE: usize = 64;

/// The document size limit and what is known of the document's size.
#[derive(Debug, Clone)]
pub(crate) struct DocumentSize {
    limit: usize,
    /// At least the document's encoded size; `None` until first measured, and after the
    /// document was replaced.
    estimate: Option<usize>,
}

impl DocumentSize {
    /// No document larger than `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        DocumentSize {
            limit,
            estimate: None,
        }
    }

    /// Whether the document may take `incoming` more bytes of updates. `measure` returns the
    /// document's exact encoded size; it is called only when the estimate is too close to
    /// the limit to decide.
    ///
    /// # Errors
    /// [`Admission::TooLarge`] when the exact size plus `incoming` passes the limit;
    /// [`Admission::Unmeasurable`] with `measure`'s error.
    pub(crate) fn admit<E>(
        &mut self,
        incoming: usize,
        measure: impl FnOnce() -> Result<usize, E>,
    ) -> Result<(), Admission<E>> {
        let fits = |size: usize| size.saturating_add(incoming) <= self.limit;
        if self.estimate.is_some_and(fits) {
            return Ok(());
        }
        let exact = measure().map_err(Admission::Unmeasurable)?;
        self.estimate = Some(exact);
        if fits(exact) {
            Ok(())
        } else {
            Err(Admission::TooLarge(TooLarge { limit: self.limit }))
        }
    }

    /// Counts an update of `len` bytes the document applied (or kept waiting for its
    /// dependencies, which the encoded document carries too).
    pub(crate) fn record(&mut self, len: usize) {
        if let Some(estimate) = &mut self.estimate {
            *estimate = estimate
                .saturating_add(len.saturating_mul(GROWTH_PER_BYTE))
                .saturating_add(GROWTH_PER_UPDATE);
        }
    }

    /// The document was replaced (rebuilt from the store): its size is measured again.
    pub(crate) fn forget(&mut self) {
        self.estimate = None;
    }
}

/// Why [`DocumentSize::admit`] did not admit an update.
#[derive(Debug)]
pub(crate) enum Admission<E> {
    /// The document would pass its limit.
    TooLarge(TooLarge),
    /// Measuring the document failed.
    Unmeasurable(E),
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::convert::Infallible;

    use fastrand::Rng;
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, ReadTxn, StateVector, Text, Transact, Update};

    use super::*;

    fn exact(size: usize, calls: &Cell<u32>) -> impl FnOnce() -> Result<usize, Infallible> + '_ {
        move || {
            calls.set(calls.get() + 1);
            Ok(size)
        }
    }

    #[test]
    fn the_first_update_measures_then_small_ones_do_not() {
        let calls = Cell::new(0);
        let mut size = DocumentSize::new(10_000);
        size.admit(100, exact(1_000, &calls)).unwrap();
        size.record(100);
        for _ in 0..10 {
            size.admit(100, exact(0, &calls)).unwrap();
            size.record(100);
        }
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn near_the_limit_the_exact_size_decides() {
        let calls = Cell::new(0);
        let mut size = DocumentSize::new(1_000);
        size.admit(10, exact(900, &calls)).unwrap();
        size.record(10);
        // The estimate (900 + 2 * 10 + 64) plus 90 passes 1,000; the document is in fact
        // 910 bytes, so 90 more fit.
        size.admit(90, exact(910, &calls)).unwrap();
        assert_eq!(calls.get(), 2);
        let refused = size.admit(91, exact(910, &calls));
        assert!(matches!(
            refused,
            Err(Admission::TooLarge(TooLarge { limit: 1_000 }))
        ));
    }

    #[test]
    fn a_replaced_document_is_measured_again() {
        let calls = Cell::new(0);
        let mut size = DocumentSize::new(1_000);
        size.admit(1, exact(0, &calls)).unwrap();
        size.forget();
        assert!(size.admit(1, exact(1_000, &calls)).is_err());
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn a_failed_measurement_is_passed_on() {
        let mut size = DocumentSize::new(1_000);
        let failed = size.admit(1, || Err("yrs panicked"));
        assert!(matches!(
            failed,
            Err(Admission::Unmeasurable("yrs panicked"))
        ));
    }

    /// Random inserts and deletes inside runs (which split structs): after each, the
    /// estimate is still at least the exact encoded size.
    #[test]
    fn the_estimate_never_falls_below_the_exact_size() {
        let mut rng = Rng::with_seed(14);
        let room = Doc::new();
        let mut size = DocumentSize::new(usize::MAX);
        let encoded = |doc: &Doc| {
            doc.transact()
                .encode_state_as_update_v1(&StateVector::default())
                .len()
        };
        let writers: Vec<Doc> = (1..=3).map(Doc::with_client_id).collect();
        for step in 0..600 {
            let writer = &writers[rng.usize(..writers.len())];
            let text = writer.get_or_insert_text("text");
            let update = {
                let mut txn = writer.transact_mut();
                let len = text.len(&txn);
                if len > 2 && rng.bool() {
                    let at = rng.u32(..len - 1);
                    text.remove_range(&mut txn, at, 1 + rng.u32(..(len - at).min(3)));
                } else {
                    let word = "x".repeat(rng.usize(1..40));
                    text.insert(&mut txn, rng.u32(..=len), &word);
                }
                txn.encode_update_v1()
            };
            let len = update.len();
            size.admit(len, || Ok::<_, Infallible>(encoded(&room)))
                .unwrap();
            room.transact_mut()
                .apply_update(Update::decode_v1(&update).unwrap())
                .unwrap();
            size.record(len);
            // Everyone sees everyone's edits, so later edits land inside others' runs.
            let state = room
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            for other in &writers {
                other
                    .transact_mut()
                    .apply_update(Update::decode_v1(&state).unwrap())
                    .unwrap();
            }
            let estimate = size.estimate.unwrap();
            assert!(
                estimate >= encoded(&room),
                "step {step}: {estimate} < {}",
                encoded(&room)
            );
        }
    }
}
