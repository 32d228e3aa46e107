//! Fault injection for the Bedrock-compatible endpoint and /image-edit on local test servers:
//! `--fault KIND=VALUE` on the command line, or `POST /__imgedit/faults` with `{"KIND": VALUE, ...}`
//! at run time where `--fault-control` mounted it. Never on a Lambda, never beside token checks.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Faults still to inject. Counters apply to the next N requests, then run out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct FaultPlan {
    /// Answer the next N requests with 429 ThrottlingException.
    pub throttle: u32,
    /// Answer the next N requests with 500 InternalServerException.
    pub error500: u32,
    /// Answer the next N requests with 503 ServiceUnavailableException.
    pub unavailable: u32,
    /// Withhold the last image of the next N responses as a content filter would.
    pub filter: u32,
    /// Answer the next N requests with a 200 whose body is not JSON.
    pub malformed: u32,
    /// Answer the next N requests with a 200 whose image is not base64.
    pub bad_base64: u32,
    /// Drop the connection of the next N requests halfway through the response body.
    pub drop: u32,
    /// Wait this long before answering every request.
    pub delay_ms: u64,
    /// Model ids answered with 404 as Legacy models.
    pub legacy: HashSet<String>,
    /// Answer the next N requests with 403 AccessDeniedException, as while an AWS Marketplace
    /// subscription is being set up on first use.
    pub access_denied: u32,
    /// Answer the next N Stability requests with `finish_reasons: ["Inference error"]`.
    pub inference_error: u32,
    /// Model ids (`*` = every model) whose AWS Marketplace agreement the account has not
    /// accepted: GetFoundationModelAvailability says `agreementAvailability NOT_AVAILABLE`, and
    /// InvokeModel answers 403 AccessDeniedException.
    pub agreement: HashSet<String>,
    /// Model ids (`*` = every model) the caller's IAM policy does not allow: `authorizationStatus
    /// NOT_AUTHORIZED`, and InvokeModel answers 403 AccessDeniedException.
    pub unauthorized: HashSet<String>,
    /// Model ids (`*` = every model) not offered in the server's Region: left out of
    /// ListFoundationModels, `regionAvailability NOT_AVAILABLE`.
    pub not_offered: HashSet<String>,
}

/// What the control plane says of one model's access under the planned faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModelAccess {
    pub agreement_blocked: bool,
    pub unauthorized: bool,
    pub not_offered: bool,
    pub legacy: bool,
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    Throttle,
    Error500,
    Unavailable,
    Legacy,
    AccessDenied,
    Broken(Broken),
}

/// A 200 that a client cannot use, the same from either endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// A body that is not JSON.
    Malformed,
    /// JSON whose image is not base64.
    BadBase64,
    /// The connection breaks halfway through the body.
    Drop,
}

impl Broken {
    pub fn response(self) -> Response {
        match self {
            Broken::Malformed => (StatusCode::OK, "{\"images\": [\"not json").into_response(),
            Broken::BadBase64 => {
                axum::Json(serde_json::json!({ "images": ["@@ not base64 @@"] })).into_response()
            }
            Broken::Drop => dropped_midway(),
        }
    }
}

/// A 200 that announces a full body, sends half of it and then breaks the connection.
fn dropped_midway() -> Response {
    use futures_util::StreamExt;
    let full = format!("{{\"images\": [\"{}\"]}}", "A".repeat(64 * 1024));
    let half = Bytes::from(full[..full.len() / 2].to_string());
    // the headers and the first half go out; a moment later the connection breaks
    let parts = futures_util::stream::once(async move { Ok::<_, std::io::Error>(half) }).chain(
        futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection dropped (injected)",
            ))
        }),
    );
    let mut resp = Response::new(axum::body::Body::from_stream(parts));
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, full.len().into());
    resp
}

impl FaultPlan {
    /// Parses one `KIND=VALUE`.
    pub fn apply_spec(&mut self, spec: &str) -> Result<(), String> {
        let (kind, value) = spec
            .split_once('=')
            .ok_or_else(|| format!("--fault {spec:?}: expected KIND=VALUE, e.g. throttle=2"))?;
        let count = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("--fault {spec:?}: {value:?} is not a whole number"))
        };
        match kind {
            "throttle" => self.throttle = count()? as u32,
            "error500" => self.error500 = count()? as u32,
            "unavailable" => self.unavailable = count()? as u32,
            "filter" => self.filter = count()? as u32,
            "malformed" => self.malformed = count()? as u32,
            "bad-base64" => self.bad_base64 = count()? as u32,
            "drop" => self.drop = count()? as u32,
            "delay-ms" => self.delay_ms = count()?,
            "legacy" => {
                self.legacy.insert(value.to_string());
            }
            "access-denied" => self.access_denied = count()? as u32,
            "inference-error" => self.inference_error = count()? as u32,
            "agreement" => {
                self.agreement.insert(value.to_string());
            }
            "unauthorized" => {
                self.unauthorized.insert(value.to_string());
            }
            "not-offered" => {
                self.not_offered.insert(value.to_string());
            }
            _ => {
                return Err(format!(
                    "--fault {spec:?}: unknown fault {kind:?} (throttle, error500, unavailable, filter, malformed, bad-base64, drop, delay-ms, legacy, access-denied, inference-error, agreement, unauthorized, not-offered)"
                ));
            }
        }
        Ok(())
    }
}

/// The live fault state shared by request handlers.
#[derive(Debug, Default)]
pub struct Faults(Mutex<FaultPlan>);

impl Faults {
    pub fn new(plan: FaultPlan) -> Self {
        Faults(Mutex::new(plan))
    }

    /// Whether no fault is planned (a server started without `--fault`).
    pub fn is_empty(&self) -> bool {
        self.0
            .lock()
            .map(|p| *p == FaultPlan::default())
            .unwrap_or(false)
    }

    pub fn replace(&self, plan: FaultPlan) {
        if let Ok(mut p) = self.0.lock() {
            *p = plan;
        }
    }

    /// Waits the `delay-ms` the plan asks of every answer, if any.
    pub async fn delay(&self) {
        let ms = self.0.lock().map(|p| p.delay_ms).unwrap_or(0);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    /// Takes the fault for the next request to `model_id`, if any.
    pub fn next(&self, model_id: &str) -> Option<Injected> {
        let mut p = self.0.lock().ok()?;
        let take = |n: &mut u32| {
            if *n > 0 {
                *n -= 1;
                true
            } else {
                false
            }
        };
        if p.legacy.contains(model_id) {
            Some(Injected::Legacy)
        } else if take(&mut p.access_denied) {
            Some(Injected::AccessDenied)
        } else if take(&mut p.throttle) {
            Some(Injected::Throttle)
        } else if take(&mut p.error500) {
            Some(Injected::Error500)
        } else if take(&mut p.unavailable) {
            Some(Injected::Unavailable)
        } else if take(&mut p.malformed) {
            Some(Injected::Broken(Broken::Malformed))
        } else if take(&mut p.bad_base64) {
            Some(Injected::Broken(Broken::BadBase64))
        } else if take(&mut p.drop) {
            Some(Injected::Broken(Broken::Drop))
        } else {
            None
        }
    }

    /// The access faults planned for `model_id` (its `us.` and bare forms are the same model).
    pub fn access(&self, model_id: &str) -> ModelAccess {
        let Ok(p) = self.0.lock() else {
            return ModelAccess::default();
        };
        let row = |id: &str| crate::edit::model::find(id).map(|m| m.id);
        let named = |set: &HashSet<String>| {
            set.iter()
                .any(|v| v == "*" || v == model_id || (row(v).is_some() && row(v) == row(model_id)))
        };
        ModelAccess {
            agreement_blocked: named(&p.agreement),
            unauthorized: named(&p.unauthorized),
            not_offered: named(&p.not_offered),
            legacy: named(&p.legacy),
        }
    }

    /// Whether this response should fail with Stability's "Inference error".
    pub fn take_inference_error(&self) -> bool {
        match self.0.lock() {
            Ok(mut p) if p.inference_error > 0 => {
                p.inference_error -= 1;
                true
            }
            _ => false,
        }
    }

    /// Whether this response should lose an image to the "content filter".
    pub fn take_filter(&self) -> bool {
        match self.0.lock() {
            Ok(mut p) if p.filter > 0 => {
                p.filter -= 1;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_run_out_in_order() {
        let mut plan = FaultPlan::default();
        plan.apply_spec("throttle=2").unwrap();
        plan.apply_spec("error500=1").unwrap();
        let f = Faults::new(plan);
        assert_eq!(f.next("m"), Some(Injected::Throttle));
        assert_eq!(f.next("m"), Some(Injected::Throttle));
        assert_eq!(f.next("m"), Some(Injected::Error500));
        assert_eq!(f.next("m"), None);
    }

    #[test]
    fn access_faults_name_a_model_in_either_form_or_every_model() {
        let mut plan = FaultPlan::default();
        plan.apply_spec("agreement=stability.stable-image-inpaint-v1:0")
            .unwrap();
        plan.apply_spec("unauthorized=*").unwrap();
        let f = Faults::new(plan);
        let inpaint = f.access("us.stability.stable-image-inpaint-v1:0");
        assert!(inpaint.agreement_blocked && inpaint.unauthorized);
        let erase = f.access("stability.stable-image-erase-object-v1:0");
        assert!(!erase.agreement_blocked && erase.unauthorized);
        assert!(!erase.not_offered && !erase.legacy);
    }

    #[test]
    fn bad_specs_say_what_is_allowed() {
        let mut plan = FaultPlan::default();
        assert!(
            plan.apply_spec("throttle")
                .unwrap_err()
                .contains("KIND=VALUE")
        );
        assert!(
            plan.apply_spec("boom=1")
                .unwrap_err()
                .contains("unknown fault")
        );
        assert!(
            plan.apply_spec("throttle=x")
                .unwrap_err()
                .contains("not a whole number")
        );
    }
}
