//! Writing one output file (`gen -o`, `graph -o`) without damaging what is there: an
//! existing file is replaced only with `--force`, and the new one is written beside it
//! under a temporary name, then renamed over it, so that a reader never sees half a
//! file and a failed write leaves the earlier one as it was.

use std::io::Write as _;
use std::path::Path;

use super::Failure;

/// Writes `bytes` to `path`, refusing an existing file unless `force`.
pub(super) fn write_file(path: &Path, bytes: &[u8], force: bool) -> Result<(), Failure> {
    if path.is_dir() {
        return Err(Failure::Usage(format!("'{}' is a directory", path.display())));
    }
    if path.exists() && !force {
        return Err(Failure::Usage(format!(
            "'{}' exists; pass --force to replace it, or choose another file",
            path.display()
        )));
    }

    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let failed =
        |e: std::io::Error| Failure::Write(format!("cannot write '{}': {e}", path.display()));
    let mut staged = staging_file(dir).map_err(failed)?;
    staged.write_all(bytes).map_err(failed)?;
    staged.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// A temporary file in `dir` created as an ordinary file would be: readable by all
/// unless the umask says otherwise (a temporary file is otherwise its owner's only).
fn staging_file(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.prefix(".drillsim-").tempfile_in(dir)
}
