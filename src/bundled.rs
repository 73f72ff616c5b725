//! The reference topology and the drills of the manual, built into the binary so that a
//! bare `drillsim run` works from any directory. Their labels are their paths in the
//! repository, so a report's hashes can be checked against the files there.

/// Label and text of the bundled reference topology (DOMAIN.md §8).
pub const TOPOLOGY: (&str, &str) =
    ("topologies/tenpay.toml", include_str!("../topologies/tenpay.toml"));

/// Label and text of every bundled drill, in the manual's order: D1-D7, N1-N3, A1-A11,
/// E1-E5, then the security incidents S1-S3 (DDoS) and H1-H4 (DNS hijack), then the
/// data drills: R1-R3 (the recovery scenarios of Chapter 7), I1-I4 (patterns of public
/// incidents) and C1 (a database dropped by mistake).
pub const DRILLS: &[(&str, &str)] = &[
    ("drills/d1-xian-external-down.toml", include_str!("../drills/d1-xian-external-down.toml")),
    (
        "drills/d2-xian-shahe-internal-down.toml",
        include_str!("../drills/d2-xian-shahe-internal-down.toml"),
    ),
    ("drills/d3-shahe-external-down.toml", include_str!("../drills/d3-shahe-external-down.toml")),
    ("drills/d4-shahe-site-lost.toml", include_str!("../drills/d4-shahe-site-lost.toml")),
    ("drills/d5-rack-power-feed-lost.toml", include_str!("../drills/d5-rack-power-feed-lost.toml")),
    (
        "drills/d6-xian-tengda-line-down.toml",
        include_str!("../drills/d6-xian-tengda-line-down.toml"),
    ),
    (
        "drills/d7-shahe-tengda-line-down.toml",
        include_str!("../drills/d7-shahe-tengda-line-down.toml"),
    ),
    (
        "drills/n1-sz-xa-leased-line-down.toml",
        include_str!("../drills/n1-sz-xa-leased-line-down.toml"),
    ),
    ("drills/n2-main-firewall-down.toml", include_str!("../drills/n2-main-firewall-down.toml")),
    ("drills/n3-core-switches-down.toml", include_str!("../drills/n3-core-switches-down.toml")),
    ("drills/a1-web-server-down.toml", include_str!("../drills/a1-web-server-down.toml")),
    ("drills/a2-relay-server-down.toml", include_str!("../drills/a2-relay-server-down.toml")),
    ("drills/a3-middle-server-down.toml", include_str!("../drills/a3-middle-server-down.toml")),
    (
        "drills/a4-transaction-manager-down.toml",
        include_str!("../drills/a4-transaction-manager-down.toml"),
    ),
    (
        "drills/a5-resource-manager-down.toml",
        include_str!("../drills/a5-resource-manager-down.toml"),
    ),
    ("drills/a6-error-manager-down.toml", include_str!("../drills/a6-error-manager-down.toml")),
    ("drills/a7-db-replica-down.toml", include_str!("../drills/a7-db-replica-down.toml")),
    ("drills/a8-db-primary-down.toml", include_str!("../drills/a8-db-primary-down.toml")),
    ("drills/a9-session-host-down.toml", include_str!("../drills/a9-session-host-down.toml")),
    ("drills/a10-billno-host-down.toml", include_str!("../drills/a10-billno-host-down.toml")),
    (
        "drills/a11-proxy-memory-db-down.toml",
        include_str!("../drills/a11-proxy-memory-db-down.toml"),
    ),
    ("drills/e1-shahe-fire.toml", include_str!("../drills/e1-shahe-fire.toml")),
    (
        "drills/e2-shahe-tengda-internal-down.toml",
        include_str!("../drills/e2-shahe-tengda-internal-down.toml"),
    ),
    (
        "drills/e3-application-servers-down.toml",
        include_str!("../drills/e3-application-servers-down.toml"),
    ),
    (
        "drills/e4-accounting-db-primary-down.toml",
        include_str!("../drills/e4-accounting-db-primary-down.toml"),
    ),
    ("drills/e5-db-replica-removed.toml", include_str!("../drills/e5-db-replica-removed.toml")),
    ("drills/s1-syn-flood.toml", include_str!("../drills/s1-syn-flood.toml")),
    (
        "drills/s2-connection-exhaustion.toml",
        include_str!("../drills/s2-connection-exhaustion.toml"),
    ),
    (
        "drills/s3-bandwidth-consumption.toml",
        include_str!("../drills/s3-bandwidth-consumption.toml"),
    ),
    ("drills/h1-dns-hijack-high-risk.toml", include_str!("../drills/h1-dns-hijack-high-risk.toml")),
    ("drills/h2-dns-hijack-low-risk.toml", include_str!("../drills/h2-dns-hijack-low-risk.toml")),
    (
        "drills/h3-dns-hijack-false-positive.toml",
        include_str!("../drills/h3-dns-hijack-false-positive.toml"),
    ),
    ("drills/h4-forged-subdomain.toml", include_str!("../drills/h4-forged-subdomain.toml")),
    ("drills/r1-table-dropped.toml", include_str!("../drills/r1-table-dropped.toml")),
    ("drills/r2-primary-rebuilt.toml", include_str!("../drills/r2-primary-rebuilt.toml")),
    ("drills/r3-primary-disk-lost.toml", include_str!("../drills/r3-primary-disk-lost.toml")),
    ("drills/i1-grey-primary.toml", include_str!("../drills/i1-grey-primary.toml")),
    (
        "drills/i2-lagging-replica-promoted.toml",
        include_str!("../drills/i2-lagging-replica-promoted.toml"),
    ),
    ("drills/i3-semi-sync-timeout.toml", include_str!("../drills/i3-semi-sync-timeout.toml")),
    ("drills/i4-short-partition.toml", include_str!("../drills/i4-short-partition.toml")),
    (
        "drills/c1-accounting-db-dropped.toml",
        include_str!("../drills/c1-accounting-db-dropped.toml"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_drill_file_in_the_repository_is_bundled() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/drills");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| format!("drills/{}", e.unwrap().file_name().to_string_lossy()))
            .filter(|name| name.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut bundled: Vec<String> = DRILLS.iter().map(|(label, _)| label.to_string()).collect();
        bundled.sort();
        assert_eq!(on_disk, bundled);
    }
}
