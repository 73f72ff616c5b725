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
use crate::timing;

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
    let _ = out.write_all(summary_table(audit).as_bytes());
    if let Some(first) = audit.findings.first() {
        let _ = writeln!(out, "\nweakest point: {}", first.text);
    }
    let t = &audit.totals;
    let runs = args.sim.runs;
    let _ = writeln!(
        out,
        "\n{}, {} each, seed {}: holds in {}, under assumption in {}, does not hold in {}{}; \
         audit in {} ({})",
        count(t.drills as u64, "drill"),
        count(u64::from(runs), "run"),
        args.sim.seed,
        t.holds,
        t.holds_under_assumption,
        t.does_not_hold,
        if t.not_judged > 0 { format!(", not judged in {}", t.not_judged) } else { String::new() },
        args.out.join("audit.html").display(),
        match fate {
            Written::New => "written",
            Written::Replaced => "replaced",
            Written::Unchanged => "unchanged, the same as before",
        }
    );
}

/// One row per drill: id, recovery P50 / P95 and verdict, each column as wide as its
/// longest value (or heading), two spaces apart.
fn summary_table(audit: &Audit) -> String {
    let rows: Vec<(&str, String, &str)> = audit
        .drills
        .iter()
        .map(|row| {
            let r = &row.recovery_time_s;
            let recovery = format!("{} / {}", timing::human(r.p50), timing::human(r.p95));
            (row.id.as_str(), recovery, row.verdict.label())
        })
        .collect();
    let (id_head, recovery_head) = ("drill", "recovery P50 / P95");
    let width = |head: &str, cells: &mut dyn Iterator<Item = usize>| {
        cells.chain([head.chars().count()]).max().unwrap_or(0)
    };
    let id_w = width(id_head, &mut rows.iter().map(|r| r.0.chars().count()));
    let rec_w = width(recovery_head, &mut rows.iter().map(|r| r.1.chars().count()));
    let mut table = format!("{id_head:<id_w$}  {recovery_head:<rec_w$}  verdict\n");
    for (id, recovery, verdict) in rows {
        table.push_str(&format!("{id:<id_w$}  {recovery:<rec_w$}  {verdict}\n"));
    }
    table
}

/// `n` and `noun`, in the plural unless `n` is 1: "1 drill", "41 drills".
fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("{n} {noun}") } else { format!("{n} {noun}s") }
}
