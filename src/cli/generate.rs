//! `drillsim gen`: a generated topology of a given size, as TOML (module `generate`,
//! since `gen` is a keyword of Rust 2024).

use std::io::Write as _;

use super::{Failure, GenArgs, output};
use crate::exit;
use crate::generator;
use crate::limits::{self, raise_hint};

pub(super) fn generate(args: &GenArgs) -> Result<u8, Failure> {
    let limit = limits::current().elements;
    if args.components as usize > limit {
        return Err(Failure::Usage(format!(
            "--components {} is more than the limit of {limit} elements of a topology; {}",
            args.components,
            raise_hint("elements", args.components)
        )));
    }
    let text = generator::generate(args.components as usize, args.seed);
    match &args.out {
        Some(path) => output::write_file(path, text.as_bytes(), args.force)?,
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
    Ok(exit::SUCCESS)
}
