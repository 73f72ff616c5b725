//! Any text as a percentage: a ratio 0-1, or a message, never a panic; a ratio that
//! parses grades for every business.
#![no_main]

use drillsim::grade::{Business, grade, parse_percent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match parse_percent(text) {
        Ok(ratio) => {
            assert!((0.0..=1.0).contains(&ratio), "{text:?} gave {ratio}");
            for business in [Business::Payment, Business::Clearing, Business::NonKey] {
                let _ = grade(business, ratio, 3600.0);
            }
        }
        Err(message) => assert!(!message.is_empty()),
    }
});
