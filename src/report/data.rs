//! The data section of a report: per database, the recovery point objective (RPO) as
//! seconds of writes and transactions at risk, what a cross-site failover would have
//! cost during a partition, which copies still hold dropped data, and each recovery
//! scenario of Chapter 7 step by step, with the manual's own checks.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Assumption, round};
use crate::data::{Database, RestoreStep, Scenario};
use crate::drill::{DataFault, Drill};
use crate::monte_carlo::{DataStats, Outcome, Quantiles, RestoreStats};
use crate::timing::human;
use crate::topology::Topology;

/// P50, P95 and maximum of a figure over all runs.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Spread {
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

impl Spread {
    fn of(q: &Quantiles, scale: f64, digits: i32) -> Spread {
        Spread {
            p50: round(q.p50 * scale, digits),
            p95: round(q.p95 * scale, digits),
            max: round(q.max * scale, digits),
        }
    }
}

/// One database's data in a drill.
#[derive(Debug, Clone, Serialize)]
pub struct DataInfo {
    /// The database service (`db-core`, `db-acct`).
    pub database: String,
    pub name: String,
    /// Committed write transactions per second assumed at the primary \[tx/s\].
    pub tx_rate: f64,
    /// Committed writes lost by promotions \[seconds of writes\]; 0 in runs without one.
    pub rpo_s: Spread,
    /// The same as transactions: seconds times the write rate.
    pub transactions_at_risk: Spread,
    /// Shares of runs (0-1) whose primary changed, and that lost committed writes.
    pub promoted_share_of_runs: f64,
    pub loss_share_of_runs: f64,
    /// Writes both sides would have taken had the topology promoted across sites
    /// automatically while the old primary was cut off but alive \[seconds\].
    pub split_brain_s: Spread,
    pub split_brain_transactions: Spread,
    pub split_brain_share_of_runs: f64,
    /// Each copy of the data and what it protects against.
    pub copies: Vec<CopyInfo>,
    pub restores: Vec<RestoreInfo>,
    /// What the figures mean for this drill, in sentences.
    pub notes: Vec<String>,
    pub assumptions: Vec<Assumption>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CopyInfo {
    pub copy: String,
    pub behind: String,
    /// Whether it still holds data dropped by mistake in this drill (none without a
    /// drop).
    pub holds_dropped_data: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RestoreInfo {
    pub scenario: String,
    pub runs: u64,
    pub completed_runs: u64,
    /// Each step with its duration \[seconds\] at P50 / P95 / max.
    pub steps: Vec<RestoreStepInfo>,
    /// The scenario from its start to the data back \[seconds\].
    pub total_s: Spread,
    /// From the first fault to the data back \[seconds\].
    pub done_after_first_fault_s: Spread,
    pub checks: Vec<RestoreCheck>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RestoreStepInfo {
    pub step: String,
    pub title: String,
    pub duration_s: Spread,
    /// How the duration is computed.
    pub from: String,
}

/// A rule of the manual the scenario follows, stated as a check.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreCheck {
    pub check: String,
    pub holds: bool,
    pub note: String,
}

/// The data section of a drill's report, one entry per `[[data]]` database.
pub fn data_info(topology: &Topology, drill: &Drill, outcome: &Outcome) -> Vec<DataInfo> {
    topology
        .data
        .iter()
        .enumerate()
        .zip(&outcome.data)
        .map(|((d, db), stats)| database_info(topology, drill, d, db, stats, outcome.runs))
        .collect()
}

fn database_info(
    topology: &Topology,
    drill: &Drill,
    d: usize,
    db: &Database,
    stats: &DataStats,
    runs: u32,
) -> DataInfo {
    let n = f64::from(runs.max(1));
    let service = &topology.services[db.service];
    DataInfo {
        database: service.id.clone(),
        name: db.name.clone(),
        tx_rate: db.tx_rate,
        rpo_s: Spread::of(&stats.lost, 1.0, 3),
        transactions_at_risk: Spread::of(&stats.lost, db.tx_rate, 0),
        promoted_share_of_runs: round(stats.runs_with_promotion as f64 / n, 6),
        loss_share_of_runs: round(stats.runs_with_loss as f64 / n, 6),
        split_brain_s: Spread::of(&stats.split_brain, 1.0, 3),
        split_brain_transactions: Spread::of(&stats.split_brain, db.tx_rate, 0),
        split_brain_share_of_runs: round(stats.runs_with_split_brain as f64 / n, 6),
        copies: copies(topology, drill, d, db),
        restores: stats
            .restores
            .iter()
            .map(|r| restore_info(db, r, drops(drill, d).next()))
            .collect(),
        notes: notes(topology, drill, (d, db), stats, u64::from(runs)),
        assumptions: assumptions(db),
    }
}

/// One finding per database whose promotions lost committed writes in any run: the
/// RPO, the transactions at risk and the share of runs with a loss.
pub(super) fn loss_findings(topology: &Topology, outcome: &Outcome) -> Vec<String> {
    let n = f64::from(outcome.runs.max(1));
    let mut findings = Vec::new();
    for (db, stats) in topology.data.iter().zip(&outcome.data) {
        if stats.runs_with_loss == 0 {
            continue;
        }
        let lost = &stats.lost;
        let tx = |seconds: f64| count(db.transactions(seconds));
        findings.push(format!(
            "{} ({}): committed writes lost in {} of runs: RPO P50 {}, P95 {}, max {} of \
             writes, that is {} / {} / {} transactions at risk at {} tx/s",
            topology.services[db.service].id,
            db.name,
            percent_of_runs(stats.runs_with_loss as f64 / n),
            human(lost.p50),
            human(lost.p95),
            human(lost.max),
            tx(lost.p50),
            tx(lost.p95),
            tx(lost.max),
            db.tx_rate
        ));
    }
    findings
}

/// A share of runs as a percentage with one decimal, never rounded to 0 or 100 when
/// it is not.
fn percent_of_runs(share: f64) -> String {
    let shown = format!("{:.1} %", share * 100.0);
    match shown.as_str() {
        "0.0 %" if share > 0.0 => "less than 0.1 %".to_owned(),
        "100.0 %" if share < 1.0 => "more than 99.9 %".to_owned(),
        _ => shown,
    }
}

/// A whole number with thousands separators: 2160000 reads "2,160,000".
pub(crate) fn count(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if value < -0.5 { format!("-{grouped}") } else { grouped }
}

/// The faults of a drill that drop data of database `d`.
fn drops(drill: &Drill, d: usize) -> impl Iterator<Item = f64> + '_ {
    drill.faults.iter().filter_map(move |f| match f.data {
        Some(DataFault::Drop { database, share }) if database == d => Some(share),
        _ => None,
    })
}

fn copies(topology: &Topology, drill: &Drill, d: usize, db: &Database) -> Vec<CopyInfo> {
    let service = &topology.services[db.service];
    let dropped = drops(drill, d).next().is_some();
    let holds = |yes: bool| dropped.then_some(yes);
    let mut list = Vec::new();
    for &(site, group) in &service.deployments {
        let site_id = &topology.elements[site].id;
        let members = topology.groups[group].members.len();
        let (copy, behind) = if Some(site) == service.primary_site {
            (
                format!("primary and {} replica(s) at {site_id}", members.saturating_sub(1)),
                format!(
                    "semi-synchronous: nothing while a replica acknowledges; after a {} timeout, \
                     asynchronous and {} behind",
                    human(db.semi_sync_timeout),
                    db.replica_lag
                ),
            )
        } else {
            (
                format!("real-time copy at {site_id} ({members} server(s))"),
                format!("asynchronous, {}", db.remote_lag),
            )
        };
        list.push(CopyInfo { copy, behind, holds_dropped_data: holds(false) });
    }
    if let Some((delayed, delay)) = db.delayed {
        list.push(CopyInfo {
            copy: format!("delayed copy ({})", topology.services[delayed].id),
            behind: format!("applies every change {} late (Art. 21)", human(delay)),
            holds_dropped_data: holds(true),
        });
    }
    list.push(CopyInfo {
        copy: "cold backup with binlogs pulled in real time (Art. 17)".into(),
        behind: format!(
            "a dump every {}, then any point in time from the binlogs",
            human(db.restore.backup_every)
        ),
        holds_dropped_data: holds(true),
    });
    list
}

fn notes(
    topology: &Topology,
    drill: &Drill,
    (d, db): (usize, &Database),
    stats: &DataStats,
    runs: u64,
) -> Vec<String> {
    let mut notes = Vec::new();
    let tx = |seconds: f64| format!("{:.0}", db.transactions(seconds));

    // What promotions lost
    if stats.runs_with_promotion == 0 {
        notes.push(
            "no replica or copy was promoted to primary, so no promotion put a committed \
             write at risk"
                .into(),
        );
    } else if stats.runs_with_loss == 0 {
        notes.push(
            "every promotion kept every committed write: a replica had acknowledged each one \
             (semi-synchronous)"
                .into(),
        );
    } else {
        notes.push(format!(
            "promotions lost committed writes in {} of {} runs: RPO P50 {}, P95 {}, max {} of \
             writes, that is {} / {} / {} transactions at {} tx/s",
            stats.runs_with_loss,
            runs,
            human(stats.lost.p50),
            human(stats.lost.p95),
            human(stats.lost.max),
            tx(stats.lost.p50),
            tx(stats.lost.p95),
            tx(stats.lost.max),
            db.tx_rate
        ));
    }
    let stops = drill.faults.iter().any(
        |f| matches!(f.data, Some(DataFault::StopReplication { database, .. }) if database == d),
    );
    if stops {
        notes.push(match db.lag_limit {
            Some(limit) => format!(
                "lag limit {}: a replica further behind is not promoted automatically; a \
                 person decides, and writes wait",
                human(limit)
            ),
            None => "no lag limit: a replica that lags or has stopped replicating is still \
                     promoted, and everything it missed is lost (set 'lag_limit' to refuse)"
                .into(),
        });
    }
    let surge = drill
        .faults
        .iter()
        .any(|f| matches!(f.data, Some(DataFault::LoadSurge { database }) if database == d));
    if surge {
        notes.push(format!(
            "under the load surge no acknowledgement comes: writes block for up to {}, then the \
             primary silently falls back to asynchronous replication; a primary lost after that \
             loses what its replicas had not received, one lost while its writes still wait \
             loses none of them (none was committed)",
            human(db.semi_sync_timeout)
        ));
    }

    // Partitions: what an automatic cross-site failover would have done, where it
    // would have diverged in some run
    if stats.runs_with_split_brain > 0 {
        let service = &topology.services[db.service];
        let mechanism = &topology.mechanisms[service.mechanism];
        let takes = match &mechanism.kind {
            crate::topology::MechanismKind::ReplicatedDb { check, promotion } => {
                let (low, high) = check.bounds();
                (low + high) / 2.0 + promotion.median()
            }
            _ => 0.0,
        };
        notes.push(format!(
            "no automatic promotion across sites: the old primary, cut off but alive, cannot be \
             fenced, so drillsim never promotes a copy at another site on a partition. Had the \
             topology allowed it, a copy would have been promoted after the median detection \
             plus promotion ({}) and both sides would have taken writes: {} of runs; P50 {}, \
             P95 {} of divergent writes ({} / {} transactions) to reconcile by hand afterwards",
            human(takes),
            percent(stats.runs_with_split_brain as f64 / runs.max(1) as f64),
            human(stats.split_brain.p50),
            human(stats.split_brain.p95),
            tx(stats.split_brain.p50),
            tx(stats.split_brain.p95)
        ));
    }

    // Data dropped by mistake
    if let Some(share) = drops(drill, d).next() {
        let delayed = match db.delayed {
            Some((_, delay)) => {
                format!("the delayed copy still holds it for {} after the drop", human(delay))
            }
            None => "no delayed copy of this database (Art. 21 keeps one of core data only)".into(),
        };
        notes.push(format!(
            "dropped by mistake ({} of requests): every replica and real-time copy replicated \
             the drop at once, so no failover helps; {delayed}; the cold backup plus binlogs \
             restores it to the second before the harmful statement",
            percent(share)
        ));
    }
    notes
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// A scenario's steps and checks; `dropped` is the share of the database a drop took
/// (ratio 0-1), which a point-in-time restore loads and replays alone.
fn restore_info(db: &Database, r: &RestoreStats, dropped: Option<f64>) -> RestoreInfo {
    let p = &db.restore;
    let (volume, writes) = match (r.scenario, dropped) {
        (Scenario::PointInTime, Some(share)) if share < 1.0 => (
            format!("only the dropped table's share ({}) of {} GiB", percent(share), p.volume_gib),
            format!(
                "only the dropped table's share ({}) of the {} tx/s",
                percent(share),
                db.tx_rate
            ),
        ),
        _ => (format!("the whole {} GiB", p.volume_gib), format!("all {} tx/s", db.tx_rate)),
    };
    let steps = r
        .steps
        .iter()
        .map(|(step, q)| RestoreStepInfo {
            step: step.id().into(),
            title: step.title(r.scenario).into(),
            duration_s: Spread::of(q, 1.0, 3),
            from: match step {
                RestoreStep::Reinstall => format!("{}", p.reinstall),
                RestoreStep::Fetch => format!("{} GiB at {} MiB/s", p.volume_gib, p.fetch_mib_s),
                RestoreStep::Untar => format!("{} GiB at {} MiB/s", p.volume_gib, p.untar_mib_s),
                RestoreStep::Load | RestoreStep::Import => {
                    format!("{volume} at {} MiB/s", p.load_mib_s)
                }
                RestoreStep::Replay => format!(
                    "{writes} of writes since the backup (age uniform up to {}) at {} tx/s",
                    human(p.backup_every),
                    p.replay_tx_s
                ),
                RestoreStep::Verify => format!("{}", p.verify),
                RestoreStep::Reconcile => format!(
                    "{}, then the lost operations re-applied at {} tx/s",
                    p.reconcile, p.replay_tx_s
                ),
            },
        })
        .collect();
    RestoreInfo {
        scenario: r.scenario.name().into(),
        runs: r.runs,
        completed_runs: r.completed,
        steps,
        total_s: Spread::of(&r.total, 1.0, 3),
        done_after_first_fault_s: Spread::of(&r.done_after, 1.0, 3),
        checks: restore_checks(r.scenario),
    }
}

/// The manual's rules for each scenario, which the modelled procedure follows.
fn restore_checks(scenario: Scenario) -> Vec<RestoreCheck> {
    let mut checks = Vec::new();
    match scenario {
        Scenario::PointInTime => {
            checks.push(RestoreCheck {
                check: "temporary database first".into(),
                holds: true,
                note: "the restored data is loaded into a temporary database and verified \
                       before it is imported; never straight to production (Art. 17, scenario 1)"
                    .into(),
            });
            checks.push(RestoreCheck {
                check: "stop position before the harmful statement".into(),
                holds: true,
                note: "replay stops at the binlog file and position found from the time or from \
                       the harmful statement in the relay logs"
                    .into(),
            });
        }
        Scenario::Rebuild | Scenario::DiskLost => {
            checks.push(RestoreCheck {
                check: "the right date: the day before the disaster".into(),
                holds: true,
                note: "the script takes the date of the day before the disaster (YYYYMMDD) and \
                       option one (core) or two (accounting); a wrong date restores the wrong \
                       data although every verification passes: check the backup's date and its \
                       bak_log sequence against the disaster before replay"
                    .into(),
            });
            checks.push(RestoreCheck {
                check: "replay starts after the sequence recorded in bak_log".into(),
                holds: true,
                note: "every update log numbered above the backup's last sequence is replayed, \
                       none before it"
                    .into(),
            });
        }
    }
    if scenario == Scenario::DiskLost {
        checks.push(RestoreCheck {
            check: "operations missing from the update log reconciled".into(),
            holds: true,
            note: "lines present in the application log but absent from the update log are \
                   the operations the promotion lost; they are re-applied by hand"
                .into(),
        });
    }
    checks
}

fn assumptions(db: &Database) -> Vec<Assumption> {
    let source = db.source.clone();
    let item = |name: &str, value: String| Assumption {
        name: format!("{}: {name}", db.name),
        value,
        source: source.clone(),
    };
    vec![
        item("write rate", format!("{} tx/s", db.tx_rate)),
        item("semi-sync timeout", human(db.semi_sync_timeout)),
        item("in-site replica lag once asynchronous", db.replica_lag.to_string()),
        item("real-time copy lag", db.remote_lag.to_string()),
        item(
            "delayed copy",
            db.delayed.map_or("none".to_owned(), |(_, delay)| format!("{} late", human(delay))),
        ),
        item("lag limit", db.lag_limit.map_or("none".to_owned(), human)),
        item("manual failover after the on-duty response", db.manual_failover.to_string()),
        item("recovery volumes and throughputs", db.restore.to_string()),
    ]
}

/// Renders the data section as Markdown.
pub fn markdown(md: &mut String, data: &[DataInfo]) {
    if data.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n## Data protection (Art. 17, Art. 21)\n");
    let _ = writeln!(
        md,
        "| database | RPO P50 / P95 / max (seconds of writes) | transactions at risk P50 / P95 / max | runs promoted | runs losing writes |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|");
    for d in data {
        let _ = writeln!(
            md,
            "| {} | {} / {} / {} | {} / {} / {} | {:.1} % | {:.1} % |",
            d.name,
            human(d.rpo_s.p50),
            human(d.rpo_s.p95),
            human(d.rpo_s.max),
            count(d.transactions_at_risk.p50),
            count(d.transactions_at_risk.p95),
            count(d.transactions_at_risk.max),
            d.promoted_share_of_runs * 100.0,
            d.loss_share_of_runs * 100.0
        );
    }
    for d in data {
        let _ = writeln!(md, "\n### {} ({})\n", d.name, d.database);
        for note in &d.notes {
            let _ = writeln!(md, "- {note}");
        }
        let _ = writeln!(md, "\n| copy | behind the primary | holds dropped data |");
        let _ = writeln!(md, "|---|---|---|");
        for c in &d.copies {
            let holds = c.holds_dropped_data.map_or("-", |h| if h { "yes" } else { "no" });
            let _ = writeln!(md, "| {} | {} | {holds} |", c.copy, c.behind);
        }
        assumptions_markdown(md, d);
        for r in &d.restores {
            restore_markdown(md, r);
        }
    }
}

/// A database's assumptions as a table, named without the database's prefix; a source
/// shared by every row is written once, under the table.
fn assumptions_markdown(md: &mut String, d: &DataInfo) {
    let Some(first) = d.assumptions.first() else { return };
    let shared = d.assumptions.iter().all(|a| a.source == first.source);
    let prefix = format!("{}: ", d.name);
    let name = |a: &Assumption| a.name.strip_prefix(&prefix).unwrap_or(&a.name).to_owned();
    if shared {
        let _ = writeln!(md, "\n| assumption | value |\n|---|---|");
        for a in &d.assumptions {
            let _ = writeln!(md, "| {} | {} |", name(a), a.value);
        }
        let _ = writeln!(md, "\nSources: {}", first.source);
    } else {
        let _ = writeln!(md, "\n| assumption | value | source |\n|---|---|---|");
        for a in &d.assumptions {
            let _ = writeln!(md, "| {} | {} | {} |", name(a), a.value, a.source);
        }
    }
}

fn restore_markdown(md: &mut String, r: &RestoreInfo) {
    let _ = writeln!(
        md,
        "\n{} in {} runs, complete in {}: data back {} after the first fault at P50 ({} at P95); \
         the procedure itself takes {} at P50, {} at P95:\n",
        r.scenario,
        r.runs,
        r.completed_runs,
        human(r.done_after_first_fault_s.p50),
        human(r.done_after_first_fault_s.p95),
        human(r.total_s.p50),
        human(r.total_s.p95)
    );
    let _ = writeln!(md, "| step | P50 | P95 | from |");
    let _ = writeln!(md, "|---|---|---|---|");
    for s in &r.steps {
        let _ = writeln!(
            md,
            "| {}: {} | {} | {} | {} |",
            s.step,
            s.title,
            human(s.duration_s.p50),
            human(s.duration_s.p95),
            s.from
        );
    }
    let _ = writeln!(md, "\n| check | holds | why it matters |");
    let _ = writeln!(md, "|---|---|---|");
    for c in &r.checks {
        let _ =
            writeln!(md, "| {} | {} | {} |", c.check, if c.holds { "yes" } else { "no" }, c.note);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(0.0), "0");
        assert_eq!(count(999.4), "999");
        assert_eq!(count(2_160_000.0), "2,160,000");
        assert_eq!(count(12_345.6), "12,346");
    }

    #[test]
    fn a_share_of_runs_is_never_rounded_to_none_or_all() {
        assert_eq!(percent_of_runs(0.0004), "less than 0.1 %");
        assert_eq!(percent_of_runs(0.9996), "more than 99.9 %");
        assert_eq!(percent_of_runs(1.0), "100.0 %");
        assert_eq!(percent_of_runs(0.25), "25.0 %");
    }
}
