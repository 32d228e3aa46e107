//! Packaging and configuration: completions, man page, dist config, `imgedit config`, help.

use std::path::Path;

use clap_complete::Shell;
use image::DynamicImage;
use predicates::prelude::*;

use crate::common::*;

const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

/// Fails when `completions/` is stale; `UPDATE_COMPLETIONS=1 cargo test` rewrites it.
#[test]
fn committed_completions_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let update = std::env::var_os("UPDATE_COMPLETIONS").is_some();
    for shell in SHELLS {
        let fresh = imgedit::commands::packaging::completions(shell);
        let path = dir.join(imgedit::commands::packaging::completion_file_name(shell));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{} is stale: run `UPDATE_COMPLETIONS=1 cargo test committed_completions` and commit it",
            path.display()
        );
    }
}

#[test]
fn completions_command_prints_the_script() {
    let sb = Sandbox::new();
    sb.cmd()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("_imgedit()").and(predicate::str::contains("--mask-dir")));
}

#[test]
fn man_page_renders() {
    let sb = Sandbox::new();
    sb.cmd()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(".ie").and(predicate::str::contains("imgedit")));
}

#[test]
fn help_documents_the_exit_codes() {
    let sb = Sandbox::new();
    sb.cmd().args(["edit", "--help"]).assert().success().stdout(
        predicate::str::contains("3  bad input")
            .and(predicate::str::contains("6  some items of a batch failed")),
    );
}

#[test]
fn config_init_show_and_path() {
    let sb = Sandbox::new();
    sb.cmd()
        .args(["config", "path"])
        .assert()
        .success()
        .stdout(predicate::str::contains("config.toml"));
    sb.cmd().args(["config", "init"]).assert().success();
    assert!(sb.path("config/config.toml").exists());
    sb.cmd()
        .args(["config", "init"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("already exists"));
    sb.cmd()
        .args(["config", "show"])
        .env("IMGEDIT_REGION", "eu-west-1")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("region = \"eu-west-1\"")
                .and(predicate::str::contains("max_pixels = 120000000")),
        );
}

#[test]
fn config_file_chooses_the_engine() {
    let sb = Sandbox::new();
    sb.save("in.png", &image::DynamicImage::ImageRgb8(textured(16, 16)));
    std::fs::create_dir_all(sb.path("config")).unwrap();
    std::fs::write(sb.path("config/config.toml"), "engine = \"api\"\n").unwrap();
    sb.cmd()
        .args(["edit", "in.png", "--rect", "1,1,4,4", "-o", "o.png"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("api engine needs the API's URL"));
    // a flag beats the file
    sb.cmd()
        .args([
            "edit", "in.png", "--rect", "1,1,4,4", "-o", "o.png", "--engine", "local",
        ])
        .assert()
        .success();
}

#[test]
fn dist_workspace_has_the_promised_shape() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("dist-workspace.toml")).unwrap();
    let v: toml::Value = toml::from_str(&text).unwrap();
    assert!(
        v["workspace"]["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m.as_str() == Some("cargo:."))
    );
    let dist = &v["dist"];
    let targets: Vec<&str> = dist["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    for t in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(targets.contains(&t), "missing target {t}");
    }
    let installers: Vec<&str> = dist["installers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    assert!(installers.contains(&"shell") && installers.contains(&"powershell"));
    let include: Vec<&str> = dist["include"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    for f in ["completions/", "imgedit.1"] {
        assert!(include.contains(&f), "archives must include {f}");
        assert!(
            root.join(f).exists(),
            "{f} is listed for the archives but missing"
        );
    }
    // dist puts README.md, CHANGELOG.md and LICENSE into every archive by itself (`dist plan`
    // lists them); naming them in `include` as well put each in twice
    for f in ["README.md", "CHANGELOG.md", "LICENSE"] {
        assert!(!include.contains(&f), "{f} is included by dist itself");
        assert!(root.join(f).exists(), "{f} is missing");
    }
    assert!(dist["cargo-dist-version"].as_str().is_some());
}

#[test]
fn committed_man_page_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = imgedit::commands::packaging::man_page().unwrap();
    if std::env::var_os("UPDATE_COMPLETIONS").is_some() {
        std::fs::write(root.join("imgedit.1"), &fresh).unwrap();
    }
    assert!(
        std::fs::read(root.join("imgedit.1")).unwrap_or_default() == fresh,
        "imgedit.1 is stale: run `UPDATE_COMPLETIONS=1 cargo test committed_man_page` and commit it"
    );
}

#[test]
fn config_import_reads_the_browser_clients_config_js() {
    let sb = Sandbox::new();
    std::fs::write(
        sb.path("config.js"),
        "window._workshopConfig = {\n  cognito: { userPoolId: 'us-west-2_Pool1', userPoolClientId: 'client123', region: 'us-west-2' },\n  api: { invokeUrl: 'https://x.execute-api.us-west-2.amazonaws.com/prod' }\n};\n",
    )
    .unwrap();
    sb.cmd()
        .args(["config", "import", "config.js"])
        .assert()
        .success();
    sb.cmd().args(["config", "show"]).assert().success().stdout(
        predicate::str::contains("user_pool_id = \"us-west-2_Pool1\"")
            .and(predicate::str::contains("client_id = \"client123\""))
            .and(predicate::str::contains(
                "api_url = \"https://x.execute-api.us-west-2.amazonaws.com/prod\"",
            )),
    );
    // an existing file is kept unless --force, and then backed up
    sb.cmd()
        .args(["config", "import", "config.js"])
        .assert()
        .code(3);
    sb.cmd()
        .args(["config", "import", "config.js", "--force"])
        .assert()
        .success();
    assert!(sb.path("config/config.toml.bak").exists());
    std::fs::write(sb.path("bad.js"), "var nothing = 1;").unwrap();
    sb.cmd()
        .args(["config", "import", "bad.js", "--force"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("bad.js"));
}

#[test]
fn verbose_logging_goes_to_stderr_or_the_log_file() {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(32, 32)));
    sb.cmd()
        .args(["-v", "edit", "in.png", "--rect", "4,4,8,8", "-o", "a.png"])
        .assert()
        .success()
        .stderr(predicate::str::contains("DEBUG").and(predicate::str::contains("wrote")));
    // quiet by default
    sb.cmd()
        .args(["edit", "in.png", "--rect", "4,4,8,8", "-o", "b.png"])
        .assert()
        .success()
        .stderr(predicate::str::contains("DEBUG").not());
    sb.cmd()
        .args(["edit", "in.png", "--rect", "4,4,8,8", "-o", "c.png", "-v"])
        .args(["--log-file", "imgedit.log"])
        .assert()
        .success()
        .stderr(predicate::str::contains("DEBUG").not());
    let log = std::fs::read_to_string(sb.path("imgedit.log")).unwrap();
    assert!(log.contains("DEBUG") && log.contains("c.png"), "{log}");
    // the TUI owns the terminal: its log needs a file
    sb.cmd()
        .args(["tui", "-v", "in.png"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--log-file"));
    sb.cmd()
        .env("IMGEDIT_LOG", "imgedit=[")
        .args(["edit", "in.png", "--rect", "4,4,8,8", "-o", "d.png"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("IMGEDIT_LOG"));
}
