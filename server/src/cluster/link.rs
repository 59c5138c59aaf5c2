//! One Redis connection that reopens itself: after a failed request the connection is
//! dropped, and the next request connects again (so the caller controls retry pacing).

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, ErrorKind, FromRedisValue, Pipeline};

use super::error::ClusterError;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long an ordinary request may take (the redis crate's default, 500 ms, is short for a
/// busy server).
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A lazily (re)opened connection to one Redis server.
pub(crate) struct RedisLink {
    client: Client,
    config: AsyncConnectionConfig,
    /// `CLIENT SETNAME`, so `CLIENT LIST` shows which ycord part holds a connection.
    name: String,
    connection: Option<MultiplexedConnection>,
}

impl RedisLink {
    /// A link to `url` (`redis://host:port[/db]`) whose requests time out after
    /// `response_timeout`; nothing connects before the first request.
    ///
    /// # Errors
    /// A URL the redis crate does not accept.
    pub(crate) fn open(
        url: &str,
        name: &str,
        response_timeout: Duration,
    ) -> Result<Self, ClusterError> {
        Ok(RedisLink {
            client: Client::open(url)?,
            config: AsyncConnectionConfig::new()
                .set_connection_timeout(Some(CONNECT_TIMEOUT))
                .set_response_timeout(Some(response_timeout)),
            name: name.to_owned(),
            connection: None,
        })
    }

    /// Whether a connection is open (the next request will not connect first).
    pub(crate) fn is_connected(&self) -> bool {
        self.connection.is_some()
    }

    /// Drops the connection; the next request opens a new one.
    pub(crate) fn reset(&mut self) {
        self.connection = None;
    }

    /// Runs one command.
    pub(crate) async fn query<T: FromRedisValue>(
        &mut self,
        command: &Cmd,
    ) -> Result<T, ClusterError> {
        let connection = self.connection().await?;
        let result = command.query_async(connection).await;
        self.keep_if_usable(result)
    }

    /// Runs a pipeline (atomic if it was built with `atomic()`).
    pub(crate) async fn query_pipeline<T: FromRedisValue>(
        &mut self,
        pipeline: &Pipeline,
    ) -> Result<T, ClusterError> {
        let connection = self.connection().await?;
        let result = pipeline.query_async(connection).await;
        self.keep_if_usable(result)
    }

    async fn connection(&mut self) -> Result<&mut MultiplexedConnection, ClusterError> {
        if self.connection.is_none() {
            let mut connection = self
                .client
                .get_multiplexed_async_connection_with_config(&self.config)
                .await?;
            redis::cmd("CLIENT")
                .arg("SETNAME")
                .arg(&self.name)
                .query_async::<()>(&mut connection)
                .await?;
            self.connection = Some(connection);
        }
        Ok(self.connection.as_mut().expect("connected above"))
    }

    /// An error reply leaves the connection usable; anything else (IO, timeout, a reply that
    /// does not parse) may have left it out of step, so it is dropped.
    fn keep_if_usable<T>(&mut self, result: redis::RedisResult<T>) -> Result<T, ClusterError> {
        result.map_err(|err| {
            if !matches!(err.kind(), ErrorKind::Server(_)) {
                self.reset();
            }
            ClusterError::Redis(err)
        })
    }
}

/// Whether `err` is Redis's answer for a key that does not exist (`XINFO STREAM` on an
/// expired stream).
pub(crate) fn is_no_such_key(err: &ClusterError) -> bool {
    matches!(err, ClusterError::Redis(err)
        if matches!(err.kind(), ErrorKind::Server(_)) && err.to_string().contains("no such key"))
}
