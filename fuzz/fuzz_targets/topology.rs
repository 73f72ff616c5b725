//! Any bytes given as a topology file: a checked topology or located problems, never a
//! panic; a topology that loads can be drawn as its dependency graph's schema text.
#![no_main]

use drillsim::input::SourceFile;
use drillsim::topology::Topology;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(source) = SourceFile::from_bytes("fuzz.toml".into(), bytes) else {
        return;
    };
    if let Err(problems) = Topology::load(&source) {
        // Every problem renders, and names the file
        assert!(problems.to_string().contains("fuzz.toml"));
    }
});
