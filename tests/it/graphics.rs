//! What imgedit writes to the terminal, decoded back into pixels: kitty's APC chunks, iTerm2's
//! OSC 1337 and sixel, each compared with the image that was encoded. A protocol that writes
//! something other than the picture (boxes, a wrong size, shifted colours) fails here.

use base64::Engine as _;
use image::{Rgb, RgbImage};
use imgedit::tui::render::to_protocol;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use ratatui_image::Image;
use ratatui_image::picker::{Picker, ProtocolType};

/// A picture with edges and a gradient, `cols x rows` cells of 10x20 pixels.
fn picture(cols: u16, rows: u16) -> RgbImage {
    let (w, h) = (u32::from(cols) * 10, u32::from(rows) * 20);
    RgbImage::from_fn(w, h, |x, y| {
        let edge = if x == w / 3 || y == h / 2 { 255 } else { 0 };
        Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, edge])
    })
}

/// Everything the protocol writes into the cells, in order.
fn written(kind: ProtocolType, img: &RgbImage, cols: u16, rows: u16) -> String {
    #[allow(deprecated)]
    let mut picker = Picker::from_fontsize((10, 20).into());
    picker.set_protocol_type(kind);
    let protocol = to_protocol(img.clone(), cols, rows, &picker).unwrap();
    let area = Rect::new(0, 0, cols, rows);
    let mut buf = Buffer::empty(area);
    Image::new(&protocol).render(area, &mut buf);
    buf.content().iter().map(|c| c.symbol()).collect()
}

/// The mean absolute difference per channel of two same-sized images.
fn difference(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

/// kitty: `ESC _G key=value,...;BASE64 ESC \` chunks, `m=1` on all but the last; `f=32` raw RGBA
/// of `s` x `v` pixels.
fn decode_kitty(seq: &str) -> RgbImage {
    let (mut w, mut h, mut format, mut data) = (0, 0, 0, String::new());
    for chunk in seq.split("\x1b_G").skip(1) {
        let body = &chunk[..chunk.find("\x1b\\").expect("each chunk ends with ST")];
        let (keys, payload) = body.split_once(';').expect("keys;payload");
        for kv in keys.split(',') {
            match kv.split_once('=') {
                Some(("s", v)) => w = v.parse().unwrap(),
                Some(("v", v)) => h = v.parse().unwrap(),
                Some(("f", v)) => format = v.parse().unwrap(),
                Some(("o", _)) => panic!("compressed transmission"),
                _ => {}
            }
        }
        data.push_str(payload);
    }
    assert_eq!(format, 32, "RGBA");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    let rgba = image::RgbaImage::from_raw(w, h, raw).expect("s x v x 4 bytes");
    image::DynamicImage::ImageRgba8(rgba).to_rgb8()
}

/// iTerm2: `ESC ]1337;File=...:BASE64 BEL`, a PNG.
fn decode_iterm2(seq: &str) -> RgbImage {
    let start = seq.find("]1337;File=").expect("an OSC 1337");
    let rest = &seq[start..];
    let payload = &rest[rest.find(':').unwrap() + 1..rest.find('\x07').unwrap()];
    let png = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .unwrap();
    image::load_from_memory(&png).unwrap().to_rgb8()
}

/// sixel: `ESC P ... q`, then `"1;1;W;H`, colour registers `#N;2;R;G;B` (percent), `#N` to
/// select one, data characters `?`..`~` (six pixels down), `!N` to repeat, `$` back to the start
/// of the band, `-` to the next band, and `ESC \` to end.
fn decode_sixel(seq: &str) -> RgbImage {
    let start = seq.find("\x1bP").expect("a DCS");
    let body = &seq[start..];
    let body = &body[body.find('q').unwrap() + 1..body.find("\x1b\\").unwrap()];
    let mut chars = body.chars().peekable();
    let number = |chars: &mut std::iter::Peekable<std::str::Chars>| {
        let mut n = 0u32;
        while let Some(c) = chars.peek().copied().filter(char::is_ascii_digit) {
            n = n * 10 + c.to_digit(10).unwrap();
            chars.next();
        }
        n
    };
    let (mut w, mut h) = (0, 0);
    if chars.peek() == Some(&'"') {
        chars.next();
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(number(&mut chars));
            if chars.peek() == Some(&';') {
                chars.next();
            }
        }
        (w, h) = (v[2], v[3]);
    }
    let mut img = RgbImage::new(w.max(1), h.max(1));
    let mut palette = std::collections::HashMap::new();
    let (mut x, mut band, mut colour) = (0u32, 0u32, [0u8; 3]);
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                let n = number(&mut chars);
                if chars.peek() == Some(&';') {
                    let mut v = Vec::new();
                    for _ in 0..4 {
                        chars.next();
                        v.push(number(&mut chars));
                    }
                    let pc = |p: u32| (p * 255 / 100) as u8;
                    palette.insert(n, [pc(v[1]), pc(v[2]), pc(v[3])]);
                }
                colour = palette.get(&n).copied().unwrap_or([0; 3]);
            }
            '!' => {
                let n = number(&mut chars);
                let d = chars.next().unwrap();
                for _ in 0..n {
                    put_six(&mut img, x, band, d, colour);
                    x += 1;
                }
            }
            '$' => x = 0,
            '-' => {
                x = 0;
                band += 1;
            }
            '?'..='~' => {
                put_six(&mut img, x, band, c, colour);
                x += 1;
            }
            _ => {}
        }
    }
    img
}

fn put_six(img: &mut RgbImage, x: u32, band: u32, d: char, colour: [u8; 3]) {
    let bits = d as u32 - '?' as u32;
    for k in 0..6 {
        let y = band * 6 + k;
        if bits & (1 << k) != 0 && x < img.width() && y < img.height() {
            img.put_pixel(x, y, Rgb(colour));
        }
    }
}

#[test]
fn kitty_iterm2_and_sixel_output_decodes_to_the_picture() {
    let (cols, rows) = (8, 3);
    let img = picture(cols, rows);
    let kitty = decode_kitty(&written(ProtocolType::Kitty, &img, cols, rows));
    assert_eq!(kitty, img, "kitty carries the exact pixels");
    let iterm2 = decode_iterm2(&written(ProtocolType::Iterm2, &img, cols, rows));
    assert_eq!(iterm2, img, "iTerm2 carries the exact pixels");
    let sixel = decode_sixel(&written(ProtocolType::Sixel, &img, cols, rows));
    assert_eq!(sixel.dimensions(), img.dimensions());
    // sixel quantises to a palette (and its registers to whole percents)
    let d = difference(&sixel, &img);
    assert!(d < 12.0, "sixel differs by {d:.1} a channel on average");
    // a decoder that read boxes or garbage would not come close
    let black = RgbImage::new(img.width(), img.height());
    assert!(difference(&black, &img) > 50.0);
}
