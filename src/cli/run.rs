//! `drillsim run`: simulate drills and write their reports.

use std::io::{IsTerminal as _, Write as _};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::load::{Inputs, load};
use super::{Failure, RunArgs, Simulation, interrupt};
use crate::drill::Drill;
use crate::exit;
use crate::limits::{self, raise_hint};
use crate::monte_carlo;
use crate::report::{Planned, Provenance, Report, WriteError, Written, check_out_dir, write_all};
use crate::timing::human;

pub(super) fn run(args: &RunArgs) -> Result<u8, Failure> {
    let (sim, out) = (&args.sim, &args.out);

    // Load and check everything before simulating anything
    check_runs(sim.runs)?;
    let inputs = load(&sim.paths, sim.topology.as_deref())?;
    check_out_dir(out, &planned(&inputs, sim), sim.force)
        .map_err(|e| Failure::Usage(format!("{e}; nothing was simulated or written")))?;
    interrupt::install();

    // Simulate every drill on the thread pool, then write every report
    let reports = simulate_all(&inputs, sim)?;
    interrupt::begin_writing();
    let fates = write_all(&reports, out, sim.force, &interrupt::interrupted)
        .map_err(|e| write_failure(e, out))?;

    // Summary
    if sim.quiet {
        println!("{}", out.display());
    } else {
        print_summary(&reports, &fates, args);
    }
    let all_met = reports.iter().all(|r| r.expectation.met);
    Ok(if all_met { exit::SUCCESS } else { exit::EXPECTATION_NOT_MET })
}
/// Simulates every loaded drill on a pool of `args.threads` threads and builds its
/// report; `audit` shares this with `run`.
pub(super) fn simulate_all(inputs: &Inputs, args: &Simulation) -> Result<Vec<Report>, Failure> {
    let total = u64::from(args.runs) * inputs.drills.len() as u64;
    let bar = if args.quiet { ProgressBar::hidden() } else { progress_bar(total) };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(usize::from(args.threads))
        .build()
        .map_err(|e| Failure::Write(format!("cannot start {} threads: {e}", args.threads)))?;
    let reports: Vec<Report> = pool.install(|| {
        inputs
            .drills
            .par_iter()
            .map(|loaded| {
                let topology = &inputs.topologies[loaded.topology];
                let drill = &loaded.drill;
                tracing::info!(drill = %drill.id, runs = args.runs, seed = args.seed, "simulating");
                let outcome = monte_carlo::simulate_with_progress(
                    topology,
                    drill,
                    args.runs,
                    args.seed,
                    &|done| bar.inc(done),
                );
                let provenance = provenance(drill, inputs.topology_flag.as_deref(), args);
                Report::build(topology, drill, &outcome, &provenance)
            })
            .collect()
    });
    bar.finish_and_clear();
    Ok(reports)
}

/// Refuses more runs than the `runs` limit.
pub(super) fn check_runs(runs: u32) -> Result<(), Failure> {
    let limit = limits::current().runs;
    if runs > limit {
        return Err(Failure::Usage(format!(
            "--runs {runs} is more than the limit of {limit} runs of a drill; {}",
            raise_hint("runs", runs)
        )));
    }
    Ok(())
}

/// What identifies each report about to be written, for [`check_out_dir`].
fn planned(inputs: &Inputs, args: &Simulation) -> Vec<Planned> {
    let topology_flag = inputs.topology_flag.as_deref();
    inputs
        .drills
        .iter()
        .map(|loaded| {
            let drill = &loaded.drill;
            let provenance = provenance(drill, topology_flag, args);
            Planned {
                id: drill.id.clone(),
                command: provenance.command,
                version: provenance.version,
                drill_sha256: drill.file.sha256.clone(),
                topology_sha256: inputs.topologies[loaded.topology].file.sha256.clone(),
            }
        })
        .collect()
}

/// The failure, and exit code, of a write that did not complete.
pub(super) fn write_failure(error: WriteError, out: &std::path::Path) -> Failure {
    let message = format!("cannot write the reports under {}: {error}", out.display());
    match error {
        WriteError::Io(_) => Failure::Write(message),
        WriteError::WouldReplace(_) => Failure::Usage(format!("{message}; nothing was written")),
        WriteError::Interrupted => Failure::Interrupted,
    }
}

/// Runs from which a progress bar is worth showing (about a second of work).
const PROGRESS_ABOVE_RUNS: u64 = 100_000;

/// A progress bar on stderr for long runs; hidden for short ones and when stderr is
/// not a terminal.
fn progress_bar(total: u64) -> ProgressBar {
    if total < PROGRESS_ABOVE_RUNS || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = "{spinner} {bar:40} {human_pos}/{human_len} runs, {eta} left";
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

fn provenance(drill: &Drill, topology_flag: Option<&str>, args: &Simulation) -> Provenance {
    let mut command = format!("drillsim run {}", shell_quote(&drill.file.label));
    if let Some(t) = topology_flag {
        command.push_str(&format!(" --topology {}", shell_quote(t)));
    }
    command.push_str(&format!(" --runs {} --seed {}", args.runs, args.seed));
    for setting in limits::current().changed() {
        command.push_str(&format!(" --limit {setting}"));
    }
    Provenance {
        seed: args.seed,
        runs: args.runs,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        command,
    }
}
pub(super) fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:=,".contains(c));
    if plain { text.to_owned() } else { format!("'{}'", text.replace('\'', "'\\''")) }
}
fn print_summary(reports: &[Report], fates: &[Written], args: &RunArgs) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{:<5} {:<46} {:>9} {:>20} {:>9}  manual's answer",
        "drill", "title", "pay. P95", "recovery P50 / P95", "grade P95"
    );
    for r in reports {
        let payment = r.businesses.get("payment");
        let peak = payment.map_or("-".to_owned(), |b| crate::report::percent(b.peak_impact.p95));
        let grade =
            payment.and_then(|b| b.grade.p95).map_or("-".to_owned(), |g| format!("grade {g}"));
        // Unrecovered runs count as the horizon: say so rather than print a time
        let time = |value: f64| {
            let at_horizon = r.unrecovered_runs > 0 && value >= r.recovery_time_s.max;
            if at_horizon { "not recovered".to_owned() } else { human(value) }
        };
        let recovery = format!("{} / {}", time(r.recovery_time_s.p50), time(r.recovery_time_s.p95));
        let verdict = match (r.expectation.checks.is_empty(), r.expectation.met) {
            (true, _) => "not judged (no [[expect]])",
            (false, true) => "holds",
            (false, false) => "DOES NOT HOLD",
        };
        let mut title = r.drill.title.clone();
        if title.chars().count() > 46 {
            title = title.chars().take(45).collect::<String>() + "…";
        }
        let _ = writeln!(
            out,
            "{:<5} {:<46} {:>9} {:>20} {:>9}  {verdict}",
            r.drill.id, title, peak, recovery, grade
        );
    }
    let judged = |r: &&Report| !r.expectation.checks.is_empty();
    let held = reports.iter().filter(judged).filter(|r| r.expectation.met).count();
    let failed = reports.iter().filter(judged).filter(|r| !r.expectation.met).count();
    let unjudged = reports.len() - held - failed;
    let _ = writeln!(
        out,
        "\n{} drill{}, {} runs each, seed {}: the manual's answer holds in {held}, not in \
         {failed}{}; reports in {} ({})",
        reports.len(),
        if reports.len() == 1 { "" } else { "s" },
        args.sim.runs,
        args.sim.seed,
        if unjudged > 0 { format!(", not judged in {unjudged}") } else { String::new() },
        args.out.display(),
        describe_fates(fates)
    );
}

/// "33 written", "2 replaced, 31 unchanged": what became of the report directories.
fn describe_fates(fates: &[Written]) -> String {
    let count = |fate: Written| fates.iter().filter(|f| **f == fate).count();
    let parts = [
        (count(Written::New), "written"),
        (count(Written::Replaced), "replaced"),
        (count(Written::Unchanged), "unchanged, the same as before"),
    ];
    let described: Vec<String> =
        parts.iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} {what}")).collect();
    described.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_leaves_plain_paths_and_quotes_others() {
        assert_eq!(shell_quote("drills/a1.toml"), "drills/a1.toml");
        assert_eq!(shell_quote("my drills/a'1.toml"), "'my drills/a'\\''1.toml'");
    }
}
