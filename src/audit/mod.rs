//! The audit of a drill plan, for auditors: every drill's verdict beside the manual's
//! answer, what of the manual the drills cover, where the plan is weakest, and how to
//! reproduce it all.
//!
//! An [`Audit`] is built from the reports of a run (see [`crate::report`]) and written
//! three ways: `audit.html`, self-contained (inline CSS and SVG, nothing fetched, a
//! print style), `audit.md` and `audit.json`. Like the reports, it depends on nothing
//! but its inputs, seed and run count, so running its command again gives
//! byte-identical files.
//!
//! A verdict is one of three:
//! - *holds*: every check of the manual's answer holds, and what recovered the
//!   business has a timing from the manual or a public default;
//! - *holds under assumption*: every check holds, but what recovered the business has
//!   a timing the topology states as an assumption (its source says so), to replace
//!   with the team's own drill records; the verdict lists them;
//! - *does not hold*: a check failed; the verdict says which, and in how many runs.
//!
//! New figures of the reports (a recovery point, say) join as one more field of
//! [`Row`] and one more column of the tables; new findings join through
//! [`Audit::add_findings`].

mod coverage;
mod finding;
mod html;
mod markdown;
mod table;
mod write;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::report::{Assumption, P50P95, Report};

pub use coverage::{Cited, Coverage, SCENARIOS, Scenario, ScenarioCoverage, cover};
pub use finding::{Finding, Kind, from_spof, rank};
pub use html::render as html;
pub use markdown::render as markdown;
pub use write::{AUDIT_FILES, PlannedAudit, check_audit_dir, write_audit};

/// How the audit can be reproduced: everything that went into it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditProvenance {
    pub seed: u64,
    pub runs: u32,
    pub version: String,
    /// The command that writes this audit again, byte for byte (into any `--out`).
    pub command: String,
    /// Every input file, drills first in the audit's order, then topologies.
    pub inputs: Vec<InputFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    /// "drill" or "topology".
    pub kind: String,
    pub file: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub provenance: AuditProvenance,
    pub totals: Totals,
    /// One row per drill, in the order the drills were given.
    pub drills: Vec<Row>,
    pub coverage: Coverage,
    /// Ranked: the weakest point of the plan first.
    pub findings: Vec<Finding>,
}

/// How many drills got each verdict.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Totals {
    pub drills: usize,
    pub holds: usize,
    pub holds_under_assumption: usize,
    pub does_not_hold: usize,
    /// Drills with no `[[expect]]`, whose answer nothing checks.
    pub not_judged: usize,
}

/// One drill in the summary table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub clause: String,
    /// The manual's answer.
    pub answer: String,
    /// How the drill reads the manual where it is ambiguous (may be empty).
    pub note: String,
    /// First fault to every business back, P50 and P95 \[seconds\].
    pub recovery_time_s: P50P95<f64>,
    /// Runs cut off at the horizon; their recovery time counts as the horizon.
    pub unrecovered_runs: u32,
    /// How long each run is simulated after the first fault \[seconds\].
    pub horizon_s: f64,
    /// Per business: peak failing share and Art. 4 grades.
    pub businesses: BTreeMap<String, BusinessRow>,
    /// Per replicated database: committed writes lost, in the report's order.
    pub rpo: Vec<RpoRow>,
    pub verdict: Verdict,
}

/// Committed writes one database lost over the runs (RPO), P50, P95 and max.
#[derive(Debug, Clone, Serialize)]
pub struct RpoRow {
    /// The database service (`db-core`, `db-acct`).
    pub database: String,
    /// \[seconds of writes\]
    pub rpo_s: [f64; 3],
    /// The same times the assumed write rate \[transactions\].
    pub transactions_at_risk: [f64; 3],
}

#[derive(Debug, Clone, Serialize)]
pub struct BusinessRow {
    /// Largest failing share over a run (ratio 0-1), P50 and P95 over runs.
    pub peak_impact: P50P95<f64>,
    /// Share of runs (0-1) ending below the bar ("none") or at each grade.
    pub grade_share_of_runs: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Holds,
    HoldsUnderAssumption {
        /// The stated assumptions the recovery rests on.
        assumptions: Vec<Assumption>,
    },
    DoesNotHold {
        failed_checks: Vec<FailedCheck>,
    },
    /// The drill states no `[[expect]]`: nothing of the manual's answer was checked.
    NotJudged,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailedCheck {
    pub check: String,
    /// Share of runs (0-1) in which it held, and the share it must hold in.
    pub held_share_of_runs: f64,
    pub required_share_of_runs: f64,
}

impl Verdict {
    /// The verdict in two or three words, for tables.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::HoldsUnderAssumption { .. } => "holds under assumption",
            Verdict::DoesNotHold { .. } => "does not hold",
            Verdict::NotJudged => "not judged",
        }
    }
}

impl Audit {
    /// Builds the audit of the reports of one run.
    pub fn build(reports: &[Report], seed: u64, runs: u32, command: String) -> Audit {
        let drills: Vec<Row> = reports.iter().map(row).collect();
        let count = |label: &str| drills.iter().filter(|r| r.verdict.label() == label).count();
        let totals = Totals {
            drills: drills.len(),
            holds: count("holds"),
            holds_under_assumption: count("holds under assumption"),
            does_not_hold: count("does not hold"),
            not_judged: count("not judged"),
        };
        let cited: Vec<Cited> =
            reports.iter().map(|r| Cited { id: &r.drill.id, clause: &r.drill.clause }).collect();
        let mut audit = Audit {
            provenance: AuditProvenance {
                seed,
                runs,
                version: env!("CARGO_PKG_VERSION").to_owned(),
                command,
                inputs: inputs(reports),
            },
            totals,
            drills,
            coverage: cover(&cited),
            findings: Vec::new(),
        };
        audit.add_findings(finding::from_reports(reports));
        audit
    }

    /// Adds findings from another analysis and ranks them with the others.
    pub fn add_findings(&mut self, more: impl IntoIterator<Item = Finding>) {
        self.findings.extend(more);
        rank(&mut self.findings);
    }

    /// The audit as pretty JSON, ending with a newline.
    pub fn json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("an audit serialises");
        json.push('\n');
        json
    }
}

/// Every input file of the reports, each once: drills, then topologies.
fn inputs(reports: &[Report]) -> Vec<InputFile> {
    let mut files: Vec<InputFile> = Vec::new();
    let drills = reports.iter().map(|r| ("drill", &r.drill.file, &r.drill.sha256));
    let topologies = reports.iter().map(|r| ("topology", &r.topology.file, &r.topology.sha256));
    for (kind, file, sha256) in drills.chain(topologies) {
        if !files.iter().any(|f| f.kind == kind && f.file == *file) {
            files.push(InputFile { kind: kind.into(), file: file.clone(), sha256: sha256.clone() });
        }
    }
    files
}

fn row(r: &Report) -> Row {
    let businesses = r
        .businesses
        .iter()
        .map(|(name, b)| {
            let row = BusinessRow {
                peak_impact: b.peak_impact,
                grade_share_of_runs: b.grade_share_of_runs.clone(),
            };
            (name.clone(), row)
        })
        .collect();
    Row {
        id: r.drill.id.clone(),
        title: r.drill.title.clone(),
        clause: r.drill.clause.clone(),
        answer: r.drill.answer.clone(),
        note: r.drill.note.clone(),
        recovery_time_s: P50P95 { p50: r.recovery_time_s.p50, p95: r.recovery_time_s.p95 },
        unrecovered_runs: r.unrecovered_runs,
        horizon_s: r.horizon_s,
        businesses,
        rpo: r
            .data
            .iter()
            .map(|d| RpoRow {
                database: d.database.clone(),
                rpo_s: [d.rpo_s.p50, d.rpo_s.p95, d.rpo_s.max],
                transactions_at_risk: [
                    d.transactions_at_risk.p50,
                    d.transactions_at_risk.p95,
                    d.transactions_at_risk.max,
                ],
            })
            .collect(),
        verdict: verdict(r),
    }
}

fn verdict(r: &Report) -> Verdict {
    // A failed check decides
    let failed_checks: Vec<FailedCheck> = r
        .expectation
        .checks
        .iter()
        .filter(|c| !c.met)
        .map(|c| FailedCheck {
            check: c.check.clone(),
            held_share_of_runs: c.held_share_of_runs,
            required_share_of_runs: c.required_share_of_runs,
        })
        .collect();
    if !failed_checks.is_empty() {
        return Verdict::DoesNotHold { failed_checks };
    }
    if r.expectation.checks.is_empty() {
        return Verdict::NotJudged;
    }

    // Otherwise: does the recovery rest on a timing stated as an assumption?
    let assumptions = relied_on(r);
    if assumptions.is_empty() {
        Verdict::Holds
    } else {
        Verdict::HoldsUnderAssumption { assumptions }
    }
}

/// The assumptions of the report behind what recovered the business in some run, kept
/// when their source states them as assumptions (rather than the manual's figures or a
/// public default).
fn relied_on(r: &Report) -> Vec<Assumption> {
    let names = behind_recovery(r);
    let data = r.data.iter().flat_map(|d| &d.assumptions);
    r.assumptions
        .iter()
        .chain(data)
        .filter(|a| names.iter().any(|n| n.matches(&a.name)))
        .filter(|a| a.source.to_lowercase().contains("assumption"))
        .cloned()
        .collect()
}

/// The name of an assumption of a report, or the start of several.
enum Name {
    Exactly(String),
    StartsWith(String),
}

impl Name {
    fn matches(&self, name: &str) -> bool {
        match self {
            Name::Exactly(n) => name == n,
            Name::StartsWith(n) => name.starts_with(n.as_str()),
        }
    }
}

/// The assumptions' names of what a report credits with recovery, as
/// [`crate::report::Report::build`] names them.
fn behind_recovery(r: &Report) -> Vec<Name> {
    const PEOPLE: &str = "people: alert, then on-duty response";
    let mut names = Vec::new();
    for credit in r.recovered_by.iter().filter(|c| c.share_of_runs > 0.0) {
        match credit.cause.split_once(':') {
            Some(("mechanism", id)) => names.push(Name::Exactly(format!("mechanism {id}"))),
            Some(("runbook", id)) => names.push(Name::StartsWith(format!("runbook {id} step "))),
            Some(("spare", group)) => {
                names.push(Name::Exactly(format!("spare of {group}")));
                names.push(Name::Exactly(PEOPLE.into()));
            }
            _ if credit.cause == "mitigation" => names.extend(defenses(r)),
            _ if credit.cause == "manual-promotion" => {
                names.push(Name::Exactly(PEOPLE.into()));
                names.extend(data_figures(r, "manual failover after the on-duty response"));
            }
            _ => {}
        }
    }
    names.extend(data_behind_figures(r));
    names
}

/// The data assumptions behind a report's data figures: the restore volumes and
/// throughputs where a database was restored, the write rate and lags where writes
/// were lost.
fn data_behind_figures(r: &Report) -> Vec<Name> {
    let mut names = Vec::new();
    for data in &r.data {
        let prefix = data.name.clone();
        if !data.restores.is_empty() {
            names.push(Name::Exactly(format!("{prefix}: recovery volumes and throughputs")));
        }
        if data.rpo_s.max > 0.0 {
            names.push(Name::Exactly(format!("{prefix}: write rate")));
            names.push(Name::StartsWith(format!("{prefix}: in-site replica lag")));
            names.push(Name::StartsWith(format!("{prefix}: real-time copy lag")));
        }
    }
    names
}

/// The assumption `what` of every database of a report whose primary changed in some
/// run.
fn data_figures(r: &Report, what: &str) -> Vec<Name> {
    r.data
        .iter()
        .filter(|d| d.promoted_share_of_runs > 0.0)
        .map(|d| Name::Exactly(format!("{}: {what}", d.name)))
        .collect()
}

/// The defenses a report's attacks call on: the DDoS defense of each kind, or the DNS
/// hijack procedure.
fn defenses(r: &Report) -> Vec<Name> {
    r.faults
        .iter()
        .filter_map(|f| match f.action.as_str() {
            "ddos" => {
                let kind = f.attack.as_deref()?.split(',').next()?;
                Some(Name::Exactly(format!("defense against {kind}")))
            }
            "dns-hijack" | "forged-subdomain" => {
                Some(Name::Exactly("DNS hijack procedure (Appendix 1)".into()))
            }
            _ => None,
        })
        .collect()
}
