//! Batches: `--jobs` against `imgedit serve --bedrock` on 127.0.0.1 (same bytes as one at a
//! time), throttling that backs off and loses no item, the journal, and resuming after Ctrl-C and
//! after SIGKILL at random moments with every input written exactly once.

use std::path::Path;
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use image::DynamicImage;
use predicates::prelude::*;

use crate::common::*;

const TITAN_V1: &str = "amazon.titan-image-generator-v1";

/// `imgedit serve --bedrock` (the shared harness) with room for every item in flight at once.
fn serve_bedrock(faults: &[&str]) -> Server {
    let mut args = vec![
        "--bedrock".to_string(),
        "--max-concurrent".to_string(),
        "16".to_string(),
    ];
    args.extend(faults.iter().map(|f| format!("--fault={f}")));
    serve_alone(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The environment that points the bedrock engine at `server` with throwaway credentials.
fn bedrock_env(sb: &Sandbox, server: &Server) -> Vec<(&'static str, String)> {
    let mut env = crate::common::bedrock_client_env(sb, &server.url);
    env.push(("IMGEDIT_BEDROCK_RETRY_BASE_MS", "10".into()));
    env
}

/// `imgedit edit in --engine bedrock --model TITAN_V1 --rect ... ARGS` against `server`.
fn edit(sb: &Sandbox, server: &Server, args: &[&str]) -> Command {
    let mut c = sb.cmd();
    c.envs(bedrock_env(sb, server))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_BEARER_TOKEN_BEDROCK")
        .args([
            "edit",
            "in",
            "--engine",
            "bedrock",
            "--model",
            TITAN_V1,
            "--rect",
            "8,8,16,16",
        ])
        .args(args);
    c
}

/// The same command as a child process, to interrupt or kill.
fn spawn_edit(sb: &Sandbox, server: &Server, args: &[&str]) -> Child {
    let mut c = StdCommand::new(assert_cmd::cargo::cargo_bin("imgedit"));
    for (k, _) in std::env::vars() {
        if k.starts_with("IMGEDIT_") || k.starts_with("AWS_") {
            c.env_remove(k);
        }
    }
    c.env("IMGEDIT_CONFIG_DIR", sb.path("config"))
        .env("IMGEDIT_DATA_DIR", sb.path("data"))
        .envs(bedrock_env(sb, server))
        .current_dir(sb.dir.path())
        .args([
            "edit",
            "in",
            "--engine",
            "bedrock",
            "--model",
            TITAN_V1,
            "--rect",
            "8,8,16,16",
        ])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A sandbox with `n` small photos in `in/` and an empty `out/`.
fn photos(n: usize) -> Sandbox {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.path("in")).unwrap();
    std::fs::create_dir_all(sb.path("out")).unwrap();
    for i in 0..n {
        DynamicImage::ImageRgb8(textured(40 + i as u32, 40))
            .save(sb.path(&format!("in/p{i:02}.png")))
            .unwrap();
    }
    sb
}

/// The visible files of `dir`, sorted; every PNG among them decodes whole.
fn outputs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    for n in &names {
        if n.ends_with(".png") {
            image::open(dir.join(n)).unwrap_or_else(|e| panic!("{n} is not a whole PNG: {e}"));
        }
    }
    names
}

/// Each of the `n` inputs written exactly once (`pNN-edit-1.png`), plus the journal.
fn exactly_once(dir: &Path, n: usize) {
    let mut expected: Vec<String> = (0..n).map(|i| format!("p{i:02}-edit-1.png")).collect();
    expected.push("imgedit-batch.jsonl".into());
    expected.sort();
    assert_eq!(outputs(dir), expected);
    // and no half-written temporary a killed run left behind
    let hidden: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert_eq!(hidden, Vec::<String>::new());
}

fn last_json(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let last = text.lines().last().expect("no output");
    serde_json::from_str(last).unwrap()
}

#[test]
fn jobs_4_writes_the_same_bytes_as_jobs_1() {
    let server = serve_bedrock(&[]);
    let sb = photos(8);
    std::fs::create_dir_all(sb.path("out4")).unwrap();
    let one = edit(
        &sb,
        &server,
        &[
            "--output-dir",
            "out",
            "--seed",
            "7",
            "--jobs",
            "1",
            "--json",
        ],
    )
    .assert()
    .success();
    let four = edit(
        &sb,
        &server,
        &["--output-dir", "out4", "--seed", "7", "-j", "4", "--json"],
    )
    .assert()
    .success();
    assert_eq!(outputs(&sb.path("out")), outputs(&sb.path("out4")));
    for i in 0..8 {
        let name = format!("p{i:02}-edit-1.png");
        let a = std::fs::read(sb.path("out").join(&name)).unwrap();
        let b = std::fs::read(sb.path("out4").join(&name)).unwrap();
        assert!(a == b, "{name} differs between --jobs 1 and --jobs 4");
    }
    // one JSON line per output, whole, then the summary object
    for out in [&one.get_output().stdout, &four.get_output().stdout] {
        let text = String::from_utf8_lossy(out);
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 9, "{text}");
        let summary = last_json(out);
        assert_eq!(summary["summary"], true);
        assert_eq!(summary["done"], 8);
        assert_eq!(summary["failed_count"], 0);
        assert!(summary["items_per_minute"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn throttling_a_third_of_the_answers_backs_off_and_loses_no_item() {
    // 12 items: 6 throttled answers and 12 good ones, each engine giving up after 2 attempts
    // so that some items also go back to the queue
    let server = serve_bedrock(&["throttle=6"]);
    let sb = photos(12);
    let out = edit(
        &sb,
        &server,
        &["--output-dir", "out", "--seed", "1", "-j", "4", "-v"],
    )
    .env("IMGEDIT_BEDROCK_MAX_ATTEMPTS", "2")
    .assert()
    .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("ThrottlingException: backing off, at most 2 in flight (was 4"),
        "{stderr}"
    );
    assert!(
        stderr.contains("12 edited, 0 failed, 12 in all"),
        "{stderr}"
    );
    exactly_once(&sb.path("out"), 12);
}

#[test]
fn resume_refuses_changed_flags_and_a_missing_journal() {
    let sb = photos(3);
    let run = |args: &[&str]| {
        let mut c = sb.cmd();
        c.args(["edit", "in", "--rect", "4,4,8,8", "--output-dir", "out"])
            .args(args);
        c
    };
    run(&["--resume", "-p", "a red barn"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no batch journal"));
    run(&["-p", "a red barn", "--seed", "3"]).assert().success();
    // a journal written before a flag existed lacks it: that reads as unset, not as a change
    let journal = sb.path("out").join(imgedit::batch::journal::FILE_NAME);
    let text = std::fs::read_to_string(&journal).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let mut entry: imgedit::batch::journal::Entry = serde_json::from_str(first).unwrap();
    if let imgedit::batch::journal::Entry::Batch { hash, request, .. } = &mut entry {
        assert!(request.params.remove("--change-strength").is_some());
        *hash = request.hash();
    }
    let older = format!("{}\n{rest}", serde_json::to_string(&entry).unwrap());
    std::fs::write(&journal, older).unwrap();
    run(&["--resume", "-p", "a blue barn", "--seed", "3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--prompt: the journal has \"a red barn\", this command \"a blue barn\"",
        ));
    // the same flags: nothing left to do, nothing written twice
    run(&["--resume", "-p", "a red barn", "--seed", "3"])
        .assert()
        .success()
        .stderr(predicate::str::contains("3 skipped (done before)"));
    exactly_once(&sb.path("out"), 3);
}

#[test]
fn dry_run_counts_the_calls_and_the_price() {
    let sb = photos(3);
    sb.cmd()
        .args([
            "edit",
            "in",
            "--rect",
            "4,4,8,8",
            "--engine",
            "bedrock",
            "--model",
            "us.stability.stable-image-inpaint-v1:0",
            "-p",
            "x",
            "-n",
            "2",
            "--region",
            "us-east-1",
            "--dry-run",
            "--output-dir",
            "out",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "3 items: 6 calls to bedrock us.stability.stable-image-inpaint-v1:0, 6 images, about $",
        ));
    assert!(outputs(&sb.path("out")).is_empty());
}

fn pngs(dir: &Path) -> usize {
    outputs(dir).iter().filter(|n| n.ends_with(".png")).count()
}

#[test]
fn ctrl_c_stops_within_2_s_says_how_to_resume_and_resume_finishes() {
    let server = serve_bedrock(&["delay-ms=400"]);
    let sb = photos(10);
    let mut child = spawn_edit(&sb, &server, &["--output-dir", "out", "-j", "2"]);
    assert!(
        wait_until(Duration::from_secs(60), || pngs(&sb.path("out")) >= 1),
        "no output within 60 s"
    );
    let before = pngs(&sb.path("out"));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let sent = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "still running after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let stopped_in = sent.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    // 2 s for the items in flight, and room for a loaded machine to start and end a process
    assert!(stopped_in < Duration::from_secs(4), "{stopped_in:?}");
    assert!(stderr.contains("--resume"), "{stderr}");
    // no item starts after Ctrl-C: at most the 2 in flight finish (counted, not timed)
    let after = pngs(&sb.path("out"));
    assert!(
        after <= before + 2,
        "{before} written at Ctrl-C, {after} after: the batch went on"
    );
    edit(
        &sb,
        &server,
        &["--output-dir", "out", "-j", "2", "--resume"],
    )
    .assert()
    .success();
    exactly_once(&sb.path("out"), 10);
}

#[test]
fn sigkill_at_random_moments_then_resume_writes_each_input_once() {
    let server = serve_bedrock(&["delay-ms=150"]);
    let sb = photos(10);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        | 1;
    eprintln!("kill moments from seed {seed}");
    let journal = sb.path("out/imgedit-batch.jsonl");
    // one kill that surely lands mid-batch: as soon as the first output is there (the other 9
    // take at least 450 ms more, 3 at a time behind a 150 ms answer)
    let mut child = spawn_edit(&sb, &server, &["--output-dir", "out", "-j", "3"]);
    assert!(
        wait_until(Duration::from_secs(60), || pngs(&sb.path("out")) >= 1),
        "no output within 60 s"
    );
    let _ = child.kill();
    let _ = child.wait();
    let landed = pngs(&sb.path("out"));
    assert!(
        (1..10).contains(&landed),
        "the kill landed mid-batch: {landed} of 10 written"
    );
    for round in 0..5 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let after = Duration::from_millis(100 + seed % 900);
        let resume = journal.exists();
        let mut args = vec!["--output-dir", "out", "-j", "3"];
        if resume {
            args.push("--resume");
        }
        let mut child = spawn_edit(&sb, &server, &args);
        std::thread::sleep(after);
        let _ = child.kill();
        let _ = child.wait();
        // whatever the moment: whole PNGs only, and a journal that reads
        outputs(&sb.path("out"));
        if journal.exists() {
            imgedit::batch::journal::read(&journal)
                .unwrap_or_else(|e| panic!("round {round}, killed after {after:?}: {e}"));
        }
    }
    let mut args = vec!["--output-dir", "out", "-j", "3", "--json"];
    if journal.exists() {
        args.push("--resume");
    }
    // every item written before is skipped, not sent (and paid for) again
    let before = pngs(&sb.path("out"));
    let out = edit(&sb, &server, &args).assert().success();
    let summary = last_json(&out.get_output().stdout);
    assert_eq!(summary["skipped"], before, "{summary}");
    assert_eq!(summary["done"], 10 - before, "{summary}");
    exactly_once(&sb.path("out"), 10);
}

#[test]
fn an_unfinished_batch_is_never_silently_restarted_and_bad_flags_say_why() {
    let sb = photos(3);
    let run = |args: &[&str]| {
        let mut c = sb.cmd();
        c.args(["edit", "in", "--rect", "4,4,8,8", "--output-dir", "out"])
            .args(args);
        c
    };
    // a batch whose middle item fails (its mask is missing) stays unfinished
    std::fs::create_dir_all(sb.path("masks")).unwrap();
    for i in [0, 2] {
        DynamicImage::ImageLuma8(rect_mask(40 + i, 40, 4, 4, 8, 8))
            .save(sb.path(&format!("masks/p{i:02}.png")))
            .unwrap();
    }
    run(&["--mask-dir", "masks", "--json"])
        .assert()
        .code(6)
        .stdout(predicate::str::contains(r#""input":"in/p01.png""#))
        .stderr(
            predicate::str::contains("failed: in/p01.png").and(predicate::str::contains(
                "to finish the batch: imgedit edit in --rect",
            )),
        );
    run(&["--mask-dir", "masks"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "holds an unfinished batch (2 of 3 done",
        ));
    // the missing mask appears: --resume sends only that item
    DynamicImage::ImageLuma8(rect_mask(41, 40, 4, 4, 8, 8))
        .save(sb.path("masks/p01.png"))
        .unwrap();
    run(&["--mask-dir", "masks", "--resume"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "1 edited, 0 failed, 3 in all, 2 skipped (done before)",
        ));
    exactly_once(&sb.path("out"), 3);
    sb.cmd()
        .args([
            "edit",
            "in/p00.png",
            "--rect",
            "4,4,8,8",
            "--output-dir",
            "out",
            "--resume",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--resume finishes a batch"));
    for (flag, value, says) in [
        ("--jobs", "0", "0 is not in 1..=64"),
        ("--max-rate", "0", "expected calls per second"),
        ("--max-rate", "fast", "expected calls per second"),
    ] {
        run(&[flag, value])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
}

/// A missing `--output-dir` is made, with its parents (a file there is still refused); a second
/// batch into a folder whose batch is running is refused at once, naming the running process.
#[test]
fn the_output_folder_is_made_and_a_second_batch_into_it_is_refused() {
    let sb = photos(2);
    sb.cmd()
        .args([
            "edit",
            "in",
            "--rect",
            "8,8,16,16",
            "--output-dir",
            "out/new",
            "--quiet",
        ])
        .assert()
        .success();
    assert_eq!(pngs(&sb.path("out/new")), 2);
    std::fs::write(sb.path("a-file"), b"x").unwrap();
    sb.cmd()
        .args([
            "edit",
            "in",
            "--rect",
            "8,8,16,16",
            "--output-dir",
            "a-file",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("a-file: not a directory"));
    // this test holds the folder's batch lock, as a running batch does
    let dir = sb.path("busy");
    std::fs::create_dir(&dir).unwrap();
    let held = imgedit::batch::journal::BatchLock::take(&dir).unwrap();
    let t = Instant::now();
    sb.cmd()
        .args(["edit", "in", "--rect", "8,8,16,16", "--output-dir", "busy"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!(
            "imgedit process {} is running a batch into this folder",
            std::process::id()
        )));
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "refused at once, not after waiting"
    );
    assert_eq!(pngs(&dir), 0, "nothing written beside the running batch");
    drop(held);
    sb.cmd()
        .args([
            "edit",
            "in",
            "--rect",
            "8,8,16,16",
            "--output-dir",
            "busy",
            "--quiet",
        ])
        .assert()
        .success();
    assert_eq!(pngs(&dir), 2, "the lock goes with its holder");
}
