//! The integration tests, as one test binary: the real CLI on real files, property tests
//! of the simulation, and the timing of each mechanism on small topologies.

mod drillsim {
    pub mod audit;
    pub mod bad_inputs;
    pub mod cli;
    pub mod mechanisms;
    pub mod plan;
    pub mod properties;
    pub mod spof;
}
