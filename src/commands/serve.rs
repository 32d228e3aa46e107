//! `imgedit serve`: the `/image-edit` API and the Bedrock-compatible endpoint, locally or on Lambda.

use std::sync::Arc;
use std::time::Duration;

use crate::choice::Choice;
use crate::cli::ServeArgs;
use crate::config::{Config, Paths};
use crate::edit::engine::EngineKind;
use crate::edit::model::{self, ModelSpec};
use crate::edit::options::Mode;
use crate::engine::{self, EngineSettings};
use crate::error::{Error, Result};
use crate::record::RecordSink;
use crate::record::{LocalLog, default_log_path};
use crate::server::bedrock::BedrockService;
use crate::server::image_edit::{Cors, EditService};
use crate::server::jwt::{JwtConfig, JwtVerifier};
use crate::server::{self, AppState, Concurrency, ConnLimits, faults::FaultPlan, faults::Faults};

/// The model `"titan"` maps to on `--engine bedrock`: the original Lambda's Titan v2 reached end
/// of life on 2026-06-30, so a living Stability tool (its siblings serve the other modes).
pub const ORIGINAL_MODEL: &str = crate::edit::model::STABILITY_INPAINT_ID;

/// Runs the server until Ctrl-C (or the Lambda runtime's end).
pub fn run(args: &ServeArgs, rt: &tokio::runtime::Runtime) -> Result<()> {
    let testing = !args.fault.is_empty() || args.fault_control;
    if args.lambda && (testing || args.bedrock) {
        return Err(Error::Usage(
            "--lambda serves /image-edit only: --fault, --fault-control and --bedrock are for local servers".into(),
        ));
    }
    // Decided from the flags, before the JWKS fetch or a table is created: an /image-edit server
    // without --no-auth checks tokens (or refuses to start without a pool).
    if testing && !args.bedrock && !args.no_auth {
        return Err(Error::Usage(
            "--fault and --fault-control are for local test servers: never beside token checks (use them with --bedrock or --no-auth)".into(),
        ));
    }
    let paths = Paths::from_env()?;
    let config = Config::load(&paths.config_file)?;
    let mut plan = FaultPlan::default();
    for spec in &args.fault {
        plan.apply_spec(spec).map_err(Error::Usage)?;
    }
    let edit = if args.bedrock {
        None
    } else {
        Some(rt.block_on(edit_service(args, &config, &paths))?)
    };
    let summary = edit.as_ref().map(describe);
    let conn = ConnLimits {
        max_connections: args.max_connections as usize,
        header_timeout: Duration::from_secs(args.header_timeout),
        body_timeout: Duration::from_secs(args.body_timeout),
        write_timeout: Duration::from_secs(args.write_timeout),
    };
    let state = Arc::new(AppState {
        faults: Faults::new(plan),
        fault_control: args.fault_control,
        limits: config.limits,
        body_timeout: conn.body_timeout,
        bedrock: args.bedrock.then(|| BedrockService {
            concurrency: args
                .max_concurrent
                .map_or_else(Concurrency::cpus, Concurrency::new),
            engine: Arc::new(engine::LocalEngine),
        }),
        edit,
    });
    if args.lambda {
        return run_lambda(state, rt);
    }
    let fault_note = if args.fault_control {
        "; testing: POST /__imgedit/faults changes the injected faults"
    } else if testing {
        "; testing: faults injected"
    } else {
        ""
    };
    let limits_note = format!(
        "at most {} connections; {} s for headers, {} s for a body",
        conn.max_connections,
        conn.header_timeout.as_secs(),
        conn.body_timeout.as_secs()
    );
    rt.block_on(server::serve(
        args.listen,
        state,
        conn,
        |addr| match &summary {
            None => {
                eprintln!("imgedit serve: Bedrock-compatible endpoint on http://{addr} (POST /model/{{modelId}}/invoke)");
                eprintln!("  use it with: AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://{addr}");
                eprintln!("  {limits_note}{fault_note}");
            }
            Some(s) => {
                eprintln!("imgedit serve: POST http://{addr}/image-edit ({s})");
                eprintln!("  also: the stage root and /{{stage}}[/image-edit], GET /health; {limits_note}{fault_note}");
            }
        },
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    ))
}

#[cfg(feature = "lambda")]
fn run_lambda(state: Arc<AppState>, rt: &tokio::runtime::Runtime) -> Result<()> {
    rt.block_on(server::lambda::run(state))
}

#[cfg(not(feature = "lambda"))]
fn run_lambda(_state: Arc<AppState>, _rt: &tokio::runtime::Runtime) -> Result<()> {
    Err(Error::Usage(
        "this imgedit was built without AWS Lambda support: build it with `cargo build --release --features lambda`".into(),
    ))
}

fn describe(svc: &EditService) -> String {
    format!(
        "engine {}, \"titan\" = {}, auth {}, request log {}, at most {} edits at once, bodies up to {} bytes",
        svc.engine.kind().as_str(),
        svc.model.id,
        svc.auth.as_ref().map_or("off".to_string(), |a| format!(
            "Cognito pool {}",
            a.config().user_pool_id
        )),
        svc.log.describe(),
        svc.concurrency.max,
        svc.max_body_bytes
    )
}

/// The model behind `/image-edit`: it must do inpainting and outpainting. `living`: retired
/// models the account still has (the config's `living_models`).
pub fn serve_model(
    kind: EngineKind,
    model: Option<&str>,
    living: &[String],
) -> Result<&'static ModelSpec> {
    let spec = match kind {
        EngineKind::Local => engine::resolve_model(kind, model, None, None)?,
        EngineKind::Bedrock => model::treat_as_living(
            model::resolve(model.unwrap_or(ORIGINAL_MODEL), None).map_err(Error::Usage)?,
            living,
        ),
        EngineKind::Api => {
            return Err(Error::Usage(
                "imgedit serve runs the edit itself: use --engine local or bedrock, not api".into(),
            ));
        }
    };
    // The model itself does inpainting or outpainting; a Stability tool's siblings the other.
    let own = spec.supports(Mode::Inpaint) || spec.supports(Mode::Outpaint);
    if let Some(missing) = [Mode::Inpaint, Mode::Outpaint, Mode::PreciseOutpaint]
        .into_iter()
        .find(|m| !own || !model::for_mode(spec, *m).supports(*m))
    {
        return Err(Error::Usage(format!(
            "--model {}: the /image-edit API needs a model that does inpainting and outpainting (a Stability AI tool, whose siblings serve the other modes, or Titan or Nova Canvas); it does not do {}",
            spec.id,
            missing.name()
        )));
    }
    Ok(spec)
}

async fn edit_service(args: &ServeArgs, config: &Config, paths: &Paths) -> Result<EditService> {
    let kind = args.engine.or(config.engine).unwrap_or(EngineKind::Local);
    let kind = if kind == EngineKind::Api && args.engine.is_none() {
        // A client config (engine = "api") says nothing about what the server should run.
        EngineKind::Local
    } else {
        kind
    };
    let model_id = args.model.as_deref().or(config
        .model
        .as_deref()
        .filter(|_| config.engine == Some(kind)));
    let spec = serve_model(kind, model_id, &config.living_models)?;
    let settings = EngineSettings {
        region: args.region.clone().or_else(|| config.region.clone()),
        profile: args.profile.clone().or_else(|| config.profile.clone()),
        ..EngineSettings::default()
    };
    let engine = engine::create_with(kind, &settings)?;
    let mut svc = EditService::new(engine, spec);
    if let Some(n) = args.max_concurrent {
        svc = svc.with_max_concurrent(n);
    }
    svc.limits = config.limits;
    svc.max_body_bytes = args.max_body_bytes;
    svc.cors = Cors::from_list(&args.cors_origin);
    svc.auth = auth(args, config).await?;
    svc.log = if args.no_log {
        RecordSink::None
    } else if let Some(table) = &args.table {
        let log = crate::record::dynamo::DynamoLog::new(
            table,
            settings.region.as_deref(),
            settings.profile.as_deref(),
        )
        .await;
        if args.create_table && log.create_table_if_missing().await? {
            eprintln!("imgedit serve: created DynamoDB table {table}");
        }
        RecordSink::Dynamo(Box::new(log))
    } else {
        RecordSink::Local(LocalLog::new(default_log_path(&paths.data_dir)))
    };
    Ok(svc)
}

async fn auth(args: &ServeArgs, config: &Config) -> Result<Option<Arc<JwtVerifier>>> {
    if args.no_auth {
        eprintln!(
            "warning: --no-auth: /image-edit accepts requests without a token; keep this server on a trusted network"
        );
        return Ok(None);
    }
    let pool = args
        .user_pool_id
        .clone()
        .or_else(|| config.cognito.user_pool_id.clone());
    let clients: Vec<String> = if args.client_id.is_empty() {
        config.cognito.client_id.iter().cloned().collect()
    } else {
        args.client_id.clone()
    };
    let (pool, clients) = match (pool, clients.is_empty()) {
        (Some(p), false) => (p, clients),
        (None, _) if args.lambda => {
            eprintln!(
                "imgedit serve --lambda: no user pool configured; relying on API Gateway's Cognito authorizer"
            );
            return Ok(None);
        }
        _ => {
            return Err(Error::Usage(
                "imgedit serve: /image-edit needs a Cognito user pool to check tokens: pass --user-pool-id and --client-id (or set cognito.user_pool_id and cognito.client_id in the config), or --no-auth for local use".into(),
            ));
        }
    };
    // The region is the pool id's prefix unless the config names one, as for imgedit login.
    let region = crate::auth::CognitoSettings::new(
        pool.clone(),
        clients[0].clone(),
        None,
        config.cognito.region.clone(),
    )?
    .region;
    let endpoint = std::env::var("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
        .ok()
        .filter(|v| !v.is_empty());
    let jwks_url = args
        .jwks_url
        .clone()
        .unwrap_or_else(|| JwtConfig::default_jwks_url(&region, &pool, endpoint.as_deref()));
    let verifier = JwtVerifier::new(JwtConfig {
        region,
        user_pool_id: pool.clone(),
        client_ids: clients,
        jwks_url: jwks_url.clone(),
    })
    .map_err(|e| Error::Engine(format!("user pool {pool}: {e}")))?;
    let n = verifier.fetch_keys().await.map_err(|e| {
        Error::Usage(format!(
            "user pool {pool}: {e} (check --user-pool-id, or pass --jwks-url)"
        ))
    })?;
    if n == 0 {
        return Err(Error::Usage(format!(
            "user pool {pool}: {jwks_url} holds no RSA signing key"
        )));
    }
    Ok(Some(Arc::new(verifier)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::model::Lifecycle;

    #[test]
    fn a_retired_model_listed_in_living_models_is_served_as_living() {
        let v1 = "amazon.titan-image-generator-v1";
        let plain = serve_model(EngineKind::Bedrock, Some(v1), &[]).unwrap();
        assert_eq!(plain.lifecycle, Lifecycle::EndOfLife);
        let listed = serve_model(EngineKind::Bedrock, Some(v1), &[v1.to_string()]).unwrap();
        assert_eq!((listed.id, listed.lifecycle), (v1, Lifecycle::Active));
        // the list never changes the default
        let default = serve_model(EngineKind::Bedrock, None, &[v1.to_string()]).unwrap();
        assert!(default.id.starts_with("us.stability."), "{}", default.id);
    }
}
