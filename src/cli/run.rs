//! `drillsim run`: simulate drills and write their reports.

use std::io::{IsTerminal as _, Write as _};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::load::{Inputs, load};
use super::{Failure, RunArgs};
use crate::drill::Drill;
use crate::exit;
use crate::monte_carlo;
use crate::report::{Provenance, Report, check_out_dir, write_all};
use crate::timing::human;

pub(super) fn run(args: &RunArgs) -> Result<u8, Failure> {
    // Load and check everything before simulating anything
    let inputs = load(&args.paths, args.topology.as_deref())?;
    let ids: Vec<&str> = inputs.drills.iter().map(|d| d.drill.id.as_str()).collect();
    check_out_dir(&args.out, &ids)
        .map_err(|e| Failure::Usage(format!("{e}; nothing was simulated or written")))?;

    // Simulate every drill on the thread pool, then write every report
    let reports = simulate_all(&inputs, args)?;
    write_all(&reports, &args.out).map_err(|e| {
        Failure::Write(format!("cannot write the reports under {}: {e}", args.out.display()))
    })?;

    // Summary
    if args.quiet {
        println!("{}", args.out.display());
    } else {
        print_summary(&reports, args);
    }
    let all_met = reports.iter().all(|r| r.expectation.met);
    Ok(if all_met { exit::SUCCESS } else { exit::EXPECTATION_NOT_MET })
}
/// Simulates every loaded drill on a pool of `args.threads` threads and builds its
/// report; `audit` shares this with `run`.
pub(super) fn simulate_all(inputs: &Inputs, args: &RunArgs) -> Result<Vec<Report>, Failure> {
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

fn provenance(drill: &Drill, topology_flag: Option<&str>, args: &RunArgs) -> Provenance {
    let mut command = format!("drillsim run {}", shell_quote(&drill.file.label));
    if let Some(t) = topology_flag {
        command.push_str(&format!(" --topology {}", shell_quote(t)));
    }
    command.push_str(&format!(" --runs {} --seed {}", args.runs, args.seed));
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
fn print_summary(reports: &[Report], args: &RunArgs) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{:<5} {:<46} {:>9} {:>20} {:>9}  manual's answer",
        "drill", "title", "pay. P95", "recovery P50 / P95", "grade P95"
    );
    for r in reports {
        let payment = r.businesses.get("payment");
        let peak =
            payment.map_or("-".to_owned(), |b| format!("{:.0} %", b.peak_impact.p95 * 100.0));
        let grade =
            payment.and_then(|b| b.grade.p95).map_or("-".to_owned(), |g| format!("grade {g}"));
        // Unrecovered runs count as the horizon: say so rather than print a time
        let time = |value: f64| {
            let at_horizon = r.unrecovered_runs > 0 && value >= r.recovery_time_s.max;
            if at_horizon { "not recovered".to_owned() } else { human(value) }
        };
        let recovery = format!("{} / {}", time(r.recovery_time_s.p50), time(r.recovery_time_s.p95));
        let verdict = if r.expectation.met { "holds" } else { "DOES NOT HOLD" };
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
    let held = reports.iter().filter(|r| r.expectation.met).count();
    let _ = writeln!(
        out,
        "\n{} drill{}, {} runs each, seed {}: the manual's answer holds in {held}, not in {}; \
         reports in {}",
        reports.len(),
        if reports.len() == 1 { "" } else { "s" },
        args.runs,
        args.seed,
        reports.len() - held,
        args.out.display()
    );
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
