//! Writing a folder of results all-or-nothing. Everything goes into a hidden staging folder
//! beside the target, or in the nearest folder above it that exists (a [`tempfile::TempDir`],
//! removed when dropped), and is renamed into place only when complete, so a failure (a bad
//! row, a full disk, Ctrl-C) never leaves a half-written folder behind, nor the parent folders
//! of the target that the run would have made.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// A target folder being written through a staging sibling.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    staging: tempfile::TempDir,
    force: bool,
    /// The folders above the target that do not exist yet, nearest first: made on commit.
    missing_parents: Vec<PathBuf>,
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

/// The nearest folder above `target` that exists, and the folders between, nearest to the
/// target first. A file on the way is an error.
fn existing_ancestor(target: &Path) -> Result<(PathBuf, Vec<PathBuf>)> {
    let mut missing = Vec::new();
    let mut folder = parent_of(target).to_path_buf();
    loop {
        match std::fs::metadata(&folder) {
            Ok(meta) if meta.is_dir() => return Ok((folder, missing)),
            Ok(_) => {
                return Err(Error::invalid(
                    "--out",
                    format!(
                        "{} cannot be made: {} is a file",
                        target.display(),
                        folder.display()
                    ),
                    "choose a folder whose parents are folders",
                ))
            }
            Err(_) => {
                let up = parent_of(&folder).to_path_buf();
                missing.push(std::mem::replace(&mut folder, up));
            }
        }
    }
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
        if std::fs::metadata(target).is_ok_and(|m| m.permissions().readonly()) {
            return Err(Error::invalid(
                "--out",
                format!("{} exists and is read-only", target.display()),
                "make it writable (chmod u+w), or choose another folder",
            ));
        }
        let (existing, missing_parents) = existing_ancestor(target)?;
        // The same file system as the target (the folders between do not exist, so nothing is
        // mounted there), so the final rename is atomic.
        let staging = tempfile::Builder::new()
            .prefix(&sibling_prefix(target, "staging"))
            .tempdir_in(&existing)
            .map_err(Error::io("create a staging folder in", &existing))?;
        Ok(StagedDir {
            target: target.to_path_buf(),
            staging,
            force,
            missing_parents,
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
                std::fs::create_dir_all(&dir).map_err(Error::io("create", &dir))?;
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
        std::fs::write(&path, bytes).map_err(Error::io("write", &path))
    }

    /// Writes `bytes` to `relative` below the folder, creating parent folders.
    pub fn write(&self, relative: &Path, bytes: &[u8]) -> Result<()> {
        self.write_files([(relative, bytes)])
    }

    /// Moves the finished folder into place (replacing an old one when forced), making the
    /// folders above it first.
    pub fn commit(mut self) -> Result<()> {
        if let Some(parent) = self.missing_parents.first() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                self.remove_made_parents();
                return Err(Error::io("create", parent)(e));
            }
        }
        let result = self.move_into_place();
        if result.is_err() {
            self.remove_made_parents();
        }
        result
    }

    /// Removes the folders above the target that `commit` made (those still empty).
    fn remove_made_parents(&self) {
        for folder in &self.missing_parents {
            // Best effort, nearest first: a folder that is not empty was not only ours.
            let _ = std::fs::remove_dir(folder);
        }
    }

    fn move_into_place(&mut self) -> Result<()> {
        let replacing = self.force && self.target.exists();
        // The old folder is moved aside into a TempDir of its own, so it is removed however
        // this ends.
        let aside = if replacing {
            let holder = tempfile::Builder::new()
                .prefix(&sibling_prefix(&self.target, "old"))
                .tempdir_in(parent_of(&self.target))
                .map_err(Error::io("move aside", &self.target))?;
            let old = holder.path().join("old");
            std::fs::rename(&self.target, &old).map_err(Error::io("move aside", &self.target))?;
            Some((holder, old))
        } else {
            None
        };
        if let Err(e) = std::fs::rename(self.staging.path(), &self.target) {
            if let Some((_, old)) = &aside {
                // Put the old folder back: a failed run must not lose the previous results.
                let _ = std::fs::rename(old, &self.target);
            }
            return Err(Error::io("move into place", &self.target)(e));
        }
        // The staging folder is now the target: it must not be removed on drop.
        self.staging.disable_cleanup(true);
        if let Some((holder, _)) = aside {
            holder
                .close()
                .map_err(Error::io("remove the replaced folder beside", &self.target))?;
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
    fn a_failed_run_leaves_no_parent_folder_behind() {
        // Issue 10: `--out np/a/b/out` with a bad roster left `np/a/b`.
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("np/a/b/out");
        let staged = StagedDir::create(&target, false).unwrap();
        staged.write(Path::new("x.txt"), b"half").unwrap();
        drop(staged);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
        let staged = StagedDir::create(&target, false).unwrap();
        staged.write(Path::new("x.txt"), b"whole").unwrap();
        staged.commit().unwrap();
        assert_eq!(std::fs::read(target.join("x.txt")).unwrap(), b"whole");
        let top: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(top.len(), 1, "only np, no staging leftovers");
    }

    #[test]
    fn a_read_only_target_is_refused_even_when_empty() {
        // Issue 10: an empty read-only folder was silently replaced.
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("ro");
        std::fs::create_dir(&target).unwrap();
        let mut permissions = std::fs::metadata(&target).unwrap().permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&target, permissions.clone()).unwrap();
        let err = StagedDir::create(&target, true).unwrap_err().to_string();
        #[allow(clippy::permissions_set_readonly_false)]
        permissions.set_readonly(false);
        std::fs::set_permissions(&target, permissions).unwrap();
        assert!(err.contains("--out") && err.contains("read-only"), "{err}");
    }

    #[test]
    fn a_file_above_the_target_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("f"), "a file").unwrap();
        let err = StagedDir::create(&tmp.path().join("f/out"), false).unwrap_err();
        assert!(err.to_string().contains("is a file"), "{err}");
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
