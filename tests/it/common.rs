//! Shared fixtures: an isolated imgedit command and generated images.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use image::{DynamicImage, GrayImage, Luma, Rgb, RgbImage};

/// A temporary home for config, data and files, removed on drop.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `imgedit` with config and data directories inside the sandbox and no IMGEDIT_* (nor
    /// DYNAMODB_TABLE_NAME) from outside.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("imgedit").unwrap();
        for (k, _) in std::env::vars() {
            if k.starts_with("IMGEDIT_") || k == "DYNAMODB_TABLE_NAME" {
                c.env_remove(k);
            }
        }
        c.env("IMGEDIT_CONFIG_DIR", self.path("config"))
            .env("IMGEDIT_DATA_DIR", self.path("data"))
            .current_dir(self.dir.path());
        c
    }

    /// Files in the sandbox's top directory, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    pub fn save(&self, name: &str, img: &DynamicImage) -> PathBuf {
        let p = self.path(name);
        img.save(&p).unwrap();
        p
    }
}

/// The MiniStack emulator's URL (`scripts/test` sets IMGEDIT_TEST_MINISTACK), or None (skip)
/// outside CI.
pub fn ministack() -> Option<String> {
    match std::env::var("IMGEDIT_TEST_MINISTACK") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but IMGEDIT_TEST_MINISTACK is not: run the suite with scripts/test")
        }
        _ => {
            eprintln!("SKIPPED: emulator test (IMGEDIT_TEST_MINISTACK unset; run scripts/test)");
            None
        }
    }
}

/// A textured RGB test image of any size.
pub fn textured(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = ((x * 7 + y * 13) % 32) as u8 * 6;
        Rgb([v, 255 - v, ((x / 4 + y / 4) % 2 * 200) as u8 + 20])
    })
}

/// A mask with a white rectangle.
pub fn rect_mask(w: u32, h: u32, x0: u32, y0: u32, rw: u32, rh: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        let inside = x >= x0 && x < x0 + rw && y >= y0 && y < y0 + rh;
        Luma([if inside { 255 } else { 0 }])
    })
}

pub fn load_rgb(p: &Path) -> RgbImage {
    image::open(p).unwrap().to_rgb8()
}

pub fn load_gray(p: &Path) -> GrayImage {
    image::open(p).unwrap().to_luma8()
}

/// CRC-32 (PNG's), for hand-made chunks.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small valid PNG whose header claims `w` x `h` pixels: a decompression bomb's shape.
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    RgbImage::new(1, 1)
        .write_to(&mut buf, image::ImageFormat::Png)
        .unwrap();
    let mut bytes = buf.into_inner();
    // IHDR data starts at 16: width, height; its CRC covers type + data (12..29) and sits at 29.
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// JPEG bytes of an image, with an EXIF APP1 segment carrying `orientation` when given.
pub fn jpeg_bytes(img: &RgbImage, orientation: Option<u16>) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Jpeg).unwrap();
    let jpeg = buf.into_inner();
    let Some(o) = orientation else { return jpeg };
    // TIFF header (big endian), one IFD entry: 0x0112 Orientation, SHORT, count 1.
    let mut tiff = vec![b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1];
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    tiff.extend_from_slice(&o.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}
