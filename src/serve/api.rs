//! The HTTP API (`docs/openapi.json`): axum handlers and their JSON types.
//!
//! A handler parses, asks the pool or the registry, and answers. Bodies
//! are parsed here with serde_json rather than axum's `Json` extractor, so
//! that a body sent without a JSON content type (`curl -d`) is accepted
//! and every malformed one gets a 400 with serde's message.

use crate::engine::SimTime;
use crate::model::decide::{Access, Choice};
use crate::model::{App, Policy};
use crate::serve::clock::Clock;
use crate::serve::metrics::{Gauges, Metrics, endpoint};
use crate::serve::pool::{EvalRequest, Outcome, Pool};
use crate::serve::state::{Kind, Registry, StateError};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

/// What every handler shares.
pub struct AppState {
    /// The evaluator pool.
    pub pool: Pool,
    /// Tenants and devices.
    pub registry: Arc<Registry>,
    /// The service clock.
    pub clock: Clock,
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// Seconds a client is told to wait after a 503.
    pub retry_after_s: u64,
}

/// The routes of `docs/openapi.json`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/evaluate", post(evaluate))
        .route("/v1/tenants/{id}/policy", put(set_policy))
        .route("/v1/devices/{id}/choice", post(choose))
        .route("/v1/devices/{id}/prompt", post(prompt))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .with_state(state)
}

/// An error answer: a status and a message, as `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, json(&ErrorBody { error: &self.1 })).into_response()
    }
}

fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        // Our own plain structs always serialize; answer 500 rather than panic.
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn bad(state: &AppState, message: String) -> ApiError {
    state.metrics.bad_requests.fetch_add(1, Relaxed);
    ApiError(StatusCode::BAD_REQUEST, message)
}

fn parse<T: DeserializeOwned>(state: &AppState, body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| bad(state, format!("invalid request body: {e}")))
}

fn parse_id(state: &AppState, what: &str, id: &str) -> Result<u64, ApiError> {
    id.parse().map_err(|_| {
        bad(
            state,
            format!("{what} id {id:?} is not a whole number from 0 to 2^64-1"),
        )
    })
}

fn secs(t: SimTime) -> f64 {
    t.as_secs_f64()
}

fn state_error(state: &AppState, e: StateError) -> ApiError {
    match e {
        StateError::UnknownDevice(_) => ApiError(StatusCode::NOT_FOUND, e.to_string()),
        StateError::WrongTenant { .. } => bad(state, e.to_string()),
    }
}

/// The app of an evaluation request.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AppKey {
    Outlook,
    ThirdParty,
}

/// The kind of an evaluation request.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindKey {
    Poll,
    Push,
    Activation,
    Readd,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
enum PolicyKey {
    Unmanaged,
    OutlookOnly,
    AnyAppPromptAlways,
    AnyAppPromptOnce,
}

impl PolicyKey {
    fn policy(self) -> Policy {
        match self {
            PolicyKey::Unmanaged => Policy::Unmanaged,
            PolicyKey::OutlookOnly => Policy::OutlookOnly,
            PolicyKey::AnyAppPromptAlways => Policy::AnyAppPromptAlways,
            PolicyKey::AnyAppPromptOnce => Policy::AnyAppPromptOnce,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ChoiceKey {
    ThirdParty,
    Outlook,
    Ignore,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluateBody {
    tenant: u64,
    device: u64,
    app: AppKey,
    kind: KindKey,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyBody {
    policy: PolicyKey,
    #[serde(default)]
    mdm: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceBody {
    choice: ChoiceKey,
}

#[derive(Serialize)]
struct Decision {
    decision: &'static str,
    prompt: bool,
    quarantined_until: Option<f64>,
    now: f64,
}

#[derive(Serialize)]
struct TenantAnswer {
    tenant: u64,
    policy: PolicyKey,
    mdm: bool,
    effective_policy: &'static str,
    devices: usize,
}

#[derive(Serialize)]
struct DeviceAnswer {
    device: u64,
    applied: bool,
    decision: Option<&'static str>,
    quarantined_until: Option<f64>,
    now: f64,
}

async fn evaluate(State(st): State<Arc<AppState>>, body: Bytes) -> Result<Response, ApiError> {
    st.metrics.requests[endpoint::EVALUATE].fetch_add(1, Relaxed);
    let b: EvaluateBody = parse(&st, &body)?;
    let req = EvalRequest {
        tenant: b.tenant,
        device: b.device,
        app: match b.app {
            AppKey::Outlook => App::Outlook,
            AppKey::ThirdParty => App::ThirdParty,
        },
        kind: match b.kind {
            KindKey::Poll => Kind::Poll,
            KindKey::Push => Kind::Push,
            KindKey::Activation => Kind::Activation,
            KindKey::Readd => Kind::Readd,
        },
    };
    match st.pool.evaluate(req).await {
        Outcome::Served(Ok(v)) => Ok(json(&Decision {
            decision: v.access.key(),
            prompt: v.prompt,
            quarantined_until: v.until.map(secs),
            now: secs(v.now),
        })),
        Outcome::Served(Err(e)) => Err(state_error(&st, e)),
        Outcome::Rejected => {
            let body = ErrorBody {
                error: "rejected: the request waited the queue timeout for an evaluator; retry later",
            };
            let mut r = (StatusCode::SERVICE_UNAVAILABLE, json(&body)).into_response();
            r.headers_mut().insert(header::RETRY_AFTER, st.retry_after_s.into());
            Ok(r)
        }
    }
}

async fn set_policy(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    st.metrics.requests[endpoint::POLICY].fetch_add(1, Relaxed);
    let tenant = parse_id(&st, "tenant", &id)?;
    let b: PolicyBody = parse(&st, &body)?;
    let v = st.registry.set_policy(st.clock.now(), tenant, b.policy.policy(), b.mdm);
    Ok(json(&TenantAnswer {
        tenant,
        policy: b.policy,
        mdm: v.mdm,
        effective_policy: v.effective.key(),
        devices: v.devices,
    }))
}

fn device_answer(device: u64, v: crate::serve::state::DeviceView) -> Response {
    json(&DeviceAnswer {
        device,
        applied: v.applied,
        decision: v.access.map(Access::key),
        quarantined_until: v.until.map(secs),
        now: secs(v.now),
    })
}

async fn choose(State(st): State<Arc<AppState>>, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    st.metrics.requests[endpoint::CHOICE].fetch_add(1, Relaxed);
    let device = parse_id(&st, "device", &id)?;
    let b: ChoiceBody = parse(&st, &body)?;
    let choice = match b.choice {
        ChoiceKey::ThirdParty => Choice::ThirdParty,
        ChoiceKey::Outlook => Choice::Outlook,
        ChoiceKey::Ignore => Choice::Ignore,
    };
    let v = st
        .registry
        .choose(st.clock.now(), device, choice)
        .map_err(|e| state_error(&st, e))?;
    Ok(device_answer(device, v))
}

async fn prompt(State(st): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response, ApiError> {
    st.metrics.requests[endpoint::PROMPT].fetch_add(1, Relaxed);
    let device = parse_id(&st, "device", &id)?;
    let v = st
        .registry
        .prompt(st.clock.now(), device)
        .map_err(|e| state_error(&st, e))?;
    if v.applied {
        st.metrics.prompts.fetch_add(1, Relaxed);
    }
    Ok(device_answer(device, v))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    workers: usize,
    now: f64,
}

async fn healthz(State(st): State<Arc<AppState>>) -> Response {
    st.metrics.requests[endpoint::HEALTHZ].fetch_add(1, Relaxed);
    json(&Health {
        status: "ok",
        workers: st.pool.servers(),
        now: secs(st.clock.now()),
    })
}

async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    st.metrics.requests[endpoint::METRICS].fetch_add(1, Relaxed);
    let text = st.metrics.render(Gauges {
        queue: st.pool.queue_len(),
        busy: st.pool.busy(),
        workers: st.pool.servers(),
        uptime_s: st.clock.wall().as_secs_f64(),
        clock_s: secs(st.clock.now()),
    });
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "no such route; see docs/openapi.json".into())
}
