//! How a call becomes an HTTP request, and how a decision is read from the
//! answer: `mailsim serve`'s API by default ([`SERVE`]), or any other API
//! described in a TOML file (`--template FILE`).
//!
//! A template names, for the evaluation and optionally for each control
//! call, a method, a path, headers and a body in which `{tenant}`,
//! `{device}`, `{app}`, `{kind}` (and `{policy}`, `{mdm}`, `{choice}` for
//! control calls) are replaced; and the answer's field holding the decision
//! with the values that mean allow, quarantine and block, or no `[decision]`
//! at all when the API gives none. Control calls without a section are not
//! sent.

use super::schedule::Op;
use crate::error::BadInput;
use crate::model::decide::{Access, Choice};
use crate::model::{App, Policy};
use hyper::Method;
use hyper::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `mailsim serve`'s API (docs/openapi.json) as a template: what `load`
/// uses without `--template`, and an example to start one from.
pub const SERVE: &str = r#"# mailsim serve's API (docs/openapi.json)
[evaluate]
method = "POST"
path = "/v1/evaluate"
headers = { "content-type" = "application/json" }
body = '{"tenant":{tenant},"device":{device},"app":"{app}","kind":"{kind}"}'

[decision]
field = "decision"
allow = ["allow"]
quarantine = ["quarantine"]
block = ["block"]
prompt = "prompt"

[policy]
method = "PUT"
path = "/v1/tenants/{tenant}/policy"
headers = { "content-type" = "application/json" }
body = '{"policy":"{policy}","mdm":{mdm}}'

[prompt]
method = "POST"
path = "/v1/devices/{device}/prompt"

[choice]
method = "POST"
path = "/v1/devices/{device}/choice"
headers = { "content-type" = "application/json" }
body = '{"choice":"{choice}"}'
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    evaluate: RawCall,
    decision: Option<RawDecision>,
    policy: Option<RawCall>,
    prompt: Option<RawCall>,
    choice: Option<RawCall>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCall {
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecision {
    field: String,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    quarantine: Vec<String>,
    #[serde(default)]
    block: Vec<String>,
    prompt: Option<String>,
}

/// A placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Var {
    Tenant,
    Device,
    App,
    Kind,
    Policy,
    Mdm,
    Choice,
}

impl Var {
    const ALL: [(&'static str, Var); 7] = [
        ("tenant", Var::Tenant),
        ("device", Var::Device),
        ("app", Var::App),
        ("kind", Var::Kind),
        ("policy", Var::Policy),
        ("mdm", Var::Mdm),
        ("choice", Var::Choice),
    ];
}

#[derive(Clone, Debug, PartialEq)]
enum Piece {
    Text(String),
    Var(Var),
}

/// Text with placeholders, split once so that filling it is cheap.
#[derive(Clone, Debug, PartialEq)]
struct Pattern(Vec<Piece>);

impl Pattern {
    /// Splits `text` at `{name}` placeholders, each one of `allowed`. A
    /// brace not followed by a lower-case name and `}` is text, so JSON
    /// bodies are written as they are.
    fn parse(text: &str, allowed: &[Var], key: &str) -> Result<Pattern, String> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(i) = rest.find('{') {
            lit.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let closes = after[name.len()..].starts_with('}');
            match (closes && !name.is_empty(), Var::ALL.iter().find(|(n, _)| *n == name)) {
                (true, Some(&(_, var))) => {
                    if !allowed.contains(&var) {
                        let names: Vec<String> = allowed.iter().map(|v| format!("{{{}}}", var_name(*v))).collect();
                        return Err(format!(
                            "{key}: {{{name}}} cannot be used here; this call has {}",
                            names.join(", ")
                        ));
                    }
                    if !lit.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut lit)));
                    }
                    pieces.push(Piece::Var(var));
                    rest = &after[name.len() + 1..];
                }
                (true, None) if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
                    let names: Vec<String> = allowed.iter().map(|v| format!("{{{}}}", var_name(*v))).collect();
                    return Err(format!(
                        "{key}: unknown placeholder {{{name}}}; this call has {}",
                        names.join(", ")
                    ));
                }
                _ => {
                    // A brace of JSON, not a placeholder.
                    lit.push('{');
                    rest = after;
                }
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            pieces.push(Piece::Text(lit));
        }
        Ok(Pattern(pieces))
    }

    fn fill(&self, v: &Values, out: &mut String) {
        use std::fmt::Write;
        for p in &self.0 {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(Var::Tenant) => {
                    let _ = write!(out, "{}", v.tenant);
                }
                Piece::Var(Var::Device) => {
                    let _ = write!(out, "{}", v.device);
                }
                Piece::Var(Var::App) => out.push_str(v.app),
                Piece::Var(Var::Kind) => out.push_str(v.kind),
                Piece::Var(Var::Policy) => out.push_str(v.policy),
                Piece::Var(Var::Mdm) => out.push_str(if v.mdm { "true" } else { "false" }),
                Piece::Var(Var::Choice) => out.push_str(v.choice),
            }
        }
    }
}

fn var_name(v: Var) -> &'static str {
    Var::ALL.iter().find(|(_, x)| *x == v).map_or("?", |(n, _)| n)
}

#[derive(Default)]
struct Values {
    tenant: u64,
    device: u64,
    app: &'static str,
    kind: &'static str,
    policy: &'static str,
    mdm: bool,
    choice: &'static str,
}

/// One kind of call.
#[derive(Clone, Debug)]
struct CallTemplate {
    method: Method,
    path: Pattern,
    headers: Vec<(HeaderName, Pattern)>,
    body: Option<Pattern>,
}

impl CallTemplate {
    fn parse(raw: &RawCall, allowed: &[Var], section: &str) -> Result<CallTemplate, String> {
        let method = Method::from_bytes(raw.method.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("{section}.method: {:?} is not an HTTP method", raw.method))?;
        if !raw.path.starts_with('/') {
            return Err(format!(
                "{section}.path: {:?} must start with / (the target's URL gives the host)",
                raw.path
            ));
        }
        let path = Pattern::parse(&raw.path, allowed, &format!("{section}.path"))?;
        let mut headers = Vec::new();
        for (name, value) in &raw.headers {
            let key = format!("{section}.headers.{name}");
            let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("{key}: not a header name"))?;
            if n == hyper::header::HOST || n == hyper::header::CONTENT_LENGTH {
                return Err(format!("{key}: set by mailsim; leave it out"));
            }
            if HeaderValue::from_str(value).is_err() {
                return Err(format!("{key}: {value:?} is not a valid header value"));
            }
            headers.push((n, Pattern::parse(value, allowed, &key)?));
        }
        let body = match &raw.body {
            Some(b) => Some(Pattern::parse(b, allowed, &format!("{section}.body"))?),
            None => None,
        };
        Ok(CallTemplate {
            method,
            path,
            headers,
            body,
        })
    }
}

/// Where the decision is in an answer, and what its values mean.
#[derive(Clone, Debug)]
struct DecisionRule {
    field: Vec<String>,
    values: Vec<(String, Access)>,
    prompt: Option<Vec<String>>,
}

/// A request ready to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    /// Method.
    pub method: Method,
    /// Path and query, after the target's base path.
    pub path: String,
    /// Headers besides Host and Content-Length.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Body (empty for none).
    pub body: String,
}

/// A decision read from an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The decision.
    pub decision: Access,
    /// The prompt flag, where the template names one.
    pub prompt: Option<bool>,
}

/// A whole template.
#[derive(Clone, Debug)]
pub struct Template {
    /// Where it came from: `serve` or the file.
    pub name: String,
    evaluate: CallTemplate,
    decision: Option<DecisionRule>,
    policy: Option<CallTemplate>,
    prompt: Option<CallTemplate>,
    choice: Option<CallTemplate>,
}

impl Template {
    /// `mailsim serve`'s API.
    pub fn serve() -> Template {
        Template::parse(SERVE, "serve").expect("the built-in template is valid")
    }

    /// Reads a template file; a problem names the file and the key (exit 2).
    pub fn load(path: &std::path::Path) -> Result<Template, BadInput> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| BadInput(format!("--template {shown}: cannot read it: {e}")))?;
        Template::parse(&text, &shown).map_err(|e| BadInput(format!("--template {shown}: {e}")))
    }

    /// Parses template text; `name` names it.
    pub fn parse(text: &str, name: &str) -> Result<Template, String> {
        let raw: RawTemplate = toml::from_str(text).map_err(|e| e.message().replace('\n', " "))?;
        use Var::*;
        let evaluate = CallTemplate::parse(&raw.evaluate, &[Tenant, Device, App, Kind], "evaluate")?;
        let section = |r: &Option<RawCall>, allowed: &[Var], s: &str| -> Result<Option<CallTemplate>, String> {
            r.as_ref().map(|r| CallTemplate::parse(r, allowed, s)).transpose()
        };
        let policy = section(&raw.policy, &[Tenant, Policy, Mdm], "policy")?;
        let prompt = section(&raw.prompt, &[Tenant, Device], "prompt")?;
        let choice = section(&raw.choice, &[Tenant, Device, Choice], "choice")?;
        let decision = match raw.decision {
            None => None,
            Some(d) => {
                let path = |s: &str, key: &str| -> Result<Vec<String>, String> {
                    let parts: Vec<String> = s.split('.').map(str::to_string).collect();
                    if parts.iter().any(|p| p.is_empty()) {
                        return Err(format!(
                            "{key}: {s:?} is not a dotted field path like \"result.access\""
                        ));
                    }
                    Ok(parts)
                };
                let mut values = Vec::new();
                for (list, access) in [
                    (&d.allow, Access::Allow),
                    (&d.quarantine, Access::Quarantine),
                    (&d.block, Access::Block),
                ] {
                    for v in list {
                        if values.iter().any(|(x, _)| x == v) {
                            return Err(format!("decision: the value {v:?} is listed twice"));
                        }
                        values.push((v.clone(), access));
                    }
                }
                if !values.iter().any(|(_, a)| *a == Access::Allow) {
                    return Err(
                        "decision.allow: name at least the value that means allow (or leave [decision] out)".into(),
                    );
                }
                Some(DecisionRule {
                    field: path(&d.field, "decision.field")?,
                    values,
                    prompt: d.prompt.as_deref().map(|p| path(p, "decision.prompt")).transpose()?,
                })
            }
        };
        Ok(Template {
            name: name.to_string(),
            evaluate,
            decision,
            policy,
            prompt,
            choice,
        })
    }

    /// Whether answers carry a decision to compare.
    pub fn has_decision(&self) -> bool {
        self.decision.is_some()
    }

    /// Whether the template sends this kind of call.
    pub fn sends(&self, op: &Op) -> bool {
        match op {
            Op::Evaluate { .. } => true,
            Op::Policy { .. } => self.policy.is_some(),
            Op::Prompt { .. } => self.prompt.is_some(),
            Op::Choice { .. } => self.choice.is_some(),
        }
    }

    /// The request for a call; `None` when the template does not send it.
    pub fn prepare(&self, op: &Op) -> Option<Prepared> {
        let (t, v) = match *op {
            Op::Evaluate {
                tenant,
                device,
                app,
                kind,
                ..
            } => (
                &self.evaluate,
                Values {
                    tenant,
                    device,
                    app: app_key(app),
                    kind: kind.key(),
                    ..Default::default()
                },
            ),
            Op::Policy { tenant, policy, mdm } => (
                self.policy.as_ref()?,
                Values {
                    tenant,
                    policy: policy_key(policy),
                    mdm,
                    ..Default::default()
                },
            ),
            Op::Prompt { tenant, device } => (
                self.prompt.as_ref()?,
                Values {
                    tenant,
                    device,
                    ..Default::default()
                },
            ),
            Op::Choice { tenant, device, choice } => (
                self.choice.as_ref()?,
                Values {
                    tenant,
                    device,
                    choice: choice_key(choice),
                    ..Default::default()
                },
            ),
        };
        let mut path = String::with_capacity(32);
        t.path.fill(&v, &mut path);
        let headers = t
            .headers
            .iter()
            .filter_map(|(n, p)| {
                let mut s = String::new();
                p.fill(&v, &mut s);
                HeaderValue::from_str(&s).ok().map(|h| (n.clone(), h))
            })
            .collect();
        let mut body = String::with_capacity(96);
        if let Some(b) = &t.body {
            b.fill(&v, &mut body);
        }
        Some(Prepared {
            method: t.method.clone(),
            path,
            headers,
            body,
        })
    }

    /// The decision in an evaluation's answer body; `Err` names what is
    /// wrong (a `body` error); `Ok(None)` when the template reads none.
    pub fn read(&self, body: &[u8]) -> Result<Option<Answer>, String> {
        let Some(rule) = &self.decision else { return Ok(None) };
        let value = string_field(body, &rule.field)?;
        let decision = rule
            .values
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, a)| *a)
            .ok_or_else(|| format!("{} = {value:?} is none of the decision values", rule.field.join(".")))?;
        let prompt = match &rule.prompt {
            Some(p) => Some(bool_field(body, p)?),
            None => None,
        };
        Ok(Some(Answer { decision, prompt }))
    }
}

/// The compact JSON of a top-level field `"name":` as `serve` writes it,
/// found without parsing the whole body; `None` when not in that form.
fn quick_field<'b>(body: &'b [u8], name: &str) -> Option<&'b [u8]> {
    let text = std::str::from_utf8(body).ok()?;
    if !text.starts_with('{') || text[1..].contains('{') {
        return None; // nested objects: leave it to serde
    }
    let pat = format!("\"{name}\":");
    let at = text.find(&pat)? + pat.len();
    let rest = text[at..].trim_start();
    let end = if let Some(s) = rest.strip_prefix('"') {
        s.find('"')? + 2
    } else {
        rest.find([',', '}'])?
    };
    Some(rest[..end].trim_end().as_bytes())
}

fn lookup<'v>(v: &'v serde_json::Value, path: &[String]) -> Option<&'v serde_json::Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn string_field(body: &[u8], path: &[String]) -> Result<String, String> {
    if path.len() == 1
        && let Some(raw) = quick_field(body, &path[0])
        && let Some(s) = raw.strip_prefix(b"\"").and_then(|r| r.strip_suffix(b"\""))
        && !s.contains(&b'\\')
    {
        return Ok(String::from_utf8_lossy(s).into_owned());
    }
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    match lookup(&v, path) {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(other) => Ok(other.to_string()),
        None => Err(format!("no field {}", path.join("."))),
    }
}

fn bool_field(body: &[u8], path: &[String]) -> Result<bool, String> {
    if path.len() == 1 {
        match quick_field(body, &path[0]) {
            Some(b"true") => return Ok(true),
            Some(b"false") => return Ok(false),
            _ => {}
        }
    }
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    lookup(&v, path)
        .and_then(serde_json::Value::as_bool)
        .ok_or_else(|| format!("no true/false field {}", path.join(".")))
}

fn app_key(app: App) -> &'static str {
    match app {
        App::Outlook => "outlook",
        App::ThirdParty => "third_party",
    }
}

fn policy_key(p: Policy) -> &'static str {
    p.key()
}

fn choice_key(c: Choice) -> &'static str {
    match c {
        Choice::ThirdParty => "third_party",
        Choice::Outlook => "outlook",
        Choice::Ignore => "ignore",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sim::Kind;

    #[test]
    fn the_serve_template_writes_the_openapi_bodies() {
        let t = Template::serve();
        let p = t
            .prepare(&Op::Evaluate {
                tenant: 3,
                device: 42,
                app: App::ThirdParty,
                kind: Kind::Readd,
                expect: None,
            })
            .unwrap();
        assert_eq!(p.method, Method::POST);
        assert_eq!(p.path, "/v1/evaluate");
        assert_eq!(p.body, r#"{"tenant":3,"device":42,"app":"third_party","kind":"readd"}"#);
        let p = t
            .prepare(&Op::Policy {
                tenant: 9,
                policy: Policy::AnyAppPromptOnce,
                mdm: true,
            })
            .unwrap();
        assert_eq!((p.method, p.path.as_str()), (Method::PUT, "/v1/tenants/9/policy"));
        assert_eq!(p.body, r#"{"policy":"any_app_prompt_once","mdm":true}"#);
        let a = t
            .read(br#"{"decision":"quarantine","prompt":true,"quarantined_until":86400.5,"now":0.5}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            a,
            Answer {
                decision: Access::Quarantine,
                prompt: Some(true)
            }
        );
        assert!(t.read(br#"{"decision":"maybe","prompt":false}"#).is_err());
        assert!(t.read(b"<html>").is_err());
    }

    #[test]
    fn other_apis_nested_fields_and_no_decision() {
        let t = Template::parse(
            r#"
[evaluate]
method = "get"
path = "/check/{tenant}/{device}?app={app}&kind={kind}"
headers = { "x-api-key" = "k-{tenant}" }
[decision]
field = "result.access"
allow = ["OK", "ALLOW"]
block = ["DENY"]
"#,
            "t",
        )
        .unwrap();
        let op = Op::Evaluate {
            tenant: 1,
            device: 2,
            app: App::Outlook,
            kind: Kind::Poll,
            expect: None,
        };
        let p = t.prepare(&op).unwrap();
        assert_eq!(p.path, "/check/1/2?app=outlook&kind=poll");
        assert_eq!(p.headers[0].1, "k-1");
        assert!(p.body.is_empty());
        assert_eq!(
            t.read(br#"{"result": {"access": "DENY"}}"#).unwrap().unwrap().decision,
            Access::Block
        );
        assert!(!t.sends(&Op::Prompt { tenant: 1, device: 2 }));
        let none = Template::parse("[evaluate]\nmethod = \"POST\"\npath = \"/e\"\n", "t").unwrap();
        assert_eq!(none.read(b"anything"), Ok(None));
    }

    #[test]
    fn bad_templates_name_the_key() {
        for (text, needle) in [
            ("[evaluate]\nmethod = \"POST\"\n", "path"),
            ("[evaluate]\nmethod = \"PO ST\"\npath = \"/e\"\n", "evaluate.method"),
            ("[evaluate]\nmethod = \"POST\"\npath = \"e\"\n", "evaluate.path"),
            (
                "[evaluate]\nmethod = \"POST\"\npath = \"/e/{policy}\"\n",
                "cannot be used here",
            ),
            (
                "[evaluate]\nmethod = \"POST\"\npath = \"/e/{tenat}\"\n",
                "unknown placeholder {tenat}",
            ),
            ("[evaluate]\nmethod = \"POST\"\npath = \"/e\"\nbogus = 1\n", "bogus"),
            (
                "[evaluate]\nmethod = \"POST\"\npath = \"/e\"\n[decision]\nfield = \"a..b\"\nallow = [\"y\"]\n",
                "decision.field",
            ),
            (
                "[evaluate]\nmethod = \"POST\"\npath = \"/e\"\n[decision]\nfield = \"d\"\nblock = [\"n\"]\n",
                "decision.allow",
            ),
        ] {
            let e = Template::parse(text, "t").unwrap_err();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
    }
}
