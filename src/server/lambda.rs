//! The `/image-edit` handler on AWS Lambda behind API Gateway (REST and HTTP APIs), through
//! `lambda_http`: the `/image-edit` routes of `imgedit serve` and nothing else (no Bedrock-compatible
//! endpoint, no fault control, whatever the state holds).

use std::sync::Arc;

use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Context, LambdaEvent};

use super::{AppState, lambda_router};
use crate::error::{Error, Result};

/// Runs the Lambda event loop until the runtime stops it.
pub async fn run(state: Arc<AppState>) -> Result<()> {
    // `imgedit serve` refuses these with --lambda already; a handler behind API Gateway must never
    // hold test controls or the unauthenticated Bedrock-compatible endpoint, however it was built.
    if !state.faults.is_empty() || state.fault_control || state.bedrock.is_some() {
        return Err(Error::Usage(
            "a Lambda serves /image-edit only: no --fault, --fault-control or --bedrock".into(),
        ));
    }
    lambda_http::run(lambda_router(state))
        .await
        .map_err(|e| Error::Engine(format!("the Lambda runtime stopped: {e}")))
}

/// Feeds one API Gateway proxy event (REST or HTTP API shape, as JSON) through the handler and
/// returns the proxy response API Gateway would receive.
pub async fn handle_event(state: Arc<AppState>, event: &str) -> Result<serde_json::Value> {
    let request: lambda_http::request::LambdaRequest = serde_json::from_str(event)
        .map_err(|e| Error::Input(format!("not an API Gateway proxy event: {e}")))?;
    let mut adapter = lambda_http::Adapter::from(lambda_router(state));
    let response = adapter
        .ready()
        .await
        .map_err(|e| Error::Engine(format!("{e:?}")))?
        .call(LambdaEvent::new(request, Context::default()))
        .await
        .map_err(|e| Error::Engine(format!("{e:?}")))?;
    serde_json::to_value(&response)
        .map_err(|e| Error::Engine(format!("cannot serialise the proxy response: {e}")))
}
