//! Trials per second of the Monte Carlo on the reference topology: whole-site loss (D4,
//! the runbook drill) and DB primary loss (A8), on every core of the machine.
//!
//! Run with `cargo bench --bench monte_carlo`; criterion reports the time of one batch
//! of runs and, as throughput, the trials per second. The target is at least 100,000
//! whole-site-loss trials per second on a 2-core machine.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use drillsim::bundled;
use drillsim::drill::{Drill, DrillFile};
use drillsim::input::SourceFile;
use drillsim::monte_carlo::simulate;
use drillsim::topology::Topology;

/// Runs per measured batch: a million, as in the drill the target speaks of, so that
/// fixed costs (the pilot, the median run, the what-if runs) weigh as they do there.
const RUNS: u32 = 1_000_000;

fn bundled_drill(file: &str, topology: &Topology) -> Drill {
    let (label, text) = bundled::DRILLS.iter().find(|(label, _)| label.ends_with(file)).unwrap();
    let source = SourceFile::from_bytes((*label).to_owned(), text.as_bytes()).unwrap();
    DrillFile::load(source).unwrap().bind(topology).unwrap()
}

fn trials_per_second(c: &mut Criterion) {
    let (label, text) = bundled::TOPOLOGY;
    let topology = Topology::load(&SourceFile::from_bytes(label.into(), text.as_bytes()).unwrap())
        .expect("the bundled topology loads");
    let mut group = c.benchmark_group("monte_carlo");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(RUNS)));
    for (name, file) in [
        ("whole_site_loss", "d4-shahe-site-lost.toml"),
        ("db_primary_loss", "a8-db-primary-down.toml"),
    ] {
        let drill = bundled_drill(file, &topology);
        group.bench_function(name, |b| b.iter(|| simulate(&topology, &drill, black_box(RUNS), 1)));
    }
    group.finish();
}

criterion_group!(benches, trials_per_second);
criterion_main!(benches);
