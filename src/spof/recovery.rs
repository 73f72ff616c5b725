//! How a cut is recovered by hand, how long that takes, and the Art. 4 grade.
//!
//! After the automatic mechanisms, what is left is manual: a spare brought up in a
//! group whose regular members are all down (alert + on-duty response + bring-up, as
//! the simulation draws them), or a runbook switched over to its target site (started
//! when its trigger is lost, or after `escalate_after` of total outage; its steps one
//! after another). Each applicable action is tried alone on the steady state; the
//! fastest that brings the flow back is the recovery path. If none does alone, all of
//! them together are tried (the slowest of them sets the time). Otherwise the outage
//! lasts until a member is repaired (its MTTR).
//!
//! Times are medians of 2,001 draws of the step distributions (ChaCha8, seed 1), not of
//! full simulations: the transient seconds before the steady state are left out.

use std::collections::HashMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::steady::{EPSILON, Manual, Steady};
use crate::grade::{self, Business};
use crate::topology::{ElementId, GroupId, RunbookId, Topology};

/// Draws behind each median.
pub const DRAWS: usize = 2001;
/// Seed of the draws.
pub const SEED: u64 = 1;

/// A manual action on top of the automatic ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// A runbook's switchover; `escalated` when started after a total outage rather
    /// than by the loss of its trigger.
    Runbook { runbook: RunbookId, escalated: bool },
    /// A group's spare brought into service.
    Spare { group: GroupId },
}

impl Action {
    /// `runbook:ID`, `runbook:ID (escalated)` or `spare:GROUP`, as drills credit them.
    pub fn label(self, topology: &Topology) -> String {
        match self {
            Action::Runbook { runbook, escalated: false } => {
                format!("runbook:{}", topology.runbooks[runbook].id)
            }
            Action::Runbook { runbook, escalated: true } => {
                format!("runbook:{} (escalated)", topology.runbooks[runbook].id)
            }
            Action::Spare { group } => format!("spare:{}", topology.groups[group].id),
        }
    }
}

/// How one flow comes back after a cut.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recovery {
    /// The manual actions that bring it back (empty: none does; wait for a repair).
    #[serde(skip)]
    pub actions: Vec<Action>,
    /// Median time until the flow is back \[seconds\].
    pub median_s: f64,
    /// The outage lasts until a repair, no manual action bringing the flow back.
    pub until_repair: bool,
    /// Art. 4 grade of the outage at that share for that long (1-5, none below the bar).
    pub grade: Option<u8>,
}

/// Computes recovery paths, with medians memoised by set of actions.
pub struct Recoveries {
    medians: HashMap<Vec<Action>, f64>,
}

impl Default for Recoveries {
    fn default() -> Self {
        Self::new()
    }
}

impl Recoveries {
    pub fn new() -> Recoveries {
        Recoveries { medians: HashMap::new() }
    }

    /// How a flow failing `share` after `failed` is recovered; `repair_s` is how long
    /// the outage lasts when nothing manual helps \[seconds\].
    pub fn recover(
        &mut self,
        steady: &mut Steady,
        failed: &[ElementId],
        flow: usize,
        share: f64,
        repair_s: f64,
    ) -> Recovery {
        let topology = steady.topology;
        let actions = applicable(steady, failed);

        // Each action alone, fastest first; then all together
        let mut best: Option<(f64, Vec<Action>)> = None;
        for &action in &actions {
            if self.recovers(steady, failed, &[action], flow) {
                let median = self.median(topology, &[action]);
                if best.as_ref().is_none_or(|(m, _)| median < *m) {
                    best = Some((median, vec![action]));
                }
            }
        }
        if best.is_none() && actions.len() > 1 && self.recovers(steady, failed, &actions, flow) {
            best = Some((self.median(topology, &actions), actions));
        }

        // The grade of the outage for as long as it lasts
        let business: Business = topology.flows[flow].business;
        let (median_s, actions, until_repair) = match best {
            Some((median, actions)) => (median, actions, false),
            None => (repair_s, Vec::new(), true),
        };
        let grade = grade::grade(business, share, median_s).map(|c| c.grade.number());
        Recovery { actions, median_s, until_repair, grade }
    }

    fn recovers(
        &self,
        steady: &mut Steady,
        failed: &[ElementId],
        actions: &[Action],
        flow: usize,
    ) -> bool {
        let manual = manual(steady.topology, actions);
        steady.shares_after(failed, &manual)[flow] <= EPSILON
    }

    /// Median time for a set of actions taken at once, each from the first fault.
    fn median(&mut self, topology: &Topology, actions: &[Action]) -> f64 {
        if let Some(&m) = self.medians.get(actions) {
            return m;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        let mut draws: Vec<f64> = (0..DRAWS)
            .map(|_| actions.iter().map(|&a| draw(topology, a, &mut rng)).fold(0.0, f64::max))
            .collect();
        draws.sort_by(f64::total_cmp);
        let median = draws[DRAWS / 2];
        self.medians.insert(actions.to_vec(), median);
        median
    }
}

/// One draw of the time an action takes \[seconds\].
fn draw(topology: &Topology, action: Action, rng: &mut ChaCha8Rng) -> f64 {
    match action {
        Action::Runbook { runbook, escalated } => {
            let book = &topology.runbooks[runbook];
            let wait =
                if escalated { book.escalate_after.as_ref().map_or(0.0, |e| e.0) } else { 0.0 };
            wait + book.steps.iter().map(|s| s.duration.sample(rng)).sum::<f64>()
        }
        Action::Spare { group } => {
            let response = &topology.response;
            let bring_up =
                topology.groups[group].bring_up.as_ref().map_or(0.0, |b| b.0.sample(rng));
            response.alert.sample(rng) + response.respond.sample(rng) + bring_up
        }
    }
}

/// The manual actions a failure set calls for, as the simulation would start them.
pub fn applicable(steady: &mut Steady, failed: &[ElementId]) -> Vec<Action> {
    let topology = steady.topology;
    let fallout = steady.fallout(failed, &[]);
    let mut down = vec![false; topology.elements.len()];
    for &e in &fallout.elements {
        down[e] = true;
    }
    let mut actions = Vec::new();

    // Spares of groups whose regular members are all down
    for (g, group) in topology.groups.iter().enumerate() {
        let regular_down = group.members[..group.spares_from].iter().all(|&m| down[m]);
        let spare_up = group.members[group.spares_from..].iter().any(|&m| !down[m]);
        if group.bring_up.is_some() && regular_down && spare_up {
            actions.push(Action::Spare { group: g });
        }
    }

    // Runbooks whose trigger is lost, or escalated after a total outage
    let shares = steady.shares(&steady.signature(&fallout), None);
    let total = !shares.is_empty() && shares.iter().all(|&s| s >= 1.0 - 1e-9);
    for (r, book) in topology.runbooks.iter().enumerate() {
        if down[book.to] {
            continue;
        }
        if down[book.trigger] {
            actions.push(Action::Runbook { runbook: r, escalated: false });
        } else if total && book.escalate_after.is_some() {
            actions.push(Action::Runbook { runbook: r, escalated: true });
        }
    }
    actions
}

/// The manual state after some actions: spares in service, sites switched over.
fn manual(topology: &Topology, actions: &[Action]) -> Manual {
    let mut manual = Manual::default();
    for &action in actions {
        match action {
            Action::Spare { group } => manual.spares.push(group),
            Action::Runbook { runbook, .. } => {
                let book = &topology.runbooks[runbook];
                let map =
                    manual.site_map.get_or_insert_with(|| (0..topology.elements.len()).collect());
                for site in map.iter_mut().filter(|s| **s == book.from) {
                    *site = book.to;
                }
            }
        }
    }
    manual
}
