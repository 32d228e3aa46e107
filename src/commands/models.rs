//! `imgedit models`: which Stability tools the account can use on Bedrock, their modes and
//! prices (the library's [`catalogue`](crate::engine::bedrock::catalogue) asks).

use crate::cli::ModelsArgs;
use crate::config::{Config, Paths};
use crate::engine::bedrock::{BedrockSettings, catalogue};
use crate::error::Result;

pub fn run(args: &ModelsArgs, rt: &tokio::runtime::Runtime) -> Result<()> {
    let paths = Paths::from_env()?;
    let config = Config::load(&paths.config_file)?;
    let settings = BedrockSettings {
        region: args.region.clone().or_else(|| config.region.clone()),
        profile: args.profile.clone().or_else(|| config.profile.clone()),
        ..BedrockSettings::default()
    };
    let report = rt.block_on(catalogue::check(&settings))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", text(&report));
    }
    Ok(())
}

/// The report as a table: mode, price, id, state.
fn text(r: &catalogue::Report) -> String {
    let ready = r
        .tools
        .iter()
        .filter(|t| t.access == catalogue::Access::Ready)
        .count();
    let mut out = format!(
        "Stability AI Image Services on Bedrock in {} ({ready} of {} ready)\n",
        r.region,
        r.tools.len()
    );
    let mode_w = r.tools.iter().map(|t| t.mode.len()).max().unwrap_or(4);
    let id_w = r.tools.iter().map(|t| t.id.len()).max().unwrap_or(2);
    for t in &r.tools {
        out += &format!(
            "  {:mode_w$}  ${:<5.2} {:id_w$}  {}\n",
            t.mode, t.price_per_image_usd, t.id, t.words
        );
    }
    // what to do, once per distinct advice, naming the tools it is for
    let mut advice: Vec<(String, Vec<&str>)> = Vec::new();
    for t in &r.tools {
        let Some(a) = &t.advice else { continue };
        match advice.iter_mut().find(|(text, _)| text == a) {
            Some((_, modes)) => modes.push(&t.mode),
            None => advice.push((a.clone(), vec![&t.mode])),
        }
    }
    if !advice.is_empty() {
        out += "What to do:\n";
        for (text, modes) in advice {
            out += &format!("  {}: {text}\n", modes.join("; "));
        }
    }
    out += &format!(
        "Prices are per image (one image a call): {}.\n",
        r.price_source
    );
    out
}
