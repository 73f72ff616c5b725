//! Writing reports without damaging what is already there.
//!
//! Before anything is simulated, [`check_out_dir`] makes sure every report directory
//! can be written: the output directory is a directory; any `<out>/<drill id>` already
//! there is an earlier report (it holds nothing but report files), never somebody's own
//! files; and an earlier report is replaced only with `--force`, unless it was written
//! by the same command from the same inputs, in which case it is kept if the new one is
//! byte for byte the same.
//!
//! [`write_all`] then writes every report into a staging directory inside `<out>` and
//! only when all are complete moves each into place with a rename. A failure, or an
//! interruption before the moves, removes the staging directory and leaves the earlier
//! reports as they were; a failure during the moves puts back the ones already moved.

use std::io;
use std::path::{Path, PathBuf};

use super::Report;

/// The files a report directory may hold; a directory holding anything else is not a
/// report of drillsim's and is never replaced.
pub const REPORT_FILES: [&str; 6] =
    ["report.md", "report.json", "timeline.svg", "recovery.svg", "band.svg", "critical-path.svg"];

/// Prefix of the staging directories inside `<out>`; one left behind by a killed run
/// holds nothing of value and is removed by the next run.
pub(crate) const STAGING_PREFIX: &str = ".drillsim-staging-";

/// A report about to be written: what identifies the run that writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub id: String,
    pub command: String,
    pub version: String,
    pub drill_sha256: String,
    pub topology_sha256: String,
}

/// What became of one report directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// There was none; it was written.
    New,
    /// An earlier report was replaced (`--force`).
    Replaced,
    /// The earlier report was byte for byte the new one and was left untouched.
    Unchanged,
}

/// Why the reports were not written; in every case no earlier report was changed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Io(#[from] io::Error),
    /// An earlier report differs from the new one and `--force` was not given.
    #[error(
        "'{0}' holds a report that differs from the new one, although written by the same \
         command from the same inputs (another build of drillsim?); pass --force to replace it"
    )]
    WouldReplace(PathBuf),
    /// The run was interrupted before any report was moved into place.
    #[error("interrupted before any report was moved into place")]
    Interrupted,
}

/// Checks that the reports `planned` can be written under `out` without replacing
/// anything but earlier reports, and those only with `force` or when they come from
/// the same command and inputs; the message says what is in the way.
pub fn check_out_dir(out: &Path, planned: &[Planned], force: bool) -> Result<(), String> {
    check_creatable(out)?;
    for plan in planned {
        let target = out.join(&plan.id);
        if !target.exists() {
            continue;
        }
        check_is_report(&target)?;
        if !force && !is_empty(&target) && !same_run(&target, plan) {
            return Err(format!(
                "'{}' holds an earlier report{}; pass --force to replace it, or choose another \
                 --out",
                target.display(),
                earlier_command(&target)
                    .map(|c| format!(" (written by `{c}`)"))
                    .unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// Checks that `out` is a directory, or can be made one: its nearest existing
/// ancestor is a directory.
pub(crate) fn check_creatable(out: &Path) -> Result<(), String> {
    if out.exists() && !out.is_dir() {
        return Err(format!("--out '{}' exists and is not a directory", out.display()));
    }
    let mut ancestor = out.parent();
    while let Some(dir) = ancestor.filter(|d| !d.as_os_str().is_empty()) {
        if dir.exists() {
            if !dir.is_dir() {
                let message = format!(
                    "--out '{}' cannot be made: '{}' is not a directory",
                    out.display(),
                    dir.display()
                );
                return Err(message);
            }
            break;
        }
        ancestor = dir.parent();
    }
    Ok(())
}

/// Refuses a directory that holds anything drillsim did not write: files of other
/// names, files of report names without a report.json that drillsim wrote, or a
/// symbolic link in place of the directory.
fn check_is_report(target: &Path) -> Result<(), String> {
    let link = std::fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink());
    if link {
        return Err(format!(
            "'{}' is a symbolic link; drillsim replaces only report directories it wrote: \
             move it away or choose another --out",
            target.display()
        ));
    }
    if !target.is_dir() {
        return Err(format!(
            "'{}' exists and is not a report directory; move it away or choose another --out",
            target.display()
        ));
    }
    let entries = std::fs::read_dir(target)
        .map_err(|e| format!("cannot read '{}': {e}", target.display()))?;
    for entry in entries {
        let name = entry.map_err(|e| e.to_string())?.file_name();
        if !REPORT_FILES.iter().any(|f| name == *f) {
            return Err(format!(
                "'{}' holds '{}', which drillsim did not write; it replaces only its own \
                 reports: move the directory away or choose another --out",
                target.display(),
                name.to_string_lossy()
            ));
        }
    }
    let ours = earlier_command(target).is_some_and(|c| c.starts_with("drillsim "));
    if !is_empty(target) && !ours {
        return Err(format!(
            "'{}' holds files named like a report's but no report.json that drillsim wrote; \
             move the directory away or choose another --out",
            target.display()
        ));
    }
    Ok(())
}

/// Whether `dir` is a directory with nothing in it (replacing it loses nothing).
fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// Whether the report in `target` was written by the planned command, from the same
/// inputs, by the same version of drillsim.
fn same_run(target: &Path, plan: &Planned) -> bool {
    let Some(json) = earlier_json(target) else {
        return false;
    };
    let field = |pointer: &str| json.pointer(pointer).and_then(|v| v.as_str());
    field("/command") == Some(&plan.command)
        && field("/version") == Some(&plan.version)
        && field("/drill/sha256") == Some(&plan.drill_sha256)
        && field("/topology/sha256") == Some(&plan.topology_sha256)
}

fn earlier_json(target: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(target.join("report.json")).ok()?;
    serde_json::from_str(&text).ok()
}

fn earlier_command(target: &Path) -> Option<String> {
    Some(earlier_json(target)?.get("command")?.as_str()?.to_owned())
}

/// Writes every report into `<out>/<drill id>/`, all or nothing, and says what became
/// of each. `force` allows replacing earlier reports that differ; `interrupted` is asked
/// once every report is staged, before the first is moved into place.
pub fn write_all(
    reports: &[Report],
    out: &Path,
    force: bool,
    interrupted: &dyn Fn() -> bool,
) -> Result<Vec<Written>, WriteError> {
    in_staging(out, |staging| {
        stage(reports, staging)?;
        let fates = fates(reports, staging, out, force)?;
        if interrupted() {
            return Err(WriteError::Interrupted);
        }
        swap_in(reports, &fates, staging, out)?;
        Ok(fates)
    })
}

/// Runs `write` with a fresh staging directory inside `out` (made if need be), then
/// removes the staging directory; if `write` fails, an `out` made here and left empty
/// is removed too.
pub(crate) fn in_staging<T>(
    out: &Path,
    write: impl FnOnce(&Path) -> Result<T, WriteError>,
) -> Result<T, WriteError> {
    let created = !out.exists();
    std::fs::create_dir_all(out)?;
    remove_stale_staging(out);
    let staging = out.join(format!("{STAGING_PREFIX}{}", std::process::id()));

    let written = std::fs::create_dir(&staging).map_err(WriteError::from).and_then(|()| {
        let written = write(&staging);
        let cleaned = std::fs::remove_dir_all(&staging);
        let value = written?;
        cleaned?;
        Ok(value)
    });
    if written.is_err() && created {
        let _ = std::fs::remove_dir(out);
    }
    written
}

/// Removes staging directories left behind by runs that were killed while writing:
/// those whose process is gone (known from `/proc`; where there is none, nothing is
/// removed).
pub(crate) fn remove_stale_staging(out: &Path) {
    let proc = Path::new("/proc");
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    if !proc.join("self").exists() {
        return;
    }
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(STAGING_PREFIX) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !proc.join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes every report into the staging directory.
fn stage(reports: &[Report], staging: &Path) -> io::Result<()> {
    for report in reports {
        let dir = staging.join(&report.drill.id);
        std::fs::create_dir(&dir)?;
        report.write_files(&dir)?;
    }
    Ok(())
}

/// Decides, before anything moves, what becomes of each report directory.
fn fates(
    reports: &[Report],
    staging: &Path,
    out: &Path,
    force: bool,
) -> Result<Vec<Written>, WriteError> {
    let mut fates = Vec::with_capacity(reports.len());
    for report in reports {
        let target = out.join(&report.drill.id);
        let fate = if !target.exists() || is_empty(&target) {
            Written::New
        } else if same_files(&staging.join(&report.drill.id), &target)? {
            Written::Unchanged
        } else if force {
            Written::Replaced
        } else {
            return Err(WriteError::WouldReplace(target));
        };
        fates.push(fate);
    }
    Ok(fates)
}

/// Whether two report directories hold the same files with the same bytes.
fn same_files(new: &Path, old: &Path) -> io::Result<bool> {
    for name in REPORT_FILES {
        let (a, b) = (new.join(name), old.join(name));
        match (a.exists(), b.exists()) {
            (false, false) => continue,
            (true, true) if std::fs::read(&a)? == std::fs::read(&b)? => continue,
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Moves each new or changed report into place, an earlier report aside first; if one
/// move fails, the reports already moved are put back as they were, and the error
/// names the drill.
fn swap_in(reports: &[Report], fates: &[Written], staging: &Path, out: &Path) -> io::Result<()> {
    let mut done: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for (report, fate) in reports.iter().zip(fates) {
        if *fate == Written::Unchanged {
            continue;
        }
        let target = out.join(&report.drill.id);
        let old = target.exists().then(|| staging.join(format!("old-{}", report.drill.id)));
        let moved = swap_one(&staging.join(&report.drill.id), &target, old.as_deref());
        if let Err(e) = moved {
            roll_back(&done);
            let message = format!("report {} ({e}); no report was replaced", report.drill.id);
            return Err(io::Error::new(e.kind(), message));
        }
        done.push((target, old));
    }
    Ok(())
}

/// Moves `new` (a file or a directory) to `target`, moving what is there to `old`
/// first; if the second move fails, the first is undone.
pub(crate) fn swap_one(new: &Path, target: &Path, old: Option<&Path>) -> io::Result<()> {
    if let Some(old) = old {
        std::fs::rename(target, old)?;
    }
    let moved = std::fs::rename(new, target);
    if moved.is_err()
        && let Some(old) = old
    {
        let _ = std::fs::rename(old, target);
    }
    moved
}

/// Puts the earlier reports (or files) back in place of the new ones already moved.
pub(crate) fn roll_back(done: &[(PathBuf, Option<PathBuf>)]) {
    for (target, old) in done.iter().rev() {
        let _ = if target.is_dir() {
            std::fs::remove_dir_all(target)
        } else {
            std::fs::remove_file(target)
        };
        if let Some(old) = old {
            let _ = std::fs::rename(old, target);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundled;
    use crate::drill::DrillFile;
    use crate::input::SourceFile;
    use crate::monte_carlo;
    use crate::report::Provenance;
    use crate::topology::Topology;

    /// The report of the bundled drill A5 after `runs` runs.
    fn report(runs: u32) -> Report {
        let (label, text) = bundled::TOPOLOGY;
        let topology =
            Topology::load(&SourceFile::from_bytes(label.into(), text.as_bytes()).unwrap())
                .unwrap();
        let (label, text) = bundled::DRILLS.iter().find(|(l, _)| l.contains("/a5-")).unwrap();
        let source = SourceFile::from_bytes((*label).into(), text.as_bytes()).unwrap();
        let drill = DrillFile::load(source).unwrap().bind(&topology).unwrap();
        let outcome = monte_carlo::simulate(&topology, &drill, runs, 1);
        let provenance =
            Provenance { seed: 1, runs, version: "test".into(), command: "test".into() };
        Report::build(&topology, &drill, &outcome, &provenance)
    }

    fn never() -> bool {
        false
    }

    #[test]
    fn the_same_report_again_is_left_untouched_and_a_different_one_needs_force() {
        let out = tempfile::tempdir().unwrap();
        let first = [report(20)];
        assert_eq!(write_all(&first, out.path(), false, &never).unwrap(), [Written::New]);
        assert_eq!(write_all(&first, out.path(), false, &never).unwrap(), [Written::Unchanged]);

        let other = [report(30)];
        let refused = write_all(&other, out.path(), false, &never).unwrap_err();
        assert!(matches!(refused, WriteError::WouldReplace(_)), "{refused}");
        let json = std::fs::read_to_string(out.path().join("A5/report.json")).unwrap();
        assert!(json.contains("\"runs\": 20"), "the earlier report was changed");

        assert_eq!(write_all(&other, out.path(), true, &never).unwrap(), [Written::Replaced]);
        let json = std::fs::read_to_string(out.path().join("A5/report.json")).unwrap();
        assert!(json.contains("\"runs\": 30"));
    }

    #[test]
    fn an_interruption_while_writing_leaves_the_earlier_report_and_no_staging() {
        let out = tempfile::tempdir().unwrap();
        write_all(&[report(20)], out.path(), false, &never).unwrap();
        let before = std::fs::read(out.path().join("A5/report.json")).unwrap();

        let result = write_all(&[report(30)], out.path(), true, &|| true);
        assert!(matches!(result, Err(WriteError::Interrupted)));
        assert_eq!(std::fs::read(out.path().join("A5/report.json")).unwrap(), before);
        let names: Vec<_> = std::fs::read_dir(out.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "only A5 is left: {names:?}");
    }

    #[test]
    fn a_staging_directory_of_a_killed_run_is_removed() {
        let out = tempfile::tempdir().unwrap();
        // No process has this number: Linux's pid_max is at most 2^22
        let stale = out.path().join(format!("{STAGING_PREFIX}99999999"));
        std::fs::create_dir_all(stale.join("A5")).unwrap();
        write_all(&[report(20)], out.path(), false, &never).unwrap();
        assert!(!stale.exists());
    }
}
