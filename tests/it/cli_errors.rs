//! Every input error: exit code, message naming the file/field, rule and value, and no output.

use image::DynamicImage;
use predicates::prelude::*;

use crate::common::*;

/// Runs `imgedit edit ARGS -o out.png` in a sandbox and checks that no out*.png appeared.
fn fails(sb: &Sandbox, args: &[&str], code: i32, message: &[&str]) {
    let before = sb.files();
    let mut pred = predicate::str::contains("error:").boxed();
    for m in message {
        pred = pred.and(predicate::str::contains(*m)).boxed();
    }
    sb.cmd()
        .arg("edit")
        .args(args)
        .args(["-o", "out.png"])
        .assert()
        .code(code)
        .stderr(pred);
    assert_eq!(sb.files(), before, "no file may appear: {args:?}");
}

fn with_image(w: u32, h: u32) -> Sandbox {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(w, h)));
    sb
}

#[test]
fn missing_input_file() {
    let sb = Sandbox::new();
    fails(
        &sb,
        &["nope.png", "--rect", "0,0,2,2"],
        3,
        &["nope.png", "No such file"],
    );
}

#[test]
fn corrupt_png() {
    let sb = Sandbox::new();
    let mut bytes = png_claiming(16, 16);
    bytes.truncate(40); // header intact, image data gone
    std::fs::write(sb.path("bad.png"), &bytes).unwrap();
    fails(
        &sb,
        &["bad.png", "--rect", "0,0,2,2"],
        3,
        &["bad.png", "cannot decode PNG"],
    );
}

#[test]
fn not_an_image() {
    let sb = Sandbox::new();
    std::fs::write(sb.path("notes.png"), b"hello, I am text").unwrap();
    fails(
        &sb,
        &["notes.png", "--rect", "0,0,2,2"],
        3,
        &["notes.png", "not a PNG, JPEG"],
    );
}

#[test]
fn truncated_jpeg() {
    let sb = Sandbox::new();
    let bytes = jpeg_bytes(&textured(64, 64), None);
    std::fs::write(sb.path("cut.jpg"), &bytes[..bytes.len() / 2]).unwrap();
    fails(
        &sb,
        &["cut.jpg", "--rect", "0,0,2,2"],
        3,
        &["cut.jpg", "cannot decode JPEG"],
    );
}

#[test]
fn mask_size_mismatch_names_both_sizes_and_fit_mask_fixes_it() {
    let sb = with_image(40, 30);
    sb.save(
        "m.png",
        &DynamicImage::ImageLuma8(rect_mask(20, 15, 5, 5, 4, 4)),
    );
    fails(
        &sb,
        &["in.png", "--mask", "m.png"],
        3,
        &["m.png is 20x15 but in.png is 40x30", "--fit-mask"],
    );
    sb.cmd()
        .args([
            "edit",
            "in.png",
            "--mask",
            "m.png",
            "--fit-mask",
            "-o",
            "out.png",
            "--seed",
            "1",
        ])
        .assert()
        .success();
    assert!(sb.path("out.png").exists());
}

#[test]
fn empty_mask() {
    let sb = with_image(32, 32);
    sb.save(
        "black.png",
        &DynamicImage::ImageLuma8(rect_mask(32, 32, 0, 0, 0, 0)),
    );
    fails(
        &sb,
        &["in.png", "--mask", "black.png"],
        3,
        &["in.png", "nothing to edit"],
    );
    fails(&sb, &["in.png"], 3, &["no selection was given"]);
}

#[test]
fn polygon_with_too_few_points_or_bad_numbers() {
    let sb = with_image(32, 32);
    fails(
        &sb,
        &["in.png", "--polygon", "1,1 5,5"],
        2,
        &["--polygon", "at least 3 vertices", "got 2"],
    );
    fails(
        &sb,
        &["in.png", "--polygon", "1,1 5,x 9,9"],
        2,
        &["\"x\" is not a number", "vertex 2"],
    );
    fails(
        &sb,
        &["in.png", "--rect", "1,2,3"],
        2,
        &["--rect", "expected 4 numbers"],
    );
    fails(
        &sb,
        &["in.png", "--ellipse", "5,5,0,3"],
        2,
        &["--ellipse", "greater than 0"],
    );
    fails(
        &sb,
        &["in.png", "--extend", "1,2"],
        2,
        &["--extend", "1 or 4 values"],
    );
    fails(
        &sb,
        &["in.png", "--canvas", "10by10"],
        2,
        &["--canvas", "WIDTHxHEIGHT"],
    );
}

#[test]
fn shape_outside_the_image() {
    let sb = with_image(32, 24);
    fails(
        &sb,
        &["in.png", "--rect", "100,100,5,5"],
        3,
        &["in.png", "rectangle 100,100,5,5", "32x24"],
    );
    fails(
        &sb,
        &["in.png", "--ellipse", "-50,-50,5,5"],
        3,
        &["ellipse", "32x24"],
    );
}

#[test]
fn output_exists_without_force_is_kept() {
    let sb = with_image(32, 32);
    std::fs::write(sb.path("out.png"), b"precious").unwrap();
    sb.cmd()
        .args(["edit", "in.png", "--rect", "4,4,8,8", "-o", "out.png"])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("out.png already exists")
                .and(predicate::str::contains("--force")),
        );
    assert_eq!(std::fs::read(sb.path("out.png")).unwrap(), b"precious");
    sb.cmd()
        .args([
            "edit", "in.png", "--rect", "4,4,8,8", "-o", "out.png", "--force",
        ])
        .assert()
        .success();
    assert_eq!(load_rgb(&sb.path("out.png")).dimensions(), (32, 32));
}

#[test]
fn unwritable_output_directory() {
    let sb = with_image(32, 32);
    sb.cmd()
        .args([
            "edit",
            "in.png",
            "--rect",
            "4,4,8,8",
            "-o",
            "no/such/dir/out.png",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no/such/dir"));
    assert!(!sb.path("no").exists());
}

#[test]
fn output_directory_that_is_a_file() {
    let sb = with_image(32, 32);
    std::fs::write(sb.path("file"), b"x").unwrap();
    sb.cmd()
        .args(["edit", "in.png", "--rect", "4,4,8,8", "-o", "file/out.png"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("file"));
}

#[test]
fn decompression_bomb_is_rejected_before_decoding() {
    let sb = Sandbox::new();
    std::fs::write(sb.path("bomb.png"), png_claiming(100_000, 100_000)).unwrap();
    fails(
        &sb,
        &["bomb.png", "--rect", "0,0,2,2"],
        3,
        &[
            "bomb.png",
            "100000x100000",
            "over the limit of 120000000 pixels",
        ],
    );
}

#[test]
fn configured_pixel_limit_applies() {
    let sb = with_image(64, 64);
    std::fs::create_dir_all(sb.path("config")).unwrap();
    std::fs::write(
        sb.path("config/config.toml"),
        "[limits]\nmax_pixels = 1000\n",
    )
    .unwrap();
    fails(
        &sb,
        &["in.png", "--rect", "0,0,2,2"],
        3,
        &["64x64", "limit of 1000 pixels"],
    );
}

#[test]
fn bad_config_file_names_the_file_and_key() {
    let sb = with_image(8, 8);
    std::fs::create_dir_all(sb.path("config")).unwrap();
    std::fs::write(sb.path("config/config.toml"), "engin = \"local\"\n").unwrap();
    fails(
        &sb,
        &["in.png", "--rect", "0,0,2,2"],
        3,
        &["config.toml", "engin"],
    );
}

#[test]
fn unsupported_output_extension() {
    let sb = with_image(16, 16);
    sb.cmd()
        .args(["edit", "in.png", "--rect", "0,0,4,4", "-o", "out.tiff"])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("out.tiff")
                .and(predicate::str::contains("unsupported output extension")),
        );
    assert!(!sb.path("out.tiff").exists());
}

#[test]
fn inconsistent_flags_are_usage_errors() {
    let sb = with_image(16, 16);
    fails(
        &sb,
        &[
            "in.png", "--mode", "inpaint", "--extend", "4", "--rect", "0,0,4,4",
        ],
        2,
        &["--mode outpaint"],
    );
    fails(&sb, &["in.png", "--mode", "outpaint"], 2, &["--extend"]);
    fails(
        &sb,
        &[
            "in.png",
            "--mode",
            "precise-outpaint",
            "--extend",
            "4",
            "--rect",
            "0,0,4,4",
        ],
        2,
        &["--mode precise-outpaint: it never changes original pixels"],
    );
    fails(
        &sb,
        &[
            "in.png",
            "--rect",
            "0,0,4,4",
            "--model",
            "amazon.titan-image-generator-v2:0",
        ],
        2,
        &["local engine has one model"],
    );
    fails(
        &sb,
        &["in.png", "in.png", "--rect", "0,0,4,4"],
        2,
        &["--output-dir"],
    );
}

#[test]
fn the_api_engine_without_a_url_says_how_to_set_one() {
    let sb = with_image(16, 16);
    fails(
        &sb,
        &["in.png", "--rect", "0,0,4,4", "--engine", "api"],
        2,
        &[
            "api engine needs the API's URL",
            "--api-url",
            "config import",
        ],
    );
}
