//! `imgedit serve`.

use std::sync::Arc;

use crate::cli::ServeArgs;
use crate::config::{Config, Paths};
use crate::error::{Error, Result};
use crate::server::{self, AppState, faults::FaultPlan, faults::Faults};

/// Runs the server until Ctrl-C.
pub fn run(args: &ServeArgs, rt: &tokio::runtime::Runtime) -> Result<()> {
    if !args.bedrock {
        return Err(Error::Usage(
            "imgedit serve: only the Bedrock-compatible endpoint is in this build; pass --bedrock"
                .into(),
        ));
    }
    let config = Config::load(&Paths::from_env()?.config_file)?;
    let mut plan = FaultPlan::default();
    for spec in &args.fault {
        plan.apply_spec(spec).map_err(Error::Usage)?;
    }
    let state = Arc::new(AppState {
        faults: Faults::new(plan),
        limits: config.limits,
    });
    rt.block_on(server::serve(
        args.listen,
        state,
        |addr| {
            eprintln!("imgedit serve: Bedrock-compatible endpoint on http://{addr} (POST /model/{{modelId}}/invoke)");
            eprintln!("  use it with: AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://{addr}");
        },
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    ))
}
