//! `imgedit serve`: HTTP endpoints backed by any engine: the `/image-edit` API (also at the stage
//! root), and the Bedrock-compatible endpoint (`POST /model/{modelId}/invoke`) for offline work and
//! tests, with fault injection.

pub mod bedrock;
pub mod faults;
pub mod image_edit;
pub mod jwt;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod request;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post};

use crate::error::{Error, Result};
use crate::image_io::DecodeLimits;
use crate::model::BEDROCK_MAX_BODY_BYTES;
use faults::{FaultPlan, Faults};

/// Shared state of the server's handlers.
#[derive(Default)]
pub struct AppState {
    pub faults: Faults,
    pub limits: DecodeLimits,
    /// The `/image-edit` API; None when only the Bedrock-compatible endpoint is served.
    pub edit: Option<image_edit::EditService>,
}

/// The routes: `/health`, `/image-edit` (also at the stage root and under a stage name), the
/// Bedrock-compatible endpoint and its fault control.
pub fn router(state: Arc<AppState>) -> Router {
    let edit = || post(image_edit::handle).options(image_edit::preflight);
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/image-edit", edit())
        .route("/", edit())
        .route("/{stage}/image-edit", edit())
        .route(
            "/model/{model_id}/invoke",
            post(bedrock::invoke).layer(DefaultBodyLimit::max(BEDROCK_MAX_BODY_BYTES)),
        )
        .route("/__imgedit/faults", post(set_faults))
        .with_state(state)
}

async fn set_faults(
    State(state): State<Arc<AppState>>,
    body: axum::body::Bytes,
) -> std::result::Result<&'static str, (axum::http::StatusCode, String)> {
    let plan: FaultPlan = serde_json::from_slice(&body).map_err(|e| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            format!("bad fault plan: {e}\n"),
        )
    })?;
    state.faults.replace(plan);
    Ok("ok\n")
}

/// Binds `listen` and serves until `shutdown` resolves. `on_ready` gets the bound address.
pub async fn serve(
    listen: SocketAddr,
    state: Arc<AppState>,
    on_ready: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::Usage(format!("--listen {listen}: cannot bind: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Engine(format!("cannot read the bound address: {e}")))?;
    on_ready(addr);
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::Engine(format!("the server stopped: {e}")))
}
