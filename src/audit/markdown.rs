//! The audit as Markdown: the same sections as the HTML, for diffs and wikis.

use std::fmt::Write as _;

use super::Audit;
use super::table::{COLUMNS, assumptions, reason, totals};

/// Renders an audit as Markdown.
pub fn render(audit: &Audit) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Drill audit\n");
    let _ = writeln!(md, "{}.\n", totals(audit));
    summary(&mut md, audit);
    findings(&mut md, audit);
    coverage(&mut md, audit);
    stated_assumptions(&mut md, audit);
    provenance(&mut md, audit);
    md
}

/// A table cell: pipes escaped, line breaks flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn summary(md: &mut String, audit: &Audit) {
    let _ = writeln!(md, "## Summary\n");
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.header).collect();
    let _ = writeln!(md, "| {} | verdict |", headers.join(" | "));
    let _ = writeln!(md, "|{}---|", "---|".repeat(COLUMNS.len()));
    for row in &audit.drills {
        let cells: Vec<String> = COLUMNS.iter().map(|c| cell(&(c.cell)(row))).collect();
        let why = reason(&row.verdict);
        let verdict = if why.is_empty() {
            format!("**{}**", row.verdict.label())
        } else {
            format!("**{}**: {}", row.verdict.label(), cell(&why))
        };
        let _ = writeln!(md, "| {} | {verdict} |", cells.join(" | "));
    }
}

fn findings(md: &mut String, audit: &Audit) {
    let _ = writeln!(md, "\n## Findings, weakest point first\n");
    if audit.findings.is_empty() {
        let _ = writeln!(md, "None: every answer holds and no drill is a graded incident.");
    }
    for (i, f) in audit.findings.iter().enumerate() {
        let _ = writeln!(md, "{}. {}", i + 1, f.text);
    }
}

fn coverage(md: &mut String, audit: &Audit) {
    let _ = writeln!(md, "\n## Coverage of the manual\n");
    let _ = writeln!(md, "| scenario | clause | what | the manual's answer | drills |");
    let _ = writeln!(md, "|---|---|---|---|---|");
    for s in &audit.coverage.scenarios {
        let drills = match &s.not_simulated {
            Some(why) => format!("not simulated: {why}"),
            None => s.drills.join(", "),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            s.id,
            s.clause,
            cell(&s.scenario),
            cell(&s.answer),
            cell(&drills)
        );
    }
    if !audit.coverage.beyond_the_manual.is_empty() {
        let _ = writeln!(
            md,
            "\nDrills citing no scenario of the manual: {}.",
            audit.coverage.beyond_the_manual.join(", ")
        );
    }
}

fn stated_assumptions(md: &mut String, audit: &Audit) {
    let list = assumptions(audit);
    if list.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n## Stated assumptions the verdicts rest on\n");
    let _ = writeln!(md, "| parameter | value | source |");
    let _ = writeln!(md, "|---|---|---|");
    for a in list {
        let _ = writeln!(md, "| {} | {} | {} |", cell(&a.name), cell(&a.value), cell(&a.source));
    }
}

fn provenance(md: &mut String, audit: &Audit) {
    let p = &audit.provenance;
    let _ = writeln!(md, "\n## Provenance\n");
    let _ = writeln!(md, "- drillsim {}, seed {}, {} runs per drill", p.version, p.seed, p.runs);
    let _ = writeln!(md, "- command: `{}`", p.command);
    let _ = writeln!(md, "\n| input | file | SHA-256 |");
    let _ = writeln!(md, "|---|---|---|");
    for f in &p.inputs {
        let _ = writeln!(md, "| {} | `{}` | `{}` |", f.kind, f.file, f.sha256);
    }
}
