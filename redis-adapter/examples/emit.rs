//! Publishes one thing to a cluster through [`sockeye_redis::Emitter`], then exits once Redis
//! has it (`tests/cluster/` runs it).
//!
//! ```text
//! cargo run -p sockeye-redis --example emit -- --redis URL [--nsp /] [--to ROOM]... [--except ROOM]...
//!     emit EVENT JSON | join ROOM | leave ROOM | disconnect | server-side EVENT JSON
//! ```

use std::time::Duration;

use sockeye_redis::Emitter;
use sockeye_server::Value;

fn run(args: Vec<String>) -> Result<(Emitter, Vec<String>), String> {
    let mut redis = "redis://127.0.0.1:6379".to_owned();
    let mut nsp = "/".to_owned();
    let mut to = Vec::new();
    let mut except = Vec::new();
    let mut rest = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--redis" => redis = value("--redis")?,
            "--nsp" => nsp = value("--nsp")?,
            "--to" => to.push(value("--to")?),
            "--except" => except.push(value("--except")?),
            _ => rest.push(a),
        }
    }
    let emitter = Emitter::new(&redis).map_err(|e| e.to_string())?.of(&nsp);
    let op = emitter.to(to).except(except);
    let json = |s: Option<&String>| -> Result<Value, String> {
        serde_json::from_str(s.map_or("null", String::as_str)).map_err(|e| format!("JSON: {e}"))
    };
    let result = match rest.first().map(String::as_str) {
        Some("emit") => {
            let event = rest.get(1).ok_or("emit EVENT JSON")?;
            op.emit(event, &json(rest.get(2))?)
        }
        Some("join") => op.sockets_join(rest.get(1).ok_or("join ROOM")?.as_str()),
        Some("leave") => op.sockets_leave(rest.get(1).ok_or("leave ROOM")?.as_str()),
        Some("disconnect") => op.disconnect_sockets(false),
        Some("server-side") => {
            let event = rest.get(1).ok_or("server-side EVENT JSON")?;
            emitter.server_side_emit(event, &json(rest.get(2))?)
        }
        _ => return Err("emit | join | leave | disconnect | server-side".into()),
    };
    result.map_err(|e| e.to_string())?;
    Ok((emitter, rest))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let (emitter, _) = match run(std::env::args().skip(1).collect()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("emit: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match emitter.flush(Duration::from_secs(10)).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("emit: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
