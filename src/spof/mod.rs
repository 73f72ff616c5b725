//! Single points of failure: which losses leave a business flow failing once every
//! automatic mechanism has acted, how each is recovered by hand, and which elements
//! matter most.
//!
//! For each flow, the analysis finds every *single point* (an element whose loss alone
//! leaves some share of the flow failing in the [`steady`] state), every *minimal pair*
//! (two elements that do so together while neither does alone) and every *common
//! cause* ([`cause`]) that does so as one event while none of its members does alone.
//! The search ([`search`]) is exhaustive and exact, and agrees with the simulation run
//! to its steady state (the integration tests check it on random topologies). Each cut
//! gets a recovery path and an Art. 4 grade ([`recovery`]), and each element an
//! importance ([`importance`]) from its MTBF and MTTR.
//!
//! Not covered: cuts of three or more elements, and attacks (DDoS, DNS hijack), which
//! fail shares of requests rather than elements.

pub mod cause;
pub mod importance;
pub mod recovery;
pub mod search;
pub mod steady;

use crate::topology::{ElementId, Topology};
use cause::Cause;
use importance::Importance;
use recovery::{Recoveries, Recovery};
use search::Cuts;
use steady::Steady;

/// What to compute beyond the cuts.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Recovery paths, times and grades of every cut.
    pub recovery: bool,
}

/// One cut of one flow.
#[derive(Debug, Clone, PartialEq)]
pub struct Cut {
    /// The elements lost (one, two, or a common cause's members).
    pub members: Vec<ElementId>,
    /// The common cause, by index into [`Analysis::causes`], when it is one.
    pub cause: Option<usize>,
    /// Failing share of the flow in the steady state (ratio 0-1).
    pub share: f64,
    /// How the flow comes back, when asked for.
    pub recovery: Option<Recovery>,
}

impl Cut {
    /// The cut's elements as people read them: `a (kind) + b (kind)`, or a common
    /// cause's id, kind and size.
    pub fn label(&self, topology: &Topology, causes: &[Cause]) -> String {
        if let Some(c) = self.cause {
            let cause = &causes[c];
            return format!(
                "{} ({}: {} elements)",
                cause.id,
                cause.kind.name(),
                self.members.len()
            );
        }
        let name = |e: ElementId| {
            let element = &topology.elements[e];
            format!("{} ({})", element.id, element.kind.name())
        };
        self.members.iter().map(|&e| name(e)).collect::<Vec<_>>().join(" + ")
    }

    /// Single points and common causes are of order 1; pairs of order 2.
    pub fn order(&self) -> usize {
        if self.cause.is_some() { 1 } else { self.members.len() }
    }
}

/// The analysis of one flow.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowCuts {
    pub flow: usize,
    /// Single points, then common causes, then minimal pairs.
    pub cuts: Vec<Cut>,
    /// Long-run share of time some of the flow fails, from cuts of one and two elements
    /// (ratio 0-1, rare-event approximation).
    pub unavailability: f64,
    pub importance: Vec<Importance>,
}

/// The whole analysis of a topology.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub causes: Vec<Cause>,
    /// Per common cause: elements it takes down and every flow's share.
    pub cause_fallout: Vec<(usize, Vec<f64>)>,
    pub flows: Vec<FlowCuts>,
}

/// Finds the cuts of every flow of a topology.
pub fn cuts(topology: &Topology) -> (Vec<Cause>, Cuts) {
    let causes = cause::causes(topology);
    let members: Vec<Vec<ElementId>> = causes.iter().map(|c| c.members.clone()).collect();
    let mut steady = Steady::new(topology);
    let cuts = search::search(&mut steady, &members);
    (causes, cuts)
}

/// Analyses a topology: cuts, recovery paths and grades, importance.
pub fn analyse(topology: &Topology, options: Options) -> Analysis {
    let (causes, found) = cuts(topology);
    let mut steady = Steady::new(topology);
    let mut recoveries = Recoveries::new();
    let mttr = |e: ElementId| topology.reliability[e].mttr;
    let mut flows = Vec::with_capacity(topology.flows.len());
    for f in 0..topology.flows.len() {
        // Every cut of the flow, with the repair time that ends it if nothing else does
        let singles = found.singles[f].iter().map(|&(e, share)| (vec![e], None, share, mttr(e)));
        let common = found.causes[f].iter().map(|&(c, share)| {
            let members = causes[c].members.clone();
            let repair = members.iter().map(|&m| mttr(m)).fold(0.0, f64::max);
            (members, Some(c), share, repair)
        });
        let pairs = found.pairs[f]
            .iter()
            .map(|&((a, b), share)| (vec![a, b], None, share, mttr(a).min(mttr(b))));
        let cuts: Vec<Cut> = singles
            .chain(common)
            .chain(pairs)
            .map(|(members, cause, share, repair)| {
                let recovery = options
                    .recovery
                    .then(|| recoveries.recover(&mut steady, &members, f, share, repair));
                Cut { members, cause, share, recovery }
            })
            .collect();

        // Importance from the cuts of elements
        let single_elements: Vec<ElementId> = found.singles[f].iter().map(|p| p.0).collect();
        let pair_elements: Vec<(ElementId, ElementId)> =
            found.pairs[f].iter().map(|p| p.0).collect();
        let (unavailability, importance) =
            importance::rank(topology, &single_elements, &pair_elements);
        flows.push(FlowCuts { flow: f, cuts, unavailability, importance });
    }
    Analysis { causes, cause_fallout: found.cause_fallout, flows }
}

/// Elements that are a single point of some flow.
pub fn single_points(analysis: &Analysis) -> Vec<ElementId> {
    let mut points: Vec<ElementId> = analysis
        .flows
        .iter()
        .flat_map(|f| f.cuts.iter().filter(|c| c.order() == 1 && c.cause.is_none()))
        .map(|c| c.members[0])
        .collect();
    points.sort_unstable();
    points.dedup();
    points
}
