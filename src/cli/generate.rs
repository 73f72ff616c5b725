//! `drillsim gen`: a generated topology of a given size, as TOML (module `generate`,
//! since `gen` is a keyword of Rust 2024).

use std::io::Write as _;

use super::{Failure, GenArgs, output};
use crate::exit;
use crate::generator;
use crate::input::SourceFile;
use crate::limits::{self, raise_hint};
use crate::topology::Topology;

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

    // Write only what drillsim itself accepts (a deployment past the members limit, say)
    let source = SourceFile::from_bytes("generated topology".into(), text.as_bytes())?;
    if let Err(problems) = Topology::load(&source) {
        let first = problems.0.first().map_or(String::new(), |p| p.to_string());
        return Err(Failure::Usage(format!(
            "the generated topology would be refused ({} problems; the first: {first}); \
             nothing was written",
            problems.0.len()
        )));
    }

    match &args.out {
        Some(path) => output::write_file(path, text.as_bytes(), args.force)?,
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
    Ok(exit::SUCCESS)
}
