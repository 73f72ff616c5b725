//! Writing reports without damaging what is already there.
//!
//! Before anything is simulated, [`check_out_dir`] makes sure every report directory
//! can be written: the output directory is a directory, and any `<out>/<drill id>`
//! already there is an earlier report (it holds nothing but report files), never
//! somebody's own files. [`write_all`] then writes every report into a staging
//! directory inside `<out>` and only when all are complete moves each into place,
//! replacing the earlier report; a failure removes the staging directory and leaves the
//! earlier reports as they were.

use std::io;
use std::path::{Path, PathBuf};

use super::Report;

/// The files a report directory may hold; a directory holding anything else is not a
/// report of drillsim's and is never replaced.
pub const REPORT_FILES: [&str; 6] =
    ["report.md", "report.json", "timeline.svg", "recovery.svg", "band.svg", "critical-path.svg"];

/// Checks that the reports of `ids` can be written under `out` without replacing
/// anything but earlier reports; the message says what is in the way.
pub fn check_out_dir(out: &Path, ids: &[&str]) -> Result<(), String> {
    if out.exists() && !out.is_dir() {
        return Err(format!("--out '{}' exists and is not a directory", out.display()));
    }
    for id in ids {
        let target = out.join(id);
        if !target.exists() {
            continue;
        }
        if !target.is_dir() {
            return Err(format!(
                "'{}' exists and is not a report directory; move it away or choose another --out",
                target.display()
            ));
        }
        let entries = std::fs::read_dir(&target)
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
    }
    Ok(())
}

/// Writes every report into `<out>/<drill id>/`, all or nothing.
pub fn write_all(reports: &[Report], out: &Path) -> io::Result<()> {
    std::fs::create_dir_all(out)?;
    let staging = out.join(format!(".drillsim-staging-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    std::fs::create_dir(&staging)?;
    let written = stage(reports, &staging).and_then(|()| swap_in(reports, &staging, out));
    let cleaned = std::fs::remove_dir_all(&staging);
    written.and(cleaned)
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

/// Moves each staged report into place, an earlier report aside first; if one move
/// fails, the reports already moved are put back as they were, and the error names
/// the drill.
fn swap_in(reports: &[Report], staging: &Path, out: &Path) -> io::Result<()> {
    let mut done: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for report in reports {
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
    for (_, old) in done {
        if let Some(old) = old {
            std::fs::remove_dir_all(old)?;
        }
    }
    Ok(())
}

fn swap_one(new: &Path, target: &Path, old: Option<&Path>) -> io::Result<()> {
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

/// Puts the earlier reports back in place of the new ones already moved.
fn roll_back(done: &[(PathBuf, Option<PathBuf>)]) {
    for (target, old) in done.iter().rev() {
        let _ = std::fs::remove_dir_all(target);
        if let Some(old) = old {
            let _ = std::fs::rename(old, target);
        }
    }
}
