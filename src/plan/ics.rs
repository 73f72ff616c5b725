//! Calendars in the iCalendar format (RFC 5545) that calendar programs import.
//!
//! One `VEVENT` per entry, lines ended by CRLF and folded at 75 octets, text values
//! escaped. A timed event is written in UTC (so no `VTIMEZONE` is needed); an all-day
//! event as dates (`VALUE=DATE`), which a calendar shows on those days in any zone.
//! Every value comes from the inputs: `UID`s are stable for the same drill and time,
//! and `DTSTAMP` is given by the caller (derived from the drill time), so the same
//! inputs give the same bytes.

use std::fmt::Write as _;

use jiff::ZonedDateTime;
use jiff::civil::Date;

/// When an event takes place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// From `start` to `end`, which comes after it.
    Timed { start: ZonedDateTime, end: ZonedDateTime },
    /// Whole days, from `first` to `last` (both included), as local dates.
    Days { first: Date, last: Date },
}

/// One event of a calendar.
#[derive(Debug, Clone)]
pub struct Event {
    /// Unique and stable: the same event of the same drill keeps it when re-exported.
    pub uid: String,
    pub when: When,
    pub summary: String,
    pub description: String,
    pub categories: Vec<String>,
}

/// A calendar of `events`, each stamped with `stamp` (`DTSTAMP`).
pub fn calendar(events: &[Event], stamp: &ZonedDateTime) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        format!("PRODID:-//drillsim//drillsim {}//EN", env!("CARGO_PKG_VERSION")),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
    ];
    for e in events {
        lines.push("BEGIN:VEVENT".to_owned());
        lines.push(format!("UID:{}", text(&e.uid)));
        lines.push(format!("DTSTAMP:{}", utc(stamp)));
        match &e.when {
            When::Timed { start, end } => {
                lines.push(format!("DTSTART:{}", utc(start)));
                lines.push(format!("DTEND:{}", utc(end)));
            }
            When::Days { first, last } => {
                // DTEND of an all-day event is the day after the last (RFC 5545 §3.6.1)
                let after = last.tomorrow().unwrap_or(*last);
                lines.push(format!("DTSTART;VALUE=DATE:{}", first.strftime("%Y%m%d")));
                lines.push(format!("DTEND;VALUE=DATE:{}", after.strftime("%Y%m%d")));
            }
        }
        lines.push(format!("SUMMARY:{}", text(&e.summary)));
        lines.push(format!("DESCRIPTION:{}", text(&e.description)));
        let categories: Vec<String> = e.categories.iter().map(|c| text(c)).collect();
        lines.push(format!("CATEGORIES:{}", categories.join(",")));
        lines.push("TRANSP:TRANSPARENT".to_owned());
        lines.push("END:VEVENT".to_owned());
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut ics = String::new();
    for line in lines {
        let _ = write!(ics, "{}\r\n", fold(&line));
    }
    ics
}

/// A time in UTC, in the basic format of RFC 5545: `20270127T180000Z`.
fn utc(at: &ZonedDateTime) -> String {
    at.timestamp().strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value with backslash, semicolon, comma and line breaks escaped (RFC 5545
/// §3.3.11).
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Octets of a content line before it is folded (RFC 5545 §3.1).
const LINE_OCTETS: usize = 75;

/// A content line folded into lines of at most 75 octets, each continuation starting
/// with one space; a UTF-8 character is never split.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / LINE_OCTETS * 3);
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_keeps_every_line_within_75_octets_and_whole_characters() {
        let line = format!("DESCRIPTION:{}", "沙河 Shahe ".repeat(20));
        let folded = fold(&line);
        for part in folded.split("\r\n") {
            assert!(part.len() <= LINE_OCTETS, "{} octets: {part:?}", part.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, line);
    }

    #[test]
    fn text_escapes_the_characters_rfc_5545_reserves() {
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
