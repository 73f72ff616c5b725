//! Common causes: elements that one event takes down together, treated as one failure.
//!
//! Some are implied by the topology: everything in a site, in a rack, behind a power
//! supply or on a leased line goes down with it (they are single elements whose loss
//! takes their dependents along), and the two devices or lines of a pair may share a
//! fault of their own (a bad firmware push, a cable tray). Others are declared with
//! `[[common_cause]]` (a city-wide disaster, a shared carrier).

use serde::Serialize;

use crate::topology::{ElementId, ElementKind, Topology};

/// Where a common cause comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CauseKind {
    /// `[[common_cause]]` in the topology.
    Declared,
    /// Everything in a site.
    Site,
    /// Everything in a rack.
    Rack,
    /// Everything behind a power supply or feed.
    Power,
    /// Everything that needs a leased line.
    LeasedLine,
    /// Both devices or lines of a pair (regular members of a group, spares excluded).
    DevicePair,
}

impl CauseKind {
    pub fn name(self) -> &'static str {
        match self {
            CauseKind::Declared => "declared",
            CauseKind::Site => "site",
            CauseKind::Rack => "rack",
            CauseKind::Power => "power",
            CauseKind::LeasedLine => "leased line",
            CauseKind::DevicePair => "device pair",
        }
    }
}

/// One common cause: the elements it takes down at once (their dependents follow).
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub id: String,
    pub kind: CauseKind,
    pub members: Vec<ElementId>,
    pub source: String,
}

/// The declared common causes, then the implied ones, in file order.
pub fn causes(topology: &Topology) -> Vec<Cause> {
    let mut causes: Vec<Cause> = topology
        .common_causes
        .iter()
        .map(|c| Cause {
            id: c.id.clone(),
            kind: CauseKind::Declared,
            members: c.members.clone(),
            source: c.source.clone(),
        })
        .collect();

    // Single elements that take others along
    for (e, element) in topology.elements.iter().enumerate() {
        let kind = match element.kind {
            ElementKind::Site => CauseKind::Site,
            ElementKind::Rack => CauseKind::Rack,
            ElementKind::Power => CauseKind::Power,
            ElementKind::Link if element.detail == "leased" => CauseKind::LeasedLine,
            _ => continue,
        };
        let source = format!("everything that needs {} '{}'", kind.name(), element.id);
        causes.push(Cause { id: element.id.clone(), kind, members: vec![e], source });
    }

    // Pairs of devices or lines outside the service deployments
    for group in topology.groups.iter().filter(|g| g.service.is_none()) {
        let regular = &group.members[..group.spares_from];
        let equipment = regular
            .iter()
            .all(|&m| matches!(topology.elements[m].kind, ElementKind::Device | ElementKind::Link));
        if regular.len() >= 2 && equipment {
            causes.push(Cause {
                id: group.id.clone(),
                kind: CauseKind::DevicePair,
                members: regular.to_vec(),
                source: format!("a fault shared by the regular members of '{}'", group.id),
            });
        }
    }
    causes
}
