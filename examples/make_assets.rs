//! Regenerates `assets/sample.png` and `assets/sample-mask.png`: a procedural, photo-like landscape
//! with a utility pole to remove, and the mask that covers the pole. Run:
//! `cargo run --example make_assets`.

use image::{GrayImage, Luma, Rgb, RgbImage};

const W: u32 = 640;
const H: u32 = 427;

fn hash(x: i64, y: i64, seed: u64) -> f64 {
    let mut h = (x as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (y as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ seed.wrapping_mul(0x1656_67B1_9E37_79F9);
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

fn value_noise(x: f64, y: f64, seed: u64) -> f64 {
    let (xi, yi) = (x.floor() as i64, y.floor() as i64);
    let (fx, fy) = (x - x.floor(), y - y.floor());
    let s = |t: f64| t * t * (3.0 - 2.0 * t);
    let (sx, sy) = (s(fx), s(fy));
    let a = hash(xi, yi, seed);
    let b = hash(xi + 1, yi, seed);
    let c = hash(xi, yi + 1, seed);
    let d = hash(xi + 1, yi + 1, seed);
    (a + (b - a) * sx) + ((c + (d - c) * sx) - (a + (b - a) * sx)) * sy
}

fn fbm(x: f64, y: f64, octaves: u32, seed: u64) -> f64 {
    let (mut sum, mut amp, mut freq, mut norm) = (0.0, 1.0, 1.0, 0.0);
    for o in 0..octaves {
        sum += amp * value_noise(x * freq, y * freq, seed + u64::from(o));
        norm += amp;
        amp *= 0.5;
        freq *= 2.0;
    }
    sum / norm
}

fn lerp(a: [f64; 3], b: [f64; 3], t: f64) -> [f64; 3] {
    let t = t.clamp(0.0, 1.0);
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut img = RgbImage::new(W, H);
    let mountain =
        |x: f64| 190.0 - 70.0 * fbm(x / 90.0, 0.5, 5, 11) - 25.0 * (x / 140.0).sin().abs();
    let hill = |x: f64| 262.0 - 30.0 * fbm(x / 160.0, 3.5, 4, 23);
    for y in 0..H {
        for x in 0..W {
            let (fx, fy) = (f64::from(x), f64::from(y));
            let mut c;
            if fy < mountain(fx) {
                // sky with soft clouds
                c = lerp([70.0, 120.0, 190.0], [185.0, 210.0, 232.0], fy / 200.0);
                let cloud = (fbm(fx / 70.0, fy / 28.0, 6, 5) - 0.52).max(0.0) * 2.6;
                c = lerp(c, [245.0, 246.0, 250.0], cloud);
            } else if fy < hill(fx) {
                // distant mountains, hazy, with rock texture
                let r = fbm(fx / 18.0, fy / 9.0, 5, 31);
                let depth = (fy - mountain(fx)) / 80.0;
                c = lerp([92.0, 104.0, 128.0], [120.0, 130.0, 150.0], r);
                c = lerp(c, [70.0, 92.0, 80.0], depth);
            } else {
                // meadow: green with grass blades (stretched noise) and light falloff
                let blades = fbm(fx / 2.2, fy / 11.0, 4, 41);
                let patches = fbm(fx / 60.0, fy / 25.0, 4, 47);
                let near = ((fy - 262.0) / 165.0).clamp(0.0, 1.0);
                c = lerp([96.0, 138.0, 62.0], [58.0, 98.0, 36.0], patches);
                c = lerp(
                    c,
                    [150.0, 170.0, 80.0],
                    (blades - 0.5) * (0.6 + 1.4 * near) + 0.25,
                );
                let dots = hash(x as i64, y as i64, 77);
                if dots > 0.997 - 0.002 * near {
                    c = [230.0, 220.0, 90.0]; // small flowers
                }
            }
            let grain = (hash(x as i64, y as i64, 99) - 0.5) * 10.0;
            img.put_pixel(
                x,
                y,
                Rgb([
                    (c[0] + grain).clamp(0.0, 255.0) as u8,
                    (c[1] + grain).clamp(0.0, 255.0) as u8,
                    (c[2] + grain).clamp(0.0, 255.0) as u8,
                ]),
            );
        }
    }
    // the utility pole to remove: a slightly tilted post with a crossbar
    let mut mask = GrayImage::new(W, H);
    let (base_x, top_y, bottom_y) = (430.0, 70.0, 395.0);
    for y in 0..H {
        for x in 0..W {
            let (fx, fy) = (f64::from(x), f64::from(y));
            let t = ((fy - top_y) / (bottom_y - top_y)).clamp(0.0, 1.0);
            let cx = base_x + 6.0 * (1.0 - t);
            let half = 3.0 + 2.5 * t;
            let post = fy >= top_y && fy <= bottom_y && (fx - cx).abs() <= half;
            let bar = (fy - 92.0).abs() <= 2.5 && (fx - cx).abs() <= 38.0;
            let insulator = [-30.0, 30.0]
                .iter()
                .any(|dx| (fx - cx - dx).abs() <= 2.0 && (84.0..=90.0).contains(&fy));
            if post || bar || insulator {
                let shade = 0.75 + 0.25 * ((fx - cx) / half.max(1.0)).clamp(-1.0, 1.0);
                let wood = fbm(fx / 1.5, fy / 14.0, 3, 61);
                let v = (58.0 + 30.0 * wood) * shade;
                img.put_pixel(x, y, Rgb([v as u8, (v * 0.8) as u8, (v * 0.62) as u8]));
            }
            // the mask: the pole's footprint plus a margin
            let m_post = fy >= top_y - 6.0 && fy <= bottom_y + 6.0 && (fx - cx).abs() <= half + 6.0;
            let m_bar = (fy - 89.0).abs() <= 10.0 && (fx - cx).abs() <= 44.0;
            if m_post || m_bar {
                mask.put_pixel(x, y, Luma([255]));
            }
        }
    }
    std::fs::create_dir_all("assets")?;
    img.save("assets/sample.png")?;
    mask.save("assets/sample-mask.png")?;
    println!("wrote assets/sample.png and assets/sample-mask.png ({W}x{H})");
    Ok(())
}
