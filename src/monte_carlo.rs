//! Many runs of one drill, each on its own random stream, summarised as percentiles.
//!
//! Run `i` of seed `s` draws from ChaCha8 seeded with `s` on stream `i`, so any run can
//! be replayed alone and the summary does not depend on how runs are scheduled.
//! Percentiles are nearest-rank over every run (exact, no interpolation).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::drill::{Cause, Check, Drill};
use crate::grade::{Business, Grade, grade_timeline, severity};
use crate::simulation::{self, Trial};
use crate::topology::Topology;

/// Most runs one drill may ask for; a guard against typing one zero too many.
pub const MAX_RUNS: u32 = 10_000_000;

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
    }
}

fn flow_run(business: Business, timeline: &[(f64, f64)], end: f64) -> FlowRun {
    let peak = timeline.iter().map(|&(_, s)| s).fold(0.0, f64::max);
    let mut impact_duration = 0.0;
    for (i, &(t, share)) in timeline.iter().enumerate() {
        let until = timeline.get(i + 1).map_or(end, |&(next, _)| next);
        if share > 0.0 {
            impact_duration += until - t;
        }
    }
    let grade = grade_timeline(business, timeline, end).map(|cell| cell.grade);
    FlowRun { peak, impact_duration, grade }
}

/// Nearest-rank percentiles of a sample.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    /// Percentiles of a non-empty sample.
    pub fn of(values: &mut [f64]) -> Percentiles {
        values.sort_by(f64::total_cmp);
        Percentiles {
            p50: nearest_rank(values, 0.50),
            p95: nearest_rank(values, 0.95),
            p99: nearest_rank(values, 0.99),
            max: values.last().copied().unwrap_or(0.0),
        }
    }
}

/// The smallest value with at least `p` of the sorted sample at or below it.
pub fn nearest_rank<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// One business over all runs.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowStats {
    pub business: Business,
    pub peak: Percentiles,
    pub impact_duration: Percentiles,
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

/// Everything the runs of one drill showed.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub seed: u64,
    pub runs: u32,
    pub flows: Vec<FlowStats>,
    /// From the first fault to full recovery \[seconds\]; unrecovered runs count as the
    /// time to the horizon.
    pub recovery: Percentiles,
    pub unrecovered: u32,
    pub detection: Option<Percentiles>,
    /// Share of runs credited to each cause, most frequent first.
    pub recovered_by: Vec<(Option<Cause>, f64)>,
    pub checks: Vec<CheckResult>,
    /// Index of the run whose recovery time is the median, and that run in full.
    pub representative: (u32, Trial),
}

impl Outcome {
    pub fn met(&self) -> bool {
        self.checks.iter().all(|c| c.met)
    }

    pub fn flow(&self, business: Business) -> Option<&FlowStats> {
        self.flows.iter().find(|f| f.business == business)
    }
}

/// Runs a drill `runs` times from `seed` and summarises the runs.
pub fn simulate(topology: &Topology, drill: &Drill, runs: u32, seed: u64) -> Outcome {
    let runs = runs.max(1);
    let summaries: Vec<RunSummary> = (0..runs)
        .map(|i| {
            let _span = tracing::debug_span!("run", drill = %drill.id, run = i).entered();
            let summary =
                summarise(topology, &simulation::run(topology, drill, &mut stream(seed, i)));
            tracing::debug!(recovery_s = ?summary.recovery, by = ?summary.recovered_by, "done");
            summary
        })
        .collect();
    let horizon_s = drill.horizon - drill.faults.iter().map(|f| f.at).fold(f64::INFINITY, f64::min);

    let mut recovery: Vec<f64> =
        summaries.iter().map(|s| s.recovery.unwrap_or(horizon_s)).collect();
    let representative = representative_run(&recovery);
    let trial = simulation::run(topology, drill, &mut stream(seed, representative));
    let mut detection: Vec<f64> = summaries.iter().filter_map(|s| s.detection).collect();

    Outcome {
        seed,
        runs,
        flows: topology
            .flows
            .iter()
            .enumerate()
            .map(|(f, flow)| flow_stats(flow.business, f, &summaries))
            .collect(),
        recovery: Percentiles::of(&mut recovery),
        unrecovered: summaries.iter().filter(|s| s.recovery.is_none()).count() as u32,
        detection: (!detection.is_empty()).then(|| Percentiles::of(&mut detection)),
        recovered_by: causes(&summaries),
        checks: drill
            .expectations
            .iter()
            .map(|e| check(topology, &e.check, e.in_runs, &e.text, &summaries))
            .collect(),
        representative: (representative, trial),
    }
}

/// The run with the median recovery time (the lower median, earliest run on ties).
fn representative_run(recovery: &[f64]) -> u32 {
    let mut order: Vec<u32> = (0..recovery.len() as u32).collect();
    order.sort_by(|&a, &b| recovery[a as usize].total_cmp(&recovery[b as usize]).then(a.cmp(&b)));
    order[(order.len() - 1) / 2]
}

fn flow_stats(business: Business, f: usize, summaries: &[RunSummary]) -> FlowStats {
    let mut peaks: Vec<f64> = summaries.iter().map(|s| s.flows[f].peak).collect();
    let mut durations: Vec<f64> = summaries.iter().map(|s| s.flows[f].impact_duration).collect();
    let mut severities: Vec<u8> = summaries.iter().map(|s| severity(s.flows[f].grade)).collect();
    severities.sort_unstable();
    let mut grade_share = [0.0; 6];
    for s in summaries {
        let index = s.flows[f].grade.map_or(0, |g| usize::from(g.number()));
        grade_share[index] += 1.0 / summaries.len() as f64;
    }
    FlowStats {
        business,
        peak: Percentiles::of(&mut peaks),
        impact_duration: Percentiles::of(&mut durations),
        grade_p50: grade_of_severity(nearest_rank(&severities, 0.50)),
        grade_p95: grade_of_severity(nearest_rank(&severities, 0.95)),
        grade_share,
    }
}

/// Inverse of [`severity`]: 0 is below the bar, 5 is grade 1.
fn grade_of_severity(severity: u8) -> Option<Grade> {
    if severity == 0 { None } else { Grade::new(6 - severity) }
}

fn causes(summaries: &[RunSummary]) -> Vec<(Option<Cause>, f64)> {
    let mut counts: Vec<(Option<Cause>, u32)> = Vec::new();
    for s in summaries {
        match counts.iter_mut().find(|(c, _)| *c == s.recovered_by) {
            Some((_, n)) => *n += 1,
            None => counts.push((s.recovered_by, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts.into_iter().map(|(c, n)| (c, f64::from(n) / summaries.len() as f64)).collect()
}

fn check(
    topology: &Topology,
    check: &Check,
    required: f64,
    text: &str,
    summaries: &[RunSummary],
) -> CheckResult {
    let held = summaries.iter().filter(|s| holds(topology, check, s)).count();
    let held = held as f64 / summaries.len() as f64;
    CheckResult { text: text.to_owned(), required, held, met: held + 1e-12 >= required }
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
    fn representative_run_is_the_lower_median() {
        assert_eq!(representative_run(&[5.0, 1.0, 3.0, 2.0]), 3);
        assert_eq!(representative_run(&[4.0]), 0);
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
