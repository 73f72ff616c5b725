//! The report for people: the manual's answer beside the simulated outcome.

use std::fmt::Write as _;

use super::Report;
use crate::timing::human;

pub(crate) fn percent(share: f64) -> String {
    let pct = share * 100.0;
    let whole = pct == 0.0 || (pct - pct.round()).abs() < 1e-9;
    // One decimal where rounding would hide a difference from 0 % or 100 %
    let near_ends = !(0.5..=99.5).contains(&pct);
    if whole || (pct >= 10.0 && !near_ends) {
        return format!("{pct:.0} %");
    }
    let one = format!("{pct:.1}");
    if one == "100.0" || one == "0.0" { format!("{pct:.2} %") } else { format!("{one} %") }
}

/// A recovery time, or "not recovered" for runs cut off at the horizon.
fn recovery(r: &Report, value: f64) -> String {
    if r.unrecovered_runs > 0 && value >= r.recovery_time_s.max {
        format!("not recovered ({} horizon)", human(r.horizon_s))
    } else {
        human(value)
    }
}

fn grade(g: Option<u8>) -> String {
    g.map_or("below the bar".to_owned(), |g| format!("grade {g}"))
}

/// Renders a report as Markdown.
pub fn render(report: &Report) -> String {
    let mut md = String::new();
    header(&mut md, report);
    outcome(&mut md, report);
    distribution(&mut md, report);
    critical_path(&mut md, report);
    super::data::markdown(&mut md, &report.data);
    expectations(&mut md, report);
    findings(&mut md, report);
    response(&mut md, report);
    run(&mut md, report);
    assumptions(&mut md, report);
    reproduce(&mut md, report);
    md
}

/// Text from an input file as one line of Markdown: line breaks become spaces and
/// HTML is shown, not interpreted.
fn inline(text: &str) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    one_line.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn header(md: &mut String, r: &Report) {
    let verdict = if r.expectation.checks.is_empty() {
        "not judged: the drill states no [[expect]] to check the manual's answer against"
    } else if r.expectation.met {
        "the manual's answer holds in the simulation"
    } else {
        "the manual's answer does NOT hold in the simulation (see the findings)"
    };
    let _ = writeln!(md, "# {}: {}\n", r.drill.id, inline(&r.drill.title));
    let _ = writeln!(md, "- Manual: {}", inline(&r.drill.clause));
    let _ = writeln!(md, "- The manual's answer: \"{}\"", inline(&r.drill.answer));
    let _ = writeln!(md, "- Verdict: **{verdict}**");
    let _ = writeln!(md, "- Topology: {} ({})", r.topology.id, r.topology.title);
    if !r.drill.note.is_empty() {
        let _ = writeln!(md, "- Note: {}", inline(&r.drill.note));
    }
    let _ = writeln!(md, "\nFaults injected:\n");
    for f in &r.faults {
        let until = f.duration_s.map_or(String::new(), |d| format!(", back after {}", human(d)));
        let attack = f.attack.as_ref().map_or(String::new(), |a| format!(": {a}"));
        let _ = writeln!(
            md,
            "- at {}: {} `{}` ({}){attack}{until}",
            human(f.at_s),
            f.action,
            f.target,
            f.target_name
        );
    }
}

fn outcome(md: &mut String, r: &Report) {
    let runs = if r.runs == 1 { "1 run".to_owned() } else { format!("{} runs", r.runs) };
    let _ = writeln!(md, "\n## Simulated outcome ({runs}, seed {})\n", r.seed);
    let _ = writeln!(
        md,
        "| business | peak failing share P50 / P95 | impact duration P50 / P95 | Art. 4 grade P50 / P95 |"
    );
    let _ = writeln!(md, "|---|---|---|---|");
    for (name, b) in &r.businesses {
        let _ = writeln!(
            md,
            "| {name} | {} / {} | {} / {} | {} / {} |",
            percent(b.peak_impact.p50),
            percent(b.peak_impact.p95),
            human(b.impact_duration_s.p50),
            human(b.impact_duration_s.p95),
            grade(b.grade.p50),
            grade(b.grade.p95),
        );
    }
    let rt = &r.recovery_time_s;
    let _ = writeln!(
        md,
        "\nRecovery time (first fault to every business back): P50 {}, P95 {}, P99 {}, max {}.",
        recovery(r, rt.p50),
        recovery(r, rt.p95),
        recovery(r, rt.p99),
        recovery(r, rt.max)
    );
    if let Some(d) = &r.detection_time_s {
        let _ = writeln!(
            md,
            "Detection (first mechanism or person to notice): P50 {}, P95 {}.",
            human(d.p50),
            human(d.p95)
        );
    }
    if r.unrecovered_runs > 0 {
        let _ = writeln!(
            md,
            "Runs not recovered by the horizon of {}: {}.",
            human(r.horizon_s),
            r.unrecovered_runs
        );
    }
    let causes: Vec<String> = r
        .recovered_by
        .iter()
        .map(|c| format!("{} ({})", c.cause, percent(c.share_of_runs)))
        .collect();
    let _ = writeln!(md, "Recovered by: {}.", causes.join(", "));
}

fn distribution(md: &mut String, r: &Report) {
    let _ = writeln!(md, "\n## Distribution over {} runs\n", r.runs);
    let _ = writeln!(md, "![recovery time: histogram and CDF](recovery.svg)\n");
    let _ = writeln!(md, "| percentile | recovery time | 95 % interval |");
    let _ = writeln!(md, "|---|---|---|");
    let t = &r.recovery_time_s;
    let rows = [
        ("P50", t.p50, t.ci95.p50),
        ("P90", t.p90, t.ci95.p90),
        ("P95", t.p95, t.ci95.p95),
        ("P99", t.p99, t.ci95.p99),
    ];
    for (name, value, [lo, hi]) in rows {
        let interval = format!("{} to {}", recovery(r, lo), recovery(r, hi));
        let _ = writeln!(md, "| {name} | {} | {interval} |", recovery(r, value));
    }
    let _ = writeln!(md, "| max | {} | |", recovery(r, t.max));
    let _ = writeln!(md, "\nImpact duration and Art. 4 grade by business:\n");
    let _ = writeln!(md, "| business | P50 | P90 | P95 | P99 | max | grades (share of runs) |");
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for (name, b) in &r.businesses {
        let d = &b.impact_duration_s;
        let grades: Vec<String> = b
            .grade_share_of_runs
            .iter()
            .rev()
            .map(|(g, share)| {
                format!("{}: {}", if g == "none" { "below the bar" } else { g }, percent(*share))
            })
            .collect();
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            human(d.p50),
            human(d.p90),
            human(d.p95),
            human(d.p99),
            human(d.max),
            grades.join(", ")
        );
    }
    let _ = writeln!(md, "\n![failing share across runs](band.svg)");
    let _ = writeln!(
        md,
        "\nPercentiles come from a log-spaced histogram, within 0.05 % of the exact \
         nearest-rank values; intervals are distribution-free (order statistics)."
    );
}

fn critical_path(md: &mut String, r: &Report) {
    let Some(path) = &r.critical_path else { return };
    let _ = writeln!(md, "\n## Critical path of the runbook\n");
    let _ = writeln!(md, "![recovery-time P95 with each step 50 % faster](critical-path.svg)\n");
    let _ = writeln!(
        md,
        "The recovery-time P95 over the first {} runs is {}. Each row makes one step 50 % \
         faster on the same random streams:\n",
        path.runs,
        human(path.p95_s)
    );
    let _ = writeln!(
        md,
        "| step | mean duration | explains of the variance | P95 if 50 % faster | gain |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|");
    for s in &path.steps {
        let _ = writeln!(
            md,
            "| {} / {}: {} | {} | {} | {} | {} |",
            s.runbook,
            s.step,
            s.title,
            human(s.mean_s),
            percent(s.explains_variance),
            human(s.p95_if_50pct_faster_s),
            human((path.p95_s - s.p95_if_50pct_faster_s).max(0.0))
        );
    }
    if let Some(top) =
        path.steps.iter().max_by(|a, b| a.explains_variance.total_cmp(&b.explains_variance))
    {
        let _ = writeln!(md, "\nStep '{}' drives the tail: rehearse it first.", top.step);
    }
}

fn expectations(md: &mut String, r: &Report) {
    let _ = writeln!(md, "\n## The manual's answer, checked\n");
    if r.expectation.checks.is_empty() {
        let _ = writeln!(md, "The drill states no checkable expectation.");
        return;
    }
    let _ = writeln!(md, "| check | must hold in | held in | outcome |");
    let _ = writeln!(md, "|---|---|---|---|");
    for c in &r.expectation.checks {
        let outcome = if c.met { "holds" } else { "**does not hold**" };
        let _ = writeln!(
            md,
            "| {} | {} of runs | {} of runs | {outcome} |",
            c.check,
            percent(c.required_share_of_runs),
            percent(c.held_share_of_runs)
        );
    }
}

fn findings(md: &mut String, r: &Report) {
    let _ = writeln!(md, "\n## Findings\n");
    if r.findings.is_empty() {
        let _ = writeln!(
            md,
            "None: no graded incident, no committed write lost, and every expectation holds."
        );
    }
    for f in &r.findings {
        let _ = writeln!(md, "- {f}");
    }
}

fn response(md: &mut String, r: &Report) {
    let resp = &r.response;
    let _ = writeln!(md, "\n## Response under the manual, for the median run (Art. 4, 8-13)\n");
    let n = &resp.notification;
    match (&resp.graded_business, resp.grade) {
        (Some(business), Some(g)) => {
            let _ = writeln!(md, "Graded outcome: {business}, grade {g} (Art. 4).");
            if n.roles.is_empty() {
                let _ = writeln!(md, "Notified ({}): {}.", n.clause, n.scope);
            } else {
                let roles = n.roles.join(", ");
                let _ = writeln!(md, "Notified ({}): {roles}; scope: {}.", n.clause, n.scope);
            }
        }
        _ => {
            let _ = writeln!(
                md,
                "Graded outcome: below the major-incident bar of Art. 4, so no major-incident \
                 notification; the timeline below shows what the process would ask if the \
                 incident were declared."
            );
        }
    }
    for m in &resp.margins {
        let _ = writeln!(md, "Margin: {}: {}.", m.business.name(), m.sentence);
    }
    let timeline = &resp.timeline;
    for note in &timeline.notes {
        let _ = writeln!(md, "\n{note}");
    }
    if timeline.milestones.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n| due at | what | clause | this drill |");
    let _ = writeln!(md, "|---|---|---|---|");
    for m in &timeline.milestones {
        let _ = writeln!(md, "| {} | {} | {} | {} |", human(m.at_s), m.what, m.clause, m.need);
    }
}

fn run(md: &mut String, r: &Report) {
    let run = &r.representative_run;
    let _ = writeln!(md, "\n## The median run (run {})\n", run.run);
    let _ = writeln!(md, "![failing share over time](timeline.svg)\n");
    match (run.recovery_time_s, &run.recovered_by) {
        (Some(t), Some(by)) => {
            let _ = writeln!(md, "Recovered after {} by {by}.\n", human(t));
        }
        _ => {
            let _ = writeln!(md, "Not recovered by the horizon.\n");
        }
    }
    let _ = writeln!(md, "| simulated time | event |");
    let _ = writeln!(md, "|---|---|");
    for e in &run.events {
        let _ = writeln!(md, "| {} | {} |", human(e.t_s), e.event);
    }
    let _ = writeln!(md, "\nFailing share by business (from that time on):\n");
    for (business, points) in &run.timeline {
        let steps: Vec<String> =
            points.iter().map(|[t, s]| format!("{}: {}", human(*t), percent(*s))).collect();
        let _ = writeln!(md, "- {business}: {}", steps.join(" → "));
    }
}

fn assumptions(md: &mut String, r: &Report) {
    let _ = writeln!(md, "\n## Assumptions (timing parameters of the topology)\n");
    let _ = writeln!(md, "| parameter | value | source |");
    let _ = writeln!(md, "|---|---|---|");
    for a in &r.assumptions {
        let _ = writeln!(md, "| {} | {} | {} |", a.name, a.value, a.source);
    }
}

fn reproduce(md: &mut String, r: &Report) {
    let _ = writeln!(md, "\n## Reproduce\n");
    let _ = writeln!(md, "- drillsim {}, seed {}, {} runs", r.version, r.seed, r.runs);
    let _ = writeln!(md, "- drill `{}` sha256 `{}`", r.drill.file, r.drill.sha256);
    let _ = writeln!(md, "- topology `{}` sha256 `{}`", r.topology.file, r.topology.sha256);
    let _ = writeln!(md, "- command: `{}`", r.command);
}

#[cfg(test)]
mod tests {
    use super::inline;

    #[test]
    fn text_from_a_drill_stays_on_its_line_and_shows_html_as_text() {
        // A title with a line break and a tag would split the heading and render HTML
        assert_eq!(inline("Web <b>down</b>\n# injected"), "Web &lt;b&gt;down&lt;/b&gt; # injected");
    }
}
