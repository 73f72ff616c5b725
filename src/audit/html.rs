//! The audit as one self-contained HTML page: inline CSS and SVG, no script, no font
//! or picture fetched from anywhere, and a print style so that it reads on paper.

use std::fmt::Write as _;

use super::table::{COLUMNS, assumptions, reason, totals};
use super::{Audit, Row, Verdict};
use crate::timing::human;

/// The page's style: screen first, then print (A4 landscape, rows kept whole).
const STYLE: &str = "
body { font: 14px/1.45 system-ui, sans-serif; color: #1b1b1b; margin: 2em auto; max-width: 1400px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .25em .45em; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
td.num { white-space: nowrap; }
code { font: 12px ui-monospace, monospace; word-break: break-all; }
.verdict { font-weight: 600; white-space: nowrap; }
.holds { color: #1a7f37; }
.holds-under-assumption { color: #9a6700; }
.does-not-hold { color: #cf222e; }
.why { display: block; font-size: .85em; color: #555; }
.not-simulated { color: #777; }
.totals { font-size: 1.05em; }
svg text { font: 11px sans-serif; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { margin: 0; max-width: none; font-size: 10px; }
  h2 { break-after: avoid; }
  tr, li, svg { break-inside: avoid; }
  thead { display: table-header-group; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
";

/// Renders an audit as a self-contained HTML page.
pub fn render(audit: &Audit) -> String {
    let mut html = String::new();
    let _ = writeln!(html, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">");
    let _ =
        writeln!(html, "<title>drillsim audit</title>\n<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(html, "<h1>Drill audit</h1>");
    let _ = writeln!(html, "<p class=\"totals\">{}.</p>", escape(&totals(audit)));
    summary(&mut html, audit);
    chart(&mut html, audit);
    findings(&mut html, audit);
    coverage(&mut html, audit);
    stated_assumptions(&mut html, audit);
    provenance(&mut html, audit);
    let _ = writeln!(html, "</body>\n</html>");
    html
}

/// Text made safe inside HTML elements and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The CSS class of a verdict, which colours it.
fn class(verdict: &Verdict) -> String {
    verdict.label().replace(' ', "-")
}

fn summary(html: &mut String, audit: &Audit) {
    let _ = writeln!(html, "<h2 id=\"summary-title\">Summary</h2>");
    let _ = writeln!(html, "<table id=\"summary\">\n<thead><tr>");
    for c in &COLUMNS {
        let _ = write!(html, "<th>{}</th>", escape(c.header));
    }
    let _ = writeln!(html, "<th>verdict</th></tr></thead>\n<tbody>");
    for row in &audit.drills {
        let _ = write!(html, "<tr id=\"drill-{}\">", escape(&row.id));
        for c in &COLUMNS {
            let text = escape(&(c.cell)(row)).replace(" %", "&nbsp;%");
            let _ = write!(html, "<td>{text}</td>");
        }
        let why = reason(&row.verdict);
        let why = if why.is_empty() {
            String::new()
        } else {
            format!("<span class=\"why\">{}</span>", escape(&why))
        };
        let _ = writeln!(
            html,
            "<td><span class=\"verdict {}\">{}</span>{why}</td></tr>",
            class(&row.verdict),
            row.verdict.label()
        );
    }
    let _ = writeln!(html, "</tbody>\n</table>");
}

/// Chart geometry \[pixels\]: label column, plot width, row height.
const LABEL_W: f64 = 60.0;
const PLOT_W: f64 = 760.0;
const ROW_H: f64 = 16.0;

/// Ticks of the log-scaled time axis \[seconds\] and their labels.
const TICKS: [(f64, &str); 7] = [
    (1.0, "1 s"),
    (10.0, "10 s"),
    (60.0, "1 min"),
    (600.0, "10 min"),
    (3600.0, "1 h"),
    (36_000.0, "10 h"),
    (86_400.0, "1 d"),
];

/// The recovery time of every drill on a log scale: a bar to P95, a mark at P50,
/// coloured by verdict.
fn chart(html: &mut String, audit: &Audit) {
    let longest = audit.drills.iter().map(|r| r.recovery_time_s.p95).fold(60.0, f64::max);
    let end = (longest * 1.5).log10();
    let x = |t: f64| LABEL_W + PLOT_W * (t.max(1.0).log10() / end).min(1.0);
    let height = ROW_H * audit.drills.len() as f64 + 40.0;
    let width = LABEL_W + PLOT_W + 20.0;
    let _ = writeln!(html, "<h2>Recovery time by drill</h2>");
    let _ = writeln!(
        html,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"recovery time P50 and \
         P95 of each drill, log scale\">"
    );

    // Axis: a grid line and label per tick within the range
    let bottom = height - 24.0;
    for (t, label) in TICKS.iter().filter(|(t, _)| t.log10() <= end) {
        let _ = writeln!(
            html,
            "<line x1=\"{0:.1}\" y1=\"0\" x2=\"{0:.1}\" y2=\"{bottom}\" stroke=\"#ddd\"/>\
             <text x=\"{0:.1}\" y=\"{1}\" text-anchor=\"middle\">{label}</text>",
            x(*t),
            bottom + 14.0
        );
    }

    // One row per drill
    for (i, row) in audit.drills.iter().enumerate() {
        let y = ROW_H * i as f64 + 4.0;
        let colour = colour(&row.verdict);
        let _ = write!(html, "<text x=\"0\" y=\"{:.1}\">{}</text>", y + 10.0, escape(&row.id));
        bar(html, row, &x, y, colour);
    }
    let _ = writeln!(
        html,
        "<text x=\"{LABEL_W}\" y=\"{height}\" dy=\"-1\">bar: P95, mark: P50 (log scale); \
         colour: verdict</text>\n</svg>"
    );
}

fn bar(html: &mut String, row: &Row, x: &dyn Fn(f64) -> f64, y: f64, colour: &str) {
    let r = &row.recovery_time_s;
    if r.p95 <= 0.0 {
        let _ = writeln!(html, "<text x=\"{:.1}\" y=\"{:.1}\">no impact</text>", x(1.0), y + 10.0);
        return;
    }
    let _ = writeln!(
        html,
        "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\" \
         fill-opacity=\"0.35\"><title>{}: P50 {}, P95 {}</title></rect>\
         <rect x=\"{:.1}\" y=\"{y:.1}\" width=\"2\" height=\"{:.1}\" fill=\"{colour}\"/>",
        x(1.0),
        (x(r.p95) - x(1.0)).max(1.0),
        ROW_H - 4.0,
        escape(&row.id),
        human(r.p50),
        human(r.p95),
        x(r.p50) - 1.0,
        ROW_H - 4.0
    );
}

fn colour(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Holds => "#1a7f37",
        Verdict::HoldsUnderAssumption { .. } => "#bf8700",
        Verdict::DoesNotHold { .. } => "#cf222e",
        Verdict::NotJudged => "#57606a",
    }
}

fn findings(html: &mut String, audit: &Audit) {
    let _ = writeln!(html, "<h2>Findings, weakest point first</h2>");
    if audit.findings.is_empty() {
        let _ =
            writeln!(html, "<p>None: every answer holds and no drill is a graded incident.</p>");
        return;
    }
    let _ = writeln!(html, "<ol id=\"findings\">");
    for f in &audit.findings {
        let _ = writeln!(html, "<li>{}</li>", escape(&f.text));
    }
    let _ = writeln!(html, "</ol>");
}

fn coverage(html: &mut String, audit: &Audit) {
    let _ = writeln!(html, "<h2>Coverage of the manual</h2>");
    let _ = writeln!(
        html,
        "<table id=\"coverage\">\n<thead><tr><th>scenario</th><th>clause</th><th>what</th>\
         <th>the manual's answer</th><th>drills</th></tr></thead>\n<tbody>"
    );
    for s in &audit.coverage.scenarios {
        let drills = match &s.not_simulated {
            Some(why) => {
                format!("<span class=\"not-simulated\">not simulated: {}</span>", escape(why))
            }
            None => escape(&s.drills.join(", ")),
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{drills}</td></tr>",
            escape(&s.id),
            escape(&s.clause),
            escape(&s.scenario),
            escape(&s.answer)
        );
    }
    let _ = writeln!(html, "</tbody>\n</table>");
    if !audit.coverage.beyond_the_manual.is_empty() {
        let _ = writeln!(
            html,
            "<p>Drills citing no scenario of the manual: {}.</p>",
            escape(&audit.coverage.beyond_the_manual.join(", "))
        );
    }
}

fn stated_assumptions(html: &mut String, audit: &Audit) {
    let list = assumptions(audit);
    if list.is_empty() {
        return;
    }
    let _ = writeln!(html, "<h2>Stated assumptions the verdicts rest on</h2>");
    let _ = writeln!(
        html,
        "<table>\n<thead><tr><th>parameter</th><th>value</th><th>source</th></tr></thead>\n<tbody>"
    );
    for a in list {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&a.name),
            escape(&a.value),
            escape(&a.source)
        );
    }
    let _ = writeln!(html, "</tbody>\n</table>");
}

fn provenance(html: &mut String, audit: &Audit) {
    let p = &audit.provenance;
    let _ = writeln!(html, "<h2>Provenance</h2>");
    let _ = writeln!(
        html,
        "<p>drillsim {}, seed {}, {} runs per drill. Command that writes this audit again, \
         byte for byte:</p>\n<p><code id=\"command\">{}</code></p>",
        escape(&p.version),
        p.seed,
        p.runs,
        escape(&p.command)
    );
    let _ = writeln!(
        html,
        "<table id=\"inputs\">\n<thead><tr><th>input</th><th>file</th><th>SHA-256</th></tr>\
         </thead>\n<tbody>"
    );
    for f in &p.inputs {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
            escape(&f.kind),
            escape(&f.file),
            escape(&f.sha256)
        );
    }
    let _ = writeln!(html, "</tbody>\n</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_markup_text() {
        assert_eq!(
            escape("<a href=\"x\">Xi'an & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;Xi&#39;an &amp; co&lt;/a&gt;"
        );
    }
}
