//! Errors of the cluster's Redis side.

use super::reply::ReplyError;

/// A Redis request that failed. The connection it used is dropped and the next request opens
/// a new one, so the caller only decides when to retry.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClusterError {
    /// Redis could not be reached, the connection broke or timed out, or Redis refused the
    /// command.
    #[error("Redis request failed: {0} (the node keeps serving its own clients and retries)")]
    Redis(#[from] redis::RedisError),
    /// Redis answered something ycord cannot read.
    #[error(transparent)]
    Reply(#[from] ReplyError),
}
