//! Criterion benches of the local engine's inner loops.

use criterion::{Criterion, criterion_group, criterion_main};
use image::{GrayImage, Luma, Rgb, RgbImage};
use imgedit::engine::local::bench_api::{Prepared, patch_distance};
use std::hint::black_box;

fn texture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = ((x * 31 + y * 17) ^ (x * y)) % 251;
        Rgb([v as u8, (v * 3 % 256) as u8, ((x + y) * 5 % 256) as u8])
    })
}

fn hole(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        let inside = x >= w / 3 && x < 2 * w / 3 && y >= h / 3 && y < 2 * h / 3;
        Luma([if inside { 255 } else { 0 }])
    })
}

fn benches(c: &mut Criterion) {
    let img = texture(256, 256);
    let raw = img.as_raw().clone();
    c.bench_function("patch_distance_7x7", |b| {
        b.iter(|| {
            patch_distance(
                black_box(&raw),
                256,
                256,
                3,
                black_box((100, 120)),
                black_box((30, 40)),
                u32::MAX,
            )
        })
    });
    c.bench_function("patch_distance_7x7_early_exit", |b| {
        b.iter(|| {
            patch_distance(
                black_box(&raw),
                256,
                256,
                3,
                black_box((100, 120)),
                black_box((30, 40)),
                2000,
            )
        })
    });
    let mask = hole(256, 256);
    let mut prepared = Prepared::new(&img, &mask, 7, 1);
    let mut seed = 0u64;
    c.bench_function("patchmatch_pass_256_hole85", |b| {
        b.iter(|| {
            seed += 1;
            prepared.pm_pass(seed)
        })
    });
    c.bench_function("vote_256_hole85", |b| b.iter(|| black_box(prepared.vote())));
}

criterion_group!(engine, benches);
criterion_main!(engine);
