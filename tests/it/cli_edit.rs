//! Successful edits: what changes, what must not, outputs, JSON, batches, outpainting.

use image::{DynamicImage, GenericImageView, Rgba, RgbaImage};
use predicates::prelude::*;

use crate::common::*;

/// Asserts that `out` equals `src` wherever `mask` is 0 and differs somewhere inside.
fn only_masked_changed(src: &image::RgbImage, out: &image::RgbImage, mask: &image::GrayImage) {
    assert_eq!(src.dimensions(), out.dimensions());
    let mut changed_inside = 0;
    for (x, y, m) in mask.enumerate_pixels() {
        if m.0[0] == 0 {
            assert_eq!(
                src.get_pixel(x, y),
                out.get_pixel(x, y),
                "pixel {x},{y} outside the mask changed"
            );
        } else if src.get_pixel(x, y) != out.get_pixel(x, y) {
            changed_inside += 1;
        }
    }
    assert!(changed_inside > 0, "nothing inside the mask changed");
}

#[test]
fn sample_from_the_readme_inpaints_only_the_mask() {
    let sb = Sandbox::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let img = root.join("assets/sample.png");
    let mask = root.join("assets/sample-mask.png");
    sb.cmd()
        .arg("edit")
        .arg(&img)
        .arg("--mask")
        .arg(&mask)
        .args([
            "-o",
            "out.png",
            "--seed",
            "7",
            "--save-mask",
            "final-mask.png",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote out.png"));
    let src = load_rgb(&img);
    let out = load_rgb(&sb.path("out.png"));
    let m = load_gray(&sb.path("final-mask.png"));
    only_masked_changed(&src, &out, &m);
    // the dark pole is gone: the masked area is no darker than its surroundings
    let dark = m
        .enumerate_pixels()
        .filter(|(_, _, v)| v.0[0] > 0)
        .filter(|(x, y, _)| out.get_pixel(*x, *y).0.iter().all(|&c| c < 60))
        .count();
    assert!(dark < 50, "{dark} pole-dark pixels remain in the mask");
}

#[test]
fn png_and_jpeg_inputs_of_odd_sizes_keep_every_pixel_outside_the_mask() {
    let sb = Sandbox::new();
    let src = textured(101, 77);
    sb.save("odd.png", &DynamicImage::ImageRgb8(src.clone()));
    std::fs::write(sb.path("odd.jpg"), jpeg_bytes(&src, None)).unwrap();
    for input in ["odd.png", "odd.jpg"] {
        let out = format!("{input}.out.png");
        sb.cmd()
            .args([
                "edit",
                input,
                "--polygon",
                "20,10 70,15 60,60 15,50",
                "--feather",
                "3",
            ])
            .args([
                "--seed",
                "3",
                "-o",
                &out,
                "--save-mask",
                &format!("{input}.mask.png"),
            ])
            .assert()
            .success();
        let decoded = load_rgb(&sb.path(input));
        only_masked_changed(
            &decoded,
            &load_rgb(&sb.path(&out)),
            &load_gray(&sb.path(&format!("{input}.mask.png"))),
        );
    }
}

#[test]
fn transparent_alpha_mask_selects_and_invert_flips() {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(40, 40)));
    // opaque white everywhere except a transparent 10x10 square: the square is the selection
    let mut m = RgbaImage::from_pixel(40, 40, Rgba([255, 255, 255, 255]));
    for y in 5..15 {
        for x in 20..30 {
            m.put_pixel(x, y, Rgba([255, 255, 255, 0]));
        }
    }
    sb.save("alpha.png", &DynamicImage::ImageRgba8(m));
    sb.cmd()
        .args([
            "edit",
            "in.png",
            "--mask",
            "alpha.png",
            "--save-mask",
            "a.png",
            "-o",
            "o1.png",
        ])
        .assert()
        .success();
    let a = load_gray(&sb.path("a.png"));
    assert_eq!(a.pixels().filter(|p| p.0[0] == 255).count(), 100);
    assert_eq!(a.get_pixel(25, 10).0[0], 255);
    sb.cmd()
        .args([
            "edit",
            "in.png",
            "--mask",
            "alpha.png",
            "--invert-mask",
            "--save-mask",
            "b.png",
            "-o",
            "o2.png",
        ])
        .assert()
        .success();
    let b = load_gray(&sb.path("b.png"));
    assert_eq!(b.pixels().filter(|p| p.0[0] == 255).count(), 1600 - 100);
    assert_eq!(b.get_pixel(25, 10).0[0], 0);
}

#[test]
fn grow_and_shrink_change_the_saved_mask() {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(40, 40)));
    let count = |extra: &[&str], name: &str| {
        sb.cmd()
            .args([
                "edit",
                "in.png",
                "--rect",
                "10,10,20,20",
                "--save-mask",
                name,
                "-o",
                &format!("{name}.out.png"),
            ])
            .args(extra)
            .assert()
            .success();
        load_gray(&sb.path(name))
            .pixels()
            .filter(|p| p.0[0] == 255)
            .count()
    };
    assert_eq!(count(&[], "m0.png"), 400);
    // growing a 20x20 square by 2 (Euclidean): 24x24 minus the four rounded corners (3 px each)
    assert_eq!(count(&["--grow", "2"], "m1.png"), 24 * 24 - 12);
    assert_eq!(count(&["--shrink", "2"], "m2.png"), 16 * 16);
}

#[test]
fn several_images_have_their_own_seeds_and_seeds_are_reproducible() {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(48, 48)));
    let out = sb
        .cmd()
        .args([
            "edit",
            "in.png",
            "--rect",
            "12,12,20,20",
            "-n",
            "3",
            "--seed",
            "10",
            "-o",
            "r.png",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let seeds: Vec<u64> = lines.iter().map(|l| l["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds, [10, 11, 12]);
    assert_eq!(lines[0]["path"], "r-1.png");
    assert_eq!(lines[0]["engine"], "local");
    assert_eq!(lines[0]["width"], 48);
    assert!(lines[0]["timings_ms"]["total"].is_u64());
    for i in 1..=3 {
        assert!(sb.path(&format!("r-{i}.png")).exists());
    }
    sb.cmd()
        .args([
            "edit",
            "in.png",
            "--rect",
            "12,12,20,20",
            "--seed",
            "10",
            "-o",
            "again.png",
        ])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(sb.path("again.png")).unwrap(),
        std::fs::read(sb.path("r-1.png")).unwrap(),
        "the same seed gives the same bytes"
    );
}

#[test]
fn default_output_names_count_up_and_never_clobber() {
    let sb = Sandbox::new();
    sb.save("photo.png", &DynamicImage::ImageRgb8(textured(24, 24)));
    for _ in 0..2 {
        sb.cmd()
            .args(["edit", "photo.png", "--rect", "4,4,8,8", "-q"])
            .assert()
            .success();
    }
    assert!(sb.path("photo-edit-1.png").exists() && sb.path("photo-edit-2.png").exists());
}

#[test]
fn stdout_output_is_a_png() {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(24, 20)));
    let out = sb
        .cmd()
        .args(["edit", "in.png", "--rect", "4,4,8,8", "-o", "-"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let img = image::load_from_memory_with_format(&out, image::ImageFormat::Png).unwrap();
    assert_eq!(img.dimensions(), (24, 20));
}

#[test]
fn dry_run_validates_and_writes_nothing() {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(30, 20)));
    let before = sb.files();
    let out = sb
        .cmd()
        .args([
            "edit",
            "in.png",
            "--rect",
            "1,1,5,5",
            "--dry-run",
            "--json",
            "-n",
            "2",
            "--seed",
            "4",
            "--save-mask",
            "m.png",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plan: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["mask_pixels"], 25);
    assert_eq!(plan["seeds"], serde_json::json!([4, 5]));
    assert_eq!(
        plan["outputs"],
        serde_json::json!(["in-edit-1.png", "in-edit-2.png"])
    );
    assert_eq!(sb.files(), before);
    assert!(!sb.path("data/history.jsonl").exists());
    assert_eq!(plan["seeds_random"], false);
    // without --json: a short plan, which says that the run draws its own seeds
    let out = sb
        .cmd()
        .args(["edit", "in.png", "--rect", "1,1,5,5", "--dry-run"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.lines().count() <= 7, "{text}");
    assert!(
        text.starts_with(
            "in.png: would inpaint with local (model local), 1 image, seeds drawn at run time"
        ),
        "{text}"
    );
    assert!(
        text.contains("selection: 25 pixels in 5x5 at 1,1 (of 30x20)"),
        "{text}"
    );
    assert!(
        text.contains("writes: in-edit-1.png") && text.contains("free (offline)"),
        "{text}"
    );
    assert_eq!(sb.files(), before);
}

#[test]
fn outpainting_extends_the_canvas_and_precise_keeps_the_original() {
    let sb = Sandbox::new();
    let src = textured(40, 30);
    sb.save("in.png", &DynamicImage::ImageRgb8(src.clone()));
    sb.cmd()
        .args([
            "edit",
            "in.png",
            "--mode",
            "precise-outpaint",
            "--extend",
            "10,5,20%,0",
            "-o",
            "p.png",
        ])
        .assert()
        .success();
    let out = load_rgb(&sb.path("p.png"));
    assert_eq!(out.dimensions(), (40 + 10 + 8, 30 + 5));
    for (x, y, p) in src.enumerate_pixels() {
        assert_eq!(out.get_pixel(x + 10, y + 5), p);
    }
    sb.cmd()
        .args([
            "edit",
            "in.png",
            "--canvas",
            "64x48",
            "--anchor",
            "top-left",
            "-o",
            "c.png",
            "--save-mask",
            "cm.png",
        ])
        .assert()
        .success();
    assert_eq!(load_rgb(&sb.path("c.png")).dimensions(), (64, 48));
    let cm = load_gray(&sb.path("cm.png"));
    assert_eq!(cm.get_pixel(63, 47).0[0], 255);
    assert_eq!(cm.get_pixel(2, 2).0[0], 0);
    let seam = cm.get_pixel(38, 10).0[0];
    assert!(
        seam > 0 && seam < 255,
        "plain outpaint blends a thin seam band: {seam}"
    );
}

#[test]
fn exif_orientation_is_applied() {
    let sb = Sandbox::new();
    // 40 wide, 20 high; orientation 6 means "rotate 90 degrees clockwise to display"
    std::fs::write(sb.path("rot.jpg"), jpeg_bytes(&textured(40, 20), Some(6))).unwrap();
    sb.cmd()
        .args(["edit", "rot.jpg", "--rect", "2,2,4,4", "-o", "o.png"])
        .assert()
        .success();
    assert_eq!(load_rgb(&sb.path("o.png")).dimensions(), (20, 40));
}

#[test]
fn batch_with_mask_dir_goes_on_after_a_failure() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.path("in")).unwrap();
    std::fs::create_dir_all(sb.path("masks")).unwrap();
    std::fs::create_dir_all(sb.path("out")).unwrap();
    for name in ["a", "b", "c"] {
        DynamicImage::ImageRgb8(textured(32, 32))
            .save(sb.path(&format!("in/{name}.png")))
            .unwrap();
    }
    for name in ["a", "c"] {
        DynamicImage::ImageLuma8(rect_mask(32, 32, 8, 8, 8, 8))
            .save(sb.path(&format!("masks/{name}.png")))
            .unwrap();
    }
    sb.cmd()
        .args([
            "edit",
            "in",
            "--mask-dir",
            "masks",
            "--output-dir",
            "out",
            "--seed",
            "1",
        ])
        .assert()
        .code(6)
        .stderr(
            predicate::str::contains("no mask named b.png")
                .and(predicate::str::contains("2 edited, 1 failed, 3 in all")),
        );
    assert!(sb.path("out/a-edit-1.png").exists());
    assert!(sb.path("out/c-edit-1.png").exists());
    assert!(!sb.path("out/b-edit-1.png").exists());
}

#[test]
fn prompts_are_ignored_by_the_local_engine_with_a_note() {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(16, 16)));
    sb.cmd()
        .args([
            "edit",
            "in.png",
            "--rect",
            "2,2,4,4",
            "-p",
            "a red barn",
            "-o",
            "o.png",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("local engine ignores --prompt").count(1));
}

#[test]
fn history_lists_edits_with_a_summary() {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(16, 16)));
    for i in 0..3 {
        sb.cmd()
            .args([
                "edit",
                "in.png",
                "--rect",
                "2,2,4,4",
                "-q",
                "-o",
                &format!("o{i}.png"),
            ])
            .assert()
            .success();
    }
    sb.cmd()
        .args(["history", "--last", "2"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("3 edits, 100% succeeded")
                .and(predicate::str::contains("o2.png")),
        );
    let out = sb
        .cmd()
        .args(["history", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["summary"]["count"], 3);
    let rec = &v["records"][0];
    for key in [
        "id",
        "timestamp",
        "model_id",
        "prompt",
        "mode",
        "image_base64_size_bytes",
        "mask_base64_size_bytes",
        "output_images_size_bytes",
        "generation_time_ms",
        "success",
    ] {
        assert!(rec.get(key).is_some(), "record lacks {key}: {rec}");
    }
    assert_eq!(rec["mode"], "INPAINTING");
    assert_eq!(rec["model_id"], "local");
    // "which photo was this?": the input and outputs as absolute paths, whatever folder asks
    let root = std::fs::canonicalize(sb.path("")).unwrap();
    assert_eq!(
        rec["input"],
        root.join("in.png").display().to_string(),
        "{rec}"
    );
    assert_eq!(
        rec["outputs"][0],
        root.join("o0.png").display().to_string(),
        "{rec}"
    );
    let text = sb
        .cmd()
        .args(["history"])
        .current_dir("/")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(
        text.contains("done")
            && text.contains(&format!(
                "{} -> {}",
                root.join("in.png").display(),
                root.join("o2.png").display()
            )),
        "{text}"
    );
}
