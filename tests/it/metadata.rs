//! The input's photo metadata in every output: EXIF fields (camera, date, GPS) with the
//! orientation, no embedded thumbnail of the picture before the edit, and the colour profile;
//! read back with the `image` crate (exiftool is not in CI).

use std::io::Cursor;

use image::ImageDecoder as _;
use predicates::prelude::*;

use crate::common::{Sandbox, textured};

/// The thumbnail's bytes: must appear in no output.
const THUMB: &[u8; 32] = b"THUMB-OF-THE-UNEDITED-PICTURE!!!";
/// Where IFD0's next-IFD offset and IFD1 are in [`exif_block`].
const NEXT_AT: usize = 58;
const IFD1_AT: usize = 124;

/// A camera's EXIF block: IFD0 with Make, Orientation `o`, an Exif IFD (DateTimeOriginal) and a
/// GPS IFD (GPSLatitudeRef "N"); IFD1 with a 32-byte JPEG thumbnail. Either byte order.
fn exif_block(le: bool, o: u16) -> Vec<u8> {
    let u16b = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let u32b = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let mut b: Vec<u8> = if le {
        b"II\x2a\0".to_vec()
    } else {
        b"MM\0\x2a".to_vec()
    };
    b.extend_from_slice(&u32b(8));
    let entry = |b: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        b.extend_from_slice(&u16b(tag));
        b.extend_from_slice(&u16b(kind));
        b.extend_from_slice(&u32b(count));
        b.extend_from_slice(&value);
    };
    let short = |v: u16| {
        let s = u16b(v);
        [s[0], s[1], 0, 0]
    };
    // IFD0 at 8: 4 entries, next-IFD offset at 58
    b.extend_from_slice(&u16b(4));
    entry(&mut b, 0x010F, 2, 6, u32b(62));
    entry(&mut b, 0x0112, 3, 1, short(o));
    entry(&mut b, 0x8769, 4, 1, u32b(68));
    entry(&mut b, 0x8825, 4, 1, u32b(106));
    assert_eq!(b.len(), NEXT_AT);
    b.extend_from_slice(&u32b(IFD1_AT as u32));
    b.extend_from_slice(b"Canon\0");
    // Exif IFD at 68: DateTimeOriginal, its text at 86
    b.extend_from_slice(&u16b(1));
    entry(&mut b, 0x9003, 2, 20, u32b(86));
    b.extend_from_slice(&u32b(0));
    b.extend_from_slice(b"2024:05:01 10:20:30\0");
    // GPS IFD at 106: GPSLatitudeRef "N"
    b.extend_from_slice(&u16b(1));
    entry(&mut b, 0x0001, 2, 2, [b'N', 0, 0, 0]);
    b.extend_from_slice(&u32b(0));
    // IFD1 at 124: the thumbnail at 154
    assert_eq!(b.len(), IFD1_AT);
    b.extend_from_slice(&u16b(2));
    entry(&mut b, 0x0201, 4, 1, u32b(154));
    entry(&mut b, 0x0202, 4, 1, u32b(THUMB.len() as u32));
    b.extend_from_slice(&u32b(0));
    b.extend_from_slice(THUMB);
    b
}

/// A stand-in ICC profile (the bytes only have to travel, not be parsed).
pub fn icc() -> Vec<u8> {
    let mut p: Vec<u8> = (0..600u32).map(|i| (i % 251) as u8).collect();
    p[..4].copy_from_slice(&600u32.to_be_bytes());
    p[36..40].copy_from_slice(b"acsp");
    p
}

/// A JPEG of `img` with `exif` in an APP1 segment right after SOI, as cameras write it, and an
/// ICC profile when given.
pub fn jpeg_with_exif(img: &image::RgbImage, exif: &[u8], icc: Option<Vec<u8>>) -> Vec<u8> {
    use image::ImageEncoder as _;
    let mut plain = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 95);
    if let Some(p) = icc {
        enc.set_icc_profile(p).unwrap();
    }
    enc.write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(exif);
    out.extend_from_slice(&plain[2..]);
    out
}

/// What an output file (JPEG or PNG) holds: its EXIF block, ICC profile and stored size.
pub struct ReadBack {
    pub exif: Option<Vec<u8>>,
    pub icc: Option<Vec<u8>>,
    pub size: (u32, u32),
}

pub fn read_back(bytes: &[u8]) -> ReadBack {
    let mut dec = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .unwrap()
        .into_decoder()
        .unwrap();
    let exif = dec.exif_metadata().unwrap();
    let icc = dec.icc_profile().unwrap();
    ReadBack {
        exif,
        icc,
        size: dec.dimensions(),
    }
}

/// `block` with its thumbnail removed as imgedit removes it, and Orientation `o`: what an
/// output must hold.
fn expected(block: &[u8], le: bool, o: u16) -> Vec<u8> {
    let mut want = block.to_vec();
    want[NEXT_AT..NEXT_AT + 4].fill(0);
    want[IFD1_AT..].fill(0);
    // the Orientation entry is IFD0's second: its value at 8 + 2 + 12 + 8
    let at = 8 + 2 + 12 + 8;
    want[at..at + 2].copy_from_slice(&if le { o.to_le_bytes() } else { o.to_be_bytes() });
    want
}

#[test]
fn every_exif_field_but_the_thumbnail_reaches_the_outputs() {
    let sb = Sandbox::new();
    // stored 64x40 with orientation 6: shown 40x64
    let stored = textured(64, 40);
    for le in [false, true] {
        let block = exif_block(le, 6);
        let input = jpeg_with_exif(&stored, &block, Some(icc()));
        std::fs::write(sb.path("in.jpg"), input).unwrap();
        for out in ["out.jpg", "out.png"] {
            sb.cmd()
                .args(["edit", "in.jpg", "--rect", "10,20,8,8", "--seed", "1"])
                .args(["-o", out, "--force"])
                .assert()
                .success()
                .stderr(predicate::str::contains("note:").not());
        }
        // JPEG: stored turned as the input was, the same tags, orientation 6, no thumbnail
        let jpeg = std::fs::read(sb.path("out.jpg")).unwrap();
        let ReadBack { exif, icc: p, size } = read_back(&jpeg);
        assert_eq!(
            exif.as_deref(),
            Some(&expected(&block, le, 6)[..]),
            "le {le}"
        );
        assert_eq!(p, Some(icc()), "the colour profile");
        assert_eq!(size, (64, 40));
        assert!(!jpeg.windows(THUMB.len()).any(|w| w == THUMB));
        // PNG: upright pixels, the same tags with orientation 1
        let png = std::fs::read(sb.path("out.png")).unwrap();
        let ReadBack { exif, icc: p, size } = read_back(&png);
        assert_eq!(
            exif.as_deref(),
            Some(&expected(&block, le, 1)[..]),
            "le {le}"
        );
        assert_eq!(p, Some(icc()), "the colour profile");
        assert_eq!(size, (40, 64));
        assert!(!png.windows(THUMB.len()).any(|w| w == THUMB));
    }
}

#[test]
fn a_malformed_exif_block_is_dropped_with_a_note_and_the_orientation_kept() {
    let sb = Sandbox::new();
    let stored = textured(64, 40);
    let mut block = exif_block(false, 6);
    // the thumbnail's length runs past the end of the block
    let len_at = IFD1_AT + 2 + 12 + 8;
    block[len_at..len_at + 4].copy_from_slice(&5000u32.to_be_bytes());
    std::fs::write(sb.path("in.jpg"), jpeg_with_exif(&stored, &block, None)).unwrap();
    sb.cmd()
        .args(["edit", "in.jpg", "--rect", "10,20,8,8", "-o", "out.jpg"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("note: in.jpg: its EXIF block is not kept")
                .and(predicate::str::contains("thumbnail")),
        );
    let jpeg = std::fs::read(sb.path("out.jpg")).unwrap();
    let ReadBack { exif, size, .. } = read_back(&jpeg);
    let exif = exif.unwrap();
    assert!(!exif.windows(5).any(|w| w == b"Canon"), "fields dropped");
    assert!(!jpeg.windows(THUMB.len()).any(|w| w == THUMB));
    // still shown upright: stored turned, orientation 6
    assert_eq!(size, (64, 40));
    let o = image::metadata::Orientation::from_exif_chunk(&exif).unwrap();
    assert_eq!(o.to_exif(), 6);
}

/// The mask file of a `w` x `h` image selecting the 8x8 square at (10, 20) (white = change).
fn mask_png(w: u32, h: u32) -> Vec<u8> {
    let m = image::GrayImage::from_fn(w, h, |x, y| {
        let inside = (10..18).contains(&x) && (20..28).contains(&y);
        image::Luma([if inside { 255 } else { 0 }])
    });
    let mut buf = Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(m)
        .write_to(&mut buf, image::ImageFormat::Png)
        .unwrap();
    buf.into_inner()
}

#[test]
fn tui_results_and_saves_keep_the_colour_profile_and_exif() {
    use imgedit::tui::action::{Action, Command, Effect};
    use imgedit::tui::app::{App, Overlay, Params};
    let sb = Sandbox::new();
    // stored 64x40 with orientation 6: shown 40x64
    let block = exif_block(true, 6);
    let input = jpeg_with_exif(&textured(64, 40), &block, Some(icc()));
    std::fs::write(sb.path("in.jpg"), input).unwrap();
    std::fs::write(sb.path("mask.png"), mask_png(40, 64)).unwrap();

    // the local engine (the default); the URL is never called
    let mut runner = crate::tui::ApiRunner::new("http://127.0.0.1:9", &sb.path("data"));
    let mut app = App::new(
        (100, 35),
        ratatui_image::picker::ProtocolType::Halfblocks,
        (10, 20),
        Params::default(),
    );
    runner.perform(&mut app, Effect::OpenImage(sb.path("in.jpg")));
    assert!(app.status.text.starts_with("opened"), "{}", app.status.text);
    let mask = Effect::LoadMask {
        path: sb.path("mask.png"),
        width: 40,
        height: 64,
    };
    runner.perform(&mut app, mask);
    runner.run(&mut app);
    let doc = app.doc.as_ref().unwrap();
    assert_eq!(doc.results.len(), 1, "{}", app.status.text);

    // the result kept in the work folder: a PNG with the profile and the fields, Orientation 1
    let work = doc.results[0].work_path.clone().unwrap();
    let got = read_back(&std::fs::read(&work).unwrap());
    assert_eq!(got.icc, Some(icc()), "{}", work.display());
    assert_eq!(got.exif.as_deref(), Some(&expected(&block, true, 1)[..]));
    assert_eq!(got.size, (40, 64));

    // saved as a JPEG (`s`, a path, Enter): stored turned back with Orientation 6, as the input
    step_save(&mut runner, &mut app, &sb.path("saved.jpg"));
    let got = read_back(&std::fs::read(sb.path("saved.jpg")).unwrap());
    assert_eq!(got.icc, Some(icc()));
    assert_eq!(got.exif.as_deref(), Some(&expected(&block, true, 6)[..]));
    assert_eq!(got.size, (64, 40));

    /// Presses `s`, types `path` and Enter, and runs the save it asks for.
    fn step_save(runner: &mut crate::tui::ApiRunner, app: &mut App, path: &std::path::Path) {
        use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
        crate::tui::step(app, Action::Cmd(Command::SaveResult));
        let Some(Overlay::Input(input)) = app.overlay.as_mut() else {
            panic!("no file name prompt: {}", app.status.text)
        };
        input.text = path.display().to_string();
        input.cursor = input.text.chars().count();
        let enter = Event::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        let fx = crate::tui::step(app, Action::Term(enter));
        let save = fx
            .into_iter()
            .find(|e| matches!(e, Effect::SaveImage { .. }))
            .expect("Enter saves");
        runner.perform(app, save);
        assert!(app.status.text.contains("saved"), "{}", app.status.text);
    }
}

#[test]
fn image_edit_answers_keep_the_colour_profile_and_exif() {
    use crate::common::{browser_body, edit_url, post, serve, short, titan_mask};
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth"], &[]);
    // a phone photo: stored 64x40 with orientation 6, an ICC profile (Display P3 on an iPhone)
    let block = exif_block(false, 6);
    let jpeg = jpeg_with_exif(&textured(64, 40), &block, Some(icc()));
    // the Titan mask (black = change) in shown coordinates, 40x64
    let mask = titan_mask(40, 64, 10, 20, 8, 8);
    let a = post(
        &edit_url(&s),
        None,
        &browser_body("a stone", "INPAINTING", &jpeg, Some(&mask)),
    );
    assert_eq!(a.status, 200, "{}", short(&a.body));
    let v = a.json();
    let png = {
        use base64::Engine as _;
        let b = v["images"][0].as_str().unwrap();
        base64::engine::general_purpose::STANDARD.decode(b).unwrap()
    };
    // the contract's answer is a PNG: the profile in iCCP, the fields in eXIf with Orientation 1
    assert_eq!(&png[1..4], b"PNG");
    let got = read_back(&png);
    assert_eq!(got.icc, Some(icc()));
    assert_eq!(got.exif.as_deref(), Some(&expected(&block, false, 1)[..]));
    assert_eq!(got.size, (40, 64));
}
