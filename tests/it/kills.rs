//! Nothing lost: `imgedit edit` and `imgedit tui` killed with SIGKILL at random points leave no
//! truncated output, never damage an existing file, and the TUI's work folder keeps every result
//! that had arrived. A few rounds run in `cargo test`; `scripts/kill-loop` runs many
//! (IMGEDIT_KILL_ROUNDS, IMGEDIT_KILL_SEED).

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use image::{DynamicImage, GenericImageView, RgbImage};

use crate::common::*;
use crate::tui::{Tmux, sample_path};

fn rounds(default: usize) -> usize {
    std::env::var("IMGEDIT_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator; the seed is printed so a failing round can be replayed.
struct Rng(u64);

/// The kill moments of `cargo test`: pinned, so that every run kills at the same points (set
/// IMGEDIT_KILL_SEED to try others; `scripts/kill-loop` does, at random).
const KILL_SEED: u64 = 0x5eed_1a2b_3c4d;

impl Rng {
    fn from_env() -> Self {
        let seed = std::env::var("IMGEDIT_KILL_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(KILL_SEED);
        eprintln!("kill loop: IMGEDIT_KILL_SEED={seed}");
        Rng(seed | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// `imgedit ARGS` in the sandbox, as a child process to kill.
fn spawn(sb: &Sandbox, args: &[&str]) -> std::process::Child {
    let mut c = Process::new(assert_cmd::cargo::cargo_bin("imgedit"));
    for (k, _) in std::env::vars() {
        if k.starts_with("IMGEDIT_") {
            c.env_remove(k);
        }
    }
    c.env("IMGEDIT_CONFIG_DIR", sb.path("config"))
        .env("IMGEDIT_DATA_DIR", sb.path("data"))
        .current_dir(sb.dir.path())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Checks a folder of outputs: every visible file is a whole PNG of `size` or a batch journal that
/// reads; the only other files are hidden temporaries of a killed writer (`.NAME.PID.RAND.tmp`).
/// Returns the names of the PNGs.
fn whole_outputs(dir: &Path, size: (u32, u32)) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return names;
    };
    for e in entries {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let path = dir.join(&name);
        if name == imgedit::batch::journal::LOCK_NAME {
            // a killed batch's lock: released by the system, taken over by the next batch
            continue;
        }
        if name.starts_with('.') {
            assert!(
                name.ends_with(".tmp"),
                "unexpected hidden file {}",
                path.display()
            );
            continue;
        }
        if name == imgedit::batch::journal::FILE_NAME {
            // the batch's journal reads back whatever the moment of the kill
            imgedit::batch::journal::read(&path)
                .unwrap_or_else(|e| panic!("{} is damaged: {e}", path.display()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let img = image::load_from_memory(&bytes)
            .unwrap_or_else(|e| panic!("{} is damaged or truncated: {e}", path.display()));
        assert_eq!(img.dimensions(), size, "{}", path.display());
        names.push(name);
    }
    names.sort();
    names
}

#[test]
fn sigkill_during_edit_never_leaves_a_partial_or_damaged_file() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.path("in")).unwrap();
    std::fs::create_dir_all(sb.path("out")).unwrap();
    let mut inputs = Vec::new();
    for i in 0..4u8 {
        let img = RgbImage::from_fn(160, 120, |x, y| {
            image::Rgb([
                (x * 3 + u32::from(i) * 40) as u8,
                (y * 5) as u8,
                (x ^ y) as u8,
            ])
        });
        let p = sb.save(&format!("in/p{i}.png"), &DynamicImage::ImageRgb8(img));
        inputs.push((p.clone(), std::fs::read(&p).unwrap()));
    }
    // an output from before, which a killed --force run may replace but never damage
    let old = sb.save(
        "out/p0-edit-1.png",
        &DynamicImage::ImageRgb8(RgbImage::from_pixel(160, 120, image::Rgb([1, 2, 3]))),
    );
    let old_bytes = std::fs::read(&old).unwrap();
    let args = [
        "edit",
        "in",
        "--rect",
        "40,30,60,50",
        "--output-dir",
        "out",
        "--force",
        "--quiet",
    ];
    // how long an unkilled run takes here, so kills land all along a run
    let t = Instant::now();
    assert!(spawn(&sb, &args).wait().unwrap().success());
    let full = t.elapsed();
    std::fs::write(&old, &old_bytes).unwrap();

    let mut rng = Rng::from_env();
    let mut kept_old = 0;
    let mut temporaries = 0;
    for round in 0..rounds(6) {
        // the other outputs go, so each round shows how far a killed batch got
        for i in 1..4 {
            let _ = std::fs::remove_file(sb.path(&format!("out/p{i}-edit-1.png")));
        }
        std::fs::write(&old, &old_bytes).unwrap();
        let mut child = spawn(&sb, &args);
        let wait = Duration::from_millis(rng.below(full.as_millis() as u64 + 50));
        std::thread::sleep(wait);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        for (p, bytes) in &inputs {
            assert_eq!(
                &std::fs::read(p).unwrap(),
                bytes,
                "input {} changed",
                p.display()
            );
        }
        let names = whole_outputs(&sb.path("out"), (160, 120));
        assert!(
            names.contains(&"p0-edit-1.png".to_string()),
            "round {round}: p0-edit-1.png vanished"
        );
        if std::fs::read(&old).unwrap() == old_bytes {
            kept_old += 1;
        }
        let hidden = std::fs::read_dir(sb.path("out"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .count();
        temporaries = temporaries.max(hidden);
        eprintln!("round {round}: killed after {wait:?} (a run takes {full:?}): {names:?}");
    }
    eprintln!(
        "the old p0-edit-1.png was intact after {kept_old} kills and wholly replaced after the others"
    );
    // the request log survived the kills: every line parses, and `history` reads it
    let history = std::fs::read_to_string(sb.path("data/history.jsonl")).unwrap_or_default();
    for (i, line) in history.lines().enumerate() {
        serde_json::from_str::<imgedit::record::EditRecord>(line)
            .unwrap_or_else(|e| panic!("history line {} does not parse: {e}: {line}", i + 1));
    }
    sb.cmd().args(["history"]).assert().success().stderr(
        predicates::prelude::PredicateBooleanExt::not(predicates::str::contains("unreadable")),
    );
    // and a run to the end still works and writes all four
    assert!(spawn(&sb, &args).wait().unwrap().success());
    assert_eq!(whole_outputs(&sb.path("out"), (160, 120)).len(), 4);
    // the temporaries of killed writers are gone once the same outputs are written again
    let left: Vec<_> = std::fs::read_dir(sb.path("out"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    eprintln!("at most {temporaries} hidden temporaries were left by one kill");
}

#[test]
fn sigkill_during_a_tui_run_keeps_every_result_that_arrived() {
    if Process::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is needed for this test on CI"
        );
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let mut rng = Rng::from_env();
    // how long the first result takes to show, measured in round 0
    let mut first_result = Duration::from_secs(8);
    for round in 0..rounds(2) {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("sample.png");
        std::fs::copy(sample_path(), &input).unwrap();
        let input_bytes = std::fs::read(&input).unwrap();
        let (w, h) = image::open(&input).unwrap().dimensions();
        let mask = dir.path().join("mask.png");
        DynamicImage::ImageLuma8(rect_mask(w, h, 200, 120, 90, 70))
            .save(&mask)
            .unwrap();
        let log = dir.path().join("stderr.log");
        let command = format!(
            "exec env -u IMGEDIT_GRAPHICS IMGEDIT_CONFIG_DIR={c} IMGEDIT_DATA_DIR={d} {bin} tui --graphics halfblocks --mask {m} {img} 2>{log}",
            c = dir.path().join("config").display(),
            d = dir.path().join("data").display(),
            bin = assert_cmd::cargo::cargo_bin("imgedit").display(),
            m = mask.display(),
            img = input.display(),
            log = log.display(),
        );
        let tmux = Tmux {
            socket: format!("imgedit-kill-{}-{round}", std::process::id()),
            log,
        };
        tmux.start(dir.path(), &command);
        tmux.wait_for("mask loaded", Duration::from_secs(20));
        let pid = String::from_utf8_lossy(
            &tmux
                .cmd(&["list-panes", "-t", "main", "-F", "#{pane_pid}"])
                .stdout,
        )
        .trim()
        .to_string();
        // five images, then run
        for _ in 0..4 {
            tmux.send(&["a"]);
        }
        tmux.wait_for("Images 5", Duration::from_secs(10));
        tmux.send(&["Enter"]);
        let t = Instant::now();
        // first round: let some results arrive; later rounds: anywhere in the run
        let shown_now = || {
            tmux.capture()
                .split("Results (")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0)
        };
        let wait = if round == 0 {
            while shown_now() == 0 {
                assert!(t.elapsed() < Duration::from_secs(120), "no result arrived");
                std::thread::sleep(Duration::from_millis(20));
            }
            first_result = t.elapsed();
            Duration::from_millis(rng.below(300))
        } else {
            // anywhere from the start to well after results begin to arrive
            let span = first_result.as_millis() as u64 * 8 / 5;
            Duration::from_millis(
                rng.below(span)
                    .saturating_sub(t.elapsed().as_millis() as u64),
            )
        };
        std::thread::sleep(wait);
        let shown = shown_now();
        let killed = Process::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(killed.success(), "kill -KILL {pid}");
        let work = dir.path().join("data/work");
        let folders: Vec<PathBuf> = std::fs::read_dir(&work)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        assert!(
            folders.len() <= 1,
            "one work folder per session: {folders:?}"
        );
        let results = folders
            .first()
            .map(|f| whole_outputs(f, (w, h)))
            .unwrap_or_default();
        assert!(
            results.len() >= shown,
            "round {round}: the screen showed {shown} results, the work folder holds {results:?}"
        );
        for (i, name) in results.iter().enumerate() {
            assert_eq!(name, &format!("result-{}.png", i + 1));
        }
        assert_eq!(
            std::fs::read(&input).unwrap(),
            input_bytes,
            "the input changed"
        );
        eprintln!(
            "round {round}: killed {:?} after Enter with {shown} results on screen; work folder: {results:?}",
            t.elapsed()
        );
    }
}

/// `--force` replaces an output by renaming a new file over it, never by writing into it: a
/// second name of the old file (a hard link, as a backup tool or a user may hold) keeps the old
/// bytes, whole, and the output holds the new ones.
#[test]
fn force_replaces_the_file_and_never_writes_into_the_old_one() {
    let sb = Sandbox::new();
    sb.save("in.png", &image::DynamicImage::ImageRgb8(textured(40, 30)));
    let old = b"the old output, kept by a second name".to_vec();
    std::fs::write(sb.path("out.png"), &old).unwrap();
    std::fs::hard_link(sb.path("out.png"), sb.path("backup.png")).unwrap();
    sb.cmd()
        .args([
            "edit", "in.png", "--rect", "4,4,8,8", "-o", "out.png", "--force", "-q",
        ])
        .assert()
        .success();
    let kept = std::fs::read(sb.path("backup.png")).unwrap();
    assert!(
        kept == old,
        "the old file was written into: its second name now holds {} bytes",
        kept.len()
    );
    let new = image::open(sb.path("out.png")).unwrap();
    assert_eq!((new.width(), new.height()), (40, 30));
}
