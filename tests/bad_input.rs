//! Bad input through the real binary (SPEC §4): every bad scenario or
//! command line exits with code 2, prints one `error:` message naming the
//! file, the key path and (where the parser knows it) the right line, and
//! writes nothing: an existing output folder stays as it was and no other
//! folder appears.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_mailsim");

/// A tiny valid scenario; each case changes one line of it.
const BASE: &str = r#"name = "tiny"
seed = 7
horizon = "1h"
bucket = "1m"
replications = 1

[evaluator]
pools = 1
servers = 2
service_time = { dist = "exponential", mean = "5ms" }
queue_timeout = "30s"

[devices]
poll_interval = { dist = "exponential", mean = "15m" }
quarantined_poll_interval = { dist = "exponential", mean = "5m" }
mail_delivery = { dist = "fixed", value = "30s" }

[behavior]
choice = { outlook = 0.3, third_party = 0.5, ignore = 0.2 }
reaction = { dist = "lognormal", median = "2h", sigma = 1.0 }
blocked_switch = 0.7

[[tenants]]
name = "small"
count = 3
users = { dist = "uniform", min = 1, max = 4 }
devices_per_user = { dist = "fixed", value = 1 }
third_party_share = 0.6
activations_per_user_day = 0.5
readds_per_user_day = 0.2
mdm_share = 0.0
policy = "unmanaged"

[[tenants]]
name = "big"
count = 2
users = { dist = "poisson", mean = 5 }
third_party_share = 0.5
mdm_share = 0.5
policy = "any_app_prompt_once"

[[tenants.changes]]
at = "10m"
policy = "any_app_prompt_always"
share = 0.5

[[tenants.changes]]
at = "30m"
policy = "outlook_only"
share = 1.0
"#;

/// The 1-based number of the one line of `text` that reads `line` (trimmed).
fn line_no(text: &str, line: &str) -> usize {
    let found: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == line)
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(found.len(), 1, "the test expects exactly one line {line:?}");
    found[0]
}

/// `BASE` with the line `from` replaced by `to`; also the line's number.
fn set(from: &str, to: &str) -> (String, usize) {
    let n = line_no(BASE, from);
    let text: Vec<&str> = BASE.lines().map(|l| if l.trim() == from { to } else { l }).collect();
    (text.join("\n") + "\n", n)
}

/// `BASE` with `new` inserted after the line `after`; also the new line's number.
fn insert_after(after: &str, new: &str) -> (String, usize) {
    let n = line_no(BASE, after);
    let mut text: Vec<&str> = BASE.lines().collect();
    text.insert(n, new);
    (text.join("\n") + "\n", n + 1)
}

/// `BASE` without its tenant groups.
fn without_tenants() -> String {
    let end = BASE.find("[[tenants]]").expect("BASE has tenants");
    BASE[..end].to_string()
}

fn mailsim(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the mailsim binary runs")
}

/// Names in a folder, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("folder readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const MARKER: &str = "results of an earlier run\n";

/// A scratch folder holding the scenario (as `s.toml`, unless `None`) and
/// an output folder `out` with a marker file in it.
fn scratch(scenario: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(text) = scenario {
        std::fs::write(dir.path().join("s.toml"), text).expect("write scenario");
    }
    std::fs::create_dir(dir.path().join("out")).expect("out dir");
    std::fs::write(dir.path().join("out").join("marker.txt"), MARKER).expect("marker");
    // The earlier run was mailsim's: its folder holds mailsim's own marker.
    std::fs::write(dir.path().join("out").join(".mailsim-output"), "").expect("mailsim marker");
    dir
}

/// Runs `mailsim ARGS` in `dir`; checks exit code 2, exactly one `error:`
/// message, and that nothing was written. Returns stderr.
fn expect_exit_2(dir: &Path, args: &[&str], case: &str) -> String {
    let before = listing(dir);
    let out = mailsim(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{case}: exit code; stderr: {stderr}");
    assert!(
        stderr.starts_with("error: "),
        "{case}: stderr starts with `error: `: {stderr}"
    );
    assert_eq!(
        stderr.matches("error:").count(),
        1,
        "{case}: one error message: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "{case}: nothing on stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(listing(dir), before, "{case}: no folder created or removed");
    assert_eq!(
        listing(&dir.join("out")),
        [".mailsim-output", "marker.txt"],
        "{case}: output folder untouched"
    );
    let marker = std::fs::read_to_string(dir.join("out").join("marker.txt")).expect("marker still there");
    assert_eq!(marker, MARKER, "{case}: marker file unchanged");
    stderr
}

/// Checks that a bad scenario is refused by both `run` and `validate` with
/// one line `error: s.toml[:LINE]: KEY: message`, the message holding every
/// `needles` string. Returns the message.
fn expect_bad(case: &str, text: &str, key: &str, line: Option<usize>, needles: &[&str]) -> String {
    let dir = scratch(Some(text));
    let prefix = match line {
        Some(n) => format!("error: s.toml:{n}: {key}: "),
        None => format!("error: s.toml: {key}: "),
    };
    let mut message = String::new();
    for args in [
        &["run", "s.toml", "--out", "out", "--quiet"][..],
        &["run", "s.toml"][..],
        &["validate", "s.toml"][..],
    ] {
        let stderr = expect_exit_2(dir.path(), args, case);
        assert_eq!(stderr.lines().count(), 1, "{case}: a one-line message: {stderr}");
        assert!(
            stderr.starts_with(&prefix),
            "{case} ({args:?}): expected a message starting {prefix:?}, got {stderr:?}"
        );
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{case}: message should mention {needle:?}: {stderr}"
            );
        }
        message = stderr.trim_end().to_string();
    }
    message
}

/// One changed line whose error is reported on that line.
fn bad_line(case: &str, from: &str, to: &str, key: &str, needles: &[&str]) {
    let (text, line) = set(from, to);
    expect_bad(case, &text, key, Some(line), needles);
}

#[test]
fn the_tiny_scenario_is_valid_and_runs() {
    let dir = scratch(Some(BASE));
    let out = mailsim(dir.path(), &["validate", "s.toml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let tenants = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("tenants"))
        .unwrap_or_else(|| panic!("validate prints the tenant count: {stdout}"));
    assert_eq!(tenants.split_whitespace().nth(1), Some("5"), "3 + 2 tenants: {tenants}");

    let out = mailsim(
        dir.path(),
        &["run", "s.toml", "--out", "out", "--quiet", "--threads", "2"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let files = listing(&dir.path().join("out"));
    assert!(files.contains(&"summary.csv".to_string()), "{files:?}");
    assert!(
        !files.contains(&"marker.txt".to_string()),
        "the old results were replaced: {files:?}"
    );
    assert_eq!(
        listing(dir.path()),
        ["out", "s.toml"],
        "no temporary folder left behind"
    );
}

#[test]
fn a_missing_file() {
    let dir = scratch(None);
    for args in [
        &["run", "nope.toml", "--out", "out"][..],
        &["validate", "nope.toml"][..],
    ] {
        let stderr = expect_exit_2(dir.path(), args, "missing file");
        assert!(stderr.starts_with("error: nope.toml: "), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn a_toml_syntax_error() {
    bad_line("value missing", "servers = 2", "servers = ", "evaluator.servers", &[]);
    bad_line(
        "unterminated string",
        "at = \"30m\"",
        "at = \"30m",
        "tenants[1].changes[1].at",
        &[],
    );
    let (text, line) = insert_after("servers = 2", "servers = 3");
    expect_bad("duplicate key", &text, "evaluator.servers", Some(line), &["duplicate"]);
}

#[test]
fn an_unknown_key() {
    let (text, line) = insert_after("bucket = \"1m\"", "horizn = \"2h\"");
    expect_bad("top level", &text, "horizn", Some(line), &["horizon", "tenants"]);
    bad_line(
        "nested",
        "servers = 2",
        "srvers = 2",
        "evaluator.srvers",
        &["servers", "service_time"],
    );
    let (text, line) = insert_after("at = \"10m\"", "when = \"5m\"");
    expect_bad(
        "in an array of tables",
        &text,
        "tenants[1].changes[0].when",
        Some(line),
        &["at"],
    );
    bad_line(
        "in a distribution",
        "poll_interval = { dist = \"exponential\", mean = \"15m\" }",
        "poll_interval = { dist = \"exponential\", mean = \"15m\", rate = 2 }",
        "devices.poll_interval.rate",
        &["mean"],
    );
    bad_line(
        "a choice",
        "choice = { outlook = 0.3, third_party = 0.5, ignore = 0.2 }",
        "choice = { outlook = 0.3, thirdparty = 0.5, ignore = 0.2 }",
        "behavior.choice.thirdparty",
        &["outlook, third_party, ignore"],
    );
    bad_line(
        "a parameter the distribution does not take",
        "devices_per_user = { dist = \"fixed\", value = 1 }",
        "devices_per_user = { dist = \"fixed\", value = 1, mean = 2 }",
        "tenants[0].devices_per_user.mean",
        &["value"],
    );
}

#[test]
fn a_missing_key() {
    let (text, _) = set("servers = 2", "");
    let line = line_no(BASE, "[evaluator]");
    expect_bad("servers", &text, "evaluator.servers", Some(line), &["required"]);
    let (text, _) = set("name = \"tiny\"", "");
    expect_bad("name", &text, "name", None, &["required"]);
}

#[test]
fn a_wrong_type() {
    bad_line(
        "servers",
        "servers = 2",
        "servers = \"eight\"",
        "evaluator.servers",
        &["\"eight\"", "whole number"],
    );
    bad_line("horizon", "horizon = \"1h\"", "horizon = 3600", "horizon", &["string"]);
    bad_line(
        "distribution",
        "poll_interval = { dist = \"exponential\", mean = \"15m\" }",
        "poll_interval = \"15m\"",
        "devices.poll_interval",
        &["distribution table"],
    );
    bad_line(
        "duration parameter",
        "service_time = { dist = \"exponential\", mean = \"5ms\" }",
        "service_time = { dist = \"exponential\", mean = 5 }",
        "evaluator.service_time.mean",
        &["duration"],
    );
    bad_line(
        "count parameter",
        "users = { dist = \"uniform\", min = 1, max = 4 }",
        "users = { dist = \"uniform\", min = 1, max = \"4\" }",
        "tenants[0].users.max",
        &["number"],
    );
    bad_line("negative count", "count = 2", "count = -2", "tenants[1].count", &["-2"]);
}

#[test]
fn an_unknown_policy() {
    let all = [
        "unmanaged",
        "outlook_only",
        "any_app_prompt_always",
        "any_app_prompt_once",
    ];
    bad_line(
        "group",
        "policy = \"unmanaged\"",
        "policy = \"sometimes\"",
        "tenants[0].policy",
        &[&["\"sometimes\""][..], &all[..]].concat(),
    );
    bad_line(
        "change",
        "policy = \"outlook_only\"",
        "policy = \"outlook\"",
        "tenants[1].changes[1].policy",
        &all,
    );
}

#[test]
fn an_unknown_distribution() {
    bad_line(
        "duration",
        "service_time = { dist = \"exponential\", mean = \"5ms\" }",
        "service_time = { dist = \"gamma\", mean = \"5ms\" }",
        "evaluator.service_time.dist",
        &["\"gamma\"", "fixed, uniform, exponential, lognormal"],
    );
    bad_line(
        "poisson is for counts only",
        "poll_interval = { dist = \"exponential\", mean = \"15m\" }",
        "poll_interval = { dist = \"poisson\", mean = \"15m\" }",
        "devices.poll_interval.dist",
        &["fixed, uniform, exponential, lognormal"],
    );
    bad_line(
        "count",
        "users = { dist = \"poisson\", mean = 5 }",
        "users = { dist = \"binomial\", mean = 5 }",
        "tenants[1].users.dist",
        &["fixed, uniform, poisson, exponential, lognormal"],
    );
}

#[test]
fn a_duration_that_must_be_positive() {
    bad_line(
        "horizon zero",
        "horizon = \"1h\"",
        "horizon = \"0s\"",
        "horizon",
        &["zero"],
    );
    bad_line(
        "horizon negative",
        "horizon = \"1h\"",
        "horizon = \"-1h\"",
        "horizon",
        &["negative"],
    );
    bad_line("bucket zero", "bucket = \"1m\"", "bucket = \"0m\"", "bucket", &["zero"]);
    bad_line(
        "bucket negative",
        "bucket = \"1m\"",
        "bucket = \"-1m\"",
        "bucket",
        &["negative"],
    );
    bad_line(
        "queue_timeout zero",
        "queue_timeout = \"30s\"",
        "queue_timeout = \"0ms\"",
        "evaluator.queue_timeout",
        &["zero"],
    );
    bad_line(
        "queue_timeout negative",
        "queue_timeout = \"30s\"",
        "queue_timeout = \"-30s\"",
        "evaluator.queue_timeout",
        &["negative"],
    );
    let poll = "poll_interval = { dist = \"exponential\", mean = \"15m\" }";
    bad_line(
        "poll_interval mean zero",
        poll,
        "poll_interval = { dist = \"exponential\", mean = \"0s\" }",
        "devices.poll_interval.mean",
        &["zero"],
    );
    bad_line(
        "poll_interval mean negative",
        poll,
        "poll_interval = { dist = \"exponential\", mean = \"-15m\" }",
        "devices.poll_interval.mean",
        &["negative"],
    );
    bad_line(
        "poll_interval fixed zero",
        poll,
        "poll_interval = { dist = \"fixed\", value = \"0s\" }",
        "devices.poll_interval",
        &["zero"],
    );
    bad_line(
        "service_time uniform zero",
        "service_time = { dist = \"exponential\", mean = \"5ms\" }",
        "service_time = { dist = \"uniform\", min = \"0s\", max = \"0s\" }",
        "evaluator.service_time",
        &["zero"],
    );
}

#[test]
fn a_probability_outside_0_1() {
    let between = ["between 0 and 1"];
    bad_line(
        "third_party_share",
        "third_party_share = 0.6",
        "third_party_share = 1.5",
        "tenants[0].third_party_share",
        &["1.5", between[0]],
    );
    bad_line(
        "third_party_share negative",
        "third_party_share = 0.5",
        "third_party_share = -0.1",
        "tenants[1].third_party_share",
        &between,
    );
    bad_line(
        "blocked_switch",
        "blocked_switch = 0.7",
        "blocked_switch = 1.01",
        "behavior.blocked_switch",
        &between,
    );
    bad_line(
        "blocked_switch nan",
        "blocked_switch = 0.7",
        "blocked_switch = nan",
        "behavior.blocked_switch",
        &between,
    );
    bad_line(
        "change share",
        "share = 0.5",
        "share = 2",
        "tenants[1].changes[0].share",
        &between,
    );
    bad_line(
        "second change share",
        "share = 1.0",
        "share = -1",
        "tenants[1].changes[1].share",
        &between,
    );
    bad_line(
        "mdm_share",
        "mdm_share = 0.5",
        "mdm_share = 1.0001",
        "tenants[1].mdm_share",
        &between,
    );
    bad_line(
        "mdm_share huge",
        "mdm_share = 0.0",
        "mdm_share = 1e308",
        "tenants[0].mdm_share",
        &["1e308", between[0]],
    );
    bad_line(
        "a choice",
        "choice = { outlook = 0.3, third_party = 0.5, ignore = 0.2 }",
        "choice = { outlook = 1.3, third_party = -0.5, ignore = 0.2 }",
        "behavior.choice.outlook",
        &between,
    );
}

#[test]
fn choices_not_summing_to_1() {
    let choice = "choice = { outlook = 0.3, third_party = 0.5, ignore = 0.2 }";
    bad_line(
        "too much",
        choice,
        "choice = { outlook = 0.3, third_party = 0.5, ignore = 0.3 }",
        "behavior.choice",
        &["sum to 1", "1.1"],
    );
    bad_line(
        "too little",
        choice,
        "choice = { outlook = 0.3, third_party = 0.5 }",
        "behavior.choice",
        &["sum to 1", "0.8"],
    );
}

#[test]
fn a_change_at_or_after_the_horizon() {
    bad_line(
        "at",
        "at = \"30m\"",
        "at = \"1h\"",
        "tenants[1].changes[1].at",
        &["horizon"],
    );
    bad_line(
        "after",
        "at = \"10m\"",
        "at = \"2d\"",
        "tenants[1].changes[0].at",
        &["horizon"],
    );
}

#[test]
fn zero_servers_or_pools() {
    bad_line("servers", "servers = 2", "servers = 0", "evaluator.servers", &["1"]);
    bad_line("pools", "pools = 1", "pools = 0", "evaluator.pools", &["1"]);
}

#[test]
fn no_tenants() {
    let text = format!("tenants = []\n{}", without_tenants());
    expect_bad("empty list", &text, "tenants", Some(1), &["[[tenants]]"]);
    expect_bad("absent", &without_tenants(), "tenants", None, &["required"]);
    bad_line(
        "a group of none",
        "count = 3",
        "count = 0",
        "tenants[0].count",
        &["at least one"],
    );
}

#[test]
fn a_duration_without_unit() {
    let units = "us, ms, s, m, h, d";
    bad_line(
        "horizon",
        "horizon = \"1h\"",
        "horizon = \"60\"",
        "horizon",
        &["unit", units],
    );
    bad_line(
        "change",
        "at = \"10m\"",
        "at = \"10\"",
        "tenants[1].changes[0].at",
        &["unit", units],
    );
    bad_line(
        "distribution",
        "mail_delivery = { dist = \"fixed\", value = \"30s\" }",
        "mail_delivery = { dist = \"fixed\", value = \"30\" }",
        "devices.mail_delivery.value",
        &["unit", units],
    );
    bad_line(
        "unknown unit",
        "queue_timeout = \"30s\"",
        "queue_timeout = \"30sec\"",
        "evaluator.queue_timeout",
        &["unit", units],
    );
}

#[test]
fn a_bad_command_line() {
    let dir = scratch(Some(BASE));
    for (args, needle) in [
        (
            &["run", "s.toml", "--out", "out", "--replications", "0"][..],
            "--replications",
        ),
        (&["run", "s.toml", "--out", "out", "--threads", "0"][..], "--threads"),
        (&["run", "s.toml", "--out", "out", "--seed=-1"][..], "--seed"),
        (
            &["run", "s.toml", "--out", "out", "--replications", "many"][..],
            "--replications",
        ),
        (&["run", "s.toml", "--out", "out", "--bogus"][..], "--bogus"),
        (&["run", "--out", "out"][..], "SCENARIO"),
        (&["frobnicate", "s.toml"][..], "frobnicate"),
    ] {
        let stderr = expect_exit_2(dir.path(), args, &format!("{args:?}"));
        assert!(stderr.contains(needle), "{args:?}: names {needle}: {stderr}");
    }
}

#[test]
fn a_message_says_exactly_what_its_key_takes() {
    // A duration written as a bare number gets the string it should be.
    bad_line(
        "bare horizon",
        "horizon = \"1h\"",
        "horizon = 7",
        "horizon",
        &["horizon = \"7d\""],
    );
    bad_line("bare bucket", "bucket = \"1m\"", "bucket = 5", "bucket", &["\"5m\""]);
    // A count that must be at least 1 does not offer 0.
    bad_line(
        "servers not a number",
        "servers = 2",
        "servers = \"abc\"",
        "evaluator.servers",
        &["a whole number of 1 or more"],
    );
    bad_line(
        "count not a number",
        "count = 3",
        "count = -1",
        "tenants[0].count",
        &["of 1 or more"],
    );
}

/// `BASE` with a calendar (`start`), then each `(line, replacement)`: a
/// replacement of the line, or with `+` in front, a line added after it.
/// Also the number of the last line changed or added.
fn with_calendar(edits: &[(&str, &str)]) -> (String, usize) {
    let mut lines: Vec<String> = BASE.lines().map(String::from).collect();
    let mut edits = edits.to_vec();
    edits.insert(0, ("seed = 7", "+start = \"2027-01-04T08:00:00Z\""));
    let mut last = 0;
    for (at, new) in edits {
        let i = lines.iter().position(|l| l.trim() == at).expect("the line is in BASE");
        match new.strip_prefix('+') {
            Some(added) => {
                lines.insert(i + 1, added.to_string());
                last = i + 2;
            }
            None => {
                lines[i] = new.to_string();
                last = i + 1;
            }
        }
    }
    (lines.join("\n") + "\n", last)
}

/// A calendar case: name, edits, the key named, words in the message.
type CalendarCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, &'a [&'a str]);

#[test]
fn calendar_mistakes_are_named_by_their_key() {
    let tenant = "policy = \"unmanaged\"";
    let cases: [CalendarCase; 6] = [
        (
            "unknown zone",
            &[(
                tenant,
                "+timezones = { \"Europe/London\" = 0.5, \"Mars/Olympus\" = 0.5 }",
            )],
            "tenants[0].timezones.Mars/Olympus",
            &["unknown time zone", "Mars/Olympus"],
        ),
        (
            "a profile of 3 hours",
            &[(tenant, "+activity = [1.0, 2.0, 3.0]")],
            "tenants[0].activity",
            &["has 3 entries", "168"],
        ),
        (
            "unknown profile",
            &[(tenant, "+activity = \"night-owl\"")],
            "tenants[0].activity",
            &["flat, office, consumer"],
        ),
        (
            "a date before start",
            &[("at = \"10m\"", "at = \"2027-01-03T23:00:00Z\"")],
            "tenants[1].changes[0].at",
            &["before start", "2027-01-04T08:00:00Z"],
        ),
        (
            "a local date before start",
            &[("at = \"10m\"", "at = \"2027-01-04T07:00\"")],
            "tenants[1].changes[0].at",
            &["before start"],
        ),
        (
            "an unknown device mode",
            &[(
                "mail_delivery = { dist = \"fixed\", value = \"30s\" }",
                "+modes = { push = 0.5, pigeon = 0.5 }",
            )],
            "devices.modes.pigeon",
            &["push or fetch_"],
        ),
    ];
    for (case, edits, key, needles) in cases {
        let (text, line) = with_calendar(edits);
        expect_bad(case, &text, key, Some(line), needles);
    }
    // A negative hour in a profile of 168.
    let hours: Vec<&str> = (0..168).map(|h| if h == 5 { "-1.0" } else { "1.0" }).collect();
    let negative = format!("+activity = [{}]", hours.join(", "));
    let (text, line) = with_calendar(&[(tenant, &negative)]);
    expect_bad(
        "a negative hour",
        &text,
        "tenants[0].activity[5]",
        Some(line),
        &["negative"],
    );
    // A start that is not RFC 3339.
    let (text, _) = with_calendar(&[]);
    let text = text.replace("start = \"2027-01-04T08:00:00Z\"", "start = \"next monday\"");
    expect_bad("start", &text, "start", Some(3), &["RFC 3339"]);
    // Calendar keys without a calendar.
    let (text, line) = insert_after(tenant, "timezones = \"Europe/London\"");
    expect_bad(
        "zones without start",
        &text,
        "tenants[0].timezones",
        Some(line),
        &["`start`"],
    );
    let (text, line) = set("at = \"10m\"", "at = \"2027-01-04T09:00\"");
    expect_bad(
        "a date without start",
        &text,
        "tenants[1].changes[0].at",
        Some(line),
        &["`start`"],
    );
}
