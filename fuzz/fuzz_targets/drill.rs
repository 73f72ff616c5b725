//! Any bytes given as a drill file, bound to the bundled reference topology: a drill
//! or located problems, never a panic. A drill that binds is simulated once.
#![no_main]

use std::sync::OnceLock;

use drillsim::bundled;
use drillsim::drill::DrillFile;
use drillsim::input::SourceFile;
use drillsim::monte_carlo::stream;
use drillsim::simulation;
use drillsim::topology::Topology;
use libfuzzer_sys::fuzz_target;

fn reference() -> &'static Topology {
    static TOPOLOGY: OnceLock<Topology> = OnceLock::new();
    TOPOLOGY.get_or_init(|| {
        let (label, text) = bundled::TOPOLOGY;
        let source = SourceFile::from_bytes(label.into(), text.as_bytes()).unwrap();
        Topology::load(&source).unwrap()
    })
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(source) = SourceFile::from_bytes("fuzz.toml".into(), bytes) else {
        return;
    };
    let Ok(file) = DrillFile::load(source) else {
        return;
    };
    let Ok(drill) = file.bind(reference()) else {
        return;
    };
    let trial = simulation::run(reference(), &drill, &mut stream(1, 0));
    if let Some(recovery) = trial.recovery {
        assert!(recovery.at >= trial.first_fault, "recovery before the first fault");
    }
});
