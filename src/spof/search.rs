//! The exhaustive search for single points of failure and minimal pairs.
//!
//! Each element's loss is evaluated once: what it takes down ([`Fallout`]) and the
//! *signature* of that, the sorted set of units the flows read (groups and route
//! elements). Elements with the same signature form a *class*, whose flow shares are
//! computed once.
//!
//! A pair of elements either *interacts* (together they complete an AND gate that
//! neither completes alone: the last regular members of a group, every option of a
//! `needs_any`) or it does not. A pair that does not interact takes down exactly the
//! union of what each takes down, so its shares are those of the union of the two
//! signatures: pairs are searched class by class, not element by element. Interacting
//! pairs are found gate by gate, from the elements that hit some of a gate's inputs
//! without completing it, and evaluated exactly. The first gate a pair completes alone
//! has inputs hit by each element of the pair, so no interacting pair is missed.

use std::collections::{HashMap, HashSet};

use fixedbitset::FixedBitSet;

use super::steady::{EPSILON, Steady};
use crate::topology::{ElementId, GroupId};

/// Single points and minimal pairs of every flow, before any report is made of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cuts {
    /// Per flow: elements whose loss alone leaves it failing, with the failing share.
    pub singles: Vec<Vec<(ElementId, f64)>>,
    /// Per flow: pairs that fail it while neither element does alone, with the share;
    /// each pair ordered (smaller index first), the list sorted.
    pub pairs: Vec<Vec<((ElementId, ElementId), f64)>>,
    /// Per flow: common causes (by index into the list given) that fail it while no
    /// member does alone, with the share.
    pub causes: Vec<Vec<(usize, f64)>>,
    /// Per common cause: how many elements it takes down, and every flow's share.
    pub cause_fallout: Vec<(usize, Vec<f64>)>,
}

/// An AND gate of the dependency structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Gate {
    /// An element's `needs_any`: down when every option is.
    Any(ElementId),
    /// A group's regular members: dead when every one is down.
    Group(GroupId),
}

/// Signatures seen so far and their flow shares.
#[derive(Default)]
struct Classes {
    index: HashMap<Vec<u32>, usize>,
    signatures: Vec<Vec<u32>>,
    shares: Vec<Vec<f64>>,
}

impl Classes {
    fn intern(&mut self, steady: &Steady, signature: Vec<u32>) -> usize {
        if let Some(&c) = self.index.get(&signature) {
            return c;
        }
        let c = self.signatures.len();
        self.shares.push(steady.shares(&signature, None));
        self.index.insert(signature.clone(), c);
        self.signatures.push(signature);
        c
    }

    fn fails(&self, class: usize, flow: usize) -> bool {
        self.shares[class][flow] > EPSILON
    }
}

/// Searches every single element, every pair of elements and every common cause.
pub fn search(steady: &mut Steady, causes: &[Vec<ElementId>]) -> Cuts {
    let topology = steady.topology;
    let (n, flows) = (topology.elements.len(), topology.flows.len());
    let mut classes = Classes::default();

    // Every element alone: its class, and the gates it hits without completing
    let mut class_of = Vec::with_capacity(n);
    let mut partial: HashMap<Gate, Vec<(ElementId, Vec<ElementId>)>> = HashMap::new();
    let mut down = FixedBitSet::with_capacity(n);
    let mut dead = FixedBitSet::with_capacity(topology.groups.len());
    for x in 0..n {
        let fallout = steady.fallout(&[x], &[]);
        class_of.push(classes.intern(steady, steady.signature(&fallout)));
        for &e in &fallout.elements {
            down.insert(e);
        }
        for &g in &fallout.groups {
            dead.insert(g);
        }
        let mut hits: HashMap<Gate, Vec<ElementId>> = HashMap::new();
        for &d in &fallout.elements {
            for &e in steady.dependents(d) {
                if !down[e] && topology.elements[e].needs_any.contains(&d) {
                    hits.entry(Gate::Any(e)).or_default().push(d);
                }
            }
            for &g in steady.member_of(d) {
                if !dead[g] {
                    hits.entry(Gate::Group(g)).or_default().push(d);
                }
            }
        }
        for (gate, mut inputs) in hits {
            inputs.sort_unstable();
            inputs.dedup();
            partial.entry(gate).or_default().push((x, inputs));
        }
        down.clear();
        dead.clear();
    }

    // Pairs that complete a gate together, evaluated exactly
    let interacting = interacting_pairs(steady, partial);
    let mut exact = Vec::with_capacity(interacting.len());
    for &(a, b) in &interacting {
        let fallout = steady.fallout(&[a, b], &[]);
        exact.push(((a, b), classes.intern(steady, steady.signature(&fallout))));
    }

    // Single points, per flow
    let mut cuts = Cuts {
        singles: vec![Vec::new(); flows],
        pairs: vec![Vec::new(); flows],
        causes: vec![Vec::new(); flows],
        cause_fallout: Vec::with_capacity(causes.len()),
    };
    for f in 0..flows {
        for (x, &c) in class_of.iter().enumerate() {
            if classes.fails(c, f) {
                cuts.singles[f].push((x, classes.shares[c][f]));
            }
        }
    }
    let mut is_single = vec![FixedBitSet::with_capacity(n); flows];
    for (f, singles) in cuts.singles.iter().enumerate() {
        for &(x, _) in singles {
            is_single[f].insert(x);
        }
    }

    // Minimal pairs: the interacting ones, then the others class by class
    for &((a, b), c) in &exact {
        for (f, single) in is_single.iter().enumerate() {
            if classes.fails(c, f) && !single[a] && !single[b] {
                cuts.pairs[f].push(((a, b), classes.shares[c][f]));
            }
        }
    }
    let interacting: HashSet<(ElementId, ElementId)> = interacting.into_iter().collect();
    class_pairs(steady, &mut classes, &class_of, &interacting, &mut cuts);
    for pairs in &mut cuts.pairs {
        pairs.sort_by_key(|p| p.0);
    }

    // Common causes, each one failure
    for (i, members) in causes.iter().enumerate() {
        let fallout = steady.fallout(members, &[]);
        let c = classes.intern(steady, steady.signature(&fallout));
        cuts.cause_fallout.push((fallout.elements.len(), classes.shares[c].clone()));
        for (f, single) in is_single.iter().enumerate() {
            let member_fails = members.iter().any(|&m| single[m]);
            if classes.fails(c, f) && !member_fails {
                cuts.causes[f].push((i, classes.shares[c][f]));
            }
        }
    }
    cuts
}

/// Pairs of elements that complete some gate together while neither does alone.
fn interacting_pairs(
    steady: &Steady,
    partial: HashMap<Gate, Vec<(ElementId, Vec<ElementId>)>>,
) -> Vec<(ElementId, ElementId)> {
    let topology = steady.topology;
    let mut pairs = HashSet::new();
    for (gate, mut hitters) in partial {
        let inputs = match gate {
            Gate::Any(e) => topology.elements[e].needs_any.len(),
            Gate::Group(g) => topology.groups[g].spares_from,
        };

        // Largest hitters first: a pair must cover every input between them
        hitters.sort_by_key(|(x, k)| (std::cmp::Reverse(k.len()), *x));
        for i in 0..hitters.len() {
            let (a, ka) = &hitters[i];
            for (b, kb) in &hitters[i + 1..] {
                if ka.len() + kb.len() < inputs {
                    break;
                }
                if union_len(ka, kb) >= inputs {
                    pairs.insert(((*a).min(*b), (*a).max(*b)));
                }
            }
        }
    }
    let mut pairs: Vec<_> = pairs.into_iter().collect();
    pairs.sort_unstable();
    pairs
}

/// Size of the union of two sorted lists.
fn union_len(a: &[ElementId], b: &[ElementId]) -> usize {
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    a.len() + b.len() - common
}

/// Union of two sorted signatures.
fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Minimal pairs that do not interact: for every two classes harmless alone to some
/// flow, the union of their signatures; every pair of their elements fails the flows
/// the union fails.
fn class_pairs(
    steady: &Steady,
    classes: &mut Classes,
    class_of: &[usize],
    interacting: &HashSet<(ElementId, ElementId)>,
    cuts: &mut Cuts,
) {
    let flows = steady.topology.flows.len();

    // Classes of single elements that leave some flow working, with their elements
    let mut members: HashMap<usize, Vec<ElementId>> = HashMap::new();
    for (x, &c) in class_of.iter().enumerate() {
        members.entry(c).or_default().push(x);
    }
    let mut quiet: Vec<usize> = members
        .keys()
        .copied()
        .filter(|&c| !classes.signatures[c].is_empty())
        .filter(|&c| (0..flows).any(|f| !classes.fails(c, f)))
        .collect();
    quiet.sort_unstable();

    for (i, &c1) in quiet.iter().enumerate() {
        for &c2 in &quiet[i..] {
            let (s1, s2) = (&classes.signatures[c1], &classes.signatures[c2]);
            let joined = union(s1, s2);
            if joined.len() == s1.len().max(s2.len()) {
                // One holds the other: the pair does what the larger does alone
                continue;
            }
            let c = classes.intern(steady, joined);
            let hit: Vec<usize> = (0..flows)
                .filter(|&f| classes.fails(c, f) && !classes.fails(c1, f) && !classes.fails(c2, f))
                .collect();
            if hit.is_empty() {
                continue;
            }
            for &a in &members[&c1] {
                for &b in &members[&c2] {
                    let pair = (a.min(b), a.max(b));
                    if a == b || (c1 == c2 && a > b) || interacting.contains(&pair) {
                        continue;
                    }
                    for &f in &hit {
                        cuts.pairs[f].push((pair, classes.shares[c][f]));
                    }
                }
            }
        }
    }
}
