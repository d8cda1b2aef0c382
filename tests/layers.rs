//! The layers of docs/architecture.md: every `crate::` path in the library
//! points down (or within its own module), never up. Unit tests at the end
//! of a file (after `#[cfg(test)]`) and `tests.rs` files may reach anywhere.

use std::path::Path;

/// Bottom first: a module may use the modules before it, and itself.
const LAYERS: [&[&str]; 9] = [
    &["engine", "error"],
    &["scenario"],
    &["stats"],
    &["model"],
    &["run", "serve", "load"],
    &["output"],
    &["report"],
    &["cmd"],
    &["cli"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_point_down_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_string_lossy();
        let top = top.trim_end_matches(".rs");
        if matches!(top, "lib" | "main") || rel.ends_with("tests.rs") {
            continue;
        }
        let Some(own) = layer(top) else {
            upward.push(format!("{}: module {top} has no layer in this test", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (n, line) in code.lines().enumerate() {
            for part in line.split("crate::").skip(1) {
                let name: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if let Some(l) = layer(&name)
                    && l > own
                {
                    upward.push(format!("{}:{}: {top} uses crate::{name}", rel.display(), n + 1));
                }
            }
        }
    }
    assert!(upward.is_empty(), "imports that point up:\n{}", upward.join("\n"));
}
