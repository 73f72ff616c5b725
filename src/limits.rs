//! Limits that keep a bad input file from exhausting the machine.
//!
//! Input files are written by hand, and one slip ("members = 1000000", a horizon in
//! years, a million runs of a hundred thousand faults) could otherwise fill the memory
//! or keep the machine busy for days. Each limit below has a default that the bundled
//! files are far from, a name, and a message that says how to raise it: the command
//! line's `--limit NAME=VALUE`, given before anything is read.
//!
//! The limits are set once per process, before any input is read, and read everywhere
//! through [`current`]; a library user who never sets them gets [`Limits::DEFAULT`].

use std::fmt;
use std::sync::OnceLock;

use crate::timing::parse_duration_unlimited;

/// Highest the `duration` limit can be raised \[seconds\]: 1,000 years (of 365.25
/// days), the span the recovery-time histograms cover.
pub const MAX_DURATION_LIMIT_S: f64 = 1000.0 * 365.25 * 86_400.0;

/// The limits of one process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Largest input file read \[bytes\]; default 4 MiB.
    pub file_bytes: u64,
    /// Most elements of a topology, servers included; default 100,000.
    pub elements: usize,
    /// Most members (servers) of one deployment of a service; default 10,000.
    pub members: i64,
    /// Most faults in one drill; default 1,000.
    pub faults: usize,
    /// Most simulated runs of one drill; default 10,000,000.
    pub runs: u32,
    /// Longest duration written anywhere in an input file, horizons included
    /// \[seconds\]; default 30 days.
    pub duration_s: f64,
}

impl Limits {
    /// The limits when none is raised.
    pub const DEFAULT: Limits = Limits {
        file_bytes: 4 * 1024 * 1024,
        elements: 100_000,
        members: 10_000,
        faults: 1_000,
        runs: 10_000_000,
        duration_s: 30.0 * 24.0 * 3600.0,
    };

    /// The names `--limit` takes, with what each limits, for help and messages.
    pub const NAMES: [(&'static str, &'static str); 6] = [
        ("file-size", "bytes of one input file"),
        ("elements", "elements of a topology, servers included"),
        ("members", "servers of one deployment"),
        ("faults", "faults of one drill"),
        ("runs", "simulated runs of one drill"),
        ("duration", "any duration in an input file, horizons included"),
    ];

    /// Applies one `NAME=VALUE` setting, such as `elements=200000` or `duration=90days`.
    pub fn apply(&mut self, setting: &str) -> Result<(), String> {
        let (name, value) = setting.split_once('=').ok_or_else(|| {
            format!("'{setting}' is not NAME=VALUE; for example --limit elements=200000")
        })?;
        let count = |value: &str| -> Result<u64, String> {
            value.trim().replace('_', "").parse::<u64>().ok().filter(|&n| n > 0).ok_or_else(|| {
                format!("limit '{name}': \"{value}\" is not a positive whole number")
            })
        };
        match name.trim() {
            "file-size" => self.file_bytes = count(value)?,
            "elements" => self.elements = usize::try_from(count(value)?).unwrap_or(usize::MAX),
            "members" => self.members = i64::try_from(count(value)?).unwrap_or(i64::MAX),
            "faults" => self.faults = usize::try_from(count(value)?).unwrap_or(usize::MAX),
            "runs" => {
                self.runs = u32::try_from(count(value)?).map_err(|_| {
                    format!("limit 'runs': at most {} runs can be counted", u32::MAX)
                })?;
            }
            "duration" => {
                let seconds = parse_duration_unlimited(value)
                    .map_err(|e| format!("limit 'duration': {e}"))?;
                if !(seconds > 0.0 && seconds <= MAX_DURATION_LIMIT_S) {
                    return Err(format!(
                        "limit 'duration': \"{value}\" is not above 0 and at most 1000 years, \
                         the longest span drillsim's statistics resolve"
                    ));
                }
                self.duration_s = seconds;
            }
            other => {
                let names: Vec<&str> = Limits::NAMES.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "there is no limit '{other}'; the limits are {}",
                    names.join(", ")
                ));
            }
        }
        Ok(())
    }
}

impl Limits {
    /// The limits that differ from their defaults, as `--limit` settings in the order
    /// of [`Limits::NAMES`], for a command that reproduces a run.
    pub fn changed(&self) -> Vec<String> {
        let d = Limits::DEFAULT;
        let settings = [
            (self.file_bytes != d.file_bytes, self.file_bytes.to_string()),
            (self.elements != d.elements, self.elements.to_string()),
            (self.members != d.members, self.members.to_string()),
            (self.faults != d.faults, self.faults.to_string()),
            (self.runs != d.runs, self.runs.to_string()),
            (self.duration_s != d.duration_s, format!("{}s", self.duration_s)),
        ];
        Limits::NAMES
            .iter()
            .zip(settings)
            .filter(|(_, (changed, _))| *changed)
            .map(|((name, _), (_, value))| format!("{name}={value}"))
            .collect()
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

static LIMITS: OnceLock<Limits> = OnceLock::new();

/// The limits of this process: the ones [`set`] was given, else the defaults.
pub fn current() -> &'static Limits {
    LIMITS.get_or_init(Limits::default)
}

/// Sets the limits of this process; fails if they were set, or read, already.
pub fn set(limits: Limits) -> Result<(), Limits> {
    LIMITS.set(limits)
}

/// The hint that ends a message about a limit: how to raise it.
pub fn raise_hint(name: &str, value: impl fmt::Display) -> String {
    let setting = format!("{name}={value}");
    let plain = setting.chars().all(|c| c.is_ascii_alphanumeric() || "._-+:=,/".contains(c));
    let setting = if plain { setting } else { format!("'{}'", setting.replace('\'', "'\\''")) };
    format!("raise the limit with --limit {setting} if this is intended")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_can_be_raised_by_name() {
        let mut limits = Limits::DEFAULT;
        for setting in [
            "file-size=8388608",
            "elements=200_000",
            "members=20000",
            "faults=5000",
            "runs=20000000",
            "duration=90days",
        ] {
            limits.apply(setting).unwrap();
        }
        assert_eq!(limits.file_bytes, 8 * 1024 * 1024);
        assert_eq!(limits.elements, 200_000);
        assert_eq!(limits.members, 20_000);
        assert_eq!(limits.faults, 5_000);
        assert_eq!(limits.runs, 20_000_000);
        assert_eq!(limits.duration_s, 90.0 * 24.0 * 3600.0);
        assert_eq!(limits.changed()[0], "file-size=8388608");
        assert_eq!(limits.changed()[5], "duration=7776000s");
        assert!(Limits::DEFAULT.changed().is_empty());
    }

    #[test]
    fn a_hint_with_a_space_is_quoted_for_the_shell() {
        // "30days 1s" is one duration; unquoted, a shell would split it
        let hint = raise_hint("duration", "30days 1s");
        assert!(hint.contains("--limit 'duration=30days 1s' "), "{hint}");
        assert!(raise_hint("runs", 20).contains("--limit runs=20 "));
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let mut limits = Limits::DEFAULT;
        assert!(limits.apply("elements").unwrap_err().contains("NAME=VALUE"));
        assert!(limits.apply("element=5").unwrap_err().contains("the limits are file-size"));
        assert!(limits.apply("runs=0").unwrap_err().contains("positive whole number"));
        assert!(limits.apply("runs=-3").unwrap_err().contains("positive whole number"));
        assert!(limits.apply("runs=5000000000").unwrap_err().contains("at most"));
        assert!(limits.apply("duration=soon").unwrap_err().contains("limit 'duration'"));
        assert!(limits.apply("duration=2000years").unwrap_err().contains("at most 1000 years"));
        assert!(limits.apply("duration=0s").unwrap_err().contains("above 0"));
        assert_eq!(limits, Limits::DEFAULT);
    }
}
