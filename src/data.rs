//! Data protection (Art. 17, Art. 21): how the databases replicate, what a failover
//! loses, and the three recovery scenarios of Chapter 7.
//!
//! A topology's `[[data]]` entry describes one replicated database (the core and the
//! accounting databases of the manual): its write rate, its semi-synchronous
//! replicas in the primary site, its real-time copies elsewhere, its delayed copy and
//! its cold backup. The simulation uses it to measure the recovery point objective
//! (RPO) of every promotion: the seconds of committed writes the new primary never
//! received, and the transactions they hold (seconds times the write rate).
//!
//! Replication as modelled:
//! - semi-synchronous: while an in-site replica replicates, the primary commits only
//!   once a replica has received the transaction, so promoting that replica loses
//!   nothing (MySQL's lossless semi-sync);
//! - when no acknowledgement comes back (replicas stopped, or too slow under a load
//!   surge) the primary blocks writes for `semi_sync_timeout`, then silently falls back
//!   to asynchronous replication, and replicas fall behind by `replica_lag`, never by
//!   more than the time since the last acknowledged write;
//! - real-time copies at other sites are asynchronous (`remote_lag`);
//! - the delayed copy applies changes `delay` late (24 h, Art. 21) and the cold backup
//!   is a daily dump plus binlogs pulled in real time (Art. 17): only these two still
//!   hold data that a mistaken statement dropped everywhere else.
//!
//! The recovery scenarios turn data volume and throughputs into step durations
//! ([`RestorePlan`]): point-in-time restore into a temporary database (R1), rebuild
//! from the previous day's backup plus log replay (R2), and the rebuild of a primary
//! whose disk was lost, with the reconciliation of application-log operations missing
//! from the update log (R3).
//!
//! Not modelled: replicas catching up after a stall take no time; the apply lag of a
//! semi-synchronous replica (received but not yet applied) does not delay promotion;
//! write rates are constant over a drill.

use std::fmt;

use rand::{Rng, RngExt};

use crate::timing::{Distribution, human};
use crate::topology::ServiceId;

/// Default committed write transactions per second at a primary \[tx/s\]: an
/// assumption, to replace with the team's own figures.
pub const DEFAULT_TX_RATE: f64 = 300.0;

/// Default wait for a semi-synchronous acknowledgement \[seconds\]: MySQL's
/// `rpl_semi_sync_master_timeout` of 10,000 ms (MySQL reference manual).
pub const DEFAULT_SEMI_SYNC_TIMEOUT_S: f64 = 10.0;

/// Default delay of the delayed copy \[seconds\]: 24 h (Art. 21, deployment 3).
pub const DEFAULT_DELAY_S: f64 = 24.0 * 3600.0;

/// Default interval between cold backups \[seconds\]: daily (Art. 17, scenario 2
/// restores "the previous day's" backup).
pub const DEFAULT_BACKUP_EVERY_S: f64 = 24.0 * 3600.0;

/// Default size of one cold backup \[GiB\]: an assumption.
pub const DEFAULT_VOLUME_GIB: f64 = 200.0;

/// Default fetch throughput from the backup servers \[MiB/s\]: an assumption, about a
/// 1 Gbit/s link.
pub const DEFAULT_FETCH_MIB_S: f64 = 100.0;

/// Default untar throughput \[MiB/s\]: an assumption, one disk.
pub const DEFAULT_UNTAR_MIB_S: f64 = 200.0;

/// Default load throughput of `.sql` dumps \[MiB/s\]: an assumption, a single-threaded
/// import.
pub const DEFAULT_LOAD_MIB_S: f64 = 20.0;

/// Default binlog replay throughput \[transactions/s\]: an assumption, single-threaded
/// apply.
pub const DEFAULT_REPLAY_TX_S: f64 = 2000.0;

const MIN: f64 = 60.0;

/// The plausible range of a numeric `[[data]]` key, both ends included: a value
/// outside it is refused as a mistake (a unit or a power of ten off), since it would
/// only print absurd durations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
    /// The unit the key is written in.
    pub unit: &'static str,
    /// The largest value, for people ("1 PiB").
    pub max_words: &'static str,
}

/// `tx_rate`: 0.001 to 1,000,000 tx/s (from one write every 17 min to about ten times
/// the busiest public payment peaks).
pub const TX_RATE_BOUNDS: Bounds =
    Bounds { min: 0.001, max: 1e6, unit: "tx/s", max_words: "a million tx/s" };

/// `volume_gib`: 0.001 GiB (1 MiB) to 1,048,576 GiB (1 PiB).
pub const VOLUME_GIB_BOUNDS: Bounds =
    Bounds { min: 0.001, max: 1_048_576.0, unit: "GiB", max_words: "1 PiB" };

/// `fetch_mib_s`, `untar_mib_s`, `load_mib_s`: 1 to 100,000 MiB/s (from a slow disk
/// or link to about an 800 Gbit/s network or a large parallel array).
pub const THROUGHPUT_MIB_S_BOUNDS: Bounds =
    Bounds { min: 1.0, max: 100_000.0, unit: "MiB/s", max_words: "about 100 GiB/s" };

/// `replay_tx_s`: 1 to 1,000,000 tx/s (a single-threaded apply of heavy transactions to
/// a parallel apply of light ones).
pub const REPLAY_TX_S_BOUNDS: Bounds =
    Bounds { min: 1.0, max: 1e6, unit: "tx/s", max_words: "a million tx/s" };

/// Default lag of an in-site replica once replication is asynchronous: log-normal,
/// median 2 s, P95 30 s \[seconds of writes\]. An assumption: under the load that
/// tripped the semi-sync timeout, replicas fall seconds to tens of seconds behind.
pub fn default_replica_lag() -> Distribution {
    Distribution::LogNormal { median: 2.0, p95: 30.0 }
}

/// Default lag of a real-time copy at another site: log-normal, median 1 s, P95 10 s
/// \[seconds of writes\]. An assumption for uncompressed asynchronous replication
/// between cities (Art. 21).
pub fn default_remote_lag() -> Distribution {
    Distribution::LogNormal { median: 1.0, p95: 10.0 }
}

/// Default manual failover: triangular 5 / 12 / 30 min after the on-duty response.
/// Set so that alert, response and this come to about 17 min at the mode, as in the
/// public grey-failure incident of shared/DEFAULTS.md (manual failover began 17 min
/// after the first alert).
pub fn default_manual_failover() -> Distribution {
    Distribution::Triangular { min: 5.0 * MIN, mode: 12.0 * MIN, max: 30.0 * MIN }
}

/// Default reinstall of MySQL: triangular 10 / 20 / 45 min (assumption).
pub fn default_reinstall() -> Distribution {
    Distribution::Triangular { min: 10.0 * MIN, mode: 20.0 * MIN, max: 45.0 * MIN }
}

/// Default verification: triangular 10 / 20 / 60 min (assumption).
pub fn default_verify() -> Distribution {
    Distribution::Triangular { min: 10.0 * MIN, mode: 20.0 * MIN, max: 60.0 * MIN }
}

/// Default log extraction and diff of scenario 3: triangular 15 / 30 / 120 min
/// (assumption).
pub fn default_reconcile() -> Distribution {
    Distribution::Triangular { min: 15.0 * MIN, mode: 30.0 * MIN, max: 120.0 * MIN }
}

/// One replicated database and what protects its data.
#[derive(Debug, Clone)]
pub struct Database {
    /// The replicated-db service (`db-core`, `db-acct`).
    pub service: ServiceId,
    /// How reports name it (`core`, `accounting`).
    pub name: String,
    /// Committed write transactions per second at the primary \[tx/s\].
    pub tx_rate: f64,
    /// Wait for a semi-synchronous acknowledgement before falling back to
    /// asynchronous replication \[seconds\].
    pub semi_sync_timeout: f64,
    /// How far an in-site replica is behind once replication is asynchronous
    /// \[seconds of writes\].
    pub replica_lag: Distribution,
    /// How far a real-time copy at another site is behind \[seconds of writes\].
    pub remote_lag: Distribution,
    /// The service holding the delayed copy, and its delay \[seconds\].
    pub delayed: Option<(ServiceId, f64)>,
    /// Largest lag a replica may have and still be promoted automatically \[seconds\];
    /// none: any replica is promoted, whatever it missed.
    pub lag_limit: Option<f64>,
    /// From a person taking the alert to a failover done by hand \[seconds\].
    pub manual_failover: Distribution,
    pub restore: RestoreParams,
    /// Where the values come from.
    pub source: String,
}

/// What the recovery scenarios of Chapter 7 take, as volumes and throughputs.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreParams {
    /// Size of one cold backup \[GiB\].
    pub volume_gib: f64,
    /// Time between cold backups \[seconds\].
    pub backup_every: f64,
    /// \[MiB/s\]
    pub fetch_mib_s: f64,
    /// \[MiB/s\]
    pub untar_mib_s: f64,
    /// \[MiB/s\]
    pub load_mib_s: f64,
    /// \[transactions/s\]
    pub replay_tx_s: f64,
    /// Reinstalling MySQL on a host \[seconds\].
    pub reinstall: Distribution,
    /// Verifying a restored database: list databases, tables, select rows \[seconds\].
    pub verify: Distribution,
    /// Extracting the application logs and diffing them with the update log
    /// \[seconds\].
    pub reconcile: Distribution,
}

/// The recovery scenarios of Art. 17.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    /// Scenario 1: a table or database dropped; point-in-time restore from the cold
    /// backup and binlogs into a temporary database, verified, then imported.
    PointInTime,
    /// Scenario 2: the primary down with no replica to take over; rebuilt from the
    /// previous day's cold backup plus every log after the backup's sequence.
    Rebuild,
    /// Scenario 3: the primary's disk lost while a replica took over; the host is
    /// rebuilt as in scenario 2, and operations missing from the update log are
    /// reconciled from the application logs.
    DiskLost,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::PointInTime => "point-in-time restore (Art. 17, scenario 1)",
            Scenario::Rebuild => "rebuild from the cold backup (Art. 17, scenario 2)",
            Scenario::DiskLost => "rebuild after a lost disk (Art. 17, scenario 3)",
        }
    }
}

/// One step of a recovery scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RestoreStep {
    Reinstall,
    Fetch,
    Untar,
    Load,
    Replay,
    Verify,
    Import,
    Reconcile,
}

impl RestoreStep {
    pub fn id(self) -> &'static str {
        match self {
            RestoreStep::Reinstall => "reinstall",
            RestoreStep::Fetch => "fetch",
            RestoreStep::Untar => "untar",
            RestoreStep::Load => "load",
            RestoreStep::Replay => "replay",
            RestoreStep::Verify => "verify",
            RestoreStep::Import => "import",
            RestoreStep::Reconcile => "reconcile",
        }
    }

    /// What the step does in the scenario, in the manual's words.
    pub fn title(self, scenario: Scenario) -> &'static str {
        match (self, scenario) {
            (RestoreStep::Reinstall, _) => "reinstall MySQL on the host",
            (RestoreStep::Fetch, _) => "fetch the cold backup from the backup servers",
            (RestoreStep::Untar, _) => "untar the backup",
            (RestoreStep::Load, Scenario::PointInTime) => {
                "load the dropped data into a temporary database"
            }
            (RestoreStep::Load, _) => "recreate every database from its .sql dump",
            (RestoreStep::Replay, Scenario::PointInTime) => {
                "replay the binlogs up to the position before the harmful statement"
            }
            (RestoreStep::Replay, _) => {
                "replay every update log after the sequence recorded in bak_log"
            }
            (RestoreStep::Verify, _) => "list databases and tables, select rows",
            (RestoreStep::Import, _) => "import the verified data back into production",
            (RestoreStep::Reconcile, _) => {
                "keep the application-log operations absent from the update log and re-apply \
                 them"
            }
        }
    }
}

/// The steps of one recovery, with their durations \[seconds\], in order.
#[derive(Debug, Clone, PartialEq)]
pub struct RestorePlan {
    pub scenario: Scenario,
    pub steps: Vec<(RestoreStep, f64)>,
    /// Age of the cold backup used \[seconds\]: the writes to replay.
    pub backup_age: f64,
}

impl RestorePlan {
    /// Total duration \[seconds\].
    pub fn total(&self) -> f64 {
        self.steps.iter().fold(0.0, |total, (_, d)| total + d)
    }
}

const MIB_PER_GIB: f64 = 1024.0;

impl Database {
    /// Draws the steps of a recovery. `share` is the share of the database to restore
    /// (ratio 0-1: one table, or all of it); `missing_tx` the operations a promotion
    /// lost, to reconcile in scenario 3.
    pub fn plan<R: Rng + ?Sized>(
        &self,
        scenario: Scenario,
        share: f64,
        missing_tx: f64,
        rng: &mut R,
    ) -> RestorePlan {
        let p = &self.restore;

        // The writes since the latest backup, replayed from the binlogs
        let backup_age = rng.random_range(0.0..p.backup_every);
        let mib = p.volume_gib * MIB_PER_GIB;
        let replay = self.tx_rate * backup_age * share / p.replay_tx_s;

        // Steps in the manual's order
        let mut steps = Vec::new();
        if scenario != Scenario::PointInTime {
            steps.push((RestoreStep::Reinstall, p.reinstall.sample(rng)));
        }
        steps.push((RestoreStep::Fetch, mib / p.fetch_mib_s));
        steps.push((RestoreStep::Untar, mib / p.untar_mib_s));
        steps.push((RestoreStep::Load, mib * share / p.load_mib_s));
        steps.push((RestoreStep::Replay, replay));
        steps.push((RestoreStep::Verify, p.verify.sample(rng)));
        match scenario {
            Scenario::PointInTime => {
                steps.push((RestoreStep::Import, mib * share / p.load_mib_s));
            }
            Scenario::DiskLost => {
                let reapply = missing_tx / p.replay_tx_s;
                steps.push((RestoreStep::Reconcile, p.reconcile.sample(rng) + reapply));
            }
            Scenario::Rebuild => {}
        }
        RestorePlan { scenario, steps, backup_age }
    }

    /// Transactions held by `seconds` of writes.
    pub fn transactions(&self, seconds: f64) -> f64 {
        seconds * self.tx_rate
    }
}

impl fmt::Display for RestoreParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "backup {} GiB every {}; fetch {} MiB/s, untar {} MiB/s, load {} MiB/s, replay {} \
             tx/s; reinstall {}; verify {}; reconcile {}",
            self.volume_gib,
            human(self.backup_every),
            self.fetch_mib_s,
            self.untar_mib_s,
            self.load_mib_s,
            self.replay_tx_s,
            self.reinstall,
            self.verify,
            self.reconcile
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn database(volume_gib: f64) -> Database {
        Database {
            service: 0,
            name: "core".into(),
            tx_rate: 300.0,
            semi_sync_timeout: 10.0,
            replica_lag: Distribution::Fixed(1.0),
            remote_lag: Distribution::Fixed(1.0),
            delayed: None,
            lag_limit: None,
            manual_failover: Distribution::Fixed(600.0),
            restore: RestoreParams {
                volume_gib,
                backup_every: 86_400.0,
                fetch_mib_s: 100.0,
                untar_mib_s: 200.0,
                load_mib_s: 20.0,
                replay_tx_s: 2000.0,
                reinstall: Distribution::Fixed(1200.0),
                verify: Distribution::Fixed(1200.0),
                reconcile: Distribution::Fixed(600.0),
            },
            source: "test".into(),
        }
    }

    #[test]
    fn a_rebuild_fetches_untars_loads_and_replays_at_the_stated_throughputs() {
        // 200 GiB: fetch 204,800 MiB / 100 = 2048 s, untar / 200 = 1024 s, load / 20 =
        // 10,240 s; replay 300 tx/s x age / 2000 tx/s = 0.15 x age
        let plan =
            database(200.0).plan(Scenario::Rebuild, 1.0, 0.0, &mut ChaCha8Rng::seed_from_u64(1));
        let ids: Vec<&str> = plan.steps.iter().map(|(s, _)| s.id()).collect();
        assert_eq!(ids, ["reinstall", "fetch", "untar", "load", "replay", "verify"]);
        assert_eq!(plan.steps[1].1, 2048.0);
        assert_eq!(plan.steps[2].1, 1024.0);
        assert_eq!(plan.steps[3].1, 10_240.0);
        assert!((plan.steps[4].1 - 0.15 * plan.backup_age).abs() < 1e-9);
    }

    #[test]
    fn a_point_in_time_restore_goes_through_a_temporary_database_before_the_import() {
        let plan = database(200.0).plan(
            Scenario::PointInTime,
            0.01,
            0.0,
            &mut ChaCha8Rng::seed_from_u64(1),
        );
        let ids: Vec<&str> = plan.steps.iter().map(|(s, _)| s.id()).collect();
        assert_eq!(ids, ["fetch", "untar", "load", "replay", "verify", "import"]);
    }
}
