//! What of the manual the audited drills cover.
//!
//! Every scenario the manual names (DOMAIN.md §6-8: the disasters, network devices and
//! application services of Art. 21, its five detailed plans, the security incidents
//! Q1-Q10 of Art. 14-16, the DNS hijack procedure of Appendix 1 and the data-recovery
//! scenarios of Art. 17) is listed here as data, with the words a drill's `clause`
//! uses to cite it. A drill covers a scenario when its clause cites it; a scenario no
//! drill covers says why: drillsim does not model it, or no drill given cites it.

use serde::Serialize;

/// One scenario of the manual.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Short name used in the tables: D1, N2, A8, E1, Q2, ...
    pub id: &'static str,
    /// Where the manual states it.
    pub clause: &'static str,
    pub what: &'static str,
    /// The manual's answer, in short.
    pub answer: &'static str,
    /// Words of a drill's `clause` that cite this scenario (matched as whole words).
    pub cited_as: &'static [&'static str],
    /// Why drillsim does not simulate it; None when it can.
    pub not_simulated: Option<&'static str>,
}

/// Why the security incidents that are not outages are left out.
const NOT_AN_OUTAGE: &str = "an integrity or confidentiality incident, not an outage: \
                             drillsim models only the share of requests failing";

const fn scenario(
    id: &'static str,
    clause: &'static str,
    what: &'static str,
    answer: &'static str,
    cited_as: &'static [&'static str],
) -> Scenario {
    Scenario { id, clause, what, answer, cited_as, not_simulated: None }
}

const fn left_out(
    id: &'static str,
    clause: &'static str,
    what: &'static str,
    answer: &'static str,
    why: &'static str,
) -> Scenario {
    Scenario { id, clause, what, answer, cited_as: &[], not_simulated: Some(why) }
}

/// Every scenario of the manual, in its order.
pub const SCENARIOS: &[Scenario] = &[
    // Art. 21, disaster scenarios
    scenario(
        "D1",
        "Art. 21",
        "Xi'an external network down, internal up",
        "switch web to Shenzhen",
        &["scenario D1"],
    ),
    scenario(
        "D2",
        "Art. 21",
        "Xi'an-Shahe internal network down, external up",
        "switch web to Shenzhen",
        &["scenario D2"],
    ),
    scenario(
        "D3",
        "Art. 21",
        "Shahe external network down, internal up",
        "switch web to Shanghai, Tianjin",
        &["scenario D3"],
    ),
    scenario(
        "D4",
        "Art. 21",
        "Shahe whole site lost",
        "switch all business to Tengda",
        &["scenario D4"],
    ),
    scenario(
        "D5",
        "Art. 21",
        "one power feed of a Shenzhen rack lost",
        "dual UPS, no impact",
        &["scenario D5"],
    ),
    scenario(
        "D6",
        "Art. 21",
        "Xi'an-Tencent Building leased line down",
        "no real-time business, low priority",
        &["scenario D6"],
    ),
    scenario(
        "D7",
        "Art. 21",
        "Shahe-Tencent Building leased line down",
        "no real-time business, low priority",
        &["scenario D7"],
    ),
    // Art. 21, network devices
    scenario(
        "N1",
        "Art. 21",
        "Shenzhen-Xi'an leased line fails",
        "bring up the backup line",
        &["scenario N1"],
    ),
    scenario(
        "N2",
        "Art. 21",
        "Shenzhen main firewall fails",
        "standby firewall takes over automatically",
        &["scenario N2"],
    ),
    scenario(
        "N3",
        "Art. 21",
        "Shenzhen main and standby switches fail",
        "bring up the spare switch",
        &["scenario N3"],
    ),
    // Art. 21, application services
    scenario("A1", "Art. 21", "web server down", "business does not notice", &["scenario A1"]),
    scenario(
        "A2",
        "Art. 21",
        "one relay server down",
        "continues; LVS or CL5 masks it",
        &["scenario A2"],
    ),
    scenario(
        "A3",
        "Art. 21",
        "one middle server down",
        "continues; LVS takes over",
        &["scenario A3"],
    ),
    scenario(
        "A4",
        "Art. 21",
        "one transaction manager down",
        "continues; LVS takes over",
        &["scenario A4"],
    ),
    scenario(
        "A5",
        "Art. 21",
        "one resource manager down",
        "continues; HA takes over",
        &["scenario A5"],
    ),
    scenario(
        "A6",
        "Art. 21",
        "one error manager down",
        "continues; HA takes over",
        &["scenario A6"],
    ),
    scenario(
        "A7",
        "Art. 21",
        "one DB replica down",
        "payments unaffected; queries move to another replica",
        &["scenario A7"],
    ),
    scenario("A8", "Art. 21", "DB primary down", "a replica takes over", &["scenario A8"]),
    scenario(
        "A9",
        "Art. 21",
        "session service host down",
        "session standby takes over",
        &["scenario A9"],
    ),
    scenario(
        "A10",
        "Art. 21",
        "BillNO service host down",
        "BillNO standby takes over",
        &["scenario A10"],
    ),
    scenario(
        "A11",
        "Art. 21",
        "proxy in-memory DB down",
        "unaffected; LVS takes over",
        &["scenario A11"],
    ),
    // Art. 21, detailed plans
    scenario(
        "E1",
        "Art. 21, Exception 1",
        "Shahe lost entirely (fire)",
        "every layer moves to Tengda",
        &["Exception 1"],
    ),
    scenario(
        "E2",
        "Art. 21, Exception 2",
        "Shahe-Tencent Building line down",
        "move the Tencent Building traffic back to Shahe",
        &["Exception 2"],
    ),
    scenario(
        "E3",
        "Art. 21, Exception 3",
        "an application server down (LVS, HA)",
        "removed and taken over automatically",
        &["Exception 3"],
    ),
    scenario(
        "E4",
        "Art. 21, Exception 4",
        "DB primary down",
        "a replica promoted in about 1 minute",
        &["Exception 4"],
    ),
    scenario(
        "E5",
        "Art. 21, Exception 5",
        "a DB replica down",
        "removed from the read pool; almost no impact",
        &["Exception 5"],
    ),
    // Art. 14-16, security incidents
    scenario(
        "Q1",
        "Art. 14-16",
        "business domain hijacked to a hacker page",
        "DNS hijack procedure (Appendix 1)",
        &["Q1"],
    ),
    scenario(
        "Q2",
        "Art. 14-16",
        "site slow or unreachable (DDoS, overload)",
        "triage the DDoS kind, then mitigate (Aegis, configuration, pages)",
        &["Q2"],
    ),
    left_out("Q3", "Art. 14-16", "page serving malware", "security team", NOT_AN_OUTAGE),
    left_out(
        "Q4",
        "Art. 14-16",
        "page content not as expected (defacement)",
        "security team",
        NOT_AN_OUTAGE,
    ),
    left_out(
        "Q5",
        "Art. 14-16",
        "database leaked or altered (SQL injection)",
        "security team; never modify a suspect record first",
        NOT_AN_OUTAGE,
    ),
    left_out(
        "Q6",
        "Art. 14-16",
        "users misdirected or impersonated (XSS)",
        "security team",
        NOT_AN_OUTAGE,
    ),
    left_out(
        "Q7",
        "Art. 14-16",
        "host files or configuration changed, login impossible (intrusion)",
        "security team; back up before changing anything",
        "an intrusion has no timing model in drillsim: what it takes down is the attacker's choice",
    ),
    left_out(
        "Q8",
        "Art. 14-16",
        "unknown ports or processes (intrusion)",
        "security team",
        NOT_AN_OUTAGE,
    ),
    scenario(
        "Q9",
        "Art. 14-16",
        "users led to a forged sub-domain (DNS poisoning)",
        "ask the local ISP to purge the poisoned cache",
        &["Q9"],
    ),
    left_out(
        "Q10",
        "Art. 14-16",
        "anything unsolved",
        "call the security centre",
        "an escalation rule, not a fault: it has no failure of its own to inject",
    ),
    scenario(
        "App1",
        "Appendix 1",
        "DNS hijack procedure (false positive, low and high risk)",
        "ISP purges within 15 minutes (high risk) or 3 hours (low)",
        &["Appendix 1"],
    ),
    // Art. 17, data recovery
    scenario(
        "R1",
        "Art. 17, scenario 1",
        "a table or database dropped, binlogs present",
        "point-in-time restore into a temporary database first",
        &["recovery scenario 1"],
    ),
    scenario(
        "R2",
        "Art. 17, scenario 2",
        "primary database down, binlogs present",
        "reinstall, restore the cold backup, replay the logs",
        &["recovery scenario 2"],
    ),
    scenario(
        "R3",
        "Art. 17, scenario 3",
        "primary's disk broken, replica healthy",
        "as scenario 2, plus re-apply operations missing from the update log",
        &["recovery scenario 3"],
    ),
];

/// A drill to match against the manual: its id and the clause it cites.
#[derive(Debug, Clone, Copy)]
pub struct Cited<'a> {
    pub id: &'a str,
    pub clause: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub scenarios: Vec<ScenarioCoverage>,
    /// Drills that cite no scenario of the manual (the team's own).
    pub beyond_the_manual: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioCoverage {
    pub id: String,
    pub clause: String,
    pub scenario: String,
    pub answer: String,
    /// The drills of this audit that cite it.
    pub drills: Vec<String>,
    /// Why it is not simulated here; null when a drill covers it.
    pub not_simulated: Option<String>,
}

/// Lays the drills against every scenario of the manual.
pub fn cover(drills: &[Cited]) -> Coverage {
    let scenarios = SCENARIOS
        .iter()
        .map(|s| {
            let covering: Vec<String> = drills
                .iter()
                .filter(|d| s.cited_as.iter().any(|words| cites(d.clause, words)))
                .map(|d| d.id.to_owned())
                .collect();
            let not_simulated = match (covering.is_empty(), s.not_simulated) {
                (false, _) => None,
                (true, Some(why)) => Some(why.to_owned()),
                (true, None) => Some("no drill of this audit cites it".to_owned()),
            };
            ScenarioCoverage {
                id: s.id.to_owned(),
                clause: s.clause.to_owned(),
                scenario: s.what.to_owned(),
                answer: s.answer.to_owned(),
                drills: covering,
                not_simulated,
            }
        })
        .collect();
    let beyond_the_manual = drills
        .iter()
        .filter(|d| !SCENARIOS.iter().flat_map(|s| s.cited_as).any(|w| cites(d.clause, w)))
        .map(|d| d.id.to_owned())
        .collect();
    Coverage { scenarios, beyond_the_manual }
}

/// Whether `clause` holds `words` as whole words: "scenario A1" is not cited by
/// "scenario A10", nor "Q1" by "Q10".
fn cites(clause: &str, words: &str) -> bool {
    clause.match_indices(words).any(|(at, _)| {
        let before = clause[..at].chars().next_back();
        let after = clause[at + words.len()..].chars().next();
        let apart = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        apart(before) && apart(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cites_whole_words_only() {
        assert!(cites("Art. 21, application scenario A1", "scenario A1"));
        assert!(!cites("Art. 21, application scenario A10", "scenario A1"));
        assert!(cites("Art. 14-16, Q1; Appendix 1", "Q1"));
        assert!(!cites("Art. 14-16, Q10", "Q1"));
        assert!(cites("Art. 21, disaster scenario D4; Exception 1", "Exception 1"));
    }

    #[test]
    fn every_scenario_is_simulable_or_says_why_not() {
        for s in SCENARIOS {
            assert!(
                s.cited_as.is_empty() != s.not_simulated.is_none(),
                "{}: either cited by drills or left out with a reason",
                s.id
            );
        }
        let mut ids: Vec<&str> = SCENARIOS.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), SCENARIOS.len(), "scenario ids are unique");
    }

    #[test]
    fn a_drill_citing_two_scenarios_covers_both_and_others_are_marked() {
        let drills = [
            Cited { id: "D4", clause: "Art. 21, disaster scenario D4; Exception 1" },
            Cited { id: "X1", clause: "our own runbook" },
        ];
        let coverage = cover(&drills);
        let find = |id: &str| coverage.scenarios.iter().find(|s| s.id == id).unwrap();
        assert_eq!(find("D4").drills, ["D4"]);
        assert_eq!(find("E1").drills, ["D4"]);
        assert_eq!(find("A1").not_simulated.as_deref(), Some("no drill of this audit cites it"));
        assert_eq!(find("R1").not_simulated.as_deref(), Some("no drill of this audit cites it"));
        assert_eq!(coverage.beyond_the_manual, ["X1"]);
    }
}
