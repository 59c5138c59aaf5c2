//! The sections of docs/benchmarks.md that `cargo xtask bench <name>` writes, each between
//! its own pair of markers so that a run replaces only its own section.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

/// Replaces the section `bench <name>` wrote into `docs` earlier, or appends one.
pub fn write(docs: &Path, name: &str, section: &str) -> Result<()> {
    let text =
        fs::read_to_string(docs).with_context(|| format!("while reading {}", docs.display()))?;
    fs::write(docs, replaced(&text, name, section))
        .with_context(|| format!("while writing {}", docs.display()))
}

fn replaced(text: &str, name: &str, section: &str) -> String {
    let begin = format!("<!-- bench-{name}:begin (written by `cargo xtask bench {name}`) -->");
    let end = format!("<!-- bench-{name}:end -->");
    let block = format!("{begin}\n{section}\n{end}");
    match (text.find(&begin), text.find(&end)) {
        (Some(start), Some(stop)) if stop > start => {
            format!("{}{block}{}", &text[..start], &text[stop + end.len()..])
        }
        _ => format!("{}\n\n{block}\n", text.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_appended_once_then_replaced_leaving_the_others() {
        let docs = "# Benchmarks\n\n<!-- bench-compare:begin (written by `cargo xtask bench \
                    compare`) -->\nold compare\n<!-- bench-compare:end -->\n\nnotes\n";
        let first = replaced(docs, "cluster", "nodes v1");
        assert!(first.starts_with(docs.trim_end()));
        assert!(first.ends_with(
            "<!-- bench-cluster:begin (written by `cargo xtask bench cluster`) -->\n\
             nodes v1\n<!-- bench-cluster:end -->\n"
        ));
        let second = replaced(&first, "cluster", "nodes v2");
        assert_eq!(second, first.replace("nodes v1", "nodes v2"));
        let compared = replaced(&second, "compare", "new compare");
        assert_eq!(compared, second.replace("old compare", "new compare"));
    }
}
