//! The DynamoDB request log and `imgedit history --table` against MiniStack on 127.0.0.1
//! (`scripts/test` starts it and sets IMGEDIT_TEST_MINISTACK; without it the tests are skipped
//! with a message, unless CI is set, where they fail). Each test uses its own table.

use std::collections::HashMap;

use aws_sdk_dynamodb as ddb;
use ddb::types::AttributeValue;
use imgedit::record::EditRecord;
use imgedit::record::dynamo::DynamoLog;
use predicates::prelude::*;

use crate::common::*;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn client(url: &str) -> ddb::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(ddb::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .load()
        .await;
    ddb::Client::new(&cfg)
}

pub fn unique_table() -> String {
    format!("imgedit-{}", uuid::Uuid::new_v4().simple())
}

/// A log over a fresh table (created unless `create` is false).
async fn log(url: &str, create: bool) -> DynamoLog {
    let log = DynamoLog::from_client(client(url).await, &unique_table());
    if create {
        assert!(log.create_table_if_missing().await.unwrap());
    }
    log
}

async fn get_raw(url: &str, table: &str, id: &str) -> HashMap<String, AttributeValue> {
    client(url)
        .await
        .get_item()
        .table_name(table)
        .key("id", AttributeValue::S(id.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the item was written")
}

fn record(ms: u64, error: Option<&str>) -> EditRecord {
    let mut r = EditRecord::new("amazon.nova-canvas-v1:0", "a blue sky", "OUTPAINTING");
    r.image_base64_size_bytes = 1000;
    r.mask_base64_size_bytes = 200;
    r.generation_time_ms = ms;
    match error {
        Some(e) => r.fail(e),
        None => {
            r.success = true;
            r.output_images_size_bytes = 3000;
        }
    }
    r
}

/// `imgedit` pointed at the emulator with dummy credentials and no AWS config from outside.
pub fn cmd(sb: &Sandbox, url: &str) -> assert_cmd::Command {
    let mut c = sb.cmd();
    for k in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_DEFAULT_REGION",
    ] {
        c.env_remove(k);
    }
    c.env("AWS_ENDPOINT_URL_DYNAMODB", url)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", sb.path("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", sb.path("aws-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    c
}

#[test]
fn create_table_if_missing_creates_once() {
    let Some(url) = ministack() else { return };
    rt().block_on(async {
        let log = log(&url, false).await;
        assert!(log.create_table_if_missing().await.unwrap(), "created");
        assert!(!log.create_table_if_missing().await.unwrap(), "exists");
        let t = client(&url)
            .await
            .describe_table()
            .table_name(log.table())
            .send()
            .await
            .unwrap();
        let t = t.table().unwrap();
        assert_eq!(t.table_status(), Some(&ddb::types::TableStatus::Active));
        let key = &t.key_schema()[0];
        assert_eq!(
            (key.attribute_name(), key.key_type()),
            ("id", &ddb::types::KeyType::Hash)
        );
    });
}

#[test]
fn put_writes_exactly_the_schema() {
    let Some(url) = ministack() else { return };
    rt().block_on(async {
        let log = log(&url, true).await;
        let mut ok = record(1234, None);
        ok.engine = Some("bedrock".into());
        ok.outputs = vec!["out.png".into()];
        ok.prompt = "p".repeat(1500);
        let mut failed = record(50, None);
        failed.fail("throttled");
        failed.error_message = Some("é".repeat(900));
        log.put(&ok).await.unwrap();
        log.put(&failed).await.unwrap();

        let s = ["id", "timestamp", "model_id", "prompt", "mode"];
        let n = [
            "image_base64_size_bytes",
            "mask_base64_size_bytes",
            "output_images_size_bytes",
            "generation_time_ms",
        ];
        for (r, with_error) in [(&ok, false), (&failed, true)] {
            let item = get_raw(&url, log.table(), &r.id).await;
            let mut want: Vec<&str> = s.iter().chain(&n).copied().collect();
            want.push("success");
            if with_error {
                want.push("error_message");
            }
            want.sort_unstable();
            let mut got: Vec<&str> = item.keys().map(String::as_str).collect();
            got.sort_unstable();
            assert_eq!(got, want, "exactly the schema's attributes");
            for k in s {
                assert!(item[k].is_s(), "{k} is S: {:?}", item[k]);
            }
            for k in n {
                assert!(item[k].is_n(), "{k} is N: {:?}", item[k]);
            }
            assert_eq!(item["success"], AttributeValue::Bool(!with_error));
            assert_eq!(
                item["generation_time_ms"],
                AttributeValue::N(r.generation_time_ms.to_string())
            );
            assert_eq!(item["mode"].as_s().unwrap(), "OUTPAINTING");
        }
        let item = get_raw(&url, log.table(), &ok.id).await;
        assert_eq!(item["prompt"].as_s().unwrap().chars().count(), 1000);
        let item = get_raw(&url, log.table(), &failed.id).await;
        assert_eq!(item["error_message"].as_s().unwrap(), &"é".repeat(500));

        let (back, bad) = log.scan_all().await.unwrap();
        assert_eq!((back.len(), bad), (2, 0));
        let back_ok = back.iter().find(|r| r.id == ok.id).unwrap();
        assert_eq!(back_ok.engine, None, "engine stays local");
        assert!(back_ok.outputs.is_empty(), "outputs stay local");
    });
}

#[test]
fn put_into_a_missing_table_names_it() {
    let Some(url) = ministack() else { return };
    rt().block_on(async {
        let log = log(&url, false).await;
        let err = log.put(&record(1, None)).await.unwrap_err().to_string();
        assert!(
            err.contains(log.table()) && err.contains("does not exist"),
            "{err}"
        );
        let err = log.scan_all().await.unwrap_err().to_string();
        assert!(err.contains(log.table()), "{err}");
    });
}

#[test]
fn history_table_reads_the_records_back() {
    let Some(url) = ministack() else { return };
    let table = rt().block_on(async {
        let log = log(&url, true).await;
        // Written out of order: history sorts by timestamp.
        let stamps = [
            "2025-01-01T00:00:03.000Z",
            "2025-01-01T00:00:01.000Z",
            "2025-01-01T00:00:02.000Z",
        ];
        let records = [
            record(30, None),
            record(10, None),
            record(99, Some("content filter")),
        ];
        for (mut r, ts) in records.into_iter().zip(stamps) {
            r.timestamp = ts.into();
            log.put(&r).await.unwrap();
        }
        // An item off the schema is skipped, not fatal.
        client(&url)
            .await
            .put_item()
            .table_name(log.table())
            .item("id", AttributeValue::S("not-a-record".into()))
            .send()
            .await
            .unwrap();
        log.table().to_string()
    });

    let sb = Sandbox::new();
    let out = cmd(&sb, &url)
        .args(["history", "--table", &table, "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["summary"]["count"], 3);
    assert_eq!(v["summary"]["succeeded"], 2);
    let rate = v["summary"]["success_rate"].as_f64().unwrap();
    assert!((rate - 2.0 / 3.0).abs() < 1e-9, "{rate}");
    assert_eq!(v["summary"]["median_generation_time_ms"], 20);
    let times: Vec<u64> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["generation_time_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(times, [10, 99, 30], "oldest first");
    assert_eq!(v["records"][1]["error_message"], "content filter");

    // The table may also come from DYNAMODB_TABLE_NAME; --last limits the lines, not the summary.
    cmd(&sb, &url)
        .env("DYNAMODB_TABLE_NAME", &table)
        .args(["history", "--last", "2"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("2025-01-01T00:00:02.000Z")
                .and(predicate::str::contains("content filter"))
                .and(predicate::str::contains("OUTPAINTING"))
                .and(predicate::str::contains("2025-01-01T00:00:01.000Z").not())
                .and(predicate::str::contains(
                    "3 edits, 67% succeeded, median generation time 20 ms",
                )),
        )
        .stderr(predicate::str::contains(format!(
            "DynamoDB table {table}: 1 unreadable item(s) skipped"
        )));
}

#[test]
fn history_of_a_missing_table_fails_clearly() {
    let Some(url) = ministack() else { return };
    let sb = Sandbox::new();
    let table = unique_table();
    cmd(&sb, &url)
        .args(["history", "--table", &table])
        .assert()
        .code(4)
        .stdout("")
        .stderr(format!(
            "error: DynamoDB table {table}: does not exist (create it with imgedit serve --create-table)\n"
        ));
}

#[test]
fn history_of_an_unreachable_endpoint_fails_fast() {
    // No emulator needed: nothing listens on port 1.
    let sb = Sandbox::new();
    let started = std::time::Instant::now();
    cmd(&sb, "http://127.0.0.1:1")
        .args(["history", "--table", "T"])
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("DynamoDB table T: cannot be read: cannot reach DynamoDB")
                .and(predicate::str::contains("DispatchFailure").not()),
        );
    assert!(started.elapsed().as_secs() < 15, "{:?}", started.elapsed());
}
