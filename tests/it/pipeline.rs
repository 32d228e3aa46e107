//! One pipeline for every front end: the same bad job breaks the same rule (field, rule, limit,
//! value) whether it comes from the command line, `/image-edit` or the TUI, each in its own
//! words; and a withheld image is logged the same way by all three.

use image::DynamicImage;
use serde_json::{Value, json};

use crate::common::{
    Sandbox, Server, browser_body, edit_url, photo, post, serve, textured, titan_mask,
};

/// The violation as data: what every front end must agree on.
fn rule_of(v: &Value) -> (String, String, String, String) {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    (s("field"), s("rule"), s("limit"), s("value"))
}

/// The CLI's `--json` failure line for `args` on a 64x64 image: its violation and the message.
fn cli_violation(sb: &Sandbox, args: &[&str]) -> ((String, String, String, String), String) {
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(64, 64)));
    let out = sb
        .cmd()
        .args([
            "edit",
            "in.png",
            "--rect",
            "8,8,20,20",
            "--json",
            "-o",
            "out.png",
        ])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(!sb.path("out.png").exists());
    let line: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    (
        rule_of(&line["violation"]),
        line["error"].as_str().unwrap().to_string(),
    )
}

/// `/image-edit`'s answer to a 64x64 inpainting with `extra` fields: its violation and message.
fn server_violation(
    api: &Server,
    text: &str,
    extra: Value,
) -> ((String, String, String, String), String) {
    let (_, jpeg) = photo(64, 64);
    let mut body = browser_body(
        text,
        "INPAINTING",
        &jpeg,
        Some(&titan_mask(64, 64, 8, 8, 20, 20)),
    );
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let a = post(&edit_url(api), None, &body);
    assert_eq!(a.status, 400, "{}", String::from_utf8_lossy(&a.body));
    let v = a.json();
    assert_eq!(
        v["field"],
        v["error"].as_str().unwrap().split(' ').next().unwrap()
    );
    (
        rule_of(&v["violation"]),
        v["error"].as_str().unwrap().to_string(),
    )
}

/// The TUI's run key on the sample with a rectangle drawn, after `set` changes the settings.
fn tui_violation(
    set: impl Fn(&mut imgedit::tui::app::App),
) -> ((String, String, String, String), String) {
    use imgedit::tui::action::{Action, Command};
    let mut app = crate::tui::with_rect();
    set(&mut app);
    let effects = crate::tui::step(&mut app, Action::Cmd(Command::Run));
    assert!(effects.is_empty(), "no run starts: {}", app.status.text);
    assert!(app.status.error, "{}", app.status.text);
    let v = serde_json::to_value(app.violation.as_ref().expect("a violation")).unwrap();
    (rule_of(&v), app.status.text.clone())
}

#[test]
fn the_same_bad_job_breaks_the_same_rule_in_every_front_end() {
    // the local model: 17 images where it makes at most 16
    let sb = Sandbox::new();
    let (cli, cli_text) = cli_violation(&sb, &["-n", "17"]);
    let api = serve(&sb, &["--no-auth", "--no-log"], &[]);
    let (srv, srv_text) = server_violation(&api, "", json!({"num_images": 17}));
    let (tui, tui_text) = tui_violation(|app| app.params.num_images = 17);
    let want = (
        "num_images".into(),
        "range".into(),
        "1..16".into(),
        "17".into(),
    );
    assert_eq!((&cli, &srv, &tui), (&want, &want, &want));
    // each in its own words: the flag, the JSON field, the panel's name and key
    assert_eq!(cli_text, "local: --num-images must be 1..16, got 17");
    assert_eq!(srv_text, "num_images must be 1..16, got 17 (model local)");
    assert_eq!(tui_text, "images (a) must be 1..16, got 17");
}

#[test]
fn a_multibyte_prompt_over_a_living_models_limit_is_counted_in_characters_everywhere() {
    let sb = Sandbox::new();
    let upstream = serve(&sb, &["--bedrock"], &[]);
    let env = bedrock_env(&sb, &upstream);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let long = "é".repeat(10_001);
    // the CLI refuses before any call
    let mut cmd = sb.cmd();
    for (k, v) in &env {
        cmd.env(k, v);
    }
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(64, 64)));
    let out = cmd
        .args([
            "edit",
            "in.png",
            "--engine",
            "bedrock",
            "--rect",
            "8,8,20,20",
            "--json",
            "-o",
            "out.png",
            "--prompt",
            &long,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let line: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    let cli = rule_of(&line["violation"]);
    let api = serve(&sb, &["--no-auth", "--no-log", "--engine", "bedrock"], &env);
    let (srv, _) = server_violation(&api, &long, json!({"num_images": 1}));
    let (tui, tui_text) = tui_violation(|app| {
        app.params.engine = imgedit::edit::engine::EngineKind::Bedrock;
        app.params.prompt = long.clone();
    });
    let want = (
        "prompt".into(),
        "max_chars".into(),
        "10000".into(),
        "10001".into(),
    );
    assert_eq!((&cli, &srv, &tui), (&want, &want, &want));
    assert_eq!(
        tui_text,
        "prompt (p) is 10001 characters, the limit is 10000"
    );
}

/// Environment for a client of the emulated Bedrock at `upstream`, one attempt per call.
fn bedrock_env(sb: &Sandbox, upstream: &Server) -> Vec<(&'static str, String)> {
    let mut env = crate::common::bedrock_client_env(sb, &upstream.url);
    env.push(("IMGEDIT_BEDROCK_MAX_ATTEMPTS", "1".into()));
    env
}

/// An `/image-edit` server on the Bedrock engine, in front of an emulated Bedrock whose first
/// answer is withheld by its content filter; the server logs to its sandbox's history.
fn filtering_api(sb: &Sandbox) -> (Server, Server) {
    let upstream = serve(sb, &["--bedrock", "--fault", "filter=1"], &[]);
    let env = bedrock_env(sb, &upstream);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let api = serve(sb, &["--no-auth", "--engine", "bedrock"], &env);
    (upstream, api)
}

fn history(dir: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("history.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_withheld_image_is_logged_the_same_way_by_all_three() {
    // the server: its own request log
    let sb_srv = Sandbox::new();
    let (_up1, api1) = filtering_api(&sb_srv);
    let (_, jpeg) = photo(320, 320);
    let body = browser_body(
        "a cat",
        "INPAINTING",
        &jpeg,
        Some(&titan_mask(320, 320, 100, 100, 64, 64)),
    );
    let a = post(&edit_url(&api1), None, &body);
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let server_log = history(&sb_srv.path("data"));

    // the CLI, through the api engine against a second such server
    let sb_cli = Sandbox::new();
    let (_up2, api2) = filtering_api(&sb_cli);
    sb_cli.save("in.png", &DynamicImage::ImageRgb8(textured(320, 320)));
    let out = sb_cli
        .cmd()
        .env("IMGEDIT_API_RETRY_BASE_MS", "10")
        .args([
            "edit",
            "in.png",
            "--engine",
            "api",
            "--api-url",
            &edit_url(&api2),
            "--token",
            "t",
            "--rect",
            "100,100,64,64",
            "-n",
            "2",
            "--prompt",
            "a cat",
            "-o",
            "out.png",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    // the CLI's own history is in its data directory, beside the server's
    let cli_log: Vec<Value> = history(&sb_cli.path("data"))
        .into_iter()
        .filter(|r| r["engine"] == "api")
        .collect();

    // the TUI, through the same engine against a third
    let sb_tui = Sandbox::new();
    let (_up3, api3) = filtering_api(&sb_tui);
    let tui_dir = tempfile::tempdir().unwrap();
    run_tui_job(&edit_url(&api3), tui_dir.path());
    let tui_log = history(tui_dir.path());

    for (who, log) in [
        ("server", &server_log),
        ("cli", &cli_log),
        ("tui", &tui_log),
    ] {
        assert_eq!(log.len(), 1, "{who}: {log:?}");
        let r = &log[0];
        assert_eq!(r["success"], false, "{who}: {r}");
        let msg = r["error_message"].as_str().unwrap_or_default();
        assert!(msg.starts_with("1 of 2 images were withheld"), "{who}: {r}");
        assert!(
            r["output_images_size_bytes"].as_u64().unwrap() > 0,
            "{who}: {r}"
        );
        assert!(
            r["image_base64_size_bytes"].as_u64().unwrap() > 0,
            "{who}: {r}"
        );
        assert_eq!(r["mode"], "INPAINTING", "{who}: {r}");
        if who != "server" {
            // the api engine's calls are named by the API's ids, which its log is keyed by
            assert!(
                !r["request_ids"].as_array().unwrap().is_empty(),
                "{who}: {r}"
            );
        }
    }
}

/// One TUI job on the sample with a rectangle, two images, through the api engine at `url`, to
/// its end; the history goes to `data_dir`.
fn run_tui_job(url: &str, data_dir: &std::path::Path) {
    let mut app = crate::tui::with_rect();
    app.work_dir = Some(data_dir.join("work"));
    app.params.engine = imgedit::edit::engine::EngineKind::Api;
    app.params.num_images = 2;
    app.params.prompt = "a cat".into();
    crate::tui::ApiRunner::new(url, data_dir).run(&mut app);
}

/// Text built from pieces of 1 to 4 bytes (and a combining mark), of a length near `around`
/// characters, so that any slice by byte index would land inside a character somewhere.
fn multibyte(rng: &mut impl rand::Rng, around: usize) -> String {
    const PIECES: &[&str] = &["a", "é", "中", "😀", "e\u{301}", " ", "\"", "\\", "ß"];
    let n = around.saturating_sub(3) + rng.random_range(0..7);
    (0..n)
        .map(|_| PIECES[rng.random_range(0..PIECES.len())])
        .collect()
}

/// Property: no prompt, negative prompt, search or select text and no file name, whatever its
/// characters and wherever a limit falls in it, makes a rule, a message, a record, a request
/// redaction or a status line panic; lengths are counted in characters.
#[test]
fn multibyte_text_anywhere_never_panics_and_is_counted_in_characters() {
    use imgedit::edit::job::{JobOptions, Selection};
    use imgedit::edit::options::ToolOptions;
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(15);
    let limits = imgedit::image_io::DecodeLimits::default();
    for case in 0..300 {
        for model in imgedit::edit::model::MODELS {
            let around = match case % 4 {
                0 => model.max_prompt_chars.unwrap_or(512),
                1 => 24,
                2 => imgedit::record::PROMPT_MAX_CHARS,
                _ => rng.random_range(0..40),
            };
            let text = multibyte(&mut rng, around);
            let chars = text.chars().count();
            let options = JobOptions {
                selection: Selection::default(),
                mode: None,
                canvas: None,
                prompt: Some(text.clone()),
                negative: Some(text.clone()),
                mask_prompt: None,
                search: Some(text.clone()),
                num_images: 1,
                seed: 1,
                cfg_scale: None,
                quality: None,
                model,
                limits,
                tool: ToolOptions {
                    select: Some(text.clone()),
                    ..Default::default()
                },
            };
            match options.check(64, 64) {
                Err(imgedit::error::Error::Invalid(v)) => {
                    let (cli, json, tui) = (
                        imgedit::cli::words::violation(&v),
                        imgedit::wire::image_edit::violation_message(&v),
                        imgedit::tui::words::violation(&v),
                    );
                    assert!(!cli.is_empty() && !json.is_empty() && !tui.is_empty());
                    if v.rule == imgedit::violation::Rule::MaxChars {
                        assert_eq!(v.value, chars.to_string(), "{cli}");
                    }
                }
                Err(e) => assert!(!e.to_string().is_empty()),
                Ok(()) => assert!(model.max_prompt_chars.is_none_or(|m| chars <= m)),
            }
            // a file name of the same text: the job names it, whatever it holds
            let src = DynamicImage::ImageRgb8(textured(8, 8));
            if let Err(e) = options.build(src, &text) {
                let _ = e.to_string();
            }
            let mut record = imgedit::record::EditRecord::new(model.id, &text, "INPAINTING");
            record.fail(&text);
            assert_eq!(
                record.prompt.chars().count(),
                chars.min(imgedit::record::PROMPT_MAX_CHARS)
            );
            let shown = imgedit::engine::bedrock::wire::redacted(
                &json!({"prompt": text, "image": text, "text": text, "mask": text}),
            );
            assert!(shown.is_object());
            let _ = imgedit::tui::update::ids_first(&format!("x [request id {text}"));
        }
        let missing = std::path::PathBuf::from(format!("{}.png", multibyte(&mut rng, 30)));
        let e = imgedit::image_io::load_image(&missing, &limits).unwrap_err();
        assert!(e.to_string().contains(&*missing.to_string_lossy()), "{e}");
    }
}
