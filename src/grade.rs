//! Severity grades of a major incident, as set by Art. 4 of the emergency manual.
//!
//! An incident is graded from three things: the business class it hits
//! ([`Business`]), the *impact ratio* (the share of users or transactions
//! affected, a ratio 0-1) and its *duration* (seconds). Grade 1 is the most
//! severe, grade 5 the least. The manual's three tables are kept as data in
//! [`TABLE`], one [`Cell`] per line of the manual, so that they can be checked
//! against it line by line. Every ratio band is left-closed, right-open
//! ("1 % <= impact < 30 %") and every duration interval is left-open,
//! right-closed ("> 15 min, <= 30 min").
//!
//! ```
//! use drillsim::grade::{Business, grade, next_boundary};
//!
//! // 40 % of payments failing for 22 minutes: grade 5 ...
//! let cell = grade(Business::Payment, 0.40, 22.0 * 60.0).unwrap();
//! assert_eq!(cell.grade.number(), 5);
//! // ... and 8 more minutes would make it grade 4.
//! let (extra_s, then) = next_boundary(Business::Payment, 0.40, 22.0 * 60.0).unwrap();
//! assert_eq!(extra_s, 8.0 * 60.0);
//! assert_eq!(then.unwrap().number(), 4);
//! ```
//!
//! Limits:
//! - An incident that matches no cell is *below the bar*: the functions return
//!   `None`. The manual says its table supplements a company-wide standard for
//!   incidents that hit the business "but not severely"; that standard is not
//!   in the manual and is not modelled, so `None` means "not a major incident
//!   under Art. 4", nothing more.
//! - A zero (or negative, or NaN) impact or duration is no incident at all:
//!   below the bar. An impact above 1 is not rejected: it falls in the top band,
//!   which has no upper bound in the manual.
//! - Bounds are compared exactly, in floating point: an impact of exactly 0.30
//!   is in the ">= 30 %" band and 0.2999 is not; a duration of exactly 900 s
//!   is not "> 15 min", but 900.001 s is.
//! - The manual grades an incident by one impact ratio and one duration. How to
//!   grade a share that varies over time is our convention, not the manual's:
//!   see [`grade_timeline`].
//! - Clearing and non-key business can never reach grade 1 (the manual says
//!   "not applicable").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Seconds in a minute.
const MIN: f64 = 60.0;
/// Seconds in an hour.
const HOUR: f64 = 3600.0;

/// A business class of Art. 4; each has its own table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Business {
    /// Key business (关键业务), payment function (支付功能).
    Payment,
    /// Key business, clearing (清算业务).
    Clearing,
    /// Non-key business (非关键业务); its ratio bands differ from the key ones.
    NonKey,
}

impl Business {
    /// Every business class, in the manual's order.
    pub const ALL: [Business; 3] = [Business::Payment, Business::Clearing, Business::NonKey];

    /// The short name used in files and on the command line: "payment",
    /// "clearing" or "non-key" (the same as the serde name).
    pub fn name(self) -> &'static str {
        match self {
            Business::Payment => "payment",
            Business::Clearing => "clearing",
            Business::NonKey => "non-key",
        }
    }

    /// The manual's title of the class, e.g. "key business, payment function".
    pub fn title(self) -> &'static str {
        match self {
            Business::Payment => "key business, payment function",
            Business::Clearing => "key business, clearing",
            Business::NonKey => "non-key business",
        }
    }
}

impl fmt::Display for Business {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Business {
    type Err = UnknownBusiness;

    /// Parses a short name exactly as [`Business::name`] gives it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Business::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| UnknownBusiness(s.to_owned()))
    }
}

/// A business name that is none of [`Business::ALL`]; fatal to whatever input
/// named it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown business \"{0}\"; expected one of {valid}", valid = valid_names())]
pub struct UnknownBusiness(pub String);

/// The valid business names, quoted and comma-separated, for error messages.
fn valid_names() -> String {
    let quoted: Vec<String> = Business::ALL.iter().map(|b| format!("\"{b}\"")).collect();
    quoted.join(", ")
}

/// A severity grade, 1 (most severe) to 5 (least severe).
///
/// `Ord` follows the number, so the most severe of several grades is their
/// *minimum*. To compare outcomes that may be below the bar, use [`severity`].
/// Serialized as the bare number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Grade(u8);

impl Grade {
    /// Grade 1, the most severe.
    pub const MOST_SEVERE: Grade = Grade(1);
    /// Grade 5, the least severe.
    pub const LEAST_SEVERE: Grade = Grade(5);

    /// The grade numbered `n`, if `n` is 1 to 5.
    pub fn new(n: u8) -> Option<Grade> {
        (1..=5).contains(&n).then_some(Grade(n))
    }

    /// The grade's number, 1 (most severe) to 5 (least severe).
    pub const fn number(self) -> u8 {
        self.0
    }

    /// Whether this grade is more severe than `other`; every grade is more
    /// severe than `None` (below the bar).
    pub fn is_more_severe_than(self, other: Option<Grade>) -> bool {
        severity(Some(self)) > severity(other)
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "grade {}", self.0)
    }
}

impl TryFrom<u8> for Grade {
    type Error = InvalidGrade;

    fn try_from(n: u8) -> Result<Self, Self::Error> {
        Grade::new(n).ok_or(InvalidGrade(n))
    }
}

impl From<Grade> for u8 {
    fn from(grade: Grade) -> u8 {
        grade.0
    }
}

/// A grade number outside 1-5; fatal to whatever input gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("grade {0} does not exist; grades run from 1 (most severe) to 5 (least severe)")]
pub struct InvalidGrade(pub u8);

/// Severity of an outcome as a number that grows with severity: 0 below the
/// bar, 1 for grade 5, up to 5 for grade 1.
pub fn severity(grade: Option<Grade>) -> u8 {
    grade.map_or(0, |g| 6 - g.0)
}

/// A band of impact ratios, `[low, high)`, as ratios 0-1; `high` is `None`
/// for the top band. Displayed as percentages.
///
/// The lowest band of each class has `low` 0; a zero impact is in it by
/// [`Band::contains`], but [`grade`] treats zero impact as no incident.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Lower bound, included (ratio 0-1).
    pub low: f64,
    /// Upper bound, excluded (ratio 0-1); `None`: no upper bound.
    pub high: Option<f64>,
}

impl Band {
    /// Whether `impact` (ratio 0-1) is in `[low, high)`.
    pub fn contains(self, impact: f64) -> bool {
        impact >= self.low && self.high.is_none_or(|high| impact < high)
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let low = percent(self.low);
        match (self.low > 0.0, self.high.map(percent)) {
            (true, None) => write!(f, "impact >= {low} %"),
            (true, Some(high)) => write!(f, "{low} % <= impact < {high} %"),
            (false, Some(high)) => write!(f, "impact < {high} %"),
            (false, None) => f.write_str("any impact"),
        }
    }
}

/// A ratio 0-1 as a percentage without float noise: 0.3 gives "30".
fn percent(ratio: f64) -> String {
    let pct = (ratio * 100.0 * 1e6).round() / 1e6;
    format!("{pct}")
}

/// A duration interval `(above_s, up_to_s]` in seconds; `up_to_s` is `None`
/// for an interval without upper bound ("> 8 h").
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound, excluded (seconds).
    pub above_s: f64,
    /// Upper bound, included (seconds); `None`: no upper bound.
    pub up_to_s: Option<f64>,
}

impl Interval {
    /// Whether `duration_s` (seconds) is in `(above_s, up_to_s]`.
    pub fn contains(self, duration_s: f64) -> bool {
        duration_s > self.above_s && self.up_to_s.is_none_or(|up_to| duration_s <= up_to)
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "> {}", clock(self.above_s))?;
        match self.up_to_s {
            Some(up_to) => write!(f, " and <= {}", clock(up_to)),
            None => Ok(()),
        }
    }
}

/// Seconds in the manual's units: whole hours as "8 h", whole minutes as
/// "15 min", anything else in seconds.
fn clock(seconds: f64) -> String {
    if seconds >= HOUR && seconds % HOUR == 0.0 {
        format!("{} h", seconds / HOUR)
    } else if seconds >= MIN && seconds % MIN == 0.0 {
        format!("{} min", seconds / MIN)
    } else {
        format!("{seconds} s")
    }
}

/// One cell of an Art. 4 table: incidents of `business` whose impact is in
/// `band` and whose duration is in `duration` are of grade `grade`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Cell {
    /// The table the cell belongs to.
    pub business: Business,
    /// The grade the cell gives.
    pub grade: Grade,
    /// The impact ratios the cell covers.
    pub band: Band,
    /// The durations the cell covers.
    pub duration: Interval,
}

impl fmt::Display for Cell {
    /// E.g. "payment, impact >= 30 %, > 15 min and <= 30 min: grade 5".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Cell { business, grade, band, duration } = self;
        write!(f, "{business}, {band}, {duration}: {grade}")
    }
}

// Ratio bands of key business (payment and clearing).
/// Key business: "impact >= 30 %".
const KEY_TOP: Band = Band { low: 0.30, high: None };
/// Key business: "1 % <= impact < 30 %".
const KEY_MID: Band = Band { low: 0.01, high: Some(0.30) };
/// Key business: "impact < 1 %".
const KEY_LOW: Band = Band { low: 0.0, high: Some(0.01) };

// Ratio bands of non-key business.
/// Non-key business: "impact >= 50 %".
const NON_KEY_TOP: Band = Band { low: 0.50, high: None };
/// Non-key business: "5 % <= impact < 50 %".
const NON_KEY_MID: Band = Band { low: 0.05, high: Some(0.50) };
/// Non-key business: "impact < 5 %".
const NON_KEY_LOW: Band = Band { low: 0.0, high: Some(0.05) };

/// The interval "> `above_s`, <= `up_to_s`" (seconds).
const fn span(above_s: f64, up_to_s: f64) -> Interval {
    Interval { above_s, up_to_s: Some(up_to_s) }
}

/// The interval "> `above_s`" (seconds), without upper bound.
const fn over(above_s: f64) -> Interval {
    Interval { above_s, up_to_s: None }
}

/// A table cell; `grade` must be 1 to 5.
const fn cell(business: Business, grade: u8, band: Band, duration: Interval) -> Cell {
    Cell { business, grade: Grade(grade), band, duration }
}

use Business::{Clearing, NonKey, Payment};

/// The three tables of Art. 4, one cell per line of the manual, read column
/// by column (ratio band), then down the grades from 5 to 1. Each row's
/// comment is the manual's wording of the cell.
#[rustfmt::skip]
pub const TABLE: [Cell; 22] = [
    // Key business, payment function (关键业务, 支付功能).
    cell(Payment,  5, KEY_TOP,     span(15.0 * MIN, 30.0 * MIN)),   // >= 30 %: > 15 min, <= 30 min
    cell(Payment,  4, KEY_TOP,     span(30.0 * MIN, HOUR)),         // >= 30 %: > 30 min, <= 1 h
    cell(Payment,  3, KEY_TOP,     span(HOUR, 2.0 * HOUR)),         // >= 30 %: > 1 h, <= 2 h
    cell(Payment,  2, KEY_TOP,     span(2.0 * HOUR, 8.0 * HOUR)),   // >= 30 %: > 2 h, <= 8 h
    cell(Payment,  1, KEY_TOP,     over(8.0 * HOUR)),               // >= 30 %: > 8 h
    cell(Payment,  5, KEY_MID,     span(30.0 * MIN, 8.0 * HOUR)),   // 1-30 %: > 30 min, <= 8 h
    cell(Payment,  4, KEY_MID,     over(8.0 * HOUR)),               // 1-30 %: > 8 h
    cell(Payment,  5, KEY_LOW,     over(8.0 * HOUR)),               // < 1 %: > 8 h

    // Key business, clearing (清算业务). Grade 1: not applicable.
    cell(Clearing, 5, KEY_TOP,     span(HOUR, 2.0 * HOUR)),         // >= 30 %: > 1 h, <= 2 h
    cell(Clearing, 4, KEY_TOP,     span(2.0 * HOUR, 8.0 * HOUR)),   // >= 30 %: > 2 h, <= 8 h
    cell(Clearing, 3, KEY_TOP,     span(8.0 * HOUR, 24.0 * HOUR)),  // >= 30 %: > 8 h, <= 24 h
    cell(Clearing, 2, KEY_TOP,     over(24.0 * HOUR)),              // >= 30 %: > 24 h
    cell(Clearing, 5, KEY_MID,     span(2.0 * HOUR, 8.0 * HOUR)),   // 1-30 %: > 2 h, <= 8 h
    cell(Clearing, 4, KEY_MID,     over(8.0 * HOUR)),               // 1-30 %: > 8 h
    cell(Clearing, 5, KEY_LOW,     over(24.0 * HOUR)),              // < 1 %: > 24 h

    // Non-key business (非关键业务). Grade 1: not applicable.
    cell(NonKey,   5, NON_KEY_TOP, span(HOUR, 2.0 * HOUR)),         // >= 50 %: > 1 h, <= 2 h
    cell(NonKey,   4, NON_KEY_TOP, span(2.0 * HOUR, 8.0 * HOUR)),   // >= 50 %: > 2 h, <= 8 h
    cell(NonKey,   3, NON_KEY_TOP, span(8.0 * HOUR, 24.0 * HOUR)),  // >= 50 %: > 8 h, <= 24 h
    cell(NonKey,   2, NON_KEY_TOP, over(24.0 * HOUR)),              // >= 50 %: > 24 h
    cell(NonKey,   5, NON_KEY_MID, span(2.0 * HOUR, 24.0 * HOUR)),  // 5-50 %: > 2 h, <= 24 h
    cell(NonKey,   4, NON_KEY_MID, over(24.0 * HOUR)),              // 5-50 %: > 24 h
    cell(NonKey,   5, NON_KEY_LOW, over(8.0 * HOUR)),               // < 5 %: > 8 h
];

/// The cells of one business class's table, in [`TABLE`] order.
pub fn cells(business: Business) -> impl Iterator<Item = Cell> {
    TABLE.into_iter().filter(move |c| c.business == business)
}

/// The three ratio bands of a business class, from the highest impact down.
fn band_set(business: Business) -> [Band; 3] {
    match business {
        Business::Payment | Business::Clearing => [KEY_TOP, KEY_MID, KEY_LOW],
        Business::NonKey => [NON_KEY_TOP, NON_KEY_MID, NON_KEY_LOW],
    }
}

/// The two band thresholds of a business class as ratios 0-1, higher first:
/// `[0.30, 0.01]` for payment and clearing, `[0.50, 0.05]` for non-key.
pub fn bands(business: Business) -> [f64; 2] {
    let [top, mid, _] = band_set(business);
    [top.low, mid.low]
}

/// Whether `x` is a number above zero (false for NaN).
fn positive(x: f64) -> bool {
    x > 0.0
}

/// The band of `business` that holds `impact`, if the impact is an incident.
fn band_of(business: Business, impact: f64) -> Option<Band> {
    if !positive(impact) {
        return None;
    }
    band_set(business).into_iter().find(|band| band.contains(impact))
}

/// The cell of `business` in `band` whose interval holds `duration_s`.
fn lookup(business: Business, band: Band, duration_s: f64) -> Option<Cell> {
    cells(business).find(|c| c.band == band && c.duration.contains(duration_s))
}

/// Grades an incident of `business` with impact ratio `impact` (0-1) lasting
/// `duration_s` seconds: the Art. 4 cell it falls in, or `None` if it is below
/// the bar (including a zero impact or duration).
pub fn grade(business: Business, impact: f64, duration_s: f64) -> Option<Cell> {
    if !positive(duration_s) {
        return None;
    }
    lookup(business, band_of(business, impact)?, duration_s)
}

/// When the incident escalates if it goes on at the same impact: the extra
/// seconds after which the outcome becomes more severe (it is more severe for
/// any duration just above `duration_s` plus that many seconds), and the grade
/// it then is ("8 more minutes would make this grade 4").
///
/// The extra time is 0 when `duration_s` sits exactly on a boundary. `None`
/// when nothing more severe can come: the band's most severe grade is reached,
/// or the impact is no incident (zero, negative or NaN), or the duration is
/// negative, NaN or infinite. The grade returned is always `Some` with the
/// current table.
pub fn next_boundary(
    business: Business,
    impact: f64,
    duration_s: f64,
) -> Option<(f64, Option<Grade>)> {
    if duration_s.is_nan() || duration_s < 0.0 {
        return None;
    }
    let band = band_of(business, impact)?;
    let now = lookup(business, band, duration_s).map(|c| c.grade);

    // Every point where the band's outcome can change, not before now.
    let mut points: Vec<f64> = cells(business)
        .filter(|c| c.band == band)
        .flat_map(|c| [Some(c.duration.above_s), c.duration.up_to_s])
        .flatten()
        .filter(|&p| p >= duration_s)
        .collect();
    points.sort_by(f64::total_cmp);

    // The first of them just after which the outcome is more severe.
    points.into_iter().find_map(|p| {
        let then = cells(business)
            .find(|c| c.band == band && c.duration.above_s <= p && !reached(c.duration, p))
            .map(|c| c.grade);
        (severity(then) > severity(now)).then_some((p - duration_s, then))
    })
}

/// Whether an incident lasting just over `duration_s` is past `interval`'s
/// upper bound.
fn reached(interval: Interval, duration_s: f64) -> bool {
    interval.up_to_s.is_some_and(|up_to| duration_s >= up_to)
}

/// Grade of a whole timeline of the failing share: the most severe grade over
/// the bands, where each band's duration is the total time the share was at
/// or above the band's lower bound (for the lowest band: time the share was
/// above zero).
///
/// `timeline` is a step function of `(time_s, share)` points sorted by time:
/// each share (ratio 0-1) holds from its time until the next point's time, the
/// last one until `end_s` (seconds). Time before the first point counts as no
/// incident, and time after `end_s` is ignored. Out-of-order points give
/// segments of negative length, which count as zero.
///
/// The times are added up even if they are not contiguous: the manual does not
/// say how to grade an intermittent incident, and this is our convention. When
/// two bands give the same grade, the higher-impact band's cell is returned, so
/// a constant share gives the same cell as [`grade`].
pub fn grade_timeline(business: Business, timeline: &[(f64, f64)], end_s: f64) -> Option<Cell> {
    let mut worst: Option<Cell> = None;
    for band in band_set(business) {
        let total_s = time_in(band, timeline, end_s);
        let Some(cell) = lookup(business, band, total_s) else {
            continue;
        };
        if cell.grade.is_more_severe_than(worst.map(|c| c.grade)) {
            worst = Some(cell);
        }
    }
    worst
}

/// Total seconds of `timeline` (up to `end_s`) during which the share was at
/// or above `band`'s lower bound, or above zero if that bound is zero.
fn time_in(band: Band, timeline: &[(f64, f64)], end_s: f64) -> f64 {
    let counts = |share: f64| {
        if positive(band.low) { share >= band.low } else { positive(share) }
    };
    segments(timeline, end_s)
        .filter(|&(share, _)| counts(share))
        .map(|(_, length_s)| length_s)
        .sum()
}

/// The `(share, length_s)` segments of a step-function timeline ending at
/// `end_s`; a negative or NaN length counts as zero.
fn segments(timeline: &[(f64, f64)], end_s: f64) -> impl Iterator<Item = (f64, f64)> + '_ {
    timeline.iter().enumerate().map(move |(i, &(start_s, share))| {
        let next_s = timeline.get(i + 1).map_or(end_s, |&(t, _)| t.min(end_s));
        (share, (next_s - start_s).max(0.0))
    })
}

/// Parses a percentage written with its sign ("35%", "0.5 %") into a ratio 0-1.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let Some(number) = text.trim().strip_suffix('%') else {
        return Err(format!(
            "'{text}' has no '%' sign; write the impact as a percentage, such as 35%"
        ));
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a percentage; write one such as 35%"))?;
    if !(0.0..=100.0).contains(&value) {
        return Err(format!("'{text}' is outside 0% to 100%"));
    }
    Ok(value / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The grade number of an incident, or `None` below the bar.
    fn number(business: Business, impact: f64, duration_s: f64) -> Option<u8> {
        grade(business, impact, duration_s).map(|c| c.grade.number())
    }

    /// Checks each `(duration_s, expected grade)` at `impact`.
    fn check(business: Business, impact: f64, cases: &[(f64, Option<u8>)]) {
        for &(duration_s, expected) in cases {
            assert_eq!(
                number(business, impact, duration_s),
                expected,
                "{business}, impact {impact}, {duration_s} s"
            );
        }
    }

    // The expectations below are written from the manual, not from TABLE: each
    // boundary exactly (still the shorter cell) and one second past it.

    #[test]
    fn payment_top_band_boundaries() {
        let cases = [
            (15.0 * MIN, None),
            (15.0 * MIN + 1.0, Some(5)),
            (30.0 * MIN, Some(5)),
            (30.0 * MIN + 1.0, Some(4)),
            (HOUR, Some(4)),
            (HOUR + 1.0, Some(3)),
            (2.0 * HOUR, Some(3)),
            (2.0 * HOUR + 1.0, Some(2)),
            (8.0 * HOUR, Some(2)),
            (8.0 * HOUR + 1.0, Some(1)),
            (1000.0 * HOUR, Some(1)),
        ];
        check(Payment, 0.30, &cases);
        check(Payment, 0.75, &cases);
        check(Payment, 1.0, &cases);
    }

    #[test]
    fn payment_middle_band_jumps_from_grade_5_to_grade_4_at_8_hours() {
        let cases = [
            (15.0 * MIN + 1.0, None),
            (30.0 * MIN, None),
            (30.0 * MIN + 1.0, Some(5)),
            (8.0 * HOUR, Some(5)),
            (8.0 * HOUR + 1.0, Some(4)),
            (1000.0 * HOUR, Some(4)),
        ];
        check(Payment, 0.01, &cases);
        check(Payment, 0.2999, &cases);
    }

    #[test]
    fn payment_low_band_is_graded_only_past_8_hours() {
        let cases = [(8.0 * HOUR, None), (8.0 * HOUR + 1.0, Some(5)), (1000.0 * HOUR, Some(5))];
        check(Payment, 0.0099, &cases);
        check(Payment, 1e-9, &cases);
    }

    #[test]
    fn clearing_top_band_boundaries() {
        let cases = [
            (HOUR, None),
            (HOUR + 1.0, Some(5)),
            (2.0 * HOUR, Some(5)),
            (2.0 * HOUR + 1.0, Some(4)),
            (8.0 * HOUR, Some(4)),
            (8.0 * HOUR + 1.0, Some(3)),
            (24.0 * HOUR, Some(3)),
            (24.0 * HOUR + 1.0, Some(2)),
            (1000.0 * HOUR, Some(2)),
        ];
        check(Clearing, 0.30, &cases);
        check(Clearing, 1.0, &cases);
    }

    #[test]
    fn clearing_middle_and_low_band_boundaries() {
        let middle = [
            (2.0 * HOUR, None),
            (2.0 * HOUR + 1.0, Some(5)),
            (8.0 * HOUR, Some(5)),
            (8.0 * HOUR + 1.0, Some(4)),
            (1000.0 * HOUR, Some(4)),
        ];
        check(Clearing, 0.01, &middle);
        check(Clearing, 0.2999, &middle);
        let low = [(24.0 * HOUR, None), (24.0 * HOUR + 1.0, Some(5))];
        check(Clearing, 0.0099, &low);
    }

    #[test]
    fn non_key_top_band_boundaries() {
        let cases = [
            (HOUR, None),
            (HOUR + 1.0, Some(5)),
            (2.0 * HOUR, Some(5)),
            (2.0 * HOUR + 1.0, Some(4)),
            (8.0 * HOUR, Some(4)),
            (8.0 * HOUR + 1.0, Some(3)),
            (24.0 * HOUR, Some(3)),
            (24.0 * HOUR + 1.0, Some(2)),
            (1000.0 * HOUR, Some(2)),
        ];
        check(NonKey, 0.50, &cases);
        check(NonKey, 1.0, &cases);
    }

    #[test]
    fn non_key_middle_and_low_band_boundaries() {
        let middle = [
            (2.0 * HOUR, None),
            (2.0 * HOUR + 1.0, Some(5)),
            (24.0 * HOUR, Some(5)),
            (24.0 * HOUR + 1.0, Some(4)),
        ];
        check(NonKey, 0.05, &middle);
        check(NonKey, 0.4999, &middle);
        // The < 5 % band at > 8 h overlaps nothing else.
        let low = [(8.0 * HOUR, None), (8.0 * HOUR + 1.0, Some(5)), (1000.0 * HOUR, Some(5))];
        check(NonKey, 0.0499, &low);
        check(NonKey, 0.01, &low);
    }

    #[test]
    fn ratio_band_lower_bounds_are_included() {
        let d = 45.0 * MIN;
        assert_eq!(number(Payment, 0.30, d), Some(4));
        assert_eq!(number(Payment, 0.2999, d), Some(5));
        assert_eq!(number(Payment, 0.01, 9.0 * HOUR), Some(4));
        assert_eq!(number(Payment, 0.0099, 9.0 * HOUR), Some(5));
        assert_eq!(number(Clearing, 0.30, 3.0 * HOUR), Some(4));
        assert_eq!(number(Clearing, 0.2999, 3.0 * HOUR), Some(5));
        assert_eq!(number(NonKey, 0.50, 3.0 * HOUR), Some(4));
        assert_eq!(number(NonKey, 0.4999, 3.0 * HOUR), Some(5));
        assert_eq!(number(NonKey, 0.05, 3.0 * HOUR), Some(5));
        assert_eq!(number(NonKey, 0.0499, 3.0 * HOUR), None);
    }

    #[test]
    fn zero_or_invalid_impact_or_duration_is_below_the_bar() {
        for business in Business::ALL {
            for (impact, duration_s) in [
                (0.0, 1000.0 * HOUR),
                (-0.5, 1000.0 * HOUR),
                (f64::NAN, 1000.0 * HOUR),
                (1.0, 0.0),
                (1.0, -HOUR),
                (1.0, f64::NAN),
            ] {
                assert_eq!(grade(business, impact, duration_s), None, "{impact}, {duration_s}");
            }
        }
    }

    #[test]
    fn clearing_and_non_key_never_reach_grade_1() {
        assert!(TABLE.iter().all(|c| c.grade.number() > 1 || c.business == Payment));
        for business in [Clearing, NonKey] {
            for impact in [0.001, 0.01, 0.3, 0.5, 1.0] {
                for hours in [1.0, 10.0, 25.0, 1e6] {
                    assert_ne!(number(business, impact, hours * HOUR), Some(1));
                }
            }
        }
    }

    #[test]
    fn each_band_of_the_table_is_contiguous_and_escalates() {
        for business in Business::ALL {
            for band in band_set(business) {
                let row: Vec<Cell> = cells(business).filter(|c| c.band == band).collect();
                assert!(!row.is_empty(), "{business}, {band}");
                for pair in row.windows(2) {
                    assert_eq!(pair[0].duration.up_to_s, Some(pair[1].duration.above_s));
                    assert_eq!(pair[0].grade.number(), pair[1].grade.number() + 1);
                }
                assert_eq!(row.last().unwrap().duration.up_to_s, None);
            }
        }
    }

    #[test]
    fn bands_give_the_thresholds() {
        assert_eq!(bands(Payment), [0.30, 0.01]);
        assert_eq!(bands(Clearing), [0.30, 0.01]);
        assert_eq!(bands(NonKey), [0.50, 0.05]);
    }

    #[test]
    fn cells_read_like_the_manual() {
        let show = |b, impact, d| grade(b, impact, d).unwrap().to_string();
        assert_eq!(
            show(Payment, 0.3, 20.0 * MIN),
            "payment, impact >= 30 %, > 15 min and <= 30 min: grade 5"
        );
        assert_eq!(show(Payment, 0.1, 9.0 * HOUR), "payment, 1 % <= impact < 30 %, > 8 h: grade 4");
        assert_eq!(show(NonKey, 0.01, 9.0 * HOUR), "non-key, impact < 5 %, > 8 h: grade 5");
        assert_eq!(
            show(NonKey, 0.05, 3.0 * HOUR),
            "non-key, 5 % <= impact < 50 %, > 2 h and <= 24 h: grade 5"
        );
        assert_eq!(Interval { above_s: 90.0, up_to_s: None }.to_string(), "> 90 s");
    }

    #[test]
    fn business_names_parse_and_serialize() {
        for business in Business::ALL {
            assert_eq!(business.name().parse::<Business>(), Ok(business));
            let json = serde_json::to_string(&business).unwrap();
            assert_eq!(json, format!("\"{}\"", business.name()));
            assert_eq!(serde_json::from_str::<Business>(&json).unwrap(), business);
        }
        assert_eq!(NonKey.title(), "non-key business");
        let err = "nonkey".parse::<Business>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown business \"nonkey\"; expected one of \"payment\", \"clearing\", \"non-key\""
        );
    }

    #[test]
    fn grades_are_numbers_1_to_5() {
        assert_eq!(Grade::new(0), None);
        assert_eq!(Grade::new(6), None);
        assert_eq!(Grade::new(3).unwrap().to_string(), "grade 3");
        assert!(Grade::MOST_SEVERE < Grade::LEAST_SEVERE);
        assert!(Grade::LEAST_SEVERE.is_more_severe_than(None));
        assert!(!Grade::LEAST_SEVERE.is_more_severe_than(Some(Grade::MOST_SEVERE)));
        assert_eq!(serde_json::to_string(&Grade::new(2)).unwrap(), "2");
        assert_eq!(serde_json::from_str::<Grade>("4").unwrap().number(), 4);
        assert!(serde_json::from_str::<Grade>("7").is_err());
    }

    #[test]
    fn next_boundary_counts_the_minutes_to_the_next_grade() {
        let (extra_s, then) = next_boundary(Payment, 0.4, 22.0 * MIN).unwrap();
        assert_eq!((extra_s, then.map(Grade::number)), (8.0 * MIN, Some(4)));
        // Below the bar: time until the first cell.
        let (extra_s, then) = next_boundary(Payment, 0.4, 0.0).unwrap();
        assert_eq!((extra_s, then.map(Grade::number)), (15.0 * MIN, Some(5)));
        // Exactly on a boundary: any extra time escalates.
        let (extra_s, then) = next_boundary(Clearing, 0.1, 8.0 * HOUR).unwrap();
        assert_eq!((extra_s, then.map(Grade::number)), (0.0, Some(4)));
        // Already at the band's most severe grade, or no incident.
        assert_eq!(next_boundary(Payment, 0.4, 9.0 * HOUR), None);
        assert_eq!(next_boundary(NonKey, 0.01, 9.0 * HOUR), None);
        assert_eq!(next_boundary(Payment, 0.0, HOUR), None);
        assert_eq!(next_boundary(Payment, 0.4, f64::INFINITY), None);
    }

    #[test]
    fn timeline_grades_each_band_on_its_own_total() {
        // 40 % for 20 min, then 5 % for 8 h: the >= 30 % band lasted 20 min
        // (grade 5), but the >= 1 % band lasted 8 h 20 min (grade 4).
        let timeline = [(0.0, 0.4), (20.0 * MIN, 0.05)];
        let cell = grade_timeline(Payment, &timeline, 8.0 * HOUR + 20.0 * MIN).unwrap();
        assert_eq!(cell.grade.number(), 4);
        assert_eq!(cell.band, KEY_MID);
    }

    #[test]
    fn timeline_adds_up_intermittent_outages() {
        // 40 % twice for 10 min with an hour of health between: 20 min in all.
        let timeline = [(0.0, 0.4), (10.0 * MIN, 0.0), (70.0 * MIN, 0.4)];
        let cell = grade_timeline(Payment, &timeline, 80.0 * MIN).unwrap();
        assert_eq!(cell.grade.number(), 5);
        // Points past the end count for nothing; out-of-order ones for zero.
        assert_eq!(grade_timeline(Payment, &[(0.0, 0.4), (HOUR, 1.0)], 10.0 * MIN), None);
        assert_eq!(grade_timeline(Payment, &[(HOUR, 1.0), (0.0, 0.0)], 2.0 * HOUR), None);
        assert_eq!(grade_timeline(Payment, &[], HOUR), None);
    }

    /// Every bound of every cell, in seconds.
    fn edges() -> Vec<f64> {
        let bounds = TABLE.iter().flat_map(|c| [Some(c.duration.above_s), c.duration.up_to_s]);
        bounds.flatten().collect()
    }

    fn any_business() -> impl Strategy<Value = Business> {
        prop::sample::select(Business::ALL.to_vec())
    }

    /// Impact ratios 0-1, with extra weight on the band bounds.
    fn any_impact() -> impl Strategy<Value = f64> {
        let bounds = vec![0.0, 1e-9, 0.0099, 0.01, 0.0499, 0.05, 0.2999, 0.3, 0.4999, 0.5, 1.0];
        prop_oneof![0.0..=1.0f64, prop::sample::select(bounds)]
    }

    /// Durations up to 48 h (seconds), with extra weight on and near the bounds.
    fn any_duration() -> impl Strategy<Value = f64> {
        prop_oneof![
            0.0..48.0 * HOUR,
            prop::sample::select(edges()),
            (prop::sample::select(edges()), -1.0..1.0f64).prop_map(|(e, d)| e + d),
        ]
    }

    /// Whole-second durations up to 48 h, with extra weight on and near bounds.
    fn any_whole_seconds() -> impl Strategy<Value = u32> {
        let whole: Vec<u32> = edges().into_iter().map(|e| e as u32).collect();
        prop_oneof![
            0u32..172_800,
            prop::sample::select(whole.clone()),
            prop::sample::select(whole).prop_map(|e| e + 1),
        ]
    }

    /// Severity of an outcome that may be below the bar.
    fn sev(cell: Option<Cell>) -> u8 {
        severity(cell.map(|c| c.grade))
    }

    proptest! {
        #[test]
        fn longer_is_never_milder(
            b in any_business(), impact in any_impact(),
            d1 in any_duration(), d2 in any_duration(),
        ) {
            let (short, long) = if d1 <= d2 { (d1, d2) } else { (d2, d1) };
            prop_assert!(sev(grade(b, impact, long)) >= sev(grade(b, impact, short)));
        }

        #[test]
        fn wider_is_never_milder(
            b in any_business(), i1 in any_impact(), i2 in any_impact(), d in any_duration(),
        ) {
            let (narrow, wide) = if i1 <= i2 { (i1, i2) } else { (i2, i1) };
            prop_assert!(sev(grade(b, wide, d)) >= sev(grade(b, narrow, d)));
        }

        #[test]
        fn at_most_one_cell_matches(
            b in any_business(), impact in any_impact(), d in any_duration(),
        ) {
            let matching: Vec<Cell> = cells(b)
                .filter(|c| c.band.contains(impact) && c.duration.contains(d))
                .collect();
            prop_assert!(matching.len() <= 1);
            if impact > 0.0 {
                prop_assert_eq!(grade(b, impact, d), matching.first().copied());
            }
        }

        #[test]
        fn constant_timeline_grades_like_grade(
            b in any_business(), share in any_impact(), length in any_whole_seconds(),
            start in 0u32..100_000, cuts in prop::collection::vec(0.0..1.0f64, 0..4),
        ) {
            // Whole seconds, so that the segments add up exactly.
            let (start, length) = (f64::from(start), f64::from(length));
            let mut times: Vec<f64> = cuts.iter().map(|c| (c * length).floor()).collect();
            times.push(0.0);
            times.sort_by(f64::total_cmp);
            let timeline: Vec<(f64, f64)> = times.iter().map(|t| (start + t, share)).collect();
            let whole = grade_timeline(b, &timeline, start + length);
            prop_assert_eq!(whole, grade(b, share, length));
        }

        #[test]
        fn timeline_is_at_least_as_severe_as_each_segment(
            b in any_business(),
            steps in prop::collection::vec((any_impact(), any_whole_seconds()), 1..6),
        ) {
            let mut timeline = Vec::new();
            let mut t = 0.0;
            for &(share, length) in &steps {
                timeline.push((t, share));
                t += f64::from(length);
            }
            let whole = sev(grade_timeline(b, &timeline, t));
            for &(share, length) in &steps {
                prop_assert!(whole >= sev(grade(b, share, f64::from(length))));
            }
        }

        #[test]
        fn next_boundary_keeps_its_promise(
            b in any_business(), impact in any_impact(), d in any_duration(),
        ) {
            let eps = 1e-3;
            let now = sev(grade(b, impact, d));
            match next_boundary(b, impact, d) {
                None => prop_assert!(sev(grade(b, impact, d + 1e7)) <= now),
                Some((extra_s, then)) => {
                    prop_assert!(extra_s >= 0.0);
                    prop_assert!(severity(then) > now);
                    let after = grade(b, impact, d + extra_s + eps).map(|c| c.grade);
                    prop_assert_eq!(after, then);
                    if extra_s > eps {
                        prop_assert_eq!(sev(grade(b, impact, d + extra_s - eps)), now);
                    }
                }
            }
        }
    }
}
