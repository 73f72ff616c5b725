//! `drillsim grade`: the Art. 4 grade of an incident, who Art. 8 notifies, and the
//! response checklist, for a business, an impact and a duration given by hand.

use std::io::Write as _;

use serde::Serialize;

use super::{Failure, Format, GradeArgs};
use crate::exit;
use crate::grade::{self, Business};
use crate::response::{self, CHECKLIST, ChecklistStep, Margin, Notification};
use crate::timing::{human, parse_duration_unlimited};

/// Parses a percentage argument ("35%") into a ratio 0-1.
pub(super) fn parse_percent(text: &str) -> Result<f64, String> {
    grade::parse_percent(text)
}

/// Parses a duration argument ("45m", "1h30m", "2701s") into seconds. The `duration`
/// limit, which is about input files, does not apply (and cannot: clap reads the
/// arguments before `--limit` is applied).
pub(super) fn parse_duration_arg(text: &str) -> Result<f64, String> {
    parse_duration_unlimited(text)
}

/// Parses a business class name.
pub(super) fn parse_business(text: &str) -> Result<Business, String> {
    text.parse::<Business>().map_err(|e| e.to_string())
}

/// What `drillsim grade --format json` prints.
#[derive(Debug, Serialize)]
struct Answer {
    business: Business,
    /// Share of users or transactions affected (ratio 0-1).
    impact: f64,
    duration_s: f64,
    /// 1 (most severe) to 5; null below the bar.
    grade: Option<u8>,
    /// The Art. 4 cell that matched, as the manual words it; null below the bar.
    cell: Option<String>,
    notify: Vec<&'static str>,
    scope: &'static str,
    notification: Notification,
    margin: Option<Margin>,
    checklist: &'static [ChecklistStep],
}

pub(super) fn grade(args: &GradeArgs) -> Result<u8, Failure> {
    let cell = grade::grade(args.business, args.impact, args.duration);
    let notification = response::notification(cell.as_ref().map(|c| c.grade));
    let answer = Answer {
        business: args.business,
        impact: args.impact,
        duration_s: args.duration,
        grade: cell.as_ref().map(|c| c.grade.number()),
        cell: cell.as_ref().map(ToString::to_string),
        notify: notification.roles.clone(),
        scope: notification.scope,
        margin: response::margin(args.business, args.impact, args.duration),
        notification,
        checklist: &CHECKLIST,
    };
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Json => serde_json::to_string_pretty(&answer)
            .map_err(std::io::Error::other)
            .and_then(|json| writeln!(out, "{json}")),
        Format::Text => write_text(&mut out, &answer),
    };
    written.map_err(|e| Failure::Write(format!("cannot print the answer: {e}")))?;
    Ok(exit::SUCCESS)
}

fn write_text(out: &mut impl std::io::Write, a: &Answer) -> std::io::Result<()> {
    let impact = format!("{} %", (a.impact * 1e4).round() / 1e2);
    let verdict =
        a.grade.map_or("below the major-incident bar".to_owned(), |g| format!("grade {g}"));
    let duration = format!("{} ({} s)", human(a.duration_s), a.duration_s);
    writeln!(out, "{}, impact {impact}, for {duration}: {verdict}", a.business)?;
    match &a.cell {
        Some(cell) => writeln!(out, "Art. 4 cell: {cell}")?,
        None => writeln!(out, "Art. 4: no cell of the {} table matches", a.business)?,
    }
    match (a.grade, a.notify.is_empty()) {
        (None, _) => writeln!(out, "Notified (Art. 8): nobody, no major-incident notification")?,
        (Some(_), true) => writeln!(out, "Notified (Art. 8): {}", a.scope)?,
        (Some(_), false) => {
            writeln!(out, "Notified (Art. 8): {}; scope: {}", a.notify.join(", "), a.scope)?
        }
    }
    if let Some(margin) = &a.margin {
        writeln!(out, "Margin: {}", margin.sentence)?;
    }
    if a.grade.is_some() {
        writeln!(out, "Response checklist from the declaration (Art. 8):")?;
        for step in a.checklist {
            writeln!(out, "  within {:>6}  {}", human(step.within_s), step.what)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_need_their_sign_and_stay_within_0_and_100() {
        assert_eq!(parse_percent("35%"), Ok(0.35));
        assert_eq!(parse_percent("0.5 %"), Ok(0.005));
        assert!(parse_percent("35").unwrap_err().contains("no '%'"));
        assert!(parse_percent("101%").unwrap_err().contains("outside"));
        assert!(parse_percent("-1%").unwrap_err().contains("outside"));
        assert!(parse_percent("abc%").unwrap_err().contains("not a percentage"));
    }
}
