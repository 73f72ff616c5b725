//! drillsim: a failover drill simulator for a payment platform's emergency manual.
//!
//! The manual (digested in `shared/DOMAIN.md`) describes sites, layers, the mechanisms
//! that mask failures and the disasters they prepare for. drillsim reads that
//! architecture as a [`topology`], each disaster as a [`drill`], runs the drill in
//! simulated time ([`simulation`]) many times ([`monte_carlo`]), grades the outcome
//! under the manual's own table ([`grade`]), measures what each failover loses and how
//! long each recovery of Chapter 7 takes ([`data`]), lays the manual's response rules on the
//! simulated clock ([`response`]) and writes a [`report`]. [`triage`] applies the
//! manual's DDoS triage rules to observed metrics.

pub mod audit;
pub mod bundled;
pub mod cli;
pub mod data;
pub mod drill;
pub mod exit;
pub mod generator;
pub mod grade;
pub mod input;
pub mod limits;
pub mod monte_carlo;
pub mod picture;
pub mod plan;
pub mod report;
pub mod response;
pub mod schema;
pub mod simulation;
pub mod spof;
pub mod timing;
pub mod topology;
pub mod triage;
