//! The command line: `drillsim run | audit | plan | validate | list | grade | schema | triage`.
//!
//! Arguments are parsed by clap, inputs are loaded and checked in full before anything
//! is simulated or written, and the outcome is mapped to an exit code of [`crate::exit`].

use std::ffi::OsString;

mod audit;
mod generate;
mod grade;
mod graph;
mod inspect;
mod interrupt;
mod load;
mod output;
mod plan;
mod run;
mod spof;
mod triage;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::exit;
use crate::grade::Business;
use crate::input::Problems;
use crate::limits::{self, Limits};

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
    /// Raise a limit that guards against runaway input (repeatable): file-size [bytes,
    /// default 4 MiB], elements [100000], members [10000], faults [1000], runs [10000000],
    /// duration [30days]
    #[arg(long = "limit", value_name = "NAME=VALUE", global = true)]
    limits: Vec<String>,
    #[command(subcommand)]
    command: Command,
}
#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate drills and write a report for each (default: every bundled drill)
    #[command(after_help = exit::HELP)]
    Run(RunArgs),
    /// Simulate drills as `run` does and write one audit of them all: audit.html (self-
    /// contained), audit.md and audit.json
    #[command(after_help = exit::HELP)]
    Audit(AuditArgs),
    /// The eleven steps of a drill (Art. 23) with their due dates, or a year of drills
    /// (Art. 22, Art. 9); as text or an iCalendar file
    #[command(after_help = exit::PLAN_HELP)]
    Plan(PlanArgs),
    /// Check topology and drill files without simulating (default: the bundle)
    #[command(after_help = exit::CHECK_HELP)]
    Validate(ValidateArgs),
    /// List drills with their id, title and the manual's clause (default: the bundle)
    List(ListArgs),
    /// Grade an incident under Art. 4 and show who Art. 8 notifies
    #[command(after_help = exit::GRADE_HELP)]
    Grade(GradeArgs),
    /// Print the JSON Schema of topology or drill files (for editors)
    Schema(SchemaArgs),
    /// Tell which DDoS pattern of the manual (Q2) observed metrics match
    #[command(after_help = exit::TRIAGE_HELP)]
    Triage(TriageArgs),
    /// Find the single points of failure, minimal pairs and common causes of every
    /// business flow, after automatic takeover (default: the bundled topology)
    #[command(after_help = exit::CHECK_HELP)]
    Spof(SpofArgs),
    /// Write a generated topology of about N elements (sites, layers, pools, HA pairs,
    /// database clusters, links) as TOML, for benchmarks and trials
    Gen(GenArgs),
    /// Draw a topology's sites, layers and components with the single points of
    /// failure highlighted, as Graphviz DOT or SVG (default: the bundled topology)
    #[command(after_help = exit::CHECK_HELP)]
    Graph(GraphArgs),
}
#[derive(Debug, Args)]
struct GraphArgs {
    /// Topology file (default: the bundled reference topology)
    topology: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    /// Who draws the SVG: Graphviz's `dot` when installed (auto), always `dot`, or the
    /// built-in grid layout (no edges)
    #[arg(long, value_enum, default_value_t = Renderer::Auto)]
    renderer: Renderer,
    /// File to write (default: standard output); an existing file only with --force
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Replace the file --out names if it exists
    #[arg(long, requires = "out")]
    force: bool,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum GraphFormat {
    Dot,
    Svg,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Renderer {
    Auto,
    Dot,
    Builtin,
}
#[derive(Debug, Args)]
struct GenArgs {
    /// About how many elements (servers included), at least 150
    #[arg(long, value_name = "N", default_value_t = 600,
          value_parser = clap::value_parser!(u32).range(150..))]
    components: u32,
    /// Seed of the random choices; the same size and seed give the same file
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// File to write (default: standard output); an existing file only with --force
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Replace the file --out names if it exists
    #[arg(long, requires = "out")]
    force: bool,
}
#[derive(Debug, Args)]
struct SpofArgs {
    /// Topology file (default: the bundled reference topology)
    topology: Option<PathBuf>,
    /// Output format: a table for people, or JSON (every cut, every importance)
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Elements shown in each flow's importance ranking (table only)
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
    /// Cuts shown per flow and order (table only; JSON lists all)
    #[arg(long, value_name = "N", default_value_t = 40)]
    cuts: usize,
    /// Leave out recovery paths, times and grades (faster on large topologies)
    #[arg(long)]
    no_recovery: bool,
}
#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    sim: Simulation,
    /// Directory the reports are written to, one sub-directory per drill
    #[arg(long, value_name = "DIR", default_value = "reports")]
    out: PathBuf,
}
#[derive(Debug, Args)]
struct AuditArgs {
    #[command(flatten)]
    sim: Simulation,
    /// Directory the audit is written to: new, empty or an earlier audit
    #[arg(long, value_name = "DIR", default_value = "reports/audit")]
    out: PathBuf,
}
/// What `run` and `audit` simulate, and how; the output is the same for any thread
/// count.
#[derive(Debug, Args)]
struct Simulation {
    /// Drill files or directories of drill files (default: the bundled drills)
    paths: Vec<PathBuf>,
    /// Topology to run every drill on (default: the drill's own `topology` key, or the
    /// bundled reference topology)
    #[arg(long, value_name = "FILE")]
    topology: Option<PathBuf>,
    /// Simulated runs of each drill (Monte Carlo), 1 to 10,000,000 (see --limit)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RUNS,
          value_parser = parse_runs)]
    runs: u32,
    /// Seed of the random streams; the same seed gives the same output
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Print nothing on success but the output directory
    #[arg(long, short)]
    quiet: bool,
    /// Replace earlier output; without it, earlier output is kept, and the run
    /// refused, unless the new output is byte for byte the same
    #[arg(long)]
    force: bool,
    /// Worker threads, 0 to 256 (default 0: one per core)
    #[arg(long, value_name = "T", default_value_t = 0,
          value_parser = clap::value_parser!(u16).range(0..=256))]
    threads: u16,
}
#[derive(Debug, Args)]
struct PlanArgs {
    /// The drill: a drill file, or the id of a bundled drill (E1, D4, ...)
    #[arg(required_unless_present = "calendar", conflicts_with = "calendar")]
    drill: Option<String>,
    /// Drill time with its UTC offset (-12:00 to +14:00), such as 2027-01-28T02:00+08:00,
    /// or with a zone name in brackets, the offset optional: 2027-01-28T02:00[Asia/Shanghai].
    /// Seconds may be given (02:00:30) and are shown; fractions of a second are refused,
    /// and so is a local time the zone skips, or repeats without the offset that says which
    #[arg(long, value_name = "TIME", value_parser = plan::parse_time_arg,
          required_unless_present = "calendar", conflicts_with = "calendar")]
    at: Option<jiff::ZonedDateTime>,
    /// The time deadlines are compared with, as for --at (default: the current time)
    #[arg(long, value_name = "TIME", value_parser = plan::parse_time_arg)]
    now: Option<jiff::ZonedDateTime>,
    /// Lay out a year of drills (1 to 9999) by the cadence of Art. 22 and Art. 9
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i16).range(1..=9999))]
    calendar: Option<i16>,
    /// Output: text, or ics (an RFC 5545 calendar, one event per step or per drill)
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    format: PlanFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PlanFormat {
    Text,
    Ics,
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
#[derive(Debug, Args)]
struct GradeArgs {
    /// Business class: payment, clearing or non-key
    #[arg(long, value_parser = grade::parse_business)]
    business: Business,
    /// Share of users or transactions affected, as a percentage: 35%
    #[arg(long, value_name = "PCT", value_parser = grade::parse_percent, allow_hyphen_values = true)]
    impact: f64,
    /// How long the impact lasts: 45m, 1h30m, 2701s
    #[arg(long, value_name = "DURATION", value_parser = grade::parse_duration_arg,
          allow_hyphen_values = true)]
    duration: f64,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Args)]
struct SchemaArgs {
    /// Which files the schema is for
    #[arg(value_enum)]
    kind: SchemaKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SchemaKind {
    Topology,
    Drill,
}

/// Observed metrics and their normal values; every one is required.
#[derive(Debug, Args)]
struct TriageArgs {
    /// Connections in SYN_RECV now (count)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    syn_recv: f64,
    /// Connections in SYN_RECV normally (count)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    normal_syn_recv: f64,
    /// Connections in ESTABLISHED now (count)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    established: f64,
    /// Connections in ESTABLISHED normally (count)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    normal_established: f64,
    /// Bandwidth now [Mbit/s]
    #[arg(long, value_name = "MBPS", allow_hyphen_values = true)]
    bandwidth: f64,
    /// Bandwidth normally [Mbit/s]
    #[arg(long, value_name = "MBPS", allow_hyphen_values = true)]
    normal_bandwidth: f64,
    /// Packets per second now
    #[arg(long, value_name = "PPS", allow_hyphen_values = true)]
    packets: f64,
    /// Packets per second normally
    #[arg(long, value_name = "PPS", allow_hyphen_values = true)]
    normal_packets: f64,
    /// Requests per second now
    #[arg(long, value_name = "RPS", allow_hyphen_values = true)]
    requests: f64,
    /// Requests per second normally
    #[arg(long, value_name = "RPS", allow_hyphen_values = true)]
    normal_requests: f64,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
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
    if let Err(message) = set_limits(&cli.limits) {
        eprintln!("drillsim: {message}");
        return exit::BAD_INPUT;
    }
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Audit(args) => audit::audit(&args),
        Command::Plan(args) => plan::plan(&args),
        Command::Validate(args) => inspect::validate(&args),
        Command::List(args) => inspect::list(&args),
        Command::Grade(args) => grade::grade(&args),
        Command::Triage(args) => triage::triage(&args),
        Command::Spof(args) => spof::spof(&args),
        Command::Gen(args) => generate::generate(&args),
        Command::Graph(args) => graph::graph(&args),
        Command::Schema(args) => {
            let schema = match args.kind {
                SchemaKind::Topology => crate::topology::schema(),
                SchemaKind::Drill => crate::drill::schema(),
            };
            print!("{schema}");
            Ok(exit::SUCCESS)
        }
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
        Err(Failure::Usage(message)) => {
            eprintln!("drillsim: {message}");
            exit::BAD_INPUT
        }
        Err(Failure::Write(message)) => {
            eprintln!("drillsim: {message}");
            exit::WRITE_FAILED
        }
        Err(Failure::Interrupted) => {
            eprintln!("drillsim: interrupted; no report was written or replaced");
            exit::INTERRUPTED
        }
    }
}

/// Parses `--runs`: a whole number from 1 (the upper bound is the `runs` limit,
/// checked once the limits are set).
fn parse_runs(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("at least 1 run is needed".into()),
        Ok(n) => u32::try_from(n).map_err(|_| format!("{n} runs is more than can be counted")),
        Err(_) => Err(format!("'{text}' is not a whole number of runs, such as 1000")),
    }
}

/// Applies the `--limit` settings for this process.
fn set_limits(settings: &[String]) -> Result<(), String> {
    let mut wanted = Limits::DEFAULT;
    for setting in settings {
        wanted.apply(setting).map_err(|e| format!("--limit: {e}"))?;
    }
    if limits::set(wanted).is_err() && *limits::current() != wanted {
        return Err("--limit: the limits of this process were set already".into());
    }
    Ok(())
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
pub(crate) enum Failure {
    /// Problems in the input files.
    Input(Problems),
    /// A command line that cannot be carried out, found before any work.
    Usage(String),
    /// The reports could not be written; no earlier report was changed.
    Write(String),
    /// Ctrl-C or a termination signal came while the reports were being written.
    Interrupted,
}
impl From<Problems> for Failure {
    fn from(problems: Problems) -> Self {
        Failure::Input(problems)
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::Cli;

    #[test]
    fn every_command_line_definition_is_consistent() {
        // Two arguments of one command sharing a long name (a command's own `--limit`
        // beside the global one, say) panic only when that command is parsed
        Cli::command().debug_assert();
    }
}
