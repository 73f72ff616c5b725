//! The summary table of an audit, column by column, shared by the HTML and the
//! Markdown: a new figure of the reports is one more [`Column`].

use std::collections::BTreeSet;

use super::{Audit, Row, Verdict};
use crate::report::percent;
use crate::timing::human;

/// One column: its header and how a drill's row fills it (plain text; the renderer
/// escapes it).
pub(super) struct Column {
    pub header: &'static str,
    pub cell: fn(&Row) -> String,
}

/// The columns of the summary table, in order.
pub(super) const COLUMNS: [Column; 8] = [
    Column { header: "drill", cell: |r| r.id.clone() },
    Column { header: "title", cell: |r| r.title.clone() },
    Column { header: "clause", cell: |r| r.clause.clone() },
    Column { header: "the manual's answer", cell: |r| r.answer.clone() },
    Column { header: "recovery P50 / P95", cell: recovery },
    Column { header: "peak failing share P95", cell: peaks },
    Column { header: "Art. 4 grade (share of runs)", cell: grades },
    Column { header: "RPO P50 / P95 / max", cell: rpo },
];

/// Seconds of committed writes lost per database, where any run lost some.
fn rpo(r: &Row) -> String {
    let lost: Vec<String> = r
        .rpo
        .iter()
        .filter(|d| d.rpo_s[2] > 0.0)
        .map(|d| {
            let [p50, p95, max] = d.rpo_s;
            format!("{} {} / {} / {}", d.database, human(p50), human(p95), human(max))
        })
        .collect();
    if lost.is_empty() { "none".to_owned() } else { lost.join("; ") }
}

/// Recovery time at P50 and P95; "not recovered" for runs cut off at the horizon.
fn recovery(r: &Row) -> String {
    let time = |t: f64| {
        if r.unrecovered_runs > 0 && t >= r.horizon_s {
            format!("not recovered ({} horizon)", human(r.horizon_s))
        } else {
            human(t)
        }
    };
    format!("{} / {}", time(r.recovery_time_s.p50), time(r.recovery_time_s.p95))
}

/// The businesses of a row, payment first.
fn businesses(r: &Row) -> Vec<(&String, &super::BusinessRow)> {
    let mut list: Vec<_> = r.businesses.iter().collect();
    list.sort_by_key(|(name, _)| super::finding::business_order(name));
    list
}

fn peaks(r: &Row) -> String {
    let peaks: Vec<String> = businesses(r)
        .into_iter()
        .map(|(name, b)| format!("{name} {}", percent(b.peak_impact.p95)))
        .collect();
    peaks.join(", ")
}

/// The grades of each business that is graded in some run, most severe first.
fn grades(r: &Row) -> String {
    let graded: Vec<String> = businesses(r)
        .into_iter()
        .filter_map(|(name, b)| {
            let shares: Vec<String> = b
                .grade_share_of_runs
                .iter()
                .filter(|(g, _)| *g != "none")
                .map(|(g, s)| format!("{g}: {}", percent(*s)))
                .collect();
            (!shares.is_empty()).then(|| format!("{name}: {}", shares.join(", ")))
        })
        .collect();
    if graded.is_empty() { "below the bar".to_owned() } else { graded.join("; ") }
}

/// Why the verdict is what it is, in one sentence (empty for "holds").
pub(super) fn reason(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Holds => String::new(),
        Verdict::HoldsUnderAssumption { assumptions } => {
            let names: Vec<&str> = assumptions.iter().map(|a| a.name.as_str()).collect();
            format!("rests on: {}", names.join(", "))
        }
        Verdict::DoesNotHold { failed_checks } => {
            let checks: Vec<String> = failed_checks
                .iter()
                .map(|c| {
                    format!(
                        "'{}' held in {} of runs, {} required",
                        c.check,
                        percent(c.held_share_of_runs),
                        percent(c.required_share_of_runs)
                    )
                })
                .collect();
            format!("failed: {}", checks.join("; "))
        }
        Verdict::NotJudged => "the drill states no [[expect]]: nothing was checked".to_owned(),
    }
}

/// The stated assumptions behind any verdict, each once, by name.
pub(super) fn assumptions(audit: &Audit) -> Vec<&crate::report::Assumption> {
    let mut seen = BTreeSet::new();
    let mut list = Vec::new();
    for row in &audit.drills {
        if let Verdict::HoldsUnderAssumption { assumptions } = &row.verdict {
            for a in assumptions {
                if seen.insert(a.name.as_str()) {
                    list.push(a);
                }
            }
        }
    }
    list
}

/// A one-line summary of the verdicts.
pub(super) fn totals(audit: &Audit) -> String {
    let t = &audit.totals;
    format!(
        "{} drill{}, {} runs each, seed {}: the manual's answer holds in {}, holds only under \
         stated assumptions in {}, does not hold in {}{}",
        t.drills,
        if t.drills == 1 { "" } else { "s" },
        audit.provenance.runs,
        audit.provenance.seed,
        t.holds,
        t.holds_under_assumption,
        t.does_not_hold,
        if t.not_judged > 0 {
            format!("; {} not judged (no [[expect]])", t.not_judged)
        } else {
            String::new()
        }
    )
}
