//! A drill: one scenario of the manual (DOMAIN.md §8), the faults that stage it and the
//! manual's answer written as checks a simulation can confirm or refute.
//!
//! A drill file is read in two steps: [`DrillFile::load`] checks its own shape, then
//! [`DrillFile::bind`] resolves its fault targets and expectations against a topology,
//! reporting unknown ids in the drill file with their line and column.

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::grade::{Business, Grade};
use crate::input::{Problem, Problems, SourceFile, suggestion};
use crate::limits::{self, raise_hint};
use crate::timing::parse_duration;
use crate::topology::{DdosKind, ElementId, ElementKind, EntryId, FileRef, Topology};

/// Simulated horizon when a drill names none \[seconds\]: one day.
pub const DEFAULT_HORIZON_S: f64 = 24.0 * 3600.0;

type Text = Spanned<String>;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DrillFile", transform = require_fault)]
struct RawDrill {
    #[serde(rename = "$schema")]
    _schema: Option<String>,
    drill: RawHeader,
    /// At least one fault (the key is required by the schema; the loader says so
    /// itself, hence the serde default).
    #[serde(default)]
    #[schemars(length(min = 1))]
    fault: Vec<RawFault>,
    #[serde(default)]
    expect: Vec<RawExpect>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DrillHeader")]
struct RawHeader {
    /// 1 to 64 ASCII letters, digits, '-' or '_': it names the report's directory.
    #[schemars(with = "String", pattern(ID_PATTERN))]
    id: Text,
    title: String,
    clause: String,
    answer: String,
    #[schemars(with = "Option<String>")]
    topology: Option<Text>,
    #[schemars(with = "Option<String>")]
    horizon: Option<Text>,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Fault")]
struct RawFault {
    #[schemars(with = "String")]
    at: Text,
    #[schemars(schema_with = "action_schema")]
    action: Text,
    #[schemars(with = "String")]
    target: Text,
    #[schemars(with = "Option<String>")]
    duration: Option<Text>,
    /// ddos: syn-flood, connection-exhaustion or bandwidth-consumption
    #[serde(default)]
    #[schemars(schema_with = "ddos_kind_schema")]
    kind: Option<Text>,
    /// ddos: share of the site's web requests the attack makes fail; dns-hijack and
    /// forged-subdomain: share of the entry point's users behind the poisoned resolver
    #[schemars(with = "Option<f64>", range(max = 1.0), extend("exclusiveMinimum" = 0.0))]
    share: Option<Spanned<f64>>,
    /// dns-hijack and forged-subdomain: high, low or false-positive (Appendix 1)
    #[serde(default)]
    #[schemars(schema_with = "risk_schema")]
    risk: Option<Text>,
    /// stop-replication: how long before `at` the replica stopped replicating
    #[schemars(with = "Option<String>")]
    since: Option<Text>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Expectation")]
struct RawExpect {
    #[schemars(schema_with = "check_schema")]
    check: Text,
    #[serde(default)]
    #[schemars(schema_with = "business_schema")]
    business: Option<Text>,
    #[schemars(with = "Option<String>")]
    by: Option<Text>,
    #[schemars(with = "Option<String>")]
    within: Option<Text>,
    /// peak-impact: ratio 0-1
    #[schemars(with = "Option<f64>", range(min = 0.0, max = 1.0))]
    at_least: Option<Spanned<f64>>,
    /// peak-impact: ratio 0-1
    #[schemars(with = "Option<f64>", range(min = 0.0, max = 1.0))]
    at_most: Option<Spanned<f64>>,
    /// max-grade: 1 (most severe) to 5
    #[schemars(with = "Option<u8>", range(min = GRADES.0, max = GRADES.1))]
    grade: Option<Spanned<i64>>,
    /// Ratio of runs (above 0, up to 1) in which the check must hold (default 1).
    #[schemars(with = "Option<f64>", range(max = 1.0), extend("exclusiveMinimum" = 0.0))]
    in_runs: Option<Spanned<f64>>,
    /// rpo-within: the database service (db-core, db-acct)
    #[schemars(with = "Option<String>")]
    database: Option<Text>,
}

/// A drill id as the schema states it: the rule of [`DrillFile::load`], which names the
/// report's directory after the id.
const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";

/// The grades of Art. 4, most severe first, for the schema's range.
const GRADES: (u8, u8) = (Grade::MOST_SEVERE.number(), Grade::LEAST_SEVERE.number());

/// The checks an `[[expect]]` may name, as [`DrillFile::bind`] reads them.
const CHECK_NAMES: [&str; 9] = [
    "no-impact",
    "no-grade",
    "max-grade",
    "peak-impact",
    "recovery-within",
    "recovered-by",
    "brought-up",
    "rpo-within",
    "restore-within",
];

/// The risks of a DNS hijack (Appendix 1), as written in drill files.
const RISK_NAMES: [&str; 3] = ["high", "low", "false-positive"];

/// Makes `fault` a required key of the drill file's schema: a drill without faults
/// simulates nothing.
fn require_fault(schema: &mut schemars::Schema) {
    if let Some(serde_json::Value::Array(required)) = schema.get_mut("required") {
        required.push("fault".into());
    }
}

fn action_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::schema::one_of(&Action::NAMES)
}

fn ddos_kind_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::schema::one_of(&DdosKind::NAMES)
}

fn risk_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::schema::one_of(&RISK_NAMES)
}

fn check_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::schema::one_of(&CHECK_NAMES)
}

fn business_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::schema::one_of(&Business::ALL.map(Business::name))
}

/// The JSON Schema of drill files, for editors that validate TOML as people type
/// (Taplo, Even Better TOML); committed as `schemas/drill.schema.json`.
pub fn schema() -> String {
    let schema = schemars::schema_for!(RawDrill);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// A drill file read and shape-checked, not yet bound to a topology.
#[derive(Debug)]
pub struct DrillFile {
    pub source: SourceFile,
    raw: RawDrill,
}

/// What a fault does to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Any element stops.
    Fail,
    /// A failed element comes back.
    Restore,
    /// A link is cut for a while, then comes back.
    Partition,
    /// One power feed is lost.
    LosePowerFeed,
    /// A whole site is lost.
    LoseSite,
    /// A DDoS attack on a site's web access (Q2).
    Ddos,
    /// A poisoned DNS resolver sends an entry point's users to a hacker page (Q1,
    /// Appendix 1).
    DnsHijack,
    /// Users are led to a forged sub-domain of the company's domain (Q9).
    ForgedSubdomain,
    /// A database server stops answering while its process lives (a grey failure):
    /// health checks pass, requests fail.
    Hang,
    /// A database server's disk is lost with its data (Art. 17, scenario 3).
    LoseDisk,
    /// A replica stops replicating (it keeps serving what it has).
    StopReplication,
    /// A load surge on a database: replicas acknowledge too late for semi-sync.
    LoadSurge,
    /// A table dropped by mistake (Art. 17, scenario 1).
    DropTable,
    /// A whole database dropped by mistake (Art. 17, scenario 1).
    DropDatabase,
}

impl Action {
    const NAMES: [&'static str; 14] = [
        "fail",
        "restore",
        "partition",
        "lose-power-feed",
        "lose-site",
        "ddos",
        "dns-hijack",
        "forged-subdomain",
        "hang",
        "lose-disk",
        "stop-replication",
        "load-surge",
        "drop-table",
        "drop-database",
    ];

    fn parse(text: &str) -> Option<Action> {
        Some(match text {
            "fail" => Action::Fail,
            "restore" => Action::Restore,
            "partition" => Action::Partition,
            "lose-power-feed" => Action::LosePowerFeed,
            "lose-site" => Action::LoseSite,
            "ddos" => Action::Ddos,
            "dns-hijack" => Action::DnsHijack,
            "forged-subdomain" => Action::ForgedSubdomain,
            "hang" => Action::Hang,
            "lose-disk" => Action::LoseDisk,
            "stop-replication" => Action::StopReplication,
            "load-surge" => Action::LoadSurge,
            "drop-table" => Action::DropTable,
            "drop-database" => Action::DropDatabase,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Fail => "fail",
            Action::Restore => "restore",
            Action::Partition => "partition",
            Action::LosePowerFeed => "lose-power-feed",
            Action::LoseSite => "lose-site",
            Action::Ddos => "ddos",
            Action::DnsHijack => "dns-hijack",
            Action::ForgedSubdomain => "forged-subdomain",
            Action::Hang => "hang",
            Action::LoseDisk => "lose-disk",
            Action::StopReplication => "stop-replication",
            Action::LoadSurge => "load-surge",
            Action::DropTable => "drop-table",
            Action::DropDatabase => "drop-database",
        }
    }

    /// The element kind this action applies to, when it is restricted to one.
    fn target_kind(self) -> Option<ElementKind> {
        match self {
            Action::Partition => Some(ElementKind::Link),
            Action::LosePowerFeed => Some(ElementKind::Power),
            Action::LoseSite | Action::Ddos => Some(ElementKind::Site),
            Action::Fail
            | Action::Restore
            | Action::DnsHijack
            | Action::ForgedSubdomain
            | Action::Hang
            | Action::LoseDisk
            | Action::StopReplication
            | Action::LoadSurge
            | Action::DropTable
            | Action::DropDatabase => None,
        }
    }

    /// Whether the action takes its target element down (attacks do not: they fail a
    /// share of requests; faults of the data side act on replication or on data).
    pub fn takes_down(self) -> bool {
        self != Action::Restore
            && !self.is_attack()
            && (!self.is_data() || self == Action::LoseDisk)
    }

    /// A fault of the data side: replication, a grey failure, data lost or dropped.
    pub fn is_data(self) -> bool {
        matches!(
            self,
            Action::Hang
                | Action::LoseDisk
                | Action::StopReplication
                | Action::LoadSurge
                | Action::DropTable
                | Action::DropDatabase
        )
    }

    /// Whether the fault can start an incident, from which recovery is measured: all
    /// but a restore and a replica stopping replicating (which fails no request).
    pub fn starts_incident(self) -> bool {
        self.takes_down() || self.is_attack() || (self.is_data() && self != Action::StopReplication)
    }

    /// A security incident rather than a failure of an element.
    pub fn is_attack(self) -> bool {
        matches!(self, Action::Ddos | Action::DnsHijack | Action::ForgedSubdomain)
    }
}

/// How likely a DNS hijack is to matter, by the reach of the poisoned resolver
/// (Appendix 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Risk {
    /// The monitor took an ISP's redirection for a hijack: nobody is affected.
    FalsePositive,
    /// A resolver in a third-tier city: the ISP must respond within 3 hours.
    Low,
    /// A resolver in a first-tier city: the ISP must respond within 15 minutes.
    High,
}

/// A security incident injected by a drill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Attack {
    /// Makes `share` (ratio 0-1) of the site's web requests fail until mitigated.
    Ddos { kind: DdosKind, share: f64 },
    /// Sends `share` (ratio 0-1) of an entry point's users elsewhere until cleaned up;
    /// `forged` for the forged sub-domain of Q9, found by complaints, not the monitor.
    Hijack { entry: EntryId, share: f64, risk: Risk, forged: bool },
}

/// A fault of the data side, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DataFault {
    /// A server of a database stops answering; health checks still pass.
    Hang { database: usize },
    /// A server of a database loses its disk.
    LoseDisk { database: usize },
    /// A replica of a database stopped replicating `since` seconds before the fault's
    /// time.
    StopReplication { database: usize, since: f64 },
    /// Replicas acknowledge too late for semi-sync while it lasts.
    LoadSurge { database: usize },
    /// `share` (ratio 0-1) of the database's requests need what was dropped.
    Drop { database: usize, share: f64 },
}

impl DataFault {
    /// Whether the drill targets the database service rather than one of its servers.
    pub fn on_service(self) -> bool {
        matches!(self, DataFault::LoadSurge { .. } | DataFault::Drop { .. })
    }

    /// The `[[data]]` entry it acts on, by index.
    pub fn database(self) -> usize {
        match self {
            DataFault::Hang { database }
            | DataFault::LoseDisk { database }
            | DataFault::StopReplication { database, .. }
            | DataFault::LoadSurge { database }
            | DataFault::Drop { database, .. } => database,
        }
    }
}

/// One injected fault, at a simulated time.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// Time of the fault from the start of the drill \[seconds\].
    pub at: f64,
    pub action: Action,
    pub target: ElementId,
    /// Time after which the target comes back by itself \[seconds\], if it does.
    pub duration: Option<f64>,
    /// The security incident, for the attack actions.
    pub attack: Option<Attack>,
    /// The data fault, for the actions of the data side.
    pub data: Option<DataFault>,
}

/// What is credited with the recovery of a drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// An automatic mechanism (by index in the topology's mechanisms).
    Mechanism(usize),
    /// A manual runbook.
    Runbook(usize),
    /// A spare brought up by hand in a group.
    Spare(usize),
    /// The failed element came back by itself (end of a partition, a restore).
    Restore,
    /// A security incident was mitigated (a DDoS filtered, a poisoned cache purged).
    Mitigation,
    /// A person promoted a replica by hand (a grey failure, a refused promotion).
    ManualPromotion,
    /// A recovery scenario of Chapter 7 restored the data (a dropped table back, a
    /// primary rebuilt).
    DataRecovery,
}

impl Cause {
    /// The label used in drill files and reports: `mechanism:lvs`, `runbook:...`.
    pub fn label(self, topology: &Topology) -> String {
        match self {
            Cause::Mechanism(m) => format!("mechanism:{}", topology.mechanisms[m].id),
            Cause::Runbook(r) => format!("runbook:{}", topology.runbooks[r].id),
            Cause::Spare(g) => format!("spare:{}", topology.groups[g].id),
            Cause::Restore => "restore".to_owned(),
            Cause::Mitigation => "mitigation".to_owned(),
            Cause::ManualPromotion => "manual-promotion".to_owned(),
            Cause::DataRecovery => "data-recovery".to_owned(),
        }
    }
}

/// A machine-checkable form of the manual's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// No request of the business fails at any time.
    NoImpact(Business),
    /// The business suffers no graded incident (Art. 4).
    NoGrade(Business),
    /// The business suffers no incident more severe than this grade.
    MaxGrade(Business, Grade),
    /// The peak failing share of the business lies within bounds (ratios 0-1).
    PeakImpact { business: Business, at_least: Option<f64>, at_most: Option<f64> },
    /// Every business is back within this time of the first fault \[seconds\].
    RecoveryWithin(f64),
    /// The last business to recover is brought back by this cause.
    RecoveredBy(Cause),
    /// The spare of a group is brought into service by hand (by index of the group).
    BroughtUp(usize),
    /// A database (by index of its `[[data]]` entry) loses at most this many seconds of
    /// committed writes.
    RpoWithin { database: usize, within: f64 },
    /// Every recovery scenario started completes within this time of the first fault
    /// \[seconds\].
    RestoreWithin(f64),
}

/// A check and the share of simulated runs in which it must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub check: Check,
    /// Ratio 0-1 of runs that must satisfy the check (default 1: every run).
    pub in_runs: f64,
    /// The check as written in the file, for reports.
    pub text: String,
}

impl Drill {
    /// Time of the first fault that takes something down \[seconds\]: the start of the
    /// incident, from which recovery and detection are measured.
    pub fn first_fault(&self) -> f64 {
        let starts = |f: &&Fault| f.action.starts_incident();
        let downs = self.faults.iter().filter(starts).map(|f| f.at);
        let first = downs.fold(f64::INFINITY, f64::min);
        if first.is_finite() { first } else { 0.0 }
    }

    /// Simulated time at which the drill stops: the horizon after the first fault
    /// \[seconds from the start of the drill\].
    pub fn end(&self) -> f64 {
        self.first_fault() + self.horizon
    }
}

/// A drill bound to a topology, ready to simulate.
#[derive(Debug, Clone)]
pub struct Drill {
    pub id: String,
    pub title: String,
    pub clause: String,
    pub answer: String,
    pub note: String,
    pub file: FileRef,
    /// How long the drill is simulated after its first fault \[seconds\].
    pub horizon: f64,
    pub faults: Vec<Fault>,
    pub expectations: Vec<Expectation>,
}

impl DrillFile {
    /// Parses a drill file and checks the parts that need no topology.
    pub fn load(source: SourceFile) -> Result<DrillFile, Problems> {
        if source.text.lines().any(|l| l.trim() == "[topology]") {
            let message = "this is a topology file, not a drill; give it with --topology".into();
            return Err(Problems::one(Problem::whole_file(&source.label, message)));
        }
        let raw: RawDrill = crate::topology::parse_toml(&source)?;
        let file = DrillFile { source, raw };
        let mut problems = Problems::default();
        if file.raw.fault.is_empty() {
            problems.push(file.at(
                &file.raw.drill.id,
                "fault",
                "a drill injects at least one [[fault]]",
            ));
        }

        let limit = limits::current().faults;
        if file.raw.fault.len() > limit {
            let count = file.raw.fault.len();
            let message = format!("{count} faults, more than the limit of {limit}");
            let hint = raise_hint("faults", count);
            problems.push(file.at(&file.raw.drill.id, "fault", &message).with_hint(hint));
        }
        let id = file.raw.drill.id.get_ref();
        let path_safe = id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if id.is_empty() || id.len() > 64 || !path_safe {
            let message = "a drill id is 1 to 64 ASCII letters, digits, '-' or '_' (it names the \
                           report's directory)";
            problems.push(file.at(&file.raw.drill.id, "id", message));
        }
        problems.into_result(file)
    }

    pub fn id(&self) -> &str {
        self.raw.drill.id.get_ref()
    }

    pub fn title(&self) -> &str {
        &self.raw.drill.title
    }

    pub fn clause(&self) -> &str {
        &self.raw.drill.clause
    }

    /// The topology the drill names, relative to the drill file, if it names one.
    pub fn topology_path(&self) -> Option<&str> {
        self.raw.drill.topology.as_ref().map(|t| t.get_ref().as_str())
    }

    /// A problem located at the drill's id.
    pub fn problem_at_id(&self, message: String) -> Problem {
        self.source.problem_at(self.raw.drill.id.span().start, Some("id"), message)
    }

    /// A problem located at the drill's `topology` key (or its header without one).
    pub fn problem_at_topology(&self, message: String) -> Problem {
        let text = self.raw.drill.topology.as_ref().unwrap_or(&self.raw.drill.id);
        self.source.problem_at(text.span().start, Some("topology"), message)
    }

    fn at(&self, text: &Text, key: &str, message: &str) -> Problem {
        self.source.problem_at(text.span().start, Some(key), message.to_owned())
    }

    /// Resolves fault targets and expectations against a topology.
    pub fn bind(&self, topology: &Topology) -> Result<Drill, Problems> {
        let mut problems = Problems::default();
        let horizon = match &self.raw.drill.horizon {
            None => DEFAULT_HORIZON_S,
            Some(h) => self.positive(h, "horizon", &mut problems),
        };

        // Faults, checked against the horizon only when the horizon itself is valid
        let limit = if problems.is_empty() { horizon } else { f64::INFINITY };
        let resolved: Vec<Option<Fault>> =
            self.raw.fault.iter().map(|f| self.fault(f, topology, &mut problems)).collect();
        self.check_restores(&resolved, topology, &mut problems);
        self.check_within_horizon(&resolved, limit, &mut problems);
        self.check_no_repeats(&resolved, &mut problems);
        let faults: Vec<Fault> = resolved.into_iter().flatten().collect();

        let expectations = self
            .raw
            .expect
            .iter()
            .filter_map(|e| self.expectation(e, topology, &mut problems))
            .collect();
        let drill = Drill {
            id: self.id().to_owned(),
            title: self.raw.drill.title.clone(),
            clause: self.raw.drill.clause.clone(),
            answer: self.raw.drill.answer.clone(),
            note: self.raw.drill.note.clone(),
            file: FileRef::of(&self.source),
            horizon,
            faults,
            expectations,
        };
        problems.into_result(drill)
    }

    /// No fault is written twice: the second would do nothing, or count twice.
    fn check_no_repeats(&self, resolved: &[Option<Fault>], problems: &mut Problems) {
        for (i, fault) in resolved.iter().enumerate() {
            let Some(fault) = fault else { continue };
            if resolved[..i].iter().flatten().any(|earlier| earlier == fault) {
                let raw = &self.raw.fault[i];
                let message = "the same fault is written twice";
                problems.push(self.at(&raw.at, "fault", message).with_hint("write it once"));
            }
        }
    }

    /// Every fault comes before the horizon, which runs from the first take-down.
    fn check_within_horizon(
        &self,
        faults: &[Option<Fault>],
        horizon: f64,
        problems: &mut Problems,
    ) {
        let starts = |f: &&Fault| f.action.starts_incident();
        let downs = faults.iter().flatten().filter(starts).map(|f| f.at);
        let first = downs.fold(f64::INFINITY, f64::min);
        for (fault, raw) in faults.iter().zip(&self.raw.fault) {
            if let Some(fault) = fault.as_ref().filter(|f| f.at >= first + horizon) {
                let message = format!(
                    "the fault comes {} after the first one, at or past the drill's horizon",
                    crate::timing::human(fault.at - first)
                );
                let mut problem = self.at(&raw.at, "at", &message);
                problem.hint = Some("raise the drill's 'horizon' (default 24h)".into());
                problems.push(problem);
            }
        }
    }

    /// A restore must follow a fault that takes the same element down.
    fn check_restores(
        &self,
        faults: &[Option<Fault>],
        topology: &Topology,
        problems: &mut Problems,
    ) {
        for (i, fault) in faults.iter().enumerate() {
            let Some(restore) = fault.as_ref().filter(|f| f.action == Action::Restore) else {
                continue;
            };
            let earlier_down =
                faults.iter().enumerate().flat_map(|(j, f)| f.as_ref().map(|f| (j, f))).any(
                    |(j, f)| {
                        f.target == restore.target
                            && f.action.takes_down()
                            && (f.at < restore.at || (f.at == restore.at && j < i))
                    },
                );
            if !earlier_down {
                let id = &topology.elements[restore.target].id;
                let message = format!("restores '{id}', which no earlier fault takes down");
                let mut problem = self.at(&self.raw.fault[i].action, "action", &message);
                problem.hint = Some("fail the element before restoring it".into());
                problems.push(problem);
            }
        }
    }

    fn duration(&self, text: &Text, key: &str, problems: &mut Problems) -> f64 {
        parse_duration(text.get_ref()).unwrap_or_else(|message| {
            problems.push(self.at(text, key, &message));
            0.0
        })
    }

    fn positive(&self, text: &Text, key: &str, problems: &mut Problems) -> f64 {
        let value = self.duration(text, key, problems);
        if value == 0.0 && parse_duration(text.get_ref()).is_ok() {
            problems.push(self.at(text, key, "must be longer than zero"));
        }
        value
    }

    /// The positive `within` duration a check named `name` needs.
    fn within(&self, raw: &RawExpect, name: &str, problems: &mut Problems) -> Option<f64> {
        let Some(within) = &raw.within else {
            let message = format!("check '{name}' needs 'within'");
            problems.push(self.at(&raw.check, "within", &message));
            return None;
        };
        Some(self.positive(within, "within", problems))
    }

    fn fault(&self, raw: &RawFault, topology: &Topology, problems: &mut Problems) -> Option<Fault> {
        let at = self.duration(&raw.at, "at", problems);
        let Some(action) = Action::parse(raw.action.get_ref()) else {
            let mut problem = self.at(
                &raw.action,
                "action",
                &format!("unknown action '{}'", raw.action.get_ref()),
            );
            problem.hint = suggestion(raw.action.get_ref(), Action::NAMES)
                .or(Some(format!("expected one of {}", Action::NAMES.join(", "))));
            problems.push(problem);
            return None;
        };
        if let Some(since) = raw.since.as_ref().filter(|_| action != Action::StopReplication) {
            let message = format!("does not apply to a '{}' fault", action.name());
            let mut problem = self.at(since, "since", &message);
            problem.hint = Some("'since' belongs to stop-replication".into());
            problems.push(problem);
        }
        if action.is_attack() {
            return self.attack(raw, at, action, topology, problems);
        }
        if action.is_data() {
            return self.data_fault(raw, at, action, topology, problems);
        }
        self.reject_attack_keys(raw, action, problems);
        let target = self.target(&raw.target, action, topology, problems)?;
        let duration = match (&raw.duration, action) {
            (Some(d), Action::Restore) => {
                problems.push(self.at(d, "duration", "a restore has no duration"));
                None
            }
            (Some(d), _) => Some(self.positive(d, "duration", problems)),
            (None, Action::Partition) => {
                problems.push(self.at(&raw.action, "duration", "a partition needs a 'duration'"));
                None
            }
            (None, _) => None,
        };
        Some(Fault { at, action, target, duration, attack: None, data: None })
    }

    /// A fault of the data side. `hang`, `lose-disk` and `stop-replication` name a
    /// server of a database with a `[[data]]` entry; `load-surge`, `drop-table` and
    /// `drop-database` name the database service itself.
    fn data_fault(
        &self,
        raw: &RawFault,
        at: f64,
        action: Action,
        topology: &Topology,
        problems: &mut Problems,
    ) -> Option<Fault> {
        // Keys that belong to other faults
        let foreign = [
            ("kind", raw.kind.as_ref().map(|k| k.span())),
            ("risk", raw.risk.as_ref().map(|r| r.span())),
            (
                "share",
                raw.share
                    .as_ref()
                    .filter(|_| action != Action::DropTable && action != Action::DropDatabase)
                    .map(|s| s.span()),
            ),
            (
                "duration",
                raw.duration
                    .as_ref()
                    .filter(|_| !matches!(action, Action::StopReplication | Action::LoadSurge))
                    .map(|d| d.span()),
            ),
        ];
        for (key, span) in foreign.into_iter().filter_map(|(k, s)| s.map(|s| (k, s))) {
            let message = format!("does not apply to a '{}' fault", action.name());
            problems.push(self.source.problem_at(span.start, Some(key), message));
        }
        let duration = raw.duration.as_ref().map(|d| self.positive(d, "duration", problems));

        // The target: a server of a database, or the database service
        let on_service =
            matches!(action, Action::LoadSurge | Action::DropTable | Action::DropDatabase);
        let (target, database) = if on_service {
            let what = format!("'{}'", action.name());
            self.database_service(&raw.target, "target", &what, topology, problems)?
        } else {
            self.database_server(&raw.target, action, topology, problems)?
        };

        // What the fault does
        let data = match action {
            Action::Hang => DataFault::Hang { database },
            Action::LoseDisk => DataFault::LoseDisk { database },
            Action::StopReplication => {
                let since = raw.since.as_ref().map_or(0.0, |s| self.duration(s, "since", problems));
                DataFault::StopReplication { database, since }
            }
            Action::LoadSurge => DataFault::LoadSurge { database },
            _ => {
                let share = match (&raw.share, action) {
                    (None, Action::DropDatabase) => 1.0,
                    (None, _) => {
                        let message = "a 'drop-table' fault needs 'share': the share (ratio 0-1) \
                                       of the database's requests that need the table";
                        problems.push(self.at(&raw.action, "share", message));
                        return None;
                    }
                    (Some(s), _) if *s.get_ref() > 0.0 && *s.get_ref() <= 1.0 => *s.get_ref(),
                    (Some(s), _) => {
                        let message = format!("{} is not a share above 0, up to 1", s.get_ref());
                        problems.push(self.source.problem_at(
                            s.span().start,
                            Some("share"),
                            message,
                        ));
                        return None;
                    }
                };
                DataFault::Drop { database, share }
            }
        };
        Some(Fault { at, action, target, duration, attack: None, data: Some(data) })
    }

    /// A database service with a `[[data]]` entry: its primary's first server stands as
    /// the element, and the entry's index comes with it.
    fn database_service(
        &self,
        raw: &Text,
        key: &str,
        what: &str,
        topology: &Topology,
        problems: &mut Problems,
    ) -> Option<(ElementId, usize)> {
        let names = topology.data.iter().map(|d| topology.services[d.service].id.as_str());
        let found =
            topology.data.iter().position(|d| topology.services[d.service].id == *raw.get_ref());
        let Some(database) = found else {
            let message = format!(
                "'{}' is not a database with a [[data]] entry in topology '{}'; {what} names one",
                raw.get_ref(),
                topology.id,
            );
            let mut problem = self.at(raw, key, &message);
            problem.hint = suggestion(raw.get_ref(), names);
            problems.push(problem);
            return None;
        };
        let service = &topology.services[topology.data[database].service];
        let group = service
            .primary_site
            .and_then(|s| service.deployment_at(s))
            .or(service.deployments.first().map(|d| d.1))?;
        Some((topology.groups[group].members[0], database))
    }

    /// A server of a database with a `[[data]]` entry.
    fn database_server(
        &self,
        raw: &Text,
        action: Action,
        topology: &Topology,
        problems: &mut Problems,
    ) -> Option<(ElementId, usize)> {
        let target = self.target(raw, action, topology, problems)?;
        let database = topology.groups.iter().find(|g| g.members.contains(&target)).and_then(|g| {
            let (service, _) = g.service?;
            topology.database_of(service)
        });
        if database.is_none() {
            let message = format!(
                "'{}' is not a server of a database with a [[data]] entry; '{}' applies to one",
                raw.get_ref(),
                action.name()
            );
            problems.push(self.at(raw, "target", &message));
        }
        Some((target, database?))
    }

    /// `kind`, `share` and `risk` belong to attacks only.
    fn reject_attack_keys(&self, raw: &RawFault, action: Action, problems: &mut Problems) {
        let keys = [
            ("kind", raw.kind.as_ref().map(|k| k.span())),
            ("share", raw.share.as_ref().map(|s| s.span())),
            ("risk", raw.risk.as_ref().map(|r| r.span())),
        ];
        for (key, span) in keys {
            if let Some(span) = span {
                let message = format!("does not apply to a '{}' fault", action.name());
                problems.push(self.source.problem_at(span.start, Some(key), message));
            }
        }
    }

    /// A security incident: a DDoS on a site, or a hijack of an entry point's users.
    fn attack(
        &self,
        raw: &RawFault,
        at: f64,
        action: Action,
        topology: &Topology,
        problems: &mut Problems,
    ) -> Option<Fault> {
        let share = match &raw.share {
            Some(s) if *s.get_ref() > 0.0 && *s.get_ref() <= 1.0 => Some(*s.get_ref()),
            Some(s) => {
                let message = format!("{} is not a share above 0, up to 1", s.get_ref());
                problems.push(self.source.problem_at(s.span().start, Some("share"), message));
                None
            }
            None => {
                let message = format!("a '{}' fault needs 'share' (ratio 0-1)", action.name());
                problems.push(self.at(&raw.action, "share", &message));
                None
            }
        };
        // The rest is checked even when the share is wrong, so that every problem shows
        let fault = if action == Action::Ddos {
            self.ddos(raw, at, share.unwrap_or(1.0), topology, problems)
        } else {
            self.hijack(raw, at, action, share.unwrap_or(1.0), topology, problems)
        };
        share.and(fault)
    }

    fn ddos(
        &self,
        raw: &RawFault,
        at: f64,
        share: f64,
        topology: &Topology,
        problems: &mut Problems,
    ) -> Option<Fault> {
        let duration = raw.duration.as_ref().map(|d| self.positive(d, "duration", problems));
        if let Some(risk) = &raw.risk {
            problems.push(self.at(risk, "risk", "does not apply to a 'ddos' fault"));
        }
        let target = self.target(&raw.target, Action::Ddos, topology, problems);
        let Some(kind_text) = &raw.kind else {
            let message = "a 'ddos' fault needs 'kind': syn-flood, connection-exhaustion or \
                           bandwidth-consumption";
            problems.push(self.at(&raw.action, "kind", message));
            return None;
        };
        let Some(kind) = DdosKind::parse(kind_text.get_ref()) else {
            let message = format!("unknown kind of DDoS '{}'", kind_text.get_ref());
            let mut problem = self.at(kind_text, "kind", &message);
            problem.hint = suggestion(kind_text.get_ref(), DdosKind::NAMES)
                .or(Some(format!("expected one of {}", DdosKind::NAMES.join(", "))));
            problems.push(problem);
            return None;
        };
        if !topology.defenses.iter().any(|d| d.kind == kind) {
            let message =
                format!("topology '{}' has no [[defense]] for '{}'", topology.id, kind.name());
            problems.push(self.at(kind_text, "kind", &message));
            return None;
        }
        let attack = Some(Attack::Ddos { kind, share });
        Some(Fault { at, action: Action::Ddos, target: target?, duration, attack, data: None })
    }

    fn hijack(
        &self,
        raw: &RawFault,
        at: f64,
        action: Action,
        share: f64,
        topology: &Topology,
        problems: &mut Problems,
    ) -> Option<Fault> {
        for (key, span) in [
            ("duration", raw.duration.as_ref().map(|d| d.span())),
            ("kind", raw.kind.as_ref().map(|k| k.span())),
        ] {
            if let Some(span) = span {
                let message = format!("does not apply to a '{}' fault", action.name());
                problems.push(self.source.problem_at(span.start, Some(key), message));
            }
        }
        let entries = &topology.entries;
        let entry = entries.iter().position(|e| e.id == *raw.target.get_ref());
        if entry.is_none() {
            let message = format!(
                "unknown entry point '{}' in topology '{}'",
                raw.target.get_ref(),
                topology.id
            );
            let mut problem = self.at(&raw.target, "target", &message);
            problem.hint = suggestion(raw.target.get_ref(), entries.iter().map(|e| e.id.as_str()));
            problems.push(problem);
        }
        let risk = match raw.risk.as_ref() {
            None => {
                let message = format!(
                    "a '{}' fault needs 'risk': high (first-tier city, ISP within 15 minutes), \
                     low (third-tier city, within 3 hours) or false-positive",
                    action.name()
                );
                problems.push(self.at(&raw.action, "risk", &message));
                return None;
            }
            Some(text) => match text.get_ref().as_str() {
                "high" => Risk::High,
                "low" => Risk::Low,
                "false-positive" => Risk::FalsePositive,
                other => {
                    let expected = RISK_NAMES[..2].join(", ") + " or " + RISK_NAMES[2];
                    let message = format!("unknown risk '{other}'; expected {expected}");
                    problems.push(self.at(text, "risk", &message));
                    return None;
                }
            },
        };
        if topology.dns.is_none() {
            let message = format!("topology '{}' has no [dns] table for this", topology.id);
            problems.push(self.at(&raw.action, "action", &message));
            return None;
        }
        let forged = action == Action::ForgedSubdomain;
        let entry = entry?;
        let attack = Some(Attack::Hijack { entry, share, risk, forged });
        Some(Fault { at, action, target: entries[entry].site, duration: None, attack, data: None })
    }

    fn target(
        &self,
        raw: &Text,
        action: Action,
        topology: &Topology,
        problems: &mut Problems,
    ) -> Option<ElementId> {
        let Some(target) = topology.element(raw.get_ref()) else {
            let ids = topology.elements.iter().map(|e| e.id.as_str());
            let mut problem = self.at(
                raw,
                "target",
                &format!("unknown element '{}' in topology '{}'", raw.get_ref(), topology.id),
            );
            problem.hint = suggestion(raw.get_ref(), ids);
            problems.push(problem);
            return None;
        };
        let kind = topology.elements[target].kind;
        if let Some(wanted) = action.target_kind().filter(|k| *k != kind) {
            let message = format!(
                "'{}' is a {}; '{}' applies to a {}",
                raw.get_ref(),
                kind.name(),
                action.name(),
                wanted.name()
            );
            problems.push(self.at(raw, "target", &message));
            return None;
        }
        Some(target)
    }

    fn expectation(
        &self,
        raw: &RawExpect,
        topology: &Topology,
        problems: &mut Problems,
    ) -> Option<Expectation> {
        let name = raw.check.get_ref().as_str();
        self.reject_foreign_keys(raw, problems);
        let business = raw.business.as_ref().and_then(|b| self.business(b, topology, problems));
        let needs_business = matches!(name, "no-impact" | "no-grade" | "max-grade" | "peak-impact");
        if needs_business && raw.business.is_none() {
            problems.push(self.at(
                &raw.check,
                "business",
                &format!("check '{name}' needs a 'business'"),
            ));
            return None;
        }
        let check = match name {
            "no-impact" => Check::NoImpact(business?),
            "no-grade" => Check::NoGrade(business?),
            "max-grade" => Check::MaxGrade(business?, self.grade(raw, problems)?),
            "peak-impact" => self.peak_impact(raw, business?, problems)?,
            "recovery-within" => Check::RecoveryWithin(self.within(raw, name, problems)?),
            "recovered-by" => Check::RecoveredBy(self.cause(raw, topology, problems)?),
            "rpo-within" => self.rpo_within(raw, topology, problems)?,
            "restore-within" => Check::RestoreWithin(self.within(raw, name, problems)?),
            "brought-up" => match self.cause(raw, topology, problems)? {
                Cause::Spare(group) => Check::BroughtUp(group),
                _ => {
                    let by = raw.by.as_ref().unwrap_or(&raw.check);
                    let message = "check 'brought-up' takes a spare: by = \"spare:GROUP\"";
                    problems.push(self.at(by, "by", message));
                    return None;
                }
            },
            other => {
                let names = CHECK_NAMES;
                let mut problem = self.at(&raw.check, "check", &format!("unknown check '{other}'"));
                problem.hint = suggestion(other, names)
                    .or(Some(format!("expected one of {}", names.join(", "))));
                problems.push(problem);
                return None;
            }
        };
        let in_runs = match &raw.in_runs {
            None => 1.0,
            Some(v) if *v.get_ref() > 0.0 && *v.get_ref() <= 1.0 => *v.get_ref(),
            Some(v) => {
                let message =
                    format!("{} is not a share of runs; use a ratio above 0, up to 1", v.get_ref());
                problems.push(self.source.problem_at(v.span().start, Some("in_runs"), message));
                return None;
            }
        };
        Some(Expectation { check, in_runs, text: describe(raw) })
    }

    /// Keys that do not apply to the check kind are refused rather than ignored.
    fn reject_foreign_keys(&self, raw: &RawExpect, problems: &mut Problems) {
        let allowed: &[&str] = match raw.check.get_ref().as_str() {
            "no-impact" | "no-grade" => &["business"],
            "max-grade" => &["business", "grade"],
            "peak-impact" => &["business", "at_least", "at_most"],
            "recovery-within" => &["within"],
            "recovered-by" | "brought-up" => &["by"],
            "rpo-within" => &["database", "within"],
            "restore-within" => &["within"],
            _ => return,
        };
        let present = [
            ("business", raw.business.as_ref().map(|v| v.span())),
            ("by", raw.by.as_ref().map(|v| v.span())),
            ("within", raw.within.as_ref().map(|v| v.span())),
            ("at_least", raw.at_least.as_ref().map(|v| v.span())),
            ("at_most", raw.at_most.as_ref().map(|v| v.span())),
            ("grade", raw.grade.as_ref().map(|v| v.span())),
            ("database", raw.database.as_ref().map(|v| v.span())),
        ];
        for (key, span) in present {
            if let Some(span) = span.filter(|_| !allowed.contains(&key)) {
                let message = format!("does not apply to check '{}'", raw.check.get_ref());
                let mut problem = self.source.problem_at(span.start, Some(key), message);
                problem.hint = Some(format!("it takes {} (and in_runs)", allowed.join(", ")));
                problems.push(problem);
            }
        }
    }

    fn business(
        &self,
        raw: &Text,
        topology: &Topology,
        problems: &mut Problems,
    ) -> Option<Business> {
        let business = match raw.get_ref().parse::<Business>() {
            Ok(b) => b,
            Err(e) => {
                problems.push(self.at(raw, "business", &e.to_string()));
                return None;
            }
        };
        if topology.flows.iter().all(|f| f.business != business) {
            let message =
                format!("topology '{}' has no flow of business '{}'", topology.id, business.name());
            problems.push(self.at(raw, "business", &message));
            return None;
        }
        Some(business)
    }

    /// `rpo-within`: a database with a `[[data]]` entry and a duration (zero allowed:
    /// nothing lost).
    fn rpo_within(
        &self,
        raw: &RawExpect,
        topology: &Topology,
        problems: &mut Problems,
    ) -> Option<Check> {
        let (Some(database), Some(within)) = (&raw.database, &raw.within) else {
            let key = if raw.database.is_none() { "database" } else { "within" };
            let message = "check 'rpo-within' needs 'database' and 'within'";
            problems.push(self.at(&raw.check, key, message));
            return None;
        };
        let within = self.duration(within, "within", problems);
        let (_, database) =
            self.database_service(database, "database", "check 'rpo-within'", topology, problems)?;
        Some(Check::RpoWithin { database, within })
    }

    fn grade(&self, raw: &RawExpect, problems: &mut Problems) -> Option<Grade> {
        let Some(value) = &raw.grade else {
            problems.push(self.at(&raw.check, "grade", "check 'max-grade' needs 'grade' (1 to 5)"));
            return None;
        };
        let grade = u8::try_from(*value.get_ref()).ok().and_then(Grade::new);
        if grade.is_none() {
            let message = format!(
                "grade {} does not exist; grades run from 1 (most severe) to 5",
                value.get_ref()
            );
            problems.push(self.source.problem_at(value.span().start, Some("grade"), message));
        }
        grade
    }

    fn peak_impact(
        &self,
        raw: &RawExpect,
        business: Business,
        problems: &mut Problems,
    ) -> Option<Check> {
        let ratio = |value: &Option<Spanned<f64>>, key: &str, problems: &mut Problems| {
            let v = value.as_ref()?;
            if (0.0..=1.0).contains(v.get_ref()) {
                return Some(*v.get_ref());
            }
            let message = format!("{} is not a ratio from 0 to 1", v.get_ref());
            problems.push(self.source.problem_at(v.span().start, Some(key), message));
            None
        };
        if raw.at_least.is_none() && raw.at_most.is_none() {
            let message = "check 'peak-impact' needs 'at_least' or 'at_most'";
            problems.push(self.at(&raw.check, "at_least", message));
            return None;
        }
        let at_least = ratio(&raw.at_least, "at_least", problems);
        let at_most = ratio(&raw.at_most, "at_most", problems);
        if let (Some(low), Some(high), Some(at)) = (at_least, at_most, &raw.at_most)
            && low > high
        {
            let message = format!("at_least {low} is above at_most {high}: no run can hold");
            problems.push(self.source.problem_at(at.span().start, Some("at_most"), message));
        }
        let valid = raw.at_least.is_none() == at_least.is_none()
            && raw.at_most.is_none() == at_most.is_none();
        valid.then_some(Check::PeakImpact { business, at_least, at_most })
    }

    fn cause(
        &self,
        raw: &RawExpect,
        topology: &Topology,
        problems: &mut Problems,
    ) -> Option<Cause> {
        let Some(by) = &raw.by else {
            let message = format!("check '{}' needs 'by'", raw.check.get_ref());
            problems.push(self.at(&raw.check, "by", &message));
            return None;
        };
        let cause = parse_cause(by.get_ref(), topology);
        if cause.is_none() {
            let labels: Vec<String> = topology
                .mechanisms
                .iter()
                .map(|m| format!("mechanism:{}", m.id))
                .chain(topology.runbooks.iter().map(|r| format!("runbook:{}", r.id)))
                .chain(
                    topology
                        .groups
                        .iter()
                        .filter(|g| g.bring_up.is_some())
                        .map(|g| format!("spare:{}", g.id)),
                )
                .chain(
                    ["restore", "mitigation", "manual-promotion", "data-recovery"]
                        .map(String::from),
                )
                .collect();
            let mut problem =
                self.at(by, "by", &format!("unknown recovery cause '{}'", by.get_ref()));
            problem.hint = suggestion(by.get_ref(), labels.iter().map(String::as_str))
                .or(Some("write mechanism:ID, runbook:ID, spare:GROUP or restore".into()));
            problems.push(problem);
        }
        cause
    }
}

fn parse_cause(text: &str, topology: &Topology) -> Option<Cause> {
    match text {
        "restore" => return Some(Cause::Restore),
        "mitigation" => return Some(Cause::Mitigation),
        "manual-promotion" => return Some(Cause::ManualPromotion),
        "data-recovery" => return Some(Cause::DataRecovery),
        _ => {}
    }
    let (kind, id) = text.split_once(':')?;
    match kind {
        "mechanism" => topology.mechanism(id).map(Cause::Mechanism),
        "runbook" => topology.runbook(id).map(Cause::Runbook),
        "spare" => {
            topology.group(id).filter(|&g| topology.groups[g].bring_up.is_some()).map(Cause::Spare)
        }
        _ => None,
    }
}

/// The check as a reader would say it.
fn describe(raw: &RawExpect) -> String {
    let business = raw.business.as_ref().map_or("", |b| b.get_ref().as_str());
    let pct = |v: &Option<Spanned<f64>>| v.as_ref().map(|v| format!("{} %", v.get_ref() * 100.0));
    match raw.check.get_ref().as_str() {
        "no-impact" => format!("no {business} request fails"),
        "no-grade" => format!("no graded {business} incident"),
        "max-grade" => format!(
            "{business} incident no worse than grade {}",
            raw.grade.as_ref().map_or(0, |g| *g.get_ref())
        ),
        "peak-impact" => match (pct(&raw.at_least), pct(&raw.at_most)) {
            (Some(l), Some(m)) => format!("peak {business} failing share between {l} and {m}"),
            (Some(l), None) => format!("peak {business} failing share at least {l}"),
            (None, Some(m)) => format!("peak {business} failing share at most {m}"),
            (None, None) => String::new(),
        },
        "recovery-within" => {
            format!(
                "every business back within {}",
                raw.within.as_ref().map_or("", |w| w.get_ref())
            )
        }
        "recovered-by" => format!("recovered by {}", raw.by.as_ref().map_or("", |b| b.get_ref())),
        "rpo-within" => format!(
            "{} loses at most {} of committed writes",
            raw.database.as_ref().map_or("", |d| d.get_ref()),
            raw.within.as_ref().map_or("", |w| w.get_ref())
        ),
        "restore-within" => {
            format!("data recovered within {}", raw.within.as_ref().map_or("", |w| w.get_ref()))
        }
        "brought-up" => format!(
            "spare of {} brought into service",
            raw.by.as_ref().map_or("", |b| b.get_ref().trim_start_matches("spare:"))
        ),
        other => other.to_owned(),
    }
}
