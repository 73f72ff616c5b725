//! Writing an audit without damaging what is already there.
//!
//! The same rules as for the reports ([`crate::report::write_all`]): before anything
//! is simulated, [`check_audit_dir`] makes sure the output directory is absent, empty
//! or an earlier audit (it holds nothing but audit files); [`write_audit`] then writes
//! every file into a staging directory inside it and only when all are complete moves
//! them into place, earlier files aside first, so that a failure leaves the earlier
//! audit as it was.

use std::io;
use std::path::{Path, PathBuf};

use super::{Audit, html, markdown};

/// The files an audit directory may hold; a directory holding anything else is not an
/// audit of drillsim's and is never written into.
pub const AUDIT_FILES: [&str; 3] = ["audit.html", "audit.md", "audit.json"];

/// Names of staging directories a write cut short may have left behind.
const STAGING: &str = ".drillsim-staging-";

/// Checks that an audit can be written into `out` without replacing anything but an
/// earlier audit; the message says what is in the way.
pub fn check_audit_dir(out: &Path) -> Result<(), String> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(format!("--out '{}' exists and is not a directory", out.display()));
    }
    let entries =
        std::fs::read_dir(out).map_err(|e| format!("cannot read '{}': {e}", out.display()))?;
    for entry in entries {
        let name = entry.map_err(|e| e.to_string())?.file_name();
        let ours =
            AUDIT_FILES.iter().any(|f| name == *f) || name.to_string_lossy().starts_with(STAGING);
        if !ours {
            return Err(format!(
                "'{}' holds '{}', which drillsim audit did not write; it replaces only its own \
                 audit: choose an empty or new --out",
                out.display(),
                name.to_string_lossy()
            ));
        }
    }
    Ok(())
}

/// Writes `audit.html`, `audit.md` and `audit.json` into `out`, all or nothing.
pub fn write_audit(audit: &Audit, out: &Path) -> io::Result<()> {
    let files = [
        (AUDIT_FILES[0], html(audit)),
        (AUDIT_FILES[1], markdown(audit)),
        (AUDIT_FILES[2], audit.json()),
    ];
    std::fs::create_dir_all(out)?;
    let staging = out.join(format!("{STAGING}{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    std::fs::create_dir(&staging)?;
    let written = stage(&files, &staging).and_then(|()| swap_in(&files, &staging, out));
    let cleaned = std::fs::remove_dir_all(&staging);
    written.and(cleaned)
}

fn stage(files: &[(&str, String)], staging: &Path) -> io::Result<()> {
    for (name, text) in files {
        std::fs::write(staging.join(name), text)?;
    }
    Ok(())
}

/// Moves each staged file into place, an earlier one aside first; if one move fails,
/// the files already moved are put back as they were.
fn swap_in(files: &[(&str, String)], staging: &Path, out: &Path) -> io::Result<()> {
    let mut done: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for (name, _) in files {
        let target = out.join(name);
        let old = target.exists().then(|| staging.join(format!("old-{name}")));
        if let Err(e) = swap_one(&staging.join(name), &target, old.as_deref()) {
            roll_back(&done);
            let message = format!("{name} ({e}); the earlier audit was left as it was");
            return Err(io::Error::new(e.kind(), message));
        }
        done.push((target, old));
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

/// Puts the earlier files back in place of the new ones already moved.
fn roll_back(done: &[(PathBuf, Option<PathBuf>)]) {
    for (target, old) in done.iter().rev() {
        let _ = std::fs::remove_file(target);
        if let Some(old) = old {
            let _ = std::fs::rename(old, target);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_dir_holding_other_files_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_audit_dir(&dir.path().join("new")).is_ok());
        assert!(check_audit_dir(dir.path()).is_ok(), "an empty directory is fine");
        std::fs::write(dir.path().join("audit.html"), "earlier").unwrap();
        assert!(check_audit_dir(dir.path()).is_ok(), "an earlier audit is replaced");
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let refused = check_audit_dir(dir.path()).unwrap_err();
        assert!(refused.contains("'notes.txt'"), "{refused}");
    }
}
