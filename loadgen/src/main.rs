//! `sockeye-load`: see `sockeye-load --help` and the crate docs.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use sockeye_loadgen::{Options, run};

fn main() -> ExitCode {
    let opts = Options::parse();
    let json = opts.json.clone();
    let check = opts.check;
    let summary = match run(opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sockeye-load: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match serde_json::to_string_pretty(&summary) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("sockeye-load: {e}");
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
                eprintln!("sockeye-load: {}: {e}", p.display());
                return ExitCode::from(2);
            }
        }
        None => print!("{}", summary.to_text()),
    }
    let _ = std::io::stdout().flush();
    if check && (summary.errors > 0 || summary.count == 0) {
        eprintln!(
            "sockeye-load: check failed: {} errors, {} {}",
            summary.errors, summary.count, summary.unit
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
