//! The rules of SPEC §1 through the live service's HTTP API, one test per
//! rule, with exact answers. Each test starts its own `mailsim serve`
//! with no service time, so answers are immediate.

mod serve_common;

use serde_json::{Value, json};
use serve_common::{Client, Server};
use std::time::{Duration, Instant};

const DAY_S: f64 = 86_400.0;

fn start() -> (Server, Client) {
    let s = Server::start(&["--service-time", "fixed 0"]);
    let c = s.client();
    (s, c)
}

/// The decision and prompt of an evaluation answered 200.
fn decide(c: &mut Client, tenant: u64, device: u64, app: &str, kind: &str) -> (String, bool, Value) {
    let (status, v) = c.evaluate(tenant, device, app, kind);
    assert_eq!(status, 200, "{v}");
    (
        v["decision"].as_str().unwrap().to_string(),
        v["prompt"].as_bool().unwrap(),
        v,
    )
}

fn d(c: &mut Client, tenant: u64, device: u64, app: &str, kind: &str) -> (String, bool) {
    let (a, p, _) = decide(c, tenant, device, app, kind);
    (a, p)
}

fn allow() -> (String, bool) {
    ("allow".into(), false)
}
fn block() -> (String, bool) {
    ("block".into(), false)
}
fn quarantine(prompt: bool) -> (String, bool) {
    ("quarantine".into(), prompt)
}

fn choice(c: &mut Client, device: u64, choice: &str) -> Value {
    let (status, v) = c.call(
        "POST",
        &format!("/v1/devices/{device}/choice"),
        &format!(r#"{{"choice":"{choice}"}}"#),
    );
    assert_eq!(status, 200, "{v}");
    v
}

fn wave_turn(c: &mut Client, device: u64) -> Value {
    let (status, v) = c.call("POST", &format!("/v1/devices/{device}/prompt"), "");
    assert_eq!(status, 200, "{v}");
    v
}

#[test]
fn unknown_tenants_are_unmanaged() {
    let (_s, mut c) = start();
    let (_, _, v) = decide(&mut c, 99, 1, "third_party", "activation");
    assert_eq!(v["decision"], "allow");
    assert_eq!(v["prompt"], false);
    assert_eq!(v["quarantined_until"], Value::Null);
    assert_eq!(d(&mut c, 99, 1, "third_party", "poll"), allow());
}

#[test]
fn mdm_tenants_stay_unmanaged_whatever_the_policy() {
    let (_s, mut c) = start();
    for (t, policy) in [
        (1, "any_app_prompt_always"),
        (2, "any_app_prompt_once"),
        (3, "outlook_only"),
    ] {
        let v = c.set_policy(t, policy, true);
        assert_eq!(v["effective_policy"], "unmanaged");
        assert_eq!(v["policy"], policy);
        assert_eq!(d(&mut c, t, 10 + t, "third_party", "activation"), allow());
        assert_eq!(d(&mut c, t, 10 + t, "third_party", "readd"), allow());
    }
    // Leaving MDM puts the policy in force.
    c.set_policy(3, "outlook_only", false);
    assert_eq!(d(&mut c, 3, 13, "third_party", "poll"), block());
}

#[test]
fn outlook_is_always_allowed() {
    let (_s, mut c) = start();
    let policies = [
        "unmanaged",
        "outlook_only",
        "any_app_prompt_always",
        "any_app_prompt_once",
    ];
    for (t, policy) in policies.iter().enumerate() {
        let t = t as u64;
        c.set_policy(t, policy, false);
        for kind in ["activation", "readd", "poll", "push"] {
            assert_eq!(d(&mut c, t, 100 + t, "outlook", kind), allow(), "{policy} {kind}");
        }
        // A wave turn never touches an Outlook-only device.
        let v = wave_turn(&mut c, 100 + t);
        assert_eq!(
            (v["applied"].clone(), v["decision"].clone()),
            (json!(false), Value::Null)
        );
    }
}

#[test]
fn prompt_always_prompts_every_third_party_activation_and_readd() {
    let (_s, mut c) = start();
    c.set_policy(17, "any_app_prompt_always", false);
    let (a, p, v) = decide(&mut c, 17, 42, "third_party", "activation");
    assert_eq!((a.as_str(), p), ("quarantine", true));
    let (now, until) = (v["now"].as_f64().unwrap(), v["quarantined_until"].as_f64().unwrap());
    assert!((until - now - DAY_S).abs() < 1e-6, "quarantined for 24 h: {v}");
    // Polls are answered from the state: quarantined, no new prompt.
    assert_eq!(d(&mut c, 17, 42, "third_party", "poll"), quarantine(false));
    assert_eq!(d(&mut c, 17, 42, "third_party", "push"), quarantine(false));
    // Keeping the app ends the quarantine at once.
    let v = choice(&mut c, 42, "third_party");
    assert_eq!(
        (v["applied"].clone(), v["decision"].clone()),
        (json!(true), json!("allow"))
    );
    assert_eq!(d(&mut c, 17, 42, "third_party", "poll"), allow());
    // A re-add is prompted again, and so is every new device.
    assert_eq!(d(&mut c, 17, 42, "third_party", "readd"), quarantine(true));
    assert_eq!(d(&mut c, 17, 43, "third_party", "activation"), quarantine(true));
}

#[test]
fn prompt_once_remembers_the_device() {
    let (_s, mut c) = start();
    c.set_policy(5, "any_app_prompt_once", false);
    assert_eq!(d(&mut c, 5, 1, "third_party", "activation"), quarantine(true));
    choice(&mut c, 1, "third_party");
    assert_eq!(d(&mut c, 5, 1, "third_party", "poll"), allow());
    // The same device is not prompted again, on a re-add or a new activation.
    assert_eq!(d(&mut c, 5, 1, "third_party", "readd"), allow());
    assert_eq!(d(&mut c, 5, 1, "third_party", "activation"), allow());
    // Another device is.
    assert_eq!(d(&mut c, 5, 2, "third_party", "activation"), quarantine(true));
    // A device already configured when the service first hears of it (a
    // poll) counts as prompted: its re-add is not prompted.
    assert_eq!(d(&mut c, 5, 3, "third_party", "poll"), allow());
    assert_eq!(d(&mut c, 5, 3, "third_party", "readd"), allow());
    // Wave turns belong to prompt-always only.
    assert_eq!(wave_turn(&mut c, 3)["applied"], false);
}

#[test]
fn outlook_only_blocks_third_party_apps() {
    let (_s, mut c) = start();
    c.set_policy(8, "outlook_only", false);
    assert_eq!(d(&mut c, 8, 1, "third_party", "activation"), block());
    assert_eq!(d(&mut c, 8, 1, "third_party", "poll"), block());
    assert_eq!(
        d(&mut c, 8, 2, "third_party", "poll"),
        block(),
        "configured connections too"
    );
    // No choice unblocks; the user may set up Outlook, which syncs.
    let v = choice(&mut c, 1, "third_party");
    assert_eq!(
        (v["applied"].clone(), v["decision"].clone()),
        (json!(false), json!("block"))
    );
    assert_eq!(d(&mut c, 8, 1, "outlook", "activation"), allow());
    assert_eq!(d(&mut c, 8, 1, "third_party", "poll"), block());
}

#[test]
fn quarantine_ends_after_24_hours_of_the_service_clock() {
    // At a speed-up of 100,000, 24 h of service time pass in 0.864 s.
    let s = Server::start(&["--service-time", "fixed 0", "--speedup", "100000"]);
    let mut c = s.client();
    c.set_policy(1, "any_app_prompt_always", false);
    let (_, _, v) = decide(&mut c, 1, 7, "third_party", "activation");
    let until = v["quarantined_until"].as_f64().unwrap();
    assert!((until - v["now"].as_f64().unwrap() - DAY_S).abs() < 1e-6);
    // Device 8 ignores its prompt: the timeout still applies.
    decide(&mut c, 1, 8, "third_party", "activation");
    assert_eq!(choice(&mut c, 8, "ignore")["applied"], true);
    // Device 9 chooses Outlook: it stays quarantined for good.
    decide(&mut c, 1, 9, "third_party", "activation");
    let v = choice(&mut c, 9, "outlook");
    assert_eq!(
        (v["decision"].clone(), v["quarantined_until"].clone()),
        (json!("quarantine"), Value::Null)
    );

    let (mut before, mut after) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(20);
    while after < 3 {
        assert!(Instant::now() < deadline, "the quarantine never ended");
        let (a, p, v) = decide(&mut c, 1, 7, "third_party", "poll");
        let now = v["now"].as_f64().unwrap();
        // Exact: quarantined strictly before the deadline, allowed from it on.
        if now < until {
            assert_eq!((a.as_str(), p), ("quarantine", false), "{v}");
            before += 1;
        } else {
            assert_eq!(
                (a.as_str(), p, v["quarantined_until"].clone()),
                ("allow", false, Value::Null),
                "{v}"
            );
            after += 1;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(before > 0, "saw the quarantine at least once");
    assert_eq!(d(&mut c, 1, 8, "third_party", "poll"), allow(), "ignored: timed out");
    assert_eq!(
        d(&mut c, 1, 9, "third_party", "poll"),
        quarantine(false),
        "chose Outlook"
    );
}

#[test]
fn a_choice_only_answers_a_pending_prompt() {
    let (_s, mut c) = start();
    c.set_policy(2, "any_app_prompt_always", false);
    // Not quarantined: nothing to answer.
    decide(&mut c, 2, 1, "outlook", "activation");
    let v = choice(&mut c, 1, "third_party");
    assert_eq!(
        (v["applied"].clone(), v["decision"].clone()),
        (json!(false), Value::Null)
    );
    // Outlook first: the prompt is answered, later choices change nothing.
    decide(&mut c, 2, 2, "third_party", "activation");
    assert_eq!(choice(&mut c, 2, "outlook")["applied"], true);
    let v = choice(&mut c, 2, "third_party");
    assert_eq!(
        (v["applied"].clone(), v["decision"].clone()),
        (json!(false), json!("quarantine"))
    );
    // Ignore, then change one's mind within the 24 h.
    decide(&mut c, 2, 3, "third_party", "activation");
    choice(&mut c, 3, "ignore");
    assert_eq!(choice(&mut c, 3, "third_party")["decision"], "allow");
    // Unknown devices are 404.
    let (status, v) = c.call("POST", "/v1/devices/404/choice", r#"{"choice":"ignore"}"#);
    assert_eq!(status, 404, "{v}");
}

#[test]
fn a_wave_turn_prompts_an_active_connection_under_prompt_always() {
    let (_s, mut c) = start();
    // Configured before the switch: syncing.
    assert_eq!(d(&mut c, 3, 1, "third_party", "poll"), allow());
    c.set_policy(3, "any_app_prompt_always", false);
    assert_eq!(d(&mut c, 3, 1, "third_party", "poll"), allow(), "no wave turn yet");
    let v = wave_turn(&mut c, 1);
    assert_eq!(
        (v["applied"].clone(), v["decision"].clone()),
        (json!(true), json!("quarantine"))
    );
    let until = v["quarantined_until"].as_f64().unwrap();
    assert!((until - v["now"].as_f64().unwrap() - DAY_S).abs() < 1e-6);
    assert_eq!(d(&mut c, 3, 1, "third_party", "poll"), quarantine(false));
    // Already in a prompt: a second turn does nothing.
    assert_eq!(wave_turn(&mut c, 1)["applied"], false);
    let (status, _) = c.call("POST", "/v1/devices/999/prompt", "");
    assert_eq!(status, 404);
    // The prompts counter counts activations' and wave turns' emails.
    assert_eq!(c.metric("mailsim_prompts_total"), 1.0);
}

#[test]
fn a_switch_to_unmanaged_releases_everyone() {
    let (_s, mut c) = start();
    c.set_policy(4, "any_app_prompt_always", false);
    decide(&mut c, 4, 1, "third_party", "activation");
    decide(&mut c, 4, 2, "third_party", "activation");
    choice(&mut c, 2, "outlook"); // quarantined for good, until a release
    c.set_policy(5, "outlook_only", false);
    decide(&mut c, 5, 3, "third_party", "activation");
    assert_eq!(c.set_policy(4, "unmanaged", false)["devices"], 2);
    c.set_policy(5, "unmanaged", false);
    for (t, dev) in [(4, 1), (4, 2), (5, 3)] {
        assert_eq!(d(&mut c, t, dev, "third_party", "poll"), allow(), "device {dev}");
    }
}

#[test]
fn a_switch_to_outlook_only_blocks_and_cancels_prompts() {
    let (_s, mut c) = start();
    c.set_policy(6, "any_app_prompt_always", false);
    decide(&mut c, 6, 1, "third_party", "activation"); // quarantined, prompt pending
    d(&mut c, 6, 2, "third_party", "poll"); // active
    decide(&mut c, 6, 3, "outlook", "activation");
    c.set_policy(6, "outlook_only", false);
    assert_eq!(d(&mut c, 6, 1, "third_party", "poll"), block());
    assert_eq!(d(&mut c, 6, 2, "third_party", "poll"), block());
    assert_eq!(d(&mut c, 6, 3, "outlook", "poll"), allow());
    // The cancelled prompt cannot be answered any more.
    let v = choice(&mut c, 1, "third_party");
    assert_eq!(
        (v["applied"].clone(), v["decision"].clone()),
        (json!(false), json!("block"))
    );
}

#[test]
fn leaving_outlook_only_for_a_prompt_policy_releases_blocked_connections() {
    let (_s, mut c) = start();
    c.set_policy(7, "outlook_only", false);
    decide(&mut c, 7, 1, "third_party", "activation");
    c.set_policy(7, "any_app_prompt_once", false);
    assert_eq!(d(&mut c, 7, 1, "third_party", "poll"), allow());
    // Prompt-once exempts the configured devices: no prompt on a re-add.
    assert_eq!(d(&mut c, 7, 1, "third_party", "readd"), allow());
    c.set_policy(8, "outlook_only", false);
    decide(&mut c, 8, 2, "third_party", "activation");
    c.set_policy(8, "any_app_prompt_always", false);
    assert_eq!(d(&mut c, 8, 2, "third_party", "poll"), allow());
    assert_eq!(wave_turn(&mut c, 2)["applied"], true, "then it is in the wave");
}

#[test]
fn between_prompt_policies_prompts_in_flight_go_on() {
    let (_s, mut c) = start();
    c.set_policy(9, "any_app_prompt_always", false);
    let (_, _, v) = decide(&mut c, 9, 1, "third_party", "activation");
    c.set_policy(9, "any_app_prompt_once", false);
    let (a, p, w) = decide(&mut c, 9, 1, "third_party", "poll");
    assert_eq!((a.as_str(), p), ("quarantine", false));
    assert_eq!(w["quarantined_until"], v["quarantined_until"]);
    assert_eq!(choice(&mut c, 1, "third_party")["decision"], "allow");
    // The device was prompted under prompt-always: prompt-once remembers it.
    assert_eq!(d(&mut c, 9, 1, "third_party", "readd"), allow());
}

#[test]
fn a_device_keeps_the_tenant_of_its_first_request() {
    let (_s, mut c) = start();
    decide(&mut c, 1, 5, "outlook", "activation");
    let (status, v) = c.evaluate(2, 5, "outlook", "poll");
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("belongs to tenant 1"), "{v}");
}

#[test]
fn a_paused_service_waits_or_answers_503_but_never_allows_a_quarantine() {
    // Every worker stalls from 3 s to 5 s after start (set-up has 3 s even on
    // a loaded machine); requests give up after 300 ms.
    let s = Server::start(&[
        "--service-time",
        "fixed 1ms",
        "--servers",
        "2",
        "--queue-timeout",
        "300ms",
        "--pause-at",
        "3s",
        "--pause-for",
        "2s",
    ]);
    let mut c = s.client();
    let t0 = Instant::now();
    c.set_policy(1, "any_app_prompt_always", false);
    assert_eq!(d(&mut c, 1, 1, "third_party", "activation"), quarantine(true));
    c.set_policy(2, "outlook_only", false);
    assert_eq!(d(&mut c, 2, 2, "third_party", "activation"), block());
    assert!(
        t0.elapsed() < Duration::from_millis(2700),
        "set-up must finish before the pause"
    );
    // A request a worker took just before the pause is held through it and
    // answered late (the client, which sends one at a time, then sends none
    // during the pause): that too is the pause seen.
    let (mut rejected, mut answered, mut held) = (0, 0, 0);
    while t0.elapsed() < Duration::from_millis(6500) {
        for (t, dev) in [(1, 1), (2, 2)] {
            let sent = Instant::now();
            let a = c.request(
                "POST",
                "/v1/evaluate",
                format!(r#"{{"tenant":{t},"device":{dev},"app":"third_party","kind":"poll"}}"#).as_bytes(),
            );
            match a.status {
                503 => {
                    assert_eq!(a.header("retry-after"), Some("1"));
                    rejected += 1;
                }
                200 => {
                    let want = if t == 1 { "quarantine" } else { "block" };
                    assert_eq!(a.json()["decision"], want, "fails closed");
                    answered += 1;
                    held += (sent.elapsed() > Duration::from_secs(1)) as u32;
                }
                other => panic!("status {other}"),
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        rejected >= 4 || held >= 1,
        "the pause was seen: {rejected} rejected, {held} held through it"
    );
    assert!(answered >= 4, "answers before and after the pause: {answered}");
    assert!(c.metric("mailsim_evaluations_rejected_total") >= rejected as f64);
}

#[test]
fn the_allow_all_fault_allows_everything() {
    let s = Server::start(&["--service-time", "fixed 0", "--fault", "allow-all"]);
    let mut c = s.client();
    c.set_policy(1, "outlook_only", false);
    assert_eq!(d(&mut c, 1, 1, "third_party", "activation"), allow());
    assert_eq!(d(&mut c, 1, 1, "third_party", "poll"), allow());
}
