//! Input files, as read from disk or from the bundle, and the problems found in them.
//!
//! Every problem points at a file, a line and a column (1-based, columns counted in
//! characters) and, where there is one, the offending key or id. Loaders collect every
//! problem they find and report them all at once.

use std::fmt;
use std::io::Read as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::limits::{self, raise_hint};

/// One input file: its label (the path as the user gave it, or `bundled:...`), its text
/// and the SHA-256 of its bytes, which reports carry so that a reader can check them.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub label: String,
    pub text: String,
    pub sha256: String,
}

impl SourceFile {
    /// Reads a file from disk, refusing files that are too large (the `file-size`
    /// limit of [`crate::limits`]) or not UTF-8.
    pub fn read(path: &Path) -> Result<SourceFile, Problems> {
        let label = path.display().to_string();
        let whole_file = |message: String| Problems::one(Problem::whole_file(&label, message));
        let limit = limits::current().file_bytes;
        let too_large = |size: String, needed: String| {
            let message = format!("file is {size}, larger than the limit of {limit} bytes");
            let hint = raise_hint("file-size", needed);
            Problems::one(Problem::whole_file(&label, message).with_hint(hint))
        };

        let metadata =
            std::fs::metadata(path).map_err(|e| whole_file(format!("cannot read: {e}")))?;
        if !metadata.is_file() {
            return Err(whole_file("not a regular file (a directory, device or pipe)".into()));
        }
        if metadata.len() > limit {
            return Err(too_large(format!("{} bytes", metadata.len()), metadata.len().to_string()));
        }

        // Read at most one byte past the limit, in case the file grows meanwhile
        let file =
            std::fs::File::open(path).map_err(|e| whole_file(format!("cannot read: {e}")))?;
        let mut bytes = Vec::new();
        file.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| whole_file(format!("cannot read: {e}")))?;
        if bytes.len() as u64 > limit {
            return Err(too_large("more than that".to_owned(), "BYTES".to_owned()));
        }
        SourceFile::from_bytes(label, &bytes)
    }

    /// Builds a source from bytes already in memory (used for bundled files and tests).
    pub fn from_bytes(label: String, bytes: &[u8]) -> Result<SourceFile, Problems> {
        let sha256 = hex(&Sha256::digest(bytes));
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile { label, text: text.to_owned(), sha256 }),
            Err(e) => {
                let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
                let partial = SourceFile { label, text: valid.to_owned(), sha256 };
                let problem = partial.problem_at(
                    e.valid_up_to(),
                    None,
                    "file is not valid UTF-8 text".to_owned(),
                );
                Err(Problems::one(problem))
            }
        }
    }

    /// Line and column (1-based, in characters) of a byte offset in the text.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    /// A problem located at a byte offset of this file.
    pub fn problem_at(&self, offset: usize, key: Option<&str>, message: String) -> Problem {
        let (line, column) = self.position(offset);
        Problem {
            file: self.label.clone(),
            line,
            column,
            key: key.map(str::to_owned),
            message,
            hint: None,
        }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Lower-case hexadecimal rendering of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One thing wrong with an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole file
    pub line: usize,
    /// 1-based column in characters; 0 when the problem concerns the whole file
    pub column: usize,
    /// The offending key or id, when there is one.
    pub key: Option<String>,
    pub message: String,
    /// A likely fix, such as the closest valid id.
    pub hint: Option<String>,
}

impl Problem {
    /// A problem about the file as a whole (it cannot be read, it is too large, ...).
    pub fn whole_file(file: &str, message: String) -> Problem {
        Problem { file: file.to_owned(), line: 0, column: 0, key: None, message, hint: None }
    }

    /// Adds a hint, shown after the message.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: ", self.file)?;
        } else {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        }
        if let Some(key) = &self.key {
            write!(f, "'{key}': ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one load, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn one(problem: Problem) -> Problems {
        Problems(vec![problem])
    }

    pub fn push(&mut self, problem: Problem) {
        self.0.push(problem);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when no problem was found, the problems sorted by position otherwise.
    pub fn into_result<T>(mut self, value: T) -> Result<T, Problems> {
        if self.0.is_empty() {
            return Ok(value);
        }
        self.0.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        self.0.dedup();
        Err(self)
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// The closest of `candidates` to `wrong`, offered as "did you mean ...?" when close enough.
pub fn suggestion<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let best = candidates
        .into_iter()
        .map(|c| (strsim::normalized_damerau_levenshtein(wrong, c), c))
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))?;
    Some(format!("did you mean '{}'?", best.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> SourceFile {
        SourceFile::from_bytes("t.toml".into(), text.as_bytes()).unwrap()
    }

    #[test]
    fn position_counts_lines_and_characters_from_one() {
        let file = source("a = 1\nbé = 2\n");
        assert_eq!(file.position(0), (1, 1));
        assert_eq!(file.position(6), (2, 1));
        assert_eq!(file.position(9), (2, 3), "é is one column although two bytes");
    }

    #[test]
    fn non_utf8_bytes_are_located() {
        let problems = SourceFile::from_bytes("x.toml".into(), b"a = 1\nb = \"\xff\"").unwrap_err();
        assert_eq!(problems.0[0].line, 2);
        assert_eq!(problems.0[0].column, 6);
        assert!(problems.to_string().contains("not valid UTF-8"));
    }

    #[test]
    fn suggestion_finds_a_near_id_and_ignores_far_ones() {
        let ids = ["lvs-relay2", "shahe"];
        assert_eq!(suggestion("lvs-relay-2", ids).as_deref(), Some("did you mean 'lvs-relay2'?"));
        assert_eq!(suggestion("zzz", ids), None);
    }
}
