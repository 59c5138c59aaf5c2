//! Node liveness: each node renews a key with a short expiry; a node whose key is gone is
//! dead, and the others drop its clients' awareness states.

use std::time::Duration;

use super::error::ClusterError;
use super::keys::node_heartbeat_key;
use super::link::RedisLink;
use super::node_id::NodeId;

/// Sets `node`'s heartbeat key to expire after `ttl` (`SET key node PX ms`). A node renews it
/// well within `ttl` (a third of it, say) so one slow round trip does not make it look dead.
///
/// # Errors
/// Redis unreachable or failing.
pub(crate) async fn beat(
    link: &mut RedisLink,
    node: NodeId,
    ttl: Duration,
) -> Result<(), ClusterError> {
    let ttl_millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
    link.query::<()>(
        redis::cmd("SET")
            .arg(node_heartbeat_key(node))
            .arg(node.to_string())
            .arg("PX")
            .arg(ttl_millis),
    )
    .await
}

/// Whether `node`'s heartbeat key exists (it beat within its ttl).
///
/// # Errors
/// Redis unreachable or failing: the caller cannot tell, and must not treat the node as dead.
pub(crate) async fn is_alive(link: &mut RedisLink, node: NodeId) -> Result<bool, ClusterError> {
    link.query(redis::cmd("EXISTS").arg(node_heartbeat_key(node)))
        .await
}
