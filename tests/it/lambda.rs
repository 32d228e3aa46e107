//! The Lambda adapter: API Gateway proxy events (REST and HTTP API shapes, as API Gateway sends
//! them after its Cognito authorizer) through the same handler as `imgedit serve`.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::common::*;
use imgedit::engine::LocalEngine;
use imgedit::server::image_edit::EditService;
use imgedit::server::{AppState, lambda};

fn state() -> Arc<AppState> {
    Arc::new(AppState {
        edit: Some(EditService::new(
            Box::new(LocalEngine),
            imgedit::edit::model::local(),
        )),
        ..AppState::default()
    })
}

fn fixture(name: &str, body: &str) -> String {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/apigw/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    text.replace("__BODY__", body)
}

fn run(event: &str) -> Value {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(lambda::handle_event(state(), event))
        .unwrap()
}

fn request_json() -> String {
    let jpeg = jpeg_bytes(&textured(48, 40), None);
    let mask = titan_mask(48, 40, 10, 10, 12, 12);
    browser_body("a pebble", "INPAINTING", &jpeg, Some(&mask)).to_string()
}

fn body_of(resp: &Value) -> Value {
    let body = resp["body"].as_str().unwrap();
    let bytes = if resp["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    } else {
        body.as_bytes().to_vec()
    };
    serde_json::from_slice(&bytes).unwrap()
}

/// A response header, from `headers` or (REST APIs) `multiValueHeaders`.
fn header<'a>(resp: &'a Value, name: &str) -> Option<&'a str> {
    ["headers", "multiValueHeaders"].iter().find_map(|key| {
        resp[*key]
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str().or_else(|| v.get(0)?.as_str()))
    })
}

#[test]
fn rest_api_event_edits_and_answers_with_cors() {
    // REST APIs pass the body as a JSON string
    let body = serde_json::to_string(&request_json()).unwrap();
    let event = fixture("rest-image-edit.json", body.trim_matches('"'));
    let resp = run(&event);
    assert_eq!(
        resp["statusCode"],
        200,
        "{}",
        &resp.to_string()[..300.min(resp.to_string().len())]
    );
    assert_eq!(header(&resp, "access-control-allow-origin"), Some("*"));
    let v = body_of(&resp);
    let images = v["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(
        decode_b64_image(images[0].as_str().unwrap()).dimensions(),
        (48, 40)
    );
    assert_eq!(header(&resp, "x-request-id"), v["request_id"].as_str());
}

#[test]
fn http_api_event_with_a_base64_body_and_a_stage_in_the_path() {
    let body = base64::engine::general_purpose::STANDARD.encode(request_json());
    let resp = run(&fixture("http-image-edit.json", &body));
    assert_eq!(resp["statusCode"], 200);
    assert_eq!(body_of(&resp)["images"].as_array().unwrap().len(), 2);
}

#[test]
fn validation_errors_and_preflight_through_lambda() {
    let bad =
        json!({"prompt": {"text": "x", "mode": "INPAINTING"}, "base_image": "AAAA"}).to_string();
    let body = serde_json::to_string(&bad).unwrap();
    let resp = run(&fixture("rest-image-edit.json", body.trim_matches('"')));
    assert_eq!(resp["statusCode"], 400);
    assert_eq!(body_of(&resp)["field"], "mask");

    let preflight = fixture("rest-image-edit.json", "")
        .replace("\"httpMethod\": \"POST\"", "\"httpMethod\": \"OPTIONS\"");
    let resp = run(&preflight);
    assert_eq!(resp["statusCode"], 200);
    assert_eq!(
        header(&resp, "access-control-allow-methods"),
        Some("OPTIONS,POST,GET")
    );
}

/// A state that holds everything a local test server may: planned faults, the fault control and
/// the Bedrock-compatible endpoint. The Lambda adapter must mount none of it.
fn loaded_state() -> Arc<AppState> {
    let mut plan = imgedit::server::faults::FaultPlan::default();
    plan.apply_spec("throttle=1000").unwrap();
    Arc::new(AppState {
        edit: Some(EditService::new(
            Box::new(LocalEngine),
            imgedit::edit::model::local(),
        )),
        faults: imgedit::server::faults::Faults::new(plan.clone()),
        fault_control: true,
        bedrock: Some(imgedit::server::bedrock::BedrockService {
            concurrency: imgedit::server::Concurrency::new(1),
            engine: std::sync::Arc::new(LocalEngine),
        }),
        ..AppState::default()
    })
}

#[test]
fn the_lambda_adapter_mounts_no_fault_control_and_no_bedrock_endpoint() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for (path, body) in [
        ("/__imgedit/faults", r#"{\"throttle\": 0}"#),
        (
            "/model/us.stability.stable-image-inpaint-v1:0/invoke",
            r#"{\"prompt\": \"x\"}"#,
        ),
    ] {
        let event = fixture("rest-image-edit.json", body)
            .replace(
                "\"path\": \"/image-edit\"",
                &format!("\"path\": \"{path}\""),
            )
            .replace(
                "\"resource\": \"/image-edit\"",
                "\"resource\": \"/{proxy+}\"",
            );
        let resp = rt
            .block_on(lambda::handle_event(loaded_state(), &event))
            .unwrap();
        assert_eq!(resp["statusCode"], 404, "{path}: {resp}");
    }
}

#[test]
fn the_stage_root_answers_through_lambda() {
    // API Gateway REST sends the stage root as path "/"; the adapter makes it "/prod/"
    let body = serde_json::to_string(&request_json()).unwrap();
    let event = fixture("rest-image-edit.json", body.trim_matches('"'))
        .replace("\"path\": \"/image-edit\"", "\"path\": \"/\"")
        .replace("\"resource\": \"/image-edit\"", "\"resource\": \"/\"");
    let resp = run(&event);
    assert_eq!(
        resp["statusCode"],
        200,
        "{}",
        &resp.to_string()[..300.min(resp.to_string().len())]
    );
    let preflight = fixture("rest-image-edit.json", "")
        .replace("\"httpMethod\": \"POST\"", "\"httpMethod\": \"OPTIONS\"")
        .replace("\"path\": \"/image-edit\"", "\"path\": \"/\"");
    let resp = run(&preflight);
    assert_eq!(resp["statusCode"], 200);
    assert!(
        header(&resp, "access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase()
            .contains("access-control-allow-origin")
    );
}
