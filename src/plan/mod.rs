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
use jiff::fmt::temporal::Pieces;
use jiff::tz::TimeZone;
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

/// One of the eleven steps of a drill (Art. 23, DOMAIN.md §9).
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

/// Why a time or a plan cannot be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TimeError {
    #[error("'{text}' is not a date and time: {reason}")]
    Unreadable { text: String, reason: String },
    #[error("'{text}' has no time of day; give one, as in 2027-01-28T02:00+08:00")]
    NoTime { text: String },
    #[error(
        "'{text}' has no UTC offset, so the deadlines would depend on this machine's time \
         zone; add one, as in 2027-01-28T02:00+08:00, or a zone name, as in \
         2027-01-28T02:00+08:00[Asia/Shanghai]"
    )]
    NoOffset { text: String },
    #[error(
        "a deadline of a drill at {at} falls outside the supported dates (years -9999 to 9999)"
    )]
    OutOfRange { at: String },
}

/// Reads a date and time with its UTC offset (RFC 3339, with or without seconds), and
/// optionally a bracketed time-zone name (RFC 9557): `2027-01-28T02:00+08:00`.
pub fn parse_time(text: &str) -> Result<ZonedDateTime, TimeError> {
    let unreadable =
        |e: jiff::Error| TimeError::Unreadable { text: text.to_owned(), reason: e.to_string() };
    let pieces = Pieces::parse(text).map_err(unreadable)?;
    if pieces.time().is_none() {
        return Err(TimeError::NoTime { text: text.to_owned() });
    }
    if pieces.time_zone_annotation().is_some() {
        return text.parse::<ZonedDateTime>().map_err(unreadable);
    }
    let Some(offset) = pieces.to_numeric_offset() else {
        return Err(TimeError::NoOffset { text: text.to_owned() });
    };
    let instant = text.parse::<jiff::Timestamp>().map_err(unreadable)?;
    Ok(instant.to_zoned_datetime(TimeZone::fixed(offset)))
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

/// A time as people read it: `Thu 2027-01-28 02:00 +08:00`.
pub fn show(at: &ZonedDateTime) -> String {
    at.strftime("%a %Y-%m-%d %H:%M %:z").to_string()
}

/// How a deadline reads: its time, or for a whole-days deadline the day it closes.
pub fn show_due(dated: &Dated) -> String {
    match dated.deadline.due {
        Due::WholeDaysBefore(_) => match dated.at.date().yesterday() {
            Ok(day) => format!("end of {}", day.strftime("%a %Y-%m-%d")),
            Err(_) => show(&dated.at),
        },
        _ => show(&dated.at),
    }
}

/// The calendar events of one drill: one per step, from its first deadline to its
/// last (or half an hour for a single deadline), with a UID stable for the same drill
/// id and time.
pub fn events(id: &str, title: &str, drill: &ZonedDateTime) -> Result<Vec<ics::Event>, TimeError> {
    let dated = deadlines(drill)?;
    let stamp = drill.timestamp().strftime("%Y%m%dT%H%M%SZ").to_string();
    let slug: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let mut events = Vec::new();
    for step in &STEPS {
        let times: Vec<&Dated> = dated.iter().filter(|d| d.step.number == step.number).collect();
        let start = times.iter().map(|d| &d.at).min().expect("every step has a deadline");
        let last = times.iter().map(|d| &d.at).max().expect("every step has a deadline");
        let end = if last > start {
            last.clone()
        } else {
            start
                .checked_add(30.minutes())
                .map_err(|_| TimeError::OutOfRange { at: show(drill) })?
        };
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
            start: start.clone(),
            end,
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
    fn bad_times_are_refused_with_what_is_wrong() {
        assert!(matches!(parse_time("2027-02-30T02:00+08:00"), Err(TimeError::Unreadable { .. })));
        assert!(matches!(parse_time("2027-01-28T02:00"), Err(TimeError::NoOffset { .. })));
        assert!(matches!(parse_time("2027-01-28"), Err(TimeError::NoTime { .. })));
        assert_eq!(show(&at("2027-01-27T18:00Z")), "Wed 2027-01-27 18:00 +00:00");
    }
}
