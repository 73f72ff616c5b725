//! `drillsim audit` through the real binary, on real files in temp dirs; the audit's
//! HTML is loaded in headless Chromium. The small fixture here serves `plan`'s tests
//! too.
//!
//! Each run is printed (command, exit code, stdout, stderr) when a test fails. Audits
//! run at `--runs 50`: the verdicts checked here are far from their bounds at that size.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

pub(super) use super::cli::Output;
use super::cli::{BIN, REPO, run};

/// Where Debian's Chromium lives (`apt-get install chromium`; `.ci/run` installs it).
const CHROMIUM: &str = "/usr/bin/chromium";
/// The number of bundled drills, one per file under `drills/`.
fn bundled_drills() -> usize {
    std::fs::read_dir(Path::new(REPO).join("drills")).unwrap().count()
}

/// Runs drillsim with `args` in `cwd`.
pub(super) fn drillsim(cwd: &Path, args: &[&str]) -> Output {
    run(cwd, BIN, args)
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The audit of the bundled drills at 50 runs, written once and shared by the tests
/// that only read it.
fn bundled_audit() -> &'static (TempDir, PathBuf) {
    static AUDIT: std::sync::OnceLock<(TempDir, PathBuf)> = std::sync::OnceLock::new();
    AUDIT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = drillsim(dir.path(), &["audit", "--runs", "50", "--out", "audit", "-q"]);
        out.assert_code(0);
        let path = dir.path().join("audit");
        (dir, path)
    })
}

// ---------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------

#[test]
fn audit_of_the_bundle_has_a_verdict_per_drill_and_covers_the_manual() {
    let (_, out) = bundled_audit();
    let audit = json(&out.join("audit.json"));

    // One row per bundled drill, each with a verdict the totals add up to
    let rows = audit["drills"].as_array().unwrap();
    assert_eq!(rows.len(), bundled_drills());
    let totals = &audit["totals"];
    let sum = ["holds", "holds_under_assumption", "does_not_hold"]
        .iter()
        .map(|k| totals[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(sum, bundled_drills() as u64);
    assert_eq!(totals["does_not_hold"], 0, "every bundled answer holds");

    // A replica promoted by the manual's own figure holds outright; the site loss rests
    // on the runbook's assumed step durations, which the verdict names
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(row("A8")["verdict"]["verdict"], "holds");
    let e1 = &row("E1")["verdict"];
    assert_eq!(e1["verdict"], "holds-under-assumption");
    let names: Vec<&str> =
        e1["assumptions"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"runbook shahe-to-tengda step db-check"), "{names:?}");

    // Coverage: every scenario of the manual listed, those left out marked with why
    let scenarios = audit["coverage"]["scenarios"].as_array().unwrap();
    let scenario = |id: &str| scenarios.iter().find(|s| s["id"] == id).unwrap();
    assert_eq!(scenario("E1")["drills"], serde_json::json!(["D4", "E1"]));
    assert_eq!(scenario("A1")["drills"], serde_json::json!(["A1"]));
    assert_eq!(scenario("R1")["drills"], serde_json::json!(["R1", "C1"]));
    assert_eq!(scenario("R2")["drills"], serde_json::json!(["R2"]));
    assert!(scenario("Q5")["not_simulated"].is_string());

    // Findings: the weakest point first is the rebuild from the cold backup (grade 1 in
    // some runs); the whole-site loss is graded, and its runbook tail named
    let findings = audit["findings"].as_array().unwrap();
    assert_eq!(findings[0]["kind"], "graded-incident");
    assert_eq!(findings[0]["grade"], 1);
    assert!(findings[0]["text"].as_str().unwrap().starts_with("R2 "));
    let graded = |id: &str| {
        findings
            .iter()
            .find(|f| f["kind"] == "graded-incident" && f["text"].as_str().unwrap().starts_with(id))
    };
    assert_eq!(graded("D4 ").unwrap()["grade"], 3);
    assert!(
        findings
            .iter()
            .any(|f| f["kind"] == "recovery-tail"
                && f["text"].as_str().unwrap().contains("db-check"))
    );
}

#[test]
fn audit_provenance_hashes_every_input_and_its_command_writes_the_same_bytes() {
    let (_, first) = bundled_audit();
    let audit = json(&first.join("audit.json"));
    let provenance = &audit["provenance"];

    // Every input's hash is the hash of the file in the repository
    let inputs = provenance["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), bundled_drills() + 1, "every drill and the topology");
    for input in inputs {
        let bytes = std::fs::read(Path::new(REPO).join(input["file"].as_str().unwrap())).unwrap();
        let hash: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(input["sha256"], hash.as_str(), "{}", input["file"]);
    }

    // Its command, run again on one thread into another directory, writes the same bytes
    let command = provenance["command"].as_str().unwrap();
    assert_eq!(command, "drillsim audit --runs 50 --seed 1");
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<&str> = command.split(' ').skip(1).collect();
    args.extend(["--out", "again", "--threads", "1", "-q"]);
    drillsim(dir.path(), &args).assert_code(0);
    for file in ["audit.html", "audit.md", "audit.json"] {
        let a = std::fs::read(first.join(file)).unwrap();
        let b = std::fs::read(dir.path().join("again").join(file)).unwrap();
        assert!(a == b, "{file} differs when the audit's command is run again");
    }
}

#[test]
fn audit_names_the_failed_check_when_an_answer_does_not_hold() {
    let dir = tempfile::tempdir().unwrap();

    // A8 asked to recover within 10 s: a promotion takes about a minute, so it fails
    let text = std::fs::read_to_string(format!("{REPO}/drills/a8-db-primary-down.toml")).unwrap();
    assert_eq!(text.matches("within = \"2m\"").count(), 1);
    std::fs::write(dir.path().join("a8.toml"), text.replace("within = \"2m\"", "within = \"10s\""))
        .unwrap();
    let a1 = format!("{REPO}/drills/a1-web-server-down.toml");
    let out = drillsim(dir.path(), &["audit", "a8.toml", &a1, "--runs", "50", "--out", "x"]);
    out.assert_code(1);

    let audit = json(&dir.path().join("x/audit.json"));
    let verdict = &audit["drills"][0]["verdict"];
    assert_eq!(verdict["verdict"], "does-not-hold");
    assert_eq!(verdict["failed_checks"][0]["check"], "every business back within 10s");
    assert_eq!(audit["findings"][0]["kind"], "answer-does-not-hold");
    let md = std::fs::read_to_string(dir.path().join("x/audit.md")).unwrap();
    assert!(md.contains("**does not hold**: failed: 'every business back within 10s' held in 0 %"));
    let command = audit["provenance"]["command"].as_str().unwrap();
    assert!(command.starts_with("drillsim audit a8.toml /"), "{command}");

    // Only the drills given are covered; the rest of the manual says so
    let scenarios = audit["coverage"]["scenarios"].as_array().unwrap();
    let d1 = scenarios.iter().find(|s| s["id"] == "D1").unwrap();
    assert_eq!(d1["not_simulated"], "no drill of this audit cites it");
}

#[test]
fn audit_never_writes_into_a_directory_of_other_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/notes.txt"), "keep me").unwrap();
    let a1 = format!("{REPO}/drills/a1-web-server-down.toml");

    let out = drillsim(dir.path(), &["audit", &a1, "--runs", "10", "--out", "mine"]);
    out.assert_code(2);
    assert!(out.stderr.contains("holds 'notes.txt', which drillsim audit did not write"));
    assert!(out.stderr.contains("nothing was simulated or written"));
    let left: Vec<_> = std::fs::read_dir(dir.path().join("mine")).unwrap().collect();
    assert_eq!(left.len(), 1, "only notes.txt is there");

    // The same audit again leaves it untouched; another one is refused but with --force,
    // which replaces all three files
    let out = drillsim(dir.path(), &["audit", &a1, "--runs", "10", "--out", "ours"]);
    out.assert_code(0);
    let out = drillsim(dir.path(), &["audit", &a1, "--runs", "10", "--out", "ours"]);
    out.assert_code(0);
    assert!(out.stdout.contains("(unchanged, the same as before)"), "{}", out.stdout);
    let out = drillsim(dir.path(), &["audit", &a1, "--runs", "20", "--out", "ours", "-q"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("holds an earlier audit (written by `drillsim audit "),
        "{}",
        out.stderr
    );
    let out =
        drillsim(dir.path(), &["audit", &a1, "--runs", "20", "--out", "ours", "-q", "--force"]);
    out.assert_code(0);
    let audit = json(&dir.path().join("ours/audit.json"));
    assert_eq!(audit["provenance"]["runs"], 20);
    let names: Vec<String> = std::fs::read_dir(dir.path().join("ours"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "no staging directory is left: {names:?}");
}

#[test]
fn audit_html_is_self_contained() {
    let (_, out) = bundled_audit();
    let html = std::fs::read_to_string(out.join("audit.html")).unwrap();
    for (at, _) in html.match_indices("http") {
        assert!(
            html[at..].starts_with("http://www.w3.org/2000/svg"),
            "the page names an address: {}",
            &html[at..at + 60]
        );
    }
    for fetching in ["<script", "<link", "@import", "url(", "src="] {
        assert!(!html.contains(fetching), "the page holds {fetching}");
    }
    assert!(html.contains("@media print"));
}

/// Chromium, or None (with a notice) when it is missing outside CI; in CI a missing
/// Chromium fails the test.
fn chromium() -> Option<&'static str> {
    if Path::new(CHROMIUM).exists() {
        return Some(CHROMIUM);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{CHROMIUM} is missing; .ci/run installs it with apt-get install chromium"
    );
    eprintln!("notice: {CHROMIUM} not found, the browser check of audit.html is skipped");
    None
}

#[test]
fn audit_html_loads_in_chromium_without_console_errors_with_one_row_per_drill() {
    let Some(chromium) = chromium() else { return };
    let (_, out) = bundled_audit();
    let profile = tempfile::tempdir().unwrap();
    let page = format!("file://{}", out.join("audit.html").display());
    let user_data = format!("--user-data-dir={}", profile.path().display());
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Nothing the page could name resolves: the page must not need the network
        "--host-resolver-rules=MAP * ~NOTFOUND",
        &user_data,
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        &page,
    ];
    let browser = run(profile.path(), chromium, &args);
    browser.assert_code(0);

    // Console messages are logged as INFO:CONSOLE lines: the page has none
    let console: Vec<&str> = browser.stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");

    // The DOM as Chromium parsed it: the summary table's body has one row per drill
    let dom = &browser.stdout;
    let start = dom.find("<table id=\"summary\">").expect("the summary table is in the DOM");
    let table = &dom[start..start + dom[start..].find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").expect("a tbody")..];
    assert_eq!(body.matches("<tr").count(), bundled_drills(), "one row per drill");
    assert_eq!(body.matches("<tr id=\"drill-").count(), bundled_drills());
}

#[test]
fn audit_summary_agrees_in_number_and_keeps_its_columns_apart() {
    // `audit e1.toml --runs 20` printed "1 drills, 20 runs each" and a recovery column
    // 24 wide, so "54 min 19 s / 1 h 16 min" ran into the verdict; the right answer is
    // "1 drill" and a column as wide as its longest value, two spaces before the verdict
    let dir = tempfile::tempdir().unwrap();
    let e1 = format!("{REPO}/drills/e1-shahe-fire.toml");
    let a1 = format!("{REPO}/drills/a1-web-server-down.toml");
    let out = drillsim(dir.path(), &["audit", &e1, "--runs", "20", "--out", "one"]);
    out.assert_code(0);
    assert!(out.stdout.contains("\n1 drill, 20 runs each, seed 1:"), "{}", out.stdout);
    let out = drillsim(dir.path(), &["audit", &e1, &a1, "--runs", "1", "--out", "two"]);
    out.assert_code(0);
    assert!(out.stdout.contains("\n2 drills, 1 run each, seed 1:"), "{}", out.stdout);

    // Every row's verdict starts in the heading's column, after at least two spaces
    let table: Vec<&str> = out.stdout.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(table.len(), 3, "{table:#?}");
    let column = table[0].find("verdict").unwrap();
    for row in &table[1..] {
        let verdict = row.get(column..).unwrap_or_default();
        assert!(verdict.starts_with("holds"), "{row:?}");
        assert!(row[..column].ends_with("  "), "{row:?}");
    }
}

#[test]
fn audit_refusing_an_earlier_audit_names_the_command_that_wrote_it() {
    // An audit at --runs 10 in 'ours', then one at --runs 20 without --force: refused,
    // and, as `run` does for reports, the message names the earlier audit's command
    // (from its audit.json provenance)
    let dir = tempfile::tempdir().unwrap();
    let a1 = format!("{REPO}/drills/a1-web-server-down.toml");
    drillsim(dir.path(), &["audit", &a1, "--runs", "10", "--out", "ours", "-q"]).assert_code(0);
    let out = drillsim(dir.path(), &["audit", &a1, "--runs", "20", "--out", "ours", "-q"]);
    out.assert_code(2);
    let earlier =
        format!("holds an earlier audit (written by `drillsim audit {a1} --runs 10 --seed 1`)");
    assert!(out.stderr.contains(&earlier), "{}", out.stderr);
}
