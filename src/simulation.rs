//! The discrete-event simulation of one drill run, in simulated time.
//!
//! The system is the topology's elements (up or down), its groups (which members are
//! in rotation, which is active), the entry points (moved away or not), the runbooks
//! (which step runs) and the site map (which site stands in for which after a
//! switchover). Events are the drill's faults, and the reactions they set off: a
//! health check declaring a member dead, a standby or replica taking over, a spare
//! brought up by hand, users moved to another entry point, a runbook started (by the
//! loss of its trigger, or escalated after a long total outage) or a step of it done.
//!
//! After every event the part of the state it can change is re-evaluated in
//! dependency order, and each business flow's failing share is recomputed (with
//! per-evaluation memos of paths, routes and entry points); the shares form
//! piecewise-constant timelines.
//! Delays are drawn from the run's own random stream, so a run is a pure function of
//! the topology, the drill and the stream.
//!
//! Not modelled: capacity and overload (a pool with one member left carries all the
//! load), flapping (a member that comes back rejoins at once), and clients retrying.

mod replication;

use std::cell::Cell;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use rand::{Rng, RngExt};

use crate::data::{RestoreStep, Scenario};
use crate::drill::{Action, Attack, Cause, DataFault, Drill, Risk};
use crate::timing::human;
use crate::topology::{
    DdosKind, ElementId, EntryId, GroupId, MechanismId, MechanismKind, Ref, Role, RunbookId, Step,
    Topology,
};

/// Share changes smaller than this are treated as no change (ratio).
const EPSILON: f64 = 1e-12;

/// What happened during a run, for the report's event log.
#[derive(Debug, Clone, PartialEq)]
pub enum Happening {
    Fault {
        action: Action,
        target: ElementId,
    },
    Restored {
        target: ElementId,
    },
    Detected {
        group: GroupId,
        member: ElementId,
        mechanism: MechanismId,
    },
    TookOver {
        group: GroupId,
        member: ElementId,
    },
    NoCandidate {
        group: GroupId,
    },
    SpareUp {
        group: GroupId,
    },
    /// Users are sent away from an entry point; `stranded` when no fallback is healthy
    /// and they stay where they are.
    EntryMoved {
        entry: EntryId,
        stranded: bool,
    },
    EntryBack {
        entry: EntryId,
    },
    RunbookStarted {
        runbook: RunbookId,
    },
    /// Started after every business had failed for the runbook's escalation delay.
    RunbookEscalated {
        runbook: RunbookId,
    },
    /// A DDoS attack's kind recognised by the manual's rules (Q2).
    AttackRecognised {
        site: ElementId,
        kind: DdosKind,
    },
    /// A DDoS attack mitigated (anti-DDoS appliance, configuration) or over.
    AttackOver {
        site: ElementId,
        mitigated: bool,
    },
    /// A step of the DNS-hijack procedure (Appendix 1) for an entry point's users.
    Hijack {
        entry: EntryId,
        step: HijackStep,
    },
    RunbookStep {
        runbook: RunbookId,
        step: usize,
    },
    RunbookAborted {
        runbook: RunbookId,
    },
    Switched {
        runbook: RunbookId,
    },
    /// Something on the data side of a database (by index of its `[[data]]` entry).
    Data {
        database: usize,
        what: DataHappening,
    },
}

/// What happened on the data side of a database.
#[derive(Debug, Clone, PartialEq)]
pub enum DataHappening {
    /// No replica acknowledges: the primary blocks writes for the semi-sync timeout.
    SemiSyncWaiting,
    /// The primary fell back to asynchronous replication.
    SemiSyncFallback,
    /// The primary was lost while writes waited for an acknowledgement: none of them
    /// was committed, and a dead primary never falls back.
    LostWaiting,
    /// A replica acknowledges again: semi-synchronous once more.
    SemiSyncBack,
    /// A replica stopped replicating `since` seconds before now.
    ReplicationStopped {
        member: ElementId,
        since: f64,
    },
    ReplicationResumed {
        member: ElementId,
    },
    /// A load surge began: replicas acknowledge too late.
    LoadSurge,
    LoadSurgeOver,
    /// A new primary; `lost` seconds of committed writes it never received.
    Promoted {
        member: ElementId,
        lost: f64,
        by_hand: bool,
        cross_site: bool,
    },
    /// The best candidate lags more than the lag limit: promotion refused.
    PromotionRefused {
        member: ElementId,
        lag: f64,
    },
    /// A person notices what automatic detection missed or what only people handle.
    Noticed {
        why: &'static str,
    },
    /// A share of the database's requests fail: a table or the database was dropped,
    /// on every replica and real-time copy at once.
    Dropped {
        share: f64,
    },
    RestoreStarted {
        scenario: Scenario,
    },
    RestoreStep {
        scenario: Scenario,
        step: RestoreStep,
    },
    Restored {
        scenario: Scenario,
    },
}

impl DataHappening {
    fn describe(&self, topology: &Topology) -> String {
        let id = |e: ElementId| topology.elements[e].id.clone();
        match self {
            Self::SemiSyncWaiting => {
                "no replica acknowledges: writes wait for the semi-sync timeout".to_owned()
            }
            Self::SemiSyncFallback => {
                "semi-sync timed out: the primary silently falls back to asynchronous \
                 replication"
                    .to_owned()
            }
            Self::LostWaiting => "the primary is lost while writes wait for an acknowledgement: \
                                  none of them was committed, and it never falls back to \
                                  asynchronous replication"
                .to_owned(),
            Self::SemiSyncBack => "a replica acknowledges again: semi-synchronous".to_owned(),
            Self::ReplicationStopped { member, since } if *since > 0.0 => {
                format!("{} stopped replicating {} ago", id(*member), human(*since))
            }
            Self::ReplicationStopped { member, .. } => {
                format!("{} stops replicating", id(*member))
            }
            Self::ReplicationResumed { member } => {
                format!("{} replicates again and catches up", id(*member))
            }
            Self::LoadSurge => "load surge: replicas acknowledge too late".to_owned(),
            Self::LoadSurgeOver => "load surge over".to_owned(),
            Self::Promoted { member, lost, by_hand, cross_site } => {
                let how = if *by_hand { "promoted by hand" } else { "promoted" };
                let site = if *cross_site { " at another site" } else { "" };
                if *lost > 0.0 {
                    format!(
                        "{} {how}{site}: {} of committed writes it never received are lost",
                        id(*member),
                        human(*lost)
                    )
                } else {
                    format!("{} {how}{site}: no committed write lost", id(*member))
                }
            }
            Self::PromotionRefused { member, lag } => format!(
                "promotion refused: the best candidate {} lags {}, more than the lag limit; \
                 waiting for a person",
                id(*member),
                human(*lag)
            ),
            Self::Noticed { why } => format!("a person notices: {why}"),
            Self::Dropped { share } => format!(
                "dropped by mistake: {} of the database's requests fail on every replica and \
                 real-time copy at once",
                percent(*share)
            ),
            Self::RestoreStarted { scenario } => format!("{} started", scenario.name()),
            Self::RestoreStep { scenario, step } => {
                format!("restore step '{}' done ({})", step.id(), step.title(*scenario))
            }
            Self::Restored { scenario } => format!("{} complete", scenario.name()),
        }
    }
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

impl Happening {
    /// One event of a run, as a sentence.
    pub fn describe(&self, topology: &Topology) -> String {
        let element =
            |e: usize| format!("{} ({})", topology.elements[e].id, topology.elements[e].name);
        let group = |g: usize| topology.groups[g].id.clone();
        match *self {
            Self::Fault { action, target } => {
                format!("fault: {} {}", action.name(), element(target))
            }
            Self::Restored { target } => format!("{} back", topology.elements[target].id),
            Self::Detected { group: g, member, mechanism } => format!(
                "{} declares {} dead in {}",
                topology.mechanisms[mechanism].id,
                topology.elements[member].id,
                group(g)
            ),
            Self::TookOver { group: g, member } => {
                format!("{} takes over in {}", topology.elements[member].id, group(g))
            }
            Self::NoCandidate { group: g } => {
                format!("no healthy member left to take over in {}", group(g))
            }
            Self::SpareUp { group: g } => format!("spare brought into service in {}", group(g)),
            Self::EntryMoved { entry, stranded: false } => {
                format!(
                    "users of entry point {} moved to its fallbacks",
                    topology.entries[entry].id
                )
            }
            Self::EntryMoved { entry, stranded: true } => format!(
                "entry point {} taken out, but no fallback is healthy: its users stay",
                topology.entries[entry].id
            ),
            Self::EntryBack { entry } => {
                format!("users back at entry point {}", topology.entries[entry].id)
            }
            Self::AttackRecognised { site, kind } => format!(
                "{} DDoS on {} recognised by the manual's rules (Q2)",
                kind.name(),
                topology.elements[site].id
            ),
            Self::AttackOver { site, mitigated: true } => {
                format!("DDoS on {} mitigated", topology.elements[site].id)
            }
            Self::AttackOver { site, mitigated: false } => {
                format!("DDoS on {} stops", topology.elements[site].id)
            }
            Self::Hijack { entry, step } => {
                format!("DNS hijack of {} users: {}", topology.entries[entry].id, step.describe())
            }
            Self::RunbookEscalated { runbook } => {
                let book = &topology.runbooks[runbook];
                let after = book.escalate_after.as_ref().map_or(0.0, |(after, _)| *after);
                format!(
                    "runbook {} started: every business has failed for {}",
                    book.id,
                    crate::timing::human(after)
                )
            }
            Self::RunbookStarted { runbook } => {
                format!("runbook {} started", topology.runbooks[runbook].id)
            }
            Self::RunbookStep { runbook, step } => {
                let book = &topology.runbooks[runbook];
                format!(
                    "runbook {}: step '{}' done ({})",
                    book.id, book.steps[step].id, book.steps[step].title
                )
            }
            Self::RunbookAborted { runbook } => {
                format!("runbook {} abandoned", topology.runbooks[runbook].id)
            }
            Self::Data { database, ref what } => {
                format!("{}: {}", topology.data[database].name, what.describe(topology))
            }
            Self::Switched { runbook } => {
                let book = &topology.runbooks[runbook];
                format!(
                    "switchover complete: {} now serves what {} served",
                    topology.elements[book.to].id, topology.elements[book.from].id
                )
            }
        }
    }
}

/// One line of a run's event log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Simulated time \[seconds from the start of the drill\].
    pub t: f64,
    pub what: Happening,
}

/// When and by what every business was brought back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recovery {
    /// Simulated time of the recovery \[seconds from the start of the drill\].
    pub at: f64,
    /// What brought it back; none when nothing was ever impacted.
    pub by: Option<Cause>,
}

/// A runbook step's duration as drawn in one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepDraw {
    pub runbook: RunbookId,
    pub step: usize,
    /// \[seconds\]
    pub duration: f64,
}

/// The outcome of one simulated run of a drill.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// Per flow of the topology: (time \[s\], failing share 0-1) steps, sorted by time.
    pub timelines: Vec<Vec<(f64, f64)>>,
    pub log: Vec<LogLine>,
    /// Simulated horizon \[seconds\].
    pub end: f64,
    /// Time of the first fault that takes something down \[seconds\].
    pub first_fault: f64,
    /// First time a mechanism or a person noticed a failure \[seconds\].
    pub detected: Option<f64>,
    /// None when some business still fails at the horizon.
    pub recovery: Option<Recovery>,
    /// Every runbook step started, with its drawn duration, in order.
    pub steps: Vec<StepDraw>,
    /// Per `[[data]]` database of the topology: what the run did to its data.
    pub data: Vec<DataRun>,
}

/// What one run did to one database's data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataRun {
    /// Every change of primary, with what it lost.
    pub losses: Vec<Loss>,
    /// Seconds both sides would have taken writes had the topology promoted across
    /// sites automatically while the old primary, alive and unfenced, was cut off
    /// \[seconds\]: the divergence to reconcile. Never happens in the simulation itself.
    pub split_brain: f64,
    /// The recovery scenario of Chapter 7 the run went through, if any.
    pub restore: Option<RestoreRun>,
}

impl DataRun {
    /// Seconds of committed writes lost by all the run's promotions \[seconds\].
    pub fn lost(&self) -> f64 {
        self.losses.iter().fold(0.0, |total, l| total + l.lost)
    }
}

/// A change of primary and what the new primary never received.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loss {
    /// When the new primary took over \[seconds\].
    pub at: f64,
    pub member: ElementId,
    /// Committed writes it never received \[seconds of writes\].
    pub lost: f64,
    /// Time from the last write a replica acknowledged to the old primary's loss
    /// \[seconds\]: 0 while semi-synchronous; infinite for a copy at another site,
    /// which never acknowledges.
    pub unacked: f64,
    pub by_hand: bool,
    pub cross_site: bool,
}

/// One run of a recovery scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreRun {
    pub scenario: Scenario,
    /// When the team started it \[seconds\].
    pub started: f64,
    /// Steps started so far, with their durations \[seconds\].
    pub steps: Vec<(RestoreStep, f64)>,
    /// When it completed \[seconds\]; none if the horizon came first.
    pub done: Option<f64>,
    /// Age of the cold backup used \[seconds\].
    pub backup_age: f64,
    planned: Vec<(RestoreStep, f64)>,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Fault(usize),
    /// The end of a fault with a duration; stale once a later fault hits the target.
    AutoRestore {
        target: ElementId,
        epoch: u32,
    },
    Detected {
        group: GroupId,
        slot: usize,
        epoch: u32,
    },
    Takeover {
        group: GroupId,
        epoch: u32,
    },
    SpareUp {
        group: GroupId,
        epoch: u32,
    },
    EntryDown {
        entry: EntryId,
        epoch: u32,
    },
    RunbookStep {
        runbook: RunbookId,
        step: usize,
        epoch: u32,
    },
    /// The escalation delay of a runbook has passed since the total outage began.
    Escalate {
        runbook: RunbookId,
        epoch: u32,
    },
    /// A step of a DDoS defense ends: recognised, then mitigated; or the attack stops.
    Attack {
        fault: usize,
        step: AttackStep,
        epoch: u32,
    },
    /// A step of the DNS-hijack procedure of a fault ends.
    Hijack {
        fault: usize,
        step: HijackStep,
        epoch: u32,
    },
    /// Something on the data side of a database.
    Data {
        database: usize,
        event: DataEvent,
    },
}

#[derive(Debug, Clone, Copy)]
enum DataEvent {
    /// The primary stops waiting for an acknowledgement.
    SemiSyncTimeout {
        epoch: u32,
    },
    /// A stopped replica replicates again.
    Resume {
        member: ElementId,
        epoch: u32,
    },
    SurgeOver,
    /// A person has taken the alert; what they do next.
    Noticed {
        then: Then,
    },
    ManualFailover {
        epoch: u32,
    },
    RestoreStep {
        step: usize,
    },
}

/// What a person does once they notice a data problem.
#[derive(Debug, Clone, Copy)]
enum Then {
    /// Fail over by hand (a grey failure, a refused promotion).
    Failover,
    /// Run a recovery scenario of Chapter 7 on this share of the database.
    Restore(Scenario, f64),
}

/// Replication and recovery state of one `[[data]]` database.
#[derive(Debug, Clone, Default)]
struct DataState {
    /// Load surges under way: acknowledgements come too late.
    surges: u32,
    /// While no replica acknowledges: the time of the last acknowledged write.
    unacked_since: Option<f64>,
    /// The primary blocks writes, waiting for an acknowledgement.
    stalled: bool,
    stall_epoch: u32,
    /// Since when the primary is dead or hung.
    writer_down_since: Option<f64>,
    /// The primary was lost while its writes waited for an acknowledgement: none of
    /// them was committed, so nothing after `unacked_since` is at risk.
    died_waiting: bool,
    /// Share of requests failing because something was dropped (ratio 0-1).
    dropped: f64,
    /// By site slot: since when that site is cut off from the primary's site.
    cut_since: Vec<Option<f64>>,
    manual_pending: bool,
    manual_epoch: u32,
    run: DataRun,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AttackStep {
    Recognised,
    Mitigated,
    Stops,
}

/// The steps of the DNS-hijack procedure of Appendix 1 (and Q9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HijackStep {
    /// Users behind a poisoned resolver are sent to a hacker page (or, for a false
    /// positive, the monitor is about to raise a false alarm).
    Started,
    /// The domain monitor alerts (or, for a forged sub-domain, complaints pile up).
    Detected,
    /// Verified by hand: a false positive is closed here.
    Verified,
    /// Closed as a false positive: nobody was affected.
    FalsePositive,
    /// The ISP purged its cache, after a ticket (15 min for high risk, 3 h for low).
    Purged,
    /// A check after the purge found the cache still poisoned: another round.
    StillPoisoned,
    /// A check after the purge found it clean: users are back.
    Cleaned,
}

impl HijackStep {
    fn describe(self) -> &'static str {
        match self {
            HijackStep::Started => "a resolver is poisoned (or the monitor misreads one)",
            HijackStep::Detected => "detected",
            HijackStep::Verified => "verified by hand, ticket opened with the ISP",
            HijackStep::FalsePositive => "closed as a false positive",
            HijackStep::Purged => "the ISP purged its DNS cache",
            HijackStep::StillPoisoned => "still poisoned at the check: another round",
            HijackStep::Cleaned => "verified clean",
        }
    }
}

struct Scheduled {
    t: f64,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        self.t.total_cmp(&other.t).then(self.seq.cmp(&other.seq))
    }
}

/// A member of a group, as its mechanism sees it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Whether the member was up at the last evaluation.
    seen_alive: bool,
    /// Whether the mechanism still sends requests to it.
    in_rotation: bool,
    /// Bumped to cancel a pending detection.
    epoch: u32,
    /// A detection of this member is scheduled.
    detecting: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct GroupState {
    /// Active member (failover) or primary (database), as an index into the members.
    active: usize,
    takeover_epoch: u32,
    takeover_pending: bool,
    /// The active member is dead and no candidate was found.
    stuck: bool,
    spare_up: bool,
    spare_pending: bool,
    spare_epoch: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct EntryState {
    redirected: bool,
    pending: bool,
    epoch: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct RunbookState {
    running: bool,
    done: bool,
    epoch: u32,
    /// Started by escalation after a total outage rather than by its trigger.
    escalated: bool,
}

/// Runs one simulated drill with the given random stream.
pub fn run<R: Rng + ?Sized>(topology: &Topology, drill: &Drill, rng: &mut R) -> Trial {
    let mut sim = Simulation::new(topology, drill, rng);
    sim.start();
    while let Some(Reverse(next)) = sim.queue.pop() {
        if next.t > drill.end() {
            break;
        }
        sim.now = next.t;
        let cause = sim.apply(next.event);
        if sim.dirty.any() {
            sim.refresh(cause);
        }
    }
    sim.finish()
}

/// What an event changed, and so what the next evaluation must redo.
#[derive(Debug, Clone, Copy, Default)]
struct Dirty {
    /// A fault or restore: elements' up states.
    elements: bool,
    /// Members' up states, or spares brought into service.
    members: bool,
    /// Anything that can change a failing share.
    shares: bool,
}

impl Dirty {
    fn any(self) -> bool {
        self.elements || self.members || self.shares
    }
}

struct Simulation<'a, R: ?Sized> {
    topology: &'a Topology,
    drill: &'a Drill,
    rng: &'a mut R,
    now: f64,
    queue: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
    dirty: Dirty,
    failed: Vec<bool>,
    /// Bumped by every fault on an element, so that a later fault cancels an earlier
    /// fault's automatic restore.
    fault_epochs: Vec<u32>,
    alive: Vec<bool>,
    /// First slot of each group in `slots`.
    offsets: Vec<usize>,
    slots: Vec<Slot>,
    groups: Vec<GroupState>,
    /// Failing share of each group (writes, or any request) and of its read side.
    group_f: Vec<f64>,
    group_f_read: Vec<f64>,
    /// The site that currently stands in for each site (identity until a switchover).
    site_map: Vec<ElementId>,
    entries: Vec<EntryState>,
    /// Each entry point's own failing share, as of the last evaluation.
    entry_health: Vec<f64>,
    /// Per evaluation memo: success of each flow's path at each serving site slot, and
    /// failing share of each flow from each entry site slot (last slot: no entry). NaN
    /// until computed.
    path_memo: Vec<Cell<f64>>,
    from_memo: Vec<Cell<f64>>,
    /// Per evaluation memo of the success of each route, by (from, to) site slots.
    route_memo: Vec<Cell<f64>>,
    runbooks: Vec<RunbookState>,
    /// Every business is failing entirely.
    total_outage: bool,
    /// Share each attack fault (by index) still fails: 0 once over or mitigated.
    active: Vec<f64>,
    attack_epochs: Vec<u32>,
    /// Share of each site's web requests DDoS attacks make fail, by element.
    attacked: Vec<f64>,
    /// Share of each entry point's users sent elsewhere by DNS hijacks.
    hijacked: Vec<f64>,
    /// Bumped when a total outage begins or ends, to cancel pending escalations.
    escalation_epoch: u32,
    shares: Vec<f64>,
    timelines: Vec<Vec<(f64, f64)>>,
    log: Vec<LogLine>,
    steps: Vec<StepDraw>,
    detected: Option<f64>,
    impacted: bool,
    recovery: Option<Recovery>,
    /// By element: a grey failure (alive to its checks, failing its requests).
    hung: Vec<bool>,
    /// By element: since when a replica stopped replicating, and the epoch of its
    /// resumption.
    stopped_since: Vec<Option<f64>>,
    stop_epochs: Vec<u32>,
    /// By group: its database's `[[data]]` entry, if any.
    group_db: Vec<Option<usize>>,
    data: Vec<DataState>,
}

impl<'a, R: Rng + ?Sized> Simulation<'a, R> {
    fn new(topology: &'a Topology, drill: &'a Drill, rng: &'a mut R) -> Self {
        let mut offsets = Vec::with_capacity(topology.groups.len());
        let mut total = 0;
        for group in &topology.groups {
            offsets.push(total);
            total += group.members.len();
        }
        let slot = Slot { seen_alive: true, in_rotation: true, epoch: 0, detecting: false };
        let n = topology.elements.len();
        Simulation {
            topology,
            drill,
            rng,
            now: 0.0,
            queue: BinaryHeap::new(),
            seq: 0,
            dirty: Dirty { elements: true, members: true, shares: true },
            failed: vec![false; n],
            fault_epochs: vec![0; n],
            alive: vec![true; n],
            offsets,
            slots: vec![slot; total],
            groups: vec![GroupState::default(); topology.groups.len()],
            group_f: vec![0.0; topology.groups.len()],
            group_f_read: vec![0.0; topology.groups.len()],
            site_map: (0..n).collect(),
            entries: vec![EntryState::default(); topology.entries.len()],
            entry_health: vec![0.0; topology.entries.len()],
            path_memo: vec![Cell::new(f64::NAN); topology.flows.len() * topology.sites.len()],
            route_memo: vec![Cell::new(f64::NAN); topology.sites.len() * topology.sites.len()],
            from_memo: vec![Cell::new(f64::NAN); topology.flows.len() * (topology.sites.len() + 1)],
            runbooks: vec![RunbookState::default(); topology.runbooks.len()],
            total_outage: false,
            active: vec![0.0; drill.faults.len()],
            attack_epochs: vec![0; drill.faults.len()],
            attacked: vec![0.0; n],
            hijacked: vec![0.0; topology.entries.len()],
            escalation_epoch: 0,
            shares: vec![f64::NAN; topology.flows.len()],
            timelines: vec![Vec::new(); topology.flows.len()],
            log: Vec::new(),
            steps: Vec::new(),
            detected: None,
            impacted: false,
            recovery: None,
            hung: vec![false; n],
            stopped_since: vec![None; n],
            stop_epochs: vec![0; n],
            group_db: topology
                .groups
                .iter()
                .map(|g| g.service.and_then(|(s, _)| topology.database_of(s)))
                .collect(),
            data: vec![
                DataState {
                    cut_since: vec![None; topology.sites.len()],
                    ..DataState::default()
                };
                topology.data.len()
            ],
        }
    }

    fn schedule(&mut self, delay: f64, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled { t: self.now + delay, seq: self.seq, event }));
    }

    fn note(&mut self, what: Happening) {
        tracing::trace!(t_s = self.now, "{}", what.describe(self.topology));
        self.log.push(LogLine { t: self.now, what });
    }

    fn start(&mut self) {
        for (i, fault) in self.drill.faults.iter().enumerate() {
            self.seq += 1;
            self.queue.push(Reverse(Scheduled {
                t: fault.at,
                seq: self.seq,
                event: Event::Fault(i),
            }));
        }
        self.refresh(None);
    }

    fn finish(mut self) -> Trial {
        let first_fault = self.drill.first_fault();
        let recovery = if self.impacted {
            self.recovery
        } else {
            Some(Recovery { at: first_fault, by: None })
        };
        for timeline in &mut self.timelines {
            timeline.retain(|(t, _)| *t <= self.drill.end());
        }
        self.now = self.now.max(self.drill.end());
        for d in 0..self.data.len() {
            self.close_cuts(d, true);
        }
        let data = self.data.iter().map(|d| d.run.clone()).collect();
        Trial {
            timelines: self.timelines,
            log: self.log,
            end: self.drill.end(),
            first_fault,
            detected: self.detected,
            recovery,
            steps: self.steps,
            data,
        }
    }

    fn mark_detected(&mut self) {
        if self.detected.is_none() {
            self.detected = Some(self.now);
        }
    }

    /// Applies one event; returns what would be credited if it ends the impact.
    fn apply(&mut self, event: Event) -> Option<Cause> {
        match event {
            Event::Fault(i) => self.fault(i),
            Event::AutoRestore { target, epoch } => {
                if self.fault_epochs[target] != epoch {
                    return None;
                }
                self.failed[target] = false;
                self.dirty = Dirty { elements: true, members: true, shares: true };
                self.note(Happening::Restored { target });
                Some(Cause::Restore)
            }
            Event::Detected { group, slot, epoch } => self.detected(group, slot, epoch),
            Event::Takeover { group, epoch } => self.takeover(group, epoch),
            Event::SpareUp { group, epoch } => self.spare_up(group, epoch),
            Event::EntryDown { entry, epoch } => self.entry_down(entry, epoch),
            Event::RunbookStep { runbook, step, epoch } => self.runbook_step(runbook, step, epoch),
            Event::Escalate { runbook, epoch } => self.escalate(runbook, epoch),
            Event::Attack { fault, step, epoch } => self.attack_step(fault, step, epoch),
            Event::Hijack { fault, step, epoch } => self.hijack_step(fault, step, epoch),
            Event::Data { database, event } => self.data_event(database, event),
        }
    }

    fn fault(&mut self, i: usize) -> Option<Cause> {
        let fault = &self.drill.faults[i];
        if let Some(attack) = fault.attack {
            match attack {
                Attack::Hijack { entry, .. } => {
                    self.note(Happening::Hijack { entry, step: HijackStep::Started })
                }
                Attack::Ddos { .. } => {
                    self.note(Happening::Fault { action: fault.action, target: fault.target })
                }
            }
            self.start_attack(i, attack, fault.duration);
            return None;
        }
        if let Some(data) = fault.data {
            return self.data_fault(i, data);
        }
        let (action, target, duration) = (fault.action, fault.target, fault.duration);
        self.failed[target] = action.takes_down();
        self.fault_epochs[target] += 1;
        self.dirty = Dirty { elements: true, members: true, shares: true };
        self.note(Happening::Fault { action, target });
        if let Some(duration) = duration {
            let epoch = self.fault_epochs[target];
            self.schedule(duration, Event::AutoRestore { target, epoch });
        }
        (!action.takes_down()).then_some(Cause::Restore)
    }

    fn detected(&mut self, group: GroupId, slot: usize, epoch: u32) -> Option<Cause> {
        let index = self.offsets[group] + slot;
        if self.slots[index].epoch != epoch {
            return None;
        }
        self.slots[index].detecting = false;
        self.slots[index].in_rotation = false;
        self.dirty.shares = true;
        self.mark_detected();
        let mechanism = self.detector(group, slot);
        let member = self.topology.groups[group].members[slot];
        self.note(Happening::Detected { group, member, mechanism });
        let state = self.groups[group];
        let has_active = !matches!(self.kind(group), MechanismKind::Pool { .. });
        if has_active && slot == state.active && !state.takeover_pending {
            self.begin_takeover(group);
        }
        Some(Cause::Mechanism(mechanism))
    }

    fn begin_takeover(&mut self, group: GroupId) {
        let delay = match self.kind(group) {
            MechanismKind::Failover { takeover, .. } => takeover.sample(self.rng),
            MechanismKind::ReplicatedDb { promotion, .. } => promotion.sample(self.rng),
            _ => return,
        };
        let state = &mut self.groups[group];
        state.takeover_epoch += 1;
        state.takeover_pending = true;
        let epoch = state.takeover_epoch;
        self.schedule(delay, Event::Takeover { group, epoch });
    }

    fn takeover(&mut self, group: GroupId, epoch: u32) -> Option<Cause> {
        if self.groups[group].takeover_epoch != epoch {
            return None;
        }
        self.groups[group].takeover_pending = false;
        let active = self.groups[group].active;
        if self.usable(group, active) && self.slot(group, active).seen_alive {
            return None;
        }
        if let Some(d) = self.group_db[group].filter(|&d| self.writer_group(d) == Some(group)) {
            return self.promote(d, group, false);
        }
        let candidate = (0..self.topology.groups[group].members.len())
            .find(|&k| k != active && self.usable(group, k) && self.slot(group, k).seen_alive);
        self.dirty.shares = true;
        match candidate {
            Some(k) => {
                self.groups[group].active = k;
                self.groups[group].stuck = false;
                self.slots[self.offsets[group] + active].in_rotation = false;
                let member = self.topology.groups[group].members[k];
                self.note(Happening::TookOver { group, member });
            }
            None => {
                self.groups[group].stuck = true;
                self.note(Happening::NoCandidate { group });
            }
        }
        Some(Cause::Mechanism(self.topology.groups[group].mechanism))
    }

    fn spare_up(&mut self, group: GroupId, epoch: u32) -> Option<Cause> {
        if self.groups[group].spare_epoch != epoch || !self.groups[group].spare_pending {
            return None;
        }
        let state = &mut self.groups[group];
        state.spare_pending = false;
        state.spare_up = true;
        self.dirty.members = true;
        self.dirty.shares = true;
        let topology_group = &self.topology.groups[group];
        let spares = topology_group.spares_from..topology_group.members.len();
        if !self.slot(group, self.groups[group].active).seen_alive
            && let Some(k) = spares.clone().find(|&k| self.slot(group, k).seen_alive)
        {
            let state = &mut self.groups[group];
            state.active = k;
            state.stuck = false;
            state.takeover_pending = false;
            state.takeover_epoch += 1;
        }
        self.note(Happening::SpareUp { group });
        self.mark_detected();
        Some(Cause::Spare(group))
    }

    fn entry_down(&mut self, entry: EntryId, epoch: u32) -> Option<Cause> {
        let state = &mut self.entries[entry];
        if state.epoch != epoch || !state.pending {
            return None;
        }
        state.pending = false;
        state.redirected = true;
        self.dirty.shares = true;
        self.mark_detected();
        let stranded = self.stays(entry);
        self.note(Happening::EntryMoved { entry, stranded });
        self.topology.entries[entry].failover.map(Cause::Mechanism)
    }

    fn runbook_step(&mut self, runbook: RunbookId, step: usize, epoch: u32) -> Option<Cause> {
        if self.runbooks[runbook].epoch != epoch || !self.runbooks[runbook].running {
            return None;
        }
        self.mark_detected();
        self.note(Happening::RunbookStep { runbook, step });
        let book = &self.topology.runbooks[runbook];
        if step + 1 < book.steps.len() {
            self.start_step(runbook, step + 1);
            return None;
        }
        let (from, to) = (book.from, book.to);
        let writers: Vec<Option<GroupId>> =
            (0..self.data.len()).map(|d| self.writer_group(d)).collect();
        for site in &mut self.site_map {
            if *site == from {
                *site = to;
            }
        }
        for (d, old) in writers.into_iter().enumerate() {
            if self.writer_group(d) != old {
                self.writer_moved(d);
            }
        }
        self.runbooks[runbook].running = false;
        self.runbooks[runbook].done = true;
        self.dirty.shares = true;
        self.note(Happening::Switched { runbook });
        Some(Cause::Runbook(runbook))
    }

    fn kind(&self, group: GroupId) -> &'a MechanismKind {
        &self.topology.mechanisms[self.topology.groups[group].mechanism].kind
    }

    fn slot(&self, group: GroupId, k: usize) -> Slot {
        self.slots[self.offsets[group] + k]
    }

    /// Whether a member may serve: regular members always, spares once brought up.
    fn usable(&self, group: GroupId, k: usize) -> bool {
        k < self.topology.groups[group].spares_from || self.groups[group].spare_up
    }

    /// Whether the group's mechanism still runs: one lost with its site detects nothing.
    fn watcher_alive(&self, group: GroupId) -> bool {
        self.topology.groups[group].site.is_none_or(|site| self.alive[site])
    }

    /// The mechanism that watches a member: a database's replicas may be watched by
    /// the read pool's balancer rather than by the failover tool.
    fn detector(&self, group: GroupId, slot: usize) -> MechanismId {
        let g = &self.topology.groups[group];
        let is_db = matches!(self.kind(group), MechanismKind::ReplicatedDb { .. });
        match g.read_mechanism {
            Some(read) if is_db && slot != self.groups[group].active => read,
            _ => g.mechanism,
        }
    }

    fn detection_delay(&mut self, group: GroupId, slot: usize) -> f64 {
        let mechanism = &self.topology.mechanisms[self.detector(group, slot)];
        match &mechanism.kind {
            MechanismKind::Pool { check }
            | MechanismKind::ReplicatedDb { check, .. }
            | MechanismKind::EntryFailover { check, .. } => check.sample(self.rng),
            MechanismKind::Failover { heartbeat, .. } => heartbeat.sample(self.rng),
        }
    }

    /// Re-evaluates the whole state after an event, schedules the reactions it calls
    /// for and records the new failing shares.
    fn refresh(&mut self, cause: Option<Cause>) {
        let dirty = std::mem::take(&mut self.dirty);

        // Elements, in dependency order, and the runbooks their loss starts
        if dirty.elements {
            self.evaluate_elements();
            self.watch_runbooks();
        }

        // Groups: members that died or came back, spares
        if dirty.members {
            for group in 0..self.topology.groups.len() {
                self.watch_members(group);
                self.watch_spares(group);
            }
        }

        // Replication of the databases, then failing shares of groups, entry points and
        // flows, then the cuts between a primary's site and its copies
        for d in 0..self.data.len() {
            self.watch_replication(d);
        }
        self.evaluate_groups();
        self.forget_memos();
        for d in 0..self.data.len() {
            self.watch_cuts(d);
        }
        self.watch_entries();
        self.record_shares(cause);
    }

    fn evaluate_elements(&mut self) {
        for &e in &self.topology.element_order {
            let element = &self.topology.elements[e];
            let needs = element.needs.iter().all(|&n| self.alive[n]);
            let any =
                element.needs_any.is_empty() || element.needs_any.iter().any(|&n| self.alive[n]);
            self.alive[e] = !self.failed[e] && needs && any;
        }
    }

    /// Notices members that died or came back, and has the mechanism watch every dead
    /// member still in rotation (also one already dead when its watcher came back, or a
    /// spare that was dead when brought into service).
    fn watch_members(&mut self, group: GroupId) {
        let watching = self.watcher_alive(group);
        for k in 0..self.topology.groups[group].members.len() {
            let index = self.offsets[group] + k;
            let alive = self.alive[self.topology.groups[group].members[k]];
            if alive != self.slots[index].seen_alive {
                let slot = &mut self.slots[index];
                slot.seen_alive = alive;
                slot.epoch += 1;
                slot.detecting = false;
                if alive {
                    self.member_back(group, k);
                }
            }
            let slot = self.slots[index];
            let unwatched = !slot.seen_alive && slot.in_rotation && !slot.detecting;
            if unwatched && watching && self.usable(group, k) {
                let delay = self.detection_delay(group, k);
                self.slots[index].detecting = true;
                self.schedule(delay, Event::Detected { group, slot: k, epoch: slot.epoch });
            } else if slot.detecting && !watching {
                // The watcher died with its site: the pending detection will not come
                self.slots[index].detecting = false;
                self.slots[index].epoch += 1;
            }
        }
    }

    fn member_back(&mut self, group: GroupId, k: usize) {
        self.slots[self.offsets[group] + k].in_rotation = true;
        let state = self.groups[group];
        if k == state.active {
            // The active member is back: a takeover under way or stuck is moot
            let state = &mut self.groups[group];
            state.takeover_epoch += 1;
            state.takeover_pending = false;
            state.stuck = false;
        } else if state.stuck && self.usable(group, k) {
            self.begin_takeover(group);
        }
    }

    fn watch_spares(&mut self, group: GroupId) {
        let g = &self.topology.groups[group];
        let Some((bring_up, _)) = &g.bring_up else { return };
        let state = self.groups[group];
        if state.spare_up {
            return;
        }
        let all_down = (0..g.spares_from).all(|k| !self.slot(group, k).seen_alive);
        let spare_alive = (g.spares_from..g.members.len()).any(|k| self.slot(group, k).seen_alive);
        if all_down && spare_alive && !state.spare_pending {
            let response = &self.topology.response;
            let delay = response.alert.sample(self.rng)
                + response.respond.sample(self.rng)
                + bring_up.sample(self.rng);
            let state = &mut self.groups[group];
            state.spare_pending = true;
            state.spare_epoch += 1;
            let epoch = state.spare_epoch;
            self.schedule(delay, Event::SpareUp { group, epoch });
        } else if (!all_down || !spare_alive) && state.spare_pending {
            self.groups[group].spare_pending = false;
            self.groups[group].spare_epoch += 1;
        }
    }

    /// A security incident begins: a DDoS fails a share of a site's web requests until
    /// it is recognised and mitigated (or stops); a hijack sets off Appendix 1. Several
    /// incidents at one place combine as independent shares, each with its own handling.
    fn start_attack(&mut self, fault: usize, attack: Attack, duration: Option<f64>) {
        self.attack_epochs[fault] += 1;
        let epoch = self.attack_epochs[fault];
        match attack {
            Attack::Ddos { kind, share } => {
                self.active[fault] = share;
                if let Some(defense) = self.topology.defenses.iter().find(|d| d.kind == kind) {
                    let delay = defense.recognise.sample(self.rng);
                    let step = AttackStep::Recognised;
                    self.schedule(delay, Event::Attack { fault, step, epoch });
                }
                if let Some(duration) = duration {
                    self.schedule(
                        duration,
                        Event::Attack { fault, step: AttackStep::Stops, epoch },
                    );
                }
            }
            Attack::Hijack { share, risk, forged, .. } => {
                if risk != Risk::FalsePositive {
                    self.active[fault] = share;
                }
                let Some(dns) = &self.topology.dns else { return };
                let detect = if forged { &dns.complaints } else { &dns.monitor };
                let delay = detect.sample(self.rng);
                self.schedule(delay, Event::Hijack { fault, step: HijackStep::Detected, epoch });
            }
        }
        self.combine_attacks();
    }

    /// The failing share at each attacked site and of each hijacked entry point's users:
    /// the active incidents there combined as independent shares.
    fn combine_attacks(&mut self) {
        self.attacked.fill(0.0);
        self.hijacked.fill(0.0);
        for (fault, &share) in self.drill.faults.iter().zip(&self.active) {
            let slot = match fault.attack {
                Some(Attack::Ddos { .. }) => &mut self.attacked[fault.target],
                Some(Attack::Hijack { entry, .. }) => &mut self.hijacked[entry],
                None => continue,
            };
            *slot = 1.0 - (1.0 - *slot) * (1.0 - share);
        }
        self.dirty.shares = true;
    }

    fn attack_step(&mut self, fault: usize, step: AttackStep, epoch: u32) -> Option<Cause> {
        if self.attack_epochs[fault] != epoch || self.active[fault] == 0.0 {
            return None;
        }
        let site = self.drill.faults[fault].target;
        self.mark_detected();
        match step {
            AttackStep::Recognised => {
                let Some(Attack::Ddos { kind, .. }) = self.drill.faults[fault].attack else {
                    return None;
                };
                self.note(Happening::AttackRecognised { site, kind });
                if let Some(defense) = self.topology.defenses.iter().find(|d| d.kind == kind) {
                    let delay = defense.mitigate.sample(self.rng);
                    let step = AttackStep::Mitigated;
                    self.schedule(delay, Event::Attack { fault, step, epoch });
                }
                None
            }
            AttackStep::Mitigated | AttackStep::Stops => {
                self.active[fault] = 0.0;
                self.combine_attacks();
                let mitigated = step == AttackStep::Mitigated;
                self.note(Happening::AttackOver { site, mitigated });
                Some(if mitigated { Cause::Mitigation } else { Cause::Restore })
            }
        }
    }

    /// The loop of Appendix 1: detect, verify (a false positive is closed), ticket to
    /// the ISP, purge (users are back once it works), check, and again while the cache
    /// is still poisoned.
    fn hijack_step(&mut self, fault: usize, step: HijackStep, epoch: u32) -> Option<Cause> {
        if self.attack_epochs[fault] != epoch {
            return None;
        }
        let Some(Attack::Hijack { entry, risk, .. }) = self.drill.faults[fault].attack else {
            return None;
        };
        let Some(dns) = &self.topology.dns else { return None };
        self.mark_detected();
        self.note(Happening::Hijack { entry, step });
        let next = |step| Event::Hijack { fault, step, epoch };
        match step {
            HijackStep::Detected => {
                let delay = dns.verify.sample(self.rng);
                let false_alarm = risk == Risk::FalsePositive;
                let outcome =
                    if false_alarm { HijackStep::FalsePositive } else { HijackStep::Verified };
                self.schedule(delay, next(outcome));
            }
            HijackStep::Verified | HijackStep::StillPoisoned => {
                let isp = if risk == Risk::Low { &dns.isp_low } else { &dns.isp_high };
                let delay = isp.sample(self.rng);
                self.schedule(delay, next(HijackStep::Purged));
            }
            HijackStep::Purged => {
                let delay = dns.recheck.sample(self.rng);
                let still = self.rng.random::<f64>() < dns.still_poisoned;
                if still {
                    self.schedule(delay, next(HijackStep::StillPoisoned));
                    return None;
                }
                self.schedule(delay, next(HijackStep::Cleaned));
                self.active[fault] = 0.0;
                self.combine_attacks();
                return Some(Cause::Mitigation);
            }
            HijackStep::Cleaned | HijackStep::FalsePositive | HijackStep::Started => {}
        }
        None
    }

    /// Starts a runbook whose escalation delay has passed, if the outage is still total.
    fn escalate(&mut self, runbook: RunbookId, epoch: u32) -> Option<Cause> {
        let state = self.runbooks[runbook];
        let target_up = self.alive[self.topology.runbooks[runbook].to];
        if epoch != self.escalation_epoch
            || !self.total_outage
            || state.running
            || state.done
            || !target_up
        {
            return None;
        }
        let state = &mut self.runbooks[runbook];
        state.running = true;
        state.escalated = true;
        state.epoch += 1;
        self.mark_detected();
        self.note(Happening::RunbookEscalated { runbook });
        self.start_step(runbook, 0);
        None
    }

    /// Notices a total outage beginning or ending: the escalation clocks of the runbooks
    /// start with it, and an escalated runbook is abandoned once the outage ends.
    fn watch_total_outage(&mut self) {
        let total = !self.shares.is_empty() && self.shares.iter().all(|&s| s >= 1.0 - 1e-9);
        if total == self.total_outage {
            return;
        }
        self.total_outage = total;
        self.escalation_epoch += 1;
        for r in 0..self.topology.runbooks.len() {
            let state = self.runbooks[r];
            if total && !state.running && !state.done {
                if let Some((after, _)) = self.topology.runbooks[r].escalate_after {
                    let epoch = self.escalation_epoch;
                    self.schedule(after, Event::Escalate { runbook: r, epoch });
                }
            } else if !total && state.running && state.escalated {
                let state = &mut self.runbooks[r];
                state.running = false;
                state.escalated = false;
                state.epoch += 1;
                self.note(Happening::RunbookAborted { runbook: r });
            }
        }
    }

    /// Draws a runbook step's duration and schedules its end.
    fn start_step(&mut self, runbook: RunbookId, step: usize) {
        let duration = self.topology.runbooks[runbook].steps[step].duration.sample(self.rng);
        let epoch = self.runbooks[runbook].epoch;
        self.steps.push(StepDraw { runbook, step, duration });
        self.schedule(duration, Event::RunbookStep { runbook, step, epoch });
    }

    fn watch_runbooks(&mut self) {
        for r in 0..self.topology.runbooks.len() {
            let book = &self.topology.runbooks[r];
            let lost = !self.alive[book.trigger];
            let target_up = self.alive[book.to];
            let state = self.runbooks[r];
            if lost && target_up && !state.running && !state.done {
                let state = &mut self.runbooks[r];
                state.running = true;
                state.epoch += 1;
                self.note(Happening::RunbookStarted { runbook: r });
                self.start_step(r, 0);
            } else if state.running && (!target_up || (!lost && !state.escalated)) {
                self.runbooks[r].running = false;
                self.runbooks[r].epoch += 1;
                self.note(Happening::RunbookAborted { runbook: r });
            }
        }
    }

    fn evaluate_groups(&mut self) {
        for &g in &self.topology.group_order {
            let (write, read) = self.own_failing(g);
            let via = self.topology.groups[g]
                .via
                .iter()
                .fold(1.0, |ok, &r| ok * (1.0 - self.ref_failing(r)));
            self.group_f[g] = 1.0 - (1.0 - write) * via;
            self.group_f_read[g] = 1.0 - (1.0 - read) * via;
        }
    }

    fn ref_failing(&self, r: Ref) -> f64 {
        match r {
            Ref::Element(e) => f64::from(u8::from(!self.alive[e])),
            Ref::Group(g) => self.group_f[g],
        }
    }

    /// Share of requests a group fails by itself: (writes or any request, reads).
    fn own_failing(&self, group: GroupId) -> (f64, f64) {
        match self.kind(group) {
            MechanismKind::Pool { .. } => {
                let f = self.pool_failing(group, |_| true);
                (f, f)
            }
            MechanismKind::Failover { .. } | MechanismKind::EntryFailover { .. } => {
                let f = self.active_failing(group);
                (f, f)
            }
            MechanismKind::ReplicatedDb { .. } => {
                let mut write = self.active_failing(group);
                let active = self.groups[group].active;
                let has_replicas = (0..self.topology.groups[group].members.len()).any(|k| {
                    k != active && self.usable(group, k) && self.slot(group, k).in_rotation
                });
                let mut read =
                    if has_replicas { self.pool_failing(group, |k| k != active) } else { write };

                // Writes blocked on semi-sync; requests needing dropped data
                if let Some(d) = self.group_db[group] {
                    let state = &self.data[d];
                    if state.stalled && self.writer_group(d) == Some(group) {
                        write = 1.0;
                    }
                    write = 1.0 - (1.0 - write) * (1.0 - state.dropped);
                    read = 1.0 - (1.0 - read) * (1.0 - state.dropped);
                }
                (write, read)
            }
        }
    }

    fn active_failing(&self, group: GroupId) -> f64 {
        let active = self.groups[group].active;
        let hung = self.hung[self.topology.groups[group].members[active]];
        let up = self.usable(group, active) && self.slot(group, active).seen_alive && !hung;
        if up { 0.0 } else { 1.0 }
    }

    /// Dead members still in rotation over members in rotation.
    fn pool_failing(&self, group: GroupId, include: impl Fn(usize) -> bool) -> f64 {
        let (mut in_rotation, mut dead) = (0u32, 0u32);
        for k in 0..self.topology.groups[group].members.len() {
            let slot = self.slot(group, k);
            if include(k) && self.usable(group, k) && slot.in_rotation {
                in_rotation += 1;
                let hung = self.hung[self.topology.groups[group].members[k]];
                dead += u32::from(!slot.seen_alive || hung);
            }
        }
        if in_rotation == 0 { 1.0 } else { f64::from(dead) / f64::from(in_rotation) }
    }

    /// Share of requests that get from one site to another (1 within a site, 0 where
    /// no route is declared).
    fn route_success(&self, from: ElementId, to: ElementId) -> f64 {
        if from == to {
            return 1.0;
        }
        let sites = self.topology.sites.len();
        let cell =
            &self.route_memo[self.topology.site_slot[from] * sites + self.topology.site_slot[to]];
        if cell.get().is_nan() {
            let success = match self.topology.routes.get(&(from, to)) {
                Some(needs) => needs.iter().fold(1.0, |ok, &r| ok * (1.0 - self.ref_failing(r))),
                None => 0.0,
            };
            cell.set(success);
        }
        cell.get()
    }

    fn forget_memos(&mut self) {
        for cell in self.path_memo.iter().chain(&self.from_memo).chain(&self.route_memo) {
            cell.set(f64::NAN);
        }
    }

    /// Share of requests one hop fails for a request served at `site`.
    fn step_failing(&self, step: Step, site: ElementId) -> f64 {
        let service = &self.topology.services[step.service];
        let (at, route) = match service.primary_site {
            Some(primary) => {
                let primary = self.site_map[primary];
                (primary, self.route_success(site, primary))
            }
            None => (site, 1.0),
        };
        let own = match service.by_site[self.topology.site_slot[at]] {
            Some(g) if step.role == Role::Read => self.group_f_read[g],
            Some(g) => self.group_f[g],
            None => 1.0,
        };
        let failing = 1.0 - (1.0 - own) * route;
        match service.degrade_to {
            Some(fallback) if failing > 0.0 => failing * self.step_failing(fallback, site),
            _ => failing,
        }
    }

    /// Share of a flow's requests that get through every layer of its path at `site`.
    fn path_success(&self, flow: usize, site: ElementId) -> f64 {
        let cell =
            &self.path_memo[flow * self.topology.sites.len() + self.topology.site_slot[site]];
        if cell.get().is_nan() {
            let path = &self.topology.flows[flow].path;
            cell.set(path.iter().fold(1.0, |ok, &s| ok * (1.0 - self.step_failing(s, site))));
        }
        cell.get()
    }

    /// Share of a flow's requests that fail when they enter at `entry_site` (or start
    /// inside the serving sites when the flow has no entry points).
    fn flow_failing_from(&self, flow: usize, entry_site: Option<ElementId>) -> f64 {
        let sites = self.topology.sites.len();
        let slot = entry_site.map_or(sites, |s| self.topology.site_slot[s]);
        let cell = &self.from_memo[flow * (sites + 1) + slot];
        if cell.get().is_nan() {
            cell.set(self.compute_flow_failing_from(flow, entry_site));
        }
        cell.get()
    }

    fn compute_flow_failing_from(&self, f: usize, entry_site: Option<ElementId>) -> f64 {
        let flow = &self.topology.flows[f];
        let access_ok = match (flow.access, entry_site) {
            (Some(access), Some(site)) => {
                let step = Step { service: access, role: Role::Write };
                (1.0 - self.step_failing(step, site)) * (1.0 - self.attacked[site])
            }
            _ => 1.0,
        };
        let served: f64 = flow
            .serve
            .iter()
            .map(|&(site, share)| {
                let site = self.site_map[site];
                let route = entry_site.map_or(1.0, |from| self.route_success(from, site));
                if route == 0.0 { 0.0 } else { share * route * self.path_success(f, site) }
            })
            .sum();
        (1.0 - access_ok * served).clamp(0.0, 1.0)
    }

    /// How badly an entry point does on its own: the worst share over the flows using it.
    fn compute_entry_health(&self, entry: EntryId) -> f64 {
        let site = self.site_map[self.topology.entries[entry].site];
        (0..self.topology.flows.len())
            .filter(|&f| self.topology.flows[f].entries.iter().any(|&(e, _)| e == entry))
            .map(|f| self.flow_failing_from(f, Some(site)))
            .fold(0.0, f64::max)
    }

    fn watch_entries(&mut self) {
        for entry in 0..self.topology.entries.len() {
            self.entry_health[entry] = self.compute_entry_health(entry);
        }
        for entry in 0..self.topology.entries.len() {
            let Some(m) = self.topology.entries[entry].failover else { continue };
            let MechanismKind::EntryFailover { check, ttl, down_at } =
                &self.topology.mechanisms[m].kind
            else {
                continue;
            };
            let failing = self.entry_health[entry] >= *down_at;
            let state = self.entries[entry];
            if failing && !state.redirected && !state.pending {
                let delay = check.sample(self.rng) + ttl;
                let state = &mut self.entries[entry];
                state.pending = true;
                state.epoch += 1;
                let epoch = state.epoch;
                self.schedule(delay, Event::EntryDown { entry, epoch });
            } else if !failing && (state.pending || state.redirected) {
                let state = &mut self.entries[entry];
                state.pending = false;
                state.epoch += 1;
                if state.redirected {
                    state.redirected = false;
                    self.note(Happening::EntryBack { entry });
                }
            }
        }
    }

    /// Whether a fallback can take an entry point's users: not moved away itself, and
    /// failing less than the share at which the entry point was taken out.
    fn takes_users(&self, entry: EntryId, fallback: EntryId) -> bool {
        let down_at = match self.topology.entries[entry]
            .failover
            .map(|m| &self.topology.mechanisms[m].kind)
        {
            Some(MechanismKind::EntryFailover { down_at, .. }) => *down_at,
            _ => 1.0,
        };
        !self.entries[fallback].redirected && self.entry_health[fallback] < down_at
    }

    /// Whether an entry point's users stay where they are: not moved away, or moved but
    /// with no fallback able to take them.
    fn stays(&self, entry: EntryId) -> bool {
        !self.entries[entry].redirected
            || !self.topology.entries[entry].fallback.iter().any(|&f| self.takes_users(entry, f))
    }

    fn flow_failing(&self, f: usize) -> f64 {
        let flow = &self.topology.flows[f];
        if flow.entries.is_empty() {
            return self.flow_failing_from(f, None);
        }
        let at = |entry: EntryId| self.site_map[self.topology.entries[entry].site];
        let mut failing = 0.0;
        for &(entry, share) in &flow.entries {
            // Hijacked users never reach any entry point of ours
            let hijacked = self.hijacked[entry];
            failing += share * hijacked;
            let share = share * (1.0 - hijacked);
            if self.stays(entry) {
                failing += share * self.flow_failing_from(f, Some(at(entry)));
                continue;
            }
            let fallbacks = &self.topology.entries[entry].fallback;
            let healthy = fallbacks.iter().filter(|&&b| self.takes_users(entry, b)).count();
            for &b in fallbacks.iter().filter(|&&b| self.takes_users(entry, b)) {
                failing += share / healthy as f64 * self.flow_failing_from(f, Some(at(b)));
            }
        }
        failing.clamp(0.0, 1.0)
    }

    fn record_shares(&mut self, cause: Option<Cause>) {
        let was_impacted = self.shares.iter().any(|&s| s > EPSILON);
        for f in 0..self.topology.flows.len() {
            let share = self.flow_failing(f);
            let share = if share < EPSILON { 0.0 } else { share };
            if (share - self.shares[f]).abs() > EPSILON || self.shares[f].is_nan() {
                self.shares[f] = share;
                let timeline = &mut self.timelines[f];
                match timeline.last_mut() {
                    Some(last) if last.0 == self.now => last.1 = share,
                    _ => timeline.push((self.now, share)),
                }
            }
        }
        self.watch_total_outage();
        let impacted = self.shares.iter().any(|&s| s > EPSILON);
        if impacted {
            self.impacted = true;
            self.recovery = None;
        } else if was_impacted {
            self.recovery = Some(Recovery { at: self.now, by: cause });
        }
    }
}
