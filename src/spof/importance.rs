//! Importance measures of the elements for one flow, from its minimal cuts.
//!
//! Each element is down a share `q` of the time, MTTR / (MTBF + MTTR), independently
//! of the others. The flow fails (some share of it, after the automatic mechanisms)
//! when every element of one of its minimal cuts is down. With cuts of one and two
//! elements only, and the rare-event approximation (cuts seldom down together):
//!
//! - unavailability of the flow: `Q = sum over cuts C of prod q(i), i in C`;
//! - Birnbaum importance of `i`: `dQ/dq(i) = sum over cuts C holding i of prod q(j),
//!   j in C but i` (1 for a single point);
//! - Fussell-Vesely importance of `i`: the share of `Q` from cuts holding `i`.
//!
//! Cuts of three or more elements and common causes (whose rate the topology does not
//! give) are left out, so both measures are lower bounds of the full ones.

use serde::Serialize;

use crate::topology::{ElementId, Topology};

/// One element's importance for one flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Importance {
    #[serde(skip)]
    pub element: ElementId,
    /// Share of time the element is down (ratio 0-1).
    pub unavailability: f64,
    /// How much the flow's unavailability grows per unit of the element's.
    pub birnbaum: f64,
    /// Share of the flow's unavailability from cuts holding the element (ratio 0-1).
    pub fussell_vesely: f64,
}

/// Unavailability of a flow and the importance of every element in one of its cuts,
/// ranked by Fussell-Vesely, then Birnbaum, then element order.
pub fn rank(
    topology: &Topology,
    singles: &[ElementId],
    pairs: &[(ElementId, ElementId)],
) -> (f64, Vec<Importance>) {
    let q = |e: ElementId| topology.reliability[e].unavailability();
    let mut birnbaum = vec![0.0; topology.elements.len()];
    let mut share = vec![0.0; topology.elements.len()];
    let mut total = 0.0;

    // Every cut adds its probability to the flow and to each of its elements
    for &e in singles {
        birnbaum[e] += 1.0;
        share[e] += q(e);
        total += q(e);
    }
    for &(a, b) in pairs {
        let both = q(a) * q(b);
        birnbaum[a] += q(b);
        birnbaum[b] += q(a);
        share[a] += both;
        share[b] += both;
        total += both;
    }

    // Ranked
    let mut ranked: Vec<Importance> = (0..topology.elements.len())
        .filter(|&e| birnbaum[e] > 0.0)
        .map(|e| Importance {
            element: e,
            unavailability: q(e),
            birnbaum: birnbaum[e],
            fussell_vesely: if total > 0.0 { share[e] / total } else { 0.0 },
        })
        .collect();
    ranked.sort_by(|a, b| {
        (b.fussell_vesely.total_cmp(&a.fussell_vesely))
            .then(b.birnbaum.total_cmp(&a.birnbaum))
            .then(a.element.cmp(&b.element))
    });
    (total, ranked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn a_single_point_has_birnbaum_one_and_a_pair_member_the_other_unavailability() {
        let (label, text) = crate::bundled::TOPOLOGY;
        let source = crate::input::SourceFile::from_bytes(label.into(), text.as_bytes()).unwrap();
        let topology = Topology::load(&source).unwrap();
        let (a, b, c) = (0, 1, 2);
        let (q, ranked) = rank(&topology, &[a], &[(b, c)]);
        let u = |e: usize| topology.reliability[e].unavailability();
        assert!(close(q, u(a) + u(b) * u(c)));
        let of = |e: usize| ranked.iter().find(|i| i.element == e).unwrap();
        assert!(close(of(a).birnbaum, 1.0));
        assert!(close(of(b).birnbaum, u(c)));
        assert!(close(of(a).fussell_vesely + of(b).fussell_vesely, 1.0));
        assert!(close(of(b).fussell_vesely, of(c).fussell_vesely));
    }
}
