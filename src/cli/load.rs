//! Reading and checking every input before anything is simulated: drill files (given,
//! or the bundle), the topologies they run on, and directories expanded in natural order.

use std::path::{Path, PathBuf};

use super::Failure;
use crate::bundled;
use crate::drill::{Drill, DrillFile};
use crate::input::{Problem, Problems, SourceFile, suggestion};
use crate::topology::Topology;

/// A drill ready to run, with the topology it runs on.
pub(super) struct Loaded {
    pub(super) drill: Drill,
    pub(super) topology: usize,
}
pub(super) struct Inputs {
    pub(super) topologies: Vec<Topology>,
    pub(super) drills: Vec<Loaded>,
    /// Label of the topology given with --topology, for the reproduce command.
    pub(super) topology_flag: Option<String>,
}
/// Reads the given files (directories expanded to their `.toml` files, sorted) or, with
/// no path, the bundled drills.
pub(super) fn drill_sources(paths: &[PathBuf]) -> Result<Vec<SourceFile>, Problems> {
    if paths.is_empty() {
        return bundled::DRILLS
            .iter()
            .map(|(label, text)| SourceFile::from_bytes((*label).to_owned(), text.as_bytes()))
            .collect();
    }
    read_all(&expand(paths)?)
}
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Problems> {
    let mut files = Vec::new();
    let mut problems = Problems::default();
    for path in paths {
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
                        .collect();
                    found.sort_by_key(|p| natural_key(&p.to_string_lossy()));
                    if found.is_empty() {
                        problems.push(Problem::whole_file(
                            &path.display().to_string(),
                            "directory holds no .toml file".into(),
                        ));
                    }
                    files.extend(found);
                }
                Err(e) => problems.push(Problem::whole_file(
                    &path.display().to_string(),
                    format!("cannot read directory: {e}"),
                )),
            }
        } else if path.exists() {
            files.push(path.clone());
        } else {
            problems.push(Problem::whole_file(
                &path.display().to_string(),
                "no such file or directory".into(),
            ));
        }
    }
    problems.into_result(files)
}
fn read_all(files: &[PathBuf]) -> Result<Vec<SourceFile>, Problems> {
    let mut sources = Vec::new();
    let mut problems = Problems::default();
    for file in files {
        match SourceFile::read(file) {
            Ok(source) => sources.push(source),
            Err(p) => problems.0.extend(p.0),
        }
    }
    problems.into_result(sources)
}
/// Sorts the given files into topologies and drills by their top-level table.
pub(super) fn split_kinds(
    paths: &[PathBuf],
) -> Result<(Vec<SourceFile>, Vec<SourceFile>), Problems> {
    if paths.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut topologies = Vec::new();
    let mut drills = Vec::new();
    let mut problems = Problems::default();
    for source in read_all(&expand(paths)?)? {
        let table = match crate::topology::parse_toml::<toml::Table>(&source) {
            Ok(table) => table,
            Err(p) => {
                // Leave the file to its own loader where its header says what it is, for
                // the loader's more precise message
                let first_table = source.text.lines().map(str::trim).find(|l| l.starts_with('['));
                match first_table {
                    Some("[topology]") => topologies.push(source),
                    Some("[drill]") => drills.push(source),
                    _ => problems.0.extend(p.0),
                }
                continue;
            }
        };
        match kind_of(&table) {
            Some(FileKind::Topology) => topologies.push(source),
            Some(FileKind::Drill) => drills.push(source),
            None => problems.push(neither(&source, &table)),
        }
    }
    problems.into_result((topologies, drills))
}

/// What a file is, by its top-level tables.
enum FileKind {
    Topology,
    Drill,
}

/// Top-level tables that only a drill has, and only a topology has.
const DRILL_TABLES: [&str; 3] = ["drill", "fault", "expect"];
const TOPOLOGY_TABLES: [&str; 6] = ["topology", "layer", "site", "service", "flow", "mechanism"];

/// The kind of file its header table names, or failing that its other tables, so that
/// a file with a mistyped header is still checked as what it is.
fn kind_of(table: &toml::Table) -> Option<FileKind> {
    let has = |names: &[&str]| names.iter().any(|n| table.contains_key(*n));
    match (table.contains_key("topology"), table.contains_key("drill")) {
        (true, false) => Some(FileKind::Topology),
        (false, true) => Some(FileKind::Drill),
        _ if has(&TOPOLOGY_TABLES[1..]) && !has(&DRILL_TABLES) => Some(FileKind::Topology),
        _ if has(&DRILL_TABLES[1..]) && !has(&TOPOLOGY_TABLES) => Some(FileKind::Drill),
        _ => None,
    }
}

/// The problem of a file that is neither kind, with the closest header if one is near.
fn neither(source: &SourceFile, table: &toml::Table) -> Problem {
    let message =
        "neither a topology (no [topology] table) nor a drill (no [drill] table)".to_owned();
    let near = table.keys().find_map(|k| suggestion(k, ["topology", "drill"]));
    match near {
        Some(hint) => Problem::whole_file(&source.label, message).with_hint(hint),
        None => Problem::whole_file(&source.label, message),
    }
}
/// The topology file given, or the bundled reference topology.
pub(super) fn topology(path: Option<&Path>) -> Result<Topology, Problems> {
    match path {
        Some(path) => Topology::load(&SourceFile::read(path)?),
        None => Ok(bundled_topology()),
    }
}
fn bundled_topology() -> Topology {
    let (label, text) = bundled::TOPOLOGY;
    let source = SourceFile::from_bytes(label.to_owned(), text.as_bytes())
        .expect("the bundled topology is UTF-8");
    Topology::load(&source).unwrap_or_else(|p| panic!("the bundled topology is invalid:\n{p}"))
}
/// Loads drills (given, or the bundle) and the topologies they run on, and binds them.
pub(super) fn load(paths: &[PathBuf], topology_flag: Option<&Path>) -> Result<Inputs, Failure> {
    let sources = drill_sources(paths)?;
    let labels: Vec<PathBuf> = sources.iter().map(|s| PathBuf::from(&s.label)).collect();
    load_files(sources, &labels, topology_flag)
}
/// Topologies loaded so far, by label, so that each file is read once.
#[derive(Default)]
struct TopologyCache {
    /// Each label read so far, with its topology, or None when it did not load.
    entries: Vec<(String, Option<Topology>)>,
}

impl TopologyCache {
    /// The index of the topology with this label, loading it on first use; None (and
    /// problems, the first time) when it does not load.
    fn get(
        &mut self,
        label: String,
        problems: &mut Problems,
        load: impl FnOnce() -> Result<Topology, Problems>,
    ) -> Option<usize> {
        if let Some(i) = self.entries.iter().position(|(l, _)| *l == label) {
            return self.entries[i].1.is_some().then_some(i);
        }
        let topology = load().map_err(|p| problems.0.extend(p.0)).ok();
        let loaded = topology.is_some();
        self.entries.push((label, topology));
        loaded.then(|| self.entries.len() - 1)
    }

    fn topology(&self, i: usize) -> &Topology {
        self.entries[i].1.as_ref().expect("get() hands out only indices of loaded topologies")
    }

    /// The loaded topologies; indices handed out by `get` stay valid because a failed
    /// load stops the run before any index is used.
    fn into_topologies(self) -> Vec<Topology> {
        self.entries.into_iter().flat_map(|(_, t)| t).collect()
    }
}

pub(super) fn load_files(
    sources: Vec<SourceFile>,
    paths: &[PathBuf],
    topology_flag: Option<&Path>,
) -> Result<Inputs, Failure> {
    let mut problems = Problems::default();
    let mut cache = TopologyCache::default();

    // The topology of --topology, if given, serves every drill
    let flag_index = topology_flag.map(|path| {
        let label = path.display().to_string();
        cache.get(label, &mut problems, || Topology::load(&SourceFile::read(path)?))
    });

    let mut drills = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    for (source, path) in sources.into_iter().zip(paths) {
        let file = match DrillFile::load(source) {
            Ok(file) => file,
            Err(p) => {
                problems.0.extend(p.0);
                continue;
            }
        };
        if let Some((_, first)) = seen.iter().find(|(id, _)| id == file.id()) {
            if *first == file.source.label {
                let message = format!("file {first} is given twice");
                problems.push(Problem::whole_file(first, message));
                continue;
            }
            let message = format!(
                "drill id '{}' is also the id of {first}; each drill needs its own id (it \
                 names its report directory)",
                file.id()
            );
            problems.push(file.problem_at_id(message));
            continue;
        }
        seen.push((file.id().to_owned(), file.source.label.clone()));
        let index = match (&flag_index, file.topology_path()) {
            (Some(index), _) => *index,
            (None, Some(relative)) => {
                let path = path.parent().unwrap_or(Path::new(".")).join(relative);
                if !path.is_file() {
                    let message = format!(
                        "topology file '{}' not found (the path is relative to the drill file)",
                        path.display()
                    );
                    problems.push(file.problem_at_topology(message));
                    continue;
                }
                let label = path.display().to_string();
                cache.get(label, &mut problems, || Topology::load(&SourceFile::read(&path)?))
            }
            (None, None) => {
                let (label, _) = bundled::TOPOLOGY;
                cache.get(label.to_owned(), &mut problems, || Ok(bundled_topology()))
            }
        };
        let Some(index) = index else { continue };
        match file.bind(cache.topology(index)) {
            Ok(drill) => drills.push(Loaded { drill, topology: index }),
            Err(p) => problems.0.extend(p.0),
        }
    }
    problems.into_result(())?;
    let topology_flag = topology_flag.map(|p| p.display().to_string());
    Ok(Inputs { topologies: cache.into_topologies(), drills, topology_flag })
}
/// Sort key that orders the digits in a name by their value: `a2` before `a10`.
fn natural_key(name: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut number = u64::from(c.to_digit(10).unwrap_or(0));
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                number = number.saturating_mul(10).saturating_add(u64::from(d));
                chars.next();
            }
            key.push((std::mem::take(&mut text), number));
        } else {
            text.push(c);
        }
    }
    key.push((text, 0));
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_key_orders_numbers_by_value() {
        let mut names = vec!["a10-x.toml", "a2-x.toml", "a1-x.toml", "d1.toml"];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(names, ["a1-x.toml", "a2-x.toml", "a10-x.toml", "d1.toml"]);
    }
}
