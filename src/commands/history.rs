//! `imgedit history`: the request log (local, or the DynamoDB table with `--table`) with a summary.

use crate::cli::HistoryArgs;
use crate::config::{Config, Paths};
use crate::error::Result;
use crate::record::dynamo::DynamoLog;
use crate::record::{EditRecord, LocalLog, default_log_path, summarize};

/// Prints the last edits and a summary line, from the local log or the DynamoDB table.
pub fn run(args: &HistoryArgs, rt: &tokio::runtime::Runtime) -> Result<()> {
    let paths = Paths::from_env()?;
    let (records, bad, source) = match args.table.as_deref().filter(|t| !t.is_empty()) {
        Some(table) => {
            let config = Config::load(&paths.config_file)?;
            let region = args.region.as_deref().or(config.region.as_deref());
            let profile = args.profile.as_deref().or(config.profile.as_deref());
            let (records, bad) = rt.block_on(async {
                DynamoLog::new(table, region, profile)
                    .await
                    .scan_all()
                    .await
            })?;
            (
                records,
                bad,
                format!("DynamoDB table {table}: {bad} unreadable item(s) skipped"),
            )
        }
        None => {
            let log = LocalLog::new(default_log_path(&paths.data_dir));
            let (records, bad) = log.read_all()?;
            let source = format!("{}: {bad} unreadable line(s) skipped", log.path.display());
            (records, bad, source)
        }
    };
    if bad > 0 && !args.json {
        eprintln!("warning: {source}");
    }
    print(&records, args.last, args.json);
    Ok(())
}

/// Prints records (the last `last` of them, or all) and the summary of all of them, as text
/// lines or as one JSON object `{"records": [...], "summary": {...}}`.
pub fn print(records: &[EditRecord], last: Option<usize>, json: bool) {
    let shown = match last {
        Some(n) => &records[records.len().saturating_sub(n)..],
        None => records,
    };
    let summary = summarize(records);
    if json {
        let v = serde_json::json!({ "records": shown, "summary": summary });
        println!("{v}");
        return;
    }
    for r in shown {
        let input = r
            .input
            .as_ref()
            .map_or("-".to_string(), |p| p.display().to_string());
        let out = match r.outcome() {
            "done" => r
                .outputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            _ => r.error_message.clone().unwrap_or_default(),
        };
        let prompt = if r.prompt.is_empty() {
            String::new()
        } else {
            let short: String = r.prompt.chars().take(60).collect();
            let more = if r.prompt.chars().count() > 60 {
                "…"
            } else {
                ""
            };
            format!("  \"{short}{more}\"")
        };
        println!(
            "{}  {:<9} {:<8} {:<17} {:>7} ms  {input} -> {out}{prompt}",
            r.timestamp,
            r.outcome(),
            r.engine.as_deref().unwrap_or("-"),
            r.mode,
            r.generation_time_ms,
        );
    }
    let median = summary
        .median_generation_time_ms
        .map(|m| format!("{m} ms"))
        .unwrap_or_else(|| "-".into());
    let cancelled = match summary.cancelled {
        0 => String::new(),
        n => format!(" ({n} cancelled, not counted)"),
    };
    println!(
        "{} edits, {:.0}% succeeded{cancelled}, median generation time {median}",
        summary.count,
        summary.success_rate * 100.0
    );
}
