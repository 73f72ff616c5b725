//! `drillsim audit`: simulate drills as `run` does, then write one audit of them all.

use std::io::Write as _;

use super::load::load;
use super::run::{shell_quote, simulate_all};
use super::{AuditArgs, Failure, RunArgs};
use crate::audit::{Audit, check_audit_dir, write_audit};
use crate::exit;

pub(super) fn audit(args: &AuditArgs) -> Result<u8, Failure> {
    // Load and check everything before simulating anything
    let inputs = load(&args.paths, args.topology.as_deref())?;
    check_audit_dir(&args.out)
        .map_err(|e| Failure::Usage(format!("{e}; nothing was simulated or written")))?;

    // Simulate with the machinery of `run`, then write the audit
    let run = RunArgs {
        paths: args.paths.clone(),
        topology: args.topology.clone(),
        out: args.out.clone(),
        runs: args.runs,
        seed: args.seed,
        quiet: args.quiet,
        threads: args.threads,
    };
    let reports = simulate_all(&inputs, &run)?;
    let audit = Audit::build(&reports, args.seed, args.runs, command(args));
    write_audit(&audit, &args.out).map_err(|e| {
        Failure::Write(format!("cannot write the audit into {}: {e}", args.out.display()))
    })?;

    // Summary
    if args.quiet {
        println!("{}", args.out.display());
    } else {
        print_summary(&audit, args);
    }
    let all_hold = audit.totals.does_not_hold == 0;
    Ok(if all_hold { exit::SUCCESS } else { exit::EXPECTATION_NOT_MET })
}

/// The command that writes the same audit again (into any --out; the thread count
/// changes nothing).
fn command(args: &AuditArgs) -> String {
    let mut command = "drillsim audit".to_owned();
    for path in &args.paths {
        command.push(' ');
        command.push_str(&shell_quote(&path.display().to_string()));
    }
    if let Some(t) = &args.topology {
        command.push_str(&format!(" --topology {}", shell_quote(&t.display().to_string())));
    }
    command.push_str(&format!(" --runs {} --seed {}", args.runs, args.seed));
    command
}

fn print_summary(audit: &Audit, args: &AuditArgs) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{:<5} {:<24} verdict", "drill", "recovery P50 / P95");
    for row in &audit.drills {
        let r = &row.recovery_time_s;
        let recovery = format!("{} / {}", crate::timing::human(r.p50), crate::timing::human(r.p95));
        let _ = writeln!(out, "{:<5} {:<24} {}", row.id, recovery, row.verdict.label());
    }
    if let Some(first) = audit.findings.first() {
        let _ = writeln!(out, "\nweakest point: {}", first.text);
    }
    let t = &audit.totals;
    let _ = writeln!(
        out,
        "\n{} drills, {} runs each, seed {}: holds in {}, under assumption in {}, does not \
         hold in {}; audit in {}",
        t.drills,
        args.runs,
        args.seed,
        t.holds,
        t.holds_under_assumption,
        t.does_not_hold,
        args.out.join("audit.html").display()
    );
}
