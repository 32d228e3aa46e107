//! Grow, shrink and feather through an exact Euclidean distance transform.

use image::GrayImage;

/// Squared Euclidean distance from each pixel to the nearest pixel where `is_seed` holds
/// (Felzenszwalb and Huttenlocher's separable transform). `f32::INFINITY` when there is no seed.
pub(crate) fn squared_distance(img: &GrayImage, is_seed: impl Fn(u8) -> bool) -> Vec<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut d: Vec<f32> = img
        .as_raw()
        .iter()
        .map(|&v| if is_seed(v) { 0.0 } else { f32::INFINITY })
        .collect();
    let n = w.max(h);
    let mut f = vec![0f32; n];
    let mut out = vec![0f32; n];
    let mut v = vec![0usize; n];
    let mut z = vec![0f32; n + 1];
    for x in 0..w {
        for y in 0..h {
            f[y] = d[y * w + x];
        }
        dt_1d(&f[..h], &mut out[..h], &mut v, &mut z);
        for y in 0..h {
            d[y * w + x] = out[y];
        }
    }
    for y in 0..h {
        f[..w].copy_from_slice(&d[y * w..(y + 1) * w]);
        dt_1d(&f[..w], &mut out[..w], &mut v, &mut z);
        d[y * w..(y + 1) * w].copy_from_slice(&out[..w]);
    }
    d
}

fn dt_1d(f: &[f32], d: &mut [f32], v: &mut [usize], z: &mut [f32]) {
    let n = f.len();
    // Only finite samples take part in the lower envelope.
    let mut k: isize = -1;
    for q in 0..n {
        if !f[q].is_finite() {
            continue;
        }
        let qf = q as f32;
        loop {
            if k < 0 {
                k = 0;
                v[0] = q;
                z[0] = f32::NEG_INFINITY;
                z[1] = f32::INFINITY;
                break;
            }
            let p = v[k as usize];
            let pf = p as f32;
            let s = ((f[q] + qf * qf) - (f[p] + pf * pf)) / (2.0 * qf - 2.0 * pf);
            if s <= z[k as usize] {
                k -= 1;
                continue;
            }
            k += 1;
            v[k as usize] = q;
            z[k as usize] = s;
            z[k as usize + 1] = f32::INFINITY;
            break;
        }
    }
    if k < 0 {
        d.iter_mut().for_each(|x| *x = f32::INFINITY);
        return;
    }
    let mut j = 0usize;
    for (q, out) in d.iter_mut().enumerate() {
        let qf = q as f32;
        while z[j + 1] < qf {
            j += 1;
        }
        let p = v[j] as f32;
        *out = (qf - p) * (qf - p) + f[v[j]];
    }
}

pub(crate) fn grow(img: &mut GrayImage, px: u32) {
    if px == 0 {
        return;
    }
    let r2 = (px as f32) * (px as f32);
    let d = squared_distance(img, |v| v > 0);
    for (p, dist) in img.iter_mut().zip(d) {
        if *p == 0 && dist <= r2 {
            *p = 255;
        }
    }
}

pub(crate) fn shrink(img: &mut GrayImage, px: u32) {
    if px == 0 {
        return;
    }
    let r2 = (px as f32) * (px as f32);
    let d = squared_distance(img, |v| v == 0);
    for (p, dist) in img.iter_mut().zip(d) {
        if *p > 0 && dist <= r2 {
            *p = 0;
        }
    }
}

pub(crate) fn feather(img: &mut GrayImage, px: u32) {
    if px == 0 {
        return;
    }
    let d = squared_distance(img, |v| v == 255);
    let width = px as f32 + 1.0;
    for (p, dist) in img.iter_mut().zip(d) {
        if *p == 255 {
            continue;
        }
        let t = dist.sqrt();
        if t < width {
            let a = (255.0 * (1.0 - t / width)).round() as u8;
            *p = (*p).max(a);
        }
    }
}

/// The 4-neighbours of pixel `i` of a `w` x `h` grid (indices `y * w + x`) that lie inside it:
/// left, right, up, down, in that order.
#[inline]
pub(crate) fn neighbours4(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    [
        (x > 0).then(|| i - 1),
        (x + 1 < w).then(|| i + 1),
        (y > 0).then(|| i - w),
        (y + 1 < h).then(|| i + w),
    ]
    .into_iter()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours4_stay_inside_the_grid_in_order() {
        let n = |i| neighbours4(i, 3, 2).collect::<Vec<_>>();
        assert_eq!(n(0), vec![1, 3]);
        assert_eq!(n(1), vec![0, 2, 4]);
        assert_eq!(n(5), vec![4, 2]);
        assert_eq!(neighbours4(0, 1, 1).count(), 0);
    }

    fn dot(w: u32, h: u32, x: u32, y: u32) -> GrayImage {
        let mut m = GrayImage::new(w, h);
        m.put_pixel(x, y, image::Luma([255]));
        m
    }

    #[test]
    fn distance_is_euclidean() {
        let m = dot(9, 9, 4, 4);
        let d = squared_distance(&m, |v| v > 0);
        assert_eq!(d[4 * 9 + 4], 0.0);
        assert_eq!(d[4 * 9 + 7], 9.0);
        assert_eq!(d[7 * 9 + 7], 18.0);
        let empty = GrayImage::new(3, 3);
        assert!(
            squared_distance(&empty, |v| v > 0)
                .iter()
                .all(|x| x.is_infinite())
        );
    }

    #[test]
    fn grow_makes_a_disc_and_shrink_takes_it_back() {
        let mut m = dot(21, 21, 10, 10);
        grow(&mut m, 3);
        // a digital disc of radius 3 has 29 pixels
        assert_eq!(m.iter().filter(|&&v| v == 255).count(), 29);
        assert_eq!(m.get_pixel(13, 10).0[0], 255);
        assert_eq!(m.get_pixel(13, 11).0[0], 0);
        shrink(&mut m, 3);
        assert_eq!(m.iter().filter(|&&v| v == 255).count(), 1);
        assert_eq!(m.get_pixel(10, 10).0[0], 255);
    }

    #[test]
    fn feather_ramps_outward_only() {
        let mut m = GrayImage::new(20, 1);
        for x in 0..10 {
            m.put_pixel(x, 0, image::Luma([255]));
        }
        feather(&mut m, 4);
        let row: Vec<u8> = m.iter().copied().collect();
        assert!(row[..10].iter().all(|&v| v == 255));
        assert!(row[10] > row[11] && row[11] > row[12] && row[12] > row[13] && row[13] > 0);
        assert!(row[14..].iter().all(|&v| v == 0));
    }
}
