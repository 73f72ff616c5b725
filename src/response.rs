//! The response to a major incident, as set by Art. 5-13 of the emergency manual.
//!
//! Four pieces, as data and pure functions:
//! - who is notified of an incident of each grade ([`NOTIFICATION_TABLE`],
//!   [`notification`]), from Art. 8;
//! - the Art. 8 checklist counted from the declaration of the incident
//!   ([`CHECKLIST`]);
//! - a response [`timeline`] laid on a simulated drill's clock: the
//!   declaration, the checklist, the progress updates to key partners, the
//!   customer-service answer and the announcement of the end, each marked as
//!   needed by the drill or not ([`Need`]);
//! - the [`margin`] to the next grade of Art. 4 ("more than 8 min of further outage ...").
//!
//! ```
//! use drillsim::response::{Need, timeline};
//!
//! // Detected 1 min after the first fault, recovered at 40 min: the incident is
//! // declared at 6 min and the whole Art. 8 checklist (due by 26 min) is needed.
//! let drill = timeline(Some(60.0), Some(2400.0), 3600.0);
//! assert_eq!(drill.declared_s, Some(360.0));
//! assert!(drill.milestones.iter().all(|m| m.need == Need::Needed));
//!
//! // Recovered at 3 min, before the incident would be declared: nothing is needed.
//! let drill = timeline(Some(60.0), Some(180.0), 3600.0);
//! assert_eq!(drill.needed().count(), 0);
//! ```
//!
//! Limits:
//! - The manual does not say how long after detection an incident is declared.
//!   Our convention: the on-duty response of Art. 13 ("within 5 minutes") taken
//!   at its full length, [`ON_DUTY_RESPONSE_S`] after detection. Detection is
//!   whatever the caller passes (in the simulation, the first notice by a
//!   mechanism or a person); no alerting delay is added.
//! - The timeline assumes the incident is declared. Whether it is a major
//!   incident at all is for the team manager to grade (Art. 7, with the Art. 4
//!   table); a drill whose outage stays below the bar would not set any of this
//!   in motion. Combine the timeline with [`crate::grade`] and [`notification`].
//! - Every step of the checklist is a deadline ("within 5 minutes"); the
//!   timeline places each at its deadline, the latest time it may be done.
//! - A step is needed when it is due while the business still fails; at the
//!   very instant of recovery it is not. Two exceptions are owed once the
//!   incident is declared, whenever they fall: the customer-service answer and
//!   the announcement of the end.
//! - Progress updates: the manual says "at least every 30 minutes" without a
//!   start; the first is taken 30 minutes after the declaration. They stop at
//!   recovery, at the horizon of a drill that never recovers, and after
//!   [`MAX_PROGRESS_UPDATES`].
//! - The DOMAIN digest places the customer-service rules somewhere in Art.
//!   10-13 without a single article; they are cited as such.
//! - Not modelled: on-duty hours (office on weekdays, VPN at weekends, each
//!   business on its own outside 9:30-20:00), the end-of-day answer window,
//!   ordinary complaints (96 h to answer, 120 h to resolve), the two phases of
//!   Art. 9, the summary report and the six-monthly drills.

use std::fmt;

use serde::Serialize;

use crate::grade::{self, Business, Grade};
use crate::timing::human;

/// Seconds in a minute.
const MIN: f64 = 60.0;
/// Seconds in an hour.
const HOUR: f64 = 3600.0;

/// Time the person on duty takes to respond (seconds): "within 5 minutes"
/// (Art. 13). The timeline takes all of it: the incident is declared this long
/// after detection.
pub const ON_DUTY_RESPONSE_S: f64 = 5.0 * MIN;

/// Time between progress updates to key partners, WeChat and Mobile QQ
/// (seconds): "at least every 30 minutes" while the fault lasts (Art. 5-6,
/// Art. 13).
pub const PROGRESS_INTERVAL_S: f64 = 30.0 * MIN;

/// Time customer service has to answer a major fault (seconds from the
/// declaration): "within 2 hours" (Art. 10-13).
pub const CUSTOMER_ANSWER_S: f64 = 2.0 * HOUR;

/// Most progress updates a timeline lists: 48, a day of half-hourly updates.
/// Our cap, not the manual's: a drill that never recovers would have no end.
pub const MAX_PROGRESS_UPDATES: usize = 48;

// ---------------------------------------------------------------------------
// Who is notified (Art. 8)

/// One row of the Art. 8 notification table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NotificationRow {
    /// The grade of the row, 1 to 4 (grade 5 has no row).
    pub grade: u8,
    /// The manual's description of the grade.
    pub description: &'static str,
    /// The roles notified, in the manual's order.
    pub roles: &'static [&'static str],
    /// Where in the company the notice goes.
    pub scope: &'static str,
}

/// Roles notified of every graded row.
const STAFF_TO_DIRECTORS: &[&str] = &["staff", "team leaders", "directors"];
/// Roles notified of a grade-2 incident.
const STAFF_TO_MANAGERS: &[&str] = &["staff", "team leaders", "directors", "department managers"];
/// Roles notified of a grade-1 incident.
const STAFF_TO_EXECUTIVES: &[&str] =
    &["staff", "team leaders", "directors", "department managers", "executive office (CXO/EVP)"];

/// Scope of grades 1 and 2.
const COMPANY_WIDE: &str = "company-wide";
/// Scope of grades 3 and 4.
const PLATFORM_AND_LINES: &str = "platform R&D and the business lines involved";

/// The Art. 8 table of who is notified, grades 1 to 4; the manual gives no
/// row for grade 5.
pub const NOTIFICATION_TABLE: [NotificationRow; 4] = [
    NotificationRow {
        grade: 1,
        description: "very severe",
        roles: STAFF_TO_EXECUTIVES,
        scope: COMPANY_WIDE,
    },
    NotificationRow {
        grade: 2,
        description: "severe",
        roles: STAFF_TO_MANAGERS,
        scope: COMPANY_WIDE,
    },
    NotificationRow {
        grade: 3,
        description: "severe",
        roles: STAFF_TO_DIRECTORS,
        scope: PLATFORM_AND_LINES,
    },
    NotificationRow {
        grade: 4,
        description: "severe",
        roles: STAFF_TO_DIRECTORS,
        scope: PLATFORM_AND_LINES,
    },
];

/// Who is notified of an incident, by [`notification`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// The grade notified about; `None`: below the major-incident bar.
    pub grade: Option<Grade>,
    /// The manual's description of the grade, or why there is none.
    pub description: &'static str,
    /// The roles notified; empty for grade 5 (not stated) and below the bar
    /// (nobody).
    pub roles: Vec<&'static str>,
    /// Where the notice goes, or why nowhere is stated.
    pub scope: &'static str,
    /// The clause of the manual.
    pub clause: &'static str,
}

/// Who Art. 8 notifies of an incident of `grade` (`None`: below the bar).
///
/// Grade 5 has no row in the manual: the roles are empty and the scope says
/// so; that is "not stated", not "nobody". Below the bar there is no
/// major-incident notification at all.
pub fn notification(grade: Option<Grade>) -> Notification {
    let row = grade.and_then(|g| NOTIFICATION_TABLE.iter().find(|r| r.grade == g.number()));
    let (description, roles, scope) = match (grade, row) {
        (_, Some(row)) => (row.description, row.roles.to_vec(), row.scope),
        (Some(_), None) => (
            "not described: the manual's table has no row for grade 5",
            Vec::new(),
            "not stated: the manual gives no row for grade 5, so who is notified is unknown",
        ),
        (None, None) => {
            ("below the major-incident bar", Vec::new(), "none: no major-incident notification")
        }
    };
    Notification { grade, description, roles, scope, clause: "Art. 8" }
}

// ---------------------------------------------------------------------------
// The checklist from the declaration (Art. 8)

/// One step of the Art. 8 checklist.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ChecklistStep {
    /// Deadline of the step \[seconds after the declaration\].
    pub within_s: f64,
    /// What must be done by then.
    pub what: &'static str,
    /// The clause of the manual.
    pub clause: &'static str,
}

/// A checklist step due `minutes` after the declaration.
const fn step(minutes: f64, what: &'static str) -> ChecklistStep {
    ChecklistStep { within_s: minutes * MIN, what, clause: "Art. 8" }
}

/// The Art. 8 checklist, in the manual's order, counted from the declaration.
pub const CHECKLIST: [ChecklistStep; 6] = [
    step(5.0, "major-incident members notified, symptoms announced, process started"),
    step(10.0, "every affected business owner notified and the impact summarised"),
    step(15.0, "response team in place (VPN first, else on site), detailed impact assessment"),
    step(20.0, "external announcement issued and front-line customer service told (one voice)"),
    step(20.0, "every business owner in place"),
    step(20.0, "business recovery and checks under way"),
];

// ---------------------------------------------------------------------------
// The response timeline of a drill

/// What a milestone of the timeline is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The incident is declared and the process started (Art. 7, Art. 13).
    Declaration,
    /// A step of the Art. 8 checklist.
    Checklist,
    /// A progress update to key partners (Art. 5-6, Art. 13).
    ProgressUpdate,
    /// Customer service answers the major fault (Art. 10-13).
    CustomerAnswer,
    /// The end of the incident is announced (Art. 5-6).
    EndAnnouncement,
}

/// Whether a drill needs a milestone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// Due while the business still failed, or owed once the incident was
    /// declared: the drill needs it.
    Needed,
    /// Due at or after recovery (or owed by a declaration that recovery
    /// forestalled): not needed.
    RecoveredFirst,
    /// Due after the horizon of a drill still failing then: beyond what was
    /// simulated.
    PastHorizon,
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Need::Needed => "needed",
            Need::RecoveredFirst => "not needed: recovered first",
            Need::PastHorizon => "past the horizon",
        })
    }
}

/// One milestone of a response timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Milestone {
    /// When it is due \[seconds from the first fault\].
    pub at_s: f64,
    /// What kind of milestone it is.
    pub action: Action,
    /// What is done.
    pub what: String,
    /// The clause of the manual.
    pub clause: &'static str,
    /// Whether the drill needs it.
    pub need: Need,
}

impl fmt::Display for Milestone {
    /// E.g. "by 11 min: every affected business owner notified ... (Art. 8), needed".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Milestone { at_s, what, clause, need, .. } = self;
        write!(f, "by {}: {what} ({clause}), {need}", human(*at_s))
    }
}

/// The response to one drill, laid on its clock, by [`timeline`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timeline {
    /// When the failure was detected \[seconds from the first fault\]; `None`:
    /// not by the horizon.
    pub detected_s: Option<f64>,
    /// When the incident is declared \[seconds from the first fault\].
    pub declared_s: Option<f64>,
    /// When every business was back \[seconds from the first fault\]; `None`:
    /// still failing at the horizon.
    pub recovered_s: Option<f64>,
    /// End of the simulated drill \[seconds from the first fault\].
    pub horizon_s: f64,
    /// The milestones, by time; empty when nothing was detected.
    pub milestones: Vec<Milestone>,
    /// What the reader should know: why the timeline is empty, that recovery
    /// came before the declaration, that updates were cut off.
    pub notes: Vec<String>,
}

impl Timeline {
    /// The milestones the drill needs.
    pub fn needed(&self) -> impl Iterator<Item = &Milestone> {
        self.milestones.iter().filter(|m| m.need == Need::Needed)
    }
}

/// Recovery and horizon of a drill: what decides whether a milestone is needed.
#[derive(Clone, Copy)]
struct Clock {
    recovered_s: Option<f64>,
    horizon_s: f64,
}

impl Clock {
    /// Whether a milestone due at `at_s` falls while the business still fails.
    fn need(self, at_s: f64) -> Need {
        match self.recovered_s {
            Some(recovered_s) if at_s >= recovered_s => Need::RecoveredFirst,
            Some(_) => Need::Needed,
            None if at_s > self.horizon_s => Need::PastHorizon,
            None => Need::Needed,
        }
    }
}

/// The response to a drill whose failure was detected at `detected_s` and
/// over at `recovered_s` (`None`: still failing at `horizon_s`); all three in
/// seconds from the first fault.
///
/// The incident is declared [`ON_DUTY_RESPONSE_S`] after detection. From
/// there: each [`CHECKLIST`] step at its deadline; a progress update every
/// [`PROGRESS_INTERVAL_S`] while the business fails (up to the horizon and at
/// most [`MAX_PROGRESS_UPDATES`]); the customer-service answer by
/// [`CUSTOMER_ANSWER_S`]; the end announced at recovery. A detection that is
/// `None`, not a finite number or after the horizon gives an empty timeline
/// with the reason in its notes. A NaN recovery counts as none.
pub fn timeline(detected_s: Option<f64>, recovered_s: Option<f64>, horizon_s: f64) -> Timeline {
    let recovered_s = recovered_s.filter(|t| !t.is_nan());
    let detected_s = detected_s.filter(|&t| t.is_finite() && t <= horizon_s);
    let mut drill = Timeline {
        detected_s,
        declared_s: None,
        recovered_s,
        horizon_s,
        milestones: Vec::new(),
        notes: Vec::new(),
    };
    let Some(detected_s) = detected_s else {
        drill.notes.push(undetected(recovered_s, horizon_s));
        return drill;
    };
    let clock = Clock { recovered_s, horizon_s };

    // The declaration and the Art. 8 checklist.
    let declared_s = detected_s + ON_DUTY_RESPONSE_S;
    drill.declared_s = Some(declared_s);
    let declaration = clock.need(declared_s);
    let mut milestones = vec![Milestone {
        at_s: declared_s,
        action: Action::Declaration,
        what: "incident declared: the team manager grades it and starts the process".to_owned(),
        clause: "Art. 7, Art. 13",
        need: declaration,
    }];
    milestones.extend(CHECKLIST.iter().map(|step| {
        let at_s = declared_s + step.within_s;
        let what = step.what.to_owned();
        Milestone {
            at_s,
            action: Action::Checklist,
            what,
            clause: step.clause,
            need: clock.need(at_s),
        }
    }));

    // Progress updates while the business fails.
    let updates = progress_updates(declared_s, clock);
    let next_s = declared_s + (updates.len() + 1) as f64 * PROGRESS_INTERVAL_S;
    let capped = updates.len() == MAX_PROGRESS_UPDATES && clock.need(next_s) == Need::Needed;
    milestones.extend(updates);

    // Owed once declared, whenever they fall.
    milestones.push(Milestone {
        at_s: declared_s + CUSTOMER_ANSWER_S,
        action: Action::CustomerAnswer,
        what: "customer service answers the major fault".to_owned(),
        clause: "Art. 10-13",
        need: declaration,
    });
    if let Some(recovered_s) = recovered_s {
        milestones.push(Milestone {
            at_s: recovered_s,
            action: Action::EndAnnouncement,
            what: "end of the incident announced".to_owned(),
            clause: "Art. 5-6",
            need: declaration,
        });
    }
    milestones.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    drill.milestones = milestones;

    // What the reader should know.
    drill.notes = notes(declared_s, clock, capped);
    drill
}

/// Why a drill with no detection by the horizon has no response.
fn undetected(recovered_s: Option<f64>, horizon_s: f64) -> String {
    match recovered_s {
        Some(_) => "nothing was detected: no incident to respond to".to_owned(),
        None => format!(
            "the failure was not detected by the horizon ({}): no incident was declared",
            human(horizon_s)
        ),
    }
}

/// The progress updates due while the business fails, at most
/// [`MAX_PROGRESS_UPDATES`].
fn progress_updates(declared_s: f64, clock: Clock) -> Vec<Milestone> {
    (1..=MAX_PROGRESS_UPDATES)
        .map(|n| (n, declared_s + n as f64 * PROGRESS_INTERVAL_S))
        .take_while(|&(_, at_s)| clock.need(at_s) == Need::Needed)
        .map(|(n, at_s)| Milestone {
            at_s,
            action: Action::ProgressUpdate,
            what: format!("progress update {n} to key partners (WeChat, Mobile QQ)"),
            clause: "Art. 5-6, Art. 13",
            need: Need::Needed,
        })
        .collect()
}

/// Notes on a timeline declared at `declared_s`; `capped`: the progress
/// updates reached [`MAX_PROGRESS_UPDATES`].
fn notes(declared_s: f64, clock: Clock, capped: bool) -> Vec<String> {
    let mut notes = Vec::new();
    match clock.recovered_s {
        Some(recovered_s) if recovered_s <= declared_s => notes.push(format!(
            "recovered at {}, before the incident would be declared at {}: no response step \
             was needed",
            human(recovered_s),
            human(declared_s)
        )),
        Some(_) => {}
        None => notes.push(format!(
            "still failing at the horizon ({}): the response goes on past it; progress updates \
             are listed up to it only",
            human(clock.horizon_s)
        )),
    }
    if capped {
        notes.push(format!(
            "progress updates are listed up to {MAX_PROGRESS_UPDATES} ({} of updates); more \
             follow every {} until recovery",
            human(MAX_PROGRESS_UPDATES as f64 * PROGRESS_INTERVAL_S),
            human(PROGRESS_INTERVAL_S)
        ));
    }
    notes
}

// ---------------------------------------------------------------------------
// The margin to the next grade (Art. 4)

/// How much more outage would make an incident more severe, by [`margin`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Margin {
    /// The business class hit.
    pub business: Business,
    /// The impact ratio (0-1), assumed to stay the same.
    pub impact: f64,
    /// The outage so far (seconds).
    pub duration_s: f64,
    /// The grade now; `None`: below the bar.
    pub now: Option<Grade>,
    /// The extra outage after which the incident is more severe (seconds); 0
    /// when it sits exactly on a boundary.
    pub extra_s: f64,
    /// The grade it then is.
    pub then: Grade,
    /// The margin in words, no final period: "more than 8 min of further outage at the same
    /// impact would make this a grade-4 incident".
    pub sentence: String,
}

/// The margin of an incident of `business` with impact ratio `impact` (0-1)
/// after `duration_s` seconds, from [`grade::next_boundary`]: `None` when
/// nothing more severe can come at that impact (the band's most severe grade
/// is reached, or there is no incident).
pub fn margin(business: Business, impact: f64, duration_s: f64) -> Option<Margin> {
    let (extra_s, then) = grade::next_boundary(business, impact, duration_s)?;
    let then = then?;
    let now = grade::grade(business, impact, duration_s).map(|cell| cell.grade);
    let more = if extra_s > 0.0 {
        format!("more than {} of further outage", human(extra_s))
    } else {
        "any more outage".to_owned()
    };
    let incident = match now {
        Some(_) => format!("a grade-{} incident", then.number()),
        None => format!("a graded (grade-{}) incident", then.number()),
    };
    let sentence = format!("{more} at the same impact would make this {incident}");
    Some(Margin { business, impact, duration_s, now, extra_s, then, sentence })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grade_n(n: u8) -> Option<Grade> {
        Grade::new(n)
    }

    /// The milestones of `drill` of one kind.
    fn of(drill: &Timeline, action: Action) -> Vec<&Milestone> {
        drill.milestones.iter().filter(|m| m.action == action).collect()
    }

    #[test]
    fn notification_rows_follow_the_manual() {
        let one = notification(grade_n(1));
        assert_eq!(one.description, "very severe");
        assert_eq!(
            one.roles,
            [
                "staff",
                "team leaders",
                "directors",
                "department managers",
                "executive office (CXO/EVP)"
            ]
        );
        assert_eq!(one.scope, "company-wide");
        let two = notification(grade_n(2));
        assert_eq!(two.description, "severe");
        assert_eq!(two.roles, ["staff", "team leaders", "directors", "department managers"]);
        assert_eq!(two.scope, "company-wide");
        for n in [3, 4] {
            let row = notification(grade_n(n));
            assert_eq!(row.description, "severe");
            assert_eq!(row.roles, ["staff", "team leaders", "directors"]);
            assert_eq!(row.scope, "platform R&D and the business lines involved");
            assert_eq!(row.clause, "Art. 8");
        }
        let grades: Vec<u8> = NOTIFICATION_TABLE.iter().map(|r| r.grade).collect();
        assert_eq!(grades, [1, 2, 3, 4]);
    }

    #[test]
    fn grade_5_has_no_row_and_below_the_bar_no_notification() {
        let five = notification(grade_n(5));
        assert!(five.roles.is_empty());
        assert!(five.scope.contains("no row for grade 5"), "{}", five.scope);
        assert_eq!(five.grade, grade_n(5));
        let none = notification(None);
        assert!(none.roles.is_empty());
        assert_eq!(none.scope, "none: no major-incident notification");
        assert_eq!(none.description, "below the major-incident bar");
    }

    #[test]
    fn checklist_keeps_the_manuals_deadlines() {
        let minutes: Vec<f64> = CHECKLIST.iter().map(|s| s.within_s / MIN).collect();
        assert_eq!(minutes, [5.0, 10.0, 15.0, 20.0, 20.0, 20.0]);
        assert!(CHECKLIST.iter().all(|s| s.clause == "Art. 8"));
        assert!(CHECKLIST[2].what.contains("VPN first"));
        assert!(CHECKLIST[3].what.contains("one voice"));
    }

    #[test]
    fn milestones_are_counted_from_the_declaration() {
        // Detected 1 min after the first fault, recovered after 3 h.
        let drill = timeline(Some(MIN), Some(3.0 * HOUR), 4.0 * HOUR);
        assert_eq!(drill.declared_s, Some(6.0 * MIN));
        let declaration = of(&drill, Action::Declaration);
        assert_eq!(declaration[0].at_s, 6.0 * MIN);
        let checklist: Vec<f64> = of(&drill, Action::Checklist).iter().map(|m| m.at_s).collect();
        assert_eq!(checklist, [11.0, 16.0, 21.0, 26.0, 26.0, 26.0].map(|m| m * MIN));
        let updates: Vec<f64> =
            of(&drill, Action::ProgressUpdate).iter().map(|m| m.at_s / MIN).collect();
        assert_eq!(updates, [36.0, 66.0, 96.0, 126.0, 156.0]);
        assert_eq!(of(&drill, Action::CustomerAnswer)[0].at_s, 2.0 * HOUR + 6.0 * MIN);
        assert_eq!(of(&drill, Action::EndAnnouncement)[0].at_s, 3.0 * HOUR);
        assert!(drill.milestones.windows(2).all(|w| w[0].at_s <= w[1].at_s));
        assert!(drill.notes.is_empty(), "{:?}", drill.notes);
        assert_eq!(
            drill.milestones[1].to_string(),
            "by 11 min: major-incident members notified, symptoms announced, process started \
             (Art. 8), needed"
        );
    }

    #[test]
    fn recovery_in_3_minutes_needs_nothing() {
        let drill = timeline(Some(MIN), Some(3.0 * MIN), HOUR);
        assert_eq!(drill.needed().count(), 0);
        assert!(drill.milestones.iter().all(|m| m.need == Need::RecoveredFirst));
        assert!(of(&drill, Action::ProgressUpdate).is_empty());
        assert_eq!(
            drill.notes,
            ["recovered at 3 min, before the incident would be declared at 6 min: no response \
              step was needed"]
        );
    }

    #[test]
    fn recovery_in_40_minutes_needs_all_the_checklist_and_one_update() {
        let drill = timeline(Some(MIN), Some(40.0 * MIN), HOUR);
        assert!(drill.milestones.iter().all(|m| m.need == Need::Needed));
        assert_eq!(of(&drill, Action::Checklist).len(), 6);
        assert_eq!(of(&drill, Action::ProgressUpdate).len(), 1);
        // Owed once declared, though due after recovery.
        assert_eq!(of(&drill, Action::CustomerAnswer)[0].need, Need::Needed);
        assert_eq!(of(&drill, Action::EndAnnouncement)[0].at_s, 40.0 * MIN);
    }

    #[test]
    fn recovery_splits_the_checklist_at_its_instant() {
        // Declared at 6 min, recovered at 16 min: the 11 min step is needed,
        // the 16 min one (due at the very instant of recovery) is not.
        let drill = timeline(Some(MIN), Some(16.0 * MIN), HOUR);
        let needs: Vec<Need> = of(&drill, Action::Checklist).iter().map(|m| m.need).collect();
        assert_eq!(needs[..2], [Need::Needed, Need::RecoveredFirst]);
        assert_eq!(drill.needed().filter(|m| m.action == Action::Checklist).count(), 1);
        assert_eq!(of(&drill, Action::EndAnnouncement)[0].need, Need::Needed);
    }

    #[test]
    fn never_recovered_needs_all_up_to_the_horizon() {
        let drill = timeline(Some(MIN), None, 2.0 * HOUR);
        assert!(drill.milestones.iter().all(|m| m.need == Need::Needed));
        // Updates at 36, 66 and 96 min; 126 min is past the 2 h horizon.
        assert_eq!(of(&drill, Action::ProgressUpdate).len(), 3);
        assert!(of(&drill, Action::EndAnnouncement).is_empty());
        assert!(drill.notes[0].starts_with("still failing at the horizon (2 h)"));

        // Detected 2 min before the horizon: the declaration lies past it.
        let late = timeline(Some(HOUR - 2.0 * MIN), None, HOUR);
        assert_eq!(late.needed().count(), 0);
        assert!(late.milestones.iter().all(|m| m.need == Need::PastHorizon));
    }

    #[test]
    fn progress_updates_stop_at_the_cap() {
        let drill = timeline(Some(0.0), None, f64::INFINITY);
        let updates = of(&drill, Action::ProgressUpdate);
        assert_eq!(updates.len(), MAX_PROGRESS_UPDATES);
        assert_eq!(updates.last().unwrap().at_s, 5.0 * MIN + 24.0 * HOUR);
        assert!(updates[47].what.starts_with("progress update 48 "));
        assert!(drill.notes[1].starts_with("progress updates are listed up to 48 (24 h"));
        // Just under the cap: 47 updates fit before a recovery at 24 h.
        let drill = timeline(Some(0.0), Some(24.0 * HOUR), 48.0 * HOUR);
        assert_eq!(of(&drill, Action::ProgressUpdate).len(), 47);
        assert!(drill.notes.is_empty());
        // Exactly 48 updates before recovery: all of them listed, none cut off.
        let drill = timeline(Some(0.0), Some(24.0 * HOUR + 6.0 * MIN), 48.0 * HOUR);
        assert_eq!(of(&drill, Action::ProgressUpdate).len(), 48);
        assert!(drill.notes.is_empty(), "{:?}", drill.notes);
    }

    #[test]
    fn nothing_detected_gives_an_empty_timeline() {
        let drill = timeline(None, Some(0.0), HOUR);
        assert!(drill.milestones.is_empty());
        assert_eq!(drill.declared_s, None);
        assert_eq!(drill.notes, ["nothing was detected: no incident to respond to"]);
        let silent = timeline(None, None, HOUR);
        assert!(silent.milestones.is_empty());
        assert!(silent.notes[0].contains("not detected by the horizon (1 h)"));
        for detected in [2.0 * HOUR, f64::NAN, f64::INFINITY] {
            let drill = timeline(Some(detected), None, HOUR);
            assert!(drill.milestones.is_empty(), "{detected}");
            assert_eq!(drill.detected_s, None);
        }
    }

    #[test]
    fn serializes_for_reports() {
        let json = serde_json::to_value(notification(grade_n(3))).unwrap();
        assert_eq!(json["grade"], 3);
        assert_eq!(json["roles"][2], "directors");
        let json = serde_json::to_value(timeline(Some(MIN), Some(3.0 * MIN), HOUR)).unwrap();
        // By time: the end at 3 min, then the declaration at 6 min.
        assert_eq!(json["milestones"][0]["action"], "end-announcement");
        assert_eq!(json["milestones"][1]["action"], "declaration");
        assert_eq!(json["milestones"][1]["need"], "recovered-first");
    }

    #[test]
    fn margin_counts_the_minutes_to_grade_4() {
        let m = margin(Business::Payment, 0.35, 22.0 * MIN).unwrap();
        assert_eq!((m.now, m.extra_s, m.then), (grade_n(5), 8.0 * MIN, grade_n(4).unwrap()));
        assert_eq!(
            m.sentence,
            "more than 8 min of further outage at the same impact would make this a grade-4 incident"
        );
    }

    #[test]
    fn margin_below_the_bar_and_at_the_top() {
        let m = margin(Business::Payment, 0.35, 10.0 * MIN).unwrap();
        assert_eq!(m.now, None);
        assert_eq!(
            m.sentence,
            "more than 5 min of further outage at the same impact would make this a graded (grade-5) incident"
        );
        let m = margin(Business::Clearing, 0.1, 8.0 * HOUR).unwrap();
        assert_eq!(
            m.sentence,
            "any more outage at the same impact would make this a grade-4 incident"
        );
        assert_eq!(margin(Business::Payment, 0.35, 9.0 * HOUR), None);
        assert_eq!(margin(Business::Payment, 0.0, HOUR), None);
    }
}
