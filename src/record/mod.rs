//! `EditRecord`: the request log entry (the DynamoDB schema of the `/image-edit` API plus the
//! engine and output paths), written by every front end, and its local JSON-lines sink.

pub mod dynamo;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The largest history file read: about half a million edits.
pub const HISTORY_LIMIT: crate::image_io::files::ReadLimit = crate::image_io::files::ReadLimit {
    max_bytes: 256 << 20,
    max_stream_bytes: 64 << 20,
    raise: "move the file aside to start a new history",
};

/// The error message of an edit the user stopped.
pub const CANCELLED: &str = "cancelled";

/// Longest prompt stored, in characters.
pub const PROMPT_MAX_CHARS: usize = 1000;
/// Longest error message stored, in characters.
pub const ERROR_MAX_CHARS: usize = 500;

/// One edit, as the request log stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditRecord {
    pub id: String,
    pub timestamp: String,
    pub model_id: String,
    pub prompt: String,
    pub mode: String,
    pub image_base64_size_bytes: u64,
    pub mask_base64_size_bytes: u64,
    pub output_images_size_bytes: u64,
    pub generation_time_ms: u64,
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// The image the edit read, as an absolute path (none for an `/image-edit` request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<PathBuf>,
    /// Where the results were written, as absolute paths.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<PathBuf>,
    /// The remote service's ids of the calls that delivered the images (the `/image-edit` API's
    /// `request_id`, the key of its own log item), to find an edit in the service's log.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_ids: Vec<String>,
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

impl EditRecord {
    /// A record with a fresh id and the current time; text fields are truncated to the schema's limits.
    pub fn new(model_id: &str, prompt: &str, mode: &str) -> Self {
        EditRecord {
            id: uuid::Uuid::new_v4().to_string(),
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            model_id: model_id.to_string(),
            prompt: truncate(prompt, PROMPT_MAX_CHARS),
            mode: mode.to_string(),
            image_base64_size_bytes: 0,
            mask_base64_size_bytes: 0,
            output_images_size_bytes: 0,
            generation_time_ms: 0,
            success: false,
            error_message: None,
            engine: None,
            input: None,
            outputs: Vec::new(),
            request_ids: Vec::new(),
        }
    }

    /// How the edit ended: `done`, `cancelled` (stopped by the user) or `failed`.
    pub fn outcome(&self) -> &'static str {
        match (self.success, self.error_message.as_deref()) {
            (true, _) => "done",
            (false, Some(m)) if m == CANCELLED => "cancelled",
            (false, _) => "failed",
        }
    }

    /// Marks the record failed with a (truncated) message.
    pub fn fail(&mut self, message: &str) {
        self.success = false;
        self.error_message = Some(truncate(message, ERROR_MAX_CHARS));
    }
}

/// The decoded size of a base64 string of `len` characters: `len * 3 / 4 - padding`.
pub fn base64_decoded_size(b64: &str) -> u64 {
    let padding = b64.bytes().rev().take_while(|&b| b == b'=').count() as u64;
    (b64.len() as u64 * 3 / 4).saturating_sub(padding)
}

/// Where request log entries go: nowhere, the local JSON-lines file, or DynamoDB.
pub enum RecordSink {
    None,
    Local(LocalLog),
    Dynamo(Box<dynamo::DynamoLog>),
}

impl RecordSink {
    /// Writes a record; what a failure means (a warning, a status line) is the caller's to say.
    pub async fn write(&self, record: &EditRecord) -> Result<()> {
        match self {
            RecordSink::None => Ok(()),
            RecordSink::Local(log) => {
                let log = log.clone();
                let r = record.clone();
                tokio::task::spawn_blocking(move || log.append(&r))
                    .await
                    .unwrap_or_else(|e| Err(Error::Engine(e.to_string())))
            }
            RecordSink::Dynamo(d) => d.put(record).await,
        }
    }

    /// Where records go, in words.
    pub fn describe(&self) -> String {
        match self {
            RecordSink::None => "off".into(),
            RecordSink::Local(l) => l.path.display().to_string(),
            RecordSink::Dynamo(d) => format!("DynamoDB table {}", d.table()),
        }
    }
}

/// The local request log: one JSON object per line.
#[derive(Debug, Clone)]
pub struct LocalLog {
    pub path: PathBuf,
}

impl LocalLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LocalLog { path: path.into() }
    }

    /// Appends a record (one `write` of one line, so concurrent writers do not interleave).
    pub fn append(&self, record: &EditRecord) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let mut line = serde_json::to_vec(record)
            .map_err(|e| Error::Engine(format!("cannot serialise the request log entry: {e}")))?;
        line.push(b'\n');
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| Error::io(&self.path, e))?;
        f.write_all(&line).map_err(|e| Error::io(&self.path, e))
    }

    /// Reads every record (the file within [`HISTORY_LIMIT`]); unreadable lines are skipped and
    /// counted.
    pub fn read_all(&self) -> Result<(Vec<EditRecord>, usize)> {
        let Some(bytes) = crate::image_io::files::read_if_exists(&self.path, HISTORY_LIMIT)? else {
            return Ok((Vec::new(), 0));
        };
        let mut records = Vec::new();
        let mut bad = 0;
        for line in bytes.split(|b| *b == b'\n') {
            if line.trim_ascii().is_empty() {
                continue;
            }
            match serde_json::from_slice(line) {
                Ok(r) => records.push(r),
                Err(_) => bad += 1,
            }
        }
        Ok((records, bad))
    }
}

/// Count, success rate and median generation time of a set of records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub count: usize,
    pub succeeded: usize,
    /// Edits the user stopped: left out of the success rate.
    pub cancelled: usize,
    /// Of the edits that ran to their end (not cancelled), the share that succeeded.
    pub success_rate: f64,
    pub median_generation_time_ms: Option<u64>,
}

/// Summarises records; the median is over successful edits.
pub fn summarize(records: &[EditRecord]) -> Summary {
    let succeeded = records.iter().filter(|r| r.success).count();
    // a run the user stopped is neither a success nor a failure
    let cancelled = records
        .iter()
        .filter(|r| r.outcome() == "cancelled")
        .count();
    let ended = records.len() - cancelled;
    let mut times: Vec<u64> = records
        .iter()
        .filter(|r| r.success)
        .map(|r| r.generation_time_ms)
        .collect();
    times.sort_unstable();
    let median = match times.len() {
        0 => None,
        n if n % 2 == 1 => Some(times[n / 2]),
        n => Some((times[n / 2 - 1] + times[n / 2]) / 2),
    };
    Summary {
        count: records.len(),
        succeeded,
        cancelled,
        success_rate: if ended == 0 {
            0.0
        } else {
            succeeded as f64 / ended as f64
        },
        median_generation_time_ms: median,
    }
}

/// The default log file inside a data directory.
pub fn default_log_path(data_dir: &Path) -> PathBuf {
    data_dir.join("history.jsonl")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_summarise() {
        let dir = tempfile::tempdir().unwrap();
        let log = LocalLog::new(dir.path().join("h.jsonl"));
        for (ok, t) in [(true, 10), (true, 30), (false, 99), (true, 20)] {
            let mut r = EditRecord::new("local", &"p".repeat(1500), "INPAINTING");
            r.success = ok;
            r.generation_time_ms = t;
            if !ok {
                r.fail(&"e".repeat(900));
            }
            log.append(&r).unwrap();
        }
        let (all, bad) = log.read_all().unwrap();
        assert_eq!((all.len(), bad), (4, 0));
        assert_eq!(all[0].prompt.len(), PROMPT_MAX_CHARS);
        assert_eq!(
            all[2].error_message.as_ref().unwrap().len(),
            ERROR_MAX_CHARS
        );
        let s = summarize(&all);
        assert_eq!((s.count, s.succeeded), (4, 3));
        assert_eq!(s.median_generation_time_ms, Some(20));
    }

    #[test]
    fn base64_size_estimate_subtracts_padding() {
        assert_eq!(base64_decoded_size("aGVsbG8="), 5);
        assert_eq!(base64_decoded_size("aGk="), 2);
        assert_eq!(base64_decoded_size(""), 0);
    }

    #[test]
    fn a_cancelled_edit_is_neither_success_nor_failure() {
        let mut done = EditRecord::new("local", "", "INPAINTING");
        done.success = true;
        let mut failed = EditRecord::new("local", "", "INPAINTING");
        failed.fail("boom");
        let mut stopped = EditRecord::new("local", "", "INPAINTING");
        stopped.fail(CANCELLED);
        let outcomes: Vec<&str> = [&done, &failed, &stopped].map(|r| r.outcome()).to_vec();
        assert_eq!(outcomes, ["done", "failed", "cancelled"]);
        let s = summarize(&[done, failed, stopped]);
        assert_eq!((s.count, s.succeeded, s.cancelled), (3, 1, 1));
        assert!((s.success_rate - 0.5).abs() < 1e-9, "{}", s.success_rate);
    }
}
