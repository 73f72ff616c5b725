//! The command line: `drillsim run | validate | list`.
//!
//! Arguments are parsed by clap, inputs are loaded and checked in full before anything
//! is simulated or written, and the outcome is mapped to an exit code of [`crate::exit`].

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::bundled;
use crate::drill::{Drill, DrillFile};
use crate::exit;
use crate::input::{Problem, Problems, SourceFile};
use crate::monte_carlo::{self, MAX_RUNS};
use crate::report::{Provenance, Report};
use crate::timing::human;
use crate::topology::Topology;

/// Default number of simulated runs of each drill.
pub const DEFAULT_RUNS: u32 = 1000;
/// Default seed of the random streams.
pub const DEFAULT_SEED: u64 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "drillsim",
    version,
    about = "Failover drill simulator for a payment platform's emergency manual",
    long_about = "Failover drill simulator: models the emergency manual's architecture as a graph, \
                  injects each disaster it lists, simulates the automatic takeovers and the manual \
                  switchover in simulated time, and reports impact, Art. 4 grade and recovery time.",
    after_help = exit::HELP
)]
pub struct Cli {
    /// Diagnostics on stderr: -v per drill, -vv per run, -vvv every simulated event
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate drills and write a report for each (default: every bundled drill)
    #[command(after_help = exit::HELP)]
    Run(RunArgs),
    /// Check topology and drill files without simulating (default: the bundle)
    #[command(after_help = exit::HELP)]
    Validate(ValidateArgs),
    /// List drills with their id, title and the manual's clause (default: the bundle)
    List(ListArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Drill files or directories of drill files (default: the bundled drills)
    paths: Vec<PathBuf>,
    /// Topology to run every drill on (default: the drill's own `topology` key, or the
    /// bundled reference topology)
    #[arg(long, value_name = "FILE")]
    topology: Option<PathBuf>,
    /// Directory the reports are written to, one sub-directory per drill
    #[arg(long, value_name = "DIR", default_value = "reports")]
    out: PathBuf,
    /// Simulated runs of each drill (Monte Carlo), 1 to 10,000,000
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RUNS,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_RUNS)))]
    runs: u32,
    /// Seed of the random streams; the same seed gives the same reports
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Print nothing on success but the reports' directory
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// Topology or drill files, or directories of them (default: the bundle)
    paths: Vec<PathBuf>,
    /// Topology to check drills against (default: as for `run`)
    #[arg(long, value_name = "FILE")]
    topology: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Drill files or directories of drill files (default: the bundled drills)
    paths: Vec<PathBuf>,
}

/// Runs the command line and returns the process exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::BAD_INPUT } else { exit::SUCCESS };
        }
    };
    init_diagnostics(cli.verbose);
    let result = match cli.command {
        Command::Run(args) => run(&args),
        Command::Validate(args) => validate(&args),
        Command::List(args) => list(&args),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Input(problems)) => {
            eprintln!("{problems}");
            let n = problems.0.len();
            eprintln!(
                "drillsim: {n} problem{} found; nothing was simulated or written",
                if n == 1 { "" } else { "s" }
            );
            exit::BAD_INPUT
        }
        Err(Failure::Write(message)) => {
            eprintln!("drillsim: {message}");
            exit::WRITE_FAILED
        }
    }
}

/// Sends `tracing` diagnostics to stderr at the level the `-v` flags ask for.
fn init_diagnostics(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .try_init();
}

enum Failure {
    Input(Problems),
    Write(String),
}

impl From<Problems> for Failure {
    fn from(problems: Problems) -> Self {
        Failure::Input(problems)
    }
}

/// A drill ready to run, with the topology it runs on.
struct Loaded {
    drill: Drill,
    topology: usize,
}

struct Inputs {
    topologies: Vec<Topology>,
    drills: Vec<Loaded>,
    /// Label of the topology given with --topology, for the reproduce command.
    topology_flag: Option<String>,
}

fn run(args: &RunArgs) -> Result<u8, Failure> {
    // Load and check everything before simulating anything
    let inputs = load(&args.paths, args.topology.as_deref())?;

    // Simulate every drill, then write every report
    let reports: Vec<Report> = inputs
        .drills
        .iter()
        .map(|loaded| {
            let topology = &inputs.topologies[loaded.topology];
            let drill = &loaded.drill.id;
            tracing::info!(drill, runs = args.runs, seed = args.seed, "simulating");
            let outcome = monte_carlo::simulate(topology, &loaded.drill, args.runs, args.seed);
            let provenance = provenance(&loaded.drill, inputs.topology_flag.as_deref(), args);
            Report::build(topology, &loaded.drill, &outcome, &provenance)
        })
        .collect();
    for report in &reports {
        report.write(&args.out).map_err(|e| {
            Failure::Write(format!(
                "cannot write the report of {} under {}: {e}",
                report.drill.id,
                args.out.display()
            ))
        })?;
    }

    // Summary
    if args.quiet {
        println!("{}", args.out.display());
    } else {
        print_summary(&reports, args);
    }
    let all_met = reports.iter().all(|r| r.expectation.met);
    Ok(if all_met { exit::SUCCESS } else { exit::EXPECTATION_NOT_MET })
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

fn shell_quote(text: &str) -> String {
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
        let recovery =
            format!("{} / {}", human(r.recovery_time_s.p50), human(r.recovery_time_s.p95));
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

fn validate(args: &ValidateArgs) -> Result<u8, Failure> {
    // The files to check: those given, or the bundle
    let (topologies, drills) = if args.paths.is_empty() {
        let (label, text) = bundled::TOPOLOGY;
        let topology = SourceFile::from_bytes(label.to_owned(), text.as_bytes())?;
        (vec![topology], drill_sources(&[])?)
    } else {
        split_kinds(&args.paths)?
    };

    // Every topology on its own, then every drill against its topology
    let mut problems = Problems::default();
    for file in &topologies {
        if let Err(p) = Topology::load(file) {
            problems.0.extend(p.0);
        }
    }
    let files = topologies.len() + drills.len();
    if !drills.is_empty() {
        let paths: Vec<PathBuf> = drills.iter().map(|f| PathBuf::from(&f.label)).collect();
        match load_files(drills, &paths, args.topology.as_deref()) {
            Ok(_) => {}
            Err(Failure::Input(p)) => problems.0.extend(p.0),
            Err(other) => return Err(other),
        }
    }
    problems.into_result(())?;
    println!("ok: {files} file{} checked", if files == 1 { "" } else { "s" });
    Ok(exit::SUCCESS)
}

fn list(args: &ListArgs) -> Result<u8, Failure> {
    let sources = drill_sources(&args.paths)?;
    let mut problems = Problems::default();
    let mut out = std::io::stdout().lock();
    let mut rows = Vec::new();
    for source in sources {
        let label = source.label.clone();
        match DrillFile::load(source) {
            Ok(d) => {
                rows.push((d.id().to_owned(), d.title().to_owned(), d.clause().to_owned(), label))
            }
            Err(p) => problems.0.extend(p.0),
        }
    }
    problems.into_result(())?;
    let _ = writeln!(out, "{:<5} {:<60} clause", "id", "title");
    for (id, title, clause, _) in rows {
        let _ = writeln!(out, "{id:<5} {title:<60} {clause}");
    }
    Ok(exit::SUCCESS)
}

/// Reads the given files (directories expanded to their `.toml` files, sorted) or, with
/// no path, the bundled drills.
fn drill_sources(paths: &[PathBuf]) -> Result<Vec<SourceFile>, Problems> {
    if paths.is_empty() {
        return bundled::DRILLS
            .iter()
            .map(|(label, text)| SourceFile::from_bytes((*label).to_owned(), text.as_bytes()))
            .collect();
    }
    read_all(&expand(paths)?)
}

fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Problems> {
    let mut files = Vec::new();
    let mut problems = Problems::default();
    for path in paths {
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
                        .collect();
                    found.sort_by_key(|p| natural_key(&p.to_string_lossy()));
                    if found.is_empty() {
                        problems.push(Problem::whole_file(
                            &path.display().to_string(),
                            "directory holds no .toml file".into(),
                        ));
                    }
                    files.extend(found);
                }
                Err(e) => problems.push(Problem::whole_file(
                    &path.display().to_string(),
                    format!("cannot read directory: {e}"),
                )),
            }
        } else if path.exists() {
            files.push(path.clone());
        } else {
            problems.push(Problem::whole_file(
                &path.display().to_string(),
                "no such file or directory".into(),
            ));
        }
    }
    problems.into_result(files)
}

fn read_all(files: &[PathBuf]) -> Result<Vec<SourceFile>, Problems> {
    let mut sources = Vec::new();
    let mut problems = Problems::default();
    for file in files {
        match SourceFile::read(file) {
            Ok(source) => sources.push(source),
            Err(p) => problems.0.extend(p.0),
        }
    }
    problems.into_result(sources)
}

/// Sorts the given files into topologies and drills by their top-level table.
fn split_kinds(paths: &[PathBuf]) -> Result<(Vec<SourceFile>, Vec<SourceFile>), Problems> {
    if paths.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut topologies = Vec::new();
    let mut drills = Vec::new();
    let mut problems = Problems::default();
    for source in read_all(&expand(paths)?)? {
        let first_table = source.text.lines().map(str::trim).find(|l| l.starts_with('['));
        match first_table {
            Some("[topology]") => topologies.push(source),
            Some("[drill]") => drills.push(source),
            _ => match crate::topology::parse_toml::<toml::Table>(&source) {
                Err(p) => problems.0.extend(p.0),
                Ok(_) => problems.push(Problem::whole_file(
                    &source.label,
                    "neither a topology (no [topology] table) nor a drill (no [drill] table)"
                        .into(),
                )),
            },
        }
    }
    problems.into_result((topologies, drills))
}

fn bundled_topology() -> Topology {
    let (label, text) = bundled::TOPOLOGY;
    let source = SourceFile::from_bytes(label.to_owned(), text.as_bytes())
        .expect("the bundled topology is UTF-8");
    Topology::load(&source).unwrap_or_else(|p| panic!("the bundled topology is invalid:\n{p}"))
}

/// Loads drills (given, or the bundle) and the topologies they run on, and binds them.
fn load(paths: &[PathBuf], topology_flag: Option<&Path>) -> Result<Inputs, Failure> {
    let sources = drill_sources(paths)?;
    let labels: Vec<PathBuf> = sources.iter().map(|s| PathBuf::from(&s.label)).collect();
    load_files(sources, &labels, topology_flag)
}

/// Topologies loaded so far, by label, so that each file is read once.
#[derive(Default)]
struct TopologyCache {
    topologies: Vec<Topology>,
    labels: Vec<String>,
}

impl TopologyCache {
    /// The index of the topology with this label, loading it on first use; None (and
    /// problems) when it does not load.
    fn get(
        &mut self,
        label: String,
        problems: &mut Problems,
        load: impl FnOnce() -> Result<Topology, Problems>,
    ) -> Option<usize> {
        if let Some(i) = self.labels.iter().position(|l| *l == label) {
            return (i < self.topologies.len()).then_some(i).filter(|&i| !self.failed(i));
        }
        match load() {
            Ok(t) => {
                self.topologies.push(t);
                self.labels.push(label);
                Some(self.topologies.len() - 1)
            }
            Err(p) => {
                problems.0.extend(p.0);
                self.labels.push(label);
                self.topologies.push(failed_marker());
                None
            }
        }
    }

    fn failed(&self, i: usize) -> bool {
        self.topologies[i].id.is_empty()
    }
}

/// A stand-in for a topology that failed to load, so that indices stay aligned.
fn failed_marker() -> Topology {
    let mut t = bundled_topology();
    t.id.clear();
    t
}

fn load_files(
    sources: Vec<SourceFile>,
    paths: &[PathBuf],
    topology_flag: Option<&Path>,
) -> Result<Inputs, Failure> {
    let mut problems = Problems::default();
    let mut cache = TopologyCache::default();

    // The topology of --topology, if given, serves every drill
    let flag_index = topology_flag.map(|path| {
        let label = path.display().to_string();
        cache.get(label, &mut problems, || Topology::load(&SourceFile::read(path)?))
    });

    let mut drills = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for (source, path) in sources.into_iter().zip(paths) {
        let file = match DrillFile::load(source) {
            Ok(file) => file,
            Err(p) => {
                problems.0.extend(p.0);
                continue;
            }
        };
        if let Some((_, first)) = seen.iter().find(|(id, _)| id == file.id()) {
            let message = format!(
                "drill id '{}' is also the id of {first}; each drill needs its own id (it \
                 names its report directory)",
                file.id()
            );
            problems.push(file.problem_at_id(message));
            continue;
        }
        seen.push((file.id().to_owned(), file.source.label.clone()));
        let index = match (&flag_index, file.topology_path()) {
            (Some(index), _) => *index,
            (None, Some(relative)) => {
                let path = path.parent().unwrap_or(Path::new(".")).join(relative);
                if !path.is_file() {
                    let message = format!(
                        "topology file '{}' not found (the path is relative to the drill file)",
                        path.display()
                    );
                    problems.push(file.problem_at_topology(message));
                    continue;
                }
                let label = path.display().to_string();
                cache.get(label, &mut problems, || Topology::load(&SourceFile::read(&path)?))
            }
            (None, None) => {
                let (label, _) = bundled::TOPOLOGY;
                cache.get(label.to_owned(), &mut problems, || Ok(bundled_topology()))
            }
        };
        let Some(index) = index else { continue };
        match file.bind(&cache.topologies[index]) {
            Ok(drill) => drills.push(Loaded { drill, topology: index }),
            Err(p) => problems.0.extend(p.0),
        }
    }
    problems.into_result(())?;
    let topology_flag = topology_flag.map(|p| p.display().to_string());
    Ok(Inputs { topologies: cache.topologies, drills, topology_flag })
}

/// Sort key that orders the digits in a name by their value: `a2` before `a10`.
fn natural_key(name: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut number = u64::from(c.to_digit(10).unwrap_or(0));
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                number = number.saturating_mul(10).saturating_add(u64::from(d));
                chars.next();
            }
            key.push((std::mem::take(&mut text), number));
        } else {
            text.push(c);
        }
    }
    key.push((text, 0));
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_key_orders_numbers_by_value() {
        let mut names = vec!["a10-x.toml", "a2-x.toml", "a1-x.toml", "d1.toml"];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(names, ["a1-x.toml", "a2-x.toml", "a10-x.toml", "d1.toml"]);
    }

    #[test]
    fn shell_quote_leaves_plain_paths_and_quotes_others() {
        assert_eq!(shell_quote("drills/a1.toml"), "drills/a1.toml");
        assert_eq!(shell_quote("my drills/a'1.toml"), "'my drills/a'\\''1.toml'");
    }
}
