//! The batch journal, `imgedit-batch.jsonl` in the output directory: one JSON object a line.
//! The first says what was asked (inputs, the flags that shape the results, their hash); then
//! each item's start (the output names and seed it was given) and its end (done, with its
//! outputs and seeds, or failed, with the reason).
//!
//! A kill at any moment leaves it readable: the first line is written to a temporary file and
//! renamed into place, every later line goes out in one `write` and is synced before the next
//! step, and a torn last line (a kill during its own write) is dropped on reading.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The journal's file name inside the output directory.
pub const FILE_NAME: &str = "imgedit-batch.jsonl";

/// The format version written in the first line.
pub const VERSION: u32 = 1;

/// What a batch was asked to do: its inputs and the flags that shape the results (by flag name,
/// e.g. `--prompt`). Flags that do not change a result (`--jobs`, `--quiet`) are not in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub inputs: Vec<String>,
    pub params: BTreeMap<String, Value>,
}

impl Request {
    /// SHA-256 of the request's JSON (keys sorted), in hex.
    pub fn hash(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// How `now` differs from this (the journal's) request, one phrase each:
    /// `--prompt: the journal has "a", this command "b"`.
    pub fn differences(&self, now: &Request) -> Vec<String> {
        let show = |v: Option<&Value>| v.map_or_else(|| "nothing".to_string(), Value::to_string);
        let mut out = Vec::new();
        let keys: std::collections::BTreeSet<&String> =
            self.params.keys().chain(now.params.keys()).collect();
        for k in keys {
            let (was, is) = (self.params.get(k), now.params.get(k));
            let unset = |v: Option<&Value>| v.is_none_or(Value::is_null);
            if was != is && !(unset(was) && unset(is)) {
                out.push(format!(
                    "{k}: the journal has {}, this command {}",
                    show(was),
                    show(is)
                ));
            }
        }
        if self.inputs != now.inputs {
            let added: Vec<&String> = now
                .inputs
                .iter()
                .filter(|i| !self.inputs.contains(i))
                .collect();
            let missing: Vec<&String> = self
                .inputs
                .iter()
                .filter(|i| !now.inputs.contains(i))
                .collect();
            let list = |v: &[&String]| {
                let mut s: Vec<&str> = v.iter().take(3).map(|s| s.as_str()).collect();
                if v.len() > 3 {
                    s.push("...");
                }
                s.join(", ")
            };
            let mut phrase = format!(
                "the inputs: the journal has {}, this command {}",
                self.inputs.len(),
                now.inputs.len()
            );
            if !added.is_empty() {
                phrase += &format!("; new: {}", list(&added));
            }
            if !missing.is_empty() {
                phrase += &format!("; gone: {}", list(&missing));
            }
            out.push(phrase);
        }
        out
    }
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Entry {
    /// The first line: what was asked.
    Batch {
        version: u32,
        hash: String,
        created: String,
        request: Request,
    },
    /// An item is about to be sent: the names its outputs will have and its (first) seed.
    Started {
        input: String,
        outputs: Vec<String>,
        seed: u64,
    },
    /// An item's outputs are all written.
    Done {
        input: String,
        outputs: Vec<String>,
        /// The seed of each output, where the engine confirmed it.
        seeds: Vec<Option<u64>>,
    },
    /// An item failed; a resumed batch tries it again.
    Failed { input: String, reason: String },
}

/// What the journal knows of one input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemState {
    /// The output names and seed of its last start.
    pub started: Option<(Vec<String>, u64)>,
    /// Its outputs and seeds, once done.
    pub done: Option<(Vec<String>, Vec<Option<u64>>)>,
    /// Why its last try failed.
    pub failed: Option<String>,
}

/// What a resumed batch does with one input.
#[derive(Debug, Clone, PartialEq)]
pub enum Resume {
    /// Not in the journal: plan it as new.
    New,
    /// Finished before: skip it.
    Skip { outputs: Vec<String> },
    /// Its outputs were all written but the kill came before the journal said so: record it as
    /// done, do not send it again.
    Written { outputs: Vec<String>, seed: u64 },
    /// Started (or failed) before: send it again with the same seed into the same names,
    /// replacing any of them a killed run left behind.
    Redo { outputs: Vec<String>, seed: u64 },
}

/// A journal read back.
#[derive(Debug, Clone)]
pub struct State {
    pub hash: String,
    pub request: Request,
    pub items: HashMap<String, ItemState>,
    /// Whether the last line was torn (and is dropped).
    pub torn: bool,
    /// The byte length of the whole lines.
    valid_len: u64,
}

impl State {
    /// What to do with `input` on resuming.
    pub fn resume(&self, input: &str) -> Resume {
        let Some(item) = self.items.get(input) else {
            return Resume::New;
        };
        if let Some((outputs, _)) = &item.done {
            return Resume::Skip {
                outputs: outputs.clone(),
            };
        }
        match &item.started {
            Some((outputs, seed))
                if !outputs.is_empty() && outputs.iter().all(|o| Path::new(o).is_file()) =>
            {
                Resume::Written {
                    outputs: outputs.clone(),
                    seed: *seed,
                }
            }
            Some((outputs, seed)) => Resume::Redo {
                outputs: outputs.clone(),
                seed: *seed,
            },
            None => Resume::New,
        }
    }

    /// How many of the request's inputs are done.
    pub fn done_count(&self) -> usize {
        self.request
            .inputs
            .iter()
            .filter(|i| self.items.get(*i).is_some_and(|s| s.done.is_some()))
            .count()
    }

    /// Whether every input is done.
    pub fn finished(&self) -> bool {
        self.done_count() == self.request.inputs.len()
    }
}

/// The journal of a running batch, appended to by its workers.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

/// The lock file's name inside the output directory.
pub const LOCK_NAME: &str = ".imgedit-batch.lock";

/// The lock that keeps two batches out of one output directory: `.imgedit-batch.lock`, held
/// exclusively for the batch's whole run and released by the system when the process ends,
/// however it ends (no stale lock after a kill). It holds the holder's process id, for the
/// refusal's message.
#[derive(Debug)]
pub struct BatchLock {
    _file: File,
    path: PathBuf,
}

impl Drop for BatchLock {
    /// A batch that ends leaves no lock file behind (a killed one's is taken over by the next).
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

impl BatchLock {
    /// Takes the lock of `dir`, or says at once which process holds it.
    pub fn take(dir: &Path) -> Result<BatchLock> {
        let path = dir.join(LOCK_NAME);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                let who = if holder.is_empty() {
                    "another imgedit process".to_string()
                } else {
                    format!("imgedit process {holder}")
                };
                return Err(Error::Input(format!(
                    "{}: {who} is running a batch into this folder; wait for it to end (or stop it), then run this again",
                    dir.display()
                )));
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        let pid = std::process::id().to_string();
        file.set_len(0)
            .and_then(|()| file.write_all(pid.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| Error::io(&path, e))?;
        Ok(BatchLock { _file: file, path })
    }
}

/// The journal's path in `dir`.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

impl Journal {
    /// Starts a new journal in `dir` for `request`, replacing any earlier one there.
    pub fn create(dir: &Path, request: &Request) -> Result<Journal> {
        let path = path_in(dir);
        let first = Entry::Batch {
            version: VERSION,
            hash: request.hash(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            request: request.clone(),
        };
        // image_io's atomic write (a synced temporary, renamed into place), so that a resumed
        // batch sweeps a killed run's temporary away like any output's
        let text = line(&first).map_err(|e| Error::io(&path, e))?;
        crate::image_io::write_atomic(&path, text.as_bytes(), true)?;
        // the rename itself reaches the disk with the directory
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Self::open_append(&path)
    }

    /// Opens the journal in `dir` to go on with it: its state, with a torn last line cut off.
    /// None when `dir` holds no journal.
    pub fn resume(dir: &Path) -> Result<Option<(Journal, State)>> {
        let path = path_in(dir);
        if !path.exists() {
            return Ok(None);
        }
        let state = read(&path)?;
        if state.torn {
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            f.set_len(state.valid_len)
                .and_then(|()| f.sync_all())
                .map_err(|e| Error::io(&path, e))?;
        }
        Ok(Some((Self::open_append(&path)?, state)))
    }

    fn open_append(path: &Path) -> Result<Journal> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line and syncs it to disk before returning.
    pub fn append(&self, entry: &Entry) -> Result<()> {
        let text = line(entry).map_err(|e| Error::io(&self.path, e))?;
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_data())
            .map_err(|e| Error::io(&self.path, e))
    }
}

fn line(entry: &Entry) -> std::io::Result<String> {
    let mut s = serde_json::to_string(entry).map_err(std::io::Error::other)?;
    s.push('\n');
    Ok(s)
}

/// Reads a journal. A torn last line is dropped (`torn`); any other line that is not a journal
/// entry is an error naming the file and the line.
pub fn read(path: &Path) -> Result<State> {
    let bytes = crate::image_io::files::read_bounded(path, JOURNAL_LIMIT)?;
    let mut state: Option<State> = None;
    let mut offset = 0u64;
    let mut torn = false;
    let mut lines = bytes
        .split_inclusive(|&b| b == b'\n')
        .enumerate()
        .peekable();
    while let Some((i, raw)) = lines.next() {
        let last = lines.peek().is_none();
        let parsed = std::str::from_utf8(raw)
            .ok()
            .filter(|t| t.ends_with('\n'))
            .and_then(|t| serde_json::from_str::<Entry>(t.trim_end()).ok());
        let Some(entry) = parsed else {
            if last {
                torn = true;
                break;
            }
            return Err(crate::error::input_err!(
                "{}: line {} is not a journal entry; the journal is damaged (move it away to start the batch over)",
                path.display(),
                i + 1
            ));
        };
        offset += raw.len() as u64;
        match (entry, &mut state) {
            (
                Entry::Batch {
                    version,
                    hash,
                    request,
                    ..
                },
                None,
            ) => {
                if version > VERSION {
                    return Err(crate::error::input_err!(
                        "{}: journal version {version}, this imgedit reads up to {VERSION}",
                        path.display()
                    ));
                }
                state = Some(State {
                    hash,
                    request,
                    items: HashMap::new(),
                    torn: false,
                    valid_len: 0,
                });
            }
            (_, None) | (Entry::Batch { .. }, Some(_)) => {
                return Err(crate::error::input_err!(
                    "{}: line {} is not where a journal has it (the first line says what was asked, and only it)",
                    path.display(),
                    i + 1
                ));
            }
            (
                Entry::Started {
                    input,
                    outputs,
                    seed,
                },
                Some(s),
            ) => {
                let item = s.items.entry(input).or_default();
                item.started = Some((outputs, seed));
                item.failed = None;
            }
            (
                Entry::Done {
                    input,
                    outputs,
                    seeds,
                },
                Some(s),
            ) => {
                let item = s.items.entry(input).or_default();
                item.done = Some((outputs, seeds));
                item.failed = None;
            }
            (Entry::Failed { input, reason }, Some(s)) => {
                s.items.entry(input).or_default().failed = Some(reason);
            }
        }
    }
    let mut state = state.ok_or_else(|| {
        crate::error::input_err!(
            "{}: not an imgedit batch journal (no first line saying what was asked)",
            path.display()
        )
    })?;
    state.torn = torn;
    state.valid_len = offset;
    Ok(state)
}

/// The largest journal read back: about a million items.
const JOURNAL_LIMIT: crate::image_io::files::ReadLimit = crate::image_io::files::ReadLimit {
    max_bytes: 1 << 30,
    max_stream_bytes: 1 << 30,
    raise: "a journal holds a few hundred bytes an item; check that the output directory is the batch's",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn request(prompt: &str) -> Request {
        Request {
            inputs: vec!["in/a.png".into(), "in/b.png".into(), "in/c.png".into()],
            params: [
                ("--prompt".to_string(), Value::from(prompt)),
                ("--seed".to_string(), Value::Null),
            ]
            .into_iter()
            .collect(),
        }
    }

    fn out(dir: &Path, name: &str) -> String {
        dir.join(name).display().to_string()
    }

    #[test]
    fn items_resume_by_what_the_journal_and_the_disk_say() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let j = Journal::create(d, &request("a barn")).unwrap();
        let (a, b, c) = (
            out(d, "a-edit-1.png"),
            out(d, "b-edit-1.png"),
            out(d, "c-edit-1.png"),
        );
        j.append(&Entry::Started {
            input: "in/a.png".into(),
            outputs: vec![a.clone()],
            seed: 7,
        })
        .unwrap();
        j.append(&Entry::Done {
            input: "in/a.png".into(),
            outputs: vec![a.clone()],
            seeds: vec![Some(7)],
        })
        .unwrap();
        for (input, o, seed) in [("in/b.png", &b, 8), ("in/c.png", &c, 9)] {
            j.append(&Entry::Started {
                input: input.into(),
                outputs: vec![o.clone()],
                seed,
            })
            .unwrap();
        }
        // b's output reached the disk, the kill came before its "done"
        fs::write(&b, b"png").unwrap();
        drop(j);
        let (_, state) = Journal::resume(d).unwrap().unwrap();
        assert!(!state.torn);
        assert_eq!(state.hash, request("a barn").hash());
        assert_eq!(state.done_count(), 1);
        assert_eq!(state.resume("in/a.png"), Resume::Skip { outputs: vec![a] });
        assert_eq!(
            state.resume("in/b.png"),
            Resume::Written {
                outputs: vec![b],
                seed: 8
            }
        );
        assert_eq!(
            state.resume("in/c.png"),
            Resume::Redo {
                outputs: vec![c],
                seed: 9
            }
        );
        assert_eq!(state.resume("in/d.png"), Resume::New);
    }

    #[test]
    fn a_kill_during_the_journals_own_write_loses_only_that_line() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let j = Journal::create(d, &request("x")).unwrap();
        let done = Entry::Done {
            input: "in/a.png".into(),
            outputs: vec![out(d, "a-edit-1.png")],
            seeds: vec![Some(1)],
        };
        j.append(&done).unwrap();
        let whole = fs::read(j.path()).unwrap();
        let next = line(&Entry::Done {
            input: "in/b.png".into(),
            outputs: vec![out(d, "b-edit-1.png")],
            seeds: vec![Some(2)],
        })
        .unwrap();
        // every cut of the next line's write: nothing, a few bytes, all but the newline
        for cut in [0, 1, 10, next.len() - 1] {
            let mut torn = whole.clone();
            torn.extend_from_slice(&next.as_bytes()[..cut]);
            fs::write(j.path(), &torn).unwrap();
            let (j2, state) = Journal::resume(d).unwrap().unwrap();
            assert_eq!(state.torn, cut > 0, "cut {cut}");
            assert_eq!(state.done_count(), 1, "cut {cut}");
            assert_eq!(state.resume("in/b.png"), Resume::New);
            // appending after a torn line starts a fresh, whole line
            j2.append(&Entry::Failed {
                input: "in/c.png".into(),
                reason: "boom".into(),
            })
            .unwrap();
            let again = read(j2.path()).unwrap();
            assert!(!again.torn, "cut {cut}");
            assert_eq!(again.items["in/c.png"].failed.as_deref(), Some("boom"));
        }
        // damage before the last line is not a kill: say so
        let mut bad = whole.clone();
        bad.extend_from_slice(b"{not json\n");
        bad.extend_from_slice(next.as_bytes());
        fs::write(j.path(), &bad).unwrap();
        let e = Journal::resume(d).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("damaged"), "{e}");
        fs::write(j.path(), b"").unwrap();
        let e = read(j.path()).unwrap_err().to_string();
        assert!(e.contains("not an imgedit batch journal"), "{e}");
    }

    #[test]
    fn differences_name_the_flag_and_both_values() {
        let old = request("a red barn");
        let mut new = request("a blue barn");
        new.inputs.push("in/d.png".into());
        let d = old.differences(&new);
        assert_eq!(
            d[0],
            "--prompt: the journal has \"a red barn\", this command \"a blue barn\""
        );
        assert!(d[1].contains("the journal has 3, this command 4; new: in/d.png"));
        assert_ne!(old.hash(), new.hash());
        assert!(old.differences(&request("a red barn")).is_empty());
        assert_eq!(old.hash(), request("a red barn").hash());
    }

    #[test]
    fn a_flag_added_later_reads_as_unset_in_an_older_journal() {
        let old = request("a red barn");
        let mut new = request("a red barn");
        new.params.insert("--style-image".into(), Value::Null);
        assert!(old.differences(&new).is_empty());
        new.params
            .insert("--style-image".into(), Value::from("ref.png"));
        assert_eq!(
            old.differences(&new),
            vec!["--style-image: the journal has nothing, this command \"ref.png\"".to_string()]
        );
    }
}
