//! Writing an audit without damaging what is already there.
//!
//! The same rules as for the reports ([`crate::report::write_all`]): before anything
//! is simulated, [`check_audit_dir`] makes sure the output directory is absent, empty
//! or an earlier audit (it holds nothing but audit files), and that an earlier audit is
//! replaced only with `--force`, unless it was written by the same command from the
//! same inputs. [`write_audit`] then writes every file into a staging directory inside
//! it; an audit byte for byte the same as the earlier one is left untouched, and any
//! other is moved into place only when all its files are complete, earlier files aside
//! first, so that a failure or an interruption leaves the earlier audit as it was.

use std::io;
use std::path::{Path, PathBuf};

use super::{Audit, html, markdown};
use crate::report::write::{STAGING_PREFIX, check_creatable, in_staging, roll_back, swap_one};
use crate::report::{WriteError, Written};

/// The files an audit directory may hold; a directory holding anything else is not an
/// audit of drillsim's and is never written into.
pub const AUDIT_FILES: [&str; 3] = ["audit.html", "audit.md", "audit.json"];

/// What identifies the audit about to be written: the command that writes it, the
/// version of drillsim and the SHA-256 of every input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAudit {
    pub command: String,
    pub version: String,
    pub input_sha256: Vec<String>,
}

/// Checks that an audit can be written into `out` without replacing anything but an
/// earlier audit, and that only with `force` or when it comes from the same command
/// and inputs; the message says what is in the way.
pub fn check_audit_dir(out: &Path, planned: &PlannedAudit, force: bool) -> Result<(), String> {
    check_creatable(out)?;
    if !out.exists() {
        return Ok(());
    }
    let entries =
        std::fs::read_dir(out).map_err(|e| format!("cannot read '{}': {e}", out.display()))?;
    for entry in entries {
        let name = entry.map_err(|e| e.to_string())?.file_name();
        let ours = AUDIT_FILES.iter().any(|f| name == *f)
            || name.to_string_lossy().starts_with(STAGING_PREFIX);
        if !ours {
            return Err(format!(
                "'{}' holds '{}', which drillsim audit did not write; it replaces only its own \
                 audit: choose an empty or new --out",
                out.display(),
                name.to_string_lossy()
            ));
        }
    }
    let earlier = AUDIT_FILES.iter().any(|f| out.join(f).exists());
    if earlier && !force && !same_audit(out, planned) {
        let written_by = earlier_json(out)
            .and_then(|json| json.pointer("/provenance/command")?.as_str().map(str::to_owned))
            .map(|command| format!(" (written by `{command}`)"))
            .unwrap_or_default();
        return Err(format!(
            "'{}' holds an earlier audit{written_by}; pass --force to replace it, or choose \
             another --out",
            out.display()
        ));
    }
    Ok(())
}

/// The `audit.json` of an earlier audit in `out`, if it reads as JSON.
fn earlier_json(out: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(out.join("audit.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Whether the audit in `out` was written by the planned command, from the same
/// inputs, by the same version of drillsim.
fn same_audit(out: &Path, planned: &PlannedAudit) -> bool {
    let Some(json) = earlier_json(out) else {
        return false;
    };
    let field = |pointer: &str| json.pointer(pointer).and_then(|v| v.as_str());
    let mut inputs: Vec<String> = json
        .pointer("/provenance/inputs")
        .and_then(|v| v.as_array())
        .map(|inputs| {
            inputs.iter().filter_map(|i| i["sha256"].as_str().map(str::to_owned)).collect()
        })
        .unwrap_or_default();
    inputs.sort();
    inputs.dedup();
    let mut wanted = planned.input_sha256.clone();
    wanted.sort();
    wanted.dedup();
    field("/provenance/command") == Some(&planned.command)
        && field("/provenance/version") == Some(&planned.version)
        && inputs == wanted
}

/// Writes `audit.html`, `audit.md` and `audit.json` into `out`, all or nothing, and
/// says whether they were new, replaced or unchanged. `force` allows replacing an
/// earlier audit that differs; `interrupted` is asked before anything is moved.
pub fn write_audit(
    audit: &Audit,
    out: &Path,
    force: bool,
    interrupted: &dyn Fn() -> bool,
) -> Result<Written, WriteError> {
    let files = [
        (AUDIT_FILES[0], html(audit)),
        (AUDIT_FILES[1], markdown(audit)),
        (AUDIT_FILES[2], audit.json()),
    ];
    in_staging(out, |staging| {
        stage(&files, staging)?;
        let fate = fate(&files, out, force)?;
        if fate != Written::Unchanged {
            if interrupted() {
                return Err(WriteError::Interrupted);
            }
            swap_in(&files, staging, out)?;
        }
        Ok(fate)
    })
}

fn stage(files: &[(&str, String)], staging: &Path) -> io::Result<()> {
    for (name, text) in files {
        std::fs::write(staging.join(name), text)?;
    }
    Ok(())
}

/// Whether the audit is new, the same as the earlier one, or replaces it (`force`).
fn fate(files: &[(&str, String)], out: &Path, force: bool) -> Result<Written, WriteError> {
    if !files.iter().any(|(name, _)| out.join(name).exists()) {
        return Ok(Written::New);
    }
    let same = files
        .iter()
        .all(|(name, text)| std::fs::read(out.join(name)).is_ok_and(|b| b == text.as_bytes()));
    match (same, force) {
        (true, _) => Ok(Written::Unchanged),
        (false, true) => Ok(Written::Replaced),
        (false, false) => Err(WriteError::WouldReplace(out.to_owned())),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_dir_holding_other_files_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let planned = PlannedAudit {
            command: "drillsim audit".into(),
            version: "test".into(),
            input_sha256: vec!["ab".into()],
        };
        let check = |force| check_audit_dir(dir.path(), &planned, force);
        assert!(check_audit_dir(&dir.path().join("new"), &planned, false).is_ok());
        assert!(check(false).is_ok(), "an empty directory is fine");
        std::fs::write(dir.path().join("audit.html"), "earlier").unwrap();
        assert!(check(false).unwrap_err().contains("--force"), "an earlier audit is kept");
        let json = r#"{"provenance": {"command": "drillsim audit --runs 9 --seed 2"}}"#;
        std::fs::write(dir.path().join("audit.json"), json).unwrap();
        let refused = check(false).unwrap_err();
        assert!(
            refused.contains("an earlier audit (written by `drillsim audit --runs 9 --seed 2`)"),
            "{refused}"
        );
        assert!(check(true).is_ok(), "an earlier audit is replaced with --force");
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let refused = check(true).unwrap_err();
        assert!(refused.contains("'notes.txt'"), "{refused}");
    }
}
