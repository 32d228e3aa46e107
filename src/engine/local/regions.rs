//! Splitting a mask into independent regions: every connected hole (8-connectivity), or every
//! cluster of holes close enough that one's region reaches the other, is solved on its own crop
//! (its bounding box plus the source margin), so several small holes cost their own areas, not
//! the area of the box around all of them.
//!
//! Two clusters are independent when neither's crop (bounding box plus margin, clamped to the
//! image) touches the other's bounding box: then no crop holds another cluster's hole pixels,
//! and a cluster's fill is exactly the fill of the mask that holds that cluster alone.

use super::pyramid::{Rect, expand};
use rayon::prelude::*;

/// More runs of hole pixels than this (a noise-like mask) and the mask is one region: labelling
/// would cost more memory than it saves.
const MAX_RUNS: usize = 1 << 20;
/// More connected holes than this and the mask is one region (the clustering is quadratic).
const MAX_COMPONENTS: usize = 4096;

/// The crops of the independent regions of `mask` (`w` x `h`, non-zero = hole), each its
/// cluster's bounding box expanded by `margin(bounding box)` and clamped to the image, ordered by
/// their top-left corners (rows first). Empty when the mask selects nothing.
pub(super) fn plan(mask: &[u8], w: usize, h: usize, margin: impl Fn(Rect) -> usize) -> Vec<Rect> {
    let clusters = match components(mask, w, h) {
        Some(c) if !c.is_empty() => cluster(c, w, h, &margin),
        Some(_) => return Vec::new(),
        // too fragmented to label: one region around everything
        None => super::pyramid::bbox(mask, w, h).into_iter().collect(),
    };
    let mut crops: Vec<Rect> = clusters
        .into_iter()
        .map(|b| expand(b, margin(b), w, h))
        .collect();
    crops.sort_by_key(|r| (r.y0, r.x0, r.y1, r.x1));
    crops
}

/// Bounding boxes of the 8-connected components of the mask's non-zero pixels (any order), or
/// `None` when the mask has more than [`MAX_RUNS`] runs or [`MAX_COMPONENTS`] components.
fn components(mask: &[u8], w: usize, h: usize) -> Option<Vec<Rect>> {
    // runs of hole pixels per row, [x0, x1), rows in parallel
    let rows: Vec<Vec<(u32, u32)>> = mask
        .par_chunks(w.max(1))
        .take(h)
        .map(|row| {
            let mut runs = Vec::new();
            let mut x = 0;
            while let Some(s) = row[x..].iter().position(|&m| m != 0) {
                let x0 = x + s;
                let len = row[x0..].iter().position(|&m| m == 0).unwrap_or(w - x0);
                runs.push((x0 as u32, (x0 + len) as u32));
                x = x0 + len;
            }
            runs
        })
        .collect();
    let total: usize = rows.iter().map(Vec::len).sum();
    if total > MAX_RUNS {
        return None;
    }
    // union-find over runs; runs of adjacent rows that overlap or touch diagonally are joined
    let mut parent: Vec<u32> = (0..total as u32).collect();
    fn find(p: &mut [u32], mut i: u32) -> u32 {
        while p[i as usize] != i {
            p[i as usize] = p[p[i as usize] as usize];
            i = p[i as usize];
        }
        i
    }
    let mut start = 0usize; // index of the first run of the previous row
    let mut prev: &[(u32, u32)] = &[];
    for row in &rows {
        let base = start + prev.len();
        let mut j = 0;
        for (k, &(a0, a1)) in row.iter().enumerate() {
            // previous-row runs ending before this one's diagonal neighbour can be skipped
            while j < prev.len() && prev[j].1 < a0 {
                j += 1;
            }
            let mut jj = j;
            while jj < prev.len() && prev[jj].0 <= a1 {
                let (ra, rb) = (
                    find(&mut parent, (base + k) as u32),
                    find(&mut parent, (start + jj) as u32),
                );
                if ra != rb {
                    parent[ra.max(rb) as usize] = ra.min(rb);
                }
                jj += 1;
            }
        }
        start = base;
        prev = row;
    }
    let mut boxes: Vec<Option<Rect>> = vec![None; total];
    let mut i = 0usize;
    let mut n = 0usize;
    for (y, row) in rows.iter().enumerate() {
        for &(x0, x1) in row {
            let root = find(&mut parent, i as u32) as usize;
            let (x0, x1) = (x0 as usize, x1 as usize);
            let b = &mut boxes[root];
            match b {
                Some(r) => {
                    r.x0 = r.x0.min(x0);
                    r.x1 = r.x1.max(x1);
                    r.y1 = y + 1;
                }
                None => {
                    n += 1;
                    if n > MAX_COMPONENTS {
                        return None;
                    }
                    *b = Some(Rect {
                        x0,
                        y0: y,
                        x1,
                        y1: y + 1,
                    });
                }
            }
            i += 1;
        }
    }
    Some(boxes.into_iter().flatten().collect())
}

fn overlaps(a: Rect, b: Rect) -> bool {
    a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

fn union(a: Rect, b: Rect) -> Rect {
    Rect {
        x0: a.x0.min(b.x0),
        y0: a.y0.min(b.y0),
        x1: a.x1.max(b.x1),
        y1: a.y1.max(b.y1),
    }
}

/// Merges bounding boxes until no box's crop touches another box (to a fixed point: a merged
/// cluster has a larger margin).
fn cluster(mut cl: Vec<Rect>, w: usize, h: usize, margin: &impl Fn(Rect) -> usize) -> Vec<Rect> {
    let near = |a: Rect, b: Rect| {
        overlaps(expand(a, margin(a), w, h), b) || overlaps(expand(b, margin(b), w, h), a)
    };
    loop {
        let mut merged = false;
        let mut i = 0;
        while i < cl.len() {
            let mut j = i + 1;
            while j < cl.len() {
                if near(cl[i], cl[j]) {
                    cl[i] = union(cl[i], cl[j]);
                    cl.swap_remove(j);
                    merged = true;
                    j = i + 1;
                } else {
                    j += 1;
                }
            }
            i += 1;
        }
        if !merged {
            return cl;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(x0: usize, y0: usize, x1: usize, y1: usize) -> Rect {
        Rect { x0, y0, x1, y1 }
    }

    fn mask_of(w: usize, h: usize, boxes: &[Rect]) -> Vec<u8> {
        let mut m = vec![0u8; w * h];
        for b in boxes {
            for y in b.y0..b.y1 {
                m[y * w + b.x0..y * w + b.x1].fill(255);
            }
        }
        m
    }

    #[test]
    fn components_join_diagonal_neighbours_and_u_shapes() {
        let (w, h) = (20, 12);
        // a U (two legs joined at the bottom), a diagonal pair, a lone pixel
        let mut m = mask_of(
            w,
            h,
            &[
                r(1, 1, 2, 6),
                r(5, 1, 6, 6),
                r(1, 5, 6, 6),
                r(9, 2, 10, 3),
                r(10, 3, 11, 4),
            ],
        );
        m[10 * w + 18] = 1;
        let mut c = components(&m, w, h).expect("few runs");
        c.sort_by_key(|b| (b.y0, b.x0));
        assert_eq!(c, vec![r(1, 1, 6, 6), r(9, 2, 11, 4), r(18, 10, 19, 11)]);
        assert_eq!(components(&vec![0; w * h], w, h), Some(vec![]));
    }

    #[test]
    fn near_holes_share_a_region_far_ones_do_not() {
        let (w, h) = (400, 300);
        let m = mask_of(
            w,
            h,
            &[r(10, 10, 20, 20), r(40, 10, 50, 20), r(300, 200, 310, 210)],
        );
        let crops = plan(&m, w, h, |_| 25);
        // the first two are 20 px apart (< 25): one region; the third is alone
        assert_eq!(crops, vec![r(0, 0, 75, 45), r(275, 175, 335, 235)]);
        // no crop holds another region's hole pixels
        let holes_in = |c: &Rect| {
            (c.y0..c.y1)
                .map(|y| {
                    m[y * w + c.x0..y * w + c.x1]
                        .iter()
                        .filter(|&&v| v != 0)
                        .count()
                })
                .sum::<usize>()
        };
        assert_eq!(crops.iter().map(holes_in).collect::<Vec<_>>(), [200, 100]);
        assert!(plan(&vec![0; w * h], w, h, |_| 25).is_empty());
    }

    #[test]
    fn merging_grows_the_margin_until_a_fixed_point() {
        let (w, h) = (300, 40);
        // margin = the box's larger side: the first two 10 px boxes (5 px apart) merge, and
        // the merged 25 px box's margin then reaches the third (20 px beyond it), which neither
        // 10 px box's margin reaches
        let m = mask_of(
            w,
            h,
            &[r(10, 10, 20, 20), r(25, 10, 35, 20), r(55, 10, 65, 20)],
        );
        let crops = plan(&m, w, h, |b| b.w().max(b.h()));
        assert_eq!(crops, vec![r(0, 0, 120, 40)]);
    }
}
