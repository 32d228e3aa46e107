//! Selecting by pointing from the command line: `imgedit mask` and `imgedit edit` with
//! `--object X,Y,W,H` and `--wand X,Y[,TOL][,all]`, on synthetic images with known answers.

use image::{DynamicImage, GrayImage, Rgb, RgbImage};
use predicates::prelude::*;

use crate::common::{Sandbox, load_gray};

/// A small deterministic generator (PCG-style LCG) with Gaussian samples.
struct Noise(u64);

impl Noise {
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn gauss(&mut self, sigma: f64) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        sigma * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn clamp(v: f64) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// A busy background: smooth colour waves, blotches and noise, nothing flat.
fn background(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut n = Noise(seed);
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (f64::from(x), f64::from(y));
        let r = 110.0 + 60.0 * (fx / 37.0).sin() * (fy / 53.0).cos();
        let g = 140.0 + 50.0 * (fx / 71.0 + fy / 29.0).sin();
        let b = 90.0 + 40.0 * ((fx - fy) / 47.0).cos();
        Rgb([
            clamp(r + n.gauss(6.0)),
            clamp(g + n.gauss(6.0)),
            clamp(b + n.gauss(6.0)),
        ])
    })
}

/// Whether (x, y) is inside the test object: a blob (an ellipse with a wavy rim) centred at
/// (cx, cy).
fn in_blob(x: u32, y: u32, cx: f64, cy: f64, r: f64) -> bool {
    let (dx, dy) = (f64::from(x) - cx, f64::from(y) - cy);
    let a = dy.atan2(dx);
    let rim = r * (1.0 + 0.15 * (3.0 * a).sin() + 0.08 * (5.0 * a + 1.0).cos());
    (dx / 1.2).hypot(dy) < rim
}

/// The object: two-tone (a red body with a yellow band), noisy.
fn paint_object(img: &mut RgbImage, cx: f64, cy: f64, r: f64, seed: u64) -> GrayImage {
    let mut n = Noise(seed);
    let mut truth = GrayImage::new(img.width(), img.height());
    for y in 0..img.height() {
        for x in 0..img.width() {
            if in_blob(x, y, cx, cy, r) {
                let band = ((f64::from(y) - cy) / 9.0).sin() > 0.6;
                let base = if band {
                    [230.0, 200.0, 40.0]
                } else {
                    [200.0, 40.0, 50.0]
                };
                img.put_pixel(x, y, Rgb(base.map(|c: f64| clamp(c + n.gauss(5.0)))));
                truth.put_pixel(x, y, image::Luma([255]));
            }
        }
    }
    truth
}

fn iou(a: &GrayImage, b: &GrayImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (mut inter, mut union) = (0u64, 0u64);
    for (p, q) in a.as_raw().iter().zip(b.as_raw()) {
        let (p, q) = (*p > 127, *q > 127);
        inter += u64::from(p && q);
        union += u64::from(p || q);
    }
    inter as f64 / union.max(1) as f64
}

/// The bounding box of a mask, grown by `pad`, as the flag's X,Y,W,H.
fn box_around(m: &GrayImage, pad: u32) -> String {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in m.enumerate_pixels() {
        if p.0[0] > 0 {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    let (x0, y0) = (x0.saturating_sub(pad), y0.saturating_sub(pad));
    let (x1, y1) = (
        (x1 + pad).min(m.width() - 1),
        (y1 + pad).min(m.height() - 1),
    );
    format!("{x0},{y0},{},{}", x1 - x0 + 1, y1 - y0 + 1)
}

/// A scene: a busy background with the object, and the object's true mask.
fn scene(sb: &Sandbox) -> (std::path::PathBuf, GrayImage) {
    let mut img = background(320, 240, 7);
    let truth = paint_object(&mut img, 170.0, 115.0, 60.0, 9);
    (sb.save("scene.png", &DynamicImage::ImageRgb8(img)), truth)
}

#[test]
fn object_in_a_loose_box_selects_the_object() {
    let sb = Sandbox::new();
    let (img, truth) = scene(&sb);
    let rect = box_around(&truth, 10);
    sb.cmd()
        .args(["mask", "scene.png", "--object", &rect, "-o", "m.png"])
        .assert()
        .success();
    let got = load_gray(&sb.path("m.png"));
    let score = iou(&got, &truth);
    assert!(score > 0.95, "IoU {score:.3} with the object (box {rect})");
    // nothing outside the box is selected
    let (x, y) = (5, 5);
    assert_eq!(got.get_pixel(x, y).0[0], 0);
    // the same bytes whatever the number of threads
    sb.cmd()
        .env("RAYON_NUM_THREADS", "1")
        .args(["mask", "scene.png", "--object", &rect, "-o", "m1.png"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(sb.path("m.png")).unwrap(),
        std::fs::read(sb.path("m1.png")).unwrap()
    );
    drop(img);
}

/// A flat-coloured shape with Gaussian noise (sigma 3) on the busy background.
fn noisy_flat_shape(sb: &Sandbox) -> GrayImage {
    let mut img = background(300, 200, 3);
    let mut n = Noise(11);
    let mut truth = GrayImage::new(300, 200);
    for y in 0..200 {
        for x in 0..300 {
            if in_blob(x, y, 150.0, 100.0, 55.0) {
                let c = [60.0, 110.0, 200.0].map(|c: f64| clamp(c + n.gauss(3.0)));
                img.put_pixel(x, y, Rgb(c));
                truth.put_pixel(x, y, image::Luma([255]));
            }
        }
    }
    // an outlier right at the click: the seed colour is the 5x5 median, not this pixel
    img.put_pixel(150, 100, Rgb([250, 250, 0]));
    sb.save("flat.png", &DynamicImage::ImageRgb8(img));
    truth
}

#[test]
fn wand_with_the_default_tolerance_selects_a_noisy_flat_shape() {
    let sb = Sandbox::new();
    let truth = noisy_flat_shape(&sb);
    sb.cmd()
        .args(["mask", "flat.png", "--wand", "150,100", "-o", "m.png"])
        .assert()
        .success();
    let score = iou(&load_gray(&sb.path("m.png")), &truth);
    assert!(score >= 0.95, "IoU {score:.3}");
}

/// Two squares of one colour, apart, on a busy background.
fn two_copies(sb: &Sandbox) -> (GrayImage, GrayImage) {
    let mut img = background(200, 100, 5);
    let mut left = GrayImage::new(200, 100);
    let mut right = GrayImage::new(200, 100);
    for y in 30..70 {
        for x in 20..60 {
            img.put_pixel(x, y, Rgb([240, 240, 240]));
            left.put_pixel(x, y, image::Luma([255]));
        }
        for x in 130..170 {
            img.put_pixel(x, y, Rgb([240, 240, 240]));
            right.put_pixel(x, y, image::Luma([255]));
        }
    }
    sb.save("copies.png", &DynamicImage::ImageRgb8(img));
    (left, right)
}

#[test]
fn wand_all_selects_disconnected_copies_and_the_default_only_the_connected_one() {
    let sb = Sandbox::new();
    let (left, right) = two_copies(&sb);
    let mut both = left.clone();
    for (p, q) in both.iter_mut().zip(right.iter()) {
        *p = (*p).max(*q);
    }
    sb.cmd()
        .args(["mask", "copies.png", "--wand", "40,50,all", "-o", "all.png"])
        .assert()
        .success();
    sb.cmd()
        .args(["mask", "copies.png", "--wand", "40,50", "-o", "one.png"])
        .assert()
        .success();
    let all = iou(&load_gray(&sb.path("all.png")), &both);
    let one = iou(&load_gray(&sb.path("one.png")), &left);
    assert!(all > 0.99, "all similar: IoU {all:.3} with both copies");
    assert!(one > 0.99, "connected: IoU {one:.3} with the clicked copy");
}

#[test]
fn picks_join_the_other_flags_as_a_union_then_grow_and_invert_apply() {
    let sb = Sandbox::new();
    let (left, right) = two_copies(&sb);
    // the wand takes the left square, the rectangle the right one
    sb.cmd()
        .args([
            "mask",
            "copies.png",
            "--wand",
            "40,50",
            "--rect",
            "130,30,40,40",
        ])
        .args(["-o", "u.png"])
        .assert()
        .success();
    let mut both = left.clone();
    for (p, q) in both.iter_mut().zip(right.iter()) {
        *p = (*p).max(*q);
    }
    assert!(iou(&load_gray(&sb.path("u.png")), &both) > 0.99);
    sb.cmd()
        .args([
            "mask",
            "copies.png",
            "--wand",
            "40,50",
            "--invert-mask",
            "-o",
            "i.png",
        ])
        .assert()
        .success();
    let inv = load_gray(&sb.path("i.png"));
    assert_eq!(inv.get_pixel(40, 50).0[0], 0);
    assert_eq!(inv.get_pixel(150, 50).0[0], 255);
    sb.cmd()
        .args([
            "mask",
            "copies.png",
            "--wand",
            "40,50",
            "--grow",
            "5",
            "-o",
            "g.png",
        ])
        .assert()
        .success();
    let grown = load_gray(&sb.path("g.png"));
    assert_eq!(
        grown.get_pixel(17, 50).0[0],
        255,
        "grown 3 px left of the square"
    );
    assert_eq!(grown.get_pixel(10, 50).0[0], 0);
}

#[test]
fn edit_uses_the_same_mask_as_mask_writes() {
    let sb = Sandbox::new();
    let (_, truth) = scene(&sb);
    let rect = box_around(&truth, 10);
    sb.cmd()
        .args(["mask", "scene.png", "--object", &rect, "--wand", "20,20,8"])
        .args(["-o", "m.png"])
        .assert()
        .success();
    sb.cmd()
        .args(["edit", "scene.png", "--object", &rect, "--wand", "20,20,8"])
        .args(["--engine", "local", "--seed", "1", "-q", "-o", "out.png"])
        .args(["--save-mask", "saved.png"])
        .assert()
        .success();
    assert_eq!(
        load_gray(&sb.path("m.png")).as_raw(),
        load_gray(&sb.path("saved.png")).as_raw()
    );
    // the edit changed the object and kept pixels far from every selection
    let src = crate::common::load_rgb(&sb.path("scene.png"));
    let out = crate::common::load_rgb(&sb.path("out.png"));
    assert_eq!(src.get_pixel(310, 230), out.get_pixel(310, 230));
    assert_ne!(src.get_pixel(170, 115), out.get_pixel(170, 115));
}

#[test]
fn a_point_or_box_outside_the_image_is_exit_3_naming_the_flag_and_value() {
    let sb = Sandbox::new();
    scene(&sb);
    for (flag, value, words) in [
        (
            "--wand",
            "320,10",
            "--wand 320,10,12 is outside the 320x240 image",
        ),
        (
            "--wand",
            "-1,10,5",
            "--wand -1,10,5 is outside the 320x240 image",
        ),
        (
            "--object",
            "400,0,50,50",
            "--object 400,0,50,50 is outside the 320x240 image",
        ),
        (
            "--object",
            "-60,10,50,50",
            "--object -60,10,50,50 is outside the 320x240 image",
        ),
    ] {
        for cmd in ["mask", "edit"] {
            let mut c = sb.cmd();
            c.args([
                cmd,
                "scene.png",
                "--rect",
                "0,0,10,10",
                flag,
                value,
                "-o",
                "out.png",
            ]);
            if cmd == "edit" {
                c.args(["--engine", "local"]);
            }
            c.assert().code(3).stderr(predicate::str::contains(words));
            assert!(!sb.path("out.png").exists(), "{cmd} {flag} {value} wrote");
        }
    }
    // a box reaching past the edge is clipped, not refused
    sb.cmd()
        .args([
            "mask",
            "scene.png",
            "--object",
            "-20,-20,60,60",
            "-o",
            "clip.png",
        ])
        .assert()
        .code(predicate::in_iter([0, 3]));
    // malformed values are usage errors
    for (flag, value) in [
        ("--wand", "1"),
        ("--wand", "1,2,101"),
        ("--object", "1,2,0,5"),
    ] {
        sb.cmd()
            .args(["mask", "scene.png", flag, value, "-o", "out.png"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(value));
    }
}

#[test]
fn an_object_box_on_a_flat_image_selects_nothing_and_says_which() {
    let sb = Sandbox::new();
    sb.save(
        "flat.png",
        &DynamicImage::ImageRgb8(RgbImage::from_pixel(120, 90, Rgb([90, 120, 150]))),
    );
    sb.cmd()
        .args(["mask", "flat.png", "--object", "20,20,60,40", "-o", "m.png"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "flat.png: nothing to edit: --object 20,20,60,40 selects no pixel",
        ));
    assert!(!sb.path("m.png").exists());
    // no temporary left either
    assert!(
        sb.files().iter().all(|f| !f.contains("m.png")),
        "{:?}",
        sb.files()
    );
}

#[test]
fn mask_refuses_to_overwrite_without_force_and_writes_only_png() {
    let sb = Sandbox::new();
    two_copies(&sb);
    std::fs::write(sb.path("m.png"), b"mine").unwrap();
    sb.cmd()
        .args(["mask", "copies.png", "--wand", "40,50", "-o", "m.png"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "m.png already exists (use --force",
        ));
    assert_eq!(std::fs::read(sb.path("m.png")).unwrap(), b"mine");
    sb.cmd()
        .args([
            "mask",
            "copies.png",
            "--wand",
            "40,50",
            "-o",
            "m.png",
            "--force",
        ])
        .assert()
        .success();
    assert_eq!(load_gray(&sb.path("m.png")).get_pixel(40, 50).0[0], 255);
    sb.cmd()
        .args(["mask", "copies.png", "--wand", "40,50", "-o", "m.jpg"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("m.jpg"));
    assert!(!sb.path("m.jpg").exists());
    // no selection at all
    sb.cmd()
        .args(["mask", "copies.png", "-o", "none.png"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no selection was given"));
    assert!(!sb.path("none.png").exists());
}
