//! `imgedit serve`'s `/image-edit` API on 127.0.0.1 doing edits: the browser client's requests
//! against the local engine, and `--engine bedrock` in front of `serve --bedrock`.

use image::{DynamicImage, GrayImage, Luma};
use serde_json::{Value, json};

use crate::common::*;

#[test]
fn inpainting_the_browser_clients_way() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth"], &[]);
    assert!(
        s.stderr().contains("--no-auth"),
        "no warning: {}",
        s.stderr()
    );
    // the hole is painted magenta in what is sent: the engine must fill it from the texture around
    let mut sent = textured(96, 80);
    for y in 20..40 {
        for x in 30..54 {
            sent.put_pixel(x, y, image::Rgb([255, 0, 255]));
        }
    }
    let jpeg = jpeg_bytes(&sent, None);
    let seen = image::load_from_memory(&jpeg).unwrap().to_rgb8();
    let mask = titan_mask(96, 80, 30, 20, 24, 20);
    let a = post(
        &edit_url(&s),
        None,
        &browser_body("a stone", "INPAINTING", &jpeg, Some(&mask)),
    );
    assert_eq!(a.status, 200, "{}", short(&a.body));
    let v = a.json();
    assert_eq!(v["model_used"], "titan");
    assert_eq!(v["model_id"], "local");
    let id = v["request_id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    assert_eq!(a.header("x-request-id"), Some(id));
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    let images = v["images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "the original's default is two images");
    for img in images {
        let out = decode_b64_image(img.as_str().unwrap());
        assert_eq!(out.dimensions(), (96, 80));
        let inside = |x: u32, y: u32| (30..54).contains(&x) && (20..40).contains(&y);
        assert_eq!(changed_outside(&out, &seen, inside), 0);
        let magenta = out
            .enumerate_pixels()
            .filter(|(x, y, p)| inside(*x, *y) && p[0] > 200 && p[1] < 60 && p[2] > 200)
            .count();
        assert_eq!(magenta, 0, "the hole was not filled");
    }
    // the stage root and a stage-prefixed path answer too; "Bearer" and raw tokens are both fine
    let body = json!({
        "prompt": {"text": "", "mode": "INPAINTING"},
        "base_image": v["images"][0], "mask": browser_body("", "", &jpeg, Some(&mask))["mask"],
        "num_images": 1, "seed": 7
    });
    for path in ["/", "/prod/image-edit"] {
        let a = post(&format!("{}{path}", s.url), Some("Bearer whatever"), &body);
        assert_eq!(a.status, 200, "{path}: {}", short(&a.body));
        assert_eq!(a.json()["images"].as_array().unwrap().len(), 1);
        assert_eq!(a.json()["seeds"], json!([7]));
    }
    // the request log has one record per request and no image data
    let log = std::fs::read_to_string(sb.path("data/history.jsonl")).unwrap();
    let records: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["id"], id);
    assert_eq!(records[0]["mode"], "INPAINTING");
    assert_eq!(records[0]["success"], true);
    assert!(records[0]["image_base64_size_bytes"].as_u64().unwrap() > 0);
    assert!(records[0]["output_images_size_bytes"].as_u64().unwrap() > 0);
    let chunk = &b64(&jpeg)[100..160];
    assert!(!log.contains(chunk), "image data in the request log");
    assert!(
        !s.stderr().contains(chunk),
        "image data in the server's log"
    );
}

#[test]
fn outpainting_with_a_null_mask_uses_canvas_config() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth"], &[]);
    let (seen, jpeg) = photo(64, 48);
    // no canvas_config: the documented default canvas, 1.5 times the image, original centred
    let a = post(
        &edit_url(&s),
        None,
        &browser_body("more sky", "OUTPAINTING", &jpeg, None),
    );
    assert_eq!(a.status, 200, "{}", short(&a.body));
    let out = decode_b64_image(a.json()["images"][0].as_str().unwrap());
    assert_eq!(out.dimensions(), (96, 72));

    // precise-outpaint works (the original sent it to Bedrock verbatim and always failed) and
    // keeps every original pixel
    let mut body = browser_body("more sky", "precise-outpaint", &jpeg, None);
    body["canvas_config"] = json!({"extend": [0, 0, 32, 16]});
    body["num_images"] = json!(1);
    let a = post(&edit_url(&s), None, &body);
    assert_eq!(a.status, 200, "{}", short(&a.body));
    let out = decode_b64_image(a.json()["images"][0].as_str().unwrap());
    assert_eq!(out.dimensions(), (96, 64));
    for (x, y, p) in seen.enumerate_pixels() {
        assert_eq!(out.get_pixel(x, y), p, "original pixel {x},{y} changed");
    }
    body["canvas_config"] = json!({"width": 100, "height": 48, "anchor": "right"});
    let a = post(&edit_url(&s), None, &body);
    assert_eq!(a.status, 200, "{}", short(&a.body));
    let out = decode_b64_image(a.json()["images"][0].as_str().unwrap());
    assert_eq!(out.dimensions(), (100, 48));
    assert_eq!(out.get_pixel(36, 0), seen.get_pixel(0, 0));

    // OUTPAINTING with a drawn mask: Titan's polarity, black = keep, white = generate
    let m = GrayImage::from_fn(64, 48, |x, _| Luma([if x < 48 { 0 } else { 255 }]));
    let mut png = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageLuma8(m)
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let mut body = browser_body("more", "precise-outpaint", &jpeg, Some(&png.into_inner()));
    body["num_images"] = json!(1);
    let a = post(&edit_url(&s), None, &body);
    assert_eq!(a.status, 200, "{}", short(&a.body));
    let out = decode_b64_image(a.json()["images"][0].as_str().unwrap());
    assert_eq!(out.dimensions(), (64, 48));
    assert_eq!(changed_outside(&out, &seen, |x, _| x >= 48), 0);
}

#[test]
fn bedrock_errors_keep_their_class_and_code() {
    let sb = Sandbox::new();
    let (_up, api) = bedrock_backed(&sb, &["throttle=1", "unavailable=1"]);
    let (_, jpeg) = photo(512, 512);
    let mut body = browser_body(
        "a cat",
        "INPAINTING",
        &jpeg,
        Some(&titan_mask(512, 512, 100, 100, 64, 64)),
    );
    // one call per request: a Stability tool makes one image per call
    body["num_images"] = json!(1);
    let a = post(&edit_url(&api), None, &body);
    assert_eq!(a.status, 429, "{}", short(&a.body));
    assert_eq!(a.json()["error_code"], "ThrottlingException");
    // "titan" maps to a living model: Titan v2 reached end of life on 2026-06-30
    assert_eq!(
        a.json()["model_attempted"],
        "us.stability.stable-image-inpaint-v1:0"
    );
    assert!(a.header("retry-after").is_some());
    let a = post(&edit_url(&api), None, &body);
    assert_eq!(a.status, 503, "{}", short(&a.body));
    assert_eq!(a.json()["error_code"], "ServiceUnavailableException");
    let ok = post(&edit_url(&api), None, &body);
    assert_eq!(ok.status, 200, "{}", short(&ok.body));
    assert_eq!(ok.json()["images"].as_array().unwrap().len(), 1);
    // the served model's limits apply before any Bedrock call, with the field's name
    let mut long = body.clone();
    long["prompt"]["text"] = json!("y".repeat(10_001));
    let a = post(&edit_url(&api), None, &long);
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["field"], "prompt.text");
    assert!(a.json()["error"].as_str().unwrap().contains("10000"));
}

#[test]
fn serve_engine_bedrock_sends_a_living_us_model_for_every_mode() {
    let sb = Sandbox::new();
    let (_up, api) = bedrock_backed(&sb, &[]);
    let (_, jpeg) = photo(256, 256);
    let mask = titan_mask(256, 256, 64, 64, 64, 64);
    let mut inpaint = browser_body("a cat", "INPAINTING", &jpeg, Some(&mask));
    inpaint["num_images"] = json!(1);
    let a = post(&edit_url(&api), None, &inpaint);
    assert_eq!(a.status, 200, "{}", short(&a.body));
    assert_eq!(
        a.json()["model_id"],
        "us.stability.stable-image-inpaint-v1:0"
    );
    // OUTPAINTING with a canvas: the outpainting tool
    let mut out = browser_body("more sea", "OUTPAINTING", &jpeg, None);
    out["num_images"] = json!(1);
    out["canvas_config"] = json!({"extend": [0, 0, 64, 0]});
    let a = post(&edit_url(&api), None, &out);
    assert_eq!(a.status, 200, "{}", short(&a.body));
    assert_eq!(a.json()["model_id"], "us.stability.stable-outpaint-v1:0");
    assert_eq!(
        decode_b64_image(a.json()["images"][0].as_str().unwrap()).dimensions(),
        (320, 256)
    );
    // OUTPAINTING on the same canvas (Titan's way: keep black, make white): inpainting
    let mut same = browser_body("more sea", "OUTPAINTING", &jpeg, Some(&mask));
    same["num_images"] = json!(1);
    let a = post(&edit_url(&api), None, &same);
    assert_eq!(a.status, 200, "{}", short(&a.body));
    assert_eq!(
        a.json()["model_id"],
        "us.stability.stable-image-inpaint-v1:0"
    );
}

#[test]
fn filtered_images_are_reported_not_dropped() {
    let sb = Sandbox::new();
    let (_up, api) = bedrock_backed(&sb, &["filter=1"]);
    let (_, jpeg) = photo(512, 512);
    let body = browser_body(
        "a cat",
        "INPAINTING",
        &jpeg,
        Some(&titan_mask(512, 512, 100, 100, 64, 64)),
    );
    let a = post(&edit_url(&api), None, &body);
    assert_eq!(a.status, 200, "{}", short(&a.body));
    let v = a.json();
    assert_eq!(v["images"].as_array().unwrap().len(), 1);
    assert_eq!(v["withheld"].as_array().unwrap().len(), 1);
    assert!(v["error"].as_str().unwrap().contains("withheld"), "{v}");
}
