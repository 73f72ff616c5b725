//! The report of a drill: what the manual promises beside what the simulation found.
//!
//! A [`Report`] is built once from a drill's [`Outcome`] and written three ways into
//! the drill's own directory: `report.json` for tools, `report.md` for people and
//! `timeline.svg`, the failing share of each business over the median run. Nothing in
//! a report depends on the wall clock, the machine or the output directory, so the
//! same inputs and seed give byte-identical files.

mod data;
mod markdown;
mod plot;
pub(crate) mod write;

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::Serialize;

use crate::drill::Drill;
use crate::monte_carlo::{Credit, Outcome, Quantiles, RunSummary};
use crate::response;
use crate::timing::human;
use crate::topology::Topology;

pub(crate) use data::count;
pub use data::{DataInfo, data_info};
pub(crate) use markdown::percent;
pub use markdown::render as markdown;
pub use plot::{band_svg, critical_path_svg, recovery_svg, timeline_svg};
pub use write::{Planned, REPORT_FILES, WriteError, Written, check_out_dir, write_all};

/// How a report can be reproduced: everything that went into it.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub seed: u64,
    pub runs: u32,
    pub version: String,
    /// The command that writes this report again, byte for byte.
    pub command: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub drill: DrillInfo,
    pub topology: TopologyInfo,
    pub seed: u64,
    pub runs: u32,
    pub version: String,
    pub command: String,
    pub horizon_s: f64,
    pub faults: Vec<FaultInfo>,
    pub expectation: ExpectationInfo,
    pub businesses: BTreeMap<String, BusinessInfo>,
    pub recovery_time_s: TimeStats,
    pub unrecovered_runs: u32,
    pub detection_time_s: Option<TimeStats>,
    /// The distribution of the recovery time, for the histogram and the CDF.
    pub distribution: DistributionInfo,
    /// Failing share per business across runs over time.
    pub band: BandInfo,
    /// For drills a runbook recovers: what drives its duration.
    pub critical_path: Option<CriticalPathInfo>,
    pub recovered_by: Vec<CauseShare>,
    pub representative_run: RunInfo,
    /// The manual's response rules laid on the median run.
    pub response: ResponseInfo,
    pub findings: Vec<String>,
    pub assumptions: Vec<Assumption>,
    /// Per replicated database: RPO, copies, recovery scenarios (Art. 17, Art. 21).
    pub data: Vec<DataInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DrillInfo {
    pub id: String,
    pub title: String,
    pub clause: String,
    pub answer: String,
    pub note: String,
    pub file: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopologyInfo {
    pub id: String,
    pub title: String,
    pub file: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FaultInfo {
    pub at_s: f64,
    pub action: String,
    pub target: String,
    pub target_name: String,
    pub duration_s: Option<f64>,
    /// For a security incident: its kind, share and risk, in words.
    pub attack: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExpectationInfo {
    pub met: bool,
    pub checks: Vec<CheckInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckInfo {
    pub check: String,
    pub required_share_of_runs: f64,
    pub held_share_of_runs: f64,
    pub met: bool,
}

/// Percentiles of a time over all runs \[seconds\], each with its 95 % interval.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TimeStats {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    /// Distribution-free 95 % confidence interval of each percentile, [low, high].
    pub ci95: Intervals,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Intervals {
    pub p50: [f64; 2],
    pub p90: [f64; 2],
    pub p95: [f64; 2],
    pub p99: [f64; 2],
}

impl TimeStats {
    fn of(q: &Quantiles) -> TimeStats {
        let ci = q.ci95.map(|(lo, hi)| [round(lo, 3), round(hi, 3)]);
        TimeStats {
            p50: round(q.p50, 3),
            p90: round(q.p90, 3),
            p95: round(q.p95, 3),
            p99: round(q.p99, 3),
            max: round(q.max, 3),
            ci95: Intervals { p50: ci[0], p90: ci[1], p95: ci[2], p99: ci[3] },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DistributionInfo {
    /// Equal-width bins of the recovery time.
    pub recovery_histogram: Vec<Bin>,
    /// [time (s), share of runs recovered by then (0-1)].
    pub recovery_cdf: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Bin {
    pub from_s: f64,
    pub to_s: f64,
    pub runs: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BandInfo {
    /// Grid times \[seconds from the start of the drill\].
    pub times_s: Vec<f64>,
    /// Per business: P5, P50 and P95 of the failing share (0-1) at each grid time.
    pub businesses: BTreeMap<String, BandSeries>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BandSeries {
    pub p5: Vec<f64>,
    pub p50: Vec<f64>,
    pub p95: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CriticalPathInfo {
    /// Runs behind the what-if figures (the first ones, sharing their random streams).
    pub runs: u32,
    /// Recovery-time P95 of those runs as they are \[seconds\].
    pub p95_s: f64,
    pub steps: Vec<StepInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepInfo {
    pub runbook: String,
    pub step: String,
    pub title: String,
    pub mean_s: f64,
    /// Share of the recovery time's variance this step's duration explains (0-1).
    pub explains_variance: f64,
    /// Recovery-time P95 with this step 50 % faster \[seconds\].
    pub p95_if_50pct_faster_s: f64,
}

/// A pair of percentiles of one figure.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct P50P95<T> {
    pub p50: T,
    pub p95: T,
}

#[derive(Debug, Clone, Serialize)]
pub struct BusinessInfo {
    pub flow: String,
    /// Largest failing share over the run (ratio 0-1).
    pub peak_impact: P50P95<f64>,
    /// Total time with some requests failing \[seconds\].
    pub impact_duration_s: TimeStats,
    /// Art. 4 grade (1 most severe), null below the bar.
    pub grade: P50P95<Option<u8>>,
    /// Share of runs ending below the bar ("none") or at each grade.
    pub grade_share_of_runs: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CauseShare {
    pub cause: String,
    pub share_of_runs: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub run: u32,
    pub recovery_time_s: Option<f64>,
    pub recovered_by: Option<String>,
    pub events: Vec<EventInfo>,
    /// Per business: [time (s), failing share (0-1)] steps.
    pub timeline: BTreeMap<String, Vec<[f64; 2]>>,
}

/// What the company's own rules ask of the people, for the median run (Art. 4, 8-13).
#[derive(Debug, Clone, Serialize)]
pub struct ResponseInfo {
    /// The most severe Art. 4 grade of any business in the median run (null: none).
    pub grade: Option<u8>,
    /// The business that grade is for.
    pub graded_business: Option<String>,
    /// Who is notified and where (Art. 8).
    pub notification: response::Notification,
    /// The declaration, the Art. 8 checklist, progress updates, the customer-service
    /// answer and the end, each marked as needed by this drill or not.
    pub timeline: response::Timeline,
    /// Per business hit: how much more outage at the same peak share would make it more
    /// severe.
    pub margins: Vec<response::Margin>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventInfo {
    pub t_s: f64,
    pub event: String,
}

/// A timing parameter the outcome rests on, with where its value comes from.
#[derive(Debug, Clone, Serialize)]
pub struct Assumption {
    pub name: String,
    pub value: String,
    pub source: String,
}

/// Rounds to the millisecond (or to 1e-6 for shares) so that reports stay readable.
fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

impl Report {
    /// Builds the report of one drill from its outcome.
    pub fn build(
        topology: &Topology,
        drill: &Drill,
        outcome: &Outcome,
        provenance: &Provenance,
    ) -> Report {
        let (_, trial) = &outcome.representative;
        let summary = crate::monte_carlo::summarise(topology, trial);
        Report {
            drill: DrillInfo {
                id: drill.id.clone(),
                title: drill.title.clone(),
                clause: drill.clause.clone(),
                answer: drill.answer.clone(),
                note: drill.note.clone(),
                file: drill.file.label.clone(),
                sha256: drill.file.sha256.clone(),
            },
            topology: TopologyInfo {
                id: topology.id.clone(),
                title: topology.title.clone(),
                file: topology.file.label.clone(),
                sha256: topology.file.sha256.clone(),
            },
            seed: provenance.seed,
            runs: provenance.runs,
            version: provenance.version.clone(),
            command: provenance.command.clone(),
            horizon_s: drill.horizon,
            faults: faults(topology, drill),
            expectation: expectation(outcome),
            businesses: businesses(topology, outcome),
            recovery_time_s: TimeStats::of(&outcome.recovery),
            unrecovered_runs: outcome.unrecovered,
            detection_time_s: outcome.detection.as_ref().map(TimeStats::of),
            distribution: distribution(outcome),
            band: band(topology, outcome),
            critical_path: critical_path(topology, outcome),
            recovered_by: outcome
                .recovered_by
                .iter()
                .map(|&(c, share)| CauseShare {
                    cause: c.label(topology),
                    share_of_runs: round(share, 6),
                })
                .collect(),
            representative_run: representative_run(topology, outcome, &summary),
            response: response_info(topology, trial, &summary),
            findings: findings(topology, drill, outcome),
            assumptions: assumptions(topology),
            data: data_info(topology, drill, outcome),
        }
    }

    /// Writes every file of the report into `dir`.
    pub(super) fn write_files(&self, dir: &Path) -> io::Result<()> {
        let mut json = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        json.push('\n');
        std::fs::write(dir.join("report.json"), json)?;
        std::fs::write(dir.join("report.md"), markdown(self))?;
        std::fs::write(dir.join("timeline.svg"), timeline_svg(self).map_err(io::Error::other)?)?;
        std::fs::write(dir.join("recovery.svg"), recovery_svg(self).map_err(io::Error::other)?)?;
        std::fs::write(dir.join("band.svg"), band_svg(self).map_err(io::Error::other)?)?;
        if let Some(svg) = critical_path_svg(self) {
            std::fs::write(dir.join("critical-path.svg"), svg.map_err(io::Error::other)?)?;
        }
        Ok(())
    }
}

fn expectation(outcome: &Outcome) -> ExpectationInfo {
    let checks = outcome
        .checks
        .iter()
        .map(|c| CheckInfo {
            check: c.text.clone(),
            required_share_of_runs: c.required,
            held_share_of_runs: round(c.held, 6),
            met: c.met,
        })
        .collect();
    ExpectationInfo { met: outcome.met(), checks }
}

/// The median run in full: its events and its failing shares.
fn representative_run(topology: &Topology, outcome: &Outcome, summary: &RunSummary) -> RunInfo {
    let (index, trial) = &outcome.representative;
    let events = trial
        .log
        .iter()
        .map(|line| EventInfo { t_s: round(line.t, 3), event: line.what.describe(topology) })
        .collect();
    let timeline = topology
        .flows
        .iter()
        .zip(&trial.timelines)
        .map(|(flow, steps)| {
            let points = steps.iter().map(|&(t, s)| [round(t, 3), round(s, 6)]).collect();
            (flow.business.name().to_owned(), points)
        })
        .collect();
    RunInfo {
        run: *index,
        recovery_time_s: summary.recovery.map(|r| round(r, 3)),
        recovered_by: summary.recovery.map(|_| Credit::of(summary).label(topology)),
        events,
        timeline,
    }
}

fn distribution(outcome: &Outcome) -> DistributionInfo {
    DistributionInfo {
        recovery_histogram: outcome
            .recovery_bins
            .iter()
            .map(|&(from, to, runs)| Bin { from_s: round(from, 3), to_s: round(to, 3), runs })
            .collect(),
        recovery_cdf: outcome
            .recovery_cdf
            .iter()
            .map(|&(t, s)| [round(t, 3), round(s, 6)])
            .collect(),
    }
}

fn band(topology: &Topology, outcome: &Outcome) -> BandInfo {
    let businesses = topology
        .flows
        .iter()
        .zip(&outcome.band.flows)
        .map(|(flow, [p5, p50, p95])| {
            let series = BandSeries { p5: p5.clone(), p50: p50.clone(), p95: p95.clone() };
            (flow.business.name().to_owned(), series)
        })
        .collect();
    BandInfo { times_s: outcome.band.times.iter().map(|&t| round(t, 3)).collect(), businesses }
}

fn critical_path(topology: &Topology, outcome: &Outcome) -> Option<CriticalPathInfo> {
    let path = outcome.critical_path.as_ref()?;
    let steps = path
        .steps
        .iter()
        .map(|e| {
            let book = &topology.runbooks[e.runbook];
            StepInfo {
                runbook: book.id.clone(),
                step: book.steps[e.step].id.clone(),
                title: book.steps[e.step].title.clone(),
                mean_s: round(e.mean, 3),
                explains_variance: round(e.explains, 6),
                p95_if_50pct_faster_s: round(e.p95_faster, 3),
            }
        })
        .collect();
    Some(CriticalPathInfo { runs: path.runs, p95_s: round(path.p95, 3), steps })
}

fn faults(topology: &Topology, drill: &Drill) -> Vec<FaultInfo> {
    drill
        .faults
        .iter()
        .map(|f| {
            let (target, target_name) = match f.attack {
                Some(crate::drill::Attack::Hijack { entry, .. }) => {
                    let entry = &topology.entries[entry];
                    (entry.id.clone(), entry.name.clone())
                }
                // A fault on a database service names the service, as the drill does
                _ if f.data.is_some_and(|d| d.on_service()) => {
                    let d = f.data.map_or(0, |d| d.database());
                    let service = &topology.services[topology.data[d].service];
                    (service.id.clone(), service.name.clone())
                }
                _ => {
                    let element = &topology.elements[f.target];
                    (element.id.clone(), element.name.clone())
                }
            };
            let attack = f.attack.map(|a| match a {
                crate::drill::Attack::Ddos { kind, share } => {
                    format!(
                        "{}, {:.0} % of the site's web requests failing",
                        kind.name(),
                        share * 100.0
                    )
                }
                crate::drill::Attack::Hijack { share, risk, forged, .. } => format!(
                    "{:.0} % of the users, {} risk{}",
                    share * 100.0,
                    match risk {
                        crate::drill::Risk::High => "high",
                        crate::drill::Risk::Low => "low",
                        crate::drill::Risk::FalsePositive => "false-positive",
                    },
                    if forged { ", forged sub-domain (Q9)" } else { "" }
                ),
            });
            FaultInfo {
                at_s: f.at,
                action: f.action.name().to_owned(),
                target,
                target_name,
                duration_s: f.duration,
                attack,
            }
        })
        .collect()
}

fn businesses(topology: &Topology, outcome: &Outcome) -> BTreeMap<String, BusinessInfo> {
    let mut map = BTreeMap::new();
    for (flow, stats) in topology.flows.iter().zip(&outcome.flows) {
        let grade_share = (0..6)
            .filter(|&g| stats.grade_share[g] > 0.0)
            .map(|g| {
                let name = if g == 0 { "none".to_owned() } else { format!("grade {g}") };
                (name, round(stats.grade_share[g], 6))
            })
            .collect();
        let info = BusinessInfo {
            flow: flow.id.clone(),
            peak_impact: P50P95 { p50: round(stats.peak_p50, 6), p95: round(stats.peak_p95, 6) },
            impact_duration_s: TimeStats::of(&stats.impact_duration),
            grade: P50P95 {
                p50: stats.grade_p50.map(|g| g.number()),
                p95: stats.grade_p95.map(|g| g.number()),
            },
            grade_share_of_runs: grade_share,
        };
        map.insert(flow.business.name().to_owned(), info);
    }
    map
}

/// The response rules of the manual laid on one run.
fn response_info(
    topology: &Topology,
    trial: &crate::simulation::Trial,
    run: &RunSummary,
) -> ResponseInfo {
    let worst = topology
        .flows
        .iter()
        .zip(&run.flows)
        .filter_map(|(flow, r)| r.grade.map(|g| (flow.business, g)))
        .min_by_key(|(_, g)| g.number());
    let margins = topology
        .flows
        .iter()
        .zip(&run.flows)
        .filter(|(_, r)| r.peak > 0.0)
        .filter_map(|(flow, r)| response::margin(flow.business, r.peak, r.impact_duration))
        .collect();
    let horizon_s = trial.end - trial.first_fault;
    ResponseInfo {
        grade: worst.map(|(_, g)| g.number()),
        graded_business: worst.map(|(b, _)| b.name().to_owned()),
        notification: response::notification(worst.map(|(_, g)| g)),
        timeline: response::timeline(run.detection, run.recovery, horizon_s),
        margins,
    }
}

fn findings(topology: &Topology, drill: &Drill, outcome: &Outcome) -> Vec<String> {
    let mut findings = Vec::new();

    // Expectations the simulation refutes, with what happened instead
    for check in outcome.checks.iter().filter(|c| !c.met) {
        findings.push(format!(
            "the manual's answer does not hold as checked: '{}' held in {:.1} % of runs, {:.1} % required",
            check.text,
            check.held * 100.0,
            check.required * 100.0
        ));
    }
    if outcome.checks.iter().any(|c| !c.met) {
        let causes: Vec<String> = outcome
            .recovered_by
            .iter()
            .map(|&(c, s)| format!("{} in {:.1} %", c.label(topology), s * 100.0))
            .collect();
        findings.push(format!("recovery was credited to: {}", causes.join(", ")));
    }

    // Graded outcomes: what the company's own rules make of this drill
    for stats in &outcome.flows {
        let graded: Vec<String> = (1..6)
            .filter(|&g| stats.grade_share[g] > 0.0)
            .map(|g| format!("grade {g} in {:.1} % of runs", stats.grade_share[g] * 100.0))
            .collect();
        if graded.is_empty() {
            continue;
        }
        findings.push(format!(
            "{}: a graded incident under Art. 4: {} (peak {:.0} % failing at P95, impact {} at \
             P50, {} at P95)",
            stats.business.name(),
            graded.join(", "),
            stats.peak_p95 * 100.0,
            human(stats.impact_duration.p50),
            human(stats.impact_duration.p95),
        ));
    }
    findings.extend(data::loss_findings(topology, outcome));
    if outcome.unrecovered > 0 {
        findings.push(format!(
            "{} of {} runs had not recovered by the horizon of {}; their outage is graded as \
             lasting past the horizon, and their recovery time counts as the horizon",
            outcome.unrecovered,
            outcome.runs,
            human(drill.horizon)
        ));
    }
    findings
}

fn assumptions(topology: &Topology) -> Vec<Assumption> {
    let mut list = Vec::new();
    for m in &topology.mechanisms {
        let value = match &m.kind {
            crate::topology::MechanismKind::Pool { check } => check.to_string(),
            crate::topology::MechanismKind::Failover { heartbeat, takeover } => {
                format!("{heartbeat}; takeover {takeover}")
            }
            crate::topology::MechanismKind::ReplicatedDb { check, promotion } => {
                format!("{check}; promotion {promotion}")
            }
            crate::topology::MechanismKind::EntryFailover { check, ttl, down_at } => format!(
                "{check}; clients follow within the TTL of {}; taken out at {:.0} % failing",
                human(*ttl),
                down_at * 100.0
            ),
        };
        list.push(Assumption {
            name: format!("mechanism {}", m.id),
            value,
            source: m.source.clone(),
        });
    }
    let response = &topology.response;
    list.push(Assumption {
        name: "people: alert, then on-duty response".into(),
        value: format!("{}; then {}", response.alert, response.respond),
        source: response.source.clone(),
    });
    for g in topology.groups.iter().filter(|g| g.bring_up.is_some()) {
        let (dist, source) =
            g.bring_up.as_ref().map(|(d, s)| (d.to_string(), s.clone())).unwrap_or_default();
        list.push(Assumption { name: format!("spare of {}", g.id), value: dist, source });
    }
    for d in &topology.defenses {
        list.push(Assumption {
            name: format!("defense against {}", d.kind.name()),
            value: format!("recognised after {}; mitigated after {}", d.recognise, d.mitigate),
            source: d.source.clone(),
        });
    }
    if let Some(dns) = &topology.dns {
        list.push(Assumption {
            name: "DNS hijack procedure (Appendix 1)".into(),
            value: format!(
                "monitor {}; complaints {}; verify {}; ISP {} (high risk), {} (low); check {}; \
                 still poisoned at a check {:.0} %",
                dns.monitor,
                dns.complaints,
                dns.verify,
                dns.isp_high,
                dns.isp_low,
                dns.recheck,
                dns.still_poisoned * 100.0
            ),
            source: dns.source.clone(),
        });
    }
    for book in &topology.runbooks {
        for step in &book.steps {
            list.push(Assumption {
                name: format!("runbook {} step {}", book.id, step.id),
                value: step.duration.to_string(),
                source: step.source.clone(),
            });
        }
    }
    list
}
