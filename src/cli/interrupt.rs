//! Ctrl-C (and SIGTERM, SIGHUP) during a run: never a damaged report.
//!
//! While drills are simulated nothing has been written yet, so an interruption ends
//! the process at once. Once writing has begun, it is only noted: the writer asks
//! [`interrupted`] after every report is staged, and stops there, removing what it
//! staged, before the first earlier report is touched; once the renames have begun
//! they finish (they take milliseconds).

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use crate::exit;

/// What the run is doing, as the handler needs to know it.
const SIMULATING: u8 = 0;
const WRITING: u8 = 1;
const ENDING: u8 = 2;

static PHASE: AtomicU8 = AtomicU8::new(SIMULATING);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler; a second installation in one process (tests) is harmless.
pub(super) fn install() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let phase = PHASE.compare_exchange(SIMULATING, ENDING, Ordering::SeqCst, Ordering::SeqCst);
        if phase.is_ok() {
            eprintln!(
                "\ndrillsim: interrupted while simulating; no report was written or replaced"
            );
            std::process::exit(i32::from(exit::INTERRUPTED));
        }
    });
}

/// Marks the start of writing: from now on an interruption is only noted. If the
/// handler is already ending the process, waits for that rather than start writing.
pub(super) fn begin_writing() {
    let phase = PHASE.compare_exchange(SIMULATING, WRITING, Ordering::SeqCst, Ordering::SeqCst);
    if phase == Err(ENDING) {
        loop {
            std::thread::park();
        }
    }
}

/// Whether an interruption came.
pub(super) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
