//! Finding where in the text a problem is: the line of a key path, the key
//! path written on a line, and messages cleaned up for a scenario's author.

/// toml's messages end with a newline; one line reads better after a key.
/// Rust type names mean nothing to the author of a scenario, so they are
/// replaced by what the file should hold.
pub(super) fn clean(message: &str) -> String {
    const PLAIN: [(&str, &str); 11] = [
        ("expected u32", "expected a whole number from 0 to 4294967295"),
        ("expected u64", "expected a whole number from 0 to 18446744073709551615"),
        ("expected f64", "expected a number"),
        (
            "expected struct RawDist",
            "expected a distribution table like { dist = \"fixed\", value = \"30s\" }",
        ),
        ("expected struct RawScenario", "expected a table"),
        ("expected struct RawEvaluator", "expected a table"),
        ("expected struct RawDevices", "expected a table"),
        ("expected struct RawBehavior", "expected a table"),
        ("expected struct RawGroup", "expected a [[tenants]] table"),
        ("expected struct RawChange", "expected a [[tenants.changes]] table"),
        ("expected a sequence", "expected an array"),
    ];
    let mut m = message.trim().replace(['\r', '\n'], " ");
    for (from, to) in PLAIN {
        m = m.replace(from, to);
    }
    m.replace("expected a map", "expected a table")
}

/// A cleaned message made exact for its key: a count that must be at least
/// 1 says so, and a duration written as a bare number gets the string it
/// should have been.
pub(super) fn refine(key: Option<&str>, message: String) -> String {
    let Some(key) = key else { return message };
    let last = key.rsplit('.').next().unwrap_or(key);
    let positive = matches!(key, "evaluator.servers" | "evaluator.pools" | "replications") || last == "count";
    if positive {
        return message.replace("from 0 to 4294967295", "of 1 or more");
    }
    if !matches!(last, "horizon" | "bucket" | "at" | "queue_timeout") {
        return message;
    }
    let bare = ["invalid type: integer `", "invalid type: floating point `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split_once("`, expected a string"))
        .map(|(n, _)| n.to_string());
    let unit = match last {
        "horizon" => "d",
        "bucket" => "m",
        "at" => "h",
        _ => "s",
    };
    match bare {
        Some(n) => format!(
            "{n} has no unit; a duration is a string with one, e.g. {last} = \"{n}{unit}\" (units us, ms, s, m, h, d)"
        ),
        None => message,
    }
}

/// Quoted keys and strings may hold line breaks and other control
/// characters; a message stays on one line with them escaped.
pub(super) fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The key named by serde's "missing field `x`" message.
pub(super) fn missing_field(message: &str) -> Option<&str> {
    message.trim().strip_prefix("missing field `")?.strip_suffix('`')
}

/// The key path written on `line` of a document that does not parse (so the
/// parser cannot say): the table headers above the line, then the
/// `key =` or header on the line itself. Lines are read one by one, so only
/// a line that starts with a plain key or a header, outside any bracket or
/// multi-line string, gets an answer.
pub(super) fn key_at_line(text: &str, line: usize) -> Option<String> {
    let mut table = String::new();
    let mut arrays: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut nesting = Nesting::default();
    for (n, l) in text.lines().enumerate().take(line) {
        let target = n + 1 == line;
        let top = nesting.at_top();
        nesting.scan(l);
        let l = l.trim();
        if !top {
            if target {
                return None;
            }
        } else if let Some((names, is_array)) = header_of(l) {
            let mut path = String::new();
            for (i, name) in names.iter().enumerate() {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                let last = i + 1 == names.len();
                if last && is_array {
                    let count = arrays.entry(path.clone()).or_insert(0);
                    *count += 1;
                    path = format!("{path}[{}]", *count - 1);
                } else if let Some(count) = arrays.get(&path) {
                    path = format!("{path}[{}]", count - 1);
                }
            }
            table = path;
            if target {
                return Some(table);
            }
        } else if target {
            let (key, _) = l.split_once('=')?;
            let names = dotted_key(key)?;
            let mut path = table;
            for name in names {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            return Some(path);
        }
    }
    None
}

/// Where a line-by-line reader stands in a TOML document: inside how many
/// open brackets and braces, and inside which multi-line string, if any.
#[derive(Default)]
pub(super) struct Nesting {
    depth: usize,
    multiline: Option<&'static [u8]>,
}

impl Nesting {
    fn at_top(&self) -> bool {
        self.depth == 0 && self.multiline.is_none()
    }

    /// Moves past one line, skipping strings and comments.
    fn scan(&mut self, line: &str) {
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if let Some(close) = self.multiline {
                if b[i..].starts_with(close) {
                    self.multiline = None;
                    i += close.len();
                } else {
                    i += if b[i] == b'\\' && close == b"\"\"\"" { 2 } else { 1 };
                }
                continue;
            }
            match b[i] {
                b'#' => break,
                q @ (b'"' | b'\'') => {
                    let triple: &'static [u8] = if q == b'"' { b"\"\"\"" } else { b"'''" };
                    if b[i..].starts_with(triple) {
                        self.multiline = Some(triple);
                        i += 3;
                        continue;
                    }
                    i += 1;
                    while i < b.len() && b[i] != q {
                        i += if q == b'"' && b[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'[' | b'{' => self.depth += 1,
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
    }
}

/// `[a.b]` or `[[a.b]]`, with nothing but a comment after it.
pub(super) fn header_of(line: &str) -> Option<(Vec<&str>, bool)> {
    let (inner, rest, is_array) = if let Some(s) = line.strip_prefix("[[") {
        let (inner, rest) = s.split_once("]]")?;
        (inner, rest, true)
    } else {
        let (inner, rest) = line.strip_prefix('[')?.split_once(']')?;
        (inner, rest, false)
    };
    let rest = rest.trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    Some((dotted_key(inner)?, is_array))
}

/// The parts of a dotted key of bare words (`a.b`, `a . b`).
pub(super) fn dotted_key(key: &str) -> Option<Vec<&str>> {
    key.split('.')
        .map(|part| {
            let part = part.trim();
            let bare = !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            bare.then_some(part)
        })
        .collect()
}

pub(super) fn line_of_offset(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

pub(super) fn line_of_span(text: &str, span: Option<std::ops::Range<usize>>) -> Option<usize> {
    span.map(|s| line_of_offset(text, s.start))
}

/// The line where a dotted key path (`tenants[1].changes[0].at`) is written:
/// the deepest part of the path the document has.
pub(super) fn line_of_key(text: &str, key: &str) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut table: &DeTable = doc.get_ref();
    let mut best = None;
    for part in key.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let Some((k, v)) = table.get_key_value(name) else {
            break;
        };
        best = Some(k.span().start);
        let mut value = v;
        if let (Some(i), DeValue::Array(items)) = (index, value.get_ref()) {
            let Some(item) = items.get(i) else {
                break;
            };
            value = item;
            best = Some(value.span().start);
        }
        match value.get_ref() {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    best.map(|offset| line_of_offset(text, offset))
}
