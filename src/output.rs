//! Writing a folder of results all-or-nothing. Everything goes into a hidden staging folder
//! next to the target and is renamed into place only when complete, so a failure (a bad row, a
//! full disk, Ctrl-C) never leaves a half-written folder behind.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// A target folder being written through a staging sibling.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    staging: PathBuf,
    force: bool,
    committed: bool,
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// `dir/.name.nnexam-<what>-<pid>`: hidden, on the same file system (so rename is atomic), and
/// unique per process.
fn sibling(target: &Path, what: &str) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    parent.join(format!(".{name}.nnexam-{what}-{}", std::process::id()))
}

impl StagedDir {
    /// Starts writing `target`. A non-empty `target` is refused unless `force`.
    pub fn create(target: &Path, force: bool) -> Result<StagedDir> {
        if target.is_file() {
            return Err(Error::invalid(
                "--out",
                format!("{} is a file, not a folder", target.display()),
                "name a folder (it will be created)",
            ));
        }
        let non_empty = std::fs::read_dir(target)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false);
        if non_empty && !force {
            return Err(Error::invalid(
                "--out",
                format!("{} exists and is not empty", target.display()),
                "choose a new folder, or pass --force to replace it",
            ));
        }
        let staging = sibling(target, "staging");
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io_error("remove", &staging))?;
        }
        std::fs::create_dir_all(&staging).map_err(io_error("create", &staging))?;
        Ok(StagedDir {
            target: target.to_path_buf(),
            staging,
            force,
            committed: false,
        })
    }

    /// The staging folder, for tools (pdflatex) that must run inside it.
    pub fn staging_path(&self) -> &Path {
        &self.staging
    }

    /// Writes several files, creating each distinct parent folder once (a batch writes five
    /// files into every student's new folder; checking the folder five times showed up in
    /// profiles).
    pub fn write_files<'a>(
        &self,
        files: impl IntoIterator<Item = (&'a Path, &'a [u8])>,
    ) -> Result<()> {
        let mut made: Option<PathBuf> = None;
        for (relative, bytes) in files {
            let parent = relative.parent().map(Path::to_path_buf);
            if parent.is_some() && parent != made {
                let dir = self
                    .staging
                    .join(parent.as_deref().unwrap_or(Path::new("")));
                std::fs::create_dir_all(&dir).map_err(io_error("create", &dir))?;
                made = parent;
            }
            self.write_into_existing(relative, bytes)?;
        }
        Ok(())
    }

    fn write_into_existing(&self, relative: &Path, bytes: &[u8]) -> Result<()> {
        assert!(
            relative
                .components()
                .all(|c| matches!(c, Component::Normal(_))),
            "invariant: batch paths are built from sanitised names, got {}",
            relative.display()
        );
        let path = self.staging.join(relative);
        std::fs::write(&path, bytes).map_err(io_error("write", &path))
    }

    /// Writes `bytes` to `relative` below the folder, creating parent folders.
    pub fn write(&self, relative: &Path, bytes: &[u8]) -> Result<()> {
        self.write_files([(relative, bytes)])
    }

    /// Moves the finished folder into place (replacing an old one when forced).
    pub fn commit(mut self) -> Result<()> {
        let old = sibling(&self.target, "old");
        let replacing = self.force && self.target.exists();
        if replacing {
            std::fs::rename(&self.target, &old).map_err(io_error("move aside", &self.target))?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            if replacing {
                // Put the old folder back: a failed run must not lose the previous results.
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(io_error("move into place", &self.target)(e));
        }
        self.committed = true;
        if replacing {
            std::fs::remove_dir_all(&old).map_err(io_error("remove", &old))?;
        }
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the run is failing already; a leftover hidden folder is removed by
            // the next run with the same target anyway.
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_folder_appears_complete() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("out");
        let staged = StagedDir::create(&target, false).unwrap();
        staged.write(Path::new("a/b.txt"), b"hello").unwrap();
        assert!(!target.exists(), "nothing visible before commit");
        staged.commit().unwrap();
        assert_eq!(std::fs::read(target.join("a/b.txt")).unwrap(), b"hello");
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "no staging leftovers"
        );
    }

    #[test]
    fn dropped_without_commit_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("out");
        let staged = StagedDir::create(&target, false).unwrap();
        staged.write(Path::new("x.txt"), b"half").unwrap();
        drop(staged);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn non_empty_target_needs_force() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("keep.txt"), b"old").unwrap();
        let err = StagedDir::create(tmp.path(), false).unwrap_err();
        assert!(err.to_string().contains("--force"));
        let target = tmp.path().to_path_buf();
        let staged = StagedDir::create(&target, true).unwrap();
        staged.write(Path::new("new.txt"), b"new").unwrap();
        staged.commit().unwrap();
        assert!(target.join("new.txt").exists() && !target.join("keep.txt").exists());
    }
}
