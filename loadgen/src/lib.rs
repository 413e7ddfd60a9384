//! # sockeye-loadgen
//!
//! A Socket.IO load generator: many native clients in one process, each the same sans-IO
//! [`proto::client::Client`] the browser client drives, here pumped by a tokio driver over the
//! native client's transports (`sockeye_client::transports`: sockeye-websocket for WebSocket,
//! the server's own, hyper's HTTP/1.1 client for long-polling). It speaks the
//! protocol to any Socket.IO v5 server, so the same run compares servers.
//!
//! The binary `sockeye-load` runs one workload ([`cli::Workload`], G1 to G6 of issue 6, the
//! connect/emit/disconnect cycles and the reconnect storm of issue 8) and prints
//! a human summary and, with `--json`, a JSON one ([`Summary`]). Latencies go to an HDR histogram;
//! the generator's own CPU time is recorded so that a run it saturated is marked.

pub mod cli;
mod driver;
pub mod proc;
mod run;
pub mod soak;
mod stats;
pub mod wire;
pub mod workload;

pub use cli::Options;
pub use run::{RunError, run};
pub use stats::{Latency, OpenErrors, SATURATED, Storm, Summary, percentile};
