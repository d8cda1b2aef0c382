//! README's examples stay true: every ```console block of README.md is run
//! and its shown output compared with what the binary prints.
//!
//! In a block, a line `$ mailsim ARGS` is a command (a trailing `\` joins
//! the next line); the lines after it, up to the next command or the end,
//! are its expected standard output. In expected lines `[..]` matches any
//! text within a line (wall times, speeds), and a line `...` matches any
//! number of lines. Commands run in a scratch folder holding copies of
//! `scenarios/` and `tests/data/`, so they never write into the project.

use std::path::Path;
use std::process::Command;

/// Words of a command line, with '…' and "…" quoting.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if started || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether `actual` matches `expected`, where `[..]` matches any text.
fn line_matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split("[..]").collect();
    if parts.len() == 1 {
        return expected.trim_end() == actual.trim_end();
    }
    let actual = actual.trim_end();
    let mut rest = actual;
    for (i, part) in parts.iter().enumerate() {
        let part = if i == parts.len() - 1 { part.trim_end() } else { part };
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else { return false };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

/// Whether the lines of `actual` match the expected lines (with `...`).
fn lines_match(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((&"...", rest)) => (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..])),
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, arest)| line_matches(e, a) && lines_match(rest, arest)),
    }
}

struct Example {
    line: usize,
    command: String,
    expected: Vec<String>,
}

fn examples(readme: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_block = false;
    let mut continuing = false;
    for (n, line) in readme.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_block = line.trim() == "```console";
            continue;
        }
        if !in_block {
            continue;
        }
        if continuing {
            let ex = out.last_mut().unwrap();
            ex.command.push(' ');
            ex.command.push_str(line.trim().trim_end_matches('\\'));
            continuing = line.trim_end().ends_with('\\');
        } else if let Some(cmd) = line.strip_prefix("$ ") {
            out.push(Example {
                line: n + 1,
                command: cmd.trim_end_matches('\\').to_string(),
                expected: Vec::new(),
            });
            continuing = cmd.trim_end().ends_with('\\');
        } else if let Some(ex) = out.last_mut() {
            ex.expected.push(line.to_string());
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn readme_examples_print_what_readme_shows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let examples = examples(&readme);
    assert!(examples.len() >= 3, "README has checked examples");
    let scratch = tempfile::tempdir().unwrap();
    copy_dir(&root.join("scenarios"), &scratch.path().join("scenarios"));
    copy_dir(&root.join("tests/data"), &scratch.path().join("tests/data"));
    let mut failures = Vec::new();
    for ex in &examples {
        let w = words(&ex.command);
        assert_eq!(w[0], "mailsim", "README.md:{}: a checked example runs mailsim", ex.line);
        let o = Command::new(env!("CARGO_BIN_EXE_mailsim"))
            .args(&w[1..])
            .current_dir(scratch.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let actual = String::from_utf8_lossy(&o.stdout);
        let actual: Vec<&str> = actual.lines().collect();
        let expected: Vec<&str> = ex.expected.iter().map(String::as_str).collect();
        if !lines_match(&expected, &actual) {
            failures.push(format!(
                "README.md:{}: $ {}\n--- README shows ---\n{}\n--- mailsim printed ---\n{}\n--- stderr ---\n{}",
                ex.line,
                ex.command,
                expected.join("\n"),
                actual.join("\n"),
                String::from_utf8_lossy(&o.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_matcher_matches_what_it_should() {
    assert!(line_matches(
        "Speed [..] requests/s)",
        "Speed 1 events in 2 s (3 M requests/s)"
    ));
    assert!(!line_matches("Speed [..] requests/s)", "Speed 1 events"));
    assert!(line_matches("a", "a  "));
    assert!(!line_matches("a", "b"));
    assert!(lines_match(&["x", "...", "z"], &["x", "1", "2", "z"]));
    assert!(lines_match(&["x", "...", "z"], &["x", "z"]));
    assert!(!lines_match(&["x", "z"], &["x", "y", "z"]));
    assert_eq!(
        words(r#"mailsim sweep s --slo "a<=1" --set 'b=1,2'"#),
        ["mailsim", "sweep", "s", "--slo", "a<=1", "--set", "b=1,2"]
    );
}
