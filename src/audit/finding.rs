//! Where the plan is weakest: findings drawn from the drills' reports, ranked.
//!
//! Each source of findings looks at the reports for one kind of weakness: an answer of
//! the manual that does not hold, a graded incident, runs that never recover, a
//! runbook step that dominates the tail of the recovery time. The single points of
//! failure of each topology ([`from_spof`]) join through
//! [`super::Audit::add_findings`]; ranking is the same for all.

use std::cmp::Ordering;

use serde::Serialize;

use crate::report::{Report, count, percent};
use crate::spof::{Analysis, Cut};
use crate::timing::human;
use crate::topology::Topology;

/// The kinds of weakness, most serious first (see [`rank`] for how they are ordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A check of the manual's answer failed.
    AnswerDoesNotHold,
    /// The outcome is a major incident under Art. 4.
    GradedIncident,
    /// One element, or one common cause, whose loss alone leaves a business failing
    /// after every automatic takeover long enough to be graded (from
    /// [`crate::spof`]).
    SinglePointOfFailure,
    /// Committed writes were lost in some runs (a recovery point above zero).
    DataLost,
    /// Some runs had not recovered by the drill's horizon.
    NotRecovered,
    /// One runbook step drives the tail of the recovery time.
    RecoveryTail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: Kind,
    /// The drill it comes from; null for a finding about the plan as a whole.
    pub drill: Option<String>,
    /// The most severe Art. 4 grade the drill reaches in some run (1 most severe); null
    /// when it is below the bar.
    pub grade: Option<u8>,
    /// How much it weighs within its kind and grade, larger first: a share of runs
    /// (0-1) or, for a recovery tail, the seconds a faster step would save.
    pub weight: f64,
    pub text: String,
}

/// Sorts findings: answers that do not hold first; then by grade (most severe first,
/// ungraded last), so that a drill's runbook tail follows its graded incident; then by
/// kind, weight (largest first) and drill id, so that the ranking is the same on every
/// machine.
pub fn rank(findings: &mut [Finding]) {
    let fails = |f: &Finding| f.kind != Kind::AnswerDoesNotHold;
    findings.sort_by(|a, b| {
        fails(a)
            .cmp(&fails(b))
            .then(a.grade.unwrap_or(u8::MAX).cmp(&b.grade.unwrap_or(u8::MAX)))
            .then(a.kind.cmp(&b.kind))
            .then(b.weight.partial_cmp(&a.weight).unwrap_or(Ordering::Equal))
            .then(a.drill.cmp(&b.drill))
    });
}

/// Every finding the reports themselves support.
pub fn from_reports(reports: &[Report]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for r in reports {
        findings.extend(answer_does_not_hold(r));
        findings.extend(graded_incident(r));
        findings.extend(data_lost(r));
        findings.extend(not_recovered(r));
        findings.extend(recovery_tail(r));
    }
    findings
}

/// The single points of failure (and common causes) of a topology whose outage is
/// graded under Art. 4 for some business, one finding each with every flow it hits.
pub fn from_spof(topology: &Topology, analysis: &Analysis) -> Vec<Finding> {
    // Every graded cut of order 1, gathered by what is lost
    let mut hits: Vec<(String, Vec<(usize, &Cut)>)> = Vec::new();
    for flow in &analysis.flows {
        let graded = flow.cuts.iter().filter(|c| c.order() == 1 && grade_of(c).is_some());
        for cut in graded {
            let label = cut.label(topology, &analysis.causes);
            match hits.iter_mut().find(|(l, _)| *l == label) {
                Some((_, flows)) => flows.push((flow.flow, cut)),
                None => hits.push((label, vec![(flow.flow, cut)])),
            }
        }
    }

    // One finding per lost element or cause
    hits.into_iter()
        .map(|(label, flows)| {
            let grade = flows.iter().filter_map(|(_, c)| grade_of(c)).min();
            let weight = flows.iter().map(|(_, c)| c.share).fold(0.0, f64::max);
            let hit: Vec<String> = flows
                .iter()
                .map(|&(f, cut)| {
                    format!(
                        "{} {}{}",
                        topology.flows[f].id,
                        percent(cut.share),
                        recovery(topology, cut)
                    )
                })
                .collect();
            Finding {
                kind: Kind::SinglePointOfFailure,
                drill: None,
                grade,
                weight,
                text: format!(
                    "single point of failure of topology '{}': losing {label} leaves failing, \
                     after every automatic takeover, {}",
                    topology.id,
                    hit.join("; ")
                ),
            }
        })
        .collect()
}

fn grade_of(cut: &Cut) -> Option<u8> {
    cut.recovery.as_ref().and_then(|r| r.grade)
}

/// How a cut's flow comes back, in words: by which manual action and when, or not
/// before a repair; with its grade.
fn recovery(topology: &Topology, cut: &Cut) -> String {
    let Some(r) = &cut.recovery else {
        return String::new();
    };
    let grade = r.grade.map_or("below the bar".to_owned(), |g| format!("grade {g}"));
    if r.until_repair {
        return format!(" until repaired, about {} ({grade})", human(r.median_s));
    }
    let by: Vec<String> = r.actions.iter().map(|a| a.label(topology)).collect();
    format!(" until {} brings it back, about {} ({grade})", by.join(" + "), human(r.median_s))
}

fn answer_does_not_hold(r: &Report) -> Option<Finding> {
    let failed: Vec<String> = r
        .expectation
        .checks
        .iter()
        .filter(|c| !c.met)
        .map(|c| {
            let held = percent(c.held_share_of_runs);
            format!(
                "'{}' held in {held} of runs, {} required",
                c.check,
                percent(c.required_share_of_runs)
            )
        })
        .collect();
    let worst = r
        .expectation
        .checks
        .iter()
        .filter(|c| !c.met)
        .map(|c| c.required_share_of_runs - c.held_share_of_runs)
        .fold(0.0, f64::max);
    (!failed.is_empty()).then(|| Finding {
        kind: Kind::AnswerDoesNotHold,
        drill: Some(r.drill.id.clone()),
        grade: None,
        weight: worst,
        text: format!(
            "{} ({}): the manual's answer \"{}\" does not hold: {}",
            r.drill.id,
            r.drill.clause,
            r.drill.answer,
            failed.join("; ")
        ),
    })
}

/// The most severe grade any business reaches in some run of the drill, and the share
/// of runs that reach it.
fn worst_grade(r: &Report) -> Option<(u8, f64)> {
    r.businesses
        .values()
        .filter_map(|b| {
            (1..=5u8)
                .find_map(|g| b.grade_share_of_runs.get(&format!("grade {g}")).map(|s| (g, *s)))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
}

/// One finding per drill that is a major incident under Art. 4 in some run, with the
/// grades of every business it hits, payment first.
fn graded_incident(r: &Report) -> Option<Finding> {
    let (worst, share) = worst_grade(r)?;
    let mut names: Vec<&String> = r.businesses.keys().collect();
    names.sort_by_key(|n| business_order(n));
    let hits: Vec<String> = names
        .into_iter()
        .filter_map(|name| {
            let b = &r.businesses[name];
            let shares: Vec<String> = (1..=5u8)
                .filter_map(|g| {
                    let s = b.grade_share_of_runs.get(&format!("grade {g}"))?;
                    Some(format!("grade {g} in {} of runs", percent(*s)))
                })
                .collect();
            (!shares.is_empty()).then(|| {
                format!(
                    "{name} {} (peak {} failing at P95, impact {} at P50, {} at P95)",
                    shares.join(", "),
                    percent(b.peak_impact.p95),
                    human(b.impact_duration_s.p50),
                    human(b.impact_duration_s.p95)
                )
            })
        })
        .collect();
    Some(Finding {
        kind: Kind::GradedIncident,
        drill: Some(r.drill.id.clone()),
        grade: Some(worst),
        weight: share,
        text: format!(
            "{} ({}): a major incident under Art. 4: {}",
            r.drill.id,
            r.drill.title,
            hits.join("; ")
        ),
    })
}

/// Payment first, then clearing, then the others (the order of Art. 4's tables).
pub(super) fn business_order(name: &str) -> (u8, &str) {
    match name {
        "payment" => (0, name),
        "clearing" => (1, name),
        _ => (2, name),
    }
}

/// Committed writes lost by some run, per database: one finding for the drill, ranked
/// with its grade (Art. 4 grades outages, not lost data) and weighed by the
/// transactions at risk at P95.
fn data_lost(r: &Report) -> Option<Finding> {
    let lost: Vec<_> = r.data.iter().filter(|d| d.loss_share_of_runs > 0.0).collect();
    if lost.is_empty() {
        return None;
    }
    let parts: Vec<String> = lost
        .iter()
        .map(|d| {
            let (s, tx) = (&d.rpo_s, &d.transactions_at_risk);
            format!(
                "{} lost committed writes in {} of runs: {} / {} / {} of writes at P50 / P95 / \
                 max, {} / {} / {} transactions",
                d.database,
                percent(d.loss_share_of_runs),
                human(s.p50),
                human(s.p95),
                human(s.max),
                count(tx.p50),
                count(tx.p95),
                count(tx.max)
            )
        })
        .collect();
    Some(Finding {
        kind: Kind::DataLost,
        drill: Some(r.drill.id.clone()),
        grade: worst_grade(r).map(|(g, _)| g),
        weight: lost.iter().map(|d| d.transactions_at_risk.p95).fold(0.0, f64::max),
        text: format!("{} ({}): {}", r.drill.id, r.drill.title, parts.join("; ")),
    })
}

fn not_recovered(r: &Report) -> Option<Finding> {
    (r.unrecovered_runs > 0).then(|| {
        let share = f64::from(r.unrecovered_runs) / f64::from(r.runs.max(1));
        Finding {
            kind: Kind::NotRecovered,
            drill: Some(r.drill.id.clone()),
            grade: worst_grade(r).map(|(g, _)| g),
            weight: share,
            text: format!(
                "{} ({}): {} of {} runs had not recovered by the horizon of {}",
                r.drill.id,
                r.drill.title,
                r.unrecovered_runs,
                r.runs,
                human(r.horizon_s)
            ),
        }
    })
}

/// The step of the critical path whose duration explains most of the recovery time's
/// variance, with what making it 50 % faster would save at P95.
fn recovery_tail(r: &Report) -> Option<Finding> {
    let path = r.critical_path.as_ref()?;
    let top =
        path.steps.iter().max_by(|a, b| a.explains_variance.total_cmp(&b.explains_variance))?;
    let saved = (path.p95_s - top.p95_if_50pct_faster_s).max(0.0);
    Some(Finding {
        kind: Kind::RecoveryTail,
        drill: Some(r.drill.id.clone()),
        grade: worst_grade(r).map(|(g, _)| g),
        weight: saved,
        text: format!(
            "{} ({}): runbook {} step '{}' ({}) explains {} of the recovery time's variance; \
             50 % faster, it brings the recovery-time P95 from {} to {}: rehearse it first",
            r.drill.id,
            r.drill.title,
            top.runbook,
            top.step,
            top.title,
            percent(top.explains_variance),
            human(path.p95_s),
            human(top.p95_if_50pct_faster_s),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: Kind, drill: &str, grade: Option<u8>, weight: f64) -> Finding {
        Finding { kind, drill: Some(drill.into()), grade, weight, text: String::new() }
    }

    #[test]
    fn rank_puts_failures_first_then_follows_the_grade() {
        let mut findings = vec![
            finding(Kind::RecoveryTail, "E2", None, 300.0),
            finding(Kind::RecoveryTail, "D4", Some(3), 900.0),
            finding(Kind::GradedIncident, "H2", Some(5), 1.0),
            finding(Kind::GradedIncident, "E1", Some(3), 0.4),
            finding(Kind::GradedIncident, "D4", Some(3), 0.4),
            finding(Kind::GradedIncident, "N3", Some(4), 0.45),
            finding(Kind::AnswerDoesNotHold, "X1", None, 0.1),
        ];
        rank(&mut findings);
        let order: Vec<&str> = findings.iter().map(|f| f.drill.as_deref().unwrap()).collect();
        assert_eq!(order, ["X1", "D4", "E1", "D4", "N3", "H2", "E2"]);
    }
}
