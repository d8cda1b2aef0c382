//! Property tests of the scenario parser: whatever the text, `Scenario::parse`
//! returns (never panics); an error is one line naming the file; and a
//! scenario it accepts is sane. Inputs are random bytes, random printable
//! text, and random mutations of the sample scenarios in `scenarios/`.
//! Only the parser runs here, never a simulation.

use mailsim::engine::SimTime;
use mailsim::scenario::{CountDist, Dist, Scenario};
use proptest::prelude::*;
use proptest::sample::Index;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const FILE: &str = "fuzz.toml";
const QUICKSTART: &str = include_str!("../scenarios/quickstart.toml");

/// Every sample scenario: quickstart (built in) and whatever else is in
/// `scenarios/` when the test runs, so new samples get fuzzed too.
fn samples() -> Vec<(String, String)> {
    let mut all = vec![("quickstart.toml".to_string(), QUICKSTART.to_string())];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("scenarios/ is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "quickstart.toml"))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        all.push((p.file_name().unwrap().to_string_lossy().into_owned(), text));
    }
    all
}

fn check_dist(what: &str, d: &Dist, rng: &mut ChaCha8Rng) {
    let mean = d.mean_us();
    assert!(mean.is_finite() && mean >= 0.0, "{what}: mean {mean} of {d:?}");
    if let Dist::Uniform { min, max } = d {
        assert!(min <= max, "{what}: {d:?}");
    }
    for _ in 0..3 {
        d.sample(rng);
        d.sample_residual(rng);
    }
}

fn check_count(what: &str, d: &CountDist, rng: &mut ChaCha8Rng) {
    let mean = d.mean();
    assert!(mean.is_finite() && mean >= 0.0, "{what}: mean {mean} of {d:?}");
    if let CountDist::Uniform { min, max } = d {
        assert!(min <= max, "{what}: {d:?}");
    }
    for _ in 0..3 {
        d.sample(rng);
    }
}

fn probability(what: &str, p: f64) {
    assert!((0.0..=1.0).contains(&p), "{what} = {p} is not a probability");
}

/// A scenario the parser accepted must be one the model can run.
fn check_sane(sc: &Scenario) {
    assert!(sc.horizon > SimTime::ZERO, "horizon {}", sc.horizon);
    assert!(sc.bucket > SimTime::ZERO, "bucket {}", sc.bucket);
    assert!(sc.bucket_count() >= 1);
    assert!(sc.replications >= 1);
    assert!(sc.evaluator.servers >= 1 && sc.evaluator.pools >= 1);
    if let Some(t) = sc.evaluator.queue_timeout {
        assert!(t > SimTime::ZERO, "queue_timeout {t}");
    }
    let mut rng = ChaCha8Rng::seed_from_u64(sc.seed);
    check_dist("service_time", &sc.evaluator.service_time, &mut rng);
    assert!(sc.evaluator.service_time.mean_us() >= 1.0);
    check_dist("poll_interval", &sc.devices.poll_interval, &mut rng);
    assert!(sc.devices.poll_interval.mean_us() >= 1.0);
    check_dist(
        "quarantined_poll_interval",
        &sc.devices.quarantined_poll_interval,
        &mut rng,
    );
    assert!(sc.devices.quarantined_poll_interval.mean_us() >= 1.0);
    check_dist("mail_delivery", &sc.devices.mail_delivery, &mut rng);
    let b = &sc.behavior;
    let c = b.choice;
    for (name, p) in [
        ("outlook", c.outlook),
        ("third_party", c.third_party),
        ("ignore", c.ignore),
    ] {
        probability(name, p);
    }
    let sum = c.outlook + c.third_party + c.ignore;
    assert!((sum - 1.0).abs() < 1e-6, "choices sum to {sum}");
    probability("blocked_switch", b.blocked_switch);
    check_dist("reaction", &b.reaction, &mut rng);
    check_dist("outlook_setup", &b.outlook_setup, &mut rng);
    check_dist("blocked_switch_delay", &b.blocked_switch_delay, &mut rng);
    if let Some(d) = &b.abandon_after {
        check_dist("abandon_after", d, &mut rng);
    }
    check_dist("wave", &b.wave, &mut rng);
    assert!(!sc.groups.is_empty(), "at least one tenant group");
    for g in &sc.groups {
        assert!(g.count >= 1, "group {} has no tenants", g.name);
        check_count("users", &g.users, &mut rng);
        check_count("devices_per_user", &g.devices_per_user, &mut rng);
        probability("third_party_share", g.third_party_share);
        probability("mdm_share", g.mdm_share);
        for r in [g.activations_per_user_day, g.readds_per_user_day] {
            assert!(r.is_finite() && r >= 0.0, "rate {r}");
        }
        assert!((g.activations_per_user_day + g.readds_per_user_day).is_finite());
        for ch in &g.changes {
            assert!(ch.at < sc.horizon, "change at {} with horizon {}", ch.at, sc.horizon);
            probability("share", ch.share);
        }
        assert!(g.changes.windows(2).all(|w| w[0].at <= w[1].at), "changes sorted");
    }
    let size = sc.expected_size();
    assert_eq!(size.tenants, sc.tenant_count());
    for (name, x) in [
        ("users", size.users),
        ("connections", size.connections),
        ("events", size.events),
    ] {
        assert!(x.is_finite() && x >= 0.0, "expected {name} = {x}");
    }
}

/// Parses `text`; the outcome must be a sane scenario or a one-line error.
fn check(text: &str) {
    match Scenario::parse(text, FILE) {
        Ok(sc) => check_sane(&sc),
        Err(e) => {
            assert_eq!(e.file, FILE);
            let shown = e.to_string();
            assert!(!shown.contains('\n') && !shown.contains('\r'), "one line: {shown:?}");
            assert!(!e.message.trim().is_empty(), "a message: {shown:?}");
            if let Some(line) = e.line {
                let lines = text.matches('\n').count() + 1;
                assert!((1..=lines).contains(&line), "line {line} of {lines}: {shown}");
            }
            if let Some(key) = &e.key {
                assert!(!key.is_empty(), "{shown}");
            }
        }
    }
}

/// Values a fuzzed number or string is replaced with.
const EXTREMES: &[&str] = &[
    "-1",
    "0",
    "1",
    "0.0",
    "-0.0",
    "1e308",
    "-1e308",
    "1e-308",
    "5e-324",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967295",
    "4294967296",
    "10000001",
    "100000000",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "0.5",
    "1.0000000001",
    "0.9999999999",
    "",
    "1_000",
    "0x10",
    "1.",
    ".5",
    // TOML escapes: the parsed value holds a line break or control character.
    "1\\nh",
    "\\r\\n",
    "\\u0007",
    "\\t30",
];

/// Units glued after an extreme value inside a string.
const UNITS: &[&str] = &["", "us", "ms", "s", "m", "h", "d", " s", "x", "é"];

/// Characters worth inserting: TOML syntax, digits, and a few awkward ones.
const CHARS: &[char] = &[
    '=', '[', ']', '{', '}', '"', '\'', '.', ',', '#', '\n', '\r', '-', '+', '0', '9', 'e', '_', 'a', ' ', '\t', '\\',
    '\0', 'é', '😀', '\u{feff}',
];

#[derive(Clone, Debug)]
enum Mutation {
    DeleteChar(Index),
    InsertChar(Index, char),
    ReplaceChar(Index, char),
    SwapLines(Index, Index),
    DuplicateLine(Index),
    DeleteLine(Index),
    /// Replace the n-th number (a run of digits, signs, dots, `e`) with an extreme value.
    Number(Index, &'static str, &'static str),
    /// Replace the n-th quoted string's contents.
    Str(Index, &'static str, &'static str),
    /// Replace the n-th key (left of `=`) with another.
    Key(Index, &'static str),
}

/// Keys a fuzzed key is replaced with: quoted, dotted, escaped, misplaced.
const KEYS: &[&str] = &[
    "\"outlook\"",
    "\"out\\nlook\"",
    "\"a\\u0000b\"",
    "'lit\\n'",
    "\"\"",
    "a.b",
    "evaluator.servers",
    "tenants",
    "servers",
    "dist",
    "median",
    "\"ignore\"",
    "name",
    "policy",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let ch = prop::sample::select(CHARS);
    let extreme = prop::sample::select(EXTREMES);
    let unit = prop::sample::select(UNITS);
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::DeleteChar),
        1 => (any::<Index>(), ch.clone()).prop_map(|(i, c)| Mutation::InsertChar(i, c)),
        1 => (any::<Index>(), ch).prop_map(|(i, c)| Mutation::ReplaceChar(i, c)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
        3 => (any::<Index>(), extreme.clone(), unit.clone()).prop_map(|(i, x, u)| Mutation::Number(i, x, u)),
        2 => (any::<Index>(), extreme, unit).prop_map(|(i, x, u)| Mutation::Str(i, x, u)),
        1 => (any::<Index>(), prop::sample::select(KEYS)).prop_map(|(i, k)| Mutation::Key(i, k)),
    ]
}

/// Byte ranges of the numbers in `text`: runs of `[-+0-9._eE]` holding a digit.
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let part = |c: u8| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'_' | b'e' | b'E');
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() || (matches!(b[i], b'-' | b'+') && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            // Do not start inside a word such as `e5` or `x1`.
            let start = i;
            let mut end = i;
            while end < b.len() && part(b[end]) {
                end += 1;
            }
            if start == 0 || !b[start - 1].is_ascii_alphabetic() {
                out.push((start, end));
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Byte ranges of the contents of `"..."` strings on each line.
fn strings(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open = None;
    for (i, c) in text.char_indices() {
        match (c, open) {
            ('"', None) => open = Some(i + 1),
            ('"', Some(start)) => {
                out.push((start, i));
                open = None;
            }
            ('\n', _) => open = None,
            _ => {}
        }
    }
    out
}

fn char_boundary(text: &str, i: &Index) -> usize {
    if text.is_empty() {
        return 0;
    }
    let mut at = i.index(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &mut String, m: &Mutation) {
    match m {
        Mutation::DeleteChar(i) => {
            if !text.is_empty() {
                let at = char_boundary(text, i).min(text.len() - 1);
                let at = (0..=at).rev().find(|&a| text.is_char_boundary(a)).unwrap_or(0);
                text.remove(at);
            }
        }
        Mutation::InsertChar(i, c) => {
            let at = char_boundary(text, i);
            text.insert(at, *c);
        }
        Mutation::ReplaceChar(i, c) => {
            if !text.is_empty() {
                let at = char_boundary(text, i).min(text.len() - 1);
                let at = (0..=at).rev().find(|&a| text.is_char_boundary(a)).unwrap_or(0);
                text.remove(at);
                text.insert(at, *c);
            }
        }
        Mutation::SwapLines(a, b) => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            let (x, y) = (a.index(lines.len()), b.index(lines.len()));
            lines.swap(x, y);
            *text = lines.join("\n");
        }
        Mutation::DuplicateLine(a) => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            let x = a.index(lines.len());
            lines.insert(x, lines[x]);
            *text = lines.join("\n");
        }
        Mutation::DeleteLine(a) => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            lines.remove(a.index(lines.len()));
            *text = lines.join("\n");
        }
        Mutation::Number(i, value, unit) => {
            let found = numbers(text);
            if !found.is_empty() {
                let (s, e) = found[i.index(found.len())];
                // A number inside a string keeps its unit unless one is given.
                let replacement = format!("{value}{unit}");
                let keep_unit = unit.is_empty();
                let (s, e) = if keep_unit { (s, e) } else { (s, skip_unit(text, e)) };
                text.replace_range(s..e, &replacement);
            }
        }
        Mutation::Str(i, value, unit) => {
            let found = strings(text);
            if !found.is_empty() {
                let (s, e) = found[i.index(found.len())];
                text.replace_range(s..e, &format!("{value}{unit}"));
            }
        }
        Mutation::Key(i, key) => {
            let found = keys(text);
            if !found.is_empty() {
                let (s, e) = found[i.index(found.len())];
                text.replace_range(s..e, key);
            }
        }
    }
}

/// Byte ranges of keys: a word before `=`, at the start of a line or after
/// `{` or `,` (inline tables).
fn keys(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if word(b[i]) && (i == 0 || matches!(b[i - 1], b'\n' | b'{' | b',' | b' ')) {
            let start = i;
            while i < b.len() && word(b[i]) {
                i += 1;
            }
            let rest = &text[i..];
            let before = &text[..start];
            let line_start = before.rfind('\n').map_or(0, |n| n + 1);
            let lead = before[line_start..].trim();
            let placed = lead.is_empty() || lead.ends_with('{') || lead.ends_with(',');
            if placed && rest.trim_start_matches(' ').starts_with('=') {
                out.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The end of a duration unit that follows a number ending at `end`.
fn skip_unit(text: &str, end: usize) -> usize {
    end + text[end..].chars().take_while(char::is_ascii_alphabetic).count()
}

fn mutated() -> impl Strategy<Value = String> {
    let samples = samples();
    let count = samples.len();
    (0..count, prop::collection::vec(mutation(), 1..6)).prop_map(move |(which, ms)| {
        let mut text = samples[which].1.clone();
        for m in &ms {
            apply(&mut text, m);
        }
        text
    })
}

/// `cases` runs, times `MAILSIM_FUZZ_SCALE` (default 1) for a longer hunt:
/// `MAILSIM_FUZZ_SCALE=100 cargo test --release --test parser_fuzz`.
fn config(cases: u32) -> ProptestConfig {
    let scale: u32 = std::env::var("MAILSIM_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    ProptestConfig {
        cases: cases.saturating_mul(scale.max(1)),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[test]
fn the_samples_parse_and_are_sane() {
    for (name, text) in samples() {
        let sc = Scenario::parse(&text, &name).unwrap_or_else(|e| panic!("{e}"));
        check_sane(&sc);
    }
}

#[test]
fn the_mutation_helpers_find_numbers_and_strings() {
    let text = "a = 12\nb = \"30s\" # x1\nc = { d = -0.5, e = 1e3 }\n";
    let found: Vec<&str> = numbers(text).into_iter().map(|(s, e)| &text[s..e]).collect();
    assert_eq!(found, ["12", "30", "-0.5", "1e3"]);
    let found: Vec<&str> = strings(text).into_iter().map(|(s, e)| &text[s..e]).collect();
    assert_eq!(found, ["30s"]);
    let found: Vec<&str> = keys(text).into_iter().map(|(s, e)| &text[s..e]).collect();
    assert_eq!(found, ["a", "b", "c", "d", "e"]);
}

proptest! {
    #![proptest_config(config(10_000))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_printable_text_never_panics(text in "[ -~\n\t]{0,400}") {
        check(&text);
    }

    #[test]
    fn random_toml_like_text_never_panics(
        text in "([a-z_]{1,12} = (\"[0-9]{0,3}(us|ms|s|m|h|d)?\"|-?[0-9.e]{1,6}|\\{ [a-z]{1,6} = \"[a-z0-9]{0,5}\" \\}|\\[\\])\n|\\[\\[?[a-z.]{1,16}\\]\\]?\n){0,30}"
    ) {
        check(&text);
    }
}

proptest! {
    #![proptest_config(config(40_000))]

    #[test]
    fn mutated_samples_never_panic(text in mutated()) {
        check(&text);
    }
}
