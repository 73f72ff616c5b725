//! The topology file as written: TOML tables read with serde, before any check.
//!
//! Ids, references and durations keep their byte span so that the checks in the parent
//! module can point at the offending line and column.

use serde::Deserialize;
use toml::Spanned;

/// A string together with where it stands in the file.
pub type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    pub id: Text,
    pub title: String,
    #[serde(default)]
    pub clause: String,
}

/// How people react to an alert: used by runbooks and by spares brought up by hand.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    pub alert: RawDistribution,
    pub respond: RawDistribution,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMechanism {
    pub id: Text,
    pub kind: Text,
    pub source: String,
    #[serde(default)]
    pub title: String,
    pub check_interval: Option<Text>,
    pub check_timeout: Option<Text>,
    pub failures: Option<Spanned<i64>>,
    pub retry_delay: Option<Text>,
    pub keepalive: Option<Text>,
    pub dead_time: Option<Text>,
    pub takeover: Option<RawDistribution>,
    pub promotion: Option<RawDistribution>,
    pub ttl: Option<Text>,
    pub down_at: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLayer {
    pub id: Text,
    pub title: String,
}

/// A site, link, device, power supply or rack.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawElement {
    pub id: Text,
    #[serde(default)]
    pub name: String,
    /// What sort of site, link or device it is (free text for sites: "primary", ...).
    pub kind: Option<Text>,
    /// The site it stands in.
    pub site: Option<Text>,
    /// The sites a link joins (one for an external uplink).
    #[serde(default)]
    pub sites: Vec<Text>,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub isp: String,
    /// Elements that must all be up for this one to be up.
    #[serde(default)]
    pub needs: Vec<Text>,
    /// Elements of which at least one must be up (two power feeds, say).
    #[serde(default)]
    pub needs_any: Vec<Text>,
    #[serde(default)]
    pub note: String,
}

/// Devices or links that back each other up through a mechanism.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub id: Text,
    #[serde(default)]
    pub name: String,
    pub mechanism: Text,
    pub members: Vec<Text>,
    #[serde(default)]
    pub spare: Vec<Text>,
    pub bring_up: Option<RawDistribution>,
    #[serde(default)]
    pub bring_up_source: String,
    #[serde(default)]
    pub via: Vec<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub id: Text,
    pub layer: Text,
    #[serde(default)]
    pub name: String,
    pub mechanism: Text,
    /// Mechanism that removes failed replicas from the read pool (databases only).
    pub read_mechanism: Option<Text>,
    /// Site whose deployment serves every site (a database primary); none for services
    /// that each site runs for itself.
    pub primary_site: Option<Text>,
    /// `service` or `service/read`: where requests go when this cache fails.
    pub degrade_to: Option<Text>,
    pub at: Vec<RawDeployment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeployment {
    pub site: Text,
    pub members: Spanned<i64>,
    #[serde(default)]
    pub needs: Vec<Text>,
    #[serde(default)]
    pub via: Vec<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    pub from: Text,
    pub to: Text,
    pub needs: Vec<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntry {
    pub id: Text,
    #[serde(default)]
    pub name: String,
    pub site: Text,
    #[serde(default)]
    pub isp: String,
    pub failover: Option<Text>,
    #[serde(default)]
    pub fallback: Vec<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlow {
    pub id: Text,
    pub business: Text,
    #[serde(default)]
    pub name: String,
    pub access: Option<Text>,
    pub path: Vec<Text>,
    pub serve: Vec<RawShare>,
    #[serde(default)]
    pub entries: Vec<RawShare>,
}

/// A share of a flow's traffic, at a site or an entry point (ratio 0-1).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShare {
    pub site: Option<Text>,
    pub entry: Option<Text>,
    pub share: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRunbook {
    pub id: Text,
    pub title: String,
    #[serde(default)]
    pub clause: String,
    /// The element whose loss starts the runbook.
    pub trigger: Text,
    /// Also start it after every business has failed entirely for this long.
    pub escalate_after: Option<Text>,
    #[serde(default)]
    pub escalate_source: String,
    pub switch: RawSwitch,
    pub step: Vec<RawStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSwitch {
    pub from: Text,
    pub to: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
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

/// The keys of a distribution table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDistTable {
    pub dist: String,
    pub value: Option<String>,
    pub min: Option<String>,
    pub mode: Option<String>,
    pub max: Option<String>,
    pub median: Option<String>,
    pub p95: Option<String>,
}
