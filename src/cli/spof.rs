//! `drillsim spof`: single points of failure, minimal pairs and common causes of every
//! business flow, with their recovery paths, grades and the importance of elements.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use serde::Serialize;

use super::{Failure, Format, SpofArgs, load};
use crate::exit;
use crate::spof::{self, Analysis, Cut, Options};
use crate::timing::human;
use crate::topology::{ElementId, Topology};

pub(super) fn spof(args: &SpofArgs) -> Result<u8, Failure> {
    let topology = load::topology(args.topology.as_deref())?;
    let analysis = spof::analyse(&topology, Options { recovery: !args.no_recovery });
    let text = match args.format {
        Format::Text => table(&topology, &analysis, args.top, args.cuts),
        Format::Json => json(&topology, &analysis),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    Ok(exit::SUCCESS)
}

/// A cut's elements as people read them: `a + b`, or a common cause's id.
fn members(topology: &Topology, analysis: &Analysis, cut: &Cut) -> String {
    cut.label(topology, &analysis.causes)
}

fn percent(share: f64) -> String {
    let value = share * 100.0;
    if value >= 10.0 { format!("{value:.0} %") } else { format!("{value:.1} %") }
}

/// The recovery columns of a cut: by what, how long, grade.
fn recovery_columns(topology: &Topology, cut: &Cut) -> (String, String, String) {
    let Some(r) = &cut.recovery else { return ("-".into(), "-".into(), "-".into()) };
    let by = if r.until_repair {
        "repair (no manual step)".to_owned()
    } else {
        r.actions.iter().map(|a| a.label(topology)).collect::<Vec<_>>().join(" + ")
    };
    let grade = r.grade.map_or("none".to_owned(), |g| g.to_string());
    (by, human(r.median_s), grade)
}

/// The readable table: per flow its cuts, then the importance ranking; then causes.
fn table(topology: &Topology, analysis: &Analysis, top: usize, limit: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Single points of failure of '{}' ({}), after every automatic takeover\n",
        topology.id, topology.file.label
    );
    for flow in &analysis.flows {
        let f = &topology.flows[flow.flow];
        let order = |n: usize| flow.cuts.iter().filter(|c| c.order() == n).count();
        let _ = writeln!(
            out,
            "{} ({}, {}): {} single points and common causes, {} minimal pairs; \
             unavailability {:.3e}",
            f.id,
            f.business.name(),
            f.name,
            order(1),
            order(2),
            flow.unavailability
        );
        cut_rows(&mut out, topology, analysis, &flow.cuts, limit);
        importance_rows(&mut out, topology, flow, top);
        out.push('\n');
    }
    cause_rows(&mut out, topology, analysis);
    out
}

fn cut_rows(
    out: &mut String,
    topology: &Topology,
    analysis: &Analysis,
    cuts: &[Cut],
    limit: usize,
) {
    if cuts.is_empty() {
        out.push_str("  no single point and no minimal pair\n");
        return;
    }
    let _ = writeln!(
        out,
        "  {:<5} {:<58} {:>7}  {:<40} {:>12}  grade",
        "order", "lost", "fails", "recovered by", "median"
    );
    for n in [1, 2] {
        let of_order: Vec<&Cut> = cuts.iter().filter(|c| c.order() == n).collect();
        for cut in of_order.iter().take(limit) {
            let (by, median, grade) = recovery_columns(topology, cut);
            let _ = writeln!(
                out,
                "  {:<5} {:<58} {:>7}  {:<40} {:>12}  {}",
                n,
                members(topology, analysis, cut),
                percent(cut.share),
                by,
                median,
                grade
            );
        }
        if of_order.len() > limit {
            let more = of_order.len() - limit;
            let _ = writeln!(out, "  ... {more} more of order {n} (--cuts N, or --format json)");
        }
    }
}

fn importance_rows(out: &mut String, topology: &Topology, flow: &spof::FlowCuts, top: usize) {
    if flow.importance.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  importance (top {} of {}): {:<40} {:>12} {:>10} {:>15}",
        top.min(flow.importance.len()),
        flow.importance.len(),
        "element",
        "unavailab.",
        "Birnbaum",
        "Fussell-Vesely"
    );
    for i in flow.importance.iter().take(top) {
        let _ = writeln!(
            out,
            "  {:<26}{:<40} {:>12.3e} {:>10.3e} {:>15.4}",
            "", topology.elements[i.element].id, i.unavailability, i.birnbaum, i.fussell_vesely
        );
    }
}

fn cause_rows(out: &mut String, topology: &Topology, analysis: &Analysis) {
    let _ = writeln!(out, "Common causes (each one failure): what each takes down and fails");
    for (cause, (scope, shares)) in analysis.causes.iter().zip(&analysis.cause_fallout) {
        let hits: Vec<String> = (topology.flows.iter().zip(shares))
            .filter(|(_, s)| **s > 0.0)
            .map(|(f, s)| format!("{} {}", f.id, percent(*s)))
            .collect();
        let hits = if hits.is_empty() { "no flow".to_owned() } else { hits.join(", ") };
        let _ = writeln!(
            out,
            "  {:<26} {:<12} {:>5} elements down; fails {}",
            cause.id,
            cause.kind.name(),
            scope,
            hits
        );
    }
}

/// What `drillsim spof --format json` prints.
#[derive(Serialize)]
struct Answer<'a> {
    topology: &'a str,
    file: &'a str,
    sha256: &'a str,
    flows: Vec<FlowAnswer<'a>>,
    cuts: Vec<CutAnswer<'a>>,
    common_causes: Vec<CauseAnswer<'a>>,
}

#[derive(Serialize)]
struct FlowAnswer<'a> {
    flow: &'a str,
    business: &'static str,
    single_points: usize,
    common_causes: usize,
    minimal_pairs: usize,
    /// From cuts of one and two elements (ratio 0-1).
    unavailability: f64,
    importance: Vec<ImportanceAnswer<'a>>,
}

#[derive(Serialize)]
struct ImportanceAnswer<'a> {
    element: &'a str,
    #[serde(flatten)]
    importance: &'a spof::importance::Importance,
}

#[derive(Serialize)]
struct CutAnswer<'a> {
    order: usize,
    members: Vec<&'a str>,
    common_cause: Option<&'a str>,
    flows: Vec<HitAnswer<'a>>,
}

#[derive(Serialize)]
struct HitAnswer<'a> {
    flow: &'a str,
    business: &'static str,
    /// Failing share of the flow in the steady state (ratio 0-1).
    share: f64,
    /// Manual actions that bring it back; empty when only a repair does.
    recovered_by: Option<Vec<String>>,
    median_s: Option<f64>,
    until_repair: Option<bool>,
    grade: Option<u8>,
}

#[derive(Serialize)]
struct CauseAnswer<'a> {
    id: &'a str,
    kind: spof::cause::CauseKind,
    members: Vec<&'a str>,
    /// Elements down once it strikes (members included).
    takes_down: usize,
    /// Failing share of each flow (ratio 0-1).
    shares: BTreeMap<&'a str, f64>,
}

fn json(topology: &Topology, analysis: &Analysis) -> String {
    let id = |e: &ElementId| topology.elements[*e].id.as_str();

    // Cuts as sets of members, each with every flow it fails
    let mut cuts: BTreeMap<(usize, Vec<ElementId>, Option<usize>), Vec<HitAnswer>> =
        BTreeMap::new();
    for flow in &analysis.flows {
        let f = &topology.flows[flow.flow];
        for cut in &flow.cuts {
            let key = (cut.order(), cut.members.clone(), cut.cause);
            let r = cut.recovery.as_ref();
            cuts.entry(key).or_default().push(HitAnswer {
                flow: &f.id,
                business: f.business.name(),
                share: cut.share,
                recovered_by: r.map(|r| r.actions.iter().map(|a| a.label(topology)).collect()),
                median_s: r.map(|r| r.median_s),
                until_repair: r.map(|r| r.until_repair),
                grade: r.and_then(|r| r.grade),
            });
        }
    }
    let cuts = cuts
        .into_iter()
        .map(|((order, members, cause), flows)| CutAnswer {
            order,
            members: members.iter().map(id).collect(),
            common_cause: cause.map(|c| analysis.causes[c].id.as_str()),
            flows,
        })
        .collect();

    // Flows with their importance ranking, and the common causes
    let flows = analysis
        .flows
        .iter()
        .map(|flow| {
            let f = &topology.flows[flow.flow];
            let count = |pred: fn(&Cut) -> bool| flow.cuts.iter().filter(|c| pred(c)).count();
            FlowAnswer {
                flow: &f.id,
                business: f.business.name(),
                single_points: count(|c| c.cause.is_none() && c.members.len() == 1),
                common_causes: count(|c| c.cause.is_some()),
                minimal_pairs: count(|c| c.cause.is_none() && c.members.len() == 2),
                unavailability: flow.unavailability,
                importance: flow
                    .importance
                    .iter()
                    .map(|i| ImportanceAnswer { element: id(&i.element), importance: i })
                    .collect(),
            }
        })
        .collect();
    let common_causes = (analysis.causes.iter().zip(&analysis.cause_fallout))
        .map(|(c, (scope, shares))| CauseAnswer {
            id: &c.id,
            kind: c.kind,
            members: c.members.iter().map(id).collect(),
            takes_down: *scope,
            shares: topology
                .flows
                .iter()
                .map(|f| f.id.as_str())
                .zip(shares.iter().copied())
                .collect(),
        })
        .collect();
    let answer = Answer {
        topology: &topology.id,
        file: &topology.file.label,
        sha256: &topology.file.sha256,
        flows,
        cuts,
        common_causes,
    };
    serde_json::to_string_pretty(&answer).unwrap_or_default() + "\n"
}
