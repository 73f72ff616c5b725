//! Durations and the random delays of the simulation.
//!
//! Input files write durations as text ("30s", "5m", "1h30m"); inside drillsim every
//! duration is an `f64` number of simulated seconds. A delay that varies from one drill
//! to the next is a [`Distribution`]; the delay of an automatic detector is derived from
//! its check parameters ([`HealthCheck`], [`Heartbeat`]).

use std::fmt;

use rand::{Rng, RngExt};
use rand_distr::{Distribution as _, LogNormal, Triangular, Uniform};

use crate::limits::{self, raise_hint};

/// Parses a human duration ("45s", "2m30s", "1h") into seconds.
///
/// Zero is accepted ("0s"); negative, unit-less and absurdly large values (past the
/// `duration` limit of [`crate::limits`], 30 days by default) are refused with a message
/// that says what was expected.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let seconds = parse_duration_unlimited(text)?;
    let limit = limits::current().duration_s;
    if seconds > limit {
        return Err(format!(
            "duration \"{text}\" is longer than the limit of {}; {}",
            human(limit),
            raise_hint("duration", text.trim())
        ));
    }
    Ok(seconds)
}

/// As [`parse_duration`], without the limit (used to read the limit itself).
pub fn parse_duration_unlimited(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(format!("duration \"{text}\" is negative"));
    }
    if !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(format!(
            "duration \"{text}\" has no unit; write it with one, such as \"{trimmed}s\" or \"{trimmed}m\""
        ));
    }
    let seconds = humantime::parse_duration(trimmed)
        .map_err(|e| {
            format!(
                "\"{text}\" is not a duration ({e}); write one such as \"30s\", \"5m\" or \"1h30m\""
            )
        })?
        .as_secs_f64();
    Ok(seconds)
}

/// Renders seconds for people: "45 s", "2 min 5 s", "1 h 3 min".
pub fn human(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "never".to_owned();
    }
    if seconds < 60.0 {
        let rounded = (seconds * 10.0).round() / 10.0;
        return format!("{rounded} s");
    }
    let total = seconds.round() as u64;
    let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60);
    match (h, m, s) {
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

/// A delay that varies from one simulated drill to the next \[seconds\].
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Always the same value.
    Fixed(f64),
    /// Any value between `min` and `max`, all equally likely.
    Uniform { min: f64, max: f64 },
    /// Between `min` and `max`, most likely near `mode` (three-point estimate).
    Triangular { min: f64, mode: f64, max: f64 },
    /// Right-skewed: half the draws below `median`, 5 % above `p95`.
    LogNormal { median: f64, p95: f64 },
}

/// z-score of the 95th percentile of the standard normal distribution.
const Z95: f64 = 1.644_853_626_951_472_2;

impl Distribution {
    /// Draws one delay \[seconds\]; never negative.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Distribution::Fixed(v) => v,
            Distribution::Uniform { min, max } if max > min => {
                Uniform::new_inclusive(min, max).map_or(min, |d| d.sample(rng))
            }
            Distribution::Uniform { min, .. } => min,
            Distribution::Triangular { min, mode, max } if max > min => {
                Triangular::new(min, max, mode).map_or(mode, |d| d.sample(rng))
            }
            Distribution::Triangular { mode, .. } => mode,
            Distribution::LogNormal { median, p95 } => {
                let sigma = (p95 / median).ln() / Z95;
                LogNormal::new(median.ln(), sigma).map_or(median, |d| d.sample(rng))
            }
        }
    }

    /// The same distribution with every value multiplied by `factor` (a step made 50 %
    /// faster is scaled by 0.5).
    pub fn scaled(&self, factor: f64) -> Distribution {
        match *self {
            Distribution::Fixed(v) => Distribution::Fixed(v * factor),
            Distribution::Uniform { min, max } => {
                Distribution::Uniform { min: min * factor, max: max * factor }
            }
            Distribution::Triangular { min, mode, max } => Distribution::Triangular {
                min: min * factor,
                mode: mode * factor,
                max: max * factor,
            },
            Distribution::LogNormal { median, p95 } => {
                Distribution::LogNormal { median: median * factor, p95: p95 * factor }
            }
        }
    }

    /// Median of the distribution \[seconds\], for reports.
    pub fn median(&self) -> f64 {
        match *self {
            Distribution::Fixed(v) => v,
            Distribution::Uniform { min, max } => (min + max) / 2.0,
            Distribution::Triangular { min, mode, max } => triangular_median(min, mode, max),
            Distribution::LogNormal { median, .. } => median,
        }
    }

    /// Largest value the distribution can take \[seconds\]; infinite for the log-normal.
    pub fn max(&self) -> f64 {
        match *self {
            Distribution::Fixed(v) => v,
            Distribution::Uniform { max, .. } | Distribution::Triangular { max, .. } => max,
            Distribution::LogNormal { .. } => f64::INFINITY,
        }
    }
}

fn triangular_median(min: f64, mode: f64, max: f64) -> f64 {
    if max <= min {
        return mode;
    }
    let half = (max - min) / 2.0;
    if mode - min >= half {
        min + ((max - min) * (mode - min) / 2.0).sqrt()
    } else {
        max - ((max - min) * (max - mode) / 2.0).sqrt()
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Distribution::Fixed(v) => write!(f, "{}", human(v)),
            Distribution::Uniform { min, max } => {
                write!(f, "uniform {} to {}", human(min), human(max))
            }
            Distribution::Triangular { min, mode, max } => write!(
                f,
                "triangular {} / {} / {} (min / mode / max)",
                human(min),
                human(mode),
                human(max)
            ),
            Distribution::LogNormal { median, p95 } => {
                write!(f, "log-normal, median {}, P95 {}", human(median), human(p95))
            }
        }
    }
}

/// Periodic health checks, as an LVS director, TGW, CL5 or a DNS load balancer runs them.
///
/// A failure starts at a random phase of the check cycle; the first failed check ends
/// `timeout` after the next check starts, and the target is declared down after
/// `failures` consecutive failed checks, `retry_delay` apart.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    /// time between checks \[seconds\]
    pub interval: f64,
    /// time a check waits before it counts as failed \[seconds\]
    pub timeout: f64,
    /// consecutive failed checks before the target is declared down
    pub failures: u32,
    /// time between a failed check and the next one \[seconds\]
    pub retry_delay: f64,
}

impl HealthCheck {
    /// Draws the time from a failure to its detection \[seconds\].
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let phase = if self.interval > 0.0 { rng.random_range(0.0..self.interval) } else { 0.0 };
        phase + self.timeout + f64::from(self.failures - 1) * (self.retry_delay + self.timeout)
    }

    /// Shortest and longest detection times \[seconds\].
    pub fn bounds(&self) -> (f64, f64) {
        let fixed = self.timeout + f64::from(self.failures - 1) * (self.retry_delay + self.timeout);
        (fixed, fixed + self.interval)
    }
}

impl fmt::Display for HealthCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (low, high) = self.bounds();
        write!(
            f,
            "check every {}, timeout {}, down after {} failure(s) {} apart: detected in {} to {}",
            human(self.interval),
            human(self.timeout),
            self.failures,
            human(self.retry_delay),
            human(low),
            human(high)
        )
    }
}

/// Heartbeat-style detection: peers exchange a message every `keepalive`, and a peer
/// silent for `dead_time` is declared dead.
#[derive(Debug, Clone, PartialEq)]
pub struct Heartbeat {
    /// time between heartbeats \[seconds\]
    pub keepalive: f64,
    /// silence after which a peer is declared dead \[seconds\]
    pub dead_time: f64,
}

impl Heartbeat {
    /// Draws the time from a failure to its detection \[seconds\]: the last heartbeat
    /// came up to one keepalive before the failure.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let since_last = if self.keepalive > 0.0 {
            rng.random_range(0.0..self.keepalive.min(self.dead_time))
        } else {
            0.0
        };
        self.dead_time - since_last
    }
}

impl fmt::Display for Heartbeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "heartbeat every {}, dead after {} of silence",
            human(self.keepalive),
            human(self.dead_time)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn parses_human_durations_into_seconds() {
        assert_eq!(parse_duration("45s"), Ok(45.0));
        assert_eq!(parse_duration("1h30m"), Ok(5400.0));
        assert_eq!(parse_duration("0s"), Ok(0.0));
        assert_eq!(parse_duration("2701s"), Ok(2701.0));
    }

    #[test]
    fn refuses_negative_unitless_and_huge_durations() {
        assert!(parse_duration("-5s").unwrap_err().contains("negative"));
        assert!(parse_duration("30").unwrap_err().contains("no unit"));
        assert!(parse_duration("400days").unwrap_err().contains("limit"));
        assert!(parse_duration("soon").unwrap_err().contains("not a duration"));
    }

    #[test]
    fn health_check_detection_stays_within_its_bounds() {
        // keepalived's LVS defaults: delay_loop 60 s, connect_timeout 5 s, 1 retry 3 s later
        let check = HealthCheck { interval: 60.0, timeout: 5.0, failures: 2, retry_delay: 3.0 };
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (low, high) = check.bounds();
        assert_eq!((low, high), (13.0, 73.0));
        for _ in 0..1000 {
            let d = check.sample(&mut rng);
            assert!((low..high).contains(&d), "{d}");
        }
    }

    #[test]
    fn heartbeat_detection_is_the_dead_time_less_part_of_a_keepalive() {
        let hb = Heartbeat { keepalive: 2.0, dead_time: 30.0 };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            let d = hb.sample(&mut rng);
            assert!(d > 28.0 && d <= 30.0, "{d}");
        }
    }

    #[test]
    fn lognormal_matches_its_median_and_p95() {
        let dist = Distribution::LogNormal { median: 600.0, p95: 1800.0 };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut draws: Vec<f64> = (0..20_000).map(|_| dist.sample(&mut rng)).collect();
        draws.sort_by(f64::total_cmp);
        let median = draws[10_000];
        let p95 = draws[19_000];
        assert!((median / 600.0 - 1.0).abs() < 0.05, "median {median}");
        assert!((p95 / 1800.0 - 1.0).abs() < 0.08, "p95 {p95}");
    }

    #[test]
    fn triangular_median_matches_sampling() {
        let dist = Distribution::Triangular { min: 300.0, mode: 600.0, max: 1800.0 };
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut draws: Vec<f64> = (0..20_000).map(|_| dist.sample(&mut rng)).collect();
        draws.sort_by(f64::total_cmp);
        assert!((draws[10_000] - dist.median()).abs() < 25.0);
    }

    #[test]
    fn human_renders_seconds_minutes_and_hours() {
        assert_eq!(human(3.5), "3.5 s");
        assert_eq!(human(120.0), "2 min");
        assert_eq!(human(125.0), "2 min 5 s");
        assert_eq!(human(3780.0), "1 h 3 min");
    }
}
