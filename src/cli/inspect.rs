//! `drillsim validate` and `drillsim list`: check and list inputs without simulating.

use std::io::Write as _;
use std::path::PathBuf;

use super::load::{drill_sources, load_files, split_kinds};
use super::{Failure, ListArgs, ValidateArgs};
use crate::bundled;
use crate::drill::DrillFile;
use crate::exit;
use crate::input::{Problems, SourceFile};
use crate::topology::Topology;

pub(super) fn validate(args: &ValidateArgs) -> Result<u8, Failure> {
    // The files to check: those given, or the bundle
    let (topologies, drills) = if args.paths.is_empty() {
        let (label, text) = bundled::TOPOLOGY;
        let topology = SourceFile::from_bytes(label.to_owned(), text.as_bytes())?;
        (vec![topology], drill_sources(&[])?)
    } else {
        split_kinds(&args.paths)?
    };

    // Every topology on its own, then every drill against its topology
    let mut problems = Problems::default();
    for file in &topologies {
        if let Err(p) = Topology::load(file) {
            problems.0.extend(p.0);
        }
    }
    let files = topologies.len() + drills.len();
    if !drills.is_empty() {
        let paths: Vec<PathBuf> = drills.iter().map(|f| PathBuf::from(&f.label)).collect();
        match load_files(drills, &paths, args.topology.as_deref()) {
            Ok(_) => {}
            Err(Failure::Input(p)) => problems.0.extend(p.0),
            Err(other) => return Err(other),
        }
    }
    problems.into_result(())?;
    println!("ok: {files} file{} checked", if files == 1 { "" } else { "s" });
    Ok(exit::SUCCESS)
}
pub(super) fn list(args: &ListArgs) -> Result<u8, Failure> {
    let sources = drill_sources(&args.paths)?;
    let mut problems = Problems::default();
    let mut out = std::io::stdout().lock();
    let mut rows = Vec::new();
    for source in sources {
        let label = source.label.clone();
        match DrillFile::load(source) {
            Ok(d) => {
                rows.push((d.id().to_owned(), d.title().to_owned(), d.clause().to_owned(), label))
            }
            Err(p) => problems.0.extend(p.0),
        }
    }
    problems.into_result(())?;
    let _ = writeln!(out, "{:<5} {:<60} clause", "id", "title");
    for (id, title, clause, _) in rows {
        let title = if title.chars().count() > 60 {
            title.chars().take(59).collect::<String>() + "…"
        } else {
            title
        };
        let _ = writeln!(out, "{id:<5} {title:<60} {clause}");
    }
    Ok(exit::SUCCESS)
}
