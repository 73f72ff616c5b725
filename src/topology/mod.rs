//! The architecture of the manual (Art. 18-21) as a checked model and a dependency graph.
//!
//! A topology file names sites, links, devices, power supplies and racks (the
//! *elements*), the services of each layer deployed at each site, the mechanisms that
//! mask failures (LVS, CL5, TGW, Heartbeat, semi-synchronous replication, DNS entry
//! failover), the business flows through the layers and the manual runbooks. Loading
//! reads the TOML into [`raw`] structures, then checks every id, reference, share
//! and duration and reports all problems at once with their line and column.
//!
//! Every element and group is a node of a petgraph graph whose edges point from a node
//! to what it depends on; the graph must be acyclic, and its reverse topological order
//! is the order in which the simulation evaluates the state of the system.

mod check;
pub mod raw;

use std::collections::BTreeMap;

use petgraph::graph::DiGraph;

use crate::grade::Business;
use crate::input::{Problems, SourceFile};
use crate::timing::{Distribution, HealthCheck, Heartbeat};

/// The kinds of DDoS the manual's triage (Q2) tells apart, as defenses name them.
pub use crate::triage::Kind as DdosKind;
pub use check::{check_distribution, parse_toml};

/// Index of an element in [`Topology::elements`].
pub type ElementId = usize;
/// Index of a group in [`Topology::groups`].
pub type GroupId = usize;
/// Index of a mechanism in [`Topology::mechanisms`].
pub type MechanismId = usize;
/// Index of a service in [`Topology::services`].
pub type ServiceId = usize;
/// Index of an entry point in [`Topology::entries`].
pub type EntryId = usize;
/// Index of a runbook in [`Topology::runbooks`].
pub type RunbookId = usize;

/// A checked topology: every reference resolved, every share and duration valid.
#[derive(Debug, Clone)]
pub struct Topology {
    pub id: String,
    pub title: String,
    pub clause: String,
    /// Label and SHA-256 of the file it was read from.
    pub file: FileRef,
    pub response: Response,
    pub mechanisms: Vec<Mechanism>,
    pub layers: Vec<Layer>,
    pub elements: Vec<Element>,
    pub groups: Vec<Group>,
    pub services: Vec<Service>,
    /// What a request needs to travel from one site to another (from, to).
    pub routes: BTreeMap<(ElementId, ElementId), Vec<Ref>>,
    pub entries: Vec<Entry>,
    pub flows: Vec<Flow>,
    pub runbooks: Vec<Runbook>,
    /// Recognising and mitigating each kind of DDoS, when the topology says.
    pub defenses: Vec<Defense>,
    /// The DNS-hijack procedure, when the topology says.
    pub dns: Option<Dns>,
    /// What protects each replicated database's data (`[[data]]`), in file order.
    pub data: Vec<crate::data::Database>,
    /// Dependency graph: an edge goes from a node to a node it depends on.
    pub graph: DiGraph<Node, ()>,
    /// Elements ordered so that each comes after everything it needs.
    pub element_order: Vec<ElementId>,
    /// Groups ordered so that each comes after every group it goes through.
    pub group_order: Vec<GroupId>,
    /// For each element, its index among the sites (`usize::MAX` for other elements).
    pub site_slot: Vec<usize>,
    /// The sites, in file order.
    pub sites: Vec<ElementId>,
    /// For each element, how often it fails and how long a repair takes.
    pub reliability: Vec<Reliability>,
    /// Elements declared to fail together from one cause (`[[common_cause]]`).
    pub common_causes: Vec<CommonCause>,
}

/// How often an element fails and how long it stays down, for importance measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reliability {
    /// Mean time between failures \[seconds\].
    pub mtbf: f64,
    /// Mean time to repair \[seconds\].
    pub mttr: f64,
    /// Written in the file (`mtbf`, `mttr`) rather than the default of its kind.
    pub declared: bool,
}

impl Reliability {
    /// The default of an element kind when the file gives no `mtbf` or `mttr`.
    ///
    /// Every figure is an assumption (the manual gives none), of the order of public
    /// field studies, to be replaced with the team's own records: site 10 years between
    /// losses and 24 h to restore; link 1 year and 4 h (a carrier's repair target);
    /// network device 5 years and 4 h (on-site replacement); power supply 5 years and
    /// 8 h; rack 20 years and 8 h; server 5 years and 4 h.
    pub fn default_for(kind: ElementKind) -> Reliability {
        const HOUR: f64 = 3600.0;
        const YEAR: f64 = 8766.0 * HOUR;
        let (mtbf, mttr) = match kind {
            ElementKind::Site => (10.0 * YEAR, 24.0 * HOUR),
            ElementKind::Link => (YEAR, 4.0 * HOUR),
            ElementKind::Device => (5.0 * YEAR, 4.0 * HOUR),
            ElementKind::Power => (5.0 * YEAR, 8.0 * HOUR),
            ElementKind::Rack => (20.0 * YEAR, 8.0 * HOUR),
            ElementKind::Server => (5.0 * YEAR, 4.0 * HOUR),
        };
        Reliability { mtbf, mttr, declared: false }
    }

    /// Long-run share of time the element is down: MTTR / (MTBF + MTTR), ratio 0-1.
    pub fn unavailability(&self) -> f64 {
        self.mttr / (self.mtbf + self.mttr)
    }
}

/// Elements one event takes down together (a city-wide disaster, a shared carrier).
#[derive(Debug, Clone)]
pub struct CommonCause {
    pub id: String,
    pub name: String,
    pub members: Vec<ElementId>,
    /// Why these fail together.
    pub source: String,
}

/// Where an input came from, as reports cite it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    pub label: String,
    pub sha256: String,
}

impl FileRef {
    pub fn of(file: &SourceFile) -> FileRef {
        FileRef { label: file.label.clone(), sha256: file.sha256.clone() }
    }
}

/// A node of the dependency graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Element(ElementId),
    Group(GroupId),
}

/// Something a request or an element can depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ref {
    /// Up or down.
    Element(ElementId),
    /// Fails a share of requests, as its mechanism decides.
    Group(GroupId),
}

/// How people react to an alert (Art. 8 and Art. 13).
#[derive(Debug, Clone)]
pub struct Response {
    /// From a failure to the monitoring alert \[seconds\].
    pub alert: Distribution,
    /// From the alert to the person on duty acting \[seconds\].
    pub respond: Distribution,
    pub source: String,
}

/// A failure-masking mechanism of Art. 19 with its timing parameters.
#[derive(Debug, Clone)]
pub struct Mechanism {
    pub id: String,
    pub title: String,
    pub kind: MechanismKind,
    /// Where the default values come from.
    pub source: String,
}

#[derive(Debug, Clone)]
pub enum MechanismKind {
    /// Stateless pool (LVS, TGW, CL5, CKV): failed members are removed once detected.
    Pool { check: HealthCheck },
    /// Active/standby pair (Heartbeat HA, VRRP): the standby takes over once the active
    /// member is declared dead.
    Failover { heartbeat: Heartbeat, takeover: Distribution },
    /// Database with one primary and semi-synchronous replicas: a replica is promoted
    /// once the primary is declared dead.
    ReplicatedDb { check: HealthCheck, promotion: Distribution },
    /// DNS or global load balancing between entry points: an entry point failing at
    /// least `down_at` of its requests is taken out, and clients follow within `ttl`.
    EntryFailover { check: HealthCheck, ttl: f64, down_at: f64 },
}

impl MechanismKind {
    pub fn name(&self) -> &'static str {
        match self {
            MechanismKind::Pool { .. } => "pool",
            MechanismKind::Failover { .. } => "failover",
            MechanismKind::ReplicatedDb { .. } => "replicated-db",
            MechanismKind::EntryFailover { .. } => "entry-failover",
        }
    }
}

/// One of the manual's layers (web access, payment gateway, ...).
#[derive(Debug, Clone)]
pub struct Layer {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    Site,
    Link,
    Device,
    Power,
    Rack,
    Server,
}

impl ElementKind {
    pub fn name(self) -> &'static str {
        match self {
            ElementKind::Site => "site",
            ElementKind::Link => "link",
            ElementKind::Device => "device",
            ElementKind::Power => "power",
            ElementKind::Rack => "rack",
            ElementKind::Server => "server",
        }
    }
}

/// A site, link, device, power supply, rack or server: up or down.
#[derive(Debug, Clone)]
pub struct Element {
    pub id: String,
    pub name: String,
    pub kind: ElementKind,
    /// Finer kind as written ("firewall", "leased", "primary", ...).
    pub detail: String,
    /// The site it stands in (for a site: none).
    pub site: Option<ElementId>,
    /// All of these must be up (the site included).
    pub needs: Vec<ElementId>,
    /// At least one of these must be up, when not empty.
    pub needs_any: Vec<ElementId>,
}

/// Members that back each other up through one mechanism: a pool of servers, an HA
/// pair, a database cluster, a firewall pair, a pair of lines.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub mechanism: MechanismId,
    /// Members in order (for a failover pair the first is active, for a database the
    /// first is the primary), then the spares.
    pub members: Vec<ElementId>,
    /// Index in `members` where the spares, brought up by hand, start.
    pub spares_from: usize,
    /// Time to bring a spare into service once people act \[seconds\], and its source.
    pub bring_up: Option<(Distribution, String)>,
    /// Groups and elements every request through this group also crosses.
    pub via: Vec<Ref>,
    /// Mechanism that takes failed replicas out of the read pool (databases).
    pub read_mechanism: Option<MechanismId>,
    /// The service and site this group deploys, when it is a deployment.
    pub service: Option<(ServiceId, ElementId)>,
    /// The site the group's mechanism runs in, when all its members share one: a
    /// mechanism lost with its site detects nothing.
    pub site: Option<ElementId>,
}

impl Group {
    /// Number of members in service from the start (spares excluded).
    pub fn regular(&self) -> usize {
        self.spares_from
    }
}

/// A service of a layer, deployed at one or more sites.
#[derive(Debug, Clone)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub layer: usize,
    pub mechanism: MechanismId,
    /// Mechanism that takes failed replicas out of the read pool (databases).
    pub read_mechanism: Option<MechanismId>,
    /// For a single-writer service (a database), the site whose deployment serves all.
    pub primary_site: Option<ElementId>,
    /// Where requests go when this service fails them (a cache degrading to the DB).
    pub degrade_to: Option<Step>,
    /// Deployment group at each site.
    pub deployments: Vec<(ElementId, GroupId)>,
    /// Deployment group by site slot (see [`Topology::site_slot`]).
    pub by_site: Vec<Option<GroupId>>,
}

impl Service {
    pub fn deployment_at(&self, site: ElementId) -> Option<GroupId> {
        self.deployments.iter().find(|(s, _)| *s == site).map(|(_, g)| *g)
    }
}

/// Which side of a replicated database a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Any service that is not a database, or a database's primary.
    Write,
    /// A database's replicas (the primary when none is left).
    Read,
}

/// One hop of a flow's path through the layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub service: ServiceId,
    pub role: Role,
}

/// A web access point where users of one city and ISP enter.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub name: String,
    pub site: ElementId,
    pub isp: String,
    /// The DNS or load-balancing mechanism that moves users away when it fails.
    pub failover: Option<MechanismId>,
    /// Entry points its users are moved to, in order of preference.
    pub fallback: Vec<EntryId>,
}

/// A business flow: where its requests enter, which sites serve them, which layers
/// they cross.
#[derive(Debug, Clone)]
pub struct Flow {
    pub id: String,
    pub name: String,
    pub business: Business,
    /// Service deployed at the entry point's site (the web access layer).
    pub access: Option<ServiceId>,
    pub path: Vec<Step>,
    /// Share of requests served by each site (ratio 0-1, adding up to 1).
    pub serve: Vec<(ElementId, f64)>,
    /// Share of requests entering at each entry point (ratio 0-1, adding up to 1);
    /// empty for flows that start inside the serving site (batch clearing).
    pub entries: Vec<(EntryId, f64)>,
}

/// A manual runbook: started when its trigger element is lost while its target site is
/// up, it moves every layer from one site to another once its last step is done; it is
/// abandoned if the trigger comes back or the target is lost before then.
#[derive(Debug, Clone)]
pub struct Runbook {
    pub id: String,
    pub title: String,
    pub clause: String,
    pub trigger: ElementId,
    /// After how long a total outage (every business failing entirely) the team starts
    /// the runbook even though the trigger is not lost \[seconds\], and why.
    pub escalate_after: Option<(f64, String)>,
    pub from: ElementId,
    pub to: ElementId,
    pub steps: Vec<RunbookStep>,
}

/// How the team recognises one kind of DDoS and mitigates it \[seconds\].
#[derive(Debug, Clone)]
pub struct Defense {
    pub kind: DdosKind,
    pub recognise: Distribution,
    pub mitigate: Distribution,
    pub source: String,
}

/// The DNS-hijack procedure (Appendix 1, Q9) as delays \[seconds\].
#[derive(Debug, Clone)]
pub struct Dns {
    pub monitor: Distribution,
    pub complaints: Distribution,
    pub verify: Distribution,
    pub isp_high: Distribution,
    pub isp_low: Distribution,
    pub recheck: Distribution,
    /// Chance (0-1) that a check after a purge finds the cache still poisoned.
    pub still_poisoned: f64,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct RunbookStep {
    pub id: String,
    pub title: String,
    pub duration: Distribution,
    pub source: String,
}

/// The JSON Schema of topology files, for editors that validate TOML as people type
/// (Taplo, Even Better TOML); committed as `schemas/topology.schema.json`.
pub fn schema() -> String {
    let schema = schemars::schema_for!(raw::RawTopology);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

impl Topology {
    /// Reads and checks a topology file.
    pub fn load(file: &SourceFile) -> Result<Topology, Problems> {
        check::load(file)
    }

    pub fn element(&self, id: &str) -> Option<ElementId> {
        self.elements.iter().position(|e| e.id == id)
    }

    pub fn group(&self, id: &str) -> Option<GroupId> {
        self.groups.iter().position(|g| g.id == id)
    }

    pub fn mechanism(&self, id: &str) -> Option<MechanismId> {
        self.mechanisms.iter().position(|m| m.id == id)
    }

    pub fn runbook(&self, id: &str) -> Option<RunbookId> {
        self.runbooks.iter().position(|r| r.id == id)
    }

    /// The name of a dependency, element or group.
    pub fn ref_id(&self, r: Ref) -> &str {
        match r {
            Ref::Element(e) => &self.elements[e].id,
            Ref::Group(g) => &self.groups[g].id,
        }
    }

    /// The `[[data]]` entry of a replicated database service, by index.
    pub fn database_of(&self, service: ServiceId) -> Option<usize> {
        self.data.iter().position(|d| d.service == service)
    }

    /// Mechanisms that act in this topology, for a report's assumptions.
    pub fn mechanism_of_group(&self, group: GroupId) -> &Mechanism {
        &self.mechanisms[self.groups[group].mechanism]
    }
}
