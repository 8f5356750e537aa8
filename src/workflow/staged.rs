//! Writing a folder of results all-or-nothing. Everything goes into a hidden staging folder
//! next to the target (a [`tempfile::TempDir`], removed when dropped) and is renamed into place
//! only when complete, so a failure (a bad row, a full disk, Ctrl-C) never leaves a half-written
//! folder behind.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// A target folder being written through a staging sibling.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    staging: tempfile::TempDir,
    force: bool,
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The folder holding `target`, `.` for a bare name.
fn parent_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `.<name>.nnexam-<what>-`: the hidden prefix of a sibling of `target`.
fn sibling_prefix(target: &Path, what: &str) -> String {
    let name = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    format!(".{name}.nnexam-{what}-")
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
        let parent = parent_of(target);
        std::fs::create_dir_all(parent).map_err(io_error("create", parent))?;
        // Same file system as the target, so the final rename is atomic.
        let staging = tempfile::Builder::new()
            .prefix(&sibling_prefix(target, "staging"))
            .tempdir_in(parent)
            .map_err(io_error("create a staging folder in", parent))?;
        Ok(StagedDir {
            target: target.to_path_buf(),
            staging,
            force,
        })
    }

    /// The staging folder, for tools (pdflatex) that must run inside it.
    pub fn path(&self) -> &Path {
        self.staging.path()
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
                let dir = self.path().join(parent.as_deref().unwrap_or(Path::new("")));
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
        let path = self.path().join(relative);
        std::fs::write(&path, bytes).map_err(io_error("write", &path))
    }

    /// Writes `bytes` to `relative` below the folder, creating parent folders.
    pub fn write(&self, relative: &Path, bytes: &[u8]) -> Result<()> {
        self.write_files([(relative, bytes)])
    }

    /// Moves the finished folder into place (replacing an old one when forced).
    pub fn commit(self) -> Result<()> {
        let replacing = self.force && self.target.exists();
        // The old folder is moved aside into a TempDir of its own, so it is removed however
        // this ends.
        let aside = if replacing {
            let holder = tempfile::Builder::new()
                .prefix(&sibling_prefix(&self.target, "old"))
                .tempdir_in(parent_of(&self.target))
                .map_err(io_error("move aside", &self.target))?;
            let old = holder.path().join("old");
            std::fs::rename(&self.target, &old).map_err(io_error("move aside", &self.target))?;
            Some((holder, old))
        } else {
            None
        };
        if let Err(e) = std::fs::rename(self.staging.path(), &self.target) {
            if let Some((_, old)) = &aside {
                // Put the old folder back: a failed run must not lose the previous results.
                let _ = std::fs::rename(old, &self.target);
            }
            return Err(io_error("move into place", &self.target)(e));
        }
        // The staging folder is now the target: it must not be removed on drop.
        let _ = self.staging.keep();
        if let Some((holder, _)) = aside {
            holder
                .close()
                .map_err(io_error("remove the replaced folder beside", &self.target))?;
        }
        Ok(())
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
