//! `drillsim triage`: which DDoS pattern of the manual (Q2) observed metrics match.

use std::io::Write as _;

use super::{Failure, Format, TriageArgs};
use crate::exit;
use crate::triage::{Metrics, Observation, triage as classify};

pub(super) fn triage(args: &TriageArgs) -> Result<u8, Failure> {
    let observed = Metrics {
        syn_recv: args.syn_recv,
        established: args.established,
        bandwidth: args.bandwidth,
        packets: args.packets,
        requests: args.requests,
    };
    let normal = Metrics {
        syn_recv: args.normal_syn_recv,
        established: args.normal_established,
        bandwidth: args.normal_bandwidth,
        packets: args.normal_packets,
        requests: args.normal_requests,
    };
    let observation =
        Observation::new(observed, normal).map_err(|e| Failure::Usage(e.to_string()))?;
    let result = classify(&observation);

    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Json => serde_json::to_string_pretty(&result)
            .map_err(std::io::Error::other)
            .and_then(|json| writeln!(out, "{json}")),
        Format::Text => writeln!(out, "{result}"),
    };
    written.map_err(|e| Failure::Write(format!("cannot print the triage: {e}")))?;
    Ok(exit::SUCCESS)
}
