//! Bedrock's control plane, the two calls `imgedit models` makes (AWS API reference,
//! `bedrock-2023-04-20`): `GET /foundation-models` (ListFoundationModels: each model's lifecycle)
//! and `GET /foundation-model-availability/{modelId}` (GetFoundationModelAvailability: whether
//! this account may call it). The client reads them through `aws-sdk-bedrock`; these structs are
//! what `serve --bedrock` answers, checked against the documented bodies
//! (tests/fixtures/bedrock/control_plane.json).

use serde::{Deserialize, Serialize};

/// ListFoundationModels' answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListFoundationModelsResponse {
    pub model_summaries: Vec<FoundationModelSummary>,
}

/// One model of ListFoundationModels.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FoundationModelSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customizations_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_types_supported: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_modalities: Option<Vec<String>>,
    pub model_arn: String,
    pub model_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_lifecycle: Option<FoundationModelLifecycle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_modalities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_streaming_supported: Option<bool>,
}

/// `modelLifecycle`: `ACTIVE` or `LEGACY` (the documented values).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FoundationModelLifecycle {
    pub status: String,
}

/// GetFoundationModelAvailability's answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GetFoundationModelAvailabilityResponse {
    pub agreement_availability: AgreementAvailability,
    /// `AUTHORIZED` | `NOT_AUTHORIZED`.
    pub authorization_status: String,
    /// `AVAILABLE` | `NOT_AVAILABLE`.
    pub entitlement_availability: String,
    pub model_id: String,
    /// `AVAILABLE` | `NOT_AVAILABLE`.
    pub region_availability: String,
}

/// `agreementAvailability`: `AVAILABLE` | `PENDING` | `NOT_AVAILABLE` | `ERROR`, with a message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AgreementAvailability {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    pub status: String,
}

/// The documented values, for the server's answers and the tests.
pub mod values {
    pub const ACTIVE: &str = "ACTIVE";
    pub const LEGACY: &str = "LEGACY";
    pub const AUTHORIZED: &str = "AUTHORIZED";
    pub const NOT_AUTHORIZED: &str = "NOT_AUTHORIZED";
    pub const AVAILABLE: &str = "AVAILABLE";
    pub const NOT_AVAILABLE: &str = "NOT_AVAILABLE";
    pub const PENDING: &str = "PENDING";
}
