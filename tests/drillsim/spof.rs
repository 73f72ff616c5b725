//! The single-point-of-failure search against a brute-force reference.
//!
//! The reference takes the simulation itself: for every element, every pair of
//! elements and every common cause of a small random topology, it fails them at time 0
//! for good, runs the drill to the end of its horizon with the runbooks and the spares'
//! bring-up removed (nothing manual happens), and reads each flow's failing share at the
//! end. Every mechanism acts there as in a drill: health checks, takeovers, promotions,
//! DNS failover between entry points, degraded caches. The search must find exactly the
//! single points and minimal pairs this reference finds, with the same shares.
//!
//! A random topology has two or three serving sites and up to two access sites; power
//! supplies, racks with one or two feeds, pairs of devices (with or without a spare)
//! that web access goes through, pools, HA pairs and replicated databases of one to
//! three members, an optional cache that degrades to the database, routes over
//! links and device pairs, entry points with DNS failover and fallbacks, and up to three
//! flows. Each property runs 24 cases; `PROPTEST_CASES` sets another count.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};

use drillsim::drill::{Action, Drill, Fault};
use drillsim::input::SourceFile;
use drillsim::monte_carlo::stream;
use drillsim::simulation;
use drillsim::spof::{self, steady::Steady};
use drillsim::topology::{FileRef, Topology};

fn config() -> Config {
    let default = Config::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() { default.cases } else { 24 };
    Config { cases, failure_persistence: None, ..default }
}

/// Draws small choices from a list of random bytes, in order.
struct Dice<'a> {
    bytes: &'a [u8],
    next: usize,
}

impl Dice<'_> {
    /// A number in `0..n`.
    fn roll(&mut self, n: usize) -> usize {
        let byte = self.bytes[self.next % self.bytes.len()];
        self.next += 1;
        usize::from(byte) % n
    }

    fn coin(&mut self) -> bool {
        self.roll(2) == 1
    }
}

const HEADER: &str = r#"
[topology]
id = "random"
title = "random topology"

[response]
alert = { dist = "uniform", min = "30s", max = "90s" }
respond = { dist = "uniform", min = "0s", max = "5m" }
source = "test values"

[[layer]]
id = "logic"
title = "logic"

[[layer]]
id = "database"
title = "database"

[[mechanism]]
id = "lb"
kind = "pool"
check_interval = "5s"
failures = 2
source = "test values"

[[mechanism]]
id = "ha"
kind = "failover"
keepalive = "2s"
dead_time = "10s"
takeover = "5s"
source = "test values"

[[mechanism]]
id = "db"
kind = "replicated-db"
check_interval = "3s"
failures = 3
promotion = "40s"
source = "test values"
"#;

/// A random topology as TOML text.
fn random_topology(bytes: &[u8]) -> String {
    let mut dice = Dice { bytes, next: 0 };
    let mut toml = HEADER.to_owned();
    let serving = 2 + dice.roll(2);
    let access = dice.roll(3);
    let sites: Vec<String> =
        (0..serving).map(|i| format!("s{i}")).chain((0..access).map(|i| format!("a{i}"))).collect();
    let down_at = ["0.3", "0.5", "1.0"][dice.roll(3)];
    toml += &format!(
        "\n[[mechanism]]\nid = \"dns\"\nkind = \"entry-failover\"\ncheck_interval = \"10s\"\n\
         failures = 2\nttl = \"30s\"\ndown_at = {down_at}\nsource = \"test values\"\n"
    );

    // Sites, uplinks, power, racks and device pairs
    let mut racks = Vec::new();
    let mut pairs = Vec::new();
    for (i, site) in sites.iter().enumerate() {
        toml += &format!("\n[[site]]\nid = \"{site}\"\n");
        toml +=
            &format!("\n[[link]]\nid = \"{site}-up\"\nkind = \"external\"\nsites = [\"{site}\"]\n");
        if i >= serving {
            racks.push(None);
            pairs.push(None);
            continue;
        }
        let rack = match dice.roll(3) {
            0 => None,
            power => {
                for feed in ["a", "b"] {
                    toml += &format!("\n[[power]]\nid = \"{site}-p{feed}\"\nsite = \"{site}\"\n");
                }
                let needs = if power == 1 {
                    format!("needs_any = [\"{site}-pa\", \"{site}-pb\"]")
                } else {
                    format!("needs = [\"{site}-pa\"]")
                };
                toml += &format!("\n[[rack]]\nid = \"{site}-rack\"\nsite = \"{site}\"\n{needs}\n");
                Some(format!("{site}-rack"))
            }
        };
        let devices = 1 + dice.roll(2);
        let spare = dice.roll(3) == 0;
        let mut names = Vec::new();
        for d in 0..devices + usize::from(spare) {
            let needs = rack.as_ref().map_or(String::new(), |r| format!("needs = [\"{r}\"]"));
            toml += &format!("\n[[device]]\nid = \"{site}-d{d}\"\nsite = \"{site}\"\n{needs}\n");
            names.push(format!("\"{site}-d{d}\""));
        }
        toml += &format!(
            "\n[[group]]\nid = \"{site}-pair\"\nmechanism = \"ha\"\nmembers = [{}]\n",
            names[..devices].join(", ")
        );
        if spare {
            toml += &format!("spare = [{}]\nbring_up = \"10m\"\n", names[devices]);
        }
        racks.push(rack);
        pairs.push(Some(format!("{site}-pair")));
    }

    // Routes between sites, over a link, sometimes also a device pair
    for from in &sites {
        for to in sites.iter().take(serving) {
            if from == to || dice.roll(4) == 0 {
                continue;
            }
            toml += &format!(
                "\n[[link]]\nid = \"{from}-{to}\"\nkind = \"internal\"\n\
                 sites = [\"{from}\", \"{to}\"]\n"
            );
            let through = pairs[sites.iter().position(|s| s == to).unwrap_or(0)].clone();
            let extra = match through {
                Some(pair) if dice.coin() => format!(", \"{pair}\""),
                _ => String::new(),
            };
            toml += &format!(
                "\n[[route]]\nfrom = \"{from}\"\nto = \"{to}\"\nneeds = [\"{from}-{to}\"{extra}]\n"
            );
        }
    }

    // Services: web everywhere, the others at the serving sites
    let deployment = |dice: &mut Dice, i: usize, via: String| {
        let members = 1 + dice.roll(3);
        let needs = racks[i].as_ref().map_or(String::new(), |r| format!(", needs = [\"{r}\"]"));
        format!("{{ site = \"{}\", members = {members}{needs}{via} }}", sites[i])
    };
    let mut web = Vec::new();
    for i in 0..sites.len() {
        let via = match &pairs[i] {
            Some(pair) if dice.coin() => format!(", via = [\"{}-up\", \"{pair}\"]", sites[i]),
            _ => format!(", via = [\"{}-up\"]", sites[i]),
        };
        web.push(deployment(&mut dice, i, via));
    }
    toml += &format!(
        "\n[[service]]\nid = \"web\"\nlayer = \"logic\"\nmechanism = \"lb\"\nat = [{}]\n",
        web.join(", ")
    );
    let app_mechanism = if dice.coin() { "lb" } else { "ha" };
    let at = |dice: &mut Dice| -> String {
        (0..serving).map(|i| deployment(dice, i, String::new())).collect::<Vec<_>>().join(", ")
    };
    toml += &format!(
        "\n[[service]]\nid = \"app\"\nlayer = \"logic\"\n\
         mechanism = \"{app_mechanism}\"\nat = [{}]\n",
        at(&mut dice)
    );
    let read = if dice.coin() { "read_mechanism = \"lb\"\n" } else { "" };
    toml += &format!(
        "\n[[service]]\nid = \"store\"\nlayer = \"database\"\nmechanism = \"db\"\n{read}\
         primary_site = \"s0\"\nat = [{}]\n",
        at(&mut dice)
    );
    let cache = dice.coin();
    if cache {
        toml += &format!(
            "\n[[service]]\nid = \"cache\"\nlayer = \"logic\"\nmechanism = \"ha\"\n\
             degrade_to = \"store/read\"\nat = [{}]\n",
            at(&mut dice)
        );
    }

    // Entry points with DNS failover and fallbacks
    for (i, site) in sites.iter().enumerate() {
        let failover = if dice.roll(4) > 0 { "failover = \"dns\"\n" } else { "" };
        let fallback: Vec<String> = (0..sites.len())
            .filter(|&j| j != i && dice.coin())
            .map(|j| format!("\"e-{}\"", sites[j]))
            .collect();
        toml += &format!(
            "\n[[entry]]\nid = \"e-{site}\"\nsite = \"{site}\"\n{failover}fallback = [{}]\n",
            fallback.join(", ")
        );
    }

    // Flows: payment through everything, clearing inside s0, queries reading
    let serve = match (serving, dice.roll(3)) {
        (_, 0) => "[{ site = \"s0\", share = 1.0 }]".to_owned(),
        (2, 1) => "[{ site = \"s0\", share = 0.5 }, { site = \"s1\", share = 0.5 }]".to_owned(),
        (2, _) => "[{ site = \"s0\", share = 0.75 }, { site = \"s1\", share = 0.25 }]".to_owned(),
        _ => "[{ site = \"s0\", share = 0.5 }, { site = \"s1\", share = 0.25 }, \
              { site = \"s2\", share = 0.25 }]"
            .to_owned(),
    };
    let weights: &[&str] = match sites.len() {
        2 => &["0.5", "0.5"],
        3 => &["0.5", "0.25", "0.25"],
        4 => &["0.5", "0.25", "0.125", "0.125"],
        _ => &["0.25", "0.25", "0.25", "0.125", "0.125"],
    };
    let entries: Vec<String> = (sites.iter().zip(weights))
        .map(|(s, w)| format!("{{ entry = \"e-{s}\", share = {w} }}"))
        .collect();
    let entries = entries.join(", ");
    let cached = if cache { "\"cache\", " } else { "" };
    toml += &format!(
        "\n[[flow]]\nid = \"payment\"\nbusiness = \"payment\"\naccess = \"web\"\n\
         path = [\"app\", {cached}\"store/write\"]\nserve = {serve}\nentries = [{entries}]\n"
    );
    if dice.coin() {
        toml += "\n[[flow]]\nid = \"clearing\"\nbusiness = \"clearing\"\n\
                 path = [\"app\", \"store/write\"]\nserve = [{ site = \"s0\", share = 1.0 }]\n";
    }
    if dice.coin() {
        toml += &format!(
            "\n[[flow]]\nid = \"queries\"\nbusiness = \"non-key\"\naccess = \"web\"\n\
             path = [{cached}\"store/read\"]\nserve = {serve}\nentries = [{entries}]\n"
        );
    }
    if dice.coin() {
        let a = &sites[dice.roll(sites.len())];
        let b = &sites[dice.roll(sites.len())];
        toml += &format!("\n[[common_cause]]\nid = \"cc\"\nmembers = [\"{a}-up\", \"{b}-up\"]\n");
    }
    toml
}

fn load(text: &str) -> Topology {
    try_load(text).unwrap_or_else(|| panic!("random topology fails with nothing failed:\n{text}"))
}

/// The topology, or None when it fails some flow before anything fails (the loader
/// refuses that; the generator makes such topologies now and then, and the search is
/// not asked about them). Any other problem is a bug of the generator.
fn try_load(text: &str) -> Option<Topology> {
    let source = SourceFile::from_bytes("random.toml".into(), text.as_bytes()).unwrap();
    match Topology::load(&source) {
        Ok(topology) => Some(topology),
        Err(p) if p.0.iter().all(|p| p.message.contains("with nothing failed")) => None,
        Err(p) => panic!("random topology does not load:\n{p}\n{text}"),
    }
}

/// The topology with nothing manual: no runbook, no spare brought up by hand.
fn automatic_only(topology: &Topology) -> Topology {
    let mut automatic = topology.clone();
    automatic.runbooks.clear();
    for group in &mut automatic.groups {
        group.bring_up = None;
    }
    automatic
}

/// Each flow's failing share at the end of a simulated day after `failed` fail at 0.
fn settled(topology: &Topology, failed: &[usize]) -> Vec<f64> {
    let fault = |&target: &usize| Fault {
        at: 0.0,
        action: Action::Fail,
        target,
        duration: None,
        attack: None,
        data: None,
    };
    let drill = Drill {
        id: "reference".into(),
        title: "brute force".into(),
        clause: String::new(),
        answer: String::new(),
        note: String::new(),
        file: FileRef { label: "reference".into(), sha256: String::new() },
        horizon: 24.0 * 3600.0,
        faults: failed.iter().map(fault).collect(),
        expectations: Vec::new(),
    };
    let trial = simulation::run(topology, &drill, &mut stream(7, 0));
    trial.timelines.iter().map(|t| t.last().map_or(0.0, |p| p.1)).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Compares the search with the brute-force reference on one topology.
fn agrees(text: &str) -> Result<(), TestCaseError> {
    let topology = try_load(text);
    prop_assume!(topology.is_some(), "fails with nothing failed");
    let topology = topology.unwrap();
    let automatic = automatic_only(&topology);
    let n = topology.elements.len();
    let (causes, cuts) = spof::cuts(&topology);
    let mut steady = Steady::new(&topology);

    // N-1: every element, its shares and whether it is a single point
    let alone: Vec<Vec<f64>> = (0..n).map(|x| settled(&automatic, &[x])).collect();
    for (x, reference) in alone.iter().enumerate() {
        let steady_shares = steady.shares_after(&[x], &Default::default());
        for (f, (&r, &s)) in reference.iter().zip(&steady_shares).enumerate() {
            prop_assert!(
                close(r, s),
                "flow {f} after {}: steady {s}, simulated {r}\n{text}",
                topology.elements[x].id
            );
        }
    }
    for (f, found) in cuts.singles.iter().enumerate() {
        let expected: Vec<(usize, f64)> =
            (0..n).filter(|&x| alone[x][f] > 1e-9).map(|x| (x, alone[x][f])).collect();
        prop_assert_eq!(found.len(), expected.len(), "single points of flow {}\n{}", f, text);
        for (&(x, s), &(y, r)) in found.iter().zip(&expected) {
            prop_assert!(x == y && close(s, r), "single point {x} {s} vs {y} {r}\n{text}");
        }
    }

    // N-2: every pair, minimal when neither element fails the flow alone
    let mut expected = vec![Vec::new(); topology.flows.len()];
    for a in 0..n {
        for b in a + 1..n {
            let together = settled(&automatic, &[a, b]);
            for (f, &share) in together.iter().enumerate() {
                if share > 1e-9 && alone[a][f] <= 1e-9 && alone[b][f] <= 1e-9 {
                    expected[f].push(((a, b), share));
                }
            }
        }
    }
    for (f, expected) in expected.iter().enumerate() {
        let found = &cuts.pairs[f];
        let name = |(a, b): (usize, usize)| {
            format!("{} + {}", topology.elements[a].id, topology.elements[b].id)
        };
        let missing: Vec<String> = (expected.iter())
            .filter(|e| !found.iter().any(|p| p.0 == e.0))
            .map(|e| name(e.0))
            .collect();
        let extra: Vec<String> = (found.iter())
            .filter(|p| !expected.iter().any(|e| e.0 == p.0))
            .map(|p| name(p.0))
            .collect();
        prop_assert!(
            missing.is_empty() && extra.is_empty(),
            "flow {f}: pairs missing {missing:?}, extra {extra:?}\n{text}"
        );
        for (p, e) in found.iter().zip(expected) {
            prop_assert!(close(p.1, e.1), "pair {} share {} vs {}\n{text}", name(p.0), p.1, e.1);
        }
    }

    // Common causes: the shares of each, as one failure
    for (cause, (_, shares)) in causes.iter().zip(&cuts.cause_fallout) {
        let reference = settled(&automatic, &cause.members);
        for (f, (&r, &s)) in reference.iter().zip(shares).enumerate() {
            prop_assert!(close(r, s), "cause {} flow {f}: {s} vs simulated {r}\n{text}", cause.id);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// N-1, N-2 and common causes as the simulation run to its steady state finds them.
    #[test]
    fn the_search_finds_what_failing_everything_in_the_simulation_finds(
        bytes in proptest::collection::vec(any::<u8>(), 96)
    ) {
        agrees(&random_topology(&bytes))?;
    }
}

/// The reference topology: the search agrees with the simulation on every element.
#[test]
fn reference_topology_single_points_agree_with_the_simulation() {
    let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/topologies/tenpay.toml"));
    let topology = load(text);
    let automatic = automatic_only(&topology);
    let (_, cuts) = spof::cuts(&topology);
    for f in 0..topology.flows.len() {
        let expected: Vec<usize> =
            (0..topology.elements.len()).filter(|&x| settled(&automatic, &[x])[f] > 1e-9).collect();
        let found: Vec<usize> = cuts.singles[f].iter().map(|p| p.0).collect();
        assert_eq!(found, expected, "single points of {}", topology.flows[f].id);
    }
}

// ---------------------------------------------------------------------------------------
// The commands, through the real binary
// ---------------------------------------------------------------------------------------

/// What one run of `drillsim` did; printed in full if the test fails while it is alive.
struct Run {
    command: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Drop for Run {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "command: {}\nexit code: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.command, self.code, self.stdout, self.stderr
            );
        }
    }
}

/// Runs `drillsim` in `dir`.
fn drillsim(dir: &std::path::Path, args: &[&str]) -> Run {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_drillsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("drillsim starts");
    Run {
        command: format!("drillsim {}", args.join(" ")),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn json_of(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).expect("stdout is JSON")
}

/// The cut of the JSON answer whose members are exactly these.
fn cut<'a>(answer: &'a serde_json::Value, members: &[&str]) -> &'a serde_json::Value {
    let cuts = answer["cuts"].as_array().unwrap();
    cuts.iter()
        .find(|c| {
            c["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap())
                .eq(members.iter().copied())
        })
        .unwrap_or_else(|| panic!("no cut {members:?}"))
}

fn hit<'a>(cut: &'a serde_json::Value, flow: &str) -> &'a serde_json::Value {
    let flows = cut["flows"].as_array().unwrap();
    flows.iter().find(|f| f["flow"] == flow).unwrap_or_else(|| panic!("{flow} not hit by {cut}"))
}

#[test]
fn spof_on_the_reference_topology_finds_the_site_the_racks_and_the_core_switches() {
    let dir = tempfile::tempdir().unwrap();
    let run = drillsim(dir.path(), &["spof", "--format", "json"]);
    assert_eq!(run.code, Some(0));
    let answer = json_of(&run);

    // Losing Shahe stops every payment until the Exception 1 runbook (grade 4 at its
    // median of about 54 minutes)
    let shahe = hit(cut(&answer, &["shahe"]), "payment");
    assert_eq!(shahe["share"], 1.0);
    assert_eq!(shahe["recovered_by"][0], "runbook:shahe-to-tengda");
    assert_eq!(shahe["grade"], 4);

    // Both core switches: every payment fails until the spare is brought up by hand
    let switches = hit(cut(&answer, &["shahe-sw-main", "shahe-sw-standby"]), "payment");
    assert_eq!(switches["recovered_by"][0], "spare:shahe-core-switch");
    let pair = answer["cuts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["common_cause"] == "shahe-core-switch");
    assert!(pair.is_some(), "the core-switch pair is a common cause");

    // Rack A of Shahe leaves clearing working, so no runbook: a repair ends it
    let rack = hit(cut(&answer, &["shahe-rack-a"]), "payment");
    assert_eq!(rack["until_repair"], true);

    // One firewall, one web server, one feed: no single point
    for member in ["shahe-fw-main", "web-shahe-1", "shahe-rack-a-feed-a"] {
        let cuts = answer["cuts"].as_array().unwrap();
        assert!(!cuts.iter().any(|c| c["members"] == serde_json::json!([member])), "{member}");
    }
    let payment = &answer["flows"][0];
    assert_eq!(payment["flow"], "payment");
    assert!(payment["importance"][0]["fussell_vesely"].as_f64().unwrap() > 0.0);

    // The table says the same for people
    let table = drillsim(dir.path(), &["spof"]);
    assert_eq!(table.code, Some(0));
    assert!(table.stdout.contains("shahe (site)"));
    assert!(table.stdout.contains("runbook:shahe-to-tengda"));
    assert!(table.stdout.contains("importance"));
}

#[test]
fn spof_refuses_a_missing_file_bad_toml_and_a_bad_mtbf_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = drillsim(dir.path(), &["spof", "nowhere.toml"]);
    assert_eq!(missing.code, Some(2));
    assert!(missing.stderr.contains("nowhere.toml: cannot read"), "{}", missing.stderr);
    assert_eq!(missing.stdout, "");

    std::fs::write(dir.path().join("bad.toml"), "[topology]\nid = \"x\"\ntitle = 3\n").unwrap();
    let bad = drillsim(dir.path(), &["spof", "bad.toml"]);
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("bad.toml:3:9: 'title'"), "{}", bad.stderr);

    let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/topologies/tenpay.toml"))
        .replace("id = \"shahe-ups-a\"\n", "id = \"shahe-ups-a\"\nmtbf = \"often\"\n");
    std::fs::write(dir.path().join("mtbf.toml"), text).unwrap();
    let mtbf = drillsim(dir.path(), &["graph", "mtbf.toml"]);
    assert_eq!(mtbf.code, Some(2));
    assert!(mtbf.stderr.contains("'mtbf': \"often\" is not a duration"), "{}", mtbf.stderr);
}

#[test]
fn gen_writes_a_valid_topology_that_spof_and_graph_analyse() {
    let dir = tempfile::tempdir().unwrap();
    let generated =
        drillsim(dir.path(), &["gen", "--components", "400", "--seed", "3", "-o", "g.toml"]);
    assert_eq!(generated.code, Some(0));
    assert_eq!(drillsim(dir.path(), &["validate", "g.toml"]).code, Some(0));
    let spof = drillsim(dir.path(), &["spof", "g.toml", "--format", "json"]);
    assert_eq!(spof.code, Some(0));
    let answer = json_of(&spof);
    assert_eq!(answer["flows"].as_array().unwrap().len(), 3);
    assert!(hit(cut(&answer, &["dc-a"]), "payment")["share"] == 1.0);

    let dot = drillsim(dir.path(), &["graph", "g.toml"]);
    assert_eq!(dot.code, Some(0));
    assert!(dot.stdout.starts_with("digraph"));
    let svg =
        drillsim(dir.path(), &["graph", "g.toml", "--format", "svg", "--renderer", "builtin"]);
    assert_eq!(svg.code, Some(0));
    assert!(svg.stdout.starts_with("<svg") && svg.stdout.trim_end().ends_with("</svg>"));
}

#[test]
fn graph_highlights_the_single_points_of_the_reference_topology() {
    let dir = tempfile::tempdir().unwrap();
    let dot = drillsim(dir.path(), &["graph", "--format", "dot"]);
    assert_eq!(dot.code, Some(0));
    let line = |id: &str| {
        dot.stdout.lines().find(|l| l.contains(&format!("label=\"{id}"))).unwrap_or("").to_owned()
    };
    assert!(line("site shahe").contains("#ff8a80"), "Shahe is a single point");
    assert!(line("shahe-fw-main").contains("#ffffff"), "one firewall is not");

    // SVG: Graphviz when installed, else the built-in drawing, said on stderr
    let svg = drillsim(dir.path(), &["graph", "--format", "svg", "-o", "t.svg"]);
    assert_eq!(svg.code, Some(0));
    let written = std::fs::read_to_string(dir.path().join("t.svg")).unwrap();
    assert!(written.contains("<svg"));
    let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    if !has_dot {
        assert!(svg.stderr.contains("Graphviz 'dot' is not installed"), "{}", svg.stderr);
        let forced = drillsim(dir.path(), &["graph", "--format", "svg", "--renderer", "dot"]);
        assert_eq!(forced.code, Some(2));
    }
}
