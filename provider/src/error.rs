//! Errors of the provider's public API.

use thiserror::Error;

/// Why a provider call was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProviderError {
    /// The server URL and room do not form a usable WebSocket URL.
    #[error("cannot connect to {url:?}: {detail}")]
    InvalidUrl {
        /// The URL as assembled from server URL, room and parameters.
        url: String,
        /// What is wrong with it and what to use instead.
        detail: String,
    },
    /// An awareness state must be a JSON document; peers reject frames carrying anything else.
    #[error("awareness state is not valid JSON: {detail}")]
    InvalidAwarenessState {
        /// What the JSON parser reported.
        detail: String,
    },
}
