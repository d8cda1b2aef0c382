//! Invariants that hold for every scenario, checked on random small ones:
//! requests are conserved through the evaluator, counts add up, connection
//! states never go negative, every Outlook set-up a person chose completes,
//! `released` comes only from a switch to unmanaged, and a run repeats
//! exactly; on both engines.

use mailsim::engine::Engine;
use mailsim::run::run_replication_on;
use mailsim::scenario::Scenario;
use proptest::prelude::*;

const POLICIES: [&str; 4] = [
    "unmanaged",
    "outlook_only",
    "any_app_prompt_always",
    "any_app_prompt_once",
];
const DISTS: [&str; 4] = [
    r#"{ dist = "fixed", value = "VAL" }"#,
    r#"{ dist = "uniform", min = "0s", max = "VAL" }"#,
    r#"{ dist = "exponential", mean = "VAL" }"#,
    r#"{ dist = "lognormal", median = "VAL", sigma = 1.0 }"#,
];

#[derive(Debug, Clone)]
struct Spec {
    pools: u32,
    servers: u32,
    timeout: bool,
    dists: [usize; 6],
    policy: usize,
    changes: Vec<(u32, usize, u32)>,
    rates: (u32, u32),
    tenants: u32,
    choice: (u32, u32),
    abandon: bool,
    share: u32,
}

fn dist(kind: usize, value: &str) -> String {
    DISTS[kind].replace("VAL", value)
}

fn scenario(s: &Spec) -> String {
    let mut t = format!(
        r#"name = "random"
seed = 3
horizon = "2d"
bucket = "2h"
[evaluator]
pools = {pools}
servers = {servers}
service_time = {service}
{timeout}
[devices]
poll_interval = {poll}
quarantined_poll_interval = {qpoll}
mail_delivery = {mail}
[behavior]
choice = {{ outlook = {o}, third_party = {k}, ignore = {i} }}
reaction = {reaction}
outlook_setup = {{ dist = "lognormal", median = "1h", sigma = 1.0 }}
wave = {wave}
{abandon}
[[tenants]]
name = "g"
count = {tenants}
users = {{ dist = "uniform", min = 0, max = 12 }}
devices_per_user = {{ dist = "poisson", mean = 1.3 }}
third_party_share = {share}
activations_per_user_day = {act}
readds_per_user_day = {readd}
mdm_share = 0.2
policy = "{policy}"
"#,
        pools = s.pools,
        servers = s.servers,
        service = dist(s.dists[0], "500ms"),
        timeout = if s.timeout { "queue_timeout = \"2s\"" } else { "" },
        poll = dist(s.dists[1], "20m"),
        qpoll = dist(s.dists[2], "5m"),
        mail = dist(s.dists[3], "30s"),
        o = s.choice.0 as f64 / 10.0,
        k = s.choice.1 as f64 / 10.0,
        i = (10 - s.choice.0 - s.choice.1) as f64 / 10.0,
        reaction = dist(s.dists[4], "3h"),
        wave = dist(s.dists[5], "10h"),
        abandon = if s.abandon {
            "abandon_after = { dist = \"exponential\", mean = \"6h\" }"
        } else {
            ""
        },
        tenants = s.tenants,
        share = s.share as f64 / 10.0,
        act = s.rates.0 as f64 / 10.0,
        readd = s.rates.1 as f64 / 10.0,
        policy = POLICIES[s.policy],
    );
    for &(hour, policy, share) in &s.changes {
        t += &format!(
            "[[tenants.changes]]\nat = \"{hour}h\"\npolicy = \"{}\"\nshare = {}\n",
            POLICIES[policy],
            share as f64 / 10.0
        );
    }
    t
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        (
            1u32..4,
            1u32..4,
            any::<bool>(),
            [0usize..4, 0..4, 0..4, 0..4, 0..4, 0..4],
        ),
        (
            0usize..4,
            proptest::collection::vec((0u32..47, 0usize..4, 0u32..11), 0..4),
        ),
        (
            (0u32..10, 0u32..10),
            1u32..12,
            (0u32..6, 0u32..5),
            any::<bool>(),
            0u32..11,
        ),
    )
        .prop_map(
            |((pools, servers, timeout, dists), (policy, changes), (rates, tenants, choice, abandon, share))| Spec {
                pools,
                servers,
                timeout,
                dists,
                policy,
                changes,
                rates,
                tenants,
                choice,
                abandon,
                share,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_random_scenarios(s in spec()) {
        let text = scenario(&s);
        let sc = Scenario::parse(&text, "random.toml").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        for engine in [Engine::PerConnection, Engine::Fast] {
            check(&s, &sc, engine)?;
        }
    }
}

fn check(s: &Spec, sc: &Scenario, engine: Engine) -> Result<(), TestCaseError> {
    let r = run_replication_on(sc, 0, engine);
    let c = &r.counters;
    // Requests through the evaluator: served, rejected, or still there at the end.
    let l = &r.load;
    prop_assert_eq!(l.arrivals, c.evaluations);
    prop_assert!(l.served + l.rejected <= l.arrivals);
    prop_assert!(
        l.arrivals - l.served - l.rejected
            <= (sc.evaluator.servers * sc.evaluator.pools) as u64 + l.queue_max * sc.evaluator.pools as u64
    );
    prop_assert_eq!(l.wait.len(), l.served);
    prop_assert!(l.utilization() <= 1.0 + 1e-9);
    if !s.timeout {
        prop_assert_eq!(l.rejected, 0);
    }
    // Sync delays: synced within counted; outcome counts add up.
    let mut total = 0;
    for (_, cell) in r.delays.cells() {
        prop_assert!(cell.synced() <= cell.count);
        prop_assert!(cell.max_us <= sc.horizon.0);
        total += cell.count;
    }
    // Every activation and re-add is one record of cohort `new` (SPEC §1).
    let new_records: u64 = r
        .delays
        .cells()
        .filter(|((_, cohort, _), _)| *cohort == mailsim::stats::Cohort::New)
        .map(|(_, c)| c.count)
        .sum();
    prop_assert_eq!(new_records, c.activations + c.readds);
    let outcomes: u64 = mailsim::stats::Outcome::ALL
        .iter()
        .map(|&o| r.delays.outcome_count(o))
        .sum();
    prop_assert_eq!(outcomes, total);
    // `released`: only a switch to unmanaged ends a wait that way, and
    // it ends it with a sync at that instant.
    let released = r
        .delays
        .cells()
        .filter(|((_, _, o), _)| *o == mailsim::stats::Outcome::Released);
    for (_, cell) in released {
        prop_assert!(
            s.changes.iter().any(|ch| ch.1 == 0 && ch.2 > 0),
            "released without a switch to unmanaged"
        );
        prop_assert_eq!(cell.synced(), cell.count);
    }
    // What people already did stands: every Outlook set-up a person chose
    // (after a prompt or a block) ends with a working Outlook connection,
    // unless the horizon comes first, whatever switch or re-add came between.
    prop_assert_eq!(c.outlook_setups, c.outlook_setups_done + c.outlook_setups_after_horizon);
    // Every prompt delivered quarantined its connection (at delivery or before).
    prop_assert!(c.quarantines >= c.prompts);
    // Connection states never go negative (a wrapped counter would be huge).
    let connections = c.connections_initial + c.activations * 2 + c.readds * 2 + 1;
    for b in 0..r.series.len() {
        prop_assert!(
            r.series.quarantined[b] <= connections,
            "bucket {}: {}",
            b,
            r.series.quarantined[b]
        );
        prop_assert!(
            r.series.blocked[b] <= connections,
            "bucket {}: {}",
            b,
            r.series.blocked[b]
        );
    }
    prop_assert_eq!(r.series.evaluations.iter().sum::<u64>(), c.evaluations);
    prop_assert_eq!(r.series.rejected.iter().sum::<u64>(), l.rejected);
    prop_assert_eq!(r.series.prompts.iter().sum::<u64>(), c.prompts);
    // Unmanaged everywhere (or MDM) means no evaluations and no prompts.
    if s.policy == 0 && s.changes.iter().all(|ch| ch.1 == 0) {
        prop_assert_eq!(c.evaluations, 0);
        prop_assert_eq!(c.prompts, 0);
    }
    // The same scenario runs the same way again.
    let again = run_replication_on(sc, 0, engine);
    prop_assert_eq!(&again.counters, c);
    prop_assert_eq!(again.series, r.series);
    Ok(())
}
