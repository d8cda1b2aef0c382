//! Output folders are written whole or not at all, and mailsim only ever
//! replaces what it wrote itself.
//!
//! Every command that writes a folder (`run`, `merge`, `sweep`, `report`,
//! `compare --out`) goes through [`Target`]: the path is checked before any
//! work is done, files go to a temporary folder beside the target, and that
//! folder is renamed into place at the end. A folder counts as mailsim's
//! when it holds the [`MARKER`] file that every such write leaves; any other
//! existing folder is refused unless `--force`, and a file, the working
//! folder, the scenario's folder and their parents are refused always.

use crate::error::BadInput;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The file that marks a folder as a mailsim output folder, which mailsim
/// may replace. Its name starts with a dot so that listings stay clean.
pub const MARKER: &str = ".mailsim-output";

const MARKER_TEXT: &str = "This folder was written by mailsim, which replaces it when asked to write here again.\n";

/// How a write treats the folder already at the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The new folder replaces the old one (`run`, `merge`, `sweep`).
    Replace,
    /// The new folder starts as a copy of the old one and adds to it
    /// (`report`, `compare --out`).
    Update,
}

/// A folder a command will write, checked before any work is done.
#[derive(Clone, Debug)]
pub struct Target {
    path: PathBuf,
    mode: Mode,
}

/// Whether `dir` is a folder mailsim wrote (it holds the marker).
pub fn is_mailsim_folder(dir: &Path) -> bool {
    dir.join(MARKER).is_file()
}

/// `path` made absolute without touching the file system beyond the
/// working folder, with `.` and `..` resolved (the target may not exist).
fn absolute(path: &Path) -> PathBuf {
    let base = std::env::current_dir().unwrap_or_default();
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    // Resolve symbolic links where the path exists, so that two names of
    // one folder compare equal.
    if let Ok(real) = joined.canonicalize() {
        return real;
    }
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

impl Target {
    /// A folder that a whole new one will replace. `protected` are folders
    /// that must survive (the scenario's folder, a merge's shards): the
    /// target may not be one of them or hold one.
    pub fn replace(path: &Path, force: bool, protected: &[&Path]) -> Result<Target, BadInput> {
        Target::check(path, Mode::Replace, force, protected)
    }

    /// A folder that keeps its files and gains new ones (a redrawn report,
    /// `compare.csv`); it may also not exist yet.
    pub fn update(path: &Path, force: bool, protected: &[&Path]) -> Result<Target, BadInput> {
        Target::check(path, Mode::Update, force, protected)
    }

    fn check(path: &Path, mode: Mode, force: bool, protected: &[&Path]) -> Result<Target, BadInput> {
        let shown = path.display();
        if path.as_os_str().is_empty() {
            return Err(BadInput("the output folder is an empty path".into()));
        }
        let abs = absolute(path);
        let cwd = absolute(Path::new("."));
        if cwd.starts_with(&abs) {
            return Err(BadInput(format!(
                "{shown}: is the working folder or holds it; mailsim never replaces it, name a new folder"
            )));
        }
        for p in protected {
            let p_abs = absolute(p);
            if p_abs.starts_with(&abs) {
                return Err(BadInput(format!(
                    "{shown}: holds {}, which this command reads; name another folder",
                    p.display()
                )));
            }
        }
        match std::fs::symlink_metadata(path) {
            Err(_) => {} // a new folder
            // A link to a folder counts as a folder; anything else that is not one is a file.
            Ok(_) if !path.is_dir() => {
                return Err(BadInput(format!(
                    "{shown}: is a file, not a folder; mailsim never replaces a file, name a folder"
                )));
            }
            Ok(_) if is_mailsim_folder(path) || force => {}
            Ok(_) => {
                return Err(BadInput(format!(
                    "{shown}: exists and is not a mailsim output folder (it has no {MARKER} file); \
                     name a new folder, or add --force to replace it"
                )));
            }
        }
        Ok(Target {
            path: path.to_path_buf(),
            mode,
        })
    }

    /// The target path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Calls `write` on a fresh temporary folder beside the target (a copy
    /// of the target's files in update mode), marks it, then puts it at the
    /// target. If anything fails, the target is untouched and the temporary
    /// folder is removed.
    pub fn write(&self, write: impl FnOnce(&Path) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let target = &self.path;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
        let tmp = TempDir::create(sibling(target, "tmp"))?;
        if self.mode == Mode::Update && target.is_dir() {
            copy_tree(target, &tmp.0).with_context(|| format!("cannot copy {}", target.display()))?;
        }
        write(&tmp.0)?;
        std::fs::write(tmp.0.join(MARKER), MARKER_TEXT)
            .with_context(|| format!("cannot write {}", tmp.0.join(MARKER).display()))?;
        let old = sibling(target, "old");
        let had_old = target.exists();
        if had_old {
            std::fs::rename(target, &old).with_context(|| format!("cannot move aside {}", target.display()))?;
        }
        if let Err(e) = std::fs::rename(&tmp.0, target) {
            if had_old {
                let _ = std::fs::rename(&old, target);
            }
            return Err(e).with_context(|| format!("cannot move results into {}", target.display()));
        }
        tmp.keep();
        if had_old {
            std::fs::remove_dir_all(&old).with_context(|| format!("cannot remove old results {}", old.display()))?;
        }
        Ok(())
    }
}

/// `.NAME.TAG-PID` beside `target`.
fn sibling(target: &Path, tag: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    target.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// A temporary folder removed when dropped, on an error or a panic alike,
/// unless kept.
struct TempDir(PathBuf);

impl TempDir {
    fn create(path: PathBuf) -> anyhow::Result<TempDir> {
        if path.exists() {
            std::fs::remove_dir_all(&path).with_context(|| format!("cannot clear {}", path.display()))?;
        }
        std::fs::create_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(TempDir(path))
    }

    /// The folder now lives on under another name: nothing to remove.
    fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir(&dest)?;
            copy_tree(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_file(t: &Target, name: &str, text: &str) -> anyhow::Result<()> {
        t.write(|d| Ok(std::fs::write(d.join(name), text)?))
    }

    #[test]
    fn a_failed_write_leaves_the_previous_results() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let t = Target::replace(&target, false, &[]).unwrap();
        write_file(&t, "a.csv", "first").unwrap();
        let failed = t.write(|d| {
            std::fs::write(d.join("a.csv"), "second")?;
            anyhow::bail!("simulated failure")
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(target.join("a.csv")).unwrap(), "first");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary folder left"
        );
        let t = Target::replace(&target, false, &[]).unwrap();
        write_file(&t, "b.csv", "third").unwrap();
        assert!(!target.join("a.csv").exists());
        assert_eq!(std::fs::read_to_string(target.join("b.csv")).unwrap(), "third");
    }

    #[test]
    fn a_panic_while_writing_removes_the_temporary_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        let t = Target::replace(&target, false, &[]).unwrap();
        let caught = std::panic::catch_unwind(|| t.write(|_| panic!("simulated panic")));
        assert!(caught.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn only_marked_folders_are_replaced_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("notes");
        std::fs::create_dir(&user).unwrap();
        std::fs::write(user.join("plan.txt"), "mine").unwrap();
        let err = Target::replace(&user, false, &[]).unwrap_err();
        assert!(
            err.0.contains("not a mailsim output folder") && err.0.contains("--force"),
            "{}",
            err.0
        );
        let t = Target::replace(&user, true, &[]).unwrap();
        write_file(&t, "a.csv", "x").unwrap();
        assert!(is_mailsim_folder(&user));
        assert!(!user.join("plan.txt").exists(), "--force replaced it, as asked");
        assert!(Target::replace(&user, false, &[]).is_ok(), "now it is mailsim's");
    }

    #[test]
    fn files_the_working_folder_and_protected_folders_are_never_targets() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("afile");
        std::fs::write(&file, "mine").unwrap();
        for force in [false, true] {
            assert!(Target::replace(&file, force, &[]).unwrap_err().0.contains("is a file"));
            assert!(
                Target::replace(Path::new("."), force, &[])
                    .unwrap_err()
                    .0
                    .contains("working folder")
            );
            assert!(Target::replace(Path::new(".."), force, &[]).is_err());
            let scenario = dir.path().join("scenarios/x.toml");
            let folder = dir.path().join("scenarios");
            assert!(
                Target::replace(&folder, force, &[&scenario])
                    .unwrap_err()
                    .0
                    .contains("holds")
            );
            assert!(Target::replace(dir.path(), force, &[&scenario]).is_err());
        }
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing hidden left");
    }

    #[test]
    fn an_update_keeps_what_was_there() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        write_file(&Target::replace(&target, false, &[]).unwrap(), "a.csv", "a").unwrap();
        write_file(&Target::update(&target, false, &[]).unwrap(), "b.csv", "b").unwrap();
        assert_eq!(std::fs::read_to_string(target.join("a.csv")).unwrap(), "a");
        assert_eq!(std::fs::read_to_string(target.join("b.csv")).unwrap(), "b");
    }
}
