//! Which Stability tools this account can use, before paying for a call: Bedrock's control plane
//! (ListFoundationModels for each model's lifecycle, GetFoundationModelAvailability for access)
//! read through `aws-sdk-bedrock`, each tool's state put in words with what to do about it.
//! `imgedit models` prints it.

use std::collections::HashMap;

use aws_sdk_bedrock::error::{ProvideErrorMetadata, SdkError};
use serde::Serialize;

use super::{BedrockSettings, sdk_config, short_context};
use crate::choice::Choice;
use crate::edit::model::{Family, MODELS, ModelSpec};
use crate::edit::options::Mode;
use crate::error::{Error, Result};

/// What GetFoundationModelAvailability said of one model, in Bedrock's words.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Availability {
    /// `agreementAvailability.status`: AVAILABLE, PENDING, NOT_AVAILABLE, ERROR.
    pub agreement: String,
    pub agreement_message: Option<String>,
    /// AUTHORIZED or NOT_AUTHORIZED.
    pub authorization: String,
    /// AVAILABLE or NOT_AVAILABLE.
    pub region: String,
}

/// What the control plane said of one model: its lifecycle in ListFoundationModels (None = not
/// listed in the Region) and its availability (None = the Region does not know the id).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lookup {
    pub lifecycle: Option<String>,
    pub availability: Option<Availability>,
}

/// A tool's state for this account in one Region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Access {
    Ready,
    /// The AWS Marketplace agreement (Stability's offer) is not accepted, or failed.
    AgreementNotAccepted {
        aws_message: Option<String>,
    },
    /// The agreement is being set up (AWS: up to 15 minutes).
    AgreementPending,
    /// The caller's IAM policy does not allow the model.
    NotAuthorized,
    /// The Region does not serve the model.
    NotOffered,
    /// The provider marked the model Legacy: it may stop being served (AWS gives 45 days'
    /// notice, and a Legacy model unused for 15 days may lose access).
    Legacy {
        end_of_life: Option<String>,
    },
}

/// The first thing that stops `lookup`'s model from being called, in the order a user fixes
/// them: the Region, the IAM policy, the agreement, then the lifecycle.
pub fn classify(spec: &ModelSpec, lookup: &Lookup) -> Access {
    let Some(a) = &lookup.availability else {
        return Access::NotOffered;
    };
    if lookup.lifecycle.is_none() || a.region == "NOT_AVAILABLE" {
        return Access::NotOffered;
    }
    if a.authorization == "NOT_AUTHORIZED" {
        return Access::NotAuthorized;
    }
    match a.agreement.as_str() {
        "AVAILABLE" => {}
        "PENDING" => return Access::AgreementPending,
        _ => {
            return Access::AgreementNotAccepted {
                aws_message: a.agreement_message.clone(),
            };
        }
    }
    if lookup.lifecycle.as_deref() == Some("LEGACY") {
        return Access::Legacy {
            end_of_life: spec.end_of_life.map(str::to_string),
        };
    }
    Access::Ready
}

impl Access {
    /// The state in a few words (`ready`, `agreement not accepted`, `not authorized (IAM: ...)`,
    /// `not offered in REGION`, `legacy, end of life DATE`).
    pub fn words(&self, region: &str) -> String {
        match self {
            Access::Ready => "ready".into(),
            Access::AgreementNotAccepted { .. } => "agreement not accepted".into(),
            Access::AgreementPending => "agreement pending".into(),
            Access::NotAuthorized => "not authorized (IAM: bedrock:InvokeModel)".into(),
            Access::NotOffered => format!("not offered in {region}"),
            Access::Legacy { end_of_life } => format!(
                "legacy, end of life {}",
                end_of_life.as_deref().unwrap_or("not announced")
            ),
        }
    }

    /// What to do about the state (None when the tool is ready).
    pub fn advice(&self, spec: &ModelSpec, region: &str) -> Option<String> {
        let bare = spec.bare_id();
        Some(match self {
            Access::Ready => return None,
            Access::AgreementNotAccepted { aws_message } => format!(
                "the account has not accepted Stability AI's offer in AWS Marketplace. A first InvokeModel call subscribes it when the caller has aws-marketplace:Subscribe, aws-marketplace:Unsubscribe and aws-marketplace:ViewSubscriptions and the account a valid payment method; or accept the offer on the model's page of the Bedrock console's Model catalog (https://console.aws.amazon.com/bedrock/home?region={region}#/model-catalog). One subscription covers all 13 tools{}",
                aws_message
                    .as_deref()
                    .map(|m| format!(" (AWS: {m})"))
                    .unwrap_or_default()
            ),
            Access::AgreementPending => {
                "the AWS Marketplace subscription is being set up (up to 15 minutes); ask again shortly".into()
            }
            Access::NotAuthorized => format!(
                "allow bedrock:InvokeModel in the caller's IAM policy on arn:aws:bedrock:*::foundation-model/{bare} and on the inference profile arn:aws:bedrock:{region}:ACCOUNT:inference-profile/{} (it routes to {})",
                spec.id,
                spec.regions.join(", ")
            ),
            Access::NotOffered => format!(
                "use a Region that serves it: {} (--region)",
                spec.regions.join(", ")
            ),
            Access::Legacy { .. } => "still served, but AWS may retire it after 45 days' notice, and an account that leaves it unused for 15 days may lose access; move to an active model".into(),
        })
    }
}

/// The Stability AI Image Services imgedit knows, in the table's order.
pub fn stability_tools() -> impl Iterator<Item = &'static ModelSpec> {
    MODELS
        .iter()
        .filter(|m| m.profile_prefix.is_some() && m.family != Family::Local)
}

/// How `imgedit edit` picks the tool: `--mode NAME` (and `--upscaler` for the upscalers).
pub fn mode_words(spec: &ModelSpec) -> String {
    let modes: Vec<&str> = Mode::ALL
        .iter()
        .filter(|m| spec.supports(**m))
        .map(|m| m.name())
        .collect();
    match spec.upscaler {
        Some(u) => format!("upscale --upscaler {}", u.name()),
        None => modes.join(", "),
    }
}

/// One tool's line of `imgedit models`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolState {
    pub id: &'static str,
    pub model_id: &'static str,
    pub name: &'static str,
    pub mode: String,
    pub price_per_image_usd: f64,
    #[serde(flatten)]
    pub access: Access,
    pub words: String,
    /// What to do (None when ready).
    pub advice: Option<String>,
}

/// What the control plane says of every Stability tool in a Region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub region: String,
    pub price_source: &'static str,
    pub tools: Vec<ToolState>,
}

/// The report from the lookups, one per tool in [`stability_tools`]' order.
pub fn report(region: &str, lookups: &HashMap<&'static str, Lookup>) -> Report {
    let tools = stability_tools()
        .map(|spec| {
            let lookup = lookups.get(spec.id).cloned().unwrap_or_default();
            let access = classify(spec, &lookup);
            ToolState {
                id: spec.id,
                model_id: spec.bare_id(),
                name: spec.name,
                mode: mode_words(spec),
                price_per_image_usd: spec.price_per_image_usd,
                words: access.words(region),
                advice: access.advice(spec, region),
                access,
            }
        })
        .collect();
    Report {
        region: region.to_string(),
        price_source: crate::edit::model::STABILITY_PRICE_SOURCE,
        tools,
    }
}

/// Asks Bedrock's control plane in the settings' Region about every Stability tool. An error
/// when it cannot ask at all (credentials, the permissions to list and to look up models).
pub async fn check(settings: &BedrockSettings) -> Result<Report> {
    use futures_util::StreamExt;
    let (cfg, region) = sdk_config(settings).await?;
    let client = aws_sdk_bedrock::Client::new(&cfg);
    let listed = client
        .list_foundation_models()
        .send()
        .await
        .map_err(|e| refused(&e, "ListFoundationModels", &region))?;
    let lifecycles: HashMap<String, Option<String>> = listed
        .model_summaries()
        .iter()
        .map(|s| {
            (
                s.model_id().to_string(),
                s.model_lifecycle().map(|l| l.status().as_str().to_string()),
            )
        })
        .collect();
    let asks = stability_tools().map(|spec| {
        let client = &client;
        async move {
            let got = client
                .get_foundation_model_availability()
                .model_id(spec.bare_id())
                .send()
                .await;
            (spec, got)
        }
    });
    let answers: Vec<_> = futures_util::stream::iter(asks).buffered(4).collect().await;
    let mut lookups = HashMap::new();
    for (spec, got) in answers {
        let availability = match got {
            Ok(o) => Some(Availability {
                agreement: o
                    .agreement_availability()
                    .map(|a| a.status().as_str().to_string())
                    .unwrap_or_default(),
                agreement_message: o
                    .agreement_availability()
                    .and_then(|a| a.error_message())
                    .map(str::to_string),
                authorization: o.authorization_status().as_str().to_string(),
                region: o.region_availability().as_str().to_string(),
            }),
            // an id the Region does not know
            Err(SdkError::ServiceError(se))
                if matches!(
                    se.err().code(),
                    Some("ResourceNotFoundException" | "ValidationException")
                ) =>
            {
                None
            }
            Err(e) => return Err(refused(&e, "GetFoundationModelAvailability", &region)),
        };
        let lifecycle = lifecycles
            .get(spec.bare_id())
            .map(|l| l.clone().unwrap_or_else(|| "ACTIVE".into()));
        lookups.insert(
            spec.id,
            Lookup {
                lifecycle,
                availability,
            },
        );
    }
    Ok(report(&region, &lookups))
}

/// A control-plane call that failed, in words: which permission or credential is missing.
fn refused<E, R>(err: &SdkError<E, R>, action: &str, region: &str) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            let msg = e.message().unwrap_or("").to_string();
            match code.as_str() {
                "AccessDeniedException" => Error::service(
                    code,
                    format!(
                        "Bedrock's control plane in {region} refused {action}: the caller needs bedrock:ListFoundationModels and bedrock:GetFoundationModelAvailability (IAM) to see which tools the account can use. Bedrock said: {msg}"
                    ),
                ),
                "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "ExpiredTokenException" => {
                    Error::Auth(format!("AWS rejected the credentials ({code}): {msg}"))
                }
                _ => Error::service(
                    code.clone(),
                    format!("Bedrock {code} for {action} in {region}: {msg}"),
                ),
            }
        }
        _ => {
            let text = short_context(err);
            if text.contains("credential") || text.contains("identity") {
                Error::Auth(format!(
                    "no usable AWS credentials: set a profile (--profile, AWS_PROFILE) or run `aws sso login` ({text})"
                ))
            } else {
                let at = std::env::var("AWS_ENDPOINT_URL_BEDROCK")
                    .ok()
                    .filter(|v| !v.trim().is_empty())
                    .unwrap_or_else(|| format!("https://bedrock.{region}.amazonaws.com"));
                Error::service(
                    "ConnectionError",
                    format!("cannot reach Bedrock's control plane at {at} for {action}: {text}"),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::model;

    fn ready() -> Lookup {
        Lookup {
            lifecycle: Some("ACTIVE".into()),
            availability: Some(Availability {
                agreement: "AVAILABLE".into(),
                agreement_message: None,
                authorization: "AUTHORIZED".into(),
                region: "AVAILABLE".into(),
            }),
        }
    }

    #[test]
    fn each_state_is_told_apart_in_the_order_a_user_fixes_them() {
        let spec = model::find(model::STABILITY_INPAINT_ID).unwrap();
        assert_eq!(classify(spec, &ready()), Access::Ready);
        let mut l = ready();
        if let Some(a) = l.availability.as_mut() {
            a.agreement = "NOT_AVAILABLE".into();
            a.agreement_message = Some("no offer".into());
        }
        assert_eq!(
            classify(spec, &l),
            Access::AgreementNotAccepted {
                aws_message: Some("no offer".into())
            }
        );
        // the IAM policy is fixed before the agreement
        if let Some(a) = l.availability.as_mut() {
            a.authorization = "NOT_AUTHORIZED".into();
        }
        assert_eq!(classify(spec, &l), Access::NotAuthorized);
        if let Some(a) = l.availability.as_mut() {
            a.region = "NOT_AVAILABLE".into();
        }
        assert_eq!(classify(spec, &l), Access::NotOffered);
        let mut pending = ready();
        if let Some(a) = pending.availability.as_mut() {
            a.agreement = "PENDING".into();
        }
        assert_eq!(classify(spec, &pending), Access::AgreementPending);
        let unlisted = Lookup {
            lifecycle: None,
            ..ready()
        };
        assert_eq!(classify(spec, &unlisted), Access::NotOffered);
        let legacy = Lookup {
            lifecycle: Some("LEGACY".into()),
            ..ready()
        };
        assert_eq!(
            classify(spec, &legacy),
            Access::Legacy { end_of_life: None }
        );
    }

    #[test]
    fn the_words_say_what_to_do() {
        let spec = model::find(model::STABILITY_INPAINT_ID).unwrap();
        let agreement = Access::AgreementNotAccepted { aws_message: None };
        assert_eq!(agreement.words("us-west-2"), "agreement not accepted");
        let w = agreement.advice(spec, "us-west-2").unwrap();
        assert!(
            w.contains("aws-marketplace:Subscribe") && w.contains("region=us-west-2"),
            "{w}"
        );
        assert_eq!(
            Access::NotAuthorized.words("us-east-1"),
            "not authorized (IAM: bedrock:InvokeModel)"
        );
        let w = Access::NotAuthorized.advice(spec, "us-east-1").unwrap();
        assert!(
            w.contains("foundation-model/stability.stable-image-inpaint-v1:0")
                && w.contains("inference-profile/us.stability.stable-image-inpaint-v1:0"),
            "{w}"
        );
        assert_eq!(
            Access::NotOffered.words("eu-west-1"),
            "not offered in eu-west-1"
        );
        assert_eq!(
            Access::NotOffered.advice(spec, "eu-west-1").unwrap(),
            "use a Region that serves it: us-east-1, us-east-2, us-west-2 (--region)"
        );
        let legacy = Access::Legacy {
            end_of_life: Some("2027-01-31".into()),
        };
        assert_eq!(legacy.words("us-east-1"), "legacy, end of life 2027-01-31");
        assert!(Access::Ready.advice(spec, "us-east-1").is_none());
    }

    #[test]
    fn every_stability_tool_is_reported_with_its_mode_and_price() {
        let r = report("us-east-1", &HashMap::new());
        assert_eq!(r.tools.len(), 13);
        let by_id = |id: &str| r.tools.iter().find(|t| t.id == id).unwrap();
        let st = by_id("us.stability.stable-style-transfer-v1:0");
        assert_eq!(
            (st.mode.as_str(), st.price_per_image_usd),
            ("style-transfer", 0.08)
        );
        assert_eq!(
            by_id("us.stability.stable-creative-upscale-v1:0").mode,
            "upscale --upscaler creative"
        );
        // nothing asked: nothing claimed ready
        assert!(r.tools.iter().all(|t| t.access == Access::NotOffered));
    }
}
