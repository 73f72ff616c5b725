//! The bad-input corpus (`tests/bad-inputs/`), the limits, and the safety of earlier
//! reports, through the real CLI.
//!
//! Every `NAME.toml` of the corpus has a `NAME.expected` beside it: the whole of stderr
//! that drillsim must print for it (and a `NAME.validate.expected` where `validate`,
//! which first tells topologies from drills, says something else). A `drill-*` file is run as a drill on the bundled
//! topology, a `topology-*` file as the topology of the bundled drills; each is also
//! validated on its own. Each must exit with code 2, print nothing on stdout and write nothing.
//! The corpus runs from its own directory, so the messages name the bare file names.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::cli::{BIN, Output, REPO, Sandbox, run};

/// The corpus directory.
fn corpus() -> PathBuf {
    Path::new(REPO).join("tests/bad-inputs")
}

/// The corpus files, sorted: (file name, expected stderr).
fn cases() -> Vec<(String, String)> {
    cases_expecting(".expected")
}

/// The corpus files, sorted, with the expected stderr of `suffix` (or of `.expected`
/// where there is no such file).
fn cases_expecting(suffix: &str) -> Vec<(String, String)> {
    let mut cases: Vec<(String, String)> = std::fs::read_dir(corpus())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .map(|name| {
            let special = corpus().join(name.replace(".toml", suffix));
            let expected = if special.exists() {
                special
            } else {
                corpus().join(name.replace(".toml", ".expected"))
            };
            let text = std::fs::read_to_string(&expected)
                .unwrap_or_else(|e| panic!("{name} has no {}: {e}", expected.display()));
            (name, text)
        })
        .collect();
    cases.sort();
    cases
}

/// Runs drillsim on one corpus file: `run` (writing under `out`) or `validate`.
fn run_case(name: &str, command: &str, out: &Path) -> Output {
    let out = out.to_str().unwrap();
    let args = match (command, name.starts_with("topology-")) {
        ("run", true) => vec!["run", "--topology", name, "--out", out, "--runs", "5"],
        ("run", false) => vec!["run", name, "--out", out, "--runs", "5"],
        _ => vec![command, name],
    };
    run(&corpus(), BIN, &args)
}

#[test]
fn every_file_of_the_corpus_gets_its_message_exit_code_2_and_writes_nothing() {
    let cases = cases().into_iter().zip(cases_expecting(".validate.expected"));
    assert!(cases.len() >= 40, "the corpus has {} files, fewer than 40", cases.len());
    let sandbox = Sandbox::new();
    let out = sandbox.path("out");
    for ((name, expected_of_run), (_, expected_of_validate)) in cases {
        assert!(
            name.starts_with("drill-") || name.starts_with("topology-"),
            "{name}: a corpus file is named drill-* or topology-*"
        );
        for (command, expected) in [("run", expected_of_run), ("validate", expected_of_validate)] {
            let output = run_case(&name, command, &out);
            output.assert_code(2);
            assert_eq!(output.stdout, "", "{name}: bad input prints nothing on stdout");
            assert_eq!(output.stderr, expected, "{name}: the message of `{command}`");
            assert!(!out.exists(), "{name}: {} was created", out.display());
        }
    }
}

#[test]
fn every_message_of_the_corpus_names_its_file_and_a_position_or_the_whole_file() {
    for (name, expected) in cases() {
        let first = expected.lines().next().unwrap_or("");
        let located = first.starts_with(&format!("{name}:"));
        assert!(located, "{name}: the first line names the file: {first}");
        let rest = &first[name.len() + 1..];
        let positioned = rest.split(':').take(2).all(|n| n.parse::<usize>().is_ok());
        let whole_file = rest.starts_with(' ');
        assert!(positioned || whole_file, "{name}: line:column or the whole file: {first}");
    }
}

#[test]
fn a_50_megabyte_file_is_refused_before_it_is_read_and_the_limit_is_named() {
    let sandbox = Sandbox::new();
    let big = "# padding\n".repeat(5 * 1024 * 1024);
    sandbox.write("big-drill.toml", &big);
    sandbox.write("big-topology.toml", &big);

    let output = sandbox.drillsim(&["run", "big-drill.toml", "--out", "out"]);
    output.assert_code(2);
    assert!(output.stderr.starts_with("big-drill.toml: file is 52428800 bytes, larger than"));
    assert!(output.stderr.contains("--limit file-size=52428800"), "how to raise it");
    let output = sandbox.drillsim(&["run", "--topology", "big-topology.toml", "--out", "out"]);
    output.assert_code(2);
    assert!(output.stderr.contains("big-topology.toml: file is 52428800 bytes"));
    assert!(!sandbox.path("out").exists());
}

// ---------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------

#[test]
fn each_limit_names_itself_and_raising_it_lets_the_file_through() {
    // (corpus file, the limit raised enough)
    let cases = [
        ("drill-too-many-faults.toml", "faults=1001"),
        ("drill-absurd-duration.toml", "duration=400years"),
        ("topology-members-over-limit.toml", "members=50000"),
    ];
    for (name, raised) in cases {
        let refused = run_case(name, "validate", Path::new("unused"));
        refused.assert_code(2);
        let limit = raised.split('=').next().unwrap();
        assert!(refused.stderr.contains(&format!("--limit {limit}=")), "{name}: names '{limit}'");

        run(&corpus(), BIN, &["validate", "--limit", raised, name]).assert_code(0);
    }
}

#[test]
fn the_elements_limit_counts_servers_and_says_how_to_raise_it() {
    let name = "topology-zero-members.toml";
    let valid = std::fs::read_to_string(corpus().join(name))
        .unwrap()
        .replace("members = 0 }", "members = 4 }");
    let sandbox = Sandbox::new();
    sandbox.write("small.toml", &valid);

    let output = sandbox.drillsim(&["validate", "small.toml", "--limit", "elements=10"]);
    output.assert_code(2);
    assert!(output.stderr.contains("elements (servers included), more than the limit of 10"));
    assert!(output.stderr.contains("--limit elements="));
    sandbox.drillsim(&["validate", "small.toml"]).assert_code(0);
}

#[test]
fn runs_over_the_limit_are_refused_before_anything_is_read() {
    let sandbox = Sandbox::new();
    let output = sandbox.drillsim(&["run", "--runs", "10000001", "--out", "out"]);
    output.assert_code(2);
    assert!(output.stderr.contains("more than the limit of 10000000 runs"));
    assert!(output.stderr.contains("--limit runs=10000001"));
    assert!(!sandbox.path("out").exists());
}

#[test]
fn a_bad_limit_setting_is_a_usage_error() {
    let sandbox = Sandbox::new();
    for (setting, says) in [
        ("elements", "NAME=VALUE"),
        ("element=5", "there is no limit 'element'"),
        ("runs=0", "positive whole number"),
        ("duration=soon", "limit 'duration'"),
    ] {
        let output = sandbox.drillsim(&["validate", "--limit", setting]);
        output.assert_code(2);
        assert!(output.stderr.contains(says), "--limit {setting}: {}", output.stderr);
    }
}

#[test]
fn a_report_with_a_raised_limit_carries_it_in_its_command() {
    let sandbox = Sandbox::new();
    let drill = format!("{REPO}/drills/a5-resource-manager-down.toml");
    let args = ["run", &drill, "--out", "out", "--runs", "20", "--limit", "faults=2000"];
    sandbox.drillsim(&args).assert_code(0);
    let json = std::fs::read_to_string(sandbox.path("out/A5/report.json")).unwrap();
    assert!(json.contains("--runs 20 --seed 1 --limit faults=2000\""), "{json}");
}

// ---------------------------------------------------------------------------------------
// Earlier reports
// ---------------------------------------------------------------------------------------

/// Runs drill A5 into `out` of `sandbox` with `extra` arguments.
fn run_a5(sandbox: &Sandbox, runs: &str, extra: &[&str]) -> Output {
    let drill = format!("{REPO}/drills/a5-resource-manager-down.toml");
    let mut args = vec!["run", drill.as_str(), "--out", "out", "--runs", runs];
    args.extend(extra);
    sandbox.drillsim(&args)
}

#[test]
fn an_earlier_report_is_kept_when_unchanged_and_replaced_only_with_force() {
    let sandbox = Sandbox::new();
    run_a5(&sandbox, "20", &[]).assert_code(0);
    let first = std::fs::read(sandbox.path("out/A5/report.json")).unwrap();

    // The same command again: nothing to replace
    let again = run_a5(&sandbox, "20", &[]);
    again.assert_code(0);
    assert!(again.stdout.contains("1 unchanged"), "{}", again.stdout);

    // Another run over it: refused before simulating, the earlier report intact
    let refused = run_a5(&sandbox, "30", &[]);
    refused.assert_code(2);
    assert!(refused.stderr.contains("holds an earlier report"));
    assert!(refused.stderr.contains("--runs 20 --seed 1"), "names the earlier command");
    assert!(refused.stderr.contains("pass --force"));
    assert_eq!(std::fs::read(sandbox.path("out/A5/report.json")).unwrap(), first);

    let forced = run_a5(&sandbox, "30", &["--force"]);
    forced.assert_code(0);
    assert!(forced.stdout.contains("1 replaced"), "{}", forced.stdout);
    assert_ne!(std::fs::read(sandbox.path("out/A5/report.json")).unwrap(), first);
}

#[test]
fn ctrl_c_while_simulating_leaves_the_earlier_report_intact() {
    let sandbox = Sandbox::new();
    run_a5(&sandbox, "20", &[]).assert_code(0);
    let before = std::fs::read(sandbox.path("out/A5/report.json")).unwrap();

    // A run long enough to be interrupted while it simulates; -v tells when it does
    let drill = format!("{REPO}/drills/d4-shahe-site-lost.toml");
    let mut child = Command::new(BIN)
        .args(["run", &drill, "--out", "out", "--runs", "5000000", "--force", "-v"])
        .args(["--threads", "1"])
        .current_dir(sandbox.path(""))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("simulating") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the run ended before simulating");
    }
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(killed.success(), "kill -INT {pid}");

    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(20), "the run ends soon after Ctrl-C");
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    let stderr = rest;
    assert!(stderr.contains("no report was written or replaced"), "{stderr}");
    assert_eq!(std::fs::read(sandbox.path("out/A5/report.json")).unwrap(), before);
    let names: Vec<String> = std::fs::read_dir(sandbox.path("out"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["A5"], "no D4 report and no staging directory");
}

#[test]
fn a_closed_stdout_ends_drillsim_quietly_without_a_panic() {
    // `drillsim schema drill | head -0`: the reader is gone before drillsim prints;
    // drillsim ends as other Unix tools do, by SIGPIPE, and prints no panic
    let mut child = Command::new(BIN)
        .args(["schema", "drill"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}
