//! What can go wrong when an adapter or an emitter is set up.

/// Why an adapter or emitter could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisAdapterError {
    /// The Redis URL is not valid.
    #[error("invalid redis url: {0}")]
    Url(#[from] redis::RedisError),
}
