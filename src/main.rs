//! The `drillsim` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(drillsim::cli::main(std::env::args_os()))
}
