//! Every rule of SPEC §1, checked on small scenarios run by the real binary,
//! on both engines (`common::run_both`): with fixed timings the fast engine
//! polls every connection on its own, on the reference's schedule, and the
//! two write the same results byte for byte (but for their count of events).
//!
//! Most scenarios use fixed timings (`common::Fixed`): 1 ms evaluations on
//! more servers than there are connections (so nothing ever waits), 30 s
//! mail delivery, 2 h reactions, 10 min Outlook set-up, 3 h switches. The
//! expected delays are then exact sums of those constants.

mod common;
use common::{Fixed, delay, metric, num, run_both as run, series};

const SWITCH_AT_1H: &str = "[[tenants.changes]]\nat = \"1h\"\npolicy = \"any_app_prompt_always\"";

/// Runs the fixed-timing scenario with a switch to prompt-always at 1 h
/// (wave offset 0) and these behaviour lines.
fn wave(behavior: &str) -> common::Run {
    run(
        &Fixed {
            behavior,
            changes: SWITCH_AT_1H,
            ..Default::default()
        }
        .toml(),
        &[],
    )
}

/// All 40 previously configured connections waited exactly `delay_s` with this outcome.
fn exact_wave(r: &common::Run, outcome: &str, delay_s: &str) {
    exact(
        &delay(&r.out, "any_app_prompt_always", "existing", outcome).unwrap(),
        40,
        40,
        delay_s,
    );
}

fn exact(row: &common::Row, count: u64, synced: u64, delay_s: &str) {
    assert_eq!(num(row, "count") as u64, count, "{row:?}");
    assert_eq!(num(row, "synced") as u64, synced, "{row:?}");
    // mean == max means every synced connection waited exactly that long.
    assert_eq!(row["max_s"], delay_s, "{row:?}");
    assert_eq!(num(row, "mean_s"), delay_s.parse::<f64>().unwrap(), "{row:?}");
}

#[test]
fn ignored_prompt_syncs_exactly_24h_after_receipt() {
    let r = wave("choice = { ignore = 1.0 }");
    // Lost access on receipt; 24 h later the server pushes; 1 ms evaluation.
    exact_wave(&r, "timeout", "86400.001");
    assert_eq!(metric(&r.out, "prompts"), 40);
    assert_eq!(metric(&r.out, "quarantines"), 40);
    assert_eq!(metric(&r.out, "outcome_timeout"), 40);
    assert_eq!(series(&r.out).last().unwrap()["quarantined"], "0");
}

#[test]
fn new_activation_is_quarantined_from_activation() {
    let sc = Fixed {
        horizon: "4d",
        behavior: "choice = { ignore = 1.0 }",
        tenant: "policy = \"any_app_prompt_always\"\nactivations_per_user_day = 2.0",
        ..Default::default()
    };
    let r = run(&sc.toml(), &[]);
    let row = delay(&r.out, "any_app_prompt_always", "new", "timeout").unwrap();
    // Activation, 30 s mail, 24 h, 1 ms evaluation; the last day's are not synced yet.
    let activations = metric(&r.out, "activations");
    assert!(activations > 100, "{activations}");
    assert_eq!(num(&row, "count") as u64, activations);
    assert!(num(&row, "synced") < num(&row, "count"));
    assert_eq!(row["max_s"], "86430.001");
    assert_eq!(num(&row, "mean_s"), 86430.001);
    // Existing connections under a policy in force at t=0 are never prompted.
    assert_eq!(
        metric(&r.out, "prompts"),
        metric(&r.out, "quarantines") - (activations - metric(&r.out, "prompts"))
    );
}

#[test]
fn keeping_the_app_syncs_at_the_reaction() {
    let r = wave("choice = { third_party = 1.0 }");
    exact_wave(&r, "continued", "7200.001");
    assert_eq!(metric(&r.out, "outcome_timeout"), 0);
}

#[test]
fn a_reaction_after_24h_is_a_timeout() {
    let r = wave("choice = { third_party = 1.0 }\nreaction = { dist = \"fixed\", value = \"25h\" }");
    exact_wave(&r, "timeout", "86400.001");
    assert!(delay(&r.out, "any_app_prompt_always", "existing", "continued").is_none());
}

#[test]
fn choosing_outlook_syncs_after_setup_and_leaves_the_app_quarantined() {
    let r = wave("choice = { outlook = 1.0 }");
    // 2 h reaction + 10 min set-up + 1 ms evaluation of the Outlook request.
    exact_wave(&r, "outlook", "7800.001");
    // The 24 h timeout does not free a third-party app whose user chose Outlook.
    assert_eq!(series(&r.out).last().unwrap()["quarantined"], "40");

    let abandoning = Fixed {
        behavior: "choice = { outlook = 1.0 }\nabandon_after = { dist = \"fixed\", value = \"1h\" }",
        changes: SWITCH_AT_1H,
        ..Default::default()
    };
    let r = run(&abandoning.toml(), &[]);
    let s = series(&r.out);
    // Quarantined from 1h00m30s until removal at 1h00m30s + 2h10m + 1h.
    assert_eq!(s[2]["quarantined"], "40");
    assert_eq!(s[4]["quarantined"], "0");
    assert_eq!(s.last().unwrap()["quarantined"], "0");
}

#[test]
fn the_wave_spreads_prompts_over_its_window() {
    let sc = Fixed {
        horizon: "3d",
        behavior: "choice = { ignore = 1.0 }\nwave = { dist = \"uniform\", min = \"0s\", max = \"48h\" }",
        tenant: "",
        changes: SWITCH_AT_1H,
        ..Default::default()
    }
    .toml()
    .replace("count = 40", "count = 2000");
    // The engines draw the turns differently (each connection its own, or
    // the sorted turns handed out in a random order): the same law, another
    // sample, so each engine is checked on its own.
    for engine in ["per-connection", "fast"] {
        let r = common::run(&sc, &["--engine", engine]);
        let prompts: Vec<u64> = series(&r.out).iter().map(|row| num(row, "prompts") as u64).collect();
        assert_eq!(prompts.iter().sum::<u64>(), 2000, "{engine}");
        // Triggers in [1h, 49h]; receipt 30 s later, so buckets 1..=49 only.
        assert_eq!(prompts[0], 0, "{engine}");
        assert!(prompts[50..].iter().all(|&p| p == 0), "{engine}: {prompts:?}");
        // Four 12 h quarters of the window get 500 each on average; binomial
        // sd = sqrt(2000 · 1/4 · 3/4) ≈ 19.4, so ±100 is more than 5 sd.
        for q in 0..4 {
            let n: u64 = prompts[1 + 12 * q..1 + 12 * (q + 1)].iter().sum();
            assert!(
                (400..=600).contains(&n),
                "{engine}: quarter {q}: {n} prompts; {prompts:?}"
            );
        }
    }
}

#[test]
fn prompt_once_does_not_prompt_a_readd_on_a_prompted_device_but_prompt_always_does() {
    let scenario = |policy: &str| {
        Fixed {
            behavior: "choice = { third_party = 1.0 }",
            tenant: &format!("policy = \"{policy}\"\nreadds_per_user_day = 1.0"),
            ..Default::default()
        }
        .toml()
    };
    let always = run(&scenario("any_app_prompt_always"), &[]);
    let readds = metric(&always.out, "readds");
    assert!(readds > 50, "{readds}");
    assert_eq!(metric(&always.out, "quarantines"), readds);
    assert!(metric(&always.out, "prompts") >= readds - 2);

    let once = run(&scenario("any_app_prompt_once"), &[]);
    assert_eq!(
        metric(&once.out, "readds"),
        readds,
        "same people re-add at the same times"
    );
    assert_eq!(metric(&once.out, "prompts"), 0);
    assert_eq!(metric(&once.out, "quarantines"), 0);
    let direct = delay(&once.out, "any_app_prompt_once", "new", "direct").unwrap();
    assert_eq!(num(&direct, "count") as u64, readds);
    assert_eq!(direct["max_s"], "0.001");
}

#[test]
fn prompt_once_prompts_a_new_device_once() {
    let sc = Fixed {
        horizon: "4d",
        behavior: "choice = { third_party = 1.0 }",
        tenant: "policy = \"any_app_prompt_once\"\nactivations_per_user_day = 1.0\nreadds_per_user_day = 2.0",
        ..Default::default()
    };
    let r = run(&sc.toml(), &[]);
    let (activations, readds) = (metric(&r.out, "activations"), metric(&r.out, "readds"));
    assert!(activations > 50 && readds > 100);
    // Only first activations are prompted; re-adds on new or old devices are not.
    assert_eq!(metric(&r.out, "quarantines"), activations);
}

#[test]
fn prompt_once_switch_does_not_prompt_previously_configured_connections() {
    // Nor re-adds on their devices (new devices are: see prompt_once_prompts_a_new_device_once).
    let sc = Fixed {
        tenant: "readds_per_user_day = 1.0",
        changes: "[[tenants.changes]]\nat = \"1h\"\npolicy = \"any_app_prompt_once\"",
        ..Default::default()
    };
    let r = run(&sc.toml(), &[]);
    assert!(metric(&r.out, "readds") > 50);
    assert_eq!(metric(&r.out, "quarantines"), 0);
    assert!(
        metric(&r.out, "evaluations") > 0,
        "a managed policy evaluates every request"
    );
}

#[test]
fn mdm_tenants_never_prompt_and_ignored_changes_are_counted() {
    let sc = Fixed {
        tenant: "mdm_share = 1.0\nactivations_per_user_day = 1.0",
        changes: SWITCH_AT_1H,
        ..Default::default()
    };
    let r = run(&sc.toml(), &[]);
    assert_eq!(metric(&r.out, "mdm_tenants"), 40);
    assert_eq!(metric(&r.out, "changes_ignored_mdm"), 40);
    assert_eq!(metric(&r.out, "prompts"), 0);
    assert_eq!(metric(&r.out, "evaluations"), 0, "MDM tenants stay unmanaged");

    let half = Fixed {
        tenant: "mdm_share = 0.25",
        changes: SWITCH_AT_1H,
        ..Default::default()
    };
    let r = run(&half.toml(), &[]);
    assert_eq!(metric(&r.out, "mdm_tenants"), 10);
    assert_eq!(metric(&r.out, "changes_ignored_mdm"), 10);
    assert_eq!(metric(&r.out, "prompts"), 30);
}

#[test]
fn outlook_only_blocks_and_some_users_switch() {
    let to_outlook_only = "[[tenants.changes]]\nat = \"1h\"\npolicy = \"outlook_only\"";
    let switching = Fixed {
        behavior: "blocked_switch = 1.0",
        changes: to_outlook_only,
        ..Default::default()
    };
    let r = run(&switching.toml(), &[]);
    // Blocked at 1h; Outlook set up 3 h later; 1 ms evaluation.
    exact(
        &delay(&r.out, "outlook_only", "existing", "switched").unwrap(),
        40,
        40,
        "10800.001",
    );
    assert_eq!(
        series(&r.out).last().unwrap()["blocked"],
        "40",
        "the third-party app stays blocked"
    );
    assert_eq!(metric(&r.out, "prompts"), 0);

    let staying = Fixed {
        behavior: "blocked_switch = 0.0",
        changes: to_outlook_only,
        ..Default::default()
    };
    let r = run(&staying.toml(), &[]);
    let row = delay(&r.out, "outlook_only", "existing", "blocked").unwrap();
    assert_eq!((num(&row, "count"), num(&row, "synced")), (40.0, 0.0));
    let s = series(&r.out);
    assert_eq!(s[0]["blocked"], "0");
    assert_eq!(s[1]["blocked"], "40");
    assert!(
        s[5..].iter().all(|row| row["syncs"] == "0"),
        "blocked connections never sync"
    );
}

#[test]
fn blocked_connections_poll_at_the_quarantined_interval() {
    // 40 blocked connections from t=0 polling every 5 min for a day.
    let sc = Fixed {
        horizon: "1d",
        tenant: "policy = \"outlook_only\"",
        ..Default::default()
    };
    let r = run(&sc.toml(), &[]);
    let evaluations = metric(&r.out, "evaluations") as i64;
    // Fixed 5 min intervals: each connection polls 288 times, ±1 for its phase.
    assert!((evaluations - 40 * 288).abs() <= 40, "{evaluations}");
    assert_eq!(series(&r.out)[0]["blocked"], "40");
    assert_eq!(
        metric(&r.out, "outcome_blocked"),
        0,
        "blocked before the run: no episode"
    );
}

#[test]
fn switching_to_unmanaged_releases_everyone_at_once() {
    let changes = format!("{SWITCH_AT_1H}\n[[tenants.changes]]\nat = \"3h\"\npolicy = \"unmanaged\"");
    let sc = Fixed {
        behavior: "choice = { third_party = 1.0 }\nreaction = { dist = \"fixed\", value = \"10h\" }",
        changes: &changes,
        ..Default::default()
    };
    let r = run(&sc.toml(), &[]);
    // Quarantined at 1h00m30s, released at 3h with an immediate sync (no
    // evaluation), before anyone reacted: `released` (SPEC §2).
    exact_wave(&r, "released", "7170");
    assert_eq!(metric(&r.out, "outcome_timeout"), 0);
    assert_eq!(series(&r.out)[3]["quarantined"], "0");
}

#[test]
fn outlook_only_cancels_pending_prompts() {
    let changes = format!("{SWITCH_AT_1H}\n[[tenants.changes]]\nat = \"3h\"\npolicy = \"outlook_only\"");
    let sc = Fixed {
        behavior: "choice = { ignore = 1.0 }\nblocked_switch = 0.0",
        changes: &changes,
        ..Default::default()
    };
    let r = run(&sc.toml(), &[]);
    let row = delay(&r.out, "any_app_prompt_always", "existing", "blocked").unwrap();
    assert_eq!((num(&row, "count"), num(&row, "synced")), (40.0, 0.0));
    let last = series(&r.out).last().unwrap().clone();
    assert_eq!((last["quarantined"].as_str(), last["blocked"].as_str()), ("0", "40"));
}

#[test]
fn outlook_connections_are_never_prompted() {
    let sc = Fixed {
        tenant: "third_party_share = 0.0",
        changes: SWITCH_AT_1H,
        ..Default::default()
    }
    .toml()
    .replace("third_party_share = 1.0\n", "");
    let r = run(&sc, &[]);
    assert_eq!(metric(&r.out, "prompts"), 0);
    assert_eq!(metric(&r.out, "quarantines"), 0);
    assert!(metric(&r.out, "evaluations") > 0);
}

#[test]
fn staged_changes_nest_and_select_exact_shares() {
    let stage = |at: &str, share: f64| {
        format!("[[tenants.changes]]\nat = \"{at}\"\npolicy = \"any_app_prompt_always\"\nshare = {share}\n")
    };
    let changes = stage("1h", 0.1) + &stage("1d", 0.5);
    let sc = Fixed {
        behavior: "choice = { ignore = 1.0 }",
        changes: &changes,
        ..Default::default()
    };
    let r = run(&sc.toml(), &[]);
    // 4 tenants at the first stage, 16 more at the second: the 4 are among the 20.
    assert_eq!(metric(&r.out, "prompts"), 20);
    let s = series(&r.out);
    assert_eq!(num(&s[2], "quarantined"), 4.0);

    let third = Fixed {
        behavior: "choice = { ignore = 1.0 }",
        changes: &stage("1h", 0.33),
        ..Default::default()
    };
    assert_eq!(metric(&run(&third.toml(), &[]).out, "prompts"), 13, "round(0.33 × 40)");
}

#[test]
fn polling_starts_in_steady_state() {
    let sc = Fixed {
        horizon: "1h",
        bucket: "1m",
        ..Default::default()
    }
    .toml()
    .replace("count = 40", "count = 3000");
    let r = run(&sc, &[]);
    let syncs: Vec<f64> = series(&r.out).iter().map(|row| num(row, "syncs")).collect();
    // Fixed 15 min polls: every connection polls exactly once per 15 min,
    // at a uniform phase; 200 per minute on average, binomial sd ≈ 14.
    assert_eq!(syncs[..15].iter().sum::<f64>(), 3000.0);
    assert!(syncs[..15].iter().all(|&n| (130.0..=270.0).contains(&n)), "{syncs:?}");
}

#[test]
fn queue_timeout_rejects_and_served_requests_waited_less() {
    let sc = Fixed {
        horizon: "1h",
        poll: "10s",
        evaluator: "queue_timeout = \"5s\"",
        tenant: "policy = \"any_app_prompt_once\"\nthird_party_share = 0.0",
        ..Default::default()
    }
    .toml()
    .replace("servers = 64", "servers = 1")
    .replace("value = \"1ms\"", "value = \"2s\"")
    .replace("third_party_share = 1.0\n", "");
    let r = run(&sc, &[]);
    let ev = common::rows(&r.out, "evaluator.csv");
    let all = ev
        .iter()
        .find(|row| row["replication"] == "all" && row["pool"] == "all")
        .unwrap();
    let (arrivals, served, rejected) = (num(all, "arrivals"), num(all, "served"), num(all, "rejected"));
    // 4 requests/s offered to a server that does 0.5/s.
    assert!(rejected > 0.8 * arrivals, "{all:?}");
    assert!(num(all, "utilization") > 0.99, "{all:?}");
    // Every request is served, rejected, or still in the queue or service at the end.
    let unfinished = arrivals - served - rejected;
    assert!((0.0..=1.0 + num(all, "queue_max")).contains(&unfinished), "{all:?}");
    assert!(num(all, "wait_p999_ms") <= 5000.0 * 1.001, "{all:?}");
    assert_eq!(metric(&r.out, "evaluations_rejected") as f64, rejected);
    let per_bucket: f64 = series(&r.out).iter().map(|row| num(row, "rejected")).sum();
    assert_eq!(per_bucket, rejected);
}

#[test]
fn the_same_people_make_the_same_choices_whatever_the_timing() {
    // Common random numbers: only the wave differs, so every connection gets
    // the same prompt answers and the outcome counts agree exactly.
    let base = |wave: &str| {
        Fixed {
            horizon: "5d",
            behavior: &format!(
                "choice = {{ outlook = 0.3, third_party = 0.5, ignore = 0.2 }}\nreaction = {{ dist = \"lognormal\", median = \"2h\", sigma = 1.5 }}\nwave = {{ dist = \"fixed\", value = \"{wave}\" }}"
            ),
            changes: SWITCH_AT_1H,
            ..Default::default()
        }
        .toml()
        .replace("count = 40", "count = 500")
    };
    let a = run(&base("0s"), &[]);
    let b = run(&base("6h"), &[]);
    for outcome in ["outcome_continued", "outcome_outlook", "outcome_timeout"] {
        assert_eq!(metric(&a.out, outcome), metric(&b.out, outcome), "{outcome}");
    }
    assert!(metric(&a.out, "outcome_timeout") > 50 && metric(&a.out, "outcome_outlook") > 50);
}

#[test]
fn a_readd_during_a_wave_quarantine_counts_in_cohort_new() {
    // Everyone ignores the prompt; people re-add often, so many re-adds fall
    // inside the 24 h quarantine that the wave started.
    let sc = Fixed {
        behavior: "choice = { ignore = 1.0 }",
        tenant: "readds_per_user_day = 0.5",
        changes: SWITCH_AT_1H,
        ..Default::default()
    };
    let r = run(&sc.toml(), &[]);
    let readds = metric(&r.out, "readds");
    let new_count: f64 = ["direct", "timeout"]
        .iter()
        .flat_map(|o| ["unmanaged", "any_app_prompt_always"].map(|p| delay(&r.out, p, "new", o)))
        .flatten()
        .map(|row| num(&row, "count"))
        .sum();
    assert!(readds > 20, "{readds}");
    assert_eq!(new_count as u64, readds, "every re-add is a record of cohort new");
    // The wave's 40 records stay, whatever re-adds happened during them.
    assert_eq!(
        num(
            &delay(&r.out, "any_app_prompt_always", "existing", "timeout").unwrap(),
            "count"
        ),
        40.0
    );
}
