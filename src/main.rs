//! The `drillsim` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    ExitCode::from(drillsim::cli::main(std::env::args_os()))
}

/// Lets a closed stdout (`drillsim list | head -1`) end drillsim quietly, as it ends
/// other Unix tools, rather than make a print panic. Rust ignores SIGPIPE by default;
/// this puts back the system's default action.
#[cfg(unix)]
fn quiet_on_closed_stdout() {
    // SAFETY: called first thing in main, before any other thread exists; setting a
    // signal's disposition to its default has no other effect on the program
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn quiet_on_closed_stdout() {}
