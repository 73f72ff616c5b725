//! Time of the full single-point-of-failure search (every element, every pair of
//! elements, every common cause, for every flow) on generated topologies of 600 and
//! 10,000 elements (`drillsim gen --components N --seed 1`).
//!
//! Run with `cargo bench --bench spof`. Targets on a 2-core machine: 600 elements in
//! under 0.1 s, 10,000 in under 10 s; the topology is loaded once, outside the timing.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use drillsim::generator::generate;
use drillsim::input::SourceFile;
use drillsim::spof;
use drillsim::topology::Topology;

fn n1_and_n2(c: &mut Criterion) {
    let mut group = c.benchmark_group("spof");
    group.sample_size(10);
    for components in [600, 10_000] {
        let text = generate(components, 1);
        let source = SourceFile::from_bytes(format!("gen-{components}.toml"), text.as_bytes())
            .expect("generated text is UTF-8");
        let topology = Topology::load(&source).expect("the generated topology loads");
        let name = format!("n1_n2_{components}_elements");
        group.bench_function(name, |b| b.iter(|| spof::cuts(black_box(&topology))));
    }
    group.finish();
}

criterion_group!(benches, n1_and_n2);
criterion_main!(benches);
