//! Checks a raw topology into a [`Topology`]: ids unique, references resolved (with a
//! suggestion for a near miss), durations and shares valid, dependencies acyclic, and
//! every flow reaching a database. Every problem is collected before returning.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use petgraph::algo::toposort;
use petgraph::graph::{DiGraph, NodeIndex};

use super::raw::*;
use super::*;
use crate::input::{Problem, Problems, SourceFile, suggestion};
use crate::limits::{self, raise_hint};
use crate::spof::steady::{EPSILON, Manual, Steady};
use crate::timing::parse_duration;
use toml::Spanned;

/// Reads and checks a topology file.
pub fn load(file: &SourceFile) -> Result<Topology, Problems> {
    let raw: RawTopology = parse_toml(file)?;
    let flow_ids: Vec<Range<usize>> = raw.flow.iter().map(|f| f.id.span()).collect();
    let mut checker = Checker::new(file);
    let topology = checker.topology(raw);
    checker.problems.into_result(())?;

    // A topology that is whole must serve every flow before anything fails
    let mut problems = Problems::default();
    let shares = Steady::new(&topology).shares_after(&[], &Manual::default());
    for ((flow, share), at) in topology.flows.iter().zip(shares).zip(flow_ids) {
        if share > EPSILON {
            let message = format!(
                "flow '{}' fails {} of its requests with nothing failed",
                flow.id,
                percent_of(share)
            );
            let hint = "check that every service of its path is deployed, with its primary \
                        site for a replicated database, where the flow is served, and that \
                        each site it is served at has a route to the sites it needs";
            problems
                .push(file.problem_at(at.start, Some(flow.id.as_str()), message).with_hint(hint));
        }
    }
    problems.into_result(topology)
}

/// A failing share as a percentage, with the decimals small shares need.
fn percent_of(share: f64) -> String {
    let value = share * 100.0;
    if value >= 10.0 { format!("{value:.0} %") } else { format!("{value:.2} %") }
}

/// Parses TOML into raw structures, turning a syntax or type error into a located problem.
pub fn parse_toml<T: serde::de::DeserializeOwned>(file: &SourceFile) -> Result<T, Problems> {
    if file.text.trim().is_empty() {
        return Err(Problems::one(Problem::whole_file(&file.label, "file is empty".into())));
    }
    toml::from_str(&file.text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim().replace('\n', " ");
        let (key, message, hint) = explain_serde_message(&message);
        let key = key.or_else(|| key_at(&file.text, offset));
        let hint = hint.or_else(|| syntax_hint(&message));
        let mut problem = file.problem_at(offset, key.as_deref(), message);
        problem.hint = hint;
        Problems::one(problem)
    })
}

/// The key being defined on the line of `offset`: the name before `=`, or the name of a
/// `[table]` or `[[array]]` header.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("").trim();
    if let Some(header) = line.strip_prefix('[') {
        let name = header.trim_start_matches('[').split(']').next().unwrap_or("").trim();
        return (!name.is_empty()).then(|| name.to_owned());
    }
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.contains(char::is_whitespace)).then(|| key.to_owned())
}

/// Recasts serde's "unknown field `x`, expected one of `a`, `b`" and "missing field `x`"
/// as a key, a message and a hint.
fn explain_serde_message(message: &str) -> (Option<String>, String, Option<String>) {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, after)) = rest.split_once('`')
    {
        let expected: Vec<&str> = after.split('`').skip(1).step_by(2).collect();
        let hint = suggestion(field, expected.iter().copied()).or_else(|| {
            (!expected.is_empty()).then(|| format!("expected one of {}", expected.join(", ")))
        });
        return (Some(field.to_owned()), "unknown key".to_owned(), hint);
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        return (Some(field.to_owned()), "missing key".to_owned(), None);
    }
    (None, plain_types(message), None)
}

/// A hint for the TOML slips people make most.
fn syntax_hint(message: &str) -> Option<String> {
    let hint = if message.contains("expected a list") {
        "a list of tables is written [[name]], with two brackets"
    } else if message.starts_with("invalid boolean") || message.starts_with("invalid string") {
        "text is written in double quotes, such as action = \"fail\""
    } else if message.contains("recursion") {
        "arrays or tables are nested deeper than the parser follows; drillsim's files nest \
         at most three levels"
    } else {
        return None;
    };
    Some(hint.to_owned())
}

/// Serde's type names in words: "struct RawHeader" is a table, "i64" an integer.
fn plain_types(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("invalid type: integer `")
        && let Some((digits, _)) = rest.split_once("` as i128")
    {
        return format!("integer {digits} is too large; integers here are at most {}", i64::MAX);
    }
    let mut out = message.replace("expected i64", "expected an integer");
    out = out.replace("expected f64", "expected a number");
    out = out.replace("expected a sequence", "expected a list");
    while let Some(at) = out.find("struct Raw") {
        let end =
            out[at + 7..].find(|c: char| !c.is_alphanumeric()).map_or(out.len(), |e| at + 7 + e);
        out.replace_range(at..end, "a table");
    }
    out
}

/// Checks a delay written as a duration or a distribution table.
pub fn check_distribution(
    file: &SourceFile,
    raw: &RawDistribution,
    key: &str,
) -> Result<Distribution, Problem> {
    let at = raw.0.span().start;
    let fail = |message: String| file.problem_at(at, Some(key), message);
    let dist = match raw.0.get_ref() {
        toml::Value::String(text) => Ok(Distribution::Fixed(parse_duration(text).map_err(fail)?)),
        toml::Value::Table(table) => {
            let table: RawDistTable = toml::Value::Table(table.clone())
                .try_into()
                .map_err(|e: toml::de::Error| fail(e.message().trim().to_owned()))?;
            distribution_from_table(&table).map_err(fail)
        }
        other => Err(fail(format!(
            "expected a duration such as \"30s\" or a distribution table, found a {}",
            other.type_str()
        ))),
    }?;
    if dist.max() <= 0.0 {
        return Err(fail("a delay that is always zero; it must be longer than zero".into()));
    }
    Ok(dist)
}

/// The distributions a delay table may name in `dist`.
pub(super) const DISTRIBUTIONS: [&str; 4] = ["fixed", "uniform", "triangular", "lognormal"];

/// The kinds of mechanism a topology may declare.
pub(super) const MECHANISM_KINDS: [&str; 4] =
    ["pool", "failover", "replicated-db", "entry-failover"];

/// Consecutive failed checks a health check may require.
pub(super) const FAILURES: std::ops::RangeInclusive<i64> = 1..=100;

fn distribution_from_table(table: &RawDistTable) -> Result<Distribution, String> {
    let get = |name: &str, value: &Option<String>| -> Result<f64, String> {
        let text = value
            .as_deref()
            .ok_or_else(|| format!("a {} distribution needs '{name}'", table.dist))?;
        parse_duration(text).map_err(|e| format!("'{name}': {e}"))
    };
    let allowed: &[&str] = match table.dist.as_str() {
        "fixed" => &["value"],
        "uniform" => &["min", "max"],
        "triangular" => &["min", "mode", "max"],
        "lognormal" => &["median", "p95"],
        other => {
            let (last, rest) = DISTRIBUTIONS.split_last().expect("four distributions");
            return Err(format!(
                "unknown distribution \"{other}\"; expected {} or {last}",
                rest.join(", ")
            ));
        }
    };
    let present = [
        ("value", &table.value),
        ("min", &table.min),
        ("mode", &table.mode),
        ("max", &table.max),
        ("median", &table.median),
        ("p95", &table.p95),
    ];
    if let Some((name, _)) = present.iter().find(|(n, v)| v.is_some() && !allowed.contains(n)) {
        return Err(format!("'{name}' does not apply to a {} distribution", table.dist));
    }
    let dist = match table.dist.as_str() {
        "fixed" => Distribution::Fixed(get("value", &table.value)?),
        "uniform" => {
            Distribution::Uniform { min: get("min", &table.min)?, max: get("max", &table.max)? }
        }
        "triangular" => Distribution::Triangular {
            min: get("min", &table.min)?,
            mode: get("mode", &table.mode)?,
            max: get("max", &table.max)?,
        },
        _ => Distribution::LogNormal {
            median: get("median", &table.median)?,
            p95: get("p95", &table.p95)?,
        },
    };
    check_distribution_order(&dist)?;
    Ok(dist)
}

fn check_distribution_order(dist: &Distribution) -> Result<(), String> {
    match *dist {
        Distribution::Uniform { min, max } if min > max => Err("'min' is larger than 'max'".into()),
        Distribution::Triangular { min, mode, max } if !(min <= mode && mode <= max) => {
            Err("a triangular distribution needs min <= mode <= max".into())
        }
        Distribution::LogNormal { median, .. } if median <= 0.0 => {
            Err("a lognormal distribution needs a median above zero".into())
        }
        Distribution::LogNormal { median, p95 } if p95 <= median => {
            Err("a lognormal distribution needs 'p95' above 'median'".into())
        }
        _ => Ok(()),
    }
}

/// The `mtbf` and `mttr` keys written for each element, in element order: declared
/// elements first, then the servers of each deployment.
fn reliability_keys<'r>(
    declared: &[(&'r RawElement, ElementKind)],
    services: &'r [RawService],
    count: usize,
) -> Vec<(Option<&'r Text>, Option<&'r Text>)> {
    let mut keys: Vec<(Option<&Text>, Option<&Text>)> =
        declared.iter().map(|(e, _)| (e.mtbf.as_ref(), e.mttr.as_ref())).collect();
    for deployment in services.iter().flat_map(|s| &s.at) {
        let members = usize::try_from(*deployment.members.get_ref()).unwrap_or(0);
        if members >= 1 && i64::try_from(members).is_ok_and(|m| m <= limits::current().members) {
            let pair = (deployment.mtbf.as_ref(), deployment.mttr.as_ref());
            keys.extend(std::iter::repeat_n(pair, members));
        }
    }
    keys.resize(count, (None, None));
    keys
}

/// The site all the members stand in, if they share one.
fn common_site(members: &[ElementId], elements: &[Element]) -> Option<ElementId> {
    let first = elements.get(*members.first()?)?.site?;
    members.iter().all(|&m| elements.get(m).and_then(|e| e.site) == Some(first)).then_some(first)
}

/// Names known so far, by namespace, with where they were declared.
#[derive(Default)]
struct Names {
    mechanisms: HashMap<String, MechanismId>,
    layers: HashMap<String, usize>,
    elements: HashMap<String, ElementId>,
    groups: HashMap<String, GroupId>,
    services: HashMap<String, ServiceId>,
    entries: HashMap<String, EntryId>,
    /// Every id of the shared namespace of elements and groups, with its position.
    declared: HashMap<String, usize>,
}

struct Checker<'a> {
    file: &'a SourceFile,
    problems: Problems,
    names: Names,
}

impl<'a> Checker<'a> {
    fn new(file: &'a SourceFile) -> Checker<'a> {
        Checker { file, problems: Problems::default(), names: Names::default() }
    }

    fn report(&mut self, at: Range<usize>, key: &str, message: String, hint: Option<String>) {
        let mut problem = self.file.problem_at(at.start, Some(key), message);
        problem.hint = hint;
        self.problems.push(problem);
    }

    fn topology(&mut self, raw: RawTopology) -> Topology {
        // Header, people and mechanisms
        let response = self.response(&raw.response);
        let mechanisms = raw.mechanism.iter().filter_map(|m| self.mechanism(m)).collect::<Vec<_>>();
        for (i, m) in mechanisms.iter().enumerate() {
            self.names.mechanisms.insert(m.id.clone(), i);
        }
        let layers = self.layers(&raw.layer);

        // Elements declared in the file, then the servers of every deployment
        let declared: Vec<(&RawElement, ElementKind)> = [
            (&raw.site, ElementKind::Site),
            (&raw.link, ElementKind::Link),
            (&raw.device, ElementKind::Device),
            (&raw.power, ElementKind::Power),
            (&raw.rack, ElementKind::Rack),
        ]
        .into_iter()
        .flat_map(|(list, kind)| list.iter().map(move |e| (e, kind)))
        .collect();
        let mut elements = Vec::new();
        for (raw_element, kind) in &declared {
            self.declare_element(&mut elements, raw_element, *kind);
        }
        let mut groups = Vec::new();
        let mut services = Vec::new();
        for (i, raw_service) in raw.service.iter().enumerate() {
            self.declare_service(&mut elements, &mut groups, &mut services, raw_service, i);
        }
        let service_groups = groups.len();
        for raw_group in &raw.group {
            self.declare_group(&mut groups, raw_group);
        }
        let limit = limits::current().elements;
        if elements.len() > limit {
            let message = format!(
                "{} elements (servers included), more than the limit of {limit} that keeps a \
                 simulation within the machine",
                elements.len()
            );
            let hint = raise_hint("elements", elements.len());
            let problem = Problem::whole_file(&self.file.label, message).with_hint(hint);
            self.problems.push(problem);
        }

        // References, now that every name is known
        for (i, (raw_element, kind)) in declared.iter().enumerate() {
            self.resolve_element(&mut elements[i], raw_element, *kind);
        }
        self.resolve_services(&raw.service, &mut elements, &mut groups, &mut services);
        for (g, raw_group) in raw.group.iter().enumerate() {
            if let Some(group) = groups.get_mut(service_groups + g) {
                self.resolve_group(group, raw_group, &mechanisms);
            }
        }
        for group in groups.iter_mut().filter(|g| g.service.is_none()) {
            group.site = common_site(&group.members, &elements);
        }
        let routes = self.routes(&raw.route);
        let entries = self.entries(&raw.entry, &mechanisms);
        let flows = self.flows(&raw.flow, &services, &layers, &mechanisms);
        let runbooks = self.runbooks(&raw.runbook, &elements);
        let defenses: Vec<Defense> = raw.defense.iter().filter_map(|d| self.defense(d)).collect();
        for (i, d) in defenses.iter().enumerate() {
            if defenses[..i].iter().any(|e| e.kind == d.kind) {
                let at = raw.defense.iter().filter(|r| *r.kind.get_ref() == d.kind.name()).nth(1);
                let message = format!("a second [[defense]] for '{}'", d.kind.name());
                self.report(at.map_or(0..0, |r| r.kind.span()), "kind", message, None);
            }
        }
        let dns = raw.dns.as_ref().map(|d| self.dns(d));
        let data = self.databases(&raw.data, &services, &mechanisms);
        let common_causes = self.common_causes(&raw.common_cause);
        let written = reliability_keys(&declared, &raw.service, elements.len());
        let reliability = self.reliability(&elements, &written);

        // The dependency graph and its order; sites numbered for dense lookups
        let (graph, element_order, group_order) = self.graph(&elements, &groups);
        let sites: Vec<ElementId> =
            (0..elements.len()).filter(|&e| elements[e].kind == ElementKind::Site).collect();
        let mut site_slot = vec![usize::MAX; elements.len()];
        for (slot, &site) in sites.iter().enumerate() {
            site_slot[site] = slot;
        }
        for service in &mut services {
            service.by_site = vec![None; sites.len()];
            for &(site, group) in &service.deployments {
                service.by_site[site_slot[site]] = Some(group);
            }
        }

        Topology {
            id: raw.topology.id.get_ref().clone(),
            title: raw.topology.title.clone(),
            clause: raw.topology.clause.clone(),
            file: FileRef::of(self.file),
            response,
            mechanisms,
            layers,
            elements,
            groups,
            services,
            routes,
            entries,
            flows,
            runbooks,
            defenses,
            dns,
            data,
            graph,
            element_order,
            group_order,
            site_slot,
            sites,
            reliability,
            common_causes,
        }
    }

    /// Each element's MTBF and MTTR: as written, else the default of its kind.
    fn reliability(
        &mut self,
        elements: &[Element],
        declared: &[(Option<&Text>, Option<&Text>)],
    ) -> Vec<Reliability> {
        let mut all = Vec::with_capacity(elements.len());
        for (e, element) in elements.iter().enumerate() {
            let mut reliability = Reliability::default_for(element.kind);
            let (mtbf, mttr) = declared.get(e).copied().unwrap_or((None, None));
            if let Some(mtbf) = mtbf.and_then(|t| self.long_duration(t, "mtbf")) {
                reliability.mtbf = mtbf;
                reliability.declared = true;
            }
            if let Some(mttr) = mttr.and_then(|t| self.long_duration(t, "mttr")) {
                reliability.mttr = mttr;
                reliability.declared = true;
            }
            all.push(reliability);
        }
        all
    }

    /// A positive duration of up to 1,000 years ("5y", "20000h", "4h"), for MTBF and
    /// MTTR, which may exceed the 30-day limit of other durations.
    fn long_duration(&mut self, raw: &Text, key: &str) -> Option<f64> {
        const LIMIT_S: f64 = 1000.0 * 8766.0 * 3600.0;
        let text = raw.get_ref().trim();
        let parsed = humantime::parse_duration(text).map(|d| d.as_secs_f64());
        let message = match parsed {
            Ok(s) if s > 0.0 && s <= LIMIT_S => return Some(s),
            Ok(_) => format!("\"{text}\" must be more than zero and at most 1000 years"),
            Err(e) => format!("\"{text}\" is not a duration ({e})"),
        };
        let hint = Some("write one such as \"5y\", \"20000h\" or \"4h\"".to_owned());
        self.report(raw.span(), key, message, hint);
        None
    }

    /// The `[[common_cause]]` tables: ids unique, members known elements.
    fn common_causes(&mut self, raw: &[RawCommonCause]) -> Vec<CommonCause> {
        let mut causes: Vec<CommonCause> = Vec::new();
        for cause in raw {
            if !self.claim(&cause.id) {
                continue;
            }
            let members: Vec<ElementId> =
                cause.members.iter().filter_map(|m| self.element_ref(m, "members")).collect();
            if cause.members.is_empty() {
                let message = "a common cause takes down at least one element".to_owned();
                self.report(cause.id.span(), "members", message, None);
            }
            causes.push(CommonCause {
                id: cause.id.get_ref().clone(),
                name: if cause.name.is_empty() {
                    cause.id.get_ref().clone()
                } else {
                    cause.name.clone()
                },
                members,
                source: cause.source.clone(),
            });
        }
        causes
    }

    fn distribution(&mut self, raw: &RawDistribution, key: &str) -> Distribution {
        check_distribution(self.file, raw, key).unwrap_or_else(|problem| {
            self.problems.push(problem);
            Distribution::Fixed(0.0)
        })
    }

    fn duration(&mut self, raw: &Text, key: &str) -> f64 {
        parse_duration(raw.get_ref()).unwrap_or_else(|message| {
            self.report(raw.span(), key, message, None);
            0.0
        })
    }

    fn positive_duration(&mut self, raw: &Text, key: &str) -> f64 {
        let value = self.duration(raw, key);
        if value == 0.0 && parse_duration(raw.get_ref()).is_ok() {
            self.report(raw.span(), key, "must be longer than zero".into(), None);
        }
        value
    }

    fn response(&mut self, raw: &RawResponse) -> Response {
        Response {
            alert: self.distribution(&raw.alert, "alert"),
            respond: self.distribution(&raw.respond, "respond"),
            source: raw.source.clone(),
        }
    }

    fn mechanism(&mut self, raw: &RawMechanism) -> Option<Mechanism> {
        let id = raw.id.get_ref().clone();
        if self.names.mechanisms.contains_key(&id) {
            self.report(raw.id.span(), &id, "mechanism declared twice".into(), None);
            return None;
        }
        self.names.mechanisms.insert(id.clone(), usize::MAX);
        let kind = self.mechanism_kind(raw)?;
        Some(Mechanism { id, title: raw.title.clone(), kind, source: raw.source.clone() })
    }

    fn mechanism_kind(&mut self, raw: &RawMechanism) -> Option<MechanismKind> {
        let kind = raw.kind.get_ref().as_str();
        let keys: &[&str] = match kind {
            "pool" => &["check_interval", "check_timeout", "failures", "retry_delay"],
            "failover" => &["keepalive", "dead_time", "takeover"],
            "replicated-db" => {
                &["check_interval", "check_timeout", "failures", "retry_delay", "promotion"]
            }
            "entry-failover" => {
                &["check_interval", "check_timeout", "failures", "retry_delay", "ttl", "down_at"]
            }
            other => {
                let (last, rest) = MECHANISM_KINDS.split_last().expect("four kinds");
                let hint = suggestion(other, MECHANISM_KINDS)
                    .or(Some(format!("expected {} or {last}", rest.join(", "))));
                self.report(
                    raw.kind.span(),
                    "kind",
                    format!("unknown mechanism kind \"{other}\""),
                    hint,
                );
                return None;
            }
        };
        self.reject_foreign_keys(raw, kind, keys);
        Some(match kind {
            "pool" => MechanismKind::Pool { check: self.health_check(raw)? },
            "failover" => MechanismKind::Failover {
                heartbeat: self.heartbeat(raw)?,
                takeover: self.required_distribution(raw, &raw.takeover, "takeover")?,
            },
            "replicated-db" => MechanismKind::ReplicatedDb {
                check: self.health_check(raw)?,
                promotion: self.required_distribution(raw, &raw.promotion, "promotion")?,
            },
            _ => MechanismKind::EntryFailover {
                check: self.health_check(raw)?,
                ttl: match &raw.ttl {
                    Some(ttl) => self.duration(ttl, "ttl"),
                    None => return self.missing(raw, "ttl"),
                },
                down_at: self.down_at(raw),
            },
        })
    }

    fn reject_foreign_keys(&mut self, raw: &RawMechanism, kind: &str, keys: &[&str]) {
        let present: [(&str, Option<Range<usize>>); 10] = [
            ("check_interval", raw.check_interval.as_ref().map(|v| v.span())),
            ("check_timeout", raw.check_timeout.as_ref().map(|v| v.span())),
            ("failures", raw.failures.as_ref().map(|v| v.span())),
            ("retry_delay", raw.retry_delay.as_ref().map(|v| v.span())),
            ("keepalive", raw.keepalive.as_ref().map(|v| v.span())),
            ("dead_time", raw.dead_time.as_ref().map(|v| v.span())),
            ("takeover", raw.takeover.as_ref().map(|v| v.0.span())),
            ("promotion", raw.promotion.as_ref().map(|v| v.0.span())),
            ("ttl", raw.ttl.as_ref().map(|v| v.span())),
            ("down_at", raw.down_at.as_ref().map(|v| v.span())),
        ];
        for (key, span) in present {
            if let Some(span) = span.filter(|_| !keys.contains(&key)) {
                let message = format!("does not apply to a {kind} mechanism");
                self.report(span, key, message, Some(format!("it takes {}", keys.join(", "))));
            }
        }
    }

    fn missing<T>(&mut self, raw: &RawMechanism, key: &str) -> Option<T> {
        let message = format!("mechanism '{}' needs '{key}'", raw.id.get_ref());
        self.report(raw.id.span(), key, message, None);
        None
    }

    fn required_distribution(
        &mut self,
        raw: &RawMechanism,
        value: &Option<RawDistribution>,
        key: &str,
    ) -> Option<Distribution> {
        match value {
            Some(value) => Some(self.distribution(value, key)),
            None => self.missing(raw, key),
        }
    }

    fn health_check(&mut self, raw: &RawMechanism) -> Option<HealthCheck> {
        let Some(interval) = &raw.check_interval else {
            return self.missing(raw, "check_interval");
        };
        let interval = self.positive_duration(interval, "check_interval");
        let timeout = raw.check_timeout.as_ref().map_or(0.0, |t| self.duration(t, "check_timeout"));
        let retry_delay =
            raw.retry_delay.as_ref().map_or(interval, |t| self.duration(t, "retry_delay"));
        let failures = match &raw.failures {
            None => 1,
            Some(f) if FAILURES.contains(f.get_ref()) => *f.get_ref() as u32,
            Some(f) => {
                let message = format!("{} failed checks makes no sense", f.get_ref());
                let hint = format!("use {} to {}", FAILURES.start(), FAILURES.end());
                self.report(f.span(), "failures", message, Some(hint));
                1
            }
        };
        Some(HealthCheck { interval, timeout, failures, retry_delay })
    }

    fn heartbeat(&mut self, raw: &RawMechanism) -> Option<Heartbeat> {
        let (Some(keepalive), Some(dead_time)) = (&raw.keepalive, &raw.dead_time) else {
            let key = if raw.keepalive.is_none() { "keepalive" } else { "dead_time" };
            return self.missing(raw, key);
        };
        let keepalive = self.positive_duration(keepalive, "keepalive");
        let dead_time = self.positive_duration(dead_time, "dead_time");
        Some(Heartbeat { keepalive, dead_time })
    }

    fn down_at(&mut self, raw: &RawMechanism) -> f64 {
        match &raw.down_at {
            None => 0.5,
            Some(v) if *v.get_ref() > 0.0 && *v.get_ref() <= 1.0 => *v.get_ref(),
            Some(v) => {
                let message = format!("{} is not a share of requests", v.get_ref());
                self.report(
                    v.span(),
                    "down_at",
                    message,
                    Some("use a ratio above 0, up to 1".into()),
                );
                0.5
            }
        }
    }

    fn layers(&mut self, raw: &[RawLayer]) -> Vec<Layer> {
        let mut layers = Vec::new();
        for layer in raw {
            let id = layer.id.get_ref().clone();
            if self.names.layers.contains_key(&id) {
                self.report(layer.id.span(), &id, "layer declared twice".into(), None);
                continue;
            }
            self.names.layers.insert(id.clone(), layers.len());
            layers.push(Layer { id, title: layer.title.clone() });
        }
        layers
    }

    /// Claims an id in the namespace shared by elements and groups.
    fn claim(&mut self, id: &Text) -> bool {
        let name = id.get_ref();
        if let Some(first) = self.names.declared.get(name) {
            let (line, _) = self.file.position(*first);
            let message = format!("id declared twice (first on line {line})");
            self.report(id.span(), name, message, None);
            return false;
        }
        if name.trim().is_empty() {
            self.report(id.span(), "id", "id is empty".into(), None);
            return false;
        }
        self.names.declared.insert(name.clone(), id.span().start);
        true
    }

    fn declare_element(
        &mut self,
        elements: &mut Vec<Element>,
        raw: &RawElement,
        kind: ElementKind,
    ) {
        // Every declared element gets a slot so that indices match the raw lists
        if self.claim(&raw.id) {
            self.names.elements.insert(raw.id.get_ref().clone(), elements.len());
        }
        elements.push(Element {
            id: raw.id.get_ref().clone(),
            name: if raw.name.is_empty() { raw.id.get_ref().clone() } else { raw.name.clone() },
            kind,
            detail: raw.kind.as_ref().map(|k| k.get_ref().clone()).unwrap_or_default(),
            site: None,
            needs: Vec::new(),
            needs_any: Vec::new(),
        });
    }

    fn element_ref(&mut self, raw: &Text, key: &str) -> Option<ElementId> {
        if let Some(&e) = self.names.elements.get(raw.get_ref()) {
            return Some(e);
        }
        let what = if self.names.groups.contains_key(raw.get_ref()) {
            format!(
                "'{}' is a group; '{key}' takes sites, links, devices, power or racks",
                raw.get_ref()
            )
        } else {
            format!("unknown element '{}'", raw.get_ref())
        };
        let hint = suggestion(raw.get_ref(), self.names.elements.keys().map(String::as_str));
        self.report(raw.span(), key, what, hint);
        None
    }

    fn site_ref(&mut self, raw: &Text, key: &str, elements: &[Element]) -> Option<ElementId> {
        let e = self.element_ref(raw, key)?;
        if elements.get(e).is_some_and(|el| el.kind == ElementKind::Site) {
            return Some(e);
        }
        let message = format!("'{}' is not a site", raw.get_ref());
        self.report(raw.span(), key, message, None);
        None
    }

    fn any_ref(&mut self, raw: &Text, key: &str) -> Option<Ref> {
        if let Some(&e) = self.names.elements.get(raw.get_ref()) {
            return Some(Ref::Element(e));
        }
        if let Some(&g) = self.names.groups.get(raw.get_ref()) {
            return Some(Ref::Group(g));
        }
        let candidates = self.names.elements.keys().chain(self.names.groups.keys());
        let hint = suggestion(raw.get_ref(), candidates.map(String::as_str));
        let message = format!("unknown element or group '{}'", raw.get_ref());
        self.report(raw.span(), key, message, hint);
        None
    }

    fn resolve_element(&mut self, element: &mut Element, raw: &RawElement, kind: ElementKind) {
        match kind {
            ElementKind::Site => {
                if raw.site.is_some() || !raw.sites.is_empty() {
                    self.report(
                        raw.id.span(),
                        "site",
                        "a site does not stand in a site".into(),
                        None,
                    );
                }
            }
            ElementKind::Link => {
                if raw.sites.is_empty() || raw.sites.len() > 2 {
                    let message = "a link joins one site (an uplink) or two".to_owned();
                    self.report(raw.id.span(), "sites", message, None);
                }
                for s in &raw.sites {
                    if let Some(site) = self.element_ref(s, "sites") {
                        element.needs.push(site);
                    }
                }
            }
            _ => match &raw.site {
                Some(s) => {
                    element.site = self.element_ref(s, "site");
                    element.needs.extend(element.site);
                }
                None => {
                    let message = format!("a {} names the site it stands in", kind.name());
                    self.report(raw.id.span(), "site", message, None);
                }
            },
        }
        self.no_repeats(&raw.needs, "needs");
        self.no_repeats(&raw.needs_any, "needs_any");
        for n in &raw.needs {
            element.needs.extend(self.element_ref(n, "needs"));
        }
        for n in &raw.needs_any {
            element.needs_any.extend(self.element_ref(n, "needs_any"));
        }
    }

    /// Reports an id listed twice in one list, where a second mention would count twice
    /// or mean nothing.
    fn no_repeats(&mut self, list: &[Text], key: &str) {
        for (i, text) in list.iter().enumerate() {
            if list[..i].iter().any(|t| t.get_ref() == text.get_ref()) {
                let message = format!("'{}' is listed twice", text.get_ref());
                self.report(text.span(), key, message, Some("list it once".into()));
            }
        }
    }

    fn mechanism_ref(&mut self, raw: &Text, key: &str) -> Option<MechanismId> {
        match self.names.mechanisms.get(raw.get_ref()) {
            Some(&m) if m != usize::MAX => Some(m),
            Some(_) => None,
            None => {
                let hint =
                    suggestion(raw.get_ref(), self.names.mechanisms.keys().map(String::as_str));
                let message = format!("unknown mechanism '{}'", raw.get_ref());
                self.report(raw.span(), key, message, hint);
                None
            }
        }
    }

    fn declare_service(
        &mut self,
        elements: &mut Vec<Element>,
        groups: &mut Vec<Group>,
        services: &mut Vec<Service>,
        raw: &RawService,
        index: usize,
    ) {
        let id = raw.id.get_ref().clone();
        if self.names.services.contains_key(&id) {
            self.report(raw.id.span(), &id, "service declared twice".into(), None);
        }
        self.names.services.insert(id.clone(), index);
        let layer = self.names.layers.get(raw.layer.get_ref()).copied().unwrap_or_else(|| {
            let hint =
                suggestion(raw.layer.get_ref(), self.names.layers.keys().map(String::as_str));
            let message = format!("unknown layer '{}'", raw.layer.get_ref());
            self.report(raw.layer.span(), "layer", message, hint);
            0
        });
        let mechanism = self.mechanism_ref(&raw.mechanism, "mechanism").unwrap_or(0);
        let mut service = Service {
            id: id.clone(),
            name: if raw.name.is_empty() { id.clone() } else { raw.name.clone() },
            layer,
            mechanism,
            read_mechanism: None,
            primary_site: None,
            degrade_to: None,
            deployments: Vec::new(),
            by_site: Vec::new(),
        };
        for deployment in &raw.at {
            self.declare_deployment(elements, groups, &mut service, deployment, index);
        }
        services.push(service);
    }

    fn declare_deployment(
        &mut self,
        elements: &mut Vec<Element>,
        groups: &mut Vec<Group>,
        service: &mut Service,
        raw: &RawDeployment,
        index: usize,
    ) {
        let site = raw.site.get_ref();
        let count = *raw.members.get_ref();
        let limit = limits::current().members;
        if count < 1 {
            let message = format!("{count} members; a deployment has at least 1");
            self.report(raw.members.span(), "members", message, None);
            return;
        }
        if count > limit {
            let message = format!("{count} members, more than the limit of {limit}");
            let hint = raise_hint("members", count);
            self.report(raw.members.span(), "members", message, Some(hint));
            return;
        }
        let group_id = Spanned::new(raw.site.span(), format!("{}-{site}", service.id));
        if !self.claim(&group_id) {
            return;
        }
        let mut members = Vec::new();
        for n in 1..=count {
            let member_id = Spanned::new(raw.site.span(), format!("{}-{site}-{n}", service.id));
            if self.claim(&member_id) {
                self.names.elements.insert(member_id.get_ref().clone(), elements.len());
            }
            members.push(elements.len());
            elements.push(Element {
                id: member_id.into_inner(),
                name: format!("{} #{n} at {site}", service.name),
                kind: ElementKind::Server,
                detail: "server".into(),
                site: None,
                needs: Vec::new(),
                needs_any: Vec::new(),
            });
        }
        self.names.groups.insert(group_id.get_ref().clone(), groups.len());
        groups.push(Group {
            id: group_id.into_inner(),
            name: format!("{} at {site}", service.name),
            mechanism: service.mechanism,
            spares_from: members.len(),
            members,
            bring_up: None,
            via: Vec::new(),
            read_mechanism: None,
            service: Some((index, usize::MAX)),
            site: None,
        });
    }

    fn declare_group(&mut self, groups: &mut Vec<Group>, raw: &RawGroup) {
        if self.claim(&raw.id) {
            self.names.groups.insert(raw.id.get_ref().clone(), groups.len());
        }
        groups.push(Group {
            id: raw.id.get_ref().clone(),
            name: if raw.name.is_empty() { raw.id.get_ref().clone() } else { raw.name.clone() },
            mechanism: 0,
            members: Vec::new(),
            spares_from: 0,
            bring_up: None,
            via: Vec::new(),
            read_mechanism: None,
            service: None,
            site: None,
        });
    }

    fn resolve_group(&mut self, group: &mut Group, raw: &RawGroup, mechanisms: &[Mechanism]) {
        group.mechanism = self.mechanism_ref(&raw.mechanism, "mechanism").unwrap_or(0);
        for m in &raw.members {
            group.members.extend(self.element_ref(m, "members"));
        }
        group.spares_from = group.members.len();
        for m in &raw.spare {
            group.members.extend(self.element_ref(m, "spare"));
        }
        for v in &raw.via {
            group.via.extend(self.any_ref(v, "via"));
        }
        if raw.members.is_empty() {
            self.report(raw.id.span(), "members", "a group needs at least one member".into(), None);
        }
        match (&raw.bring_up, raw.spare.is_empty()) {
            (Some(b), false) => {
                let dist = self.distribution(b, "bring_up");
                group.bring_up = Some((dist, raw.bring_up_source.clone()));
            }
            (None, false) => {
                let message =
                    "a group with spares needs 'bring_up', the time to bring one into service";
                self.report(raw.id.span(), "bring_up", message.into(), None);
            }
            (Some(b), true) => {
                self.report(
                    b.0.span(),
                    "bring_up",
                    "the group has no spare to bring up".into(),
                    None,
                );
            }
            (None, true) => {}
        }
        if let Some(m) = mechanisms.get(group.mechanism)
            && matches!(m.kind, MechanismKind::EntryFailover { .. })
        {
            let message =
                format!("'{}' moves users between entry points; a group cannot use it", m.id);
            self.report(raw.mechanism.span(), "mechanism", message, None);
        }
    }

    fn resolve_services(
        &mut self,
        raw: &[RawService],
        elements: &mut [Element],
        groups: &mut [Group],
        services: &mut [Service],
    ) {
        for (s, raw_service) in raw.iter().enumerate() {
            self.resolve_service_refs(raw_service, &mut services[s]);
            for deployment in &raw_service.at {
                let group_id =
                    format!("{}-{}", raw_service.id.get_ref(), deployment.site.get_ref());
                let Some(&g) = self.names.groups.get(&group_id) else { continue };
                let Some(site) = self.site_ref(&deployment.site, "site", elements) else {
                    continue;
                };
                if services[s].deployment_at(site).is_some() {
                    let message =
                        format!("service '{}' is deployed twice at this site", services[s].id);
                    self.report(deployment.site.span(), "site", message, None);
                }
                services[s].deployments.push((site, g));
                groups[g].service = Some((s, site));
                groups[g].site = Some(site);
                groups[g].read_mechanism = services[s].read_mechanism;
                let mut needs = vec![site];
                self.no_repeats(&deployment.needs, "needs");
                self.no_repeats(&deployment.via, "via");
                for n in &deployment.needs {
                    needs.extend(self.element_ref(n, "needs"));
                }
                for &m in &groups[g].members.clone() {
                    elements[m].site = Some(site);
                    elements[m].needs = needs.clone();
                }
                for v in &deployment.via {
                    groups[g].via.extend(self.any_ref(v, "via"));
                }
            }
        }
    }

    fn resolve_service_refs(&mut self, raw: &RawService, service: &mut Service) {
        if let Some(m) = &raw.read_mechanism {
            service.read_mechanism = self.mechanism_ref(m, "read_mechanism");
        }
        if let Some(d) = &raw.degrade_to {
            service.degrade_to = self.step(d, "degrade_to");
        }
        if let Some(site) = &raw.primary_site {
            let deployed = raw.at.iter().any(|a| a.site.get_ref() == site.get_ref());
            match self.names.elements.get(site.get_ref()) {
                Some(&e) if deployed => service.primary_site = Some(e),
                _ => {
                    let message =
                        format!("service '{}' is not deployed at '{}'", service.id, site.get_ref());
                    self.report(site.span(), "primary_site", message, None);
                }
            }
        }
    }

    fn defense(&mut self, raw: &RawDefense) -> Option<Defense> {
        let Some(kind) = DdosKind::parse(raw.kind.get_ref()) else {
            let hint = suggestion(raw.kind.get_ref(), DdosKind::NAMES)
                .or(Some(format!("expected one of {}", DdosKind::NAMES.join(", "))));
            let message = format!("unknown kind of DDoS '{}'", raw.kind.get_ref());
            self.report(raw.kind.span(), "kind", message, hint);
            return None;
        };
        Some(Defense {
            kind,
            recognise: self.distribution(&raw.recognise, "recognise"),
            mitigate: self.distribution(&raw.mitigate, "mitigate"),
            source: raw.source.clone(),
        })
    }

    fn dns(&mut self, raw: &RawDns) -> Dns {
        let chance = *raw.still_poisoned.get_ref();
        if !(0.0..1.0).contains(&chance) {
            let message = format!("{chance} is not a chance from 0 up to (not including) 1");
            self.report(raw.still_poisoned.span(), "still_poisoned", message, None);
        }
        Dns {
            monitor: self.distribution(&raw.monitor, "monitor"),
            complaints: self.distribution(&raw.complaints, "complaints"),
            verify: self.distribution(&raw.verify, "verify"),
            isp_high: self.distribution(&raw.isp_high, "isp_high"),
            isp_low: self.distribution(&raw.isp_low, "isp_low"),
            recheck: self.distribution(&raw.recheck, "recheck"),
            still_poisoned: chance.clamp(0.0, 0.99),
            source: raw.source.clone(),
        }
    }

    /// The `[[data]]` entries: each names a replicated-db service once; every other key
    /// has a documented default (see [`crate::data`]).
    fn databases(
        &mut self,
        raw: &[RawData],
        services: &[Service],
        mechanisms: &[Mechanism],
    ) -> Vec<crate::data::Database> {
        let mut databases: Vec<crate::data::Database> = Vec::new();
        for entry in raw {
            let Some(database) = self.database(entry, services, mechanisms) else { continue };
            if databases.iter().any(|d| d.service == database.service) {
                let message = format!("a second [[data]] for '{}'", entry.service.get_ref());
                self.report(entry.service.span(), "service", message, None);
                continue;
            }
            databases.push(database);
        }
        databases
    }

    fn database(
        &mut self,
        raw: &RawData,
        services: &[Service],
        mechanisms: &[Mechanism],
    ) -> Option<crate::data::Database> {
        use crate::data::*;

        // The database service, and its delayed copy
        let service = self.replicated_service(&raw.service, "service", services, mechanisms);
        let delayed_copy = raw.delayed_copy.as_ref().map(|d| {
            self.replicated_service(d, "delayed_copy", services, mechanisms).map(|s| {
                let delay = raw
                    .delay
                    .as_ref()
                    .map_or(DEFAULT_DELAY_S, |d| self.positive_duration(d, "delay"));
                (s, delay)
            })
        });
        if let Some(copy) = &raw.delayed_copy
            && copy.get_ref() == raw.service.get_ref()
        {
            let message = format!("'{}' cannot be its own delayed copy", copy.get_ref());
            let hint = "name the service that holds the delayed copy".to_owned();
            self.report(copy.span(), "delayed_copy", message, Some(hint));
        }
        if let (Some(delay), None) = (&raw.delay, &raw.delayed_copy) {
            let message = "a delay needs the 'delayed_copy' it applies to".to_owned();
            self.report(delay.span(), "delay", message, None);
        }

        // Rates, volumes and throughputs: numbers within their plausible bounds
        let tx_rate = self.bounded(&raw.tx_rate, "tx_rate", DEFAULT_TX_RATE, TX_RATE_BOUNDS);
        let throughput = THROUGHPUT_MIB_S_BOUNDS;
        let restore = RestoreParams {
            volume_gib: self.bounded(
                &raw.volume_gib,
                "volume_gib",
                DEFAULT_VOLUME_GIB,
                VOLUME_GIB_BOUNDS,
            ),
            backup_every: raw
                .backup_every
                .as_ref()
                .map_or(DEFAULT_BACKUP_EVERY_S, |b| self.positive_duration(b, "backup_every")),
            fetch_mib_s: self.bounded(
                &raw.fetch_mib_s,
                "fetch_mib_s",
                DEFAULT_FETCH_MIB_S,
                throughput,
            ),
            untar_mib_s: self.bounded(
                &raw.untar_mib_s,
                "untar_mib_s",
                DEFAULT_UNTAR_MIB_S,
                throughput,
            ),
            load_mib_s: self.bounded(&raw.load_mib_s, "load_mib_s", DEFAULT_LOAD_MIB_S, throughput),
            replay_tx_s: self.bounded(
                &raw.replay_tx_s,
                "replay_tx_s",
                DEFAULT_REPLAY_TX_S,
                REPLAY_TX_S_BOUNDS,
            ),
            reinstall: self.optional_distribution(&raw.reinstall, "reinstall", default_reinstall()),
            verify: self.optional_distribution(&raw.verify, "verify", default_verify()),
            reconcile: self.optional_distribution(&raw.reconcile, "reconcile", default_reconcile()),
        };

        // Replication and promotion
        let semi_sync_timeout =
            raw.semi_sync_timeout.as_ref().map_or(DEFAULT_SEMI_SYNC_TIMEOUT_S, |t| {
                self.positive_duration(t, "semi_sync_timeout")
            });
        let lag_limit = raw.lag_limit.as_ref().map(|l| self.duration(l, "lag_limit"));
        Some(Database {
            service: service?,
            name: if raw.name.is_empty() {
                raw.service.get_ref().clone()
            } else {
                raw.name.clone()
            },
            tx_rate,
            semi_sync_timeout,
            replica_lag: self.optional_distribution(
                &raw.replica_lag,
                "replica_lag",
                default_replica_lag(),
            ),
            remote_lag: self.optional_distribution(
                &raw.remote_lag,
                "remote_lag",
                default_remote_lag(),
            ),
            delayed: delayed_copy.flatten(),
            lag_limit,
            manual_failover: self.optional_distribution(
                &raw.manual_failover,
                "manual_failover",
                default_manual_failover(),
            ),
            restore,
            source: raw.source.clone(),
        })
    }

    /// A service that must use a replicated-db mechanism.
    fn replicated_service(
        &mut self,
        raw: &Text,
        key: &str,
        services: &[Service],
        mechanisms: &[Mechanism],
    ) -> Option<ServiceId> {
        let Some(&s) = self.names.services.get(raw.get_ref()) else {
            let hint = suggestion(raw.get_ref(), self.names.services.keys().map(String::as_str));
            self.report(raw.span(), key, format!("unknown service '{}'", raw.get_ref()), hint);
            return None;
        };
        let replicated = services
            .get(s)
            .and_then(|s| mechanisms.get(s.mechanism))
            .is_some_and(|m| matches!(m.kind, MechanismKind::ReplicatedDb { .. }));
        if !replicated {
            let message = format!("'{}' is not a replicated database", raw.get_ref());
            let hint = "name a service whose mechanism is of kind replicated-db".to_owned();
            self.report(raw.span(), key, message, Some(hint));
            return None;
        }
        Some(s)
    }

    /// A rate, a volume or a throughput within its plausible bounds, or its default.
    fn bounded(
        &mut self,
        raw: &Option<Spanned<f64>>,
        key: &str,
        default: f64,
        bounds: crate::data::Bounds,
    ) -> f64 {
        let Some(value) = raw else { return default };
        let v = *value.get_ref();
        if (bounds.min..=bounds.max).contains(&v) {
            return v;
        }
        let unit = bounds.unit;
        let message = if !(v.is_finite() && v > 0.0) {
            format!("{} is not a positive number", number(v))
        } else if v < bounds.min {
            format!("{} {unit} is below the plausible minimum of {} {unit}", number(v), bounds.min)
        } else {
            let max = (number(bounds.max), bounds.max_words);
            format!(
                "{} {unit} is above the plausible maximum of {} {unit} ({})",
                number(v),
                max.0,
                max.1
            )
        };
        let hint = format!("leave it out for the default {default} {unit}");
        self.report(value.span(), key, message, Some(hint));
        default
    }

    fn optional_distribution(
        &mut self,
        raw: &Option<RawDistribution>,
        key: &str,
        default: Distribution,
    ) -> Distribution {
        raw.as_ref().map_or(default, |d| self.distribution(d, key))
    }

    /// A hop of a path: `service`, `service/read` or `service/write`.
    fn step(&mut self, raw: &Text, key: &str) -> Option<Step> {
        let text = raw.get_ref();
        let (name, role) = match text.split_once('/') {
            None => (text.as_str(), Role::Write),
            Some((name, "write")) => (name, Role::Write),
            Some((name, "read")) => (name, Role::Read),
            Some((_, role)) => {
                let message = format!("unknown role '{role}' in '{text}'");
                self.report(raw.span(), key, message, Some("use 'read' or 'write'".into()));
                return None;
            }
        };
        match self.names.services.get(name) {
            Some(&service) => Some(Step { service, role }),
            None => {
                let hint = suggestion(name, self.names.services.keys().map(String::as_str));
                self.report(raw.span(), key, format!("unknown service '{name}'"), hint);
                None
            }
        }
    }

    fn routes(&mut self, raw: &[RawRoute]) -> BTreeMap<(ElementId, ElementId), Vec<Ref>> {
        let mut routes = BTreeMap::new();
        for route in raw {
            let from = self.element_ref(&route.from, "from");
            let to = self.element_ref(&route.to, "to");
            self.no_repeats(&route.needs, "needs");
            if from.is_some() && from == to {
                let message = "a route joins two different sites".to_owned();
                self.report(route.to.span(), "to", message, None);
            }
            let needs: Vec<Ref> =
                route.needs.iter().filter_map(|n| self.any_ref(n, "needs")).collect();
            let (Some(from), Some(to)) = (from, to) else { continue };
            if routes.insert((from, to), needs).is_some() {
                let key = format!("{} -> {}", route.from.get_ref(), route.to.get_ref());
                self.report(route.from.span(), &key, "route declared twice".into(), None);
            }
        }
        routes
    }

    fn entries(&mut self, raw: &[RawEntry], mechanisms: &[Mechanism]) -> Vec<Entry> {
        for (i, entry) in raw.iter().enumerate() {
            if self.names.entries.insert(entry.id.get_ref().clone(), i).is_some() {
                self.report(
                    entry.id.span(),
                    entry.id.get_ref(),
                    "entry declared twice".into(),
                    None,
                );
            }
        }
        raw.iter().map(|entry| self.entry(entry, mechanisms)).collect()
    }

    fn entry(&mut self, raw: &RawEntry, mechanisms: &[Mechanism]) -> Entry {
        let site = self.element_ref(&raw.site, "site").unwrap_or(0);
        let failover = raw.failover.as_ref().and_then(|f| self.mechanism_ref(f, "failover"));
        if let Some(m) = failover.and_then(|m| mechanisms.get(m))
            && !matches!(m.kind, MechanismKind::EntryFailover { .. })
        {
            let message =
                format!("'{}' is a {} mechanism, not an entry-failover one", m.id, m.kind.name());
            self.report(
                raw.failover.as_ref().map_or(0..0, |f| f.span()),
                "failover",
                message,
                None,
            );
        }
        let fallback = raw.fallback.iter().filter_map(|f| self.entry_ref(f, "fallback")).collect();
        Entry {
            id: raw.id.get_ref().clone(),
            name: if raw.name.is_empty() { raw.id.get_ref().clone() } else { raw.name.clone() },
            site,
            isp: raw.isp.clone(),
            failover,
            fallback,
        }
    }

    fn entry_ref(&mut self, raw: &Text, key: &str) -> Option<EntryId> {
        if let Some(&e) = self.names.entries.get(raw.get_ref()) {
            return Some(e);
        }
        let hint = suggestion(raw.get_ref(), self.names.entries.keys().map(String::as_str));
        let message = format!("unknown entry point '{}'", raw.get_ref());
        self.report(raw.span(), key, message, hint);
        None
    }

    fn flows(
        &mut self,
        raw: &[RawFlow],
        services: &[Service],
        layers: &[Layer],
        mechanisms: &[Mechanism],
    ) -> Vec<Flow> {
        let mut flows: Vec<Flow> = Vec::new();
        for flow in raw {
            let Some(flow) = self.flow(flow, services, layers, mechanisms) else { continue };
            if flows.iter().any(|f| f.id == flow.id || f.business == flow.business) {
                let at =
                    raw.iter().find(|r| *r.id.get_ref() == flow.id).map_or(0..0, |r| r.id.span());
                let message = format!("a second flow of business '{}'", flow.business.name());
                let hint = "drillsim grades one flow per business class".to_owned();
                self.report(at, &flow.id, message, Some(hint));
            }
            flows.push(flow);
        }
        if flows.is_empty() && raw.is_empty() {
            self.problems.push(Problem::whole_file(
                &self.file.label,
                "no [[flow]]: a topology needs at least one business flow".into(),
            ));
        }
        flows
    }

    fn flow(
        &mut self,
        raw: &RawFlow,
        services: &[Service],
        layers: &[Layer],
        mechanisms: &[Mechanism],
    ) -> Option<Flow> {
        let business = match raw.business.get_ref().parse::<Business>() {
            Ok(b) => Some(b),
            Err(e) => {
                self.report(raw.business.span(), "business", e.to_string(), None);
                None
            }
        };
        let access = raw.access.as_ref().and_then(|a| self.step(a, "access")).map(|s| s.service);
        self.no_repeats(&raw.path, "path");
        if raw.serve.is_empty() && raw.entries.is_empty() {
            let message = "a flow is served somewhere: give 'serve' (shares per site) or \
                           'entries' (shares per entry point)";
            self.report(raw.id.span(), "serve", message.into(), None);
        }
        let path: Vec<Step> = raw.path.iter().filter_map(|p| self.step(p, "path")).collect();
        self.check_path(raw, &path, services, layers, mechanisms);
        let serve = self.shares(&raw.serve, "serve", |c, s| {
            s.site.as_ref().and_then(|site| c.element_ref(site, "site"))
        });
        let entries = self.shares(&raw.entries, "entries", |c, s| {
            s.entry.as_ref().and_then(|entry| c.entry_ref(entry, "entry"))
        });
        if !entries.is_empty() && access.is_none() {
            let message = "a flow with entry points needs 'access', the service users reach first";
            self.report(raw.id.span(), "access", message.into(), None);
        }
        Some(Flow {
            id: raw.id.get_ref().clone(),
            name: if raw.name.is_empty() { raw.id.get_ref().clone() } else { raw.name.clone() },
            business: business?,
            access,
            path,
            serve,
            entries,
        })
    }

    fn check_path(
        &mut self,
        raw: &RawFlow,
        path: &[Step],
        services: &[Service],
        layers: &[Layer],
        mechanisms: &[Mechanism],
    ) {
        if path.len() != raw.path.len() {
            return;
        }
        for (step, text) in path.iter().zip(&raw.path) {
            let service = &services[step.service];
            let is_db = matches!(
                mechanisms.get(service.mechanism).map(|m| &m.kind),
                Some(MechanismKind::ReplicatedDb { .. })
            );
            if text.get_ref().contains('/') && !is_db {
                let message = format!(
                    "'{}' is not a replicated database; only databases take /read or /write",
                    service.id
                );
                self.report(text.span(), "path", message, None);
            }
        }
        let reaches_db = path.iter().any(|s| {
            let service = &services[s.service];
            let by_layer = layers.get(service.layer).is_some_and(|l| l.id == "database");
            let by_mechanism = matches!(
                mechanisms.get(service.mechanism).map(|m| &m.kind),
                Some(MechanismKind::ReplicatedDb { .. })
            );
            by_layer || by_mechanism
        });
        if !reaches_db {
            let message = format!("flow '{}' reaches no database", raw.id.get_ref());
            let hint = "end its path with a service of the database layer, such as a \
                        replicated database written 'ID/write' or 'ID/read'";
            let at = raw.path.first().map_or(raw.id.span(), |p| p.span());
            self.report(at, "path", message, Some(hint.into()));
        }
    }

    /// Shares of a flow's traffic: each in (0, 1], all adding up to 1.
    fn shares<T: PartialEq>(
        &mut self,
        raw: &[RawShare],
        key: &str,
        resolve: impl Fn(&mut Self, &RawShare) -> Option<T>,
    ) -> Vec<(T, f64)> {
        let mut shares = Vec::new();
        let mut total = 0.0;
        for share in raw {
            let value = *share.share.get_ref();
            if !(value > 0.0 && value <= 1.0) {
                let message = format!("share {value} is not a ratio above 0, up to 1");
                self.report(share.share.span(), "share", message, None);
            }
            total += value;
            if share.site.is_some() == share.entry.is_some() {
                let message = format!("each of '{key}' names either a 'site' or an 'entry'");
                self.report(share.share.span(), key, message, None);
                continue;
            }
            if let Some(target) = resolve(self, share) {
                if shares.iter().any(|(t, _)| *t == target) {
                    let message = format!("'{key}' names the same place twice");
                    let hint = "give each site or entry point one share".to_owned();
                    self.report(share.share.span(), key, message, Some(hint));
                }
                shares.push((target, value));
            }
        }
        if !raw.is_empty() && (total - 1.0).abs() > 1e-6 {
            let message = format!("shares add up to {}, not 1", (total * 1e6).round() / 1e6);
            self.report(
                raw[0].share.span(),
                key,
                message,
                Some("make the shares add up to 1".into()),
            );
        }
        shares
    }

    fn runbooks(&mut self, raw: &[RawRunbook], elements: &[Element]) -> Vec<Runbook> {
        let mut runbooks: Vec<Runbook> = Vec::new();
        for runbook in raw {
            if runbooks.iter().any(|r| r.id == *runbook.id.get_ref()) {
                self.report(
                    runbook.id.span(),
                    runbook.id.get_ref(),
                    "runbook declared twice".into(),
                    None,
                );
            }
            let trigger = self.element_ref(&runbook.trigger, "trigger");
            let from = self.site_ref(&runbook.switch.from, "from", elements);
            let to = self.site_ref(&runbook.switch.to, "to", elements);
            if from.is_some() && from == to {
                self.report(
                    runbook.switch.to.span(),
                    "to",
                    "a switch goes to another site".into(),
                    None,
                );
            }
            if runbook.step.is_empty() {
                self.report(
                    runbook.id.span(),
                    "step",
                    "a runbook needs at least one step".into(),
                    None,
                );
            }
            let steps = runbook.step.iter().map(|s| RunbookStep {
                id: s.id.get_ref().clone(),
                title: s.title.clone(),
                duration: self.distribution(&s.duration, "duration"),
                source: s.source.clone(),
            });
            let steps = steps.collect();
            let (Some(trigger), Some(from), Some(to)) = (trigger, from, to) else { continue };
            let escalate_after = runbook.escalate_after.as_ref().map(|after| {
                (self.positive_duration(after, "escalate_after"), runbook.escalate_source.clone())
            });
            runbooks.push(Runbook {
                id: runbook.id.get_ref().clone(),
                title: runbook.title.clone(),
                clause: runbook.clause.clone(),
                trigger,
                escalate_after,
                from,
                to,
                steps,
            });
        }
        runbooks
    }

    /// Builds the dependency graph and orders its nodes; a cycle is a problem.
    fn graph(
        &mut self,
        elements: &[Element],
        groups: &[Group],
    ) -> (DiGraph<Node, ()>, Vec<ElementId>, Vec<GroupId>) {
        let mut graph = DiGraph::new();
        let element_nodes: Vec<NodeIndex> =
            (0..elements.len()).map(|e| graph.add_node(Node::Element(e))).collect();
        let group_nodes: Vec<NodeIndex> =
            (0..groups.len()).map(|g| graph.add_node(Node::Group(g))).collect();
        let node_of = |r: Ref| match r {
            Ref::Element(e) => element_nodes[e],
            Ref::Group(g) => group_nodes[g],
        };

        // Edges from each node to what it depends on
        for (e, element) in elements.iter().enumerate() {
            for &n in element.needs.iter().chain(&element.needs_any) {
                graph.add_edge(element_nodes[e], element_nodes[n], ());
            }
        }
        for (g, group) in groups.iter().enumerate() {
            for &m in &group.members {
                graph.add_edge(group_nodes[g], element_nodes[m], ());
            }
            for &v in &group.via {
                graph.add_edge(group_nodes[g], node_of(v), ());
            }
        }

        // Reverse topological order: dependencies first
        let order = match toposort(&graph, None) {
            Ok(order) => order,
            Err(cycle) => {
                let id = match graph[cycle.node_id()] {
                    Node::Element(e) => elements[e].id.clone(),
                    Node::Group(g) => groups[g].id.clone(),
                };
                let at = self.names.declared.get(&id).copied().unwrap_or(0);
                let message =
                    "depends on itself through a cycle of needs, members or via".to_owned();
                self.problems.push(self.file.problem_at(at, Some(&id), message));
                return (graph, (0..elements.len()).collect(), (0..groups.len()).collect());
            }
        };
        let mut element_order = Vec::new();
        let mut group_order = Vec::new();
        for node in order.into_iter().rev() {
            match graph[node] {
                Node::Element(e) => element_order.push(e),
                Node::Group(g) => group_order.push(g),
            }
        }
        (graph, element_order, group_order)
    }
}

/// A number as people write it: plain for ordinary magnitudes, in scientific notation
/// for the very large or small (1e15 rather than sixteen digits).
fn number(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-3..1e7).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}
