//! `sockeye-soak`: the at-least-once soak; see `sockeye-soak --help` and
//! [`sockeye_loadgen::soak`].

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
    if let Err(code) = sockeye_loadgen::cli::print_summary(
        "sockeye-soak",
        &summary,
        &summary.to_text(),
        json.as_deref(),
    ) {
        return code;
    }
    if summary.pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
