//! `drillsim graph`: a picture of a topology with its single points highlighted, as
//! Graphviz DOT or SVG (Graphviz's `dot` when installed, else the built-in drawing).

use std::io::Write as _;
use std::process::{Command, Stdio};

use super::{Failure, GraphArgs, GraphFormat, Renderer, load, output};
use crate::exit;
use crate::picture::{self, Marks};
use crate::spof;

pub(super) fn graph(args: &GraphArgs) -> Result<u8, Failure> {
    let topology = load::topology(args.topology.as_deref())?;
    let (causes, cuts) = spof::cuts(&topology);
    let members: Vec<Vec<usize>> = causes.iter().map(|c| c.members.clone()).collect();
    let marks = Marks::new(&topology, &cuts, &members);
    let dot = picture::dot(&topology, &marks);
    let output = match (args.format, args.renderer) {
        (GraphFormat::Dot, _) => dot.into_bytes(),
        (GraphFormat::Svg, Renderer::Builtin) => picture::svg(&topology, &marks).into_bytes(),
        (GraphFormat::Svg, Renderer::Dot) => match graphviz(&dot) {
            Some(svg) => svg?,
            None => return Err(Failure::Usage(NO_DOT.to_owned() + "; use --renderer builtin")),
        },
        (GraphFormat::Svg, Renderer::Auto) => match graphviz(&dot) {
            Some(svg) => svg?,
            None => {
                eprintln!("drillsim: {NO_DOT}; drawing with the built-in grid layout (no edges)");
                picture::svg(&topology, &marks).into_bytes()
            }
        },
    };
    match &args.out {
        Some(path) => output::write_file(path, &output, args.force)?,
        None => {
            let _ = std::io::stdout().lock().write_all(&output);
        }
    }
    Ok(exit::SUCCESS)
}

const NO_DOT: &str = "Graphviz 'dot' is not installed (not found on PATH)";

/// Renders DOT to SVG with Graphviz; None when `dot` cannot be started.
fn graphviz(dot: &str) -> Option<Result<Vec<u8>, Failure>> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(dot.as_bytes());
    }
    let failed = |detail: String| Failure::Write(format!("Graphviz 'dot' failed: {detail}"));
    Some(match child.wait_with_output() {
        Ok(out) if out.status.success() => Ok(out.stdout),
        Ok(out) => Err(failed(String::from_utf8_lossy(&out.stderr).trim().to_owned())),
        Err(e) => Err(failed(e.to_string())),
    })
}
