//! `imgedit serve`: HTTP endpoints backed by any engine: the `/image-edit` API (also at the stage
//! root), or the Bedrock-compatible endpoint (`POST /model/{modelId}/invoke`) for offline work and
//! tests. Fault injection exists only on local test servers; a Lambda mounts `/image-edit` alone.

pub mod bedrock;
pub mod bedrock_control;
pub mod body;
pub mod conn;
pub mod faults;
pub mod image_edit;
pub mod jwt;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod request;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};

use crate::error::{Error, Result};
use crate::image_io::DecodeLimits;
pub use conn::ConnLimits;
use faults::{FaultPlan, Faults};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Shared state of the server's handlers. What it holds decides which routes exist.
pub struct AppState {
    /// Faults to inject: empty unless the operator started a local test server with `--fault`.
    pub faults: Faults,
    /// Whether `POST /__imgedit/faults` may change the faults at run time (`--fault-control`, on a
    /// local server without token checks only).
    pub fault_control: bool,
    pub limits: DecodeLimits,
    /// Time for a whole request body to arrive.
    pub body_timeout: Duration,
    /// The `/image-edit` API; None when only the Bedrock-compatible endpoint is served.
    pub edit: Option<image_edit::EditService>,
    /// The Bedrock-compatible endpoint (`serve --bedrock`); None on an `/image-edit` server.
    pub bedrock: Option<bedrock::BedrockService>,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            faults: Faults::default(),
            fault_control: false,
            limits: DecodeLimits::default(),
            body_timeout: ConnLimits::default().body_timeout,
            edit: None,
            bedrock: None,
        }
    }
}

/// Edits (or Bedrock invocations) running at once; beyond the limit a request is refused at once
/// with 503 rather than queued.
pub struct Concurrency {
    pub max: usize,
    permits: Arc<Semaphore>,
}

impl Concurrency {
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Concurrency {
            max,
            permits: Arc::new(Semaphore::new(max)),
        }
    }

    /// The number of CPUs, the default limit.
    pub fn cpus() -> Self {
        Concurrency::new(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
    }

    /// A permit for one request, or None when `max` are running.
    pub fn try_enter(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().try_acquire_owned().ok()
    }
}

/// The routes the state asks for, and nothing else: `/health`; `/image-edit`, the stage root,
/// `/{stage}` (an invoke URL that ends in the stage name) and `/{stage}/image-edit` when there is
/// an edit service; the Bedrock-compatible
/// endpoint only on a `--bedrock` server; the fault control only with `--fault-control`.
/// Anything else is a 404.
pub fn router(state: Arc<AppState>) -> Router {
    let mut app = Router::new().route("/health", get(|| async { "ok" }));
    if state.edit.is_some() {
        app = edit_routes(app);
    }
    if state.bedrock.is_some() {
        app = app
            .route("/model/{model_id}/invoke", post(bedrock::invoke))
            .route(
                "/foundation-models",
                get(bedrock_control::list_foundation_models),
            )
            .route(
                "/foundation-model-availability/{model_id}",
                get(bedrock_control::availability),
            );
    }
    if state.fault_control {
        app = app.route("/__imgedit/faults", post(set_faults));
    }
    app.fallback(not_found).with_state(state)
}

/// The routes of a Lambda behind API Gateway: `/image-edit` and the stage paths only, whatever the
/// state holds (no Bedrock-compatible endpoint, no fault control, ever).
pub fn lambda_router(state: Arc<AppState>) -> Router {
    edit_routes(Router::new().route("/health", get(|| async { "ok" })))
        .fallback(not_found)
        .with_state(state)
}

fn edit_routes(app: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    let edit = || post(image_edit::handle).options(image_edit::preflight);
    app.route("/image-edit", edit())
        .route("/", edit())
        .route("/{stage}", edit())
        .route("/{stage}/", edit())
        .route("/{stage}/image-edit", edit())
}

async fn not_found() -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    (
        axum::http::StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({ "message": "Not Found" })),
    )
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

/// Binds `listen` and serves until `shutdown` resolves, within `limits`. `on_ready` gets the bound
/// address.
pub async fn serve(
    listen: SocketAddr,
    state: Arc<AppState>,
    limits: ConnLimits,
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
    conn::accept_loop(listener, router(state), limits, shutdown).await;
    Ok(())
}
