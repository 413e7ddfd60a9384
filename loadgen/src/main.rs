//! `sockeye-load`: see `sockeye-load --help` and the crate docs.

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
    if let Err(code) = sockeye_loadgen::cli::print_summary(
        "sockeye-load",
        &summary,
        &summary.to_text(),
        json.as_deref(),
    ) {
        return code;
    }
    if check && (summary.errors > 0 || summary.count == 0) {
        eprintln!(
            "sockeye-load: check failed: {} errors, {} {}",
            summary.errors, summary.count, summary.unit
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
