//! Validation details of scenario files: defaults, ordering, line numbers,
//! distributions and the wording of messages.

use super::validate::{count_dist, dist, num};
use super::*;

/// The smallest valid scenario: every optional key left out.
const MIN: &str = r#"name = "min"
horizon = "3d"

[evaluator]
servers = 4
service_time = { dist = "exponential", mean = "5ms" }

[devices]
poll_interval = { dist = "exponential", mean = "15m" }

[[tenants]]
name = "g"
count = 10
users = { dist = "fixed", value = 20 }
"#;

fn parse(text: &str) -> Scenario {
    Scenario::parse(text, "t.toml").unwrap_or_else(|e| panic!("{e}\n--- scenario:\n{text}"))
}

fn error(text: &str) -> ScenarioError {
    match Scenario::parse(text, "t.toml") {
        Ok(_) => panic!("should be rejected:\n{text}"),
        Err(e) => e,
    }
}

/// `MIN` with `line` replaced by `to` (the line must be there once).
fn with(line: &str, to: &str) -> String {
    assert_eq!(MIN.matches(line).count(), 1, "{line:?} once in MIN");
    MIN.replace(line, to)
}

/// `MIN` with more lines at the end of its `[section]` (or `[[tenants]]`).
fn add(section: &str, lines: &str) -> String {
    let start = MIN.find(section).unwrap_or_else(|| panic!("{section} in MIN"));
    let end = MIN[start + section.len()..]
        .find("\n\n")
        .map_or(MIN.len(), |i| start + section.len() + i + 1);
    format!("{}{lines}\n{}", &MIN[..end], &MIN[end..])
}

/// `MIN` with a `[behavior]` table holding `lines`.
fn with_behavior(lines: &str) -> String {
    with("[[tenants]]", &format!("[behavior]\n{lines}\n\n[[tenants]]"))
}

/// A raw distribution from an inline table's contents.
fn raw_dist(table: &str) -> RawDist {
    toml::from_str(&table.replace(", ", "\n")).unwrap_or_else(|e| panic!("{table}: {e}"))
}

fn h(n: u64) -> SimTime {
    SimTime(n * SimTime::HOUR.0)
}

#[test]
fn defaults_are_applied() {
    let sc = parse(MIN);
    assert_eq!(sc.name, "min");
    assert_eq!(sc.seed, 1);
    assert_eq!(sc.replications, 1);
    assert_eq!(sc.bucket, SimTime(60_000_000));
    assert_eq!(sc.bucket_count(), 3 * 24 * 60);
    assert_eq!(sc.evaluator.pools, 1);
    assert_eq!(sc.evaluator.servers, 4);
    assert_eq!(sc.evaluator.queue_timeout, None);
    assert_eq!(sc.devices.quarantined_poll_interval, sc.devices.poll_interval);
    assert_eq!(sc.devices.poll_interval, Dist::Exponential { mean: 900e6 });
    assert_eq!(sc.devices.mail_delivery, Dist::Fixed(SimTime(30_000_000)));
    let b = &sc.behavior;
    assert_eq!(
        b.choice,
        Choice {
            outlook: 0.3,
            third_party: 0.5,
            ignore: 0.2
        }
    );
    assert_eq!(
        b.wave,
        Dist::Uniform {
            min: SimTime::ZERO,
            max: h(48)
        }
    );
    let lognormal = |median_us: f64, sigma| Dist::LogNormal {
        mu: median_us.ln(),
        sigma,
    };
    assert_eq!(b.reaction, lognormal(h(2).0 as f64, 1.0));
    assert_eq!(b.outlook_setup, lognormal(600e6, 0.8));
    assert_eq!(b.blocked_switch, 0.7);
    assert_eq!(b.blocked_switch_delay, lognormal(h(4).0 as f64, 1.0));
    assert!(b.abandon_after.is_none());
    let g = &sc.groups[0];
    assert_eq!(g.devices_per_user, CountDist::Fixed(1));
    assert_eq!(g.third_party_share, 0.6);
    assert_eq!((g.activations_per_user_day, g.readds_per_user_day), (0.0, 0.0));
    assert_eq!(g.mdm_share, 0.0);
    assert_eq!(g.policy, Policy::Unmanaged);
    assert!(g.changes.is_empty());
}

#[test]
fn quarantined_poll_interval_defaults_to_a_changed_poll_interval() {
    let sc = parse(&with(
        "poll_interval = { dist = \"exponential\", mean = \"15m\" }",
        "poll_interval = { dist = \"fixed\", value = \"7m\" }",
    ));
    assert_eq!(sc.devices.poll_interval, Dist::Fixed(SimTime(420_000_000)));
    assert_eq!(sc.devices.quarantined_poll_interval, sc.devices.poll_interval);
    let sc = parse(&add(
        "[devices]",
        "quarantined_poll_interval = { dist = \"fixed\", value = \"1m\" }",
    ));
    assert_eq!(sc.devices.quarantined_poll_interval, Dist::Fixed(SimTime(60_000_000)));
}

#[test]
fn a_change_share_defaults_to_all() {
    let sc = parse(&format!(
        "{MIN}[[tenants.changes]]\nat = \"1d\"\npolicy = \"outlook_only\"\n"
    ));
    let c = &sc.groups[0].changes[0];
    assert_eq!((c.at, c.policy, c.share), (SimTime::DAY, Policy::OutlookOnly, 1.0));
}

#[test]
fn every_policy_is_read() {
    for p in Policy::ALL {
        let sc = parse(&add("[[tenants]]", &format!("policy = \"{}\"", p.key())));
        assert_eq!(sc.groups[0].policy, p);
    }
}

#[test]
fn changes_are_sorted_by_time_keeping_file_order_among_equals() {
    let text = format!(
        "{MIN}{}",
        [
            ("2d", "outlook_only", 1.0),
            ("1d", "any_app_prompt_once", 0.1),
            ("12h", "any_app_prompt_always", 0.2),
            ("1d", "unmanaged", 0.3),
            ("0s", "any_app_prompt_once", 0.4),
        ]
        .iter()
        .map(|(at, p, s)| format!("[[tenants.changes]]\nat = \"{at}\"\npolicy = \"{p}\"\nshare = {s}\n"))
        .collect::<String>()
    );
    let changes = &parse(&text).groups[0].changes;
    let got: Vec<(SimTime, Policy, f64)> = changes.iter().map(|c| (c.at, c.policy, c.share)).collect();
    assert_eq!(
        got,
        [
            (SimTime::ZERO, Policy::AnyAppPromptOnce, 0.4),
            (h(12), Policy::AnyAppPromptAlways, 0.2),
            (SimTime::DAY, Policy::AnyAppPromptOnce, 0.1),
            (SimTime::DAY, Policy::Unmanaged, 0.3),
            (SimTime(2 * SimTime::DAY.0), Policy::OutlookOnly, 1.0),
        ]
    );
}

/// Two groups, the second with two changes; lines numbered in comments.
const NESTED: &str = r#"name = "nested"
horizon = "2d"
[evaluator]
servers = 1
service_time = { dist = "fixed", value = "1ms" }
[devices]
poll_interval = { dist = "exponential", mean = "15m" }
[behavior]
choice = { outlook = 0.3, third_party = 0.5, ignore = 0.2 }
[[tenants]]
name = "a"
count = 1
users = { dist = "uniform", min = 1, max = 4 }
[[tenants]]
name = "b"
count = 2
users = { dist = "fixed", value = 3 }
[[tenants.changes]]
at = "1d"
policy = "outlook_only"
[[tenants.changes]]
policy = "unmanaged"

at = "36h"
"#;

#[test]
fn line_of_key_follows_nested_array_paths() {
    assert!(Scenario::parse(NESTED, "n.toml").is_ok());
    let cases = [
        ("name", Some(1)),
        ("evaluator", Some(3)),
        ("evaluator.servers", Some(4)),
        ("evaluator.service_time.value", Some(5)),
        ("behavior.choice.ignore", Some(9)),
        ("tenants", Some(10)),
        ("tenants[0]", Some(10)),
        ("tenants[0].users.min", Some(13)),
        ("tenants[1].name", Some(15)),
        ("tenants[1].users.value", Some(17)),
        ("tenants[1].changes[0].at", Some(19)),
        ("tenants[1].changes[0].policy", Some(20)),
        ("tenants[1].changes[1].policy", Some(22)),
        ("tenants[1].changes[1].at", Some(24)),
        // Keys not written: the deepest part the document has.
        ("tenants[1].changes[1].share", Some(21)),
        ("tenants[1].mdm_share", Some(14)),
        ("tenants[7].count", Some(10)),
        ("evaluator.pools", Some(3)),
        ("bucket", None),
        ("", None),
    ];
    for (key, line) in cases {
        assert_eq!(line_of_key(NESTED, key), line, "{key}");
    }
    assert_eq!(line_of_key("not [ toml", "name"), None);
}

#[test]
fn validation_errors_point_at_the_nested_line() {
    let e = error(&NESTED.replace("at = \"36h\"", "at = \"3d\""));
    assert_eq!(e.key.as_deref(), Some("tenants[1].changes[1].at"));
    assert_eq!(e.line, Some(24));
    let e = error(&NESTED.replace("max = 4", "max = 0"));
    assert_eq!(e.key.as_deref(), Some("tenants[0].users"));
    assert_eq!(e.line, Some(13));
    assert!(e.message.contains("min 1 is above max 0"), "{e}");
    let e = error(&NESTED.replace("policy = \"unmanaged\"", "policy = \"none\""));
    assert_eq!(e.key.as_deref(), Some("tenants[1].changes[1].policy"));
    assert_eq!(e.line, Some(22));
    let e = error(&NESTED.replace("count = 2", "count = 2.5"));
    assert_eq!((e.key.as_deref(), e.line), (Some("tenants[1].count"), Some(16)));
    let e = error(&NESTED.replace("at = \"1d\"\n", ""));
    assert_eq!(e.key.as_deref(), Some("tenants[1].changes[0].at"));
    assert_eq!(e.line, Some(18), "the table that lacks the key: {e}");
    assert_eq!(e.message, "missing; this key is required");
}

#[test]
fn syntax_errors_name_the_key_of_their_line() {
    let e = error(&NESTED.replace("at = \"36h\"", "at = 36h"));
    assert_eq!((e.key.as_deref(), e.line), (Some("tenants[1].changes[1].at"), Some(24)));
    let e = error(&NESTED.replace("count = 2", "count = 2 = 3"));
    assert_eq!((e.key.as_deref(), e.line), (Some("tenants[1].count"), Some(16)));
    let e = error(&NESTED.replace("servers = 1", "servers = 1\nservers = 2"));
    assert_eq!((e.key.as_deref(), e.line), (Some("evaluator.servers"), Some(5)));
    assert_eq!(e.message, "duplicate key");
    // A line that is not `key = ...` or a header gets no key.
    let e = error(&NESTED.replace("[devices]", "[devices"));
    assert_eq!((e.key.as_deref(), e.line), (None, Some(6)));
}

#[test]
fn key_at_line_reads_headers_and_keys() {
    let text =
        "a = 1\n[x]\nb.c = 2\n[[t]]\nd = 3\n[[t]]\n[[t.u]] # c\ne = 4\n[[t.u]]\n[t.v]\nf = 5\n  [ y . z ]\n{ g = 1\n";
    let want = [
        Some("a"),
        Some("x"),
        Some("x.b.c"),
        Some("t[0]"),
        Some("t[0].d"),
        Some("t[1]"),
        Some("t[1].u[0]"),
        Some("t[1].u[0].e"),
        Some("t[1].u[1]"),
        Some("t[1].v"),
        Some("t[1].v.f"),
        Some("y.z"),
        None,
    ];
    for (i, want) in want.iter().enumerate() {
        assert_eq!(key_at_line(text, i + 1).as_deref(), *want, "line {}", i + 1);
    }
    assert_eq!(key_at_line(text, 99), None);
    // Inside brackets, braces or multi-line strings a line is not a key or header.
    let text = "[t]\nm = { a = 1,\n  b = x }\narr = [\n  [1],\n]\ns = \"\"\"\n[fake]\nk = \\\"\"\"\n\"\"\"\nz = '[' # ]\ny = 1\n";
    let want = [
        Some("t"),
        Some("t.m"),
        None,
        Some("t.arr"),
        None,
        None,
        Some("t.s"),
        None,
        None,
        None,
        Some("t.z"),
        Some("t.y"),
    ];
    for (i, want) in want.iter().enumerate() {
        assert_eq!(key_at_line(text, i + 1).as_deref(), *want, "line {} of {text}", i + 1);
    }
    assert_eq!(key_at_line("\"quoted\" = 1", 1), None);
}

#[test]
fn every_duration_distribution() {
    let cases = [
        ("dist = 'fixed', value = '30s'", Dist::Fixed(SimTime(30_000_000))),
        (
            "dist = 'uniform', min = '250us', max = '1.5h'",
            Dist::Uniform {
                min: SimTime(250),
                max: SimTime(5_400_000_000),
            },
        ),
        (
            "dist = 'exponential', mean = '5ms'",
            Dist::Exponential { mean: 5_000.0 },
        ),
        (
            "dist = 'lognormal', median = '2d', sigma = 1",
            Dist::LogNormal {
                mu: (2.0 * 86_400e6f64).ln(),
                sigma: 1.0,
            },
        ),
    ];
    for (table, want) in cases {
        match dist("k", &raw_dist(table), true) {
            Ok(d) => assert_eq!(d, want, "{table}"),
            Err(e) => panic!("{table}: {}: {}", e.key, e.message),
        }
    }
    // And through a whole file, where every duration distribution may stand.
    for key in [
        "reaction",
        "outlook_setup",
        "blocked_switch_delay",
        "abandon_after",
        "wave",
    ] {
        let sc = parse(&with_behavior(&format!(
            "{key} = {{ dist = \"uniform\", min = \"1s\", max = \"2s\" }}"
        )));
        let b = &sc.behavior;
        let got = match key {
            "reaction" => &b.reaction,
            "outlook_setup" => &b.outlook_setup,
            "blocked_switch_delay" => &b.blocked_switch_delay,
            "abandon_after" => b.abandon_after.as_ref().unwrap(),
            _ => &b.wave,
        };
        assert_eq!(
            *got,
            Dist::Uniform {
                min: SimTime(1_000_000),
                max: SimTime(2_000_000)
            },
            "{key}"
        );
    }
}

#[test]
fn every_count_distribution() {
    let cases = [
        ("dist = 'fixed', value = 3", CountDist::Fixed(3)),
        ("dist = 'fixed', value = 3.0", CountDist::Fixed(3)),
        (
            "dist = 'uniform', min = 5, max = 50",
            CountDist::Uniform { min: 5, max: 50 },
        ),
        ("dist = 'poisson', mean = 1.2", CountDist::Poisson { mean: 1.2 }),
        ("dist = 'poisson', mean = 0", CountDist::Poisson { mean: 0.0 }),
        ("dist = 'exponential', mean = 20", CountDist::Exponential { mean: 20.0 }),
        (
            "dist = 'lognormal', median = 10, sigma = 0.5",
            CountDist::LogNormal {
                mu: 10f64.ln(),
                sigma: 0.5,
            },
        ),
    ];
    for (table, want) in cases {
        match count_dist("k", &raw_dist(table)) {
            Ok(d) => assert_eq!(d, want, "{table}"),
            Err(e) => panic!("{table}: {}: {}", e.key, e.message),
        }
    }
    let sc = parse(&add(
        "[[tenants]]",
        "devices_per_user = { dist = \"poisson\", mean = 1.2 }",
    ));
    assert_eq!(sc.groups[0].devices_per_user, CountDist::Poisson { mean: 1.2 });
}

/// The key and message of a rejected distribution.
fn dist_error(table: &str) -> (String, String) {
    match dist("k", &raw_dist(table), true) {
        Ok(d) => panic!("{table} should be rejected, got {d:?}"),
        Err(e) => (e.key, e.message),
    }
}

fn count_error(table: &str) -> (String, String) {
    match count_dist("k", &raw_dist(table)) {
        Ok(d) => panic!("{table} should be rejected, got {d:?}"),
        Err(e) => (e.key, e.message),
    }
}

#[test]
fn parameters_that_do_not_belong_are_rejected() {
    let cases = [
        (
            "dist = 'fixed', value = '1s', mean = '1s'",
            "k.mean",
            "does not take `mean`; it takes value",
        ),
        ("dist = 'fixed', value = '1s', sigma = 1", "k.sigma", "it takes value"),
        (
            "dist = 'uniform', min = '1s', max = '2s', value = '1s'",
            "k.value",
            "it takes min, max",
        ),
        (
            "dist = 'exponential', mean = '1s', median = '1s'",
            "k.median",
            "it takes mean",
        ),
        (
            "dist = 'exponential', mean = '1s', max = '1s'",
            "k.max",
            "it takes mean",
        ),
        (
            "dist = 'lognormal', median = '1s', sigma = 1, min = '0s'",
            "k.min",
            "it takes median, sigma",
        ),
        (
            "dist = 'lognormal', median = '1s', sigma = 1, mean = '1s'",
            "k.mean",
            "it takes median, sigma",
        ),
    ];
    for (table, key, words) in cases {
        let (k, m) = dist_error(table);
        assert_eq!(k, key, "{table}");
        assert!(m.contains(words), "{table}: {m}");
    }
    let (k, m) = count_error("dist = 'poisson', mean = 1, median = 1");
    assert_eq!(k, "k.median");
    assert!(
        m.contains("a poisson distribution does not take `median`; it takes mean"),
        "{m}"
    );
    let (k, m) = count_error("dist = 'fixed', value = 1, max = 2");
    assert_eq!(k, "k.max");
    assert!(m.contains("it takes value"), "{m}");
}

#[test]
fn missing_parameters_are_named() {
    for (table, needs) in [
        ("dist = 'fixed'", "`value`"),
        ("dist = 'uniform', min = '1s'", "`max`"),
        ("dist = 'exponential'", "`mean`"),
        ("dist = 'lognormal', median = '1s'", "`sigma`"),
    ] {
        let (k, m) = dist_error(table);
        assert_eq!(k, "k", "{table}");
        assert!(m.contains("needs") && m.contains(needs), "{table}: {m}");
    }
    let (_, m) = count_error("dist = 'poisson'");
    assert!(m.contains("needs `mean`"), "{m}");
}

#[test]
fn bad_parameter_values_are_rejected() {
    let cases = [
        ("dist = 'fixed', value = 30", "k.value", "duration string"),
        ("dist = 'fixed', value = '30'", "k.value", "no unit"),
        (
            "dist = 'uniform', min = '2s', max = '1s'",
            "k",
            "min 2s is above max 1s",
        ),
        ("dist = 'exponential', mean = '0s'", "k.mean", "more than zero"),
        (
            "dist = 'lognormal', median = '0s', sigma = 1",
            "k.median",
            "more than zero",
        ),
        ("dist = 'lognormal', median = '1s', sigma = 11", "k.sigma", "at most 10"),
        (
            "dist = 'lognormal', median = '1s', sigma = -1",
            "k.sigma",
            "zero or more",
        ),
        ("dist = 'lognormal', median = '1s', sigma = nan", "k.sigma", "finite"),
        (
            "dist = 'lognormal', median = '1s', sigma = '1'",
            "k.sigma",
            "expected a number",
        ),
        ("dist = 'fixed', value = '0s'", "k", "more than zero on average"),
    ];
    for (table, key, words) in cases {
        let (k, m) = dist_error(table);
        assert_eq!(k, key, "{table}");
        assert!(m.contains(words), "{table}: {m}");
    }
    // Zero is fine where the duration need not be positive.
    assert_eq!(
        dist("k", &raw_dist("dist = 'fixed', value = '0s'"), false).ok(),
        Some(Dist::Fixed(SimTime::ZERO))
    );
    let cases = [
        ("dist = 'fixed', value = 2.5", "k.value", "whole number"),
        ("dist = 'fixed', value = -1", "k.value", "zero or more"),
        ("dist = 'fixed', value = '3'", "k.value", "expected a number"),
        ("dist = 'fixed', value = 10000001", "k.value", "up to 10000000"),
        ("dist = 'uniform', min = 4, max = 3", "k", "min 4 is above max 3"),
        ("dist = 'poisson', mean = inf", "k.mean", "finite"),
        (
            "dist = 'exponential', mean = 1e308",
            "k.mean",
            "1e308 is more than the limit of 10000000",
        ),
        (
            "dist = 'lognormal', median = 0, sigma = 1",
            "k.median",
            "more than zero",
        ),
    ];
    for (table, key, words) in cases {
        let (k, m) = count_error(table);
        assert_eq!(k, key, "{table}");
        assert!(m.contains(words), "{table}: {m}");
    }
}

#[test]
fn unknown_distributions_list_the_allowed_ones() {
    let (k, m) = dist_error("dist = 'poisson', mean = '1s'");
    assert_eq!(k, "k.dist");
    assert_eq!(
        m,
        "unknown distribution \"poisson\"; use one of fixed, uniform, exponential, lognormal"
    );
    // Named before any parameter is looked at.
    let (k, m) = count_error("dist = 'gamma', value = 1");
    assert_eq!(k, "k.dist");
    assert_eq!(
        m,
        "unknown distribution \"gamma\"; use one of fixed, uniform, poisson, exponential, lognormal"
    );
    let (_, m) = dist_error("dist = 'Fixed', value = '1s'");
    assert!(m.contains("\"Fixed\""), "{m}");
}

#[test]
fn messages_list_the_allowed_values() {
    let e = error(&add("[[tenants]]", "policy = \"prompt\""));
    assert_eq!(e.key.as_deref(), Some("tenants[0].policy"));
    assert_eq!(
        e.message,
        "unknown policy \"prompt\"; use one of unmanaged, outlook_only, any_app_prompt_always, any_app_prompt_once"
    );
    let e = error(&add("[[tenants]]", "policy = 1"));
    assert_eq!(e.key.as_deref(), Some("tenants[0].policy"));
    assert!(e.message.contains("expected a string"), "{e}");
    let e = error(&with_behavior("choice = { outlook = 0.5, keep = 0.5 }"));
    assert_eq!(e.key.as_deref(), Some("behavior.choice.keep"));
    assert!(e.message.contains("outlook, third_party, ignore"), "{e}");
    let e = error(&add("[evaluator]", "server = 3"));
    assert_eq!(e.key.as_deref(), Some("evaluator.server"));
    assert!(
        e.message
            .contains("expected one of `pools`, `servers`, `service_time`, `queue_timeout`"),
        "{e}"
    );
    let e = error(&with("horizon = \"3d\"", "horizon = \"3 days\""));
    assert_eq!(e.key.as_deref(), Some("horizon"));
    assert!(e.message.contains("units: us, ms, s, m, h, d"), "{e}");
    let e = error(&with("count = 10", "count = \"ten\""));
    assert!(
        // A count takes 1 or more: the message does not offer 0 (issue 10).
        e.message.contains("expected a whole number of 1 or more"),
        "{e}"
    );
    let e = error(&with("users = { dist = \"fixed\", value = 20 }", "users = 20"));
    assert!(e.message.contains("expected a distribution table like"), "{e}");
    let e = error(&with("[evaluator]", "evaluator = 3\n[other]"));
    assert_eq!(e.key.as_deref(), Some("evaluator"));
    assert!(e.message.ends_with("expected a table"), "{e}");
}

#[test]
fn shares_rates_and_sizes_are_checked() {
    let cases: [(String, &str, &str); 12] = [
        (with("servers = 4", "servers = 0"), "evaluator.servers", "from 1"),
        (add("[evaluator]", "pools = 0"), "evaluator.pools", "from 1"),
        (
            add("[evaluator]", "queue_timeout = \"0s\""),
            "evaluator.queue_timeout",
            "more than zero",
        ),
        (
            with("horizon = \"3d\"", "horizon = \"0us\""),
            "horizon",
            "more than zero",
        ),
        (
            with("horizon = \"3d\"", "horizon = \"3d\"\nbucket = \"0s\""),
            "bucket",
            "more than zero",
        ),
        (
            with("horizon = \"3d\"", "horizon = \"3d\"\nbucket = \"100ms\""),
            "bucket",
            "wider bucket",
        ),
        (
            with("horizon = \"3d\"", "horizon = \"3d\"\nreplications = 0"),
            "replications",
            "from 1",
        ),
        (with("name = \"min\"", "name = \" \""), "name", "empty"),
        (with("count = 10", "count = 0"), "tenants[0].count", "at least one"),
        (
            add("[[tenants]]", "third_party_share = 1.5"),
            "tenants[0].third_party_share",
            "between 0 and 1",
        ),
        (
            add("[[tenants]]", "activations_per_user_day = -1"),
            "tenants[0].activations_per_user_day",
            "from 0",
        ),
        (
            add("[[tenants]]", "readds_per_user_day = 1e308"),
            "tenants[0].readds_per_user_day",
            "1e308",
        ),
    ];
    for (text, key, words) in cases {
        let e = error(&text);
        assert_eq!(e.key.as_deref(), Some(key), "{e}");
        assert!(e.message.contains(words), "{e}");
    }
    let e = error(&with("count = 10", "count = 4000000000"));
    assert_eq!(e.key.as_deref(), Some("tenants"));
    assert!(e.message.contains("more than the limit"), "{e}");
}

#[test]
fn choices_must_sum_to_one() {
    let text = |c: &str| with_behavior(&format!("choice = {{ {c} }}"));
    let sc = parse(&text("third_party = 1"));
    assert_eq!(
        sc.behavior.choice,
        Choice {
            outlook: 0.0,
            third_party: 1.0,
            ignore: 0.0
        }
    );
    let sc = parse(&text("outlook = 0.1, third_party = 0.2, ignore = 0.7"));
    assert_eq!(sc.behavior.choice.ignore, 0.7);
    let e = error(&text("outlook = 0.5, third_party = 0.4"));
    assert_eq!(e.key.as_deref(), Some("behavior.choice"));
    assert!(e.message.contains("sum to 0.9"), "{e}");
    let e = error(&text("outlook = 2, third_party = -1"));
    assert_eq!(e.key.as_deref(), Some("behavior.choice.outlook"));
}

#[test]
fn the_error_is_one_line_naming_file_line_and_key() {
    let e = error(&with("servers = 4", "servers = 0"));
    assert_eq!(
        e.to_string(),
        "t.toml:5: evaluator.servers: 0 must be from 1 to 1000000 servers per pool"
    );
    let e = error(&with("name = \"min\"\n", ""));
    assert_eq!(e.to_string(), "t.toml: name: missing; this key is required");
    let e = error("");
    assert_eq!((e.key.as_deref(), e.line), (Some("name"), None));
    let e = ScenarioError {
        file: "f".into(),
        line: None,
        key: None,
        message: "m".into(),
    };
    assert_eq!(e.to_string(), "f: m");
    // Escaped line breaks in quoted keys and values stay escaped.
    let e = error(&with("name = \"min\"", "name = \"min\"\n\"a\\nb\" = 1"));
    assert_eq!(e.key.as_deref(), Some("a\\nb"));
    assert!(!e.to_string().contains('\n'), "{e}");
    let e = error(&with("horizon = \"3d\"", "horizon = \"3\\nx\""));
    assert!(!e.to_string().contains('\n'), "{e}");
    assert!(e.message.starts_with("\"3\\nx\""), "{e}");
}

#[test]
fn numbers_in_messages_stay_short() {
    assert_eq!(num(0.5), "0.5");
    assert_eq!(num(-2.0), "-2");
    assert_eq!(num(0.0), "0");
    assert_eq!(num(1e308), "1e308");
    assert_eq!(num(-1e-300), "-1e-300");
    assert_eq!(num(f64::NAN), "NaN");
    assert_eq!(num(f64::INFINITY), "inf");
}

#[test]
fn the_expected_size_counts_every_group() {
    let sc = parse(&format!(
        "{MIN}[[tenants]]\nname = \"h\"\ncount = 5\nusers = {{ dist = \"uniform\", min = 1, max = 3 }}\n\
         devices_per_user = {{ dist = \"fixed\", value = 2 }}\n"
    ));
    let size = sc.expected_size();
    assert_eq!(size.tenants, 15);
    assert_eq!(size.users, 10.0 * 20.0 + 5.0 * 2.0);
    assert_eq!(size.connections, 200.0 + 20.0);
    assert!(size.events > 0.0 && size.events.is_finite());
}

#[test]
fn managed_fraction_follows_nested_stages() {
    let text = MIN.replace("horizon = \"3d\"", "horizon = \"4d\"")
        + r#"policy = "unmanaged"
mdm_share = 0.5
[[tenants.changes]]
at = "1d"
policy = "any_app_prompt_always"
share = 0.5
[[tenants.changes]]
at = "3d"
policy = "unmanaged"
share = 1.0
"#;
    let sc = Scenario::parse(&text, "m.toml").unwrap();
    // Half the tenants are managed from day 1 to day 3 of 4: 0.5 × 2/4.
    let f = sc.groups[0].managed_fraction(sc.horizon);
    assert!((f - 0.25).abs() < 1e-12, "{f}");
}
