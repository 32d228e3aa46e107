//! `imgedit history`: the request log with a summary.

use crate::cli::HistoryArgs;
use crate::config::Paths;
use crate::error::Result;
use crate::record::{LocalLog, default_log_path, summarize};

/// Prints the last edits and a summary line.
pub fn run(args: &HistoryArgs) -> Result<()> {
    let paths = Paths::from_env()?;
    let log = LocalLog::new(default_log_path(&paths.data_dir));
    let (records, bad) = log.read_all()?;
    let shown = match args.last {
        Some(n) => &records[records.len().saturating_sub(n)..],
        None => &records[..],
    };
    let summary = summarize(&records);
    if args.json {
        let v = serde_json::json!({ "records": shown, "summary": summary });
        println!("{v}");
        return Ok(());
    }
    if bad > 0 {
        eprintln!(
            "warning: {}: {bad} unreadable line(s) skipped",
            log.path.display()
        );
    }
    for r in shown {
        let status = if r.success { "ok " } else { "ERR" };
        let out = r
            .outputs
            .first()
            .map(|p| p.display().to_string())
            .or_else(|| r.error_message.clone())
            .unwrap_or_default();
        println!(
            "{}  {status}  {:<8} {:<17} {:>7} ms  {}",
            r.timestamp,
            r.engine.as_deref().unwrap_or("-"),
            r.mode,
            r.generation_time_ms,
            out
        );
    }
    let median = summary
        .median_generation_time_ms
        .map(|m| format!("{m} ms"))
        .unwrap_or_else(|| "-".into());
    println!(
        "{} edits, {:.0}% succeeded, median generation time {median}",
        summary.count,
        summary.success_rate * 100.0
    );
    Ok(())
}
