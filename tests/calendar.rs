//! The calendar (issue 15) through the real binary: prompts that wait for
//! people's active hours (exact, fixed timings), arrivals that follow the
//! weekly profile (a χ² test with its power stated), time zones, daylight
//! saving, fetch devices, and a calendar that changes nothing when it says
//! nothing.

mod common;
use common::{Fixed, Row, delay, metric, num, rows, run};
use mailsim::engine::SimTime;
use mailsim::model::clock::Clocks;
use mailsim::scenario::Scenario;

const H: u64 = 3_600_000_000;

/// The fixed-timing scenario with a calendar starting Monday 2027-01-04
/// 00:00 UTC, tenants in Berlin (UTC+1 in January) under the office
/// profile (active Monday to Friday 08:00-18:00 local), 1 h reactions
/// (active time) that keep the app, and a switch to prompt-always at `at`
/// (local): the wave is 0 and mail takes 30 s.
fn office(at: &str, horizon: &str) -> common::Run {
    let changes = format!("[[tenants.changes]]\nat = \"{at}\"\npolicy = \"any_app_prompt_always\"");
    run(
        &Fixed {
            horizon,
            extra: "start = \"2027-01-04T00:00:00Z\"",
            behavior: "choice = { third_party = 1.0 }\nreaction = { dist = \"fixed\", value = \"1h\" }",
            tenant: "timezones = \"Europe/Berlin\"\nactivity = \"office\"",
            changes: &changes,
            ..Default::default()
        }
        .toml(),
        &[],
    )
}

fn exact(row: &Row, count: u64, delay_s: &str) {
    assert_eq!(num(row, "count") as u64, count, "{row:?}");
    assert_eq!(num(row, "synced") as u64, count, "{row:?}");
    assert_eq!(row["max_s"], delay_s, "{row:?}");
    assert_eq!(num(row, "mean_s"), delay_s.parse::<f64>().unwrap(), "{row:?}");
}

#[test]
fn a_prompt_delivered_on_friday_night_waits_for_monday_and_times_out_first() {
    // Delivered Friday 23:00 local: 1 h of active time ends Monday 09:00,
    // 58 h later, so the 24 h timeout fires first (Saturday 23:00).
    let r = office("2027-01-08T22:59:30", "7d");
    assert!(delay(&r.out, "any_app_prompt_always", "existing", "continued").is_none());
    exact(
        &delay(&r.out, "any_app_prompt_always", "existing", "timeout").unwrap(),
        40,
        "86400.001",
    );
    assert_eq!(metric(&r.out, "outcome_timeout"), 40);
}

#[test]
fn a_prompt_delivered_on_sunday_evening_is_answered_monday_at_nine() {
    // Delivered Sunday 22:00 local: active hours start Monday 08:00, and the
    // person acts after 1 h of them, at 09:00: 11 h, within the 24 h.
    let r = office("2027-01-10T21:59:30", "8d");
    exact(
        &delay(&r.out, "any_app_prompt_always", "existing", "continued").unwrap(),
        40,
        "39600.001",
    );
}

#[test]
fn a_prompt_delivered_on_tuesday_morning_is_answered_within_the_hour() {
    let r = office("2027-01-05T09:59:30", "3d");
    exact(
        &delay(&r.out, "any_app_prompt_always", "existing", "continued").unwrap(),
        40,
        "3600.001",
    );
}

#[test]
fn active_time_walks_from_friday_night_to_monday_morning() {
    let sc = Scenario::parse(
        &Fixed {
            horizon: "14d",
            extra: "start = \"2027-01-04T00:00:00Z\"",
            tenant: "timezones = \"Europe/Berlin\"\nactivity = \"office\"",
            ..Default::default()
        }
        .toml(),
        "office.toml",
    )
    .unwrap();
    let clocks = Clocks::build(&sc).unwrap();
    let berlin = &clocks.zones[0];
    // Friday 23:00 Berlin is 22:00 UTC, 4 d 22 h after the start.
    let friday_23 = SimTime(4 * 24 * H + 22 * H);
    let monday_09 = SimTime(7 * 24 * H + 8 * H);
    assert_eq!(berlin.active.walk(friday_23, H as f64), monday_09);
    // Ten hours a day: 12 h of active time from Friday 23:00 end Tuesday 10:00.
    assert_eq!(
        berlin.active.walk(friday_23, 12.0 * H as f64),
        SimTime(8 * 24 * H + 9 * H)
    );
    // Zero time still waits for the morning.
    assert_eq!(berlin.active.walk(friday_23, 0.0), SimTime(7 * 24 * H + 7 * H));
}

/// A scenario of `tenants` × 50 users who only activate new devices (rate
/// per user-day), nothing else polling, over `horizon` from `start`.
fn arrivals_only(start: &str, zone: &str, activity: &str, horizon: &str, tenants: u32, reps: u32) -> String {
    format!(
        r#"name = "arrivals"
seed = 3
start = "{start}"
horizon = "{horizon}"
bucket = "1h"
replications = {reps}
[evaluator]
servers = 4
service_time = {{ dist = "fixed", value = "1ms" }}
[devices]
poll_interval = {{ dist = "fixed", value = "60d" }}
[[tenants]]
name = "a"
count = {tenants}
users = {{ dist = "fixed", value = 50 }}
devices_per_user = {{ dist = "fixed", value = 0 }}
activations_per_user_day = 0.5
timezones = {zone}
activity = "{activity}"
"#
    )
}

/// The merged rows of one clock of `hour_of_week.csv`, by hour of week.
fn week(out: &std::path::Path, clock: &str) -> Vec<Row> {
    let mut v: Vec<Row> = rows(out, "hour_of_week.csv")
        .into_iter()
        .filter(|r| r["replication"] == "all" && r["clock"] == clock)
        .collect();
    v.sort_by_key(|r| num(r, "hour_of_week") as usize);
    assert_eq!(v.len(), 168);
    v
}

/// The upper `1 - alpha` quantile of χ² with `k` degrees of freedom
/// (Wilson–Hilferty; within 0.5 % here), for `z` the normal quantile.
fn chi2_critical(k: f64, z: f64) -> f64 {
    let a = 2.0 / (9.0 * k);
    k * (1.0 - a + z * a.sqrt()).powi(3)
}

/// The standard normal CDF (Abramowitz–Stegun 7.1.26 for erf).
fn phi(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs() / 2f64.sqrt());
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t + 0.254_829_592)
            * t
            * (-(x * x) / 2.0).exp();
    if x >= 0.0 { 0.5 * (1.0 + y) } else { 0.5 * (1.0 - y) }
}

#[test]
fn activations_per_hour_of_week_reproduce_the_profile() {
    // Four whole weeks from Monday 00:00 in Kolkata (UTC+05:30: local hours
    // start at half past the UTC hour), so every local hour of week comes
    // round exactly four times; two replications; about 280,000 activations.
    let text = arrivals_only("2027-01-03T18:30:00Z", "\"Asia/Kolkata\"", "office", "28d", 200, 2);
    let r = run(&text, &[]);
    let profile = mailsim::scenario::calendar::Activity::named("office").unwrap().weekly;
    let sum: f64 = profile.iter().sum();
    let local = week(&r.out, "local");
    let observed: Vec<f64> = local.iter().map(|w| num(w, "activations")).collect();
    let n: f64 = observed.iter().sum();
    assert_eq!(n as u64, metric(&r.out, "activations"));
    for w in &local {
        assert_eq!(num(w, "tenant_hours"), 200.0 * 4.0 * 2.0, "{w:?}");
    }
    // χ² goodness of fit of the counts to the profile, given their total:
    // 167 degrees of freedom, level 0.001 (critical value ≈ 229).
    let expected: Vec<f64> = profile.iter().map(|p| n * p / sum).collect();
    let chi2: f64 = observed.iter().zip(&expected).map(|(o, e)| (o - e) * (o - e) / e).sum();
    let k = 167.0;
    let critical = chi2_critical(k, 3.090_232);
    assert!(
        chi2 < critical,
        "χ² = {chi2:.1} ≥ {critical:.1}: the counts do not follow the profile"
    );
    // Power: against the profile shifted by one hour (an off-by-one-hour
    // zone), the non-centrality is n·Σ(p₁ − p₀)²/p₀; the non-central χ² is
    // about normal with mean k + λ and variance 2(k + 2λ).
    let lambda: f64 = (0..168)
        .map(|h| {
            let (p0, p1) = (profile[h] / sum, profile[(h + 167) % 168] / sum);
            n * (p1 - p0) * (p1 - p0) / p0
        })
        .sum();
    let power = 1.0 - phi((critical - k - lambda) / (2.0 * (k + 2.0 * lambda)).sqrt());
    assert!(
        power > 0.999,
        "power {power} against a one-hour shift (λ = {lambda:.0})"
    );
}

/// The two-sample χ² statistic of two count vectors with equal expected
/// totals: Σ (a − b)² / (a + b) over cells with counts.
fn two_sample(a: &[f64], b: &[f64]) -> (f64, f64) {
    let mut df = -1.0;
    let mut chi2 = 0.0;
    for (x, y) in a.iter().zip(b) {
        if x + y > 0.0 {
            chi2 += (x - y) * (x - y) / (x + y);
            df += 1.0;
        }
    }
    (chi2, df)
}

#[test]
fn a_time_zone_shifts_the_hour_of_week_curves_by_its_offset() {
    let utc = run(
        &arrivals_only("2027-01-04T00:00:00Z", "\"UTC\"", "office", "14d", 100, 1),
        &[],
    );
    let east = run(
        &arrivals_only("2027-01-04T00:00:00Z", "\"UTC+03:00\"", "office", "14d", 100, 1),
        &[],
    );
    let counts = |r: &common::Run, clock: &str| -> Vec<f64> {
        week(&r.out, clock).iter().map(|w| num(w, "activations")).collect()
    };
    let (u_utc, e_utc) = (counts(&utc, "utc"), counts(&east, "utc"));
    // In UTC the +03:00 tenants' curve comes three hours earlier...
    let shifted: Vec<f64> = (0..168).map(|h| u_utc[(h + 3) % 168]).collect();
    let (chi2, df) = two_sample(&e_utc, &shifted);
    assert!(chi2 < chi2_critical(df, 3.090_232), "shifted: χ² {chi2:.1} on {df} df");
    // ... unshifted it differs: the test can tell.
    let (chi2, df) = two_sample(&e_utc, &u_utc);
    assert!(
        chi2 > chi2_critical(df, 3.090_232),
        "unshifted: χ² {chi2:.1} on {df} df"
    );
    // By local time both follow the same curve.
    let (chi2, df) = two_sample(&counts(&east, "local"), &counts(&utc, "local"));
    assert!(chi2 < chi2_critical(df, 3.090_232), "local: χ² {chi2:.1} on {df} df");
}

#[test]
fn daylight_saving_changes_neither_lose_nor_double_an_hour() {
    // A flat profile in London over the week of each change: every real
    // hour has the same rate, whatever its local name.
    let rate_per_tenant_hour = 50.0 * 0.5 / 24.0;
    for (start, sunday_1am_hours) in [("2027-03-22T00:00:00Z", 0.0), ("2027-10-25T00:00:00Z", 2.0)] {
        let r = run(&arrivals_only(start, "\"Europe/London\"", "flat", "7d", 200, 1), &[]);
        let local = week(&r.out, "local");
        // Every real hour is some local hour: 200 tenants × 168 h in all.
        let hours: f64 = local.iter().map(|w| num(w, "tenant_hours")).sum();
        assert!((hours - 200.0 * 168.0).abs() < 1e-6, "{start}: {hours}");
        // Sunday 01:00-02:00 local does not exist in spring and lasts two
        // real hours in autumn; its count follows its real length.
        let sun_1 = &local[6 * 24 + 1];
        assert_eq!(num(sun_1, "tenant_hours"), 200.0 * sunday_1am_hours, "{start}");
        let expected = 200.0 * sunday_1am_hours * rate_per_tenant_hour;
        let got = num(sun_1, "activations");
        assert!(
            (got - expected).abs() <= 4.0 * expected.sqrt() + 1e-9,
            "{start}: Sunday 01:00 had {got}, expected {expected}"
        );
        // And the whole week has its 168 real hours' worth.
        let total = metric(&r.out, "activations") as f64;
        let week_expected = 200.0 * 168.0 * rate_per_tenant_hour;
        assert!(
            (total - week_expected).abs() < 4.0 * week_expected.sqrt(),
            "{start}: {total} vs {week_expected}"
        );
    }
}

#[test]
fn a_calendar_that_changes_nothing_gives_the_same_results() {
    // UTC, the flat profile (every hour active) and the reaction written
    // out: the calendar's code runs but every rate and reaction is as
    // before, so the SPEC's CSVs are byte for byte those without it.
    let text = std::fs::read_to_string("tests/data/small.toml").unwrap();
    let with_reaction = text.replace(
        "[behavior]\n",
        "[behavior]\nreaction = { dist = \"lognormal\", median = \"2h\", sigma = 1.0 }\n",
    );
    let calendar = with_reaction.replace("seed = 5\n", "seed = 5\nstart = \"2027-01-04T08:00:00Z\"\n");
    assert_ne!(calendar, with_reaction);
    // The calendar runs on the per-connection engine: so must the run without it.
    let (a, b) = (
        run(&text, &["--replications", "2", "--engine", "per-connection"]),
        run(&calendar, &["--replications", "2"]),
    );
    for file in [
        "summary.csv",
        "sync_delay.csv",
        "evaluator.csv",
        "timeseries.csv",
        "timeseries_pools.csv",
        "sync_delay_cdf.csv",
        "outcomes.csv",
        "metrics.csv",
    ] {
        let read = |r: &common::Run| std::fs::read(r.out.join(file)).unwrap();
        assert!(read(&a) == read(&b), "{file} differs");
    }
    assert!(!a.out.join("hour_of_week.csv").exists());
    assert!(b.out.join("hour_of_week.csv").exists() && b.out.join("hour_of_week.png").exists());
}

#[test]
fn a_fetch_device_learns_of_its_release_at_its_next_fetch() {
    let ignore = "choice = { ignore = 1.0 }";
    let changes = "[[tenants.changes]]\nat = \"1h\"\npolicy = \"any_app_prompt_always\"";
    let push = run(
        &Fixed {
            behavior: ignore,
            changes,
            ..Default::default()
        }
        .toml(),
        &[],
    );
    exact(
        &delay(&push.out, "any_app_prompt_always", "existing", "timeout").unwrap(),
        40,
        "86400.001",
    );
    let toml = Fixed {
        behavior: ignore,
        changes,
        ..Default::default()
    }
    .toml()
    .replace("[behavior]", "modes = { fetch_15m = 1.0 }\n\n[behavior]");
    let fetch = run(&toml, &[]);
    let row = delay(&fetch.out, "any_app_prompt_always", "existing", "timeout").unwrap();
    // The 24 h timeout, then up to one 15 min fetch interval, then 1 ms.
    assert!(num(&row, "max_s") <= 86400.0 + 900.0 + 0.001, "{row:?}");
    assert!(num(&row, "mean_s") > 86400.001 + 60.0, "{row:?}");
    let modes = rows(&fetch.out, "device_modes.csv");
    let all = modes.iter().find(|m| m["replication"] == "all").unwrap();
    assert_eq!((all["mode"].as_str(), num(all, "devices") as u64), ("fetch_15m", 40));
    assert_eq!(num(all, "quarantines") as u64, 40);
}
