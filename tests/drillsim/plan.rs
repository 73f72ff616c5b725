//! `drillsim plan` through the real binary: the Art. 23 steps of the manual's example
//! drill, deadlines already past, the calendar file and a year of drills.

use std::path::Path;

use super::audit::{Output, drillsim};
use super::cli::run;

/// The manual's example drill time (Art. 23: a drill on 28 Jan at 02:00).
const AT: &str = "2027-01-28T02:00+08:00";

fn plan(args: &[&str]) -> Output {
    drillsim(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

#[test]
fn plan_of_the_manuals_example_gives_each_step_its_due_date() {
    let out = plan(&["plan", "E1", "--at", AT, "--now", "2026-12-01T09:00+08:00"]);
    out.assert_code(0);
    assert_eq!(out.stderr, "", "nothing is past a month and a half before");
    assert!(!out.stdout.contains("PAST"));
    let lines: Vec<&str> = out.stdout.lines().collect();
    let due = |what: &str| {
        let line = lines.iter().find(|l| l.trim_start().starts_with(what)).unwrap();
        line.split_once(" by ").unwrap().1.trim().to_owned()
    };
    assert_eq!(due("plan agreed"), "Thu 2027-01-14 02:00 +08:00");
    assert_eq!(due("WeChat's assessment back"), "Thu 2027-01-21 02:00 +08:00");
    assert_eq!(due("pre-checks done"), "Thu 2027-01-21 02:00 +08:00");
    assert_eq!(due("day-before checks start"), "Tue 2027-01-26 02:00 +08:00");
    // The manual's own example: drill 28 Jan 02:00, notices on 25 Jan
    assert_eq!(due("roles and places sent"), "end of Mon 2027-01-25");
    assert_eq!(due("customer service told"), "end of Mon 2027-01-25");
    assert_eq!(due("partners told"), "end of Tue 2027-01-26");
    assert_eq!(due("formal email sent"), "end of Tue 2027-01-26");
    assert_eq!(due("summary sent"), "Fri 2027-01-29 02:00 +08:00");
    for n in 1..=11 {
        assert!(lines.iter().any(|l| l.starts_with(&format!("{n:>2}. "))), "step {n}");
    }
}

#[test]
fn plan_warns_of_deadlines_already_past_and_is_the_same_for_the_same_now() {
    let args = ["plan", "E1", "--at", AT, "--now", "2027-01-26T12:00+08:00"];
    let out = plan(&args);
    out.assert_code(0);

    // Everything due by the end of 25 Jan and at 02:00 on the 26th is past; the partner
    // and formal notices (end of the 26th) are not yet
    let warned: Vec<&str> = out.stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warned.len(), 8, "{warned:#?}");
    assert!(out.stderr.contains("step 6 'roles and places sent' was due end of Mon 2027-01-25"));
    assert!(!out.stderr.contains("partners told"));
    assert_eq!(out.stdout.matches("PAST").count(), 8);
    let again = plan(&args);
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (again.stdout.as_str(), again.stderr.as_str())
    );
}

#[test]
fn plan_ics_is_an_rfc_5545_calendar_with_one_event_per_step() {
    let out = plan(&["plan", "E1", "--at", AT, "--format", "ics", "--now", "2027-01-01T00:00Z"]);
    out.assert_code(0);
    let ics = &out.stdout;

    // CRLF line endings only, lines folded at 75 octets
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert_eq!(ics.matches('\n').count(), ics.matches("\r\n").count());
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }

    // One event per step, each with its own stable UID and a stamp from the inputs
    assert_eq!(ics.matches("BEGIN:VEVENT\r\n").count(), 11);
    let uids: Vec<&str> = ics.lines().filter(|l| l.starts_with("UID:")).collect();
    let mut unique = uids.clone();
    unique.dedup();
    assert_eq!(unique.len(), 11);
    assert_eq!(uids[0], "UID:E1-20270127T180000Z-step-1@drillsim");
    assert!(ics.contains("DTSTAMP:20270127T180000Z\r\n"));
    assert!(ics.contains("DTSTART:20270113T180000Z\r\n"), "step 2: two weeks before");

    // The calendar does not depend on --now
    let later = plan(&["plan", "E1", "--at", AT, "--format", "ics", "--now", "2027-06-01T00:00Z"]);
    assert_eq!(ics, &later.stdout);

    // A calendar program's parser reads it back: Python's icalendar, which `.ci/run`
    // installs; elsewhere the check is skipped, with a notice, when it is missing
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("e1.ics"), ics).unwrap();
    let check = "import icalendar,sys; c=icalendar.Calendar.from_ical(open('e1.ics','rb').read()); \
                 print(len(c.walk('VEVENT')))";
    if !has_icalendar(dir.path()) {
        return;
    }
    let read = run(dir.path(), "python3", &["-c", check]);
    read.assert_code(0);
    assert_eq!(read.stdout.trim(), "11");
}

#[test]
fn plan_refuses_bad_dates_with_what_is_wrong() {
    let cases = [
        ("2027-02-30T02:00+08:00", "February 2027 has no day 30; it has 28 days"),
        ("2027-01-28T02:00", "has no UTC offset"),
        ("2027-01-28", "has no time of day"),
        ("28/01/2027 02:00", "is not a date and time"),
    ];
    for (at, message) in cases {
        let out = plan(&["plan", "E1", "--at", at]);
        out.assert_code(2);
        assert!(out.stderr.contains(message), "--at {at}: {}", out.stderr);
        assert_eq!(out.stdout, "");
    }
    let out = plan(&["plan", "Z9", "--at", AT]);
    out.assert_code(2);
    assert!(out.stderr.contains("Z9: no such drill file, nor a bundled drill of that id"));
    plan(&["plan", "--calendar", "0"]).assert_code(2);
    plan(&["plan", "E1"]).assert_code(2);
}

#[test]
fn plan_calendar_lays_out_a_year_by_the_cadence_of_art_22_and_art_9() {
    let out = plan(&["plan", "--calendar", "2027"]);
    out.assert_code(0);
    let count = |kind: &str| out.stdout.lines().filter(|l| l.contains(kind)).count();
    assert_eq!(count("quick pay (快捷支付) drill"), 12);
    assert_eq!(count("balance pay (余额支付) drill"), 6);
    assert_eq!(count("whole emergency plan drill; report to the regulator"), 2);

    let ics = plan(&["plan", "--calendar", "2027", "--format", "ics"]);
    ics.assert_code(0);
    assert_eq!(ics.stdout.matches("BEGIN:VEVENT\r\n").count(), 20);
    assert!(ics.stdout.contains("UID:quick-pay-20270127T180000Z@drillsim\r\n"));
}

/// Whether Python's icalendar is there to read calendars back; in CI it must be
/// (`.ci/run` installs it), elsewhere a missing one skips the read-back, with a notice.
fn has_icalendar(cwd: &Path) -> bool {
    let python = run(cwd, "python3", &["-c", "import icalendar"]);
    if python.code != Some(0) {
        let in_ci = std::env::var("CI").as_deref() == Ok("true");
        assert!(!in_ci, "Python's icalendar is missing in CI: `.ci/run` installs it");
        eprintln!("notice: Python's icalendar is not installed; its read-back check is skipped");
        return false;
    }
    true
}

#[test]
fn plan_ics_shows_an_end_of_day_deadline_on_its_own_day_not_the_next() {
    // Step 6 of a drill at 2027-01-28T02:00+08:00 is due by the end of Mon 25 Jan
    // (local). Its event was 00:00-00:30 on Tue 26 local (DTSTART:20270125T160000Z);
    // the right answer is an all-day event on 25 Jan: DTSTART;VALUE=DATE:20270125 and
    // DTEND;VALUE=DATE:20270126. Step 7 (end of 25 Jan, and the notice configured by
    // the drill) starts on the evening of the 25th and ends at the drill time.
    let out = plan(&["plan", "E1", "--at", AT, "--format", "ics"]);
    out.assert_code(0);
    let ics = &out.stdout;
    assert!(ics.contains("DTSTART;VALUE=DATE:20270125\r\nDTEND;VALUE=DATE:20270126\r\n"));
    assert!(!ics.contains("DTSTART:20270125T160000Z"), "no event at midnight after the day");
    assert!(ics.contains("DTSTART:20270125T153000Z\r\nDTEND:20270127T180000Z\r\n"), "step 7");

    // Read back by icalendar, each step starts on the local day its first deadline
    // falls on (all-day events as dates, timed ones in +08:00)
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("e1.ics"), ics).unwrap();
    if !has_icalendar(dir.path()) {
        return;
    }
    let check = "import icalendar, datetime\n\
                 c = icalendar.Calendar.from_ical(open('e1.ics','rb').read())\n\
                 tz = datetime.timezone(datetime.timedelta(hours=8))\n\
                 for e in c.walk('VEVENT'):\n\
                 \x20   s, n = e.decoded('DTSTART'), e.decoded('DTEND')\n\
                 \x20   if isinstance(s, datetime.datetime):\n\
                 \x20       s, n = s.astimezone(tz), n.astimezone(tz)\n\
                 \x20   print(str(e['SUMMARY']).split(':')[0], s.isoformat(), n.isoformat())\n";
    let read = run(dir.path(), "python3", &["-c", check]);
    read.assert_code(0);
    let lines: Vec<&str> = read.stdout.lines().collect();
    assert_eq!(lines[5], "Drill E1, step 6 2027-01-25 2027-01-26");
    assert_eq!(lines[6], "Drill E1, step 7 2027-01-25T23:30:00+08:00 2027-01-28T02:00:00+08:00");
    assert_eq!(lines[7], "Drill E1, step 8 2027-01-26 2027-01-27");
    assert_eq!(lines[8], "Drill E1, step 9 2027-01-26 2027-01-27");
}

#[test]
fn plan_refuses_a_utc_offset_that_no_time_zone_uses() {
    // --at 2027-01-28T02:00+25:00 was accepted and shown as "+25:00"; the right answer
    // is exit 2 with a message naming the range in use, -12:00 to +14:00, whole minutes
    for at in ["2027-01-28T02:00+25:00", "2027-01-28T02:00+14:01", "2027-01-28T02:00-12:30"] {
        let out = plan(&["plan", "E1", "--at", at]);
        out.assert_code(2);
        assert!(out.stderr.contains("which no time zone uses"), "--at {at}: {}", out.stderr);
        assert!(out.stderr.contains("-12:00 to +14:00"), "{}", out.stderr);
    }
    let out = plan(&["plan", "E1", "--at", "2027-01-28T02:00+08:00:30"]);
    out.assert_code(2);
    assert!(out.stderr.contains("the UTC offset +08:00:30, which no time zone uses"));
    for at in ["2027-01-28T02:00+14:00", "2027-01-28T02:00-12:00", "2027-01-28T02:00+05:45"] {
        plan(&["plan", "E1", "--at", at, "--now", "2027-01-01T00:00Z"]).assert_code(0);
    }
}

#[test]
fn plan_shows_the_seconds_of_a_drill_time_instead_of_dropping_them() {
    // --at 2027-01-28T02:00:30+08:00 was shown as "02:00 +08:00"; the right answer
    // keeps the seconds ("02:00:30"), in the deadlines laid on it too; a fraction of a
    // second is refused
    let at = "2027-01-28T02:00:30+08:00";
    let out = plan(&["plan", "E1", "--at", at, "--now", "2027-01-01T00:00+08:00"]);
    out.assert_code(0);
    assert!(out.stdout.contains("Drill time: Thu 2027-01-28 02:00:30 +08:00;"), "{}", out.stdout);
    assert!(out.stdout.contains("by Thu 2027-01-14 02:00:30 +08:00"));
    assert!(out.stdout.contains("compared with Fri 2027-01-01 00:00 +08:00"), "no :00 added");
    let out = plan(&["plan", "E1", "--at", "2027-01-28T02:00:30.5+08:00"]);
    out.assert_code(2);
    assert!(out.stderr.contains("has a fraction of a second"), "{}", out.stderr);
}

#[test]
fn plan_words_date_errors_plainly_with_their_precise_reason() {
    // The date library's own wording ("`reject` conflict resolution was chosen", "Unix
    // timestamp seconds ... overflowed") reached users; the right answer says what was
    // expected, or exactly what does not exist, in plain words
    let cases = [
        (
            "2027-03-28T02:30[Europe/Berlin]",
            "that local time does not exist in Europe/Berlin: clocks skip it, going from \
             +01:00 to +02:00",
        ),
        ("2027-03-28T02:30+01:00[Europe/Berlin]", "does not exist in Europe/Berlin"),
        (
            "2027-10-31T02:30[Europe/Berlin]",
            "that local time happens twice in Europe/Berlin: clocks go back from +02:00 to \
             +01:00; add the offset to say which, as in 2027-10-31T02:30+02:00[Europe/Berlin]",
        ),
        (
            "2027-01-28T02:00+09:00[Asia/Shanghai]",
            "Asia/Shanghai is at +08:00 at that time, not +09:00",
        ),
        ("2027-01-28T02:00[Mars/Olympus]", "names the time zone 'Mars/Olympus', which"),
        ("9999-12-31T23:00+08:00", "too near the limits of the supported dates"),
        ("2027-13-01T02:00+08:00", "there is no month 13"),
        ("2027-01-28T24:30+08:00", "there is no hour 24"),
        (
            "next thursday",
            "expected a time such as 2027-01-28T02:00+08:00 or 2027-01-28T02:00[Asia/Shanghai]",
        ),
    ];
    for (at, message) in cases {
        let out = plan(&["plan", "E1", "--at", at]);
        out.assert_code(2);
        assert!(out.stderr.contains(message), "--at {at}: {}", out.stderr);
        for raw in ["reject", "conflict resolution", "Unix timestamp", "overflowed", "`"] {
            assert!(!out.stderr.contains(raw), "--at {at}: the library's words: {}", out.stderr);
        }
    }

    // A time the zone does hold once, or twice with the offset that says which, is fine
    for at in ["2027-01-28T02:00[Asia/Shanghai]", "2027-10-31T02:30+01:00[Europe/Berlin]"] {
        plan(&["plan", "E1", "--at", at, "--now", "2027-01-01T00:00Z"]).assert_code(0);
    }
}
