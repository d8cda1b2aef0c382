//! What people already did stands (SPEC §1): an admin's switch, or a re-add,
//! while someone is in the middle of something. Each test is one corner
//! with fixed timings and an exact answer, run by the real binary on both
//! engines, which agree byte for byte (`common::run_both`).
//!
//! One tenant of 1000 users, each with one third-party connection; polls
//! every million days (a chance of 1 in 1000 a day that any poll falls in
//! the time simulated, so every request is a push whose time is known);
//! 30 s mail delivery; a switch to prompt-always at 1 h whose wave turn is
//! immediate, so every connection is quarantined from 1h00m30s.

mod common;
use common::{Row, delay, metric, num, run_both as run, series};

/// The scenario: `behavior` lines (added to the choice and fixed timings
/// below unless they set them), policy changes after the one at 1 h, and
/// the evaluator (1000 servers of 1 ms unless `slow`: 1 server of 10 s).
fn thousand(behavior: &str, changes: &[(&str, &str)], slow: bool) -> String {
    let mut lines = behavior.to_string();
    for (key, value) in [
        ("choice", "{ outlook = 1.0, third_party = 0.0, ignore = 0.0 }"),
        ("reaction", "{ dist = \"fixed\", value = \"1h\" }"),
        ("outlook_setup", "{ dist = \"fixed\", value = \"1h\" }"),
        ("blocked_switch", "0.0"),
        ("blocked_switch_delay", "{ dist = \"fixed\", value = \"3h\" }"),
    ] {
        if !behavior.lines().any(|l| l.starts_with(&format!("{key} "))) {
            lines += &format!("\n{key} = {value}");
        }
    }
    let (servers, service) = if slow { (1, "10s") } else { (1000, "1ms") };
    let mut toml = format!(
        r#"name = "corner"
horizon = "6h"
bucket = "1h"
[evaluator]
servers = {servers}
service_time = {{ dist = "fixed", value = "{service}" }}
[devices]
poll_interval = {{ dist = "fixed", value = "1000000d" }}
mail_delivery = {{ dist = "fixed", value = "30s" }}
[behavior]
wave = {{ dist = "fixed", value = "0s" }}
{lines}
[[tenants]]
name = "one"
count = 1
users = {{ dist = "fixed", value = 1000 }}
third_party_share = 1.0
policy = "unmanaged"
[[tenants.changes]]
at = "1h"
policy = "any_app_prompt_always"
"#
    );
    for (at, policy) in changes {
        toml += &format!("[[tenants.changes]]\nat = \"{at}\"\npolicy = \"{policy}\"\n");
    }
    toml
}

/// The merged row of the wave's previously configured connections with this outcome.
fn existing(r: &common::Run, policy: &str, outcome: &str) -> Row {
    delay(&r.out, policy, "existing", outcome).unwrap_or_else(|| panic!("no existing/{outcome} row under {policy}"))
}

/// `count` records, all synced, with this exact mean and largest delay.
fn exact(row: &Row, count: u64, mean_s: f64, max_s: &str) {
    assert_eq!(num(row, "count") as u64, count, "{row:?}");
    assert_eq!(num(row, "synced") as u64, count, "{row:?}");
    assert_eq!(num(row, "mean_s"), mean_s, "{row:?}");
    assert_eq!(row["max_s"], max_s, "{row:?}");
}

/// A column of the merged time series, per 1 h bucket.
fn column(r: &common::Run, name: &str) -> Vec<u64> {
    series(&r.out).iter().map(|row| num(row, name) as u64).collect()
}

#[test]
fn outlook_chosen_before_a_switch_to_outlook_only_is_still_set_up() {
    // Chosen at 2h00m30s, blocked at 2h30m, set up at 3h00m30s.
    let r = run(&thousand("", &[("150m", "outlook_only")], false), &[]);
    // From losing access at 1h00m30s to the Outlook sync at 3h00m30s + 1 ms.
    exact(
        &existing(&r, "any_app_prompt_always", "outlook"),
        1000,
        7200.001,
        "7200.001",
    );
    assert_eq!(
        metric(&r.out, "outcome_blocked"),
        0,
        "no new blocked wait: Outlook was on its way"
    );
    assert_eq!(metric(&r.out, "outcome_switched"), 0);
    assert_eq!(
        metric(&r.out, "evaluations"),
        1000,
        "one request per new Outlook connection"
    );
    assert_eq!(column(&r, "syncs"), [0, 0, 0, 1000, 0, 0]);
    // The third-party app stays blocked (no abandon_after here).
    assert_eq!(column(&r, "blocked"), [0, 0, 1000, 1000, 1000, 1000]);
}

#[test]
fn outlook_chosen_before_a_switch_to_unmanaged_is_still_set_up() {
    let r = run(&thousand("", &[("150m", "unmanaged")], false), &[]);
    // The switch releases the app at 2h30m (a sync, unevaluated): the wait
    // ends there, and keeps the outcome of what the user had chosen.
    exact(&existing(&r, "any_app_prompt_always", "outlook"), 1000, 5370.0, "5370");
    assert_eq!(metric(&r.out, "outcome_released"), 0);
    assert_eq!(metric(&r.out, "outcome_timeout"), 0);
    // Outlook is set up anyway at 3h00m30s and syncs at once.
    assert_eq!(column(&r, "syncs"), [0, 0, 1000, 1000, 0, 0]);
    assert_eq!(metric(&r.out, "evaluations"), 0);
}

#[test]
fn a_readd_during_outlook_setup_does_not_cancel_it() {
    // Everyone chooses Outlook on receipt (1h00m30s) and it takes 10 h to
    // set up; people re-add the third-party app meanwhile, which prompts
    // them again (and they choose Outlook again).
    let sc = thousand(
        "reaction = { dist = \"fixed\", value = \"0s\" }\noutlook_setup = { dist = \"fixed\", value = \"10h\" }",
        &[],
        false,
    )
    .replace("horizon = \"6h\"", "horizon = \"1d\"")
    .replace(
        "policy = \"unmanaged\"",
        "policy = \"unmanaged\"\nreadds_per_user_day = 1.0",
    )
    // The email arrives 1 µs after the wave's turn, so that no re-add falls
    // in between (it would replace the wave's prompt with its own).
    .replace("value = \"30s\"", "value = \"1us\"");
    let r = run(&sc, &[]);
    let readds = metric(&r.out, "readds");
    assert!(readds > 500, "{readds}");
    // Every device gets the Outlook it chose first, at 11 h (and 1 µs).
    exact(
        &existing(&r, "any_app_prompt_always", "outlook"),
        1000,
        36000.001,
        "36000.001",
    );
    // Requests: re-adds before 1 h sync unevaluated; every later re-add and
    // each device's one new Outlook connection are evaluated once. Outlook
    // chosen again on a device that has it sends nothing.
    let unmanaged = delay(&r.out, "unmanaged", "new", "direct").map_or(0, |row| num(&row, "count") as u64);
    assert_eq!(metric(&r.out, "evaluations"), 1000 + readds - unmanaged);
    // Re-adds during the set-up wait with it: their outcome is the Outlook the person chose.
    let during = delay(&r.out, "any_app_prompt_always", "new", "outlook").unwrap();
    assert_eq!(num(&during, "count"), num(&during, "synced"));
    assert!(num(&during, "count") > 200.0, "{during:?}");
    assert!(delay(&r.out, "any_app_prompt_always", "existing", "timeout").is_none());
}

#[test]
fn a_switch_does_not_cancel_removing_the_left_over_app() {
    // Outlook chosen at 1h00m30s, set up at 1h10m30s; the left-over app is
    // blocked at 2 h and removed at 3h10m30s.
    let sc = thousand(
        "reaction = { dist = \"fixed\", value = \"0s\" }\noutlook_setup = { dist = \"fixed\", value = \"10m\" }\nabandon_after = { dist = \"fixed\", value = \"2h\" }",
        &[("2h", "outlook_only")],
        false,
    );
    let r = run(&sc, &[]);
    exact(
        &existing(&r, "any_app_prompt_always", "outlook"),
        1000,
        600.001,
        "600.001",
    );
    assert_eq!(column(&r, "quarantined"), [0, 1000, 0, 0, 0, 0]);
    assert_eq!(column(&r, "blocked"), [0, 0, 1000, 0, 0, 0]);
    assert_eq!(metric(&r.out, "evaluations"), 1000, "the removed app polls no more");
    assert_eq!(metric(&r.out, "outcome_blocked"), 0);
}

#[test]
fn a_wait_whose_user_acted_keeps_its_outcome_when_unmanaged_comes_before_the_sync() {
    // One server of 10 s: the 1000 pushes at the user's action complete 10 s
    // apart; the switch to unmanaged at 275 s after the action finds 27 done.
    let kept = thousand(
        "choice = { outlook = 0.0, third_party = 1.0, ignore = 0.0 }",
        &[("7505s", "unmanaged")],
        true,
    );
    let r = run(&kept, &[]);
    // Kept at 2h00m30s; the k-th push (k = 1..1000) syncs 10 k s later,
    // evaluated before or after the switch alike: 3600 s + 10 k s.
    exact(
        &existing(&r, "any_app_prompt_always", "continued"),
        1000,
        8605.0,
        "13600",
    );
    assert_eq!(
        metric(&r.out, "outcome_timeout") + metric(&r.out, "outcome_released"),
        0
    );

    // Outlook set up at 2h10m30s; its first requests are in the queue when
    // the switch at 2h15m05s releases the app: the 973 still waiting sync
    // there, and stay `outlook`.
    let outlook = thousand(
        "outlook_setup = { dist = \"fixed\", value = \"10m\" }",
        &[("8105s", "unmanaged")],
        true,
    );
    let r = run(&outlook, &[]);
    // 27 × 4200 s + 10 s × (1 + … + 27), and 973 × 4475 s.
    exact(
        &existing(&r, "any_app_prompt_always", "outlook"),
        1000,
        4471.355,
        "4475",
    );
    assert_eq!(
        metric(&r.out, "outcome_timeout") + metric(&r.out, "outcome_released"),
        0
    );
}

#[test]
fn a_wait_ended_by_unmanaged_before_the_user_acted_is_released() {
    // Prompt ignored, unmanaged at 3 h: released 7170 s after receipt.
    let ignored = thousand(
        "choice = { outlook = 0.0, third_party = 0.0, ignore = 1.0 }",
        &[("3h", "unmanaged")],
        false,
    );
    let r = run(&ignored, &[]);
    exact(&existing(&r, "any_app_prompt_always", "released"), 1000, 7170.0, "7170");
    assert_eq!(metric(&r.out, "outcome_timeout"), 0);

    // The user would keep the app at 11h00m30s, or set up Outlook then: the
    // switch comes first, and nothing they would have done happens.
    for choice in ["third_party = 1.0, outlook = 0.0", "outlook = 1.0, third_party = 0.0"] {
        let late = thousand(
            &format!("choice = {{ {choice}, ignore = 0.0 }}\nreaction = {{ dist = \"fixed\", value = \"10h\" }}"),
            &[("3h", "unmanaged")],
            false,
        )
        .replace("horizon = \"6h\"", "horizon = \"1d\"");
        let r = run(&late, &[]);
        exact(&existing(&r, "any_app_prompt_always", "released"), 1000, 7170.0, "7170");
        assert_eq!(
            column(&r, "syncs").iter().sum::<u64>(),
            1000,
            "{choice}: no later Outlook set-up"
        );
    }

    // Blocked at 2 h by outlook-only, nobody switching: released at 4 h.
    let blocked = thousand("", &[("2h", "outlook_only"), ("4h", "unmanaged")], false);
    let r = run(
        &blocked.replace("policy = \"any_app_prompt_always\"", "policy = \"unmanaged\""),
        &[],
    );
    exact(&existing(&r, "outlook_only", "released"), 1000, 7200.0, "7200");
    assert_eq!(metric(&r.out, "outcome_blocked"), 0);

    // Blocked at 2 h; everyone decides to set up Outlook, ready 3 h later:
    // the switch at 3 h ends the wait as `switched`, and Outlook still comes at 5 h.
    let r = run(
        &thousand(
            "blocked_switch = 1.0",
            &[("2h", "outlook_only"), ("3h", "unmanaged")],
            false,
        )
        .replace("policy = \"any_app_prompt_always\"", "policy = \"unmanaged\""),
        &[],
    );
    exact(&existing(&r, "outlook_only", "switched"), 1000, 3600.0, "3600");
    assert_eq!(column(&r, "syncs"), [0, 0, 0, 1000, 0, 1000]);
}

#[test]
fn choosing_outlook_again_changes_nothing() {
    // Outlook chosen at 1h00m30s and set up at 1h10m30s; unmanaged from 3 h
    // releases the app, prompt-always from 4 h prompts it again, and the
    // user chooses Outlook again at 4h00m30s: the device already has it.
    let sc = thousand(
        "reaction = { dist = \"fixed\", value = \"0s\" }\noutlook_setup = { dist = \"fixed\", value = \"10m\" }",
        &[("3h", "unmanaged"), ("4h", "any_app_prompt_always")],
        false,
    );
    let r = run(&sc, &[]);
    assert_eq!(
        metric(&r.out, "evaluations"),
        1000,
        "one request per Outlook connection, once"
    );
    assert_eq!(metric(&r.out, "prompts"), 2000);
    exact(
        &existing(&r, "any_app_prompt_always", "outlook"),
        1000,
        600.001,
        "600.001",
    );
    // Its Outlook works: the device waited on nothing the second time.
    assert_eq!(metric(&r.out, "outcome_outlook"), 1000);
    assert_eq!(column(&r, "syncs"), [0, 1000, 0, 1000, 0, 0]);
}
