//! `pubdata bench`: performance measurements reported in BENCHMARKS.md.

use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum BenchCommand {}

pub async fn run(command: BenchCommand) -> Result<ExitCode, String> {
    match command {}
}
