//! Exit codes of the `drillsim` binary, in one place.

/// Every drill ran and every expectation held.
pub const SUCCESS: u8 = 0;
/// Every drill ran, and at least one expectation of the manual did not hold.
pub const EXPECTATION_NOT_MET: u8 = 1;
/// Bad input or usage: nothing was simulated and nothing was written.
pub const BAD_INPUT: u8 = 2;
/// The reports could not be written (disk full, no permission, ...).
pub const WRITE_FAILED: u8 = 3;
/// Interrupted (Ctrl-C, SIGTERM or SIGHUP): no report was written or replaced; 128 +
/// the number of SIGINT, as shells report it.
pub const INTERRUPTED: u8 = 130;

/// The exit codes of `drillsim run` (and of `drillsim` as a whole) as `--help` lists
/// them; `validate`, `grade` and `triage` list their own.
pub const HELP: &str = "Exit codes (of run; validate, grade and triage: see their --help):
  0  every drill ran and every expectation held
  1  every drill ran; at least one expectation did not hold (see the reports' findings)
  2  bad input or usage: nothing simulated, nothing written
  3  the reports could not be written; no earlier report was changed
  130  interrupted (Ctrl-C): no report was written, no earlier report was changed";

/// The exit codes of `drillsim validate` as its `--help` lists them.
pub const CHECK_HELP: &str = "Exit codes:
  0  every file is valid
  2  bad input or usage: every problem found is listed";

/// The exit codes of `drillsim triage` as its `--help` lists them.
pub const TRIAGE_HELP: &str = "Exit codes:
  0  the metrics were triaged (whether or not a rule matched)
  2  bad usage: a missing, negative or non-finite metric, or a normal value of zero";

/// The exit codes of `drillsim plan` as its `--help` lists them.
pub const PLAN_HELP: &str = "Exit codes:
  0  the plan was printed (deadlines already past are marked, and warned of on stderr)
  2  bad usage: an unknown drill, a date or local time that does not exist, a time
     without its UTC offset or zone, an offset no zone uses (beyond -12:00 to +14:00)";

/// The exit codes of `drillsim grade` as its `--help` lists them.
pub const GRADE_HELP: &str = "Exit codes:
  0  the incident was graded (or found below the bar)
  2  bad usage: an unknown business, an impact without '%' or over 100 %, a bad duration";
