//! The live service answers as `docs/openapi.json` says: every path,
//! method and status it declares is exercised, every answer's status is
//! declared for its operation, its content type matches, required headers
//! are there, and its body validates against the declared schema. The
//! request bodies are checked against the spec too, both ways: the ones
//! answered 200 validate, the malformed ones answered 400 do not.

mod serve_common;

use serde_json::Value;
use serve_common::{Answer, Server};
use std::collections::BTreeSet;

fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Follows a local `$ref`.
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let p = r.strip_prefix('#').unwrap();
            resolve(spec, spec.pointer(p).unwrap_or_else(|| panic!("dangling {r}")))
        }
        None => v,
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        other => panic!("schema type {other} not handled"),
    }
}

/// The subset of JSON Schema the spec uses: $ref, type (one or a list),
/// enum, required, properties, additionalProperties: false, minimum, maximum.
fn validate(spec: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let s = resolve(spec, schema);
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
            _ => panic!("bad type in {s}"),
        };
        if !types.iter().any(|t| type_ok(t, v)) {
            return Err(format!("{at}: {v} is not of type {t}"));
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        return Err(format!("{at}: {v} not in {e:?}"));
    }
    if let Some(min) = s.get("minimum").and_then(Value::as_f64)
        && v.as_f64().is_some_and(|x| x < min)
    {
        return Err(format!("{at}: {v} below {min}"));
    }
    if let Some(max) = s.get("maximum").and_then(Value::as_f64)
        && v.as_f64().is_some_and(|x| x > max)
    {
        return Err(format!("{at}: {v} above {max}"));
    }
    if let Some(obj) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for r in s.get("required").and_then(Value::as_array).into_iter().flatten() {
            let r = r.as_str().unwrap();
            if !obj.contains_key(r) {
                return Err(format!("{at}: required field {r} missing in {v}"));
            }
        }
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => validate(spec, ps, val, &format!("{at}.{k}"))?,
                None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: field {k} not declared"));
                }
                None => {}
            }
        }
    }
    Ok(())
}

/// The declared path template matching a concrete path.
fn template<'a>(spec: &'a Value, path: &str) -> Option<&'a str> {
    let segs: Vec<&str> = path.split('/').collect();
    spec["paths"].as_object().unwrap().keys().map(String::as_str).find(|t| {
        let ts: Vec<&str> = t.split('/').collect();
        ts.len() == segs.len()
            && ts
                .iter()
                .zip(&segs)
                .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')))
    })
}

/// What a request body is expected to be against its declared schema.
#[derive(Clone, Copy, PartialEq)]
enum Body {
    /// Conforms (the request may still fail for another reason).
    Valid,
    /// Does not conform: the server must answer 400.
    Invalid,
}

struct Checker {
    spec: Value,
    seen: BTreeSet<(String, String, String)>,
}

impl Checker {
    fn check(&mut self, method: &str, path: &str, body: Option<(&str, Body)>, a: &Answer, want: u16) {
        let spec = &self.spec;
        let what = format!("{method} {path} -> {} {}", a.status, String::from_utf8_lossy(&a.body));
        assert_eq!(a.status, want, "{what}");
        let t = template(spec, path).unwrap_or_else(|| panic!("{what}: path not declared"));
        let op = &spec["paths"][t][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{what}: method not declared");
        let status = a.status.to_string();
        let resp = resolve(spec, &op["responses"][&status]);
        assert!(resp.is_object(), "{what}: status not declared");
        for (h, decl) in resp.get("headers").and_then(Value::as_object).into_iter().flatten() {
            if decl["required"] == true {
                let v = a.header(&h.to_ascii_lowercase());
                let v = v.unwrap_or_else(|| panic!("{what}: header {h} missing"));
                let n: Value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.into()));
                validate(spec, &decl["schema"], &n, h).unwrap_or_else(|e| panic!("{what}: {e}"));
            }
        }
        let content = resp["content"].as_object().unwrap();
        let ctype = a.header("content-type").unwrap_or("");
        let (declared, media) = content
            .iter()
            .find(|(m, _)| ctype.starts_with(m.as_str()))
            .unwrap_or_else(|| panic!("{what}: content type {ctype:?} not declared"));
        if declared == "application/json" {
            validate(spec, &media["schema"], &a.json(), "body").unwrap_or_else(|e| panic!("{what}: {e}"));
        }
        if let Some((sent, expect)) = body {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let conforms = serde_json::from_str::<Value>(sent)
                .ok()
                .is_some_and(|v| validate(spec, schema, &v, "request").is_ok());
            assert_eq!(conforms, expect == Body::Valid, "{what}: request {sent} vs the spec");
        }
        self.seen.insert((t.to_string(), method.to_ascii_lowercase(), status));
    }
}

#[test]
fn the_service_answers_as_the_openapi_file_says() {
    let mut k = Checker {
        spec: spec(),
        seen: BTreeSet::new(),
    };
    let s = Server::start(&["--service-time", "fixed 0", "--speedup", "1000"]);
    let mut c = s.client();
    let mut call = |k: &mut Checker, method: &str, path: &str, body: Option<(&str, Body)>, want: u16| {
        let a = c.request(method, path, body.map_or("", |b| b.0).as_bytes());
        k.check(method, path, body, &a, want);
        a
    };
    use Body::{Invalid, Valid};
    call(&mut k, "GET", "/healthz", None, 200);
    let m = call(&mut k, "GET", "/metrics", None, 200);
    assert!(
        String::from_utf8(m.body)
            .unwrap()
            .contains("# TYPE mailsim_wait_seconds histogram")
    );

    let policy = r#"{"policy":"any_app_prompt_always"}"#;
    call(&mut k, "PUT", "/v1/tenants/17/policy", Some((policy, Valid)), 200);
    let mdm = r#"{"policy":"outlook_only","mdm":true}"#;
    call(&mut k, "PUT", "/v1/tenants/18/policy", Some((mdm, Valid)), 200);
    call(&mut k, "PUT", "/v1/tenants/x/policy", Some((policy, Valid)), 400);
    for bad in [
        r#"{"policy":"sometimes"}"#,
        r#"{"mdm":true}"#,
        r#"{"policy":"unmanaged","mdm":"yes"}"#,
        r#"{"policy":"unmanaged","extra":1}"#,
        "",
    ] {
        call(&mut k, "PUT", "/v1/tenants/17/policy", Some((bad, Invalid)), 400);
    }

    let activation = r#"{"tenant":17,"device":42,"app":"third_party","kind":"activation"}"#;
    let a = call(&mut k, "POST", "/v1/evaluate", Some((activation, Valid)), 200);
    assert!(a.json()["quarantined_until"].is_number());
    let poll = r#"{"tenant":1,"device":5,"app":"outlook","kind":"poll"}"#;
    let a = call(&mut k, "POST", "/v1/evaluate", Some((poll, Valid)), 200);
    assert!(a.json()["quarantined_until"].is_null());
    let other_tenant = r#"{"tenant":2,"device":5,"app":"outlook","kind":"poll"}"#;
    call(&mut k, "POST", "/v1/evaluate", Some((other_tenant, Valid)), 400);
    for bad in [
        r#"{"tenant":-1,"device":5,"app":"outlook","kind":"poll"}"#,
        r#"{"tenant":1.5,"device":5,"app":"outlook","kind":"poll"}"#,
        r#"{"tenant":18446744073709551616,"device":5,"app":"outlook","kind":"poll"}"#,
        r#"{"tenant":1,"device":5,"app":"blackberry","kind":"poll"}"#,
        r#"{"tenant":1,"device":5,"app":"outlook"}"#,
        r#"{"tenant":1,"device":5,"app":"outlook","kind":"poll","x":0}"#,
        r#"[1,2]"#,
        "not json",
    ] {
        call(&mut k, "POST", "/v1/evaluate", Some((bad, Invalid)), 400);
    }

    let keep = r#"{"choice":"third_party"}"#;
    let a = call(&mut k, "POST", "/v1/devices/42/choice", Some((keep, Valid)), 200);
    assert_eq!(a.json()["decision"], "allow");
    let a = call(&mut k, "POST", "/v1/devices/5/choice", Some((keep, Valid)), 200);
    assert!(a.json()["decision"].is_null(), "no third-party connection");
    call(&mut k, "POST", "/v1/devices/777/choice", Some((keep, Valid)), 404);
    call(&mut k, "POST", "/v1/devices/x/choice", Some((keep, Valid)), 400);
    call(
        &mut k,
        "POST",
        "/v1/devices/42/choice",
        Some((r#"{"choice":"maybe"}"#, Invalid)),
        400,
    );

    let a = call(&mut k, "POST", "/v1/devices/42/prompt", None, 200);
    assert_eq!(a.json()["applied"], true);
    call(&mut k, "POST", "/v1/devices/-3/prompt", None, 400);
    call(&mut k, "POST", "/v1/devices/778/prompt", None, 404);
    drop(s);

    // 503: one worker held 400 ms, a queue timeout of 50 ms, two requests at once.
    let s = Server::start(&[
        "--servers",
        "1",
        "--service-time",
        "fixed 400ms",
        "--queue-timeout",
        "50ms",
    ]);
    let answers: Vec<Answer> = (0..2)
        .map(|i| {
            let mut c = s.client();
            let body = format!(r#"{{"tenant":1,"device":{i},"app":"outlook","kind":"poll"}}"#);
            let h = std::thread::spawn(move || c.request("POST", "/v1/evaluate", body.as_bytes()));
            std::thread::sleep(std::time::Duration::from_millis(20));
            h
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    // Whichever reached the worker first is served; the other is rejected.
    let mut answers = answers;
    answers.sort_by_key(|a| a.status);
    k.check("POST", "/v1/evaluate", None, &answers[0], 200);
    k.check("POST", "/v1/evaluate", None, &answers[1], 503);
    assert_eq!(answers[1].header("retry-after"), Some("1"));

    // Every declared path, method and status was exercised.
    let mut declared = BTreeSet::new();
    for (p, ops) in k.spec["paths"].as_object().unwrap() {
        for (m, op) in ops.as_object().unwrap() {
            for st in op["responses"].as_object().unwrap().keys() {
                declared.insert((p.clone(), m.clone(), st.clone()));
            }
        }
    }
    let missing: Vec<_> = declared.difference(&k.seen).collect();
    assert!(missing.is_empty(), "declared but not exercised: {missing:?}");
}
