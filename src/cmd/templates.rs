//! `nnexam templates eject DIR`: the built-in templates, written out for editing.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::write_stdout;
use crate::error::{Error, Result};
use crate::render;

/// Writes every built-in template below `dir`, with the guide to them (`README.md`); refuses
/// (before writing anything) when one exists, unless `force`.
pub(super) fn execute_eject(dir: &Path, force: bool, out: &mut dyn Write) -> Result<()> {
    let targets: Vec<(PathBuf, &str)> = render::BUILTIN
        .iter()
        .chain(std::iter::once(&render::GUIDE))
        .map(|(name, text)| (dir.join(name), *text))
        .collect();
    if !force {
        if let Some((path, _)) = targets.iter().find(|(path, _)| path.exists()) {
            return Err(Error::invalid(
                "templates eject",
                format!("{} already exists", path.display()),
                "pass --force to overwrite the templates in that folder, or choose another folder",
            ));
        }
    }
    for (path, text) in &targets {
        let io = |source| Error::Io {
            action: "write",
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(path, text).map_err(io)?;
    }
    write_stdout(
        out,
        &format!("wrote {} templates to {}\n", targets.len(), dir.display()),
    )
}
