//! The bedrock engine's client-side CPU work for a 1024x1024 photo and mask: building the request
//! (fit, polarity, PNG + base64, JSON) and handling the response (JSON, base64 + PNG decode, paste
//! back, composite, encode). The goal is under 50 ms each way on a 2-core machine.

use criterion::{Criterion, criterion_group, criterion_main};
use image::{DynamicImage, Rgb, RgbImage};
use imgedit::edit::engine::PreparedJob;
use imgedit::edit::job::{JobOptions, Selection};
use imgedit::edit::options::Mode;
use imgedit::edit::{model, prepare as pipeline};
use imgedit::engine::bedrock::{fit, wire};
use imgedit::image_io;
use imgedit::image_io::DecodeLimits;
use imgedit::mask::Shape;

fn photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let n = (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503)) >> 13;
        Rgb([
            (x / 4) as u8 ^ (n as u8 & 15),
            (y / 4) as u8,
            ((x + y) / 8) as u8 ^ (n as u8 & 7),
        ])
    })
}

fn job() -> imgedit::edit::job::EditJob {
    JobOptions {
        selection: Selection {
            shapes: vec![Shape::parse_rect("300,300,300,200").unwrap()],
            ..Default::default()
        },
        mode: Some(Mode::Inpaint),
        canvas: None,
        prompt: Some("a window".into()),
        negative: None,
        mask_prompt: None,
        search: None,
        num_images: 1,
        seed: 1,
        cfg_scale: None,
        quality: None,
        model: model::find("amazon.titan-image-generator-v1").unwrap(),
        limits: DecodeLimits::default(),
        tool: Default::default(),
    }
    .build(DynamicImage::ImageRgb8(photo(1024, 1024)), "bench.png")
    .unwrap()
}

fn request_side(prepared: &PreparedJob) -> Vec<u8> {
    let win = fit::choose(prepared.model, &prepared.mask).unwrap();
    let (img, mask) = fit::crop(&win, &prepared.image, &prepared.mask);
    let reqs = wire::build_requests(prepared, &img, &mask).unwrap();
    serde_json::to_vec(&reqs[0].body).unwrap()
}

fn bench(c: &mut Criterion) {
    let job = job();
    let prepared = pipeline::prepare(&job);
    c.bench_function(
        "bedrock request 1024x1024 (decode done, prepare+fit+encode+json)",
        |b| {
            b.iter(|| {
                let p = pipeline::prepare(&job);
                request_side(&p)
            })
        },
    );
    let result = photo(1024, 1024);
    let png = image_io::encode(&DynamicImage::ImageRgb8(result), image::ImageFormat::Png).unwrap();
    let body =
        serde_json::to_vec(&serde_json::json!({ "images": [image_io::base64_encode(&png)] }))
            .unwrap();
    let req = wire::Request {
        body: wire::Body::Stability(Default::default()),
        seeds: vec![1],
    };
    let dir = std::env::temp_dir().join(format!("imgedit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.png");
    c.bench_function(
        "bedrock response 1024x1024 (parse+decode+composite+encode+write)",
        |b| {
            b.iter(|| {
                let parsed = wire::parse_response(model::Family::Titan, &body, &req).unwrap();
                let win = fit::choose(prepared.model, &prepared.mask).unwrap();
                let full = fit::paste_back(&win, &prepared.image, &parsed.images[0].0.to_rgb8());
                let img = pipeline::composite(&job, &full);
                let bytes = image_io::encode(&img, image::ImageFormat::Png).unwrap();
                image_io::write_atomic(&out, &bytes, true).unwrap();
            })
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
