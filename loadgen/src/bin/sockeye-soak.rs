//! `sockeye-soak`: the at-least-once soak; see `sockeye-soak --help` and
//! [`sockeye_loadgen::soak`].

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use sockeye_loadgen::soak::{Options, run};

fn main() -> ExitCode {
    let opts = Options::parse();
    let json = opts.json.clone();
    let summary = match run(opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sockeye-soak: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match serde_json::to_string_pretty(&summary) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("sockeye-soak: {e}");
            return ExitCode::from(2);
        }
    };
    match json.as_deref() {
        Some(p) if p.as_os_str() == "-" => {
            eprint!("{}", summary.to_text());
            println!("{text}");
        }
        Some(p) => {
            print!("{}", summary.to_text());
            if let Err(e) = std::fs::write(p, text + "\n") {
                eprintln!("sockeye-soak: {}: {e}", p.display());
                return ExitCode::from(2);
            }
        }
        None => print!("{}", summary.to_text()),
    }
    let _ = std::io::stdout().flush();
    if summary.pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
