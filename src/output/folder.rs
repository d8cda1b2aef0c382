//! The output folder is written whole or not at all: files go to a
//! temporary folder beside the target, which is renamed into place at the end.

use anyhow::Context;
use std::path::{Path, PathBuf};

fn sibling(target: &Path, tag: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    target.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// Calls `write` on a fresh temporary folder, then puts it at `target`,
/// replacing what was there. If `write` fails, `target` is untouched.
pub fn write_atomically(target: &Path, write: impl FnOnce(&Path) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = sibling(target, "tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("cannot clear {}", tmp.display()))?;
    }
    std::fs::create_dir(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let old = sibling(target, "old");
    let had_old = target.exists();
    if had_old {
        std::fs::rename(target, &old).with_context(|| format!("cannot move aside {}", target.display()))?;
    }
    if let Err(e) = std::fs::rename(&tmp, target) {
        if had_old {
            let _ = std::fs::rename(&old, target);
        }
        return Err(e).with_context(|| format!("cannot move results into {}", target.display()));
    }
    if had_old {
        std::fs::remove_dir_all(&old).with_context(|| format!("cannot remove old results {}", old.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_previous_results() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        write_atomically(&target, |d| Ok(std::fs::write(d.join("a.csv"), "first")?)).unwrap();
        let failed = write_atomically(&target, |d| {
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
        write_atomically(&target, |d| Ok(std::fs::write(d.join("b.csv"), "third")?)).unwrap();
        assert!(!target.join("a.csv").exists());
        assert_eq!(std::fs::read_to_string(target.join("b.csv")).unwrap(), "third");
    }
}
