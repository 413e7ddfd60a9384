//! The command line.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Drives many Socket.IO clients against one server and reports throughput and latency.
///
/// Event vocabulary (the server must have these handlers): `echo-ack` acknowledges with its
/// arguments; `join(room)` joins the room and acknowledges; `to-room(room, event, ...args)` emits
/// `event` with `args` to the room's other sockets and acknowledges.
#[derive(Clone, Debug, Parser)]
#[command(name = "sockeye-load", version)]
pub struct Options {
    /// The server's URL.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// Number of clients (G3: receivers; one more client emits; G5: concurrent connect cycles).
    #[arg(long, default_value_t = 100)]
    pub clients: u32,
    /// How the clients connect.
    #[arg(long, value_enum, default_value_t = TransportChoice::Websocket)]
    pub transport: TransportChoice,
    /// Connections started per second while ramping up.
    #[arg(long, default_value_t = 2000)]
    pub ramp: u32,
    /// What the clients do once connected.
    #[arg(long, value_enum, default_value_t = Workload::G1)]
    pub workload: Workload,
    /// Length of the measured window, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of load before the measured window starts.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// G2: messages per second, across all clients.
    #[arg(long, default_value_t = 10_000)]
    pub rate: u32,
    /// G3: broadcasts the emitter may have sent and not yet seen delivered to every receiver.
    #[arg(long, default_value_t = 4)]
    pub window: u32,
    /// `mixed`: broadcasts per second to the room.
    #[arg(long, default_value_t = 10)]
    pub broadcast_rate: u32,
    /// G1, G2, G6, `mixed` and `cycle`: the `echo-ack` argument is an object of about this many
    /// bytes of JSON (a feed of generated records, which compresses as app data does: about 4 to
    /// 1) instead of G1's small object (0, the default).
    #[arg(long, default_value_t = 0)]
    pub payload_bytes: usize,
    /// Writes the JSON summary here (`-` for stdout).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// The server's process id: its CPU time over the measured window and its memory are read
    /// from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Creates this file once every client is connected (and, in G3, has joined the room), for a
    /// script coordinating several generator processes.
    #[arg(long)]
    pub ready_file: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Exits with status 1 when the run counted an error or completed nothing (for CI).
    #[arg(long)]
    pub check: bool,
    /// G5 and `cycle`: stop after this many cycles instead of after `--duration` (the window
    /// then lasts from the first to the end of the last; no warm-up).
    #[arg(long)]
    pub cycles: Option<u64>,
    /// `storm`: a file holding the Unix time in milliseconds at which the restarted server
    /// listens, written by the script that restarts it; reconnection times count from it (without
    /// it, or while it is missing, from the first connection lost).
    #[arg(long)]
    pub restart_file: Option<PathBuf>,
    /// How Socket.IO packets travel: `json` (socket.io-parser, the default) or `msgpack`
    /// (socket.io-msgpack-parser's wire); the server must use the same (`--parser msgpack`).
    #[arg(long, value_enum, default_value_t = ParserChoice::Json)]
    pub parser: ParserChoice,
    /// Offer WebSocket compression, permessage-deflate, as socket.io-client does under Node
    /// (from 1,024 bytes, level 6); the server compresses only if its own is on
    /// (`--per-message-deflate`).
    #[arg(long)]
    pub per_message_deflate: bool,
}

/// The `--parser` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ParserChoice {
    /// socket.io-parser.
    Json,
    /// socket.io-msgpack-parser.
    Msgpack,
}

impl ParserChoice {
    /// The core's parser.
    pub fn parser(self) -> proto::socket::Parser {
        match self {
            ParserChoice::Json => proto::socket::Parser::Json,
            ParserChoice::Msgpack => proto::socket::Parser::MessagePack,
        }
    }
}

/// How the clients connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TransportChoice {
    /// WebSocket only, from the start.
    Websocket,
    /// Long-polling only, never upgraded.
    Polling,
    /// Long-polling first, then the upgrade to WebSocket (the reference client's default).
    Upgrade,
}

impl TransportChoice {
    /// The name on the command line and in the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportChoice::Websocket => "websocket",
            TransportChoice::Polling => "polling",
            TransportChoice::Upgrade => "upgrade",
        }
    }
}

/// The workloads of issue 6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// Ack-echo: every client keeps one emit-with-ack in flight.
    G1,
    /// Latency: a fixed total rate (`--rate`) across the clients, round trips timed from when each
    /// emit was due (so a stalled client does not hide its delay).
    G2,
    /// Broadcast: one emitter, the clients in one room; deliveries and delivery latency.
    G3,
    /// Idle: the clients connect and stay connected (the server's memory per connection).
    G4,
    /// Handshakes: each client slot connects, gets its CONNECT answered, disconnects, again.
    G5,
    /// Long-polling throughput: G1 over long-polling.
    G6,
    /// Cycles with a message: each client slot connects, gets its CONNECT answered, emits
    /// `echo-ack` and waits for the ack, disconnects (`socket.disconnect()`), again.
    Cycle,
    /// Reconnect storm: the clients connect, with the reference's reconnection (backoff and
    /// jitter), and wait for the server to go away and come back; the window lasts until every
    /// lost client reconnected, or `--duration` seconds after the first loss.
    Storm,
    /// Well-behaved traffic (issue 13's abuse benchmark): G2's paced `echo-ack` emits
    /// (`--rate` in all) from clients that have all joined one room, and one more client
    /// broadcasting to that room at a fixed rate (`--broadcast-rate`); ack round trips and
    /// delivery latencies are timed apart.
    Mixed,
}

impl Workload {
    /// The name on the command line and in the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Workload::G1 => "g1",
            Workload::G2 => "g2",
            Workload::G3 => "g3",
            Workload::G4 => "g4",
            Workload::G5 => "g5",
            Workload::G6 => "g6",
            Workload::Cycle => "cycle",
            Workload::Storm => "storm",
            Workload::Mixed => "mixed",
        }
    }

    /// The unit of the workload's throughput figure.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::G1 | Workload::G2 | Workload::G6 | Workload::Mixed => "acks",
            Workload::G3 => "deliveries",
            Workload::G4 => "connections",
            Workload::G5 | Workload::Cycle => "handshakes",
            Workload::Storm => "reconnections",
        }
    }
}

/// Prints a run's summary as its binary does: the text on stdout, and with `--json PATH` the
/// JSON to PATH too (with `--json -`, the JSON on stdout and the text on stderr). `Err` is the
/// exit code of a summary that could not be written, after saying why (as `name`).
pub fn print_summary<S: serde::Serialize>(
    name: &str,
    summary: &S,
    text: &str,
    json: Option<&std::path::Path>,
) -> Result<(), std::process::ExitCode> {
    use std::io::Write as _;
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("{name}: {e}");
        std::process::ExitCode::from(2)
    };
    let encoded = serde_json::to_string_pretty(summary).map_err(|e| fail(&e))?;
    match json {
        Some(p) if p.as_os_str() == "-" => {
            eprint!("{text}");
            println!("{encoded}");
        }
        Some(p) => {
            print!("{text}");
            std::fs::write(p, encoded + "\n")
                .map_err(|e| fail(&format!("{}: {e}", p.display())))?;
        }
        None => print!("{text}"),
    }
    let _ = std::io::stdout().flush();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_flags_parse() {
        let o = Options::parse_from(["sockeye-load"]);
        assert_eq!(o.workload, Workload::G1);
        assert_eq!(o.transport, TransportChoice::Websocket);
        assert_eq!(o.clients, 100);
        assert_eq!(o.parser, ParserChoice::Json);
        let o = Options::parse_from(["sockeye-load", "--parser", "msgpack"]);
        assert_eq!(o.parser.parser(), proto::socket::Parser::MessagePack);
        let o = Options::parse_from([
            "sockeye-load",
            "--url",
            "http://127.0.0.1:9",
            "--clients",
            "1000",
            "--transport",
            "polling",
            "--workload",
            "g6",
            "--duration",
            "2.5",
            "--json",
            "-",
        ]);
        assert_eq!(o.workload, Workload::G6);
        assert_eq!(o.transport, TransportChoice::Polling);
        assert_eq!(o.clients, 1000);
        assert!((o.duration - 2.5).abs() < f64::EPSILON);
        assert_eq!(o.json.as_deref(), Some(std::path::Path::new("-")));
        assert!(Options::try_parse_from(["sockeye-load", "--workload", "g7"]).is_err());
        let o = Options::parse_from(["sockeye-load", "--workload", "storm", "--restart-file", "r"]);
        assert_eq!(o.workload, Workload::Storm);
        assert_eq!(o.restart_file.as_deref(), Some(std::path::Path::new("r")));
        let o = Options::parse_from(["sockeye-load", "--workload", "cycle", "--cycles", "10000"]);
        assert_eq!((o.workload, o.cycles), (Workload::Cycle, Some(10_000)));
        let o = Options::parse_from([
            "sockeye-load",
            "--workload",
            "mixed",
            "--broadcast-rate",
            "20",
        ]);
        assert_eq!((o.workload, o.broadcast_rate), (Workload::Mixed, 20));
        assert_eq!(Options::parse_from(["sockeye-load"]).broadcast_rate, 10);
    }
}
