//! `drillsim audit`: simulate drills as `run` does, then write one audit of them all.

use std::io::Write as _;

use super::load::{Inputs, load};
use super::run::{check_runs, shell_quote, simulate_all, write_failure};
use super::{AuditArgs, Failure, Simulation, interrupt};
use crate::audit::{Audit, PlannedAudit, check_audit_dir, from_spof, write_audit};
use crate::exit;
use crate::limits;
use crate::report::Written;
use crate::spof;

pub(super) fn audit(args: &AuditArgs) -> Result<u8, Failure> {
    let (sim, out) = (&args.sim, &args.out);

    // Load and check everything before simulating anything
    check_runs(sim.runs)?;
    let inputs = load(&sim.paths, sim.topology.as_deref())?;
    check_audit_dir(out, &planned(&inputs, sim), sim.force)
        .map_err(|e| Failure::Usage(format!("{e}; nothing was simulated or written")))?;
    interrupt::install();

    // Simulate with the machinery of `run`, add the topologies' single points of
    // failure, then write the audit
    let reports = simulate_all(&inputs, sim)?;
    let mut audit = Audit::build(&reports, sim.seed, sim.runs, command(sim));
    for topology in &inputs.topologies {
        let analysis = spof::analyse(topology, spof::Options { recovery: true });
        audit.add_findings(from_spof(topology, &analysis));
    }
    interrupt::begin_writing();
    let fate = write_audit(&audit, out, sim.force, &interrupt::interrupted)
        .map_err(|e| write_failure(e, out))?;

    // Summary
    if sim.quiet {
        println!("{}", out.display());
    } else {
        print_summary(&audit, fate, args);
    }
    let all_hold = audit.totals.does_not_hold == 0;
    Ok(if all_hold { exit::SUCCESS } else { exit::EXPECTATION_NOT_MET })
}

/// The command that writes the same audit again (into any --out; the thread count
/// changes nothing).
fn command(args: &Simulation) -> String {
    let mut command = "drillsim audit".to_owned();
    for path in &args.paths {
        command.push(' ');
        command.push_str(&shell_quote(&path.display().to_string()));
    }
    if let Some(t) = &args.topology {
        command.push_str(&format!(" --topology {}", shell_quote(&t.display().to_string())));
    }
    command.push_str(&format!(" --runs {} --seed {}", args.runs, args.seed));
    for setting in limits::current().changed() {
        command.push_str(&format!(" --limit {setting}"));
    }
    command
}

/// What identifies the audit about to be written, for [`check_audit_dir`].
fn planned(inputs: &Inputs, args: &Simulation) -> PlannedAudit {
    let drills = inputs.drills.iter().map(|d| d.drill.file.sha256.clone());
    let topologies = inputs.topologies.iter().map(|t| t.file.sha256.clone());
    PlannedAudit {
        command: command(args),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        input_sha256: drills.chain(topologies).collect(),
    }
}

fn print_summary(audit: &Audit, fate: Written, args: &AuditArgs) {
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
         hold in {}; audit in {} ({})",
        t.drills,
        args.sim.runs,
        args.sim.seed,
        t.holds,
        t.holds_under_assumption,
        t.does_not_hold,
        args.out.join("audit.html").display(),
        match fate {
            Written::New => "written",
            Written::Replaced => "replaced",
            Written::Unchanged => "unchanged, the same as before",
        }
    );
}
