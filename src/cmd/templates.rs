//! `nnexam templates eject DIR`: the built-in templates, written out for editing.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::write_stdout;
use crate::error::{Error, Result};
use crate::render;

/// Writes every built-in template below `dir` in the language `lang` (its own template where it
/// has one, the English one where not), with the guide to them (`README.md`). Whatever would
/// stop it half-way is refused before anything is written: a template that exists (unless
/// `force`), a file where a folder must go, a folder where a template must go.
pub(super) fn execute_eject(
    dir: &Path,
    lang: &str,
    force: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let language = render::lang::language(lang)?;
    let translated = |name: &str| {
        language
            .templates
            .iter()
            .find(|(own, _)| *own == name)
            .map(|(_, text)| *text)
    };
    let targets: Vec<(PathBuf, &str)> = render::BUILTIN
        .iter()
        .chain(std::iter::once(&render::GUIDE))
        .map(|(name, text)| (dir.join(name), translated(name).unwrap_or(text)))
        .collect();
    for (path, _) in &targets {
        check_target(path, force)?;
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

/// `path` can be written: every folder above it is a folder or can be made, and `path` is no
/// folder, nor (unless `force`) a file already.
fn check_target(path: &Path, force: bool) -> Result<()> {
    let blocked = |what: String, fix: &str| Err(Error::invalid("templates eject", what, fix));
    for folder in path.ancestors().skip(1) {
        match std::fs::metadata(folder) {
            // An existing folder: the folders above it exist too.
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                return blocked(
                    format!(
                        "{} is a file, where a folder of templates must go",
                        folder.display()
                    ),
                    "move the file away, or choose another folder",
                )
            }
            // Missing (or below a file, which a folder further up reports): made later.
            Err(_) => {}
        }
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => blocked(
            format!("{} is a folder, where a template must go", path.display()),
            "move the folder away, or choose another folder",
        ),
        Ok(_) if !force => blocked(
            format!("{} already exists", path.display()),
            "pass --force to overwrite the templates in that folder, or choose another folder",
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eject(dir: &Path, force: bool) -> Result<()> {
        execute_eject(dir, "en", force, &mut Vec::new())
    }

    fn files_below(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                if path.is_dir() {
                    files_below(&path)
                } else {
                    1
                }
            })
            .sum()
    }

    #[test]
    fn a_file_in_the_way_stops_eject_before_it_writes_anything() {
        // Issue 10: eject wrote half the templates, then failed on the blocking file.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("markdown"), "a file").unwrap();
        let err = eject(&dir, true).unwrap_err().to_string();
        assert!(err.contains("t/markdown is a file"), "{err}");
        assert_eq!(files_below(&dir), 1, "nothing written");
    }

    #[test]
    fn a_folder_in_the_way_or_an_existing_template_stops_eject() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("t");
        std::fs::create_dir_all(dir.join("latex/exam.tex")).unwrap();
        let err = eject(&dir, true).unwrap_err().to_string();
        assert!(err.contains("latex/exam.tex is a folder"), "{err}");
        std::fs::remove_dir(dir.join("latex/exam.tex")).unwrap();
        std::fs::write(dir.join("latex/exam.tex"), "mine").unwrap();
        assert!(eject(&dir, false)
            .unwrap_err()
            .to_string()
            .contains("--force"));
        assert_eq!(files_below(&dir), 1, "nothing written");
        eject(&dir, true).unwrap();
        assert_eq!(files_below(&dir), render::BUILTIN.len() + 1);
    }
}
