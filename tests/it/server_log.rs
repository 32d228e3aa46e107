//! `imgedit serve`'s request log in DynamoDB (the emulator): every edit logged, and a log that
//! fails or hangs never fails the edit.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::common::*;

fn dynamo_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_DYNAMODB", url.to_string()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

#[test]
fn the_request_log_goes_to_dynamodb_and_a_failed_write_never_fails_the_edit() {
    let Some(url) = ministack() else { return };
    let sb = Sandbox::new();
    let env = dynamo_env(&url);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let table = crate::dynamo::unique_table();
    let s = serve(
        &sb,
        &["--no-auth", "--table", &table, "--create-table"],
        &env,
    );
    assert!(
        s.stderr()
            .contains(&format!("created DynamoDB table {table}")),
        "{}",
        s.stderr()
    );
    let ok = post(&edit_url(&s), None, &small_request());
    assert_eq!(ok.status, 200);
    let mut bad = small_request();
    bad["prompt"]["mode"] = json!("SKETCH");
    assert_eq!(post(&edit_url(&s), None, &bad).status, 400);
    let out = crate::dynamo::cmd(&sb, &url)
        .args(["history", "--table", &table, "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let records = v["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{v}");
    let good = records.iter().find(|r| r["success"] == true).unwrap();
    assert_eq!(good["id"], ok.json()["request_id"]);
    assert_eq!(good["mode"], "INPAINTING");
    assert_eq!(good["model_id"], "local");
    let failed = records.iter().find(|r| r["success"] == false).unwrap();
    assert_eq!(failed["model_id"], "unknown");
    assert!(
        failed["error_message"]
            .as_str()
            .unwrap()
            .contains("prompt.mode")
    );

    // a table that does not exist: the edit still succeeds, the server says why nothing was logged
    let s = serve(
        &sb,
        &["--no-auth", "--table", "no-such-table-imgedit"],
        &env,
    );
    let a = post(&edit_url(&s), None, &small_request());
    assert_eq!(a.status, 200, "{}", short(&a.body));
    let log = s.stderr_with("request log write failed");
    assert!(
        log.contains("request log write failed") && log.contains("no-such-table-imgedit"),
        "{log}"
    );
}

#[test]
fn dynamodb_down_or_hanging_never_fails_the_edit() {
    // a port that refuses connections, and one that accepts and never answers
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hanging = format!("http://{}", silent.local_addr().unwrap());
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for conn in silent.incoming().flatten() {
            keep.lock().unwrap().push(conn);
        }
    });
    for endpoint in [refused, hanging] {
        let sb = Sandbox::new();
        let s = serve(
            &sb,
            &["--no-auth", "--table", "ImageGenerationTable"],
            &[
                ("AWS_ENDPOINT_URL_DYNAMODB", &endpoint),
                ("AWS_ACCESS_KEY_ID", "test"),
                ("AWS_SECRET_ACCESS_KEY", "test"),
                ("AWS_REGION", "us-east-1"),
            ],
        );
        let t = std::time::Instant::now();
        let a = post(&edit_url(&s), None, &small_request());
        assert_eq!(a.status, 200, "{endpoint}: {}", short(&a.body));
        assert!(!a.json()["images"].as_array().unwrap().is_empty());
        // the log write gives up within its 5 s operation timeout
        assert!(
            t.elapsed() < std::time::Duration::from_secs(15),
            "{endpoint}: {:?}",
            t.elapsed()
        );
        let log = s.stderr_with("request log write failed");
        assert!(
            log.contains("request log write failed"),
            "{endpoint}: {log}"
        );
    }
}
