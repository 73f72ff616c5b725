//! Any text as a duration: seconds within the limit, or a message, never a panic; a
//! duration that parses renders for people and grades.
#![no_main]

use drillsim::grade::{Business, grade};
use drillsim::limits;
use drillsim::timing::{human, parse_duration};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match parse_duration(text) {
        Ok(seconds) => {
            assert!(seconds.is_finite() && seconds >= 0.0, "{text:?} gave {seconds}");
            assert!(seconds <= limits::current().duration_s, "{text:?} is past the limit");
            assert!(!human(seconds).is_empty());
            let _ = grade(Business::Payment, 0.5, seconds);
        }
        Err(message) => assert!(!message.is_empty()),
    }
});
