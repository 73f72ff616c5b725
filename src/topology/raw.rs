//! The topology file as written: TOML tables read with serde, before any check.
//!
//! Ids, references and durations keep their byte span so that the checks in the parent
//! module can point at the offending line and column.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use toml::Spanned;

use super::DdosKind;
use super::check::{DISTRIBUTIONS, FAILURES, MECHANISM_KINDS};
use crate::grade::Business;
use crate::schema::one_of;

/// A string together with where it stands in the file.
pub type Text = Spanned<String>;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TopologyFile")]
pub struct RawTopology {
    /// Editors' schema pointer; ignored by drillsim.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    pub topology: RawHeader,
    pub response: RawResponse,
    #[serde(default)]
    pub mechanism: Vec<RawMechanism>,
    #[serde(default)]
    pub layer: Vec<RawLayer>,
    #[serde(default)]
    pub site: Vec<RawElement>,
    #[serde(default)]
    pub link: Vec<RawElement>,
    #[serde(default)]
    pub device: Vec<RawElement>,
    #[serde(default)]
    pub power: Vec<RawElement>,
    #[serde(default)]
    pub rack: Vec<RawElement>,
    #[serde(default)]
    pub group: Vec<RawGroup>,
    #[serde(default)]
    pub service: Vec<RawService>,
    #[serde(default)]
    pub route: Vec<RawRoute>,
    #[serde(default)]
    pub entry: Vec<RawEntry>,
    #[serde(default)]
    pub flow: Vec<RawFlow>,
    #[serde(default)]
    pub runbook: Vec<RawRunbook>,
    /// How the team recognises and mitigates each kind of DDoS (Q2).
    #[serde(default)]
    pub defense: Vec<RawDefense>,
    /// How a DNS hijack is detected and cleaned up (Appendix 1, Q9).
    pub dns: Option<RawDns>,
    /// What protects each replicated database's data (Art. 17, Art. 21).
    #[serde(default)]
    pub data: Vec<RawData>,
    /// Elements that fail together from one cause (a city-wide event, a shared carrier).
    #[serde(default)]
    pub common_cause: Vec<RawCommonCause>,
}

/// One replicated database's data protection: replication, copies, backup and the
/// volumes and throughputs of its recovery. Every key but `service` has a default.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Data")]
pub struct RawData {
    /// The replicated-db service whose data this describes.
    #[schemars(with = "String")]
    pub service: Text,
    /// How reports name the database (core, accounting).
    #[serde(default)]
    pub name: String,
    /// Committed write transactions per second at the primary (default 300, an
    /// assumption); 0.001 to 1,000,000.
    #[schemars(with = "Option<f64>", range(min = 0.001, max = 1000000.0))]
    pub tx_rate: Option<Spanned<f64>>,
    /// Wait for a semi-synchronous acknowledgement before falling back to
    /// asynchronous replication (default 10s, MySQL's rpl_semi_sync_master_timeout);
    /// above zero, up to the duration limit (30 days by default).
    #[schemars(with = "Option<String>")]
    pub semi_sync_timeout: Option<Text>,
    /// How far an in-site replica falls behind once replication is asynchronous.
    pub replica_lag: Option<RawDistribution>,
    /// How far each real-time copy at another site is behind.
    pub remote_lag: Option<RawDistribution>,
    /// The service holding the delayed copy.
    #[schemars(with = "Option<String>")]
    pub delayed_copy: Option<Text>,
    /// Delay of the delayed copy (default 24h, Art. 21); above zero, up to the
    /// duration limit (30 days by default).
    #[schemars(with = "Option<String>")]
    pub delay: Option<Text>,
    /// Largest lag a replica may have and still be promoted automatically (default:
    /// none, any replica is promoted); up to the duration limit (30 days by default).
    #[schemars(with = "Option<String>")]
    pub lag_limit: Option<Text>,
    /// From a person taking the alert to a failover done by hand.
    pub manual_failover: Option<RawDistribution>,
    /// Size of one cold backup in GiB (default 200, an assumption); 0.001 (1 MiB) to
    /// 1,048,576 (1 PiB).
    #[schemars(with = "Option<f64>", range(min = 0.001, max = 1048576.0))]
    pub volume_gib: Option<Spanned<f64>>,
    /// Time between cold backups (default 24h); above zero, up to the duration limit
    /// (30 days by default).
    #[schemars(with = "Option<String>")]
    pub backup_every: Option<Text>,
    /// Fetch throughput from the backup servers in MiB/s (default 100); 1 to 100,000.
    #[schemars(with = "Option<f64>", range(min = 1.0, max = 100000.0))]
    pub fetch_mib_s: Option<Spanned<f64>>,
    /// Untar throughput in MiB/s (default 200); 1 to 100,000.
    #[schemars(with = "Option<f64>", range(min = 1.0, max = 100000.0))]
    pub untar_mib_s: Option<Spanned<f64>>,
    /// Load throughput of .sql dumps in MiB/s (default 20); 1 to 100,000.
    #[schemars(with = "Option<f64>", range(min = 1.0, max = 100000.0))]
    pub load_mib_s: Option<Spanned<f64>>,
    /// Binlog replay throughput in transactions per second (default 2000); 1 to
    /// 1,000,000.
    #[schemars(with = "Option<f64>", range(min = 1.0, max = 1000000.0))]
    pub replay_tx_s: Option<Spanned<f64>>,
    /// Reinstalling MySQL on a host.
    pub reinstall: Option<RawDistribution>,
    /// Verifying a restored database.
    pub verify: Option<RawDistribution>,
    /// Extracting the application logs and diffing them with the update log.
    pub reconcile: Option<RawDistribution>,
    #[serde(default)]
    pub source: String,
}

/// Elements that one event takes down together, declared by hand: `drillsim spof`
/// treats it as one failure.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CommonCause")]
pub struct RawCommonCause {
    #[schemars(with = "String")]
    pub id: Text,
    #[serde(default)]
    pub name: String,
    /// Sites, links, devices, power supplies, racks or servers lost together.
    #[schemars(with = "Vec<String>")]
    pub members: Vec<Text>,
    /// Why these fail together.
    #[serde(default)]
    pub source: String,
}

/// Recognising and mitigating one kind of DDoS attack on a web access site.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Defense")]
pub struct RawDefense {
    /// syn-flood, connection-exhaustion or bandwidth-consumption
    #[schemars(schema_with = "ddos_kind_schema")]
    pub kind: Text,
    /// From the start of the attack to its kind recognised by the manual's rules.
    pub recognise: RawDistribution,
    /// From recognition to the attack mitigated (anti-DDoS appliance, configuration).
    pub mitigate: RawDistribution,
    pub source: String,
}

/// The DNS-hijack procedure of Appendix 1 and Q9, as delays.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Dns")]
pub struct RawDns {
    /// From the hijack to the domain monitor's alert.
    pub monitor: RawDistribution,
    /// From a forged sub-domain (Q9) to enough user complaints to act on.
    pub complaints: RawDistribution,
    /// Manual verification by the security platform or NOC (hosts-file override).
    pub verify: RawDistribution,
    /// The ISP's purge of the poisoned cache, high risk (first-tier city).
    pub isp_high: RawDistribution,
    /// The ISP's purge of the poisoned cache, low risk (third-tier city).
    pub isp_low: RawDistribution,
    /// The NOC's check after a purge.
    pub recheck: RawDistribution,
    /// Chance (0-1) that a check finds the cache still poisoned, and the loop goes on.
    #[schemars(with = "f64", range(min = 0.0), extend("exclusiveMaximum" = 1.0))]
    pub still_poisoned: Spanned<f64>,
    pub source: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TopologyHeader")]
pub struct RawHeader {
    #[schemars(with = "String")]
    pub id: Text,
    pub title: String,
    #[serde(default)]
    pub clause: String,
}

/// How people react to an alert: used by runbooks and by spares brought up by hand.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Response")]
pub struct RawResponse {
    pub alert: RawDistribution,
    pub respond: RawDistribution,
    pub source: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Mechanism")]
pub struct RawMechanism {
    #[schemars(with = "String")]
    pub id: Text,
    #[schemars(schema_with = "mechanism_kind_schema")]
    pub kind: Text,
    pub source: String,
    #[serde(default)]
    pub title: String,
    #[schemars(with = "Option<String>")]
    pub check_interval: Option<Text>,
    #[schemars(with = "Option<String>")]
    pub check_timeout: Option<Text>,
    /// Consecutive failed checks before a member is marked down (1 to 100, default 1).
    #[schemars(with = "Option<i64>", range(min = *FAILURES.start(), max = *FAILURES.end()))]
    pub failures: Option<Spanned<i64>>,
    #[schemars(with = "Option<String>")]
    pub retry_delay: Option<Text>,
    #[schemars(with = "Option<String>")]
    pub keepalive: Option<Text>,
    #[schemars(with = "Option<String>")]
    pub dead_time: Option<Text>,
    pub takeover: Option<RawDistribution>,
    pub promotion: Option<RawDistribution>,
    #[schemars(with = "Option<String>")]
    pub ttl: Option<Text>,
    /// Share of failing requests (above 0, up to 1) at which an entry counts as down.
    #[schemars(with = "Option<f64>", range(max = 1.0), extend("exclusiveMinimum" = 0.0))]
    pub down_at: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Layer")]
pub struct RawLayer {
    #[schemars(with = "String")]
    pub id: Text,
    pub title: String,
}

/// A site, link, device, power supply or rack.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Element")]
pub struct RawElement {
    #[schemars(with = "String")]
    pub id: Text,
    #[serde(default)]
    pub name: String,
    /// What sort of site, link or device it is (free text for sites: "primary", ...).
    #[schemars(with = "Option<String>")]
    pub kind: Option<Text>,
    /// The site it stands in.
    #[schemars(with = "Option<String>")]
    pub site: Option<Text>,
    /// The sites a link joins (one for an external uplink).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub sites: Vec<Text>,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub isp: String,
    /// Elements that must all be up for this one to be up.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub needs: Vec<Text>,
    /// Elements of which at least one must be up (two power feeds, say).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub needs_any: Vec<Text>,
    #[serde(default)]
    pub note: String,
    /// Mean time between failures, a duration such as "5y" or "20000h" (default: by kind).
    #[schemars(with = "Option<String>")]
    pub mtbf: Option<Text>,
    /// Mean time to repair, a duration such as "4h" (default: by kind).
    #[schemars(with = "Option<String>")]
    pub mttr: Option<Text>,
}

/// Devices or links that back each other up through a mechanism.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Group")]
pub struct RawGroup {
    #[schemars(with = "String")]
    pub id: Text,
    #[serde(default)]
    pub name: String,
    #[schemars(with = "String")]
    pub mechanism: Text,
    #[schemars(with = "Vec<String>")]
    pub members: Vec<Text>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub spare: Vec<Text>,
    pub bring_up: Option<RawDistribution>,
    #[serde(default)]
    pub bring_up_source: String,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub via: Vec<Text>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Service")]
pub struct RawService {
    #[schemars(with = "String")]
    pub id: Text,
    #[schemars(with = "String")]
    pub layer: Text,
    #[serde(default)]
    pub name: String,
    #[schemars(with = "String")]
    pub mechanism: Text,
    /// Mechanism that removes failed replicas from the read pool (databases only).
    #[schemars(with = "Option<String>")]
    pub read_mechanism: Option<Text>,
    /// Site whose deployment serves every site (a database primary); none for services
    /// that each site runs for itself.
    #[schemars(with = "Option<String>")]
    pub primary_site: Option<Text>,
    /// `service` or `service/read`: where requests go when this cache fails.
    #[schemars(with = "Option<String>")]
    pub degrade_to: Option<Text>,
    pub at: Vec<RawDeployment>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Deployment")]
pub struct RawDeployment {
    #[schemars(with = "String")]
    pub site: Text,
    #[schemars(with = "i64", range(min = 1))]
    pub members: Spanned<i64>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub needs: Vec<Text>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub via: Vec<Text>,
    /// Mean time between failures of each server, a duration such as "5y".
    #[schemars(with = "Option<String>")]
    pub mtbf: Option<Text>,
    /// Mean time to repair each server, a duration such as "4h".
    #[schemars(with = "Option<String>")]
    pub mttr: Option<Text>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Route")]
pub struct RawRoute {
    #[schemars(with = "String")]
    pub from: Text,
    #[schemars(with = "String")]
    pub to: Text,
    #[schemars(with = "Vec<String>")]
    pub needs: Vec<Text>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Entry")]
pub struct RawEntry {
    #[schemars(with = "String")]
    pub id: Text,
    #[serde(default)]
    pub name: String,
    #[schemars(with = "String")]
    pub site: Text,
    #[serde(default)]
    pub isp: String,
    #[schemars(with = "Option<String>")]
    pub failover: Option<Text>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub fallback: Vec<Text>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Flow")]
pub struct RawFlow {
    #[schemars(with = "String")]
    pub id: Text,
    #[schemars(schema_with = "business_schema")]
    pub business: Text,
    #[serde(default)]
    pub name: String,
    #[schemars(with = "Option<String>")]
    pub access: Option<Text>,
    #[schemars(with = "Vec<String>")]
    pub path: Vec<Text>,
    pub serve: Vec<RawShare>,
    #[serde(default)]
    pub entries: Vec<RawShare>,
}

/// A share of a flow's traffic, at a site or an entry point (ratio 0-1).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Share")]
pub struct RawShare {
    #[schemars(with = "Option<String>")]
    pub site: Option<Text>,
    #[schemars(with = "Option<String>")]
    pub entry: Option<Text>,
    #[schemars(with = "f64", range(max = 1.0), extend("exclusiveMinimum" = 0.0))]
    pub share: Spanned<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Runbook")]
pub struct RawRunbook {
    #[schemars(with = "String")]
    pub id: Text,
    pub title: String,
    #[serde(default)]
    pub clause: String,
    /// The element whose loss starts the runbook.
    #[schemars(with = "String")]
    pub trigger: Text,
    /// Also start it after every business has failed entirely for this long.
    #[schemars(with = "Option<String>")]
    pub escalate_after: Option<Text>,
    #[serde(default)]
    pub escalate_source: String,
    pub switch: RawSwitch,
    pub step: Vec<RawStep>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Switch")]
pub struct RawSwitch {
    #[schemars(with = "String")]
    pub from: Text,
    #[schemars(with = "String")]
    pub to: Text,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Step")]
pub struct RawStep {
    #[schemars(with = "String")]
    pub id: Text,
    pub title: String,
    pub duration: RawDistribution,
    pub source: String,
}

/// A delay as written: either a plain duration ("30s") or a table naming a distribution,
/// such as `{ dist = "triangular", min = "5m", mode = "10m", max = "30m" }`. It is kept
/// as a TOML value here and checked by [`crate::topology::check_distribution`].
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct RawDistribution(pub Spanned<toml::Value>);

/// The shape of a delay, for the JSON Schema: a duration, or a distribution table.
#[derive(JsonSchema)]
#[allow(dead_code)]
#[serde(untagged)]
enum DistributionSchema {
    /// A fixed duration such as "30s", "5m" or "1h30m".
    Fixed(String),
    /// A distribution: fixed (value), uniform (min, max), triangular (min, mode, max)
    /// or lognormal (median, p95), every value a duration.
    Table(RawDistTable),
}

impl JsonSchema for RawDistribution {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Delay".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        DistributionSchema::json_schema(generator)
    }
}

/// The keys of a distribution table.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DistributionTable")]
pub struct RawDistTable {
    #[schemars(schema_with = "distribution_schema")]
    pub dist: String,
    pub value: Option<String>,
    pub min: Option<String>,
    pub mode: Option<String>,
    pub max: Option<String>,
    pub median: Option<String>,
    pub p95: Option<String>,
}

fn ddos_kind_schema(_: &mut SchemaGenerator) -> Schema {
    one_of(&DdosKind::NAMES)
}

fn mechanism_kind_schema(_: &mut SchemaGenerator) -> Schema {
    one_of(&MECHANISM_KINDS)
}

fn business_schema(_: &mut SchemaGenerator) -> Schema {
    one_of(&Business::ALL.map(Business::name))
}

fn distribution_schema(_: &mut SchemaGenerator) -> Schema {
    one_of(&DISTRIBUTIONS)
}
