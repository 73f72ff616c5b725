//! `drillsim plan`: the eleven steps of Art. 23 with their due dates for one drill, or
//! a year of drills by the cadence of Art. 22 and Art. 9; as text or as a calendar.

use std::io::Write as _;
use std::path::Path;

use jiff::ZonedDateTime;

use super::{Failure, PlanArgs, PlanFormat};
use crate::bundled;
use crate::drill::DrillFile;
use crate::exit;
use crate::input::{Problem, Problems, SourceFile};
use crate::plan::{self, Dated, STEPS, calendar, ics, show, show_due};

/// Parses a time argument, or says precisely what is wrong with it.
pub(super) fn parse_time_arg(text: &str) -> Result<ZonedDateTime, String> {
    plan::parse_time(text).map_err(|e| e.to_string())
}

pub(super) fn plan(args: &PlanArgs) -> Result<u8, Failure> {
    let now = args.now.clone().unwrap_or_else(ZonedDateTime::now);
    let output = match (args.calendar, &args.drill, &args.at) {
        (Some(year), _, _) => year_plan(year, args.format)?,
        (None, Some(drill), Some(at)) => drill_plan(drill, at, &now, args.format)?,
        _ => return Err(Failure::Usage("give a DRILL and --at, or --calendar YEAR".into())),
    };
    let _ = std::io::stdout().lock().write_all(output.as_bytes());
    Ok(exit::SUCCESS)
}

/// The plan of one drill; deadlines already past at `now` are marked, and warned of on
/// stderr.
fn drill_plan(
    name: &str,
    at: &ZonedDateTime,
    now: &ZonedDateTime,
    format: PlanFormat,
) -> Result<String, Failure> {
    let drill = find_drill(name)?;
    let (id, title) = (drill.id(), drill.title());
    let bad_time = |e: plan::TimeError| Failure::Usage(e.to_string());
    if format == PlanFormat::Ics {
        let events = plan::events(id, title, at).map_err(bad_time)?;
        return Ok(ics::calendar(&events, at));
    }
    let dated = plan::deadlines(at).map_err(bad_time)?;
    for d in dated.iter().filter(|d| d.at < *now) {
        eprintln!(
            "drillsim: warning: step {} '{}' was due {}, {} before now ({})",
            d.step.number,
            d.deadline.what,
            show_due(d),
            late(&d.at, now),
            show(now)
        );
    }
    Ok(text(&drill, at, now, &dated))
}

/// How long ago `due` was at `now`, in days and hours.
fn late(due: &ZonedDateTime, now: &ZonedDateTime) -> String {
    let seconds = now.timestamp().as_second() - due.timestamp().as_second();
    let (days, hours) = (seconds / 86_400, seconds % 86_400 / 3600);
    match (days, hours) {
        (0, 0) => "less than an hour".to_owned(),
        (0, h) => format!("{h} h"),
        (d, 0) => format!("{d} d"),
        (d, h) => format!("{d} d {h} h"),
    }
}

fn text(drill: &DrillFile, at: &ZonedDateTime, now: &ZonedDateTime, dated: &[Dated]) -> String {
    let mut out = format!(
        "Drill plan of {}: {} ({})\nDrill time: {}; deadlines compared with {}\n\
         Steps of Art. 23 of the manual:\n",
        drill.id(),
        drill.title(),
        drill.clause(),
        show(at),
        show(now)
    );
    for step in &STEPS {
        let what = format!("{}: {}", step.phase, step.what);
        out.push_str(&format!("\n{:>2}. {}\n", step.number, wrap(&what, "    ")));
        let who = format!("who: {}; channel: {}", step.role, step.channel);
        out.push_str(&format!("    {}\n", wrap(&who, "    ")));
        for d in dated.iter().filter(|d| d.step.number == step.number) {
            let past = if d.at < *now { "  PAST" } else { "" };
            out.push_str(&format!("    {:<26} by {}{past}\n", d.deadline.what, show_due(d)));
        }
        if !step.note.is_empty() {
            out.push_str(&format!("    {}\n", wrap(&format!("note: {}", step.note), "    ")));
        }
    }
    out
}

/// Columns of the text output, at most; longer lines wrap.
const WIDTH: usize = 88;

/// `text` wrapped at word boundaries to fit [`WIDTH`] after `indent`, continuation
/// lines indented by `indent` (the first line's indent is the caller's).
fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut column = indent.len();
    for word in text.split(' ') {
        if column > indent.len() && column + 1 + word.chars().count() > WIDTH {
            out.push('\n');
            out.push_str(indent);
            column = indent.len();
        } else if column > indent.len() {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.chars().count();
    }
    out
}

/// A year of drills, as text or as a calendar.
fn year_plan(year: i16, format: PlanFormat) -> Result<String, Failure> {
    let bad_time = |e: plan::TimeError| Failure::Usage(e.to_string());
    let drills = calendar::year(year).map_err(bad_time)?;
    let mut rows = Vec::new();
    for d in &drills {
        let dated = plan::deadlines(&d.at).map_err(bad_time)?;
        let due = |step: u8| dated.iter().find(|x| x.step.number == step).map(show_due);
        rows.push((d, due(2).unwrap_or_default(), due(9).unwrap_or_default(), due(11)));
    }
    if format == PlanFormat::Ics {
        let events: Vec<ics::Event> = rows
            .iter()
            .map(|(d, agreed, notice, summary)| {
                let mut description = format!(
                    "{}. Plan agreed by {agreed}; formal notice by {notice}; summary by {}.",
                    d.kind.clause(),
                    summary.clone().unwrap_or_default()
                );
                if d.kind == calendar::Kind::WholePlan {
                    description.push_str(" Report the drill to the regulator (Art. 9).");
                }
                ics::Event {
                    uid: format!(
                        "{}-{}@drillsim",
                        d.kind.slug(),
                        d.at.timestamp().strftime("%Y%m%dT%H%M%SZ")
                    ),
                    when: ics::When::Timed {
                        start: d.at.clone(),
                        end: d.at.checked_add(jiff::Span::new().hours(1)).unwrap_or(d.at.clone()),
                    },
                    summary: d.kind.name().to_owned(),
                    description,
                    categories: vec!["drill".to_owned(), d.kind.slug().to_owned()],
                }
            })
            .collect();
        let stamp = drills.first().map_or_else(ZonedDateTime::now, |d| d.at.clone());
        return Ok(ics::calendar(&events, &stamp));
    }
    let mut out = format!(
        "Drills of {year} by the cadence of Art. 22 (quick pay monthly, balance pay every two \
         months) and Art. 9 (the whole plan at least every six months, reported to the \
         regulator)\n\n{:<28} {:<22} {:<22} {:<28} drill\n",
        "drill time", "plan agreed by", "formal notice by", "summary by"
    );
    for (d, agreed, notice, summary) in &rows {
        let agreed = agreed.get(..14).unwrap_or(agreed);
        out.push_str(&format!(
            "{:<28} {:<22} {:<22} {:<28} {}{}\n",
            show(&d.at),
            agreed,
            notice,
            summary.clone().unwrap_or_default(),
            d.kind.name(),
            if d.kind == calendar::Kind::WholePlan { "; report to the regulator" } else { "" }
        ));
    }
    Ok(out)
}

/// A drill file, or the bundled drill with this id (any case).
fn find_drill(name: &str) -> Result<DrillFile, Failure> {
    if Path::new(name).is_file() {
        return Ok(DrillFile::load(SourceFile::read(Path::new(name))?)?);
    }
    let mut ids = Vec::new();
    for (label, text) in bundled::DRILLS {
        let source = SourceFile::from_bytes((*label).to_owned(), text.as_bytes())?;
        let drill = DrillFile::load(source)?;
        if drill.id().eq_ignore_ascii_case(name) {
            return Ok(drill);
        }
        ids.push(drill.id().to_owned());
    }
    let message = format!(
        "no such drill file, nor a bundled drill of that id; bundled ids: {}",
        ids.join(", ")
    );
    Err(Problems::one(Problem::whole_file(name, message)).into())
}
