//! Fuzzed request bodies and ids against the live service (proptest):
//! whatever arrives, the answer is a 2xx or a 4xx with a message (or a 503
//! from the queue), never another 5xx, never a dropped connection (which
//! is what a panicking handler gives), and the process ends cleanly.

mod serve_common;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use serve_common::Server;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        prop_oneof![
            Just("outlook"),
            Just("third_party"),
            Just("poll"),
            Just("push"),
            Just("activation"),
            Just("readd"),
            Just("unmanaged"),
            Just("outlook_only"),
            Just("any_app_prompt_always"),
            Just("any_app_prompt_once"),
            Just("ignore"),
        ]
        .prop_map(|s| json!(s)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    let key = prop_oneof![
        Just("tenant".to_string()),
        Just("device".to_string()),
        Just("app".to_string()),
        Just("kind".to_string()),
        Just("policy".to_string()),
        Just("mdm".to_string()),
        Just("choice".to_string()),
        "[a-z]{0,6}",
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A valid body of each endpoint with one field replaced or removed.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let valid = prop_oneof![
        Just(json!({"tenant": 1, "device": 2, "app": "third_party", "kind": "activation"})),
        Just(json!({"policy": "any_app_prompt_always", "mdm": false})),
        Just(json!({"choice": "third_party"})),
    ];
    (valid, any::<prop::sample::Index>(), prop::option::of(json_value())).prop_map(|(v, i, replacement)| {
        let mut m = v.as_object().unwrap().clone();
        let key = m.keys().nth(i.index(m.len())).unwrap().clone();
        match replacement {
            Some(r) => m.insert(key, r),
            None => m.remove(&key),
        };
        serde_json::to_vec(&Value::Object(m)).unwrap()
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        mutated(),
    ]
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| (n % 8).to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        Just("-1".to_string()),
        Just("18446744073709551616".to_string()),
        Just("%FF".to_string()),
        "[a-zA-Z0-9%._~-]{1,12}",
    ]
}

fn request() -> impl Strategy<Value = (&'static str, String, Vec<u8>)> {
    prop_oneof![
        body().prop_map(|b| ("POST", "/v1/evaluate".to_string(), b)),
        (id(), body()).prop_map(|(i, b)| ("PUT", format!("/v1/tenants/{i}/policy"), b)),
        (id(), body()).prop_map(|(i, b)| ("POST", format!("/v1/devices/{i}/choice"), b)),
        (id(), body()).prop_map(|(i, b)| ("POST", format!("/v1/devices/{i}/prompt"), b)),
    ]
}

#[test]
fn fuzzed_requests_get_400s_never_a_panic_or_a_5xx() {
    let server = Server::start(&["--service-time", "fixed 0", "--servers", "2"]);
    // The runner takes a `Fn`; the connection and the tallies sit in cells.
    let c = std::cell::RefCell::new(server.client());
    let mut runner = TestRunner::new(Config {
        cases: 2_000,
        failure_persistence: None,
        ..Config::default()
    });
    let (ok, bad) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner
        .run(&request(), |(method, path, body)| {
            let a = c
                .borrow_mut()
                .try_request(method, &path, &body)
                .map_err(|e| TestCaseError::fail(format!("{method} {path}: connection lost: {e}")))?;
            let text = String::from_utf8_lossy(&a.body).into_owned();
            match a.status {
                200 => ok.set(ok.get() + 1),
                400 | 404 => {
                    prop_assert!(!a.body.is_empty(), "{} without a message", a.status);
                    bad.set(bad.get() + 1);
                }
                503 => {}
                other => return Err(TestCaseError::fail(format!("{method} {path} -> {other} {text}"))),
            }
            Ok(())
        })
        .unwrap();
    let (ok, bad) = (ok.get(), bad.get());
    eprintln!("{ok} answered 200, {bad} answered 400 or 404");
    assert!(ok > 0 && bad > 0, "both kinds seen: {ok} ok, {bad} bad");
    let (status, health) = c.borrow_mut().call("GET", "/healthz", "");
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let ended = server.signal_and_wait("TERM");
    assert!(ended.status.success(), "{}", ended.stderr);
    assert!(!ended.stderr.contains("panicked"), "{}", ended.stderr);
}
