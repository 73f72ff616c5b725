//! The drill plan of Art. 22-23, for drill owners: the eleven steps of one drill with
//! their due dates, and a year of drills by the cadence of Art. 22 and Art. 9.
//!
//! Deadlines are laid on the drill time T in its own time zone (an offset such as
//! `+08:00`, or a named zone such as `[Asia/Shanghai]`). The manual states them three
//! ways, and each is kept as stated:
//! - *weeks before* ("plan agreed two weeks before"): T minus that many days, at T's
//!   clock time;
//! - *at least N days before* (the notices): by the end of the day N + 1 days before
//!   the drill's day, as in the manual's own example: a drill on 28 Jan at 02:00 is
//!   announced on 25 Jan (two whole days, 26 and 27 Jan, lie between);
//! - *within a day after*: T plus one day (the manual counts from the drill, whose
//!   length it does not give).
//!
//! Where the manual gives no deadline (naming the owner, the TEST-mode rehearsal), the
//! step says what it is needed for. Nothing here reads the clock: "now" is an input, so
//! the same inputs give the same plan.

pub mod calendar;
pub mod ics;

use jiff::civil::Date;
use jiff::fmt::temporal::{Pieces, PiecesOffset, TimeZoneAnnotationKind};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{ToSpan as _, ZonedDateTime};

/// When a deadline falls, relative to the drill time T.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// `days` before T, at T's clock time.
    DaysBefore(i64),
    /// At least `days` whole days before the drill's day: by the end of the day
    /// `days + 1` days before it.
    WholeDaysBefore(i64),
    /// At the drill time.
    AtDrill,
    /// `days` after T.
    DaysAfter(i64),
}

/// One deadline of a step.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    /// What must be done by then.
    pub what: &'static str,
    pub due: Due,
}

/// One of the eleven steps of a drill (Art. 23; `shared/DOMAIN.md` §9).
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub number: u8,
    /// prepare, simulate, notify, drill, review.
    pub phase: &'static str,
    pub what: &'static str,
    /// Who does it (and who it is for).
    pub role: &'static str,
    pub channel: &'static str,
    pub deadlines: &'static [Deadline],
    /// What the manual adds, or how a missing deadline is read.
    pub note: &'static str,
}

/// The eleven steps of Art. 23, in order.
pub const STEPS: [Step; 11] = [
    Step {
        number: 1,
        phase: "prepare",
        what: "name the drill owner",
        role: "director or team leader",
        channel: "-",
        deadlines: &[Deadline { what: "owner named", due: Due::DaysBefore(14) }],
        note: "no deadline in the manual; the owner leads the review of step 2",
    },
    Step {
        number: 2,
        phase: "prepare",
        what: "review the drill plan and the switch runbook: goal, scope, time",
        role: "drill owner with dev, ops and DBA",
        channel: "chat, meeting",
        deadlines: &[Deadline { what: "plan agreed", due: Due::DaysBefore(14) }],
        note: "",
    },
    Step {
        number: 3,
        phase: "prepare",
        what: "impact assessment sent to WeChat for their own assessment",
        role: "drill owner, to WeChat",
        channel: "email",
        deadlines: &[
            Deadline { what: "assessment sent", due: Due::DaysBefore(14) },
            Deadline { what: "WeChat's assessment back", due: Due::DaysBefore(7) },
        ],
        note: "WeChat gets one week; a lossless switch may be announced by chat only",
    },
    Step {
        number: 4,
        phase: "prepare",
        what: "pre-checks: accounting and transaction reconciliation, script review, switch \
               and rollback rehearsal, day-before checks",
        role: "ops, DBA and dev",
        channel: "ticket system, chat",
        deadlines: &[
            Deadline { what: "pre-checks done", due: Due::DaysBefore(7) },
            Deadline { what: "day-before checks start", due: Due::DaysBefore(2) },
        ],
        note: "",
    },
    Step {
        number: 5,
        phase: "simulate",
        what: "whole switch flow in TEST mode, tests, data check and reopen",
        role: "DR team",
        channel: "-",
        deadlines: &[Deadline { what: "rehearsed in TEST mode", due: Due::AtDrill }],
        note: "the manual says only 'before the drill'",
    },
    Step {
        number: 6,
        phase: "notify",
        what: "tell the dev, test and ops owners and the partners their roles and place \
               (office, VPN)",
        role: "drill owner",
        channel: "email",
        deadlines: &[Deadline { what: "roles and places sent", due: Due::WholeDaysBefore(2) }],
        note: "",
    },
    Step {
        number: 7,
        phase: "notify",
        what: "customer service told; announcement strategy; user notice configured",
        role: "drill owner, to customer service",
        channel: "chat, notice",
        deadlines: &[
            Deadline { what: "customer service told", due: Due::WholeDaysBefore(2) },
            Deadline { what: "user notice configured", due: Due::AtDrill },
        ],
        note: "",
    },
    Step {
        number: 8,
        phase: "notify",
        what: "partner businesses (WeChat, Mobile QQ) told",
        role: "drill owner, to WeChat and Mobile QQ",
        channel: "chat",
        deadlines: &[Deadline { what: "partners told", due: Due::WholeDaysBefore(1) }],
        note: "",
    },
    Step {
        number: 9,
        phase: "notify",
        what: "formal email to R&D, partners and internal users",
        role: "drill owner",
        channel: "email",
        deadlines: &[Deadline { what: "formal email sent", due: Due::WholeDaysBefore(1) }],
        note: "",
    },
    Step {
        number: 10,
        phase: "drill",
        what: "five drill chat groups; switch per the plan",
        role: "drill owner and every role named in step 6",
        channel: "five chat groups",
        deadlines: &[Deadline { what: "drill starts", due: Due::AtDrill }],
        note: "",
    },
    Step {
        number: 11,
        phase: "review",
        what: "report the result, actual switch time, business alert time and problems; \
               dev and test report issues and next steps; update the failover runbook and \
               the DR wiki",
        role: "drill owner, dev and test",
        channel: "email",
        deadlines: &[Deadline { what: "summary sent", due: Due::DaysAfter(1) }],
        note: "counted from the drill time, as the manual gives no drill length",
    },
];

/// A deadline laid on a drill time.
#[derive(Debug, Clone)]
pub struct Dated {
    pub step: &'static Step,
    pub deadline: &'static Deadline,
    pub at: ZonedDateTime,
}

/// How a drill time is written, for messages.
pub const TIME_EXAMPLES: &str = "a time such as 2027-01-28T02:00+08:00 or \
                                 2027-01-28T02:00[Asia/Shanghai]";

/// The UTC offsets real time zones use \[seconds\]: from -12:00 (Baker Island) to
/// +14:00 (Line Islands). The date library accepts up to ±25:59:59.
const OFFSETS_IN_USE: std::ops::RangeInclusive<i32> = -12 * 3600..=14 * 3600;

/// Why a time or a plan cannot be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TimeError {
    #[error("'{text}' is not a date and time: {reason}; expected {TIME_EXAMPLES}")]
    Unreadable { text: String, reason: String },
    #[error("'{text}' has no time of day; give one, as in 2027-01-28T02:00+08:00")]
    NoTime { text: String },
    #[error(
        "'{text}' has no UTC offset, so the deadlines would depend on this machine's time \
         zone; add one, as in 2027-01-28T02:00+08:00, or a zone name, as in \
         2027-01-28T02:00[Asia/Shanghai]"
    )]
    NoOffset { text: String },
    #[error(
        "'{text}' has the UTC offset {offset}, which no time zone uses; offsets run from \
         -12:00 to +14:00, in whole minutes"
    )]
    OffsetNotInUse { text: String, offset: String },
    #[error("'{text}' has a fraction of a second; give the time to the minute or the second")]
    FractionOfSecond { text: String },
    #[error(
        "'{text}' names the time zone '{zone}', which this machine's time-zone database does \
         not know; use an IANA name such as Asia/Shanghai or Europe/Berlin"
    )]
    UnknownZone { text: String, zone: String },
    #[error(
        "'{text}': {zone} is at {actual} at that time, not {given}; correct the offset or \
         leave it out, as in 2027-01-28T02:00[Asia/Shanghai]"
    )]
    OffsetNotOfZone { text: String, zone: String, given: String, actual: String },
    #[error(
        "'{text}': that local time does not exist in {zone}: clocks skip it, going from \
         {before} to {after}; choose a time before or after the change"
    )]
    Skipped { text: String, zone: String, before: String, after: String },
    #[error(
        "'{text}': that local time happens twice in {zone}: clocks go back from {before} to \
         {after}; add the offset to say which, as in {example}"
    )]
    Repeated { text: String, zone: String, before: String, after: String, example: String },
    #[error("'{text}' is too near the limits of the supported dates (years -9999 to 9999)")]
    TimeOutOfRange { text: String },
    #[error(
        "a deadline of a drill at {at} falls outside the supported dates (years -9999 to 9999)"
    )]
    OutOfRange { at: String },
}

/// Reads a date and time with its UTC offset (RFC 3339, with or without seconds), or a
/// bracketed time-zone name (RFC 9557), or both: `2027-01-28T02:00+08:00`,
/// `2027-01-28T02:00[Asia/Shanghai]`. Seconds are kept; a fraction of a second, an
/// offset no zone uses, and a local time that a zone skips or repeats (without the
/// offset that picks one) are refused.
pub fn parse_time(text: &str) -> Result<ZonedDateTime, TimeError> {
    let text_owned = || text.to_owned();
    let pieces = Pieces::parse(text).map_err(|_| TimeError::Unreadable {
        text: text_owned(),
        reason: unreadable_reason(text),
    })?;

    // The local date and time, to the second
    let Some(time) = pieces.time() else {
        return Err(TimeError::NoTime { text: text_owned() });
    };
    if time.subsec_nanosecond() != 0 {
        return Err(TimeError::FractionOfSecond { text: text_owned() });
    }
    let datetime = pieces.date().to_datetime(time);

    // The offset as written, if any, within the offsets in use
    let given = pieces.to_numeric_offset();
    if let Some(offset) = given.filter(|o| !offset_in_use(*o)) {
        return Err(TimeError::OffsetNotInUse { text: text_owned(), offset: show_offset(offset) });
    }
    let out_of_range = |_| TimeError::TimeOutOfRange { text: text_owned() };

    // Without a zone name, the offset alone
    let Some(annotation) = pieces.time_zone_annotation() else {
        let offset = given.ok_or_else(|| TimeError::NoOffset { text: text_owned() })?;
        let zone = TimeZone::fixed(offset);
        return datetime.to_zoned_datetime(zone).map_err(out_of_range);
    };

    // With a zone name: an instant in UTC (Z) is shown in the zone; otherwise the local
    // time must exist there once, or the offset must say which
    let zone = annotation.to_time_zone().map_err(|_| TimeError::UnknownZone {
        text: text_owned(),
        zone: match annotation.kind() {
            TimeZoneAnnotationKind::Named(name) => name.as_str().to_owned(),
            _ => text_owned(),
        },
    })?;
    if let Ok(fixed) = zone.to_fixed_offset()
        && !offset_in_use(fixed)
    {
        return Err(TimeError::OffsetNotInUse { text: text_owned(), offset: show_offset(fixed) });
    }
    let name = zone.iana_name().map_or_else(|| "that zone".to_owned(), str::to_owned);
    if matches!(pieces.offset(), Some(PiecesOffset::Zulu)) {
        let instant = datetime.to_zoned_datetime(TimeZone::UTC).map_err(out_of_range)?;
        return Ok(instant.timestamp().to_zoned_datetime(zone));
    }
    let ambiguous = zone.to_ambiguous_zoned_datetime(datetime);
    let offset = match (ambiguous.offset(), given) {
        (AmbiguousOffset::Unambiguous { offset }, None) => offset,
        (AmbiguousOffset::Unambiguous { offset }, Some(given)) if offset == given => offset,
        (AmbiguousOffset::Unambiguous { offset }, Some(given)) => {
            return Err(TimeError::OffsetNotOfZone {
                text: text_owned(),
                zone: name,
                given: show_offset(given),
                actual: show_offset(offset),
            });
        }
        (AmbiguousOffset::Gap { before, after }, _) => {
            return Err(TimeError::Skipped {
                text: text_owned(),
                zone: name,
                before: show_offset(before),
                after: show_offset(after),
            });
        }
        (AmbiguousOffset::Fold { before, after }, Some(given))
            if given == before || given == after =>
        {
            given
        }
        (AmbiguousOffset::Fold { before, after }, _) => {
            let example =
                format!("{}{}[{name}]", datetime.strftime("%Y-%m-%dT%H:%M"), show_offset(before));
            return Err(TimeError::Repeated {
                text: text_owned(),
                zone: name,
                before: show_offset(before),
                after: show_offset(after),
                example,
            });
        }
    };
    let instant = datetime.to_zoned_datetime(TimeZone::fixed(offset)).map_err(out_of_range)?;
    Ok(instant.timestamp().to_zoned_datetime(zone))
}

/// Whether a real time zone uses `offset`: within -12:00 to +14:00, in whole minutes.
fn offset_in_use(offset: Offset) -> bool {
    OFFSETS_IN_USE.contains(&offset.seconds()) && offset.seconds() % 60 == 0
}

/// An offset as written in a time: `+08:00`, `-03:30` (with seconds where it has any).
fn show_offset(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, rest) = (s / 3600, s % 3600 / 60, s % 60);
    if rest == 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}:{m:02}:{rest:02}")
    }
}

/// What is wrong with a time the date library could not read, in plain words: a date
/// or a time of day that does not exist, or a shape that is not a time at all.
fn unreadable_reason(text: &str) -> String {
    let number = |range: std::ops::Range<usize>| -> Option<i16> {
        let part = text.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let dashes = text.get(4..5) == Some("-") && text.get(7..8) == Some("-");
    let (Some(year), Some(month), Some(day), true) =
        (number(0..4), number(5..7), number(8..10), dashes)
    else {
        return "it does not start with a date written year-month-day".to_owned();
    };
    if !(1..=12).contains(&month) {
        return format!("there is no month {month}");
    }
    let month = i8::try_from(month).unwrap_or(1);
    if let Ok(first) = Date::new(year, month, 1) {
        let days = i16::from(first.days_in_month());
        if day < 1 || day > days {
            let month_name = first.strftime("%B %Y");
            return format!("{month_name} has no day {day}; it has {days} days");
        }
    }
    let hour = number(11..13);
    let minute = number(14..16);
    match (text.get(10..11), hour, minute) {
        (Some("T" | "t" | " "), Some(h), _) if h > 23 => format!("there is no hour {h}"),
        (Some("T" | "t" | " "), _, Some(m)) if m > 59 => format!("there is no minute {m}"),
        _ => "it does not read as a date, 'T', a time of day and a UTC offset or zone name"
            .to_owned(),
    }
}

/// The time a deadline falls for a drill at `drill`.
pub fn due_at(due: Due, drill: &ZonedDateTime) -> Result<ZonedDateTime, TimeError> {
    let out_of_range = |_| TimeError::OutOfRange { at: show(drill) };
    match due {
        Due::DaysBefore(days) => drill.checked_sub(days.days()).map_err(out_of_range),
        Due::WholeDaysBefore(days) => {
            let day: Date = drill.date().checked_sub(days.days()).map_err(out_of_range)?;
            day.to_zoned_datetime(drill.time_zone().clone()).map_err(out_of_range)
        }
        Due::AtDrill => Ok(drill.clone()),
        Due::DaysAfter(days) => drill.checked_add(days.days()).map_err(out_of_range),
    }
}

/// Every deadline of the eleven steps for a drill at `drill`, in step order.
pub fn deadlines(drill: &ZonedDateTime) -> Result<Vec<Dated>, TimeError> {
    let mut dated = Vec::new();
    for step in &STEPS {
        for deadline in step.deadlines {
            dated.push(Dated { step, deadline, at: due_at(deadline.due, drill)? });
        }
    }
    Ok(dated)
}

/// A time as people read it: `Thu 2027-01-28 02:00 +08:00`, with the seconds where
/// there are any (`02:00:30`).
pub fn show(at: &ZonedDateTime) -> String {
    let format =
        if at.second() == 0 { "%a %Y-%m-%d %H:%M %:z" } else { "%a %Y-%m-%d %H:%M:%S %:z" };
    at.strftime(format).to_string()
}

/// The local day by whose end a whole-days deadline falls due (the day before the
/// midnight it is laid on); none for the other deadlines.
pub fn closing_day(dated: &Dated) -> Option<Date> {
    match dated.deadline.due {
        Due::WholeDaysBefore(_) => dated.at.date().yesterday().ok(),
        _ => None,
    }
}

/// How a deadline reads: its time, or for a whole-days deadline the day it closes.
pub fn show_due(dated: &Dated) -> String {
    match closing_day(dated) {
        Some(day) => format!("end of {}", day.strftime("%a %Y-%m-%d")),
        None => show(&dated.at),
    }
}

/// Length of the event of a single timed deadline \[minutes\]; also how long before the
/// end of its day a whole-days deadline starts when it opens a timed event.
const EVENT_MINUTES: i64 = 30;

/// When the event of one step takes place. A step due only by the end of a day or of
/// days is an all-day event on those local days, so that a calendar shows it on the
/// day it is due and not on the next. Otherwise the event runs from its first deadline
/// to its last; a whole-days deadline counts from half an hour before its day ends (so
/// that the event starts on that day); a single deadline lasts half an hour.
fn step_when(times: &[&Dated], drill: &ZonedDateTime) -> Result<ics::When, TimeError> {
    let out_of_range = |_| TimeError::OutOfRange { at: show(drill) };
    let days: Vec<Date> = times.iter().filter_map(|d| closing_day(d)).collect();
    if days.len() == times.len() {
        let first = *days.iter().min().expect("every step has a deadline");
        let last = *days.iter().max().expect("every step has a deadline");
        return Ok(ics::When::Days { first, last });
    }
    let mut starts = Vec::new();
    for d in times {
        let start = match closing_day(d) {
            Some(_) => d.at.checked_sub(EVENT_MINUTES.minutes()).map_err(out_of_range)?,
            None => d.at.clone(),
        };
        starts.push(start);
    }
    let start = starts.into_iter().min().expect("every step has a deadline");
    let last = times.iter().map(|d| &d.at).max().expect("every step has a deadline");
    let end = if *last > start {
        last.clone()
    } else {
        start.checked_add(EVENT_MINUTES.minutes()).map_err(out_of_range)?
    };
    Ok(ics::When::Timed { start, end })
}

/// The calendar events of one drill: one per step (see [`step_when`] for when), with a
/// UID stable for the same drill id and time.
pub fn events(id: &str, title: &str, drill: &ZonedDateTime) -> Result<Vec<ics::Event>, TimeError> {
    let dated = deadlines(drill)?;
    let stamp = drill.timestamp().strftime("%Y%m%dT%H%M%SZ").to_string();
    let slug: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let mut events = Vec::new();
    for step in &STEPS {
        let times: Vec<&Dated> = dated.iter().filter(|d| d.step.number == step.number).collect();
        let dues: Vec<String> =
            times.iter().map(|d| format!("{}: {}", d.deadline.what, show_due(d))).collect();
        let mut description = format!(
            "Art. 23 step {} ({}) of drill {id}: {title}, at {}.\nWho: {}.\nChannel: {}.\nDue: {}.",
            step.number,
            step.phase,
            show(drill),
            step.role,
            step.channel,
            dues.join("; ")
        );
        if !step.note.is_empty() {
            description.push_str(&format!("\nNote: {}.", step.note));
        }
        events.push(ics::Event {
            uid: format!("{slug}-{stamp}-step-{}@drillsim", step.number),
            when: step_when(&times, drill)?,
            summary: format!("Drill {id}, step {}: {}", step.number, step.what),
            description,
            categories: vec!["drill".to_owned(), step.phase.to_owned()],
        });
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> ZonedDateTime {
        parse_time(text).unwrap()
    }

    #[test]
    fn the_manuals_example_notice_closes_on_the_25th_for_a_drill_on_the_28th() {
        // Art. 23 step 6: a drill on 28 Jan at 02:00 is announced on 25 Jan
        let drill = at("2027-01-28T02:00+08:00");
        let due = due_at(Due::WholeDaysBefore(2), &drill).unwrap();
        assert_eq!(show(&due), "Tue 2027-01-26 00:00 +08:00");
        let dated = deadlines(&drill).unwrap();
        let notice = dated.iter().find(|d| d.step.number == 6).unwrap();
        assert_eq!(show_due(notice), "end of Mon 2027-01-25");
    }

    #[test]
    fn weeks_before_keep_the_clock_time_and_the_offset() {
        let drill = at("2027-01-28T02:00+08:00");
        assert_eq!(
            show(&due_at(Due::DaysBefore(14), &drill).unwrap()),
            "Thu 2027-01-14 02:00 +08:00"
        );
        assert_eq!(
            show(&due_at(Due::DaysAfter(1), &drill).unwrap()),
            "Fri 2027-01-29 02:00 +08:00"
        );
    }

    #[test]
    fn every_step_has_a_deadline_and_they_are_numbered_in_order() {
        for (i, step) in STEPS.iter().enumerate() {
            assert_eq!(usize::from(step.number), i + 1);
            assert!(!step.deadlines.is_empty(), "step {}", step.number);
        }
    }

    #[test]
    fn a_named_zone_follows_its_daylight_saving_rules() {
        // Two weeks before a drill on 2 Apr 2027 in Berlin crosses the change to summer
        // time on 28 Mar: the clock time stays 02:00, the offset changes
        let drill = at("2027-04-02T02:00+02:00[Europe/Berlin]");
        let due = due_at(Due::DaysBefore(14), &drill).unwrap();
        assert_eq!(show(&due), "Fri 2027-03-19 02:00 +01:00");
    }

    #[test]
    fn a_step_due_by_the_end_of_a_day_is_an_all_day_event_on_that_day() {
        let drill = at("2027-01-28T02:00+08:00");
        let events = events("E1", "fire", &drill).unwrap();
        let day = |d: i8| Date::new(2027, 1, d).unwrap();
        assert_eq!(events[5].when, ics::When::Days { first: day(25), last: day(25) });
        let ics::When::Timed { start, end } = &events[6].when else { panic!("step 7 is timed") };
        assert_eq!(
            (show(start), show(end)),
            ("Mon 2027-01-25 23:30 +08:00".to_owned(), "Thu 2027-01-28 02:00 +08:00".to_owned())
        );
    }

    #[test]
    fn bad_times_are_refused_with_what_is_wrong() {
        assert!(matches!(parse_time("2027-02-30T02:00+08:00"), Err(TimeError::Unreadable { .. })));
        assert!(matches!(
            parse_time("2027-01-28T02:00-13:00"),
            Err(TimeError::OffsetNotInUse { .. })
        ));
        assert!(matches!(
            parse_time("2027-01-28T02:00[+15:00]"),
            Err(TimeError::OffsetNotInUse { .. })
        ));
        assert!(matches!(parse_time("2027-01-28T02:00"), Err(TimeError::NoOffset { .. })));
        assert!(matches!(parse_time("2027-01-28"), Err(TimeError::NoTime { .. })));
        assert_eq!(show(&at("2027-01-27T18:00Z")), "Wed 2027-01-27 18:00 +00:00");
    }
}
