//! The steady state after a set of elements fails and every automatic mechanism has
//! acted, and nothing manual has: no runbook, no spare brought up by hand.
//!
//! Once the health checks have removed the dead members and the standbys and replicas
//! have taken over, every group either serves (some regular member is up and nothing
//! it goes through is down) or fails every request: its failing share is 0 or 1. A
//! group's mechanism lost with its site detects nothing, but its members stand in that
//! site and are down too, so the rule holds there as well. Failing shares of the flows
//! then follow from the groups, the routes and the DNS failover between entry points,
//! exactly as [`crate::simulation`] computes them once its queue of reactions is empty.
//!
//! The state is evaluated in two parts so that [`super::search`] can reuse them: the
//! *down set* of a failure (elements down, groups dead), and the *flow shares* of a
//! set of dead *units* (the groups and route elements the flows read).

use fixedbitset::FixedBitSet;

use crate::topology::{ElementId, EntryId, GroupId, MechanismKind, Ref, Role, Step, Topology};

/// Shares below this are no failure at all (ratio), as in the simulation.
pub const EPSILON: f64 = 1e-12;

/// What a failure set takes down once the automatic mechanisms have acted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fallout {
    /// Elements down, in the order they went down.
    pub elements: Vec<ElementId>,
    /// Groups that fail every request.
    pub groups: Vec<GroupId>,
}

/// Manual actions taken on top of the automatic ones, for recovery paths.
#[derive(Debug, Clone, Default)]
pub struct Manual {
    /// Groups whose spares were brought up by hand.
    pub spares: Vec<GroupId>,
    /// Site map after runbook switchovers: which site stands in for each element.
    pub site_map: Option<Vec<ElementId>>,
}

/// The steady-state evaluator of one topology: reverse dependencies, the units the
/// flows read, and scratch space reused between evaluations.
pub struct Steady<'a> {
    pub topology: &'a Topology,
    /// Elements that need (or need any of) each element.
    dependents: Vec<Vec<ElementId>>,
    /// Groups each element is a regular member of.
    member_of: Vec<Vec<GroupId>>,
    /// Groups each element is a spare of.
    spare_of: Vec<Vec<GroupId>>,
    /// Groups that go through each element, and through each group.
    via_element: Vec<Vec<GroupId>>,
    via_group: Vec<Vec<GroupId>>,
    /// Unit number of each group and element the flows read (`u32::MAX`: none).
    group_unit: Vec<u32>,
    element_unit: Vec<u32>,
    units: usize,
    // Scratch, all clean between calls
    down: FixedBitSet,
    any_down: Vec<u32>,
    dead: FixedBitSet,
    members_down: Vec<u32>,
}

impl<'a> Steady<'a> {
    pub fn new(topology: &'a Topology) -> Steady<'a> {
        let n = topology.elements.len();
        let g = topology.groups.len();

        // Reverse edges of the dependency graph
        let mut dependents = vec![Vec::new(); n];
        for (e, element) in topology.elements.iter().enumerate() {
            for &d in element.needs.iter().chain(&element.needs_any) {
                if !dependents[d].contains(&e) {
                    dependents[d].push(e);
                }
            }
        }
        let (mut member_of, mut spare_of) = (vec![Vec::new(); n], vec![Vec::new(); n]);
        let (mut via_element, mut via_group) = (vec![Vec::new(); n], vec![Vec::new(); g]);
        for (gid, group) in topology.groups.iter().enumerate() {
            for (k, &m) in group.members.iter().enumerate() {
                let list = if k < group.spares_from { &mut member_of } else { &mut spare_of };
                list[m].push(gid);
            }
            for &v in &group.via {
                match v {
                    Ref::Element(e) => via_element[e].push(gid),
                    Ref::Group(h) => via_group[h].push(gid),
                }
            }
        }

        // Units: what the flow shares read directly
        let (group_unit, element_unit, units) = read_units(topology);
        Steady {
            topology,
            dependents,
            member_of,
            spare_of,
            via_element,
            via_group,
            group_unit,
            element_unit,
            units,
            down: FixedBitSet::with_capacity(n),
            any_down: vec![0; n],
            dead: FixedBitSet::with_capacity(g),
            members_down: vec![0; g],
        }
    }

    /// Number of units (groups and route elements the flows read).
    pub fn units(&self) -> usize {
        self.units
    }

    /// The unit of a group, when the flows read it.
    pub fn group_unit(&self, group: GroupId) -> Option<u32> {
        Some(self.group_unit[group]).filter(|&u| u != u32::MAX)
    }

    /// Elements whose `needs_any` lists each element (AND gates fed by it).
    pub fn dependents(&self, element: ElementId) -> &[ElementId] {
        &self.dependents[element]
    }

    /// Groups an element is a regular member of.
    pub fn member_of(&self, element: ElementId) -> &[GroupId] {
        &self.member_of[element]
    }

    /// Everything a failure set takes down, with spares of `spares` in service.
    pub fn fallout(&mut self, failed: &[ElementId], spares: &[GroupId]) -> Fallout {
        let mut fallout = Fallout::default();

        // Elements: a failed one, then whatever needs it (or needs only dead ones)
        let mut next = 0;
        for &e in failed {
            if !self.down.put(e) {
                fallout.elements.push(e);
            }
        }
        while next < fallout.elements.len() {
            let e = fallout.elements[next];
            next += 1;
            for i in 0..self.dependents[e].len() {
                let d = self.dependents[e][i];
                if self.down[d] || !self.dies(d, e) {
                    continue;
                }
                self.down.insert(d);
                fallout.elements.push(d);
            }
        }

        // Groups: every regular member down (spares count once brought up), or
        // something they go through dead
        for &e in &fallout.elements {
            for i in 0..self.member_of[e].len() {
                let g = self.member_of[e][i];
                self.members_down[g] += 1;
                if self.members_down[g] as usize == self.topology.groups[g].spares_from
                    && !self.spare_serves(g, spares)
                {
                    self.kill(g, &mut fallout.groups);
                }
            }
            for i in 0..self.via_element[e].len() {
                self.kill(self.via_element[e][i], &mut fallout.groups);
            }
        }

        // Clean the scratch space
        for &e in &fallout.elements {
            self.down.set(e, false);
            for &d in &self.dependents[e] {
                self.any_down[d] = 0;
            }
            for &g in &self.member_of[e] {
                self.members_down[g] = 0;
            }
        }
        for &g in &fallout.groups {
            self.dead.set(g, false);
        }
        fallout
    }

    /// Whether element `d` goes down now that `cause`, which it depends on, is down.
    fn dies(&mut self, d: ElementId, cause: ElementId) -> bool {
        let element = &self.topology.elements[d];
        if element.needs.contains(&cause) {
            return true;
        }
        self.any_down[d] += 1;
        let options = &element.needs_any;
        self.any_down[d] as usize >= options.len() && options.iter().all(|&o| self.down[o])
    }

    /// Whether a group with every regular member down still serves from a spare
    /// brought up by hand.
    fn spare_serves(&self, group: GroupId, spares: &[GroupId]) -> bool {
        let g = &self.topology.groups[group];
        spares.contains(&group) && g.members[g.spares_from..].iter().any(|&m| !self.down[m])
    }

    fn kill(&mut self, group: GroupId, dead: &mut Vec<GroupId>) {
        if self.dead.put(group) {
            return;
        }
        dead.push(group);
        for i in 0..self.via_group[group].len() {
            self.kill(self.via_group[group][i], dead);
        }
    }

    /// The units a fallout kills, sorted: what the flow shares depend on.
    pub fn signature(&self, fallout: &Fallout) -> Vec<u32> {
        let groups = fallout.groups.iter().map(|&g| self.group_unit[g]);
        let elements = fallout.elements.iter().map(|&e| self.element_unit[e]);
        let mut units: Vec<u32> = groups.chain(elements).filter(|&u| u != u32::MAX).collect();
        units.sort_unstable();
        units.dedup();
        units
    }

    /// Failing share of every flow (ratio 0-1) when the given units are dead.
    pub fn shares(&self, dead_units: &[u32], site_map: Option<&[ElementId]>) -> Vec<f64> {
        let mut dead = FixedBitSet::with_capacity(self.units);
        for &u in dead_units {
            dead.insert(u as usize);
        }
        let identity: Vec<ElementId>;
        let site_map = match site_map {
            Some(map) => map,
            None => {
                identity = (0..self.topology.elements.len()).collect();
                &identity
            }
        };
        Shares::new(self, &dead, site_map).all()
    }

    /// Failing share of every flow after a failure set, with manual actions on top.
    pub fn shares_after(&mut self, failed: &[ElementId], manual: &Manual) -> Vec<f64> {
        let fallout = self.fallout(failed, &manual.spares);
        let units = self.signature(&fallout);
        self.shares(&units, manual.site_map.as_deref())
    }

    /// Whether a spare of some group is an element.
    pub fn is_spare(&self, element: ElementId) -> bool {
        !self.spare_of[element].is_empty()
    }
}

/// Numbers the groups and elements that the flow shares read: the deployments of every
/// service, the groups and elements routes need. Everything else matters only through
/// these.
fn read_units(topology: &Topology) -> (Vec<u32>, Vec<u32>, usize) {
    let mut group_unit = vec![u32::MAX; topology.groups.len()];
    let mut element_unit = vec![u32::MAX; topology.elements.len()];
    let mut next = 0u32;
    let mut number = |slot: &mut u32| {
        if *slot == u32::MAX {
            *slot = next;
            next += 1;
        }
    };
    for service in &topology.services {
        for &(_, g) in &service.deployments {
            number(&mut group_unit[g]);
        }
    }
    for needs in topology.routes.values() {
        for &r in needs {
            match r {
                Ref::Element(e) => number(&mut element_unit[e]),
                Ref::Group(g) => number(&mut group_unit[g]),
            }
        }
    }
    (group_unit, element_unit, next as usize)
}

/// One evaluation of the flow shares, with its memos (NaN: not computed yet).
struct Shares<'s, 'a> {
    steady: &'s Steady<'a>,
    dead: &'s FixedBitSet,
    site_map: &'s [ElementId],
    /// Per flow and site slot: the flow's path works there.
    path: Vec<Option<bool>>,
    /// Per flow and entry site slot (last: no entry): failing share.
    from: Vec<f64>,
    /// Per entry point: its own failing share, and whether DNS moved its users away.
    health: Vec<f64>,
    redirected: Vec<bool>,
}

impl<'s, 'a> Shares<'s, 'a> {
    fn new(steady: &'s Steady<'a>, dead: &'s FixedBitSet, site_map: &'s [ElementId]) -> Self {
        let t = steady.topology;
        let (flows, sites) = (t.flows.len(), t.sites.len());
        Shares {
            steady,
            dead,
            site_map,
            path: vec![None; flows * sites],
            from: vec![f64::NAN; flows * (sites + 1)],
            health: vec![0.0; t.entries.len()],
            redirected: vec![false; t.entries.len()],
        }
    }

    fn all(mut self) -> Vec<f64> {
        let t = self.steady.topology;

        // Entry points: their own health, then DNS failover where it is bad enough
        for entry in 0..t.entries.len() {
            self.health[entry] = self.entry_health(entry);
        }
        for entry in 0..t.entries.len() {
            self.redirected[entry] = match self.down_at(entry) {
                Some(down_at) => self.health[entry] >= down_at,
                None => false,
            };
        }

        // Flows
        (0..t.flows.len()).map(|f| self.flow_failing(f)).collect()
    }

    fn down_at(&self, entry: EntryId) -> Option<f64> {
        let t = self.steady.topology;
        match t.entries[entry].failover.map(|m| &t.mechanisms[m].kind) {
            Some(MechanismKind::EntryFailover { down_at, .. }) => Some(*down_at),
            _ => None,
        }
    }

    fn ref_dead(&self, r: Ref) -> bool {
        let unit = match r {
            Ref::Element(e) => self.steady.element_unit[e],
            Ref::Group(g) => self.steady.group_unit[g],
        };
        unit != u32::MAX && self.dead[unit as usize]
    }

    fn route_ok(&self, from: ElementId, to: ElementId) -> bool {
        if from == to {
            return true;
        }
        match self.steady.topology.routes.get(&(from, to)) {
            Some(needs) => needs.iter().all(|&r| !self.ref_dead(r)),
            None => false,
        }
    }

    fn step_fails(&self, step: Step, site: ElementId) -> bool {
        let t = self.steady.topology;
        let service = &t.services[step.service];
        let (at, route) = match service.primary_site {
            Some(primary) => {
                let primary = self.site_map[primary];
                (primary, self.route_ok(site, primary))
            }
            None => (site, true),
        };
        // Reads and writes of a group fail together in the steady state
        let _ = step.role == Role::Read;
        let own = match service.by_site[t.site_slot[at]] {
            Some(g) => self.ref_dead(Ref::Group(g)),
            None => true,
        };
        let failing = own || !route;
        match service.degrade_to {
            Some(fallback) if failing => self.step_fails(fallback, site),
            _ => failing,
        }
    }

    fn path_ok(&mut self, flow: usize, site: ElementId) -> bool {
        let t = self.steady.topology;
        let index = flow * t.sites.len() + t.site_slot[site];
        if let Some(ok) = self.path[index] {
            return ok;
        }
        let ok = t.flows[flow].path.iter().all(|&s| !self.step_fails(s, site));
        self.path[index] = Some(ok);
        ok
    }

    fn flow_failing_from(&mut self, flow: usize, entry_site: Option<ElementId>) -> f64 {
        let t = self.steady.topology;
        let sites = t.sites.len();
        let index = flow * (sites + 1) + entry_site.map_or(sites, |s| t.site_slot[s]);
        if !self.from[index].is_nan() {
            return self.from[index];
        }
        let f = &t.flows[flow];
        let access_ok = match (f.access, entry_site) {
            (Some(access), Some(site)) => {
                !self.step_fails(Step { service: access, role: Role::Write }, site)
            }
            _ => true,
        };
        let mut served = 0.0;
        for &(site, share) in &f.serve {
            let site = self.site_map[site];
            let route = entry_site.is_none_or(|from| self.route_ok(from, site));
            if route && self.path_ok(flow, site) {
                served += share;
            }
        }
        let access = if access_ok { 1.0 } else { 0.0 };
        let failing = (1.0 - access * served).clamp(0.0, 1.0);
        self.from[index] = failing;
        failing
    }

    fn entry_health(&mut self, entry: EntryId) -> f64 {
        let t = self.steady.topology;
        let site = self.site_map[t.entries[entry].site];
        let mut worst: f64 = 0.0;
        for f in 0..t.flows.len() {
            if t.flows[f].entries.iter().any(|&(e, _)| e == entry) {
                worst = worst.max(self.flow_failing_from(f, Some(site)));
            }
        }
        worst
    }

    fn takes_users(&self, entry: EntryId, fallback: EntryId) -> bool {
        let down_at = self.down_at(entry).unwrap_or(1.0);
        !self.redirected[fallback] && self.health[fallback] < down_at
    }

    fn stays(&self, entry: EntryId) -> bool {
        let fallbacks = &self.steady.topology.entries[entry].fallback;
        !self.redirected[entry] || !fallbacks.iter().any(|&b| self.takes_users(entry, b))
    }

    fn flow_failing(&mut self, flow: usize) -> f64 {
        let t = self.steady.topology;
        let f = &t.flows[flow];
        if f.entries.is_empty() {
            return self.flow_failing_from(flow, None);
        }
        let mut failing = 0.0;
        for &(entry, share) in &f.entries {
            if self.stays(entry) {
                let at = self.site_map[t.entries[entry].site];
                failing += share * self.flow_failing_from(flow, Some(at));
                continue;
            }
            let fallbacks: Vec<EntryId> = (t.entries[entry].fallback.iter())
                .copied()
                .filter(|&b| self.takes_users(entry, b))
                .collect();
            for &b in &fallbacks {
                let at = self.site_map[t.entries[b].site];
                failing += share / fallbacks.len() as f64 * self.flow_failing_from(flow, Some(at));
            }
        }
        let failing = failing.clamp(0.0, 1.0);
        if failing < EPSILON { 0.0 } else { failing }
    }
}
