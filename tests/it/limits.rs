//! Resource limits and odd inputs: each one gets a correct result or a clear error, with bounded
//! memory, and nothing partial on disk.

use image::{DynamicImage, ImageBuffer, Luma, Rgb, RgbImage};
use predicates::prelude::*;

use crate::common::*;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(name)
}

/// Pixels of `a` and `b` outside the rectangle differ by at most `tol` per channel.
fn same_outside(a: &RgbImage, b: &RgbImage, rect: (u32, u32, u32, u32), tol: u8) {
    assert_eq!(a.dimensions(), b.dimensions());
    let (rx, ry, rw, rh) = rect;
    for (x, y, p) in a.enumerate_pixels() {
        if x >= rx && x < rx + rw && y >= ry && y < ry + rh {
            continue;
        }
        let q = b.get_pixel(x, y);
        for c in 0..3 {
            assert!(
                p.0[c].abs_diff(q.0[c]) <= tol,
                "pixel ({x},{y}) changed: {p:?} vs {q:?}"
            );
        }
    }
}

#[test]
fn a_one_pixel_image_is_refused_when_all_of_it_is_selected_and_extended_otherwise() {
    let sb = Sandbox::new();
    sb.save(
        "one.png",
        &DynamicImage::ImageRgb8(RgbImage::from_pixel(1, 1, Rgb([9, 99, 199]))),
    );
    sb.cmd()
        .args(["edit", "one.png", "--rect", "0,0,1,1", "-o", "a.png"])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("one.png")
                .and(predicate::str::contains("covers every pixel (1x1)"))
                .and(predicate::str::contains("nothing to fill from")),
        );
    assert!(!sb.path("a.png").exists());
    // outpainting a single pixel repeats it
    sb.cmd()
        .args(["edit", "one.png", "--extend", "2,2,2,2", "-o", "b.png"])
        .assert()
        .success();
    let b = load_rgb(&sb.path("b.png"));
    assert_eq!(b.dimensions(), (5, 5));
    assert!(b.pixels().all(|p| *p == Rgb([9, 99, 199])), "{b:?}");
}

#[test]
fn an_all_white_mask_is_refused_by_the_local_engine_and_all_black_selects_nothing() {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(32, 24)));
    sb.save(
        "white.png",
        &DynamicImage::ImageLuma8(ImageBuffer::from_pixel(32, 24, Luma([255u8]))),
    );
    sb.save(
        "black.png",
        &DynamicImage::ImageLuma8(ImageBuffer::from_pixel(32, 24, Luma([0u8]))),
    );
    sb.cmd()
        .args(["edit", "in.png", "--mask", "white.png", "-o", "o.png"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("covers every pixel (32x24)"));
    sb.cmd()
        .args(["edit", "in.png", "--mask", "black.png", "-o", "o.png"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("nothing to edit"));
    // the same masks inverted swap their answers
    sb.cmd()
        .args([
            "edit",
            "in.png",
            "--mask",
            "white.png",
            "--invert-mask",
            "-o",
            "o.png",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("nothing to edit"));
    assert!(!sb.path("o.png").exists());
}

#[test]
fn a_sixteen_bit_png_is_edited_in_eight_bits_and_says_so() {
    let sb = Sandbox::new();
    let img: ImageBuffer<Rgb<u16>, Vec<u16>> = ImageBuffer::from_fn(40, 30, |x, y| {
        Rgb([
            (x * 1600) as u16,
            (y * 2100) as u16,
            ((x ^ y) * 4000) as u16,
        ])
    });
    DynamicImage::ImageRgb16(img.clone())
        .save(sb.path("deep.png"))
        .unwrap();
    sb.cmd()
        .args(["edit", "deep.png", "--rect", "10,10,8,8", "-o", "o.png"])
        .assert()
        .success()
        .stderr(predicate::str::contains("converted to 8 bits"));
    let expected = DynamicImage::ImageRgb16(img).to_rgb8();
    same_outside(&expected, &load_rgb(&sb.path("o.png")), (10, 10, 8, 8), 0);
}

#[test]
fn a_cmyk_jpeg_keeps_its_colours() {
    let sb = Sandbox::new();
    std::fs::copy(fixture("cmyk.jpg"), sb.path("cmyk.jpg")).unwrap();
    sb.cmd()
        .args(["edit", "cmyk.jpg", "--rect", "30,10,8,8", "-o", "o.png"])
        .assert()
        .success();
    let out = load_rgb(&sb.path("o.png"));
    let reference = load_rgb(&fixture("first-frame.png"));
    // a JPEG is lossy: the colours are close to the RGB original, not equal
    same_outside(&reference, &out, (30, 10, 8, 8), 12);
}

#[test]
fn animated_gif_and_webp_use_the_first_frame_and_say_so() {
    let reference = load_rgb(&fixture("first-frame.png"));
    for name in ["animated.gif", "animated.webp"] {
        let sb = Sandbox::new();
        std::fs::copy(fixture(name), sb.path(name)).unwrap();
        sb.cmd()
            .args(["edit", name, "--rect", "30,10,8,8", "-o", "o.png"])
            .assert()
            .success()
            .stderr(predicate::str::contains(format!(
                "{name}: animated {}: only the first frame is used",
                if name.ends_with("gif") { "GIF" } else { "WebP" }
            )));
        same_outside(&reference, &load_rgb(&sb.path("o.png")), (30, 10, 8, 8), 0);
    }
    // a still image gets no such note
    let sb = Sandbox::new();
    std::fs::copy(fixture("first-frame.png"), sb.path("still.png")).unwrap();
    sb.cmd()
        .args(["edit", "still.png", "--rect", "30,10,8,8", "-o", "o.png"])
        .assert()
        .success()
        .stderr(predicate::str::contains("frame").not());
}

#[test]
fn every_exif_orientation_is_applied() {
    // stored 40x20, black with a white 10x6 block in the stored top-left corner
    let stored = RgbImage::from_fn(40, 20, |x, y| {
        if x < 10 && y < 6 {
            Rgb([255, 255, 255])
        } else {
            Rgb([0, 0, 0])
        }
    });
    // where the stored top-left corner is shown, and the shown size
    let cases = [
        (1, "tl", (40, 20)),
        (2, "tr", (40, 20)),
        (3, "br", (40, 20)),
        (4, "bl", (40, 20)),
        (5, "tl", (20, 40)),
        (6, "tr", (20, 40)),
        (7, "br", (20, 40)),
        (8, "bl", (20, 40)),
    ];
    let sb = Sandbox::new();
    for (o, corner, size) in cases {
        let name = format!("o{o}.jpg");
        std::fs::write(sb.path(&name), jpeg_bytes(&stored, Some(o))).unwrap();
        let out = format!("out{o}.png");
        // the rectangle is in shown coordinates: the middle, away from every corner
        let (w, h) = size;
        let rect = format!("{},{},2,2", w / 2 - 1, h / 2 - 1);
        sb.cmd()
            .args(["edit", &name, "--rect", &rect, "-o", &out])
            .assert()
            .success();
        let img = load_rgb(&sb.path(&out));
        assert_eq!(img.dimensions(), size, "orientation {o}");
        let at = |x: u32, y: u32| img.get_pixel(x, y).0[0];
        let (l, r, t, b) = (1, w - 2, 1, h - 2);
        let bright = match corner {
            "tl" => (l, t),
            "tr" => (r, t),
            "br" => (r, b),
            _ => (l, b),
        };
        assert!(
            at(bright.0, bright.1) > 200,
            "orientation {o}: {corner} is dark"
        );
        for (x, y) in [(l, t), (r, t), (r, b), (l, b)] {
            if (x, y) != bright {
                assert!(at(x, y) < 60, "orientation {o}: ({x},{y}) is bright");
            }
        }
    }
}

/// A JPEG decoded as a viewer shows it (EXIF orientation applied), with its orientation tag.
fn upright_jpeg(p: &std::path::Path) -> (RgbImage, u8) {
    use image::ImageDecoder as _;
    let mut dec = image::ImageReader::open(p)
        .unwrap()
        .with_guessed_format()
        .unwrap()
        .into_decoder()
        .unwrap();
    let o = dec.orientation().unwrap();
    let mut img = DynamicImage::from_decoder(dec).unwrap();
    img.apply_orientation(o);
    (img.to_rgb8(), o.to_exif())
}

#[test]
fn a_jpeg_with_an_exif_orientation_is_written_with_the_same_orientation() {
    // stored 64x40 with orientation 6 (rotate 90 clockwise to show): shown 40x64
    let stored = RgbImage::from_fn(64, 40, |x, y| {
        Rgb([(x * 4) as u8, (y * 6) as u8, if x < 32 { 60 } else { 190 }])
    });
    let sb = Sandbox::new();
    std::fs::write(sb.path("in.jpg"), jpeg_bytes(&stored, Some(6))).unwrap();
    let rect = (10, 20, 12, 12);
    let r = format!("{},{},{},{}", rect.0, rect.1, rect.2, rect.3);
    for out in ["out.jpg", "out.png"] {
        sb.cmd()
            .args(["edit", "in.jpg", "--rect", &r, "--seed", "1", "-o", out])
            .assert()
            .success();
    }
    let (input, tag_in) = upright_jpeg(&sb.path("in.jpg"));
    let (jpeg, tag) = upright_jpeg(&sb.path("out.jpg"));
    assert_eq!((tag_in, tag), (6, 6), "the JPEG output keeps orientation 6");
    // stored turned back, as the input was
    let raw = load_rgb(&sb.path("out.jpg"));
    assert_eq!(raw.dimensions(), (64, 40));
    // shown as the edited upright result (the PNG output: upright, no tag), as far as JPEG allows
    let png = load_rgb(&sb.path("out.png"));
    assert_eq!(jpeg.dimensions(), (40, 64));
    let diff: u64 = jpeg
        .as_raw()
        .iter()
        .zip(png.as_raw())
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    let mean = diff as f64 / jpeg.as_raw().len() as f64;
    assert!(mean < 2.0, "mean difference {mean} from the upright result");
    // outside the selection the picture is the input's
    same_outside(&input, &jpeg, rect, 12);
    same_outside(&input, &png, rect, 0);
}

#[test]
fn a_mask_claiming_a_huge_size_is_refused_by_name_before_decoding() {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(32, 32)));
    std::fs::write(sb.path("huge-mask.png"), png_claiming(100_000, 100_000)).unwrap();
    sb.cmd()
        .args(["edit", "in.png", "--mask", "huge-mask.png", "-o", "o.png"])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("huge-mask.png")
                .and(predicate::str::contains("100000x100000")),
        );
    assert!(!sb.path("o.png").exists());
}

/// Runs imgedit with `args` in the sandbox; returns exit code, stderr, seconds and peak memory in
/// kB. The peak comes from GNU time, which starts imgedit from its own small process: a child
/// forked straight from this (large, multi-threaded) test process would count the test's memory as
/// its own, since Linux keeps the high-water mark across exec.
fn run_measured(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> (i32, String, f64, i64) {
    let peak_file = sb.path("peak-kb.txt");
    let mut cmd = std::process::Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&peak_file)
        .arg(assert_cmd::cargo::cargo_bin("imgedit"))
        .env("IMGEDIT_CONFIG_DIR", sb.path("config"))
        .env("IMGEDIT_DATA_DIR", sb.path("data"))
        .current_dir(sb.dir.path())
        .args(args)
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let t = std::time::Instant::now();
    let out = cmd.output().unwrap();
    let secs = t.elapsed().as_secs_f64();
    let peak = std::fs::read_to_string(&peak_file).unwrap_or_default();
    // GNU time writes "Command exited with non-zero status N" before the figure
    let kb = peak
        .lines()
        .filter_map(|l| l.trim().parse::<i64>().ok())
        .next_back()
        .unwrap_or_else(|| panic!("no peak memory from /usr/bin/time: {peak:?}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        secs,
        kb,
    )
}

#[cfg(unix)]
#[test]
fn dev_zero_a_fifo_a_sparse_3_gb_file_and_a_1_gb_config_get_clear_errors_fast() {
    let sb = Sandbox::new();
    sb.save(
        "m.png",
        &DynamicImage::ImageLuma8(ImageBuffer::from_pixel(8, 8, Luma([255u8]))),
    );
    let sparse = std::fs::File::create(sb.path("sparse.png")).unwrap();
    sparse.set_len(3 << 30).unwrap();
    let fifo = sb.path("fifo.png");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["edit", "/dev/zero", "--mask", "m.png", "-o", "z.png"],
            &["/dev/zero: is a character device"],
        ),
        (
            &["edit", "sparse.png", "--mask", "m.png", "-o", "z.png"],
            &["sparse.png", "3221225472 bytes", "limits.max_file_bytes"],
        ),
        (
            // nobody writes to the FIFO: it reads as empty at once instead of blocking
            &["edit", "fifo.png", "--mask", "m.png", "-o", "z.png"],
            &["fifo.png: the file is empty"],
        ),
        (
            &["edit", "m.png", "--mask", "/dev/zero", "-o", "z.png"],
            &["/dev/zero: is a character device"],
        ),
    ];
    for (args, says) in cases {
        let (code, err, secs, kb) = run_measured(&sb, args, &[]);
        assert_eq!(code, 3, "{args:?}: {err}");
        for s in says {
            assert!(err.contains(s), "{args:?}: {err}");
        }
        // a guard against reading without end, not a speed target (about 0.05 s on a quiet
        // machine; the suite runs many processes at once on two cores)
        assert!(secs < 10.0, "{args:?}: {secs} s");
        assert!(kb < 100 * 1024, "{args:?}: {kb} kB");
        assert!(!sb.path("z.png").exists());
    }
    // a FIFO that never stops sending is cut off at the stream limit, in bounded memory
    let writer = std::thread::spawn({
        let fifo = fifo.clone();
        move || {
            use std::io::Write;
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&fifo) {
                let chunk = vec![0u8; 1 << 20];
                while f.write_all(&chunk).is_ok() {}
            }
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    let (code, err, secs, kb) = run_measured(
        &sb,
        &["edit", "fifo.png", "--mask", "m.png", "-o", "z.png"],
        &[],
    );
    // the writer may not have opened yet: then the FIFO reads as empty, also a clear error
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("more than 67108864 bytes, the limit for a pipe or FIFO")
            || err.contains("the file is empty"),
        "{err}"
    );
    assert!(secs < 12.0, "{secs} s");
    assert!(kb < 100 * 1024, "{kb} kB");
    // unblock the writer if it is still waiting for a reader (a non-blocking open never waits)
    {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo);
    }
    writer.join().unwrap();

    // a 1 GB (sparse) config file
    std::fs::create_dir_all(sb.path("config")).unwrap();
    let cfg = std::fs::File::create(sb.path("config/config.toml")).unwrap();
    cfg.set_len(1 << 30).unwrap();
    let (code, err, secs, kb) = run_measured(&sb, &["config", "show"], &[]);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("config.toml") && err.contains("1073741824 bytes"),
        "{err}"
    );
    assert!(secs < 10.0 && kb < 100 * 1024, "{secs} s, {kb} kB");
}

#[test]
fn a_long_multi_byte_prompt_is_shown_redacted_without_a_panic() {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(64, 64)));
    let prompt = format!("a{}", "é".repeat(70));
    let a = sb
        .cmd()
        .args([
            "edit",
            "in.png",
            "--rect",
            "8,8,16,16",
            "--engine",
            "bedrock",
            "--dry-run",
            "--prompt",
            &prompt,
            "-o",
            "out.png",
        ])
        .env("AWS_REGION", "us-east-1")
        .assert()
        .success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned()
        + &String::from_utf8_lossy(&a.get_output().stderr);
    assert!(!out.contains("panicked"), "{out}");
    assert!(out.contains("aééé"), "{out}");
    assert!(!sb.path("out.png").exists());
}
