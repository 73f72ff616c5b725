//! What the JSON Schemas of topology and drill files (`drillsim schema`) say beyond the
//! shape the derive gives: the names a loader accepts, taken from the loader's own
//! list, so that an editor flags an unknown action or kind as it is typed.
//!
//! Ranges, minimum counts and patterns are attributes on the raw types themselves,
//! next to the keys they constrain. The loaders stay the authority: the schemas catch
//! what a single value shows (an unknown name, a share over 1, no fault), not what
//! needs the rest of the file (an unknown id, shares that do not add up to 1).

use schemars::{Schema, json_schema};

/// A string that is one of `names`.
pub fn one_of(names: &[&str]) -> Schema {
    json_schema!({ "type": "string", "enum": names })
}
