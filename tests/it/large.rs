//! Camera-sized inputs (issue 17): a 12 MP photo made here, edited by the local engine through the
//! CLI. The engine works on the hole's region only; these pin that the result does not depend on
//! the thread count, that every pixel outside the selection comes back bit-identical, and that the
//! JPEG path keeps the input's colour profile.

use image::{DynamicImage, Rgb, RgbImage};

use crate::common::Sandbox;

const W: u32 = 4000;
const H: u32 = 3000;
/// The hole: small, so the test stays quick in a debug build; the image around it is full size.
const RECT: (u32, u32, u32, u32) = (2610, 1930, 120, 90);

/// A 12 MP picture with texture and structure everywhere (stripes, a gradient, noise).
fn photo() -> RgbImage {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    RgbImage::from_fn(W, H, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = (state & 31) as u8;
        let stripe = if (x / 9 + y / 13) % 2 == 0 { 60 } else { 0 };
        Rgb([
            (x * 200 / W) as u8 + n,
            (y * 180 / H) as u8 + stripe,
            ((x + y) % 97) as u8 + n,
        ])
    })
}

fn edit(sb: &Sandbox, input: &str, out: &str, threads: &str) {
    let (x, y, w, h) = RECT;
    sb.cmd()
        .env("RAYON_NUM_THREADS", threads)
        .args(["edit", input, "--rect", &format!("{x},{y},{w},{h}")])
        .args(["--seed", "7", "-q", "-o", out])
        .assert()
        .success();
}

#[test]
fn a_12_megapixel_edit_is_deterministic_and_leaves_every_other_pixel_alone() {
    let sb = Sandbox::new();
    let src = photo();
    sb.save("photo.png", &DynamicImage::ImageRgb8(src.clone()));
    edit(&sb, "photo.png", "one.png", "1");
    edit(&sb, "photo.png", "two.png", "2");
    let one = std::fs::read(sb.path("one.png")).unwrap();
    let two = std::fs::read(sb.path("two.png")).unwrap();
    assert!(one == two, "1 and 2 threads gave different bytes");

    let out = image::load_from_memory(&one).unwrap().to_rgb8();
    assert_eq!(out.dimensions(), (W, H));
    // row by row on the raw bytes (a debug build is slow per pixel): the rows outside the hole
    // are equal whole, the others left and right of it
    let (rx, ry, rw, rh) = RECT;
    let row = (W * 3) as usize;
    let (a, b) = (out.as_raw(), src.as_raw());
    let (l, r) = ((rx * 3) as usize, ((rx + rw) * 3) as usize);
    let mut changed = 0;
    for (y, (oa, ob)) in a.chunks_exact(row).zip(b.chunks_exact(row)).enumerate() {
        let y = y as u32;
        if y < ry || y >= ry + rh {
            assert!(oa == ob, "row {y} (outside the hole) changed");
        } else {
            assert!(oa[..l] == ob[..l], "row {y} left of the hole changed");
            assert!(oa[r..] == ob[r..], "row {y} right of the hole changed");
            changed += oa[l..r]
                .chunks_exact(3)
                .zip(ob[l..r].chunks_exact(3))
                .filter(|(p, q)| p != q)
                .count();
        }
    }
    // the hole was refilled from the picture (not left as it was, nor painted flat)
    assert!(
        changed > (rw * rh / 2) as usize,
        "only {changed} hole pixels changed"
    );
}

/// The smallest valid ICC profile stand-in: the bytes only have to travel, not be parsed.
fn icc() -> Vec<u8> {
    let mut p = vec![0u8; 132];
    p[..4].copy_from_slice(&132u32.to_be_bytes());
    p[36..40].copy_from_slice(b"acsp");
    p
}

#[test]
fn a_large_jpeg_keeps_its_colour_profile_and_quality() {
    let sb = Sandbox::new();
    let src = photo();
    // as a camera writes it: 4:2:0
    let mut jpeg = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 92);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.add_icc_profile(&icc()).unwrap();
    enc.encode(
        src.as_raw(),
        W as u16,
        H as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    std::fs::write(sb.path("photo.jpg"), &jpeg).unwrap();
    edit(&sb, "photo.jpg", "out.jpg", "2");

    let bytes = std::fs::read(sb.path("out.jpg")).unwrap();
    // the input's chroma subsampling, kept
    let sampling = imgedit::image_io::jpeg::sampling_of;
    assert_eq!(sampling(&bytes).map(|s| (s.h, s.v)), Some((2, 2)));
    let mut dec = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&bytes)).unwrap();
    use image::ImageDecoder as _;
    assert_eq!(
        dec.icc_profile().unwrap(),
        Some(icc()),
        "the ICC profile was lost"
    );
    let out = DynamicImage::from_decoder(dec).unwrap().to_rgb8();
    let input = image::load_from_memory(&jpeg).unwrap().to_rgb8();
    // away from the hole, the output is the input re-encoded at quality 95: its luma (kept at
    // full resolution; the colour is 4:2:0 both times) close to the input's
    let luma =
        |p: &Rgb<u8>| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
    let (mut se, mut n) = (0f64, 0f64);
    for y in (0..H).step_by(7) {
        for x in (0..W / 2).step_by(5) {
            let d = luma(out.get_pixel(x, y)) - luma(input.get_pixel(x, y));
            se += d * d;
            n += 1.0;
        }
    }
    let psnr = 10.0 * (255.0f64 * 255.0 / (se / n)).log10();
    assert!(
        psnr > 38.0,
        "re-encoded JPEG is only {psnr:.1} dB from its input"
    );
}

#[test]
fn jpeg_quality_sets_the_output_quality_and_is_checked() {
    let sb = Sandbox::new();
    let src = image::imageops::crop_imm(&photo(), 0, 0, 320, 240).to_image();
    sb.save("small.png", &DynamicImage::ImageRgb8(src));
    let run = |out: &str, extra: &[&str]| {
        sb.cmd()
            .args([
                "edit",
                "small.png",
                "--rect",
                "100,80,40,30",
                "--seed",
                "1",
                "-q",
            ])
            .args(["-o", out])
            .args(extra)
            .assert()
    };
    run("default.jpg", &[]).success();
    run("low.jpg", &["--jpeg-quality", "40"]).success();
    // a PNG's JPEG output: full-resolution colour at 90 and above, 4:2:0 below
    let sampling = |f: &str| {
        let s = imgedit::image_io::jpeg::sampling_of(&std::fs::read(sb.path(f)).unwrap());
        s.map(|s| (s.h, s.v))
    };
    assert_eq!(sampling("default.jpg"), Some((1, 1)));
    assert_eq!(sampling("low.jpg"), Some((2, 2)));
    // a JPEG input's own subsampling is kept, whatever the quality
    for (input, q, want) in [("default.jpg", "40", (1, 1)), ("low.jpg", "95", (2, 2))] {
        sb.cmd()
            .args(["edit", input, "--rect", "10,10,20,20", "--seed", "1", "-q"])
            .args(["-o", "kept.jpg", "--force", "--jpeg-quality", q])
            .assert()
            .success();
        assert_eq!(sampling("kept.jpg"), Some(want), "{input} at {q}");
    }
    let size = |f: &str| std::fs::metadata(sb.path(f)).unwrap().len();
    assert!(
        size("low.jpg") * 2 < size("default.jpg"),
        "{} vs {}",
        size("low.jpg"),
        size("default.jpg")
    );
    let out = run("bad.jpg", &["--jpeg-quality", "0"]).failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("--jpeg-quality") && err.contains("'0'"),
        "{err}"
    );
    assert!(!sb.path("bad.jpg").exists());
}
