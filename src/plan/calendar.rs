//! A year of drills by the cadence of the manual: quick pay monthly and balance pay
//! every two months (Art. 22), the whole plan at least every six months with its report
//! to the regulator (Art. 9).
//!
//! The manual gives the cadence, not the days. The days here are choices, stated where
//! they are defined: every drill at 02:00 China Standard Time (+08:00, the manual's
//! example time; Shenzhen keeps no daylight saving), quick pay on the 28th of each
//! month (the manual's example day), balance pay on the 14th of every other month from
//! January, the whole plan on the 21st of June and of December.

use jiff::ZonedDateTime;
use jiff::civil::{Date, Time};
use jiff::tz::{Offset, TimeZone};

use super::TimeError;

/// Clock time of every drill: 02:00, as in the manual's example (Art. 23).
const DRILL_TIME: Time = Time::constant(2, 0, 0, 0);
/// UTC offset of every drill \[hours\]: China Standard Time, the company's.
const OFFSET_HOURS: i8 = 8;

/// The kinds of drill Art. 22 and Art. 9 set a cadence for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    QuickPay,
    BalancePay,
    WholePlan,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::QuickPay => "quick pay (快捷支付) drill",
            Kind::BalancePay => "balance pay (余额支付) drill",
            Kind::WholePlan => "whole emergency plan drill",
        }
    }

    /// Short, for ids.
    pub fn slug(self) -> &'static str {
        match self {
            Kind::QuickPay => "quick-pay",
            Kind::BalancePay => "balance-pay",
            Kind::WholePlan => "whole-plan",
        }
    }

    pub fn clause(self) -> &'static str {
        match self {
            Kind::QuickPay => "Art. 22: monthly",
            Kind::BalancePay => "Art. 22: every two months",
            Kind::WholePlan => {
                "Art. 9: at least every six months, reported to the People's \
                                Bank of China, Shenzhen Central Sub-branch"
            }
        }
    }

    /// The months (1-12) it falls in and its day of the month.
    fn schedule(self) -> (&'static [i8], i8) {
        match self {
            Kind::QuickPay => (&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 28),
            Kind::BalancePay => (&[1, 3, 5, 7, 9, 11], 14),
            Kind::WholePlan => (&[6, 12], 21),
        }
    }
}

/// One drill of the year.
#[derive(Debug, Clone)]
pub struct Scheduled {
    pub kind: Kind,
    pub at: ZonedDateTime,
}

/// Every drill of `year` in date order (quick pay before balance pay before the whole
/// plan on the same day, which the days chosen avoid).
pub fn year(year: i16) -> Result<Vec<Scheduled>, TimeError> {
    let zone = TimeZone::fixed(Offset::constant(OFFSET_HOURS));
    let mut drills = Vec::new();
    for kind in [Kind::QuickPay, Kind::BalancePay, Kind::WholePlan] {
        let (months, day) = kind.schedule();
        for &month in months {
            let out_of_range = |_| TimeError::OutOfRange { at: format!("{year}-{month:02}") };
            let date = Date::new(year, month, day).map_err(out_of_range)?;
            let at = date.to_datetime(DRILL_TIME).to_zoned_datetime(zone.clone());
            drills.push(Scheduled { kind, at: at.map_err(out_of_range)? });
        }
    }
    drills.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(drills)
}

/// The longest gap between two consecutive drills of `kind` \[days\], to check a
/// layout against its cadence.
pub fn longest_gap_days(drills: &[Scheduled], kind: Kind) -> Option<i64> {
    let times: Vec<&ZonedDateTime> =
        drills.iter().filter(|d| d.kind == kind).map(|d| &d.at).collect();
    times
        .windows(2)
        .filter_map(|w| w[0].until((jiff::Unit::Day, w[1])).ok())
        .map(|span| i64::from(span.get_days()))
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_holds_twelve_quick_pay_six_balance_pay_and_two_whole_plan_drills() {
        let drills = year(2027).unwrap();
        let count = |k: Kind| drills.iter().filter(|d| d.kind == k).count();
        assert_eq!(count(Kind::QuickPay), 12);
        assert_eq!(count(Kind::BalancePay), 6);
        assert_eq!(count(Kind::WholePlan), 2);
        assert!(drills.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(super::super::show(&drills[0].at), "Thu 2027-01-14 02:00 +08:00");
    }

    #[test]
    fn the_cadence_of_art_22_and_art_9_holds_between_drills() {
        let drills = year(2027).unwrap();
        assert!(longest_gap_days(&drills, Kind::QuickPay).unwrap() <= 31);
        assert!(longest_gap_days(&drills, Kind::BalancePay).unwrap() <= 62);
        assert!(longest_gap_days(&drills, Kind::WholePlan).unwrap() <= 184);
    }
}
