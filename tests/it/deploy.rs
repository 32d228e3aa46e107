//! The deployment: `scripts/lambda-zip` packages the test build's `lambda` binary, CloudFormation
//! deploys `deploy/template.yaml` into MiniStack (`scripts/test` starts it, see common::ministack),
//! and the whole stack is driven as a user would: `deploy/config-js`, `imgedit config import`,
//! `imgedit login` (SRP) against the deployed pool, `imgedit edit --engine api` through API
//! Gateway's Cognito authorizer into the Lambda (MiniStack runs `bootstrap` through the Lambda
//! Runtime API), `imgedit history --table` on the deployed table; then the stack is deleted.
//!
//! What the emulator does not do, so this test cannot check it (the template keeps it all):
//! - it enforces neither API Gateway's 10 MB request limit nor Lambda's 6 MB payload limit, so the
//!   oversize request's 413 here is imgedit's own (`--max-body-bytes`, 6 MiB, inside the Lambda),
//!   the status AWS answers with too, but on AWS the Lambda (and so the request log) never sees it;
//! - the stage's throttling (MethodSettings), the log group's retention and the memory size are
//!   stored, not applied;
//! - its Bedrock answers text, not images, so the Bedrock deployment checks only the role: with
//!   AUTH=true MiniStack evaluates the role's policy for every call the Lambda makes, so the
//!   `dynamodb:PutItem` and `bedrock:InvokeModel` grants are really checked; but it takes a
//!   cross-region profile id (`us.stability.stable-image-inpaint-v1:0`) for a foundation model of that name,
//!   where AWS checks the inference-profile ARN and the foundation-model ARNs behind it, so the
//!   policy's `InferenceProfilePrefix` branch is left to cfn-lint and AWS.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use aws_sdk_cognitoidentityprovider as cip;
use image::{DynamicImage, RgbImage};
use serde_json::{Value, json};

use crate::common::*;

const PASSWORD: &str = "Deploy-Test-Passw0rd";
const ORIGIN: &str = "https://editor.example.com";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// MiniStack's Python (its botocore drives CloudFormation; the crate has no CloudFormation SDK).
fn python() -> PathBuf {
    let p = repo().join(".venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run the suite with scripts/test",
        p.display()
    );
    p
}

fn run_ok(c: &mut Command, what: &str) -> String {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A deployed stack; deleted on drop if the test did not delete it (and check that) itself.
struct Stack {
    url: String,
    name: String,
    describe: Value,
    deleted: bool,
}

impl Stack {
    fn deploy(url: &str, zip: &Path, params: &[String]) -> Stack {
        let name = format!(
            "imgedit-it-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let out = run_ok(
            Command::new(python())
                .arg(repo().join("tests/it/deploy_stack.py"))
                .args(["deploy", url, &name])
                .arg(repo().join("deploy/template.yaml"))
                .arg(zip)
                .args(params),
            "deploying deploy/template.yaml",
        );
        Stack {
            url: url.to_string(),
            name,
            describe: serde_json::from_str(&out).unwrap(),
            deleted: false,
        }
    }

    fn output(&self, key: &str) -> String {
        self.describe["Stacks"][0]["Outputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["OutputKey"] == key)
            .and_then(|o| o["OutputValue"].as_str())
            .unwrap_or_else(|| panic!("no output {key}: {}", self.describe))
            .to_string()
    }

    /// The emulator's address for an `https://{api}.execute-api.{region}.amazonaws.com/{stage}/...`
    /// invoke URL (MiniStack serves execute-api under `/_aws/execute-api/{api}/{stage}/...`).
    fn emulated(&self, invoke_url: &str) -> String {
        let rest = invoke_url.strip_prefix("https://").unwrap();
        let (host, path) = rest.split_once('/').unwrap();
        let api = host.split('.').next().unwrap();
        format!("{}/_aws/execute-api/{api}/{path}", self.url)
    }

    fn delete(&mut self) -> String {
        self.deleted = true;
        run_ok(
            Command::new(python())
                .arg(repo().join("tests/it/deploy_stack.py"))
                .args(["delete", &self.url, &self.name]),
            "deleting the stack",
        )
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if !self.deleted {
            let _ = Command::new(python())
                .arg(repo().join("tests/it/deploy_stack.py"))
                .args(["delete", &self.url, &self.name])
                .output();
        }
    }
}

fn create_user(url: &str, pool_id: &str, username: &str) {
    rt().block_on(async {
        let c = crate::cognito::admin(url).await;
        c.admin_create_user()
            .user_pool_id(pool_id)
            .username(username)
            .temporary_password("Temp-Passw0rd-123")
            .message_action(cip::types::MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
        c.admin_set_user_password()
            .user_pool_id(pool_id)
            .username(username)
            .password(PASSWORD)
            .permanent(true)
            .send()
            .await
            .unwrap();
    });
}

/// The Lambda zip of the test build's binary, made once per test run (both deployments use it).
fn package() -> &'static Path {
    static ZIP: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ZIP.get_or_init(|| {
        let zip = Path::new(env!("CARGO_TARGET_TMPDIR")).join("imgedit-lambda.zip");
        let out = run_ok(
            Command::new(repo().join("scripts/lambda-zip"))
                .args(["--binary", env!("CARGO_BIN_EXE_imgedit"), "--out"])
                .arg(&zip),
            "scripts/lambda-zip",
        );
        assert!(out.contains("needs glibc 2."), "{out}");
        zip
    })
}

fn count_changed(a: &RgbImage, b: &RgbImage, region: impl Fn(u32, u32) -> bool) -> usize {
    a.enumerate_pixels()
        .filter(|(x, y, p)| region(*x, *y) && **p != *b.get_pixel(*x, *y))
        .count()
}

/// Distinct colours in a region: a filled hole has texture, an untouched one is one flat colour.
fn distinct(a: &RgbImage, region: impl Fn(u32, u32) -> bool) -> usize {
    let mut v: Vec<[u8; 3]> = a
        .enumerate_pixels()
        .filter(|(x, y, _)| region(*x, *y))
        .map(|(_, _, p)| p.0)
        .collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

#[test]
fn lambda_zip_refuses_a_binary_that_needs_a_newer_glibc() {
    let sb = Sandbox::new();
    let out = Command::new(repo().join("scripts/lambda-zip"))
        .args(["--binary", env!("CARGO_BIN_EXE_imgedit"), "--out"])
        .arg(sb.path("z.zip"))
        // every glibc symbol is newer than 2.0: the check must name them and write nothing
        .env("IMGEDIT_LAMBDA_GLIBC_MAX", "2.0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("needs glibc 2."), "{stderr}");
    assert!(stderr.contains("@GLIBC_2."), "names the symbols: {stderr}");
    assert!(sb.files().is_empty(), "{:?}", sb.files());
    // not an ELF binary at all
    let out = Command::new(repo().join("scripts/lambda-zip"))
        .args(["--binary", "Cargo.toml", "--out"])
        .arg(sb.path("z.zip"))
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Cargo.toml is not an ELF binary"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_template_deploys_and_serves_edits_end_to_end() {
    let Some(url) = ministack() else { return };
    let sb = Sandbox::new();
    let t0 = Instant::now();
    let zip = package();
    let t_zip = t0.elapsed();

    let table = format!(
        "ImageGenerationTable-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let t1 = Instant::now();
    let mut stack = Stack::deploy(
        &url,
        zip,
        &[
            "Engine=local".into(),
            format!("TableName={table}"),
            format!("CorsOrigin={ORIGIN}"),
        ],
    );
    let t_deploy = t1.elapsed();
    assert_eq!(stack.output("Region"), "us-east-1");
    assert_eq!(stack.output("TableName"), table);
    let invoke_url = stack.output("InvokeUrl");
    assert!(
        invoke_url.starts_with("https://") && invoke_url.ends_with("/prod/image-edit"),
        "{invoke_url}"
    );
    let api_url = stack.emulated(&invoke_url);
    let pool_id = stack.output("UserPoolId");

    // config.js from the outputs, as the browser client and `imgedit config import` read it
    let mut child = Command::new(repo().join("deploy/config-js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        stack.describe.to_string().as_bytes(),
    )
    .unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(sb.path("config.js"), &out.stdout).unwrap();
    let js = String::from_utf8(out.stdout).unwrap();
    assert!(js.contains("window._workshopConfig"), "{js}");
    let user = |c: &mut assert_cmd::Command| {
        c.env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &url)
            .env("AWS_EC2_METADATA_DISABLED", "true");
    };
    let mut c = sb.cmd();
    user(&mut c);
    c.args(["config", "import", "config.js"]).assert().success();
    let toml = std::fs::read_to_string(sb.path("config/config.toml")).unwrap();
    for v in [&pool_id, &stack.output("UserPoolClientId"), &invoke_url] {
        assert!(toml.contains(v.as_str()), "{v} not in {toml}");
    }

    // a user in the deployed pool logs in with SRP (pool and client from the imported config)
    create_user(&url, &pool_id, "dana");
    let mut c = sb.cmd();
    user(&mut c);
    c.args(["login", "--username", "dana", "--password-stdin"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    let token = crate::cognito::cache(&sb)["id_token"]
        .as_str()
        .unwrap()
        .to_string();

    // the three edits through API Gateway and the Lambda; the config's URL is AWS's, so point the
    // api engine at the emulator's address of the same invoke URL
    // a red block inside the hole: filling the hole from its surroundings must remove it
    let red = |x: u32, y: u32| (26..38).contains(&x) && (20..32).contains(&y);
    let mut src = textured(80, 64);
    for (x, y, p) in src.enumerate_pixels_mut() {
        if red(x, y) {
            *p = image::Rgb([255, 0, 0]);
        }
    }
    sb.save("in.png", &DynamicImage::ImageRgb8(src.clone()));
    let edit = |args: &[&str]| {
        let mut c = sb.cmd();
        user(&mut c);
        let t = Instant::now();
        c.env("IMGEDIT_API_URL", &api_url)
            .args([
                "edit",
                "in.png",
                "--engine",
                "api",
                "-n",
                "1",
                "--prompt",
                "more of the same",
            ])
            .args(args)
            .assert()
            .success();
        t.elapsed()
    };
    let t_inpaint = edit(&["--rect", "20,16,24,20", "-o", "inpaint.png"]);
    let out = load_rgb(&sb.path("inpaint.png"));
    assert_eq!(out.dimensions(), (80, 64));
    let hole = |x: u32, y: u32| (20..44).contains(&x) && (16..36).contains(&y);
    assert_eq!(
        count_changed(&out, &src, |x, y| !hole(x, y)),
        0,
        "inpaint: outside the rectangle"
    );
    let still_red = out
        .enumerate_pixels()
        .filter(|(x, y, p)| red(*x, *y) && p.0 == [255, 0, 0])
        .count();
    assert_eq!(still_red, 0, "inpaint: the hole was not filled");
    assert!(
        count_changed(&out, &src, hole) >= 12 * 12,
        "inpaint: the hole did not change"
    );

    let mut t_warm = Vec::new();
    for (mode, file) in [
        ("outpaint", "outpaint.png"),
        ("precise-outpaint", "precise.png"),
    ] {
        t_warm.push(edit(&["--mode", mode, "--extend", "16,0,24,8", "-o", file]));
        let out = load_rgb(&sb.path(file));
        assert_eq!(out.dimensions(), (120, 72), "{mode}");
        let original = |x: u32, y: u32| (16..96).contains(&x) && y < 64;
        let kept = RgbImage::from_fn(80, 64, |x, y| *out.get_pixel(x + 16, y));
        // outpaint blends an 8 px band of the original at the seams (left, right, bottom);
        // precise-outpaint keeps every original pixel
        let band = if mode == "outpaint" { 8 } else { 0 };
        let away_from_seams = |x: u32, y: u32| x >= band && x < 80 - band && y < 64 - band;
        assert_eq!(
            count_changed(&kept, &src, away_from_seams),
            0,
            "{mode}: the original changed"
        );
        assert!(
            distinct(&out, |x, y| !original(x, y)) > 8,
            "{mode}: the new border is not filled"
        );
    }

    // API Gateway's answers: no token, a tampered token (signature), a token from nowhere
    let body = {
        let (_, jpeg) = photo(32, 32);
        let mut b = browser_body(
            "x",
            "INPAINTING",
            &jpeg,
            Some(&titan_mask(32, 32, 8, 8, 8, 8)),
        );
        b["num_images"] = json!(1);
        b
    };
    let unauthorized = |a: &Answer, what: &str| {
        assert_eq!(
            a.status,
            401,
            "{what}: {}",
            String::from_utf8_lossy(&a.body)
        );
        assert_eq!(a.json(), json!({"message": "Unauthorized"}), "{what}");
        // the template's gateway responses let a browser read the 401
        assert_eq!(
            a.header("access-control-allow-origin"),
            Some(ORIGIN),
            "{what}"
        );
    };
    unauthorized(&post(&api_url, None, &body), "no token");
    let tampered = crate::common::tampered(&token);
    unauthorized(
        &post(&api_url, Some(&tampered), &body),
        "tampered signature",
    );
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    parts[1] = base64_url(
        &serde_json::to_vec(&json!({"sub": "x", "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"), "token_use": "id"}))
            .unwrap(),
    );
    unauthorized(
        &post(&api_url, Some(&parts.join(".")), &body),
        "forged claims",
    );

    // the same request with the deployed pool's token: 200
    let ok = post(&api_url, Some(&token), &body);
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let ok_id = ok.json()["request_id"].as_str().unwrap().to_string();

    // an invoke URL that ends in the stage name (https://.../prod) works too
    let stage_root = api_url.trim_end_matches("/image-edit").to_string();
    let at_root = post(&stage_root, Some(&token), &body);
    assert_eq!(
        at_root.status,
        200,
        "{}",
        String::from_utf8_lossy(&at_root.body)
    );

    // the browser's preflight needs no token, at both paths; the original sample's client asks
    // for its two Access-Control-* request headers too
    let asked =
        "access-control-allow-headers,access-control-allow-origin,content-type,authorization";
    for url in [&api_url, &stage_root] {
        let preflight = rt().block_on(send_async(
            &reqwest::Client::new(),
            reqwest::Method::OPTIONS,
            url,
            &[
                ("Origin", ORIGIN),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", asked),
            ],
            Vec::new(),
        ));
        assert_eq!(
            preflight.status,
            200,
            "{url}: {}",
            String::from_utf8_lossy(&preflight.body)
        );
        assert_eq!(
            preflight.header("access-control-allow-origin"),
            Some(ORIGIN),
            "{url}"
        );
        let allowed = preflight
            .header("access-control-allow-headers")
            .unwrap_or("")
            .to_ascii_lowercase();
        for h in asked.split(',') {
            assert!(
                allowed.split(',').any(|a| a.trim() == h),
                "{url}: {h} not in {allowed}"
            );
        }
    }

    // an oversize body (7 MB, over Lambda's 6 MB): 413 with the rule, nothing edited
    let mut big = body.clone();
    big["base_image"] = json!(format!("data:image/jpeg;base64,{}", "A".repeat(7_000_000)));
    let too_big = post(&api_url, Some(&token), &big);
    assert_eq!(
        too_big.status,
        413,
        "{}",
        String::from_utf8_lossy(&too_big.body)
    );
    let big_id = too_big.json()["request_id"].as_str().unwrap().to_string();

    // one item per request that reached the Lambda: the three edits, the direct POST, the one at
    // the stage root and the oversize one (the 401s never got past API Gateway; preflights are not edits)
    let mut c = crate::dynamo::cmd(&sb, &url);
    let out = c
        .args(["history", "--table", &table, "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = v["records"].as_array().unwrap();
    let mut modes: Vec<&str> = records
        .iter()
        .map(|r| r["mode"].as_str().unwrap())
        .collect();
    modes.sort_unstable();
    assert_eq!(
        modes,
        [
            "",
            "INPAINTING",
            "INPAINTING",
            "INPAINTING",
            "OUTPAINTING",
            "precise-outpaint"
        ],
        "{v}"
    );
    let by_id = |id: &str| {
        records
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no item {id}: {v}"))
    };
    assert_eq!(by_id(&ok_id)["success"], true);
    assert_eq!(by_id(&big_id)["success"], false);
    assert_eq!(
        records.iter().filter(|r| r["success"] == true).count(),
        5,
        "{v}"
    );

    // teardown: the stack and what it made are gone
    let t2 = Instant::now();
    assert_eq!(stack.delete().trim(), "DELETE_COMPLETE");
    let t_delete = t2.elapsed();
    let mut c = crate::dynamo::cmd(&sb, &url);
    c.args(["history", "--table", &table]).assert().failure();
    eprintln!(
        "deployment test: zip {:.1} s, deploy {:.1} s, edits end to end (imgedit edit --engine api, login cached): first (cold Lambda) {:.2} s, then {:.2} s and {:.2} s; delete {:.1} s",
        t_zip.as_secs_f64(),
        t_deploy.as_secs_f64(),
        t_inpaint.as_secs_f64(),
        t_warm[0].as_secs_f64(),
        t_warm[1].as_secs_f64(),
        t_delete.as_secs_f64()
    );
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn the_bedrock_role_may_invoke_the_chosen_model_and_no_other() {
    let Some(url) = ministack() else { return };
    let table = format!(
        "ImageGenerationTable-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let mut stack = Stack::deploy(
        &url,
        package(),
        &[
            "Engine=bedrock".into(),
            // the emulator takes a profile id for a foundation model of that name (see the top),
            // so the profile ids go in as model ids here
            "ModelId=us.stability.stable-image-inpaint-v1:0".into(),
            "OutpaintModelId=us.stability.stable-outpaint-v1:0".into(),
            "InferenceProfilePrefix=".into(),
            format!("TableName={table}"),
        ],
    );
    let pool_id = stack.output("UserPoolId");
    let client_id = stack.output("UserPoolClientId");
    create_user(&url, &pool_id, "erin");
    // the app client allows USER_PASSWORD_AUTH too (SRP is the first test's)
    let token = rt().block_on(async {
        crate::cognito::admin(&url)
            .await
            .initiate_auth()
            .client_id(&client_id)
            .auth_flow(cip::types::AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", "erin")
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await
            .unwrap()
            .authentication_result()
            .unwrap()
            .id_token()
            .unwrap()
            .to_string()
    });
    let api_url = stack.emulated(&stack.output("InvokeUrl"));
    let (_, jpeg) = photo(320, 320);
    let mask = titan_mask(320, 320, 100, 100, 64, 64);
    let mut body = browser_body("x", "INPAINTING", &jpeg, Some(&mask));
    body["num_images"] = json!(1);

    // the chosen model: the role lets the call through (the emulator's Bedrock then answers
    // without an image, which imgedit reports as withheld)
    let a = post(&api_url, Some(&token), &body);
    let text = String::from_utf8_lossy(&a.body).into_owned();
    assert!(
        !text.contains("not authorized") && !text.contains("access denied"),
        "{}: {text}",
        a.status
    );
    assert!(text.contains("withheld"), "{}: {text}", a.status);
    // and its outpainting sibling, which serve calls for OUTPAINTING
    let mut out = browser_body("x", "OUTPAINTING", &jpeg, None);
    out["num_images"] = json!(1);
    let a = post(&api_url, Some(&token), &out);
    let text = String::from_utf8_lossy(&a.body).into_owned();
    assert!(
        !text.contains("not authorized") && !text.contains("access denied"),
        "{}: {text}",
        a.status
    );
    // what the call did return: Bedrock answered (without an image, as for inpainting), so the
    // role let the outpaint model's call through
    assert!(text.contains("withheld"), "{}: {text}", a.status);

    // any other model: Bedrock refuses the role, and imgedit says what to allow
    run_ok(
        Command::new(python())
            .arg(repo().join("tests/it/deploy_stack.py"))
            .args(["set-env", &url, &stack.output("FunctionName")])
            .arg("IMGEDIT_MODEL=amazon.titan-image-generator-v2:0"),
        "changing the function's model",
    );
    let a = post(&api_url, Some(&token), &body);
    let text = String::from_utf8_lossy(&a.body).into_owned();
    assert!(
        text.contains("access denied to amazon.titan-image-generator-v2:0")
            && text.contains("not authorized to perform: bedrock:InvokeModel"),
        "{}: {text}",
        a.status
    );
    assert_eq!(stack.delete().trim(), "DELETE_COMPLETE");
}
