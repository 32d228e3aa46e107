//! Bedrock's control plane as `serve --bedrock` answers it: ListFoundationModels
//! (`GET /foundation-models`) and GetFoundationModelAvailability
//! (`GET /foundation-model-availability/{modelId}`), for `imgedit models` through the real
//! `aws-sdk-bedrock`. Every model imgedit knows is ready unless a `--fault` says otherwise
//! (`agreement=`, `unauthorized=`, `not-offered=`, `legacy=`, each a model id or `*`).

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::bedrock::BedrockError;
use super::faults::{Injected, ModelAccess};
use crate::edit::model::{self, Family, MODELS, ModelSpec};
use crate::wire::bedrock_control::{
    AgreementAvailability, FoundationModelLifecycle, FoundationModelSummary,
    GetFoundationModelAvailabilityResponse, ListFoundationModelsResponse, values,
};

/// The Region a SigV4 request was signed for (`Credential=AKID/DATE/REGION/bedrock/...`), the
/// Region the answers speak of; None for an unsigned request.
fn signed_region(req: &Request) -> Option<String> {
    let auth = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    if auth.starts_with("Bearer ") {
        return Some("us-east-1".into());
    }
    let cred = auth.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let scope = cred.split("Credential=").nth(1)?.split(',').next()?;
    scope.split('/').nth(2).map(str::to_string)
}

/// Whether Bedrock in `region` serves the row (a Stability tool in its Regions, Titan and Nova
/// Canvas until their end of life), with the faults' say.
fn offered(m: &ModelSpec, region: &str, access: ModelAccess, today: &str) -> bool {
    m.family != Family::Local
        && !access.not_offered
        && !m.past_end_of_life(today)
        && m.lifecycle != model::Lifecycle::EndOfLife
        && (m.regions.is_empty() || m.regions.contains(&region))
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// A control-plane request's refusal: unsigned, or an injected fault.
fn refused(state: &AppState, req: &Request, action: &str) -> Option<Response> {
    let Some(region) = signed_region(req) else {
        return Some(
            BedrockError::new(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                "Missing Authentication Token: sign the request with SigV4",
            )
            .into_response(),
        );
    };
    match state.faults.next("") {
        None => None,
        Some(Injected::AccessDenied) => Some(
            BedrockError::new(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                format!(
                    "User: arn:aws:iam::123456789012:user/imgedit-test is not authorized to perform: bedrock:{action} on resource: arn:aws:bedrock:{region}::foundation-model/* because no identity-based policy allows the bedrock:{action} action (injected)"
                ),
            )
            .into_response(),
        ),
        Some(other) => Some(super::bedrock::injected_response(other, "")),
    }
}

/// `GET /foundation-models`: every model imgedit knows that the Region serves, with its
/// lifecycle. The filters (`byProvider`, `byOutputModality`, ...) are not applied.
pub async fn list_foundation_models(State(state): State<Arc<AppState>>, req: Request) -> Response {
    if state.bedrock.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(r) = refused(&state, &req, "ListFoundationModels") {
        return r;
    }
    state.faults.delay().await;
    let region = signed_region(&req).unwrap_or_else(|| "us-east-1".into());
    let today = today();
    let summaries = MODELS
        .iter()
        .filter(|m| offered(m, &region, state.faults.access(m.id), &today))
        .map(|m| summary(m, &region, state.faults.access(m.id)))
        .collect();
    axum::Json(ListFoundationModelsResponse {
        model_summaries: summaries,
    })
    .into_response()
}

fn summary(m: &ModelSpec, region: &str, access: ModelAccess) -> FoundationModelSummary {
    let id = m.bare_id();
    let legacy = access.legacy || m.lifecycle == model::Lifecycle::Legacy;
    let stability = m.profile_prefix.is_some();
    FoundationModelSummary {
        customizations_supported: Some(Vec::new()),
        inference_types_supported: Some(vec![
            if stability {
                "INFERENCE_PROFILE"
            } else {
                "ON_DEMAND"
            }
            .to_string(),
        ]),
        input_modalities: Some(vec!["TEXT".into(), "IMAGE".into()]),
        model_arn: format!("arn:aws:bedrock:{region}::foundation-model/{id}"),
        model_id: id.to_string(),
        model_lifecycle: Some(FoundationModelLifecycle {
            status: if legacy {
                values::LEGACY
            } else {
                values::ACTIVE
            }
            .into(),
        }),
        model_name: Some(m.name.to_string()),
        output_modalities: Some(vec!["IMAGE".into()]),
        provider_name: Some(if stability { "Stability AI" } else { "Amazon" }.into()),
        response_streaming_supported: Some(false),
    }
}

/// `GET /foundation-model-availability/{modelId}`: whether this account may call the model.
pub async fn availability(
    State(state): State<Arc<AppState>>,
    Path(model_id): Path<String>,
    req: Request,
) -> Response {
    if state.bedrock.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(r) = refused(&state, &req, "GetFoundationModelAvailability") {
        return r;
    }
    state.faults.delay().await;
    let region = signed_region(&req).unwrap_or_else(|| "us-east-1".into());
    let Some(m) = model::find(&model_id).filter(|m| m.family != Family::Local) else {
        return BedrockError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("The model {model_id} does not exist."),
        )
        .into_response();
    };
    let access = state.faults.access(m.id);
    let here = offered(m, &region, access, &today());
    let status = |ok: bool| {
        if ok {
            values::AVAILABLE
        } else {
            values::NOT_AVAILABLE
        }
        .to_string()
    };
    axum::Json(GetFoundationModelAvailabilityResponse {
        agreement_availability: AgreementAvailability {
            error_message: access.agreement_blocked.then(|| {
                "The account has not accepted the offer of this model in AWS Marketplace (injected)"
                    .to_string()
            }),
            status: status(!access.agreement_blocked),
        },
        authorization_status: if access.unauthorized {
            values::NOT_AUTHORIZED
        } else {
            values::AUTHORIZED
        }
        .into(),
        entitlement_availability: status(!access.agreement_blocked),
        model_id: m.bare_id().to_string(),
        region_availability: status(here),
    })
    .into_response()
}
