//! Many runs of one drill, each on its own random stream, summarised as distributions.
//!
//! Run `i` of seed `s` draws from ChaCha8 seeded with `s` on stream `i`, so any run can
//! be replayed alone. Runs are spread over the threads of the current rayon pool;
//! each thread tallies its runs into integer counts ([`histogram`]), and tallies
//! merge exactly in any order, so a report is byte-identical for any thread count.
//! Memory does not grow with the number of runs: durations are kept in log-spaced
//! histograms whose percentiles are within 0.05 % of the exact nearest-rank ones.
//!
//! Beyond percentiles, a drill whose recovery is a manual runbook gets its critical
//! path: how much of the variance of the recovery time each step's duration explains,
//! and the recovery-time P95 with each step made 50 % faster (on a bounded number of
//! runs that share their random streams with the baseline).

pub mod histogram;

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::data::{RestoreStep, Scenario};
use crate::drill::{Cause, Check, Drill};
use crate::grade::{Business, Grade, grade_timeline, severity};
use crate::simulation::{self, Happening, Trial};
use crate::topology::{RunbookId, Topology};
use histogram::{Durations, Shares};

/// How far past the horizon an outage still going on there is graded \[seconds\].
const ONGOING_MARGIN_S: f64 = 1e-3;

/// The random stream of one run.
pub fn stream(seed: u64, run: u32) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::from(run));
    rng
}

/// What one run did to one business flow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlowRun {
    /// Largest failing share (ratio 0-1).
    pub peak: f64,
    /// Total time with some requests failing \[seconds\].
    pub impact_duration: f64,
    pub grade: Option<Grade>,
}

/// What one run did, reduced to the figures a report needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Per flow of the topology.
    pub flows: Vec<FlowRun>,
    /// From the first fault to the recovery of every business \[seconds\]; none when
    /// some business still fails at the horizon.
    pub recovery: Option<f64>,
    /// From the first fault to the first detection \[seconds\].
    pub detection: Option<f64>,
    pub recovered_by: Option<Cause>,
    /// Groups whose spare was brought into service, in order.
    pub spares_up: Vec<usize>,
    /// Per `[[data]]` database of the topology.
    pub data: Vec<DataSummary>,
}

/// What one run did to one database's data.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSummary {
    /// Whether the primary changed (a promotion or a switchover).
    pub promoted: bool,
    /// Committed writes lost by the run's promotions \[seconds of writes\].
    pub lost: f64,
    /// Writes both sides would have taken under an automatic cross-site failover
    /// \[seconds\].
    pub split_brain: f64,
    /// The recovery scenario run, if any.
    pub restore: Option<RestoreSummary>,
}

/// One run of a recovery scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreSummary {
    pub scenario: Scenario,
    /// Steps started, with their durations \[seconds\].
    pub steps: Vec<(RestoreStep, f64)>,
    /// From the first fault to the scenario's end \[seconds\]; none if the horizon came
    /// first.
    pub done_after: Option<f64>,
}

/// What a run's end is credited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Credit {
    /// Something brought every business back.
    By(Cause),
    /// Nothing failed, so nothing had to recover.
    NothingToRecover,
    /// Some business still failed at the horizon.
    NotRecovered,
}

impl Credit {
    pub fn of(run: &RunSummary) -> Credit {
        match (run.recovery, run.recovered_by) {
            (None, _) => Credit::NotRecovered,
            (Some(_), Some(cause)) => Credit::By(cause),
            (Some(_), None) => Credit::NothingToRecover,
        }
    }

    /// The label reports use: `runbook:...`, `nothing to recover`, `not recovered`.
    pub fn label(self, topology: &Topology) -> String {
        match self {
            Credit::By(cause) => cause.label(topology),
            Credit::NothingToRecover => "nothing to recover".to_owned(),
            Credit::NotRecovered => "not recovered by the horizon".to_owned(),
        }
    }
}

/// Reduces a trial to its summary.
pub fn summarise(topology: &Topology, trial: &Trial) -> RunSummary {
    let flows = topology
        .flows
        .iter()
        .zip(&trial.timelines)
        .map(|(flow, timeline)| flow_run(flow.business, timeline, trial.end))
        .collect();
    RunSummary {
        flows,
        recovery: trial.recovery.map(|r| r.at - trial.first_fault),
        detection: trial.detected.map(|d| d - trial.first_fault),
        recovered_by: trial.recovery.and_then(|r| r.by),
        spares_up: trial
            .log
            .iter()
            .filter_map(|l| match l.what {
                Happening::SpareUp { group } => Some(group),
                _ => None,
            })
            .collect(),
        data: trial
            .data
            .iter()
            .map(|d| DataSummary {
                promoted: !d.losses.is_empty(),
                lost: d.lost(),
                split_brain: d.split_brain,
                restore: d.restore.as_ref().map(|r| RestoreSummary {
                    scenario: r.scenario,
                    steps: r.steps.clone(),
                    done_after: r.done.map(|t| t - trial.first_fault),
                }),
            })
            .collect(),
    }
}

/// Peak, impact duration and grade of one flow's timeline. An outage still going on at
/// the horizon lasts longer than the horizon: it is graded as if it went on a little
/// past it, so that "> 24 h" cells apply.
fn flow_run(business: Business, timeline: &[(f64, f64)], end: f64) -> FlowRun {
    let peak = timeline.iter().map(|&(_, s)| s).fold(0.0, f64::max);
    let mut impact_duration = 0.0;
    for (i, &(t, share)) in timeline.iter().enumerate() {
        let until = timeline.get(i + 1).map_or(end, |&(next, _)| next);
        if share > 0.0 {
            impact_duration += until - t;
        }
    }
    let ongoing = timeline.last().is_some_and(|&(_, share)| share > 0.0);
    let graded_until = if ongoing { end + ONGOING_MARGIN_S } else { end };
    let grade = grade_timeline(business, timeline, graded_until).map(|cell| cell.grade);
    FlowRun { peak, impact_duration, grade }
}

/// The smallest value with at least `p` of the sorted sample at or below it.
pub fn nearest_rank<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Fewest runs in a block of runs tallied by one thread (and the step of progress
/// reports). Runs are cut into a few blocks per thread: each block allocates a tally of
/// about 2 MB, and tallies merge exactly whatever the cut.
const MIN_SPLIT: u32 = 256;

/// Points of the time grid on which the failing-share band is sampled.
const BAND_POINTS: usize = 200;

/// Runs whose failing shares make the band (the first ones): enough for its P5 and
/// P95 at the band's 1 % resolution, and cheaper than sampling every run.
pub const BAND_RUNS: u32 = 20_000;

/// Runs that fix the band's time range (the first ones, run before the others).
const PILOT_RUNS: u32 = 200;

/// Runs behind each bar of the what-if chart (a step made 50 % faster).
pub const WHAT_IF_RUNS: u32 = 10_000;

/// Factor applied to a step's duration in the what-if chart.
pub const WHAT_IF_FACTOR: f64 = 0.5;

/// Percentiles of a figure over all runs, each with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Quantiles {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    /// Distribution-free 95 % intervals of p50, p90, p95 and p99, in that order.
    pub ci95: [(f64, f64); 4],
}

impl Quantiles {
    fn of(hist: &Durations) -> Quantiles {
        let ps = [0.50, 0.90, 0.95, 0.99];
        Quantiles {
            p50: hist.percentile(0.50),
            p90: hist.percentile(0.90),
            p95: hist.percentile(0.95),
            p99: hist.percentile(0.99),
            max: hist.percentile(1.0),
            ci95: ps.map(|p| hist.interval(p)),
        }
    }
}

/// One business over all runs.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowStats {
    pub business: Business,
    /// Peak failing share (ratio 0-1) at P50 and P95.
    pub peak_p50: f64,
    pub peak_p95: f64,
    /// Time with some requests failing \[seconds\].
    pub impact_duration: Quantiles,
    /// Grade at the median and 95th percentile of severity.
    pub grade_p50: Option<Grade>,
    pub grade_p95: Option<Grade>,
    /// Share of runs ending in each outcome: index 0 below the bar, 1-5 the grades.
    pub grade_share: [f64; 6],
}

/// One expectation over all runs.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub text: String,
    /// Share of runs it had to hold in (ratio 0-1).
    pub required: f64,
    /// Share of runs it held in (ratio 0-1).
    pub held: f64,
    pub met: bool,
}

/// The failing share of each business across runs, on a time grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Grid times \[seconds from the start of the drill\].
    pub times: Vec<f64>,
    /// Per flow: P5, P50 and P95 of the failing share (ratio 0-1, 1 % resolution) at
    /// each grid time.
    pub flows: Vec<[Vec<f64>; 3]>,
}

/// How one runbook step drives the recovery time.
#[derive(Debug, Clone, PartialEq)]
pub struct StepEffect {
    pub runbook: RunbookId,
    pub step: usize,
    /// Mean drawn duration \[seconds\].
    pub mean: f64,
    /// Share of the variance of the recovery time its duration explains (squared
    /// correlation, 0-1), over runs the runbook recovered.
    pub explains: f64,
    /// Recovery-time P95 with this step 50 % faster \[seconds\], over the what-if runs.
    pub p95_faster: f64,
}

/// The critical path of the runbooks that ran.
#[derive(Debug, Clone, PartialEq)]
pub struct CriticalPath {
    /// Runs behind the what-if figures.
    pub runs: u32,
    /// Recovery-time P95 of those runs as they are \[seconds\].
    pub p95: f64,
    pub steps: Vec<StepEffect>,
}

/// One database's data over all runs.
#[derive(Debug, Clone, PartialEq)]
pub struct DataStats {
    /// Committed writes lost by promotions \[seconds of writes\]; 0 in runs without one.
    pub lost: Quantiles,
    /// Runs that lost at least one committed write, and runs whose primary changed.
    pub runs_with_loss: u64,
    pub runs_with_promotion: u64,
    /// Writes both sides would have taken under an automatic cross-site failover
    /// \[seconds\].
    pub split_brain: Quantiles,
    pub runs_with_split_brain: u64,
    /// Each recovery scenario that ran.
    pub restores: Vec<RestoreStats>,
}

/// One recovery scenario over the runs that went through it.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreStats {
    pub scenario: Scenario,
    /// Runs that started it, and runs in which it completed before the horizon.
    pub runs: u64,
    pub completed: u64,
    /// Duration of each step \[seconds\], over the runs that started it.
    pub steps: Vec<(RestoreStep, Quantiles)>,
    /// Duration of the whole scenario \[seconds\], over completed runs.
    pub total: Quantiles,
    /// From the first fault to the data back \[seconds\], over completed runs.
    pub done_after: Quantiles,
}

/// Everything the runs of one drill showed.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub seed: u64,
    pub runs: u32,
    pub flows: Vec<FlowStats>,
    /// From the first fault to full recovery \[seconds\]; unrecovered runs count as the
    /// time to the horizon.
    pub recovery: Quantiles,
    /// Histogram of the recovery time: (from, to, runs) in equal bins.
    pub recovery_bins: Vec<(f64, f64, u64)>,
    /// Cumulative share of runs recovered by each time: (time \[s\], share 0-1).
    pub recovery_cdf: Vec<(f64, f64)>,
    pub unrecovered: u32,
    pub detection: Option<Quantiles>,
    /// Share of runs credited to each cause, most frequent first.
    pub recovered_by: Vec<(Credit, f64)>,
    pub checks: Vec<CheckResult>,
    pub band: Band,
    /// Present when a runbook recovered at least one run.
    pub critical_path: Option<CriticalPath>,
    /// Index of a run whose recovery time is the median, and that run in full.
    pub representative: (u32, Trial),
    /// Per `[[data]]` database of the topology.
    pub data: Vec<DataStats>,
}

impl Outcome {
    pub fn met(&self) -> bool {
        self.checks.iter().all(|c| c.met)
    }

    pub fn flow(&self, business: Business) -> Option<&FlowStats> {
        self.flows.iter().find(|f| f.business == business)
    }
}

/// Running sums of (x, y) pairs in whole microseconds, so that they merge exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Moments {
    n: i128,
    sx: i128,
    sxx: i128,
    sy: i128,
    syy: i128,
    sxy: i128,
}

impl Moments {
    fn add(&mut self, x: f64, y: f64) {
        let (x, y) = ((x * 1e6).round() as i128, (y * 1e6).round() as i128);
        self.n += 1;
        self.sx += x;
        self.sxx += x * x;
        self.sy += y;
        self.syy += y * y;
        self.sxy += x * y;
    }

    fn merge(&mut self, o: &Moments) {
        self.n += o.n;
        self.sx += o.sx;
        self.sxx += o.sxx;
        self.sy += o.sy;
        self.syy += o.syy;
        self.sxy += o.sxy;
    }

    /// Mean of x \[seconds\].
    fn mean_x(&self) -> f64 {
        if self.n == 0 { 0.0 } else { self.sx as f64 / self.n as f64 / 1e6 }
    }

    /// Squared correlation of x and y (0 when either does not vary).
    fn r2(&self) -> f64 {
        let n = self.n as f64;
        let cov = n * self.sxy as f64 - self.sx as f64 * self.sy as f64;
        let vx = n * self.sxx as f64 - (self.sx as f64).powi(2);
        let vy = n * self.syy as f64 - (self.sy as f64).powi(2);
        if vx <= 0.0 || vy <= 0.0 { 0.0 } else { (cov * cov / (vx * vy)).min(1.0) }
    }
}

/// What one business did over the runs tallied so far.
#[derive(Debug, Clone, Default, PartialEq)]
struct FlowTally {
    peak: Shares,
    duration: Durations,
    grades: [u64; 6],
}

/// Integer tallies of a set of runs; two tallies merge exactly, in any order.
#[derive(Debug, Clone, PartialEq)]
struct Tally {
    runs: u64,
    recovery: Durations,
    unrecovered: u64,
    detection: Durations,
    flows: Vec<FlowTally>,
    causes: BTreeMap<Credit, u64>,
    checks: Vec<u64>,
    steps: BTreeMap<(RunbookId, usize), Moments>,
    /// Per flow, per grid time, runs at each failing share in whole percent (101).
    band: Vec<u64>,
    /// Per `[[data]]` database.
    data: Vec<DataTally>,
}

/// What one database's data went through over the runs tallied so far.
#[derive(Debug, Clone, Default, PartialEq)]
struct DataTally {
    lost: Durations,
    with_loss: u64,
    with_promotion: u64,
    split_brain: Durations,
    with_split_brain: u64,
    restores: BTreeMap<Scenario, RestoreTally>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct RestoreTally {
    runs: u64,
    completed: u64,
    steps: BTreeMap<(usize, RestoreStep), Durations>,
    total: Durations,
    done_after: Durations,
}

impl DataTally {
    fn add(&mut self, run: u32, d: &DataSummary) {
        self.lost.add(d.lost, run);
        self.with_loss += u64::from(d.lost > 0.0);
        self.with_promotion += u64::from(d.promoted);
        self.split_brain.add(d.split_brain, run);
        self.with_split_brain += u64::from(d.split_brain > 0.0);
        let Some(restore) = &d.restore else { return };
        let tally = self.restores.entry(restore.scenario).or_default();
        tally.runs += 1;
        for (i, &(step, duration)) in restore.steps.iter().enumerate() {
            tally.steps.entry((i, step)).or_default().add(duration, run);
        }
        if let Some(after) = restore.done_after {
            tally.completed += 1;
            tally.total.add(restore.steps.iter().fold(0.0, |total, (_, t)| total + t), run);
            tally.done_after.add(after, run);
        }
    }

    fn merge(&mut self, other: &DataTally) {
        self.lost.merge(&other.lost);
        self.with_loss += other.with_loss;
        self.with_promotion += other.with_promotion;
        self.split_brain.merge(&other.split_brain);
        self.with_split_brain += other.with_split_brain;
        for (scenario, theirs) in &other.restores {
            let mine = self.restores.entry(*scenario).or_default();
            mine.runs += theirs.runs;
            mine.completed += theirs.completed;
            for (key, hist) in &theirs.steps {
                mine.steps.entry(*key).or_default().merge(hist);
            }
            mine.total.merge(&theirs.total);
            mine.done_after.merge(&theirs.done_after);
        }
    }

    fn stats(&self) -> DataStats {
        DataStats {
            lost: Quantiles::of(&self.lost),
            runs_with_loss: self.with_loss,
            runs_with_promotion: self.with_promotion,
            split_brain: Quantiles::of(&self.split_brain),
            runs_with_split_brain: self.with_split_brain,
            restores: self
                .restores
                .iter()
                .map(|(&scenario, t)| RestoreStats {
                    scenario,
                    runs: t.runs,
                    completed: t.completed,
                    steps: t.steps.iter().map(|(&(_, step), h)| (step, Quantiles::of(h))).collect(),
                    total: Quantiles::of(&t.total),
                    done_after: Quantiles::of(&t.done_after),
                })
                .collect(),
        }
    }
}

/// What a tally needs to know of the drill.
struct Frame<'a> {
    topology: &'a Topology,
    drill: &'a Drill,
    /// Time from the first fault to the horizon \[seconds\].
    horizon_s: f64,
    grid: Vec<f64>,
}

impl Tally {
    fn new(frame: &Frame) -> Tally {
        let flows = frame.topology.flows.len();
        Tally {
            runs: 0,
            recovery: Durations::default(),
            unrecovered: 0,
            detection: Durations::default(),
            flows: vec![FlowTally::default(); flows],
            causes: BTreeMap::new(),
            checks: vec![0; frame.drill.expectations.len()],
            steps: BTreeMap::new(),
            band: vec![0; flows * frame.grid.len() * 101],
            data: vec![DataTally::default(); frame.topology.data.len()],
        }
    }

    /// Adds one run.
    fn add(&mut self, frame: &Frame, run: u32, trial: &Trial) {
        let summary = summarise(frame.topology, trial);
        self.runs += 1;

        // Recovery, detection and what it is credited to
        self.recovery.add(summary.recovery.unwrap_or(frame.horizon_s), run);
        self.unrecovered += u64::from(summary.recovery.is_none());
        if let Some(d) = summary.detection {
            self.detection.add(d, run);
        }
        *self.causes.entry(Credit::of(&summary)).or_default() += 1;

        // Each business, each check
        for (tally, r) in self.flows.iter_mut().zip(&summary.flows) {
            tally.peak.add(r.peak);
            tally.duration.add(r.impact_duration, run);
            tally.grades[r.grade.map_or(0, |g| usize::from(g.number()))] += 1;
        }
        for (count, e) in self.checks.iter_mut().zip(&frame.drill.expectations) {
            *count += u64::from(holds(frame.topology, &e.check, &summary));
        }
        for (tally, d) in self.data.iter_mut().zip(&summary.data) {
            tally.add(run, d);
        }

        // Runbook steps against the recovery they led to
        if let Some(recovery) = summary.recovery.filter(|_| !trial.steps.is_empty()) {
            let switched: Vec<RunbookId> = trial
                .log
                .iter()
                .filter_map(|l| match l.what {
                    Happening::Switched { runbook } => Some(runbook),
                    _ => None,
                })
                .collect();
            for draw in &trial.steps {
                if switched.contains(&draw.runbook) {
                    self.steps
                        .entry((draw.runbook, draw.step))
                        .or_default()
                        .add(draw.duration, recovery);
                }
            }
        }
        if run < BAND_RUNS {
            self.add_band(frame, trial);
        }
    }

    /// Samples each flow's failing share at the grid times.
    fn add_band(&mut self, frame: &Frame, trial: &Trial) {
        let points = frame.grid.len();
        for (f, timeline) in trial.timelines.iter().enumerate() {
            let mut next = 0;
            let mut share = 0.0;
            for (i, &t) in frame.grid.iter().enumerate() {
                while next < timeline.len() && timeline[next].0 <= t {
                    share = timeline[next].1;
                    next += 1;
                }
                let bucket = (share * 100.0).round().clamp(0.0, 100.0) as usize;
                self.band[(f * points + i) * 101 + bucket] += 1;
            }
        }
    }

    fn merge(mut self, other: Tally) -> Tally {
        self.runs += other.runs;
        self.recovery.merge(&other.recovery);
        self.unrecovered += other.unrecovered;
        self.detection.merge(&other.detection);
        for (mine, theirs) in self.flows.iter_mut().zip(&other.flows) {
            mine.peak.merge(&theirs.peak);
            mine.duration.merge(&theirs.duration);
            for g in 0..6 {
                mine.grades[g] += theirs.grades[g];
            }
        }
        for (cause, n) in other.causes {
            *self.causes.entry(cause).or_default() += n;
        }
        for (mine, theirs) in self.checks.iter_mut().zip(&other.checks) {
            *mine += theirs;
        }
        for (key, m) in other.steps {
            self.steps.entry(key).or_default().merge(&m);
        }
        for (mine, theirs) in self.band.iter_mut().zip(&other.band) {
            *mine += theirs;
        }
        for (mine, theirs) in self.data.iter_mut().zip(&other.data) {
            mine.merge(theirs);
        }
        self
    }
}

/// Runs a drill `runs` times from `seed` on the current rayon pool and summarises them.
pub fn simulate(topology: &Topology, drill: &Drill, runs: u32, seed: u64) -> Outcome {
    simulate_with_progress(topology, drill, runs, seed, &|_| {})
}

/// As [`simulate`], calling `progress` with the number of runs done after each chunk.
pub fn simulate_with_progress(
    topology: &Topology,
    drill: &Drill,
    runs: u32,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Outcome {
    let runs = runs.max(1);
    let run = |i: u32| {
        let _span = tracing::debug_span!("run", drill = %drill.id, run = i).entered();
        let trial = simulation::run(topology, drill, &mut stream(seed, i));
        tracing::debug!(recovery_s = ?trial.recovery.map(|r| r.at - trial.first_fault), "run done");
        trial
    };

    // A pilot fixes the time range of the band, then every run is tallied in chunks
    let grid = band_grid(drill, (0..runs.min(PILOT_RUNS)).map(run));
    let frame = Frame { topology, drill, horizon_s: drill.horizon, grid };
    let blocks = (runs / MIN_SPLIT).clamp(1, rayon::current_num_threads() as u32 * 4);
    let tally = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let (from, to) =
                (runs / blocks * b, if b + 1 == blocks { runs } else { runs / blocks * (b + 1) });
            let mut tally = Tally::new(&frame);
            for i in from..to {
                tally.add(&frame, i, &run(i));
                if (i - from) % MIN_SPLIT == MIN_SPLIT - 1 {
                    progress(u64::from(MIN_SPLIT));
                }
            }
            progress(u64::from((to - from) % MIN_SPLIT));
            tally
        })
        .reduce(|| Tally::new(&frame), Tally::merge);

    // The median run in full, and the critical path of the runbooks that ran
    let representative = tally.recovery.run_at(0.5);
    let critical_path = critical_path(topology, drill, runs, seed, &tally);
    outcome(&frame, tally, seed, runs, (representative, run(representative)), critical_path)
}

/// Time grid of the band: from the start to a little after the last change any pilot
/// run shows, within the horizon.
fn band_grid(drill: &Drill, pilot: impl Iterator<Item = Trial>) -> Vec<f64> {
    let last = pilot
        .flat_map(|t| t.timelines.into_iter().flatten().map(|(time, _)| time).collect::<Vec<_>>())
        .fold(0.0, f64::max);
    let end = (last * 1.25).max(60.0).min(drill.end());
    (0..BAND_POINTS).map(|i| end * i as f64 / (BAND_POINTS - 1) as f64).collect()
}

fn outcome(
    frame: &Frame,
    tally: Tally,
    seed: u64,
    runs: u32,
    representative: (u32, Trial),
    critical_path: Option<CriticalPath>,
) -> Outcome {
    let n = tally.runs as f64;
    let flows = frame
        .topology
        .flows
        .iter()
        .zip(&tally.flows)
        .map(|(flow, t)| flow_stats(flow.business, t, n))
        .collect();
    let checks = frame
        .drill
        .expectations
        .iter()
        .zip(&tally.checks)
        .map(|(e, &held)| {
            let held = held as f64 / n;
            CheckResult {
                text: e.text.clone(),
                required: e.in_runs,
                held,
                met: held + 1e-12 >= e.in_runs,
            }
        })
        .collect();
    let mut recovered_by: Vec<(Credit, f64)> =
        tally.causes.iter().map(|(&c, &k)| (c, k as f64 / n)).collect();
    recovered_by.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let cdf_points: Vec<f64> =
        (0..=100).map(|i| tally.recovery.percentile(1.0) * f64::from(i) / 100.0).collect();
    Outcome {
        seed,
        runs,
        flows,
        recovery: Quantiles::of(&tally.recovery),
        recovery_bins: tally.recovery.bins(40),
        recovery_cdf: cdf_points
            .iter()
            .copied()
            .zip(tally.recovery.cdf(&cdf_points))
            .map(|(t, share)| {
                // Runs cut off at the horizon count there, but never recovered
                let cut_off = if t >= frame.horizon_s { tally.unrecovered as f64 / n } else { 0.0 };
                (t, (share - cut_off).max(0.0))
            })
            .collect(),
        unrecovered: tally.unrecovered as u32,
        detection: (tally.detection.count() > 0).then(|| Quantiles::of(&tally.detection)),
        recovered_by,
        checks,
        band: band(frame, &tally),
        critical_path,
        representative,
        data: tally.data.iter().map(DataTally::stats).collect(),
    }
}

fn flow_stats(business: Business, t: &FlowTally, n: f64) -> FlowStats {
    let mut cumulative = 0;
    let severity_at = |p: f64, cumulative: &mut u64| {
        // Severity 0 (below the bar) to 5 (grade 1): grade g has severity 6 - g
        let order = [0usize, 5, 4, 3, 2, 1];
        let rank = (p * n).ceil().max(1.0) as u64;
        *cumulative = 0;
        for &g in &order {
            *cumulative += t.grades[g];
            if *cumulative >= rank {
                return if g == 0 { None } else { Grade::new(g as u8) };
            }
        }
        None
    };
    FlowStats {
        business,
        peak_p50: t.peak.percentile(0.50),
        peak_p95: t.peak.percentile(0.95),
        impact_duration: Quantiles::of(&t.duration),
        grade_p50: severity_at(0.50, &mut cumulative),
        grade_p95: severity_at(0.95, &mut cumulative),
        grade_share: t.grades.map(|g| g as f64 / n),
    }
}

fn band(frame: &Frame, tally: &Tally) -> Band {
    let points = frame.grid.len();
    let n = tally.runs.min(u64::from(BAND_RUNS));
    let percentile = |counts: &[u64], p: f64| {
        let rank = ((p * n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, &c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return bucket as f64 / 100.0;
            }
        }
        1.0
    };
    let flows = (0..frame.topology.flows.len())
        .map(|f| {
            let at = |i: usize| &tally.band[(f * points + i) * 101..(f * points + i + 1) * 101];
            [0.05, 0.50, 0.95].map(|p| (0..points).map(|i| percentile(at(i), p)).collect())
        })
        .collect();
    Band { times: frame.grid.clone(), flows }
}

/// The share of the recovery time's variance each runbook step explains, and the P95
/// with each step made faster, on the first [`WHAT_IF_RUNS`] runs.
fn critical_path(
    topology: &Topology,
    drill: &Drill,
    runs: u32,
    seed: u64,
    tally: &Tally,
) -> Option<CriticalPath> {
    if tally.steps.is_empty() {
        return None;
    }
    let what_if_runs = runs.min(WHAT_IF_RUNS);
    let p95_of = |topology: &Topology| {
        let mut recovery: Vec<f64> = (0..what_if_runs)
            .into_par_iter()
            .map(|i| {
                let trial = simulation::run(topology, drill, &mut stream(seed, i));
                trial.recovery.map_or(drill.end(), |r| r.at) - trial.first_fault
            })
            .collect();
        recovery.sort_by(f64::total_cmp);
        nearest_rank(&recovery, 0.95)
    };
    let steps = tally
        .steps
        .iter()
        .map(|(&(runbook, step), m)| {
            let mut faster = topology.clone();
            let duration = &mut faster.runbooks[runbook].steps[step].duration;
            *duration = duration.scaled(WHAT_IF_FACTOR);
            StepEffect {
                runbook,
                step,
                mean: m.mean_x(),
                explains: m.r2(),
                p95_faster: p95_of(&faster),
            }
        })
        .collect();
    Some(CriticalPath { runs: what_if_runs, p95: p95_of(topology), steps })
}

/// Whether a check holds in one run.
pub fn holds(topology: &Topology, check: &Check, run: &RunSummary) -> bool {
    let flow =
        |b: Business| topology.flows.iter().position(|f| f.business == b).map(|i| run.flows[i]);
    match *check {
        Check::NoImpact(b) => flow(b).is_some_and(|f| f.peak == 0.0),
        Check::NoGrade(b) => flow(b).is_some_and(|f| f.grade.is_none()),
        Check::MaxGrade(b, g) => flow(b).is_some_and(|f| severity(f.grade) <= severity(Some(g))),
        Check::PeakImpact { business, at_least, at_most } => flow(business).is_some_and(|f| {
            at_least.is_none_or(|l| f.peak >= l - 1e-9)
                && at_most.is_none_or(|m| f.peak <= m + 1e-9)
        }),
        Check::RecoveryWithin(limit) => run.recovery.is_some_and(|r| r <= limit),
        Check::RecoveredBy(cause) => run.recovered_by == Some(cause),
        Check::BroughtUp(group) => run.spares_up.contains(&group),
        Check::RpoWithin { database, within } => {
            run.data.get(database).is_some_and(|d| d.lost <= within + 1e-9)
        }
        Check::RestoreWithin(limit) => {
            let restores: Vec<&RestoreSummary> =
                run.data.iter().filter_map(|d| d.restore.as_ref()).collect();
            !restores.is_empty()
                && restores.iter().all(|r| r.done_after.is_some_and(|t| t <= limit + 1e-9))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_matches_the_textbook_definition() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(nearest_rank(&sorted, 0.50), 50.0);
        assert_eq!(nearest_rank(&sorted, 0.95), 95.0);
        assert_eq!(nearest_rank(&sorted, 0.99), 99.0);
        assert_eq!(nearest_rank(&[7.0], 0.95), 7.0);
    }

    #[test]
    fn flow_run_measures_peak_duration_and_grade() {
        // 100 % failing from 10 s to 1810 s (30 min): payment grade 5
        let timeline = [(0.0, 0.0), (10.0, 1.0), (1810.0, 0.0)];
        let run = flow_run(Business::Payment, &timeline, 86_400.0);
        assert_eq!(run.peak, 1.0);
        assert_eq!(run.impact_duration, 1800.0);
        assert_eq!(run.grade.map(Grade::number), Some(5));
    }

    #[test]
    fn streams_differ_by_run_and_repeat_by_seed() {
        use rand::Rng;
        let a: u64 = stream(1, 0).next_u64();
        assert_eq!(a, stream(1, 0).next_u64());
        assert_ne!(a, stream(1, 1).next_u64());
        assert_ne!(a, stream(2, 0).next_u64());
    }
}
