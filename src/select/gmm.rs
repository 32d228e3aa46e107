//! Gaussian mixture colour models (RGB, full covariance), fitted by hard assignment as GrabCut
//! does: a deterministic first split (Orchard-Bouman: split the cluster of largest variance along
//! its principal axis), then each sample goes to its most likely component and the model is
//! refitted. The first split is refined by a few k-means rounds.

/// A colour as three floats, 0..255.
pub type Colour = [f32; 3];

/// At most this many k-means rounds refine the first split.
const KMEANS_ROUNDS: usize = 10;
/// Added to every variance so that a flat region does not make a degenerate Gaussian.
const VARIANCE_FLOOR: f64 = 1.0;

#[derive(Debug, Clone)]
struct Gauss {
    mean: [f32; 3],
    /// The inverse covariance, row-major.
    icov: [f32; 9],
    /// ln(weight) - ln(det(cov)) / 2.
    log_norm: f32,
}

impl Gauss {
    /// The log of this component's weighted density at `c`, less the shared constant.
    #[inline]
    fn log_density(&self, c: &Colour) -> f32 {
        let d = [
            c[0] - self.mean[0],
            c[1] - self.mean[1],
            c[2] - self.mean[2],
        ];
        let m = &self.icov;
        let q = d[0] * (m[0] * d[0] + m[1] * d[1] + m[2] * d[2])
            + d[1] * (m[3] * d[0] + m[4] * d[1] + m[5] * d[2])
            + d[2] * (m[6] * d[0] + m[7] * d[1] + m[8] * d[2]);
        self.log_norm - 0.5 * q
    }
}

/// A mixture of up to `k` Gaussians.
#[derive(Debug, Clone)]
pub struct Gmm {
    comps: Vec<Gauss>,
}

/// Sums over the samples of one cluster, in f64 so that the order of adding does not matter
/// much and large clusters keep their precision.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    n: f64,
    s: [f64; 3],
    p: [f64; 6], // xx, xy, xz, yy, yz, zz
}

impl Stats {
    fn add(&mut self, c: &Colour) {
        let (x, y, z) = (f64::from(c[0]), f64::from(c[1]), f64::from(c[2]));
        self.n += 1.0;
        self.s[0] += x;
        self.s[1] += y;
        self.s[2] += z;
        self.p[0] += x * x;
        self.p[1] += x * y;
        self.p[2] += x * z;
        self.p[3] += y * y;
        self.p[4] += y * z;
        self.p[5] += z * z;
    }

    fn mean(&self) -> [f64; 3] {
        [self.s[0] / self.n, self.s[1] / self.n, self.s[2] / self.n]
    }

    /// The covariance (symmetric, row-major), floored.
    fn cov(&self) -> [f64; 9] {
        let m = self.mean();
        let n = self.n;
        let xx = self.p[0] / n - m[0] * m[0] + VARIANCE_FLOOR;
        let xy = self.p[1] / n - m[0] * m[1];
        let xz = self.p[2] / n - m[0] * m[2];
        let yy = self.p[3] / n - m[1] * m[1] + VARIANCE_FLOOR;
        let yz = self.p[4] / n - m[1] * m[2];
        let zz = self.p[5] / n - m[2] * m[2] + VARIANCE_FLOOR;
        [xx, xy, xz, xy, yy, yz, xz, yz, zz]
    }
}

fn det3(m: &[f64; 9]) -> f64 {
    m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
        + m[2] * (m[3] * m[7] - m[4] * m[6])
}

fn inv3(m: &[f64; 9], det: f64) -> [f64; 9] {
    let d = 1.0 / det;
    [
        (m[4] * m[8] - m[5] * m[7]) * d,
        (m[2] * m[7] - m[1] * m[8]) * d,
        (m[1] * m[5] - m[2] * m[4]) * d,
        (m[5] * m[6] - m[3] * m[8]) * d,
        (m[0] * m[8] - m[2] * m[6]) * d,
        (m[2] * m[3] - m[0] * m[5]) * d,
        (m[3] * m[7] - m[4] * m[6]) * d,
        (m[1] * m[6] - m[0] * m[7]) * d,
        (m[0] * m[4] - m[1] * m[3]) * d,
    ]
}

/// The principal axis of a covariance and its variance (power iteration, fixed steps).
fn principal(cov: &[f64; 9]) -> ([f64; 3], f64) {
    let mut v = [1.0f64, 1.0, 1.0];
    let mut lambda = 0.0;
    for _ in 0..32 {
        let w = [
            cov[0] * v[0] + cov[1] * v[1] + cov[2] * v[2],
            cov[3] * v[0] + cov[4] * v[1] + cov[5] * v[2],
            cov[6] * v[0] + cov[7] * v[1] + cov[8] * v[2],
        ];
        let norm = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
        if norm <= 1e-12 {
            return (v, 0.0);
        }
        lambda = norm / (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        v = [w[0] / norm, w[1] / norm, w[2] / norm];
    }
    (v, lambda)
}

impl Gmm {
    /// A model of `samples` with up to `k` components, split deterministically.
    pub fn init(samples: &[Colour], k: usize) -> Gmm {
        let mut assign = vec![0u8; samples.len()];
        let mut count = 1usize;
        while count < k {
            let stats = cluster_stats(samples, &assign, count);
            // the cluster of largest variance along its principal axis
            let mut best: Option<(usize, [f64; 3], [f64; 3], f64)> = None;
            for (c, st) in stats.iter().enumerate() {
                if st.n < 2.0 {
                    continue;
                }
                let (axis, var) = principal(&st.cov());
                if best.is_none_or(|b| var > b.3) {
                    best = Some((c, axis, st.mean(), var));
                }
            }
            let Some((c, axis, mean, _)) = best else {
                break;
            };
            let mut moved = 0usize;
            for (a, s) in assign.iter_mut().zip(samples) {
                if usize::from(*a) == c {
                    let d = (f64::from(s[0]) - mean[0]) * axis[0]
                        + (f64::from(s[1]) - mean[1]) * axis[1]
                        + (f64::from(s[2]) - mean[2]) * axis[2];
                    if d > 0.0 {
                        *a = count as u8;
                        moved += 1;
                    }
                }
            }
            if moved == 0 {
                break;
            }
            count += 1;
        }
        // k-means (Lloyd) rounds from the split's clusters: tighter components
        for _ in 0..KMEANS_ROUNDS {
            let means: Vec<[f32; 3]> = cluster_stats(samples, &assign, count)
                .iter()
                .map(|st| {
                    let m = st.mean();
                    if st.n > 0.0 {
                        [m[0] as f32, m[1] as f32, m[2] as f32]
                    } else {
                        [f32::INFINITY; 3]
                    }
                })
                .collect();
            let mut moved = false;
            for (a, s) in assign.iter_mut().zip(samples) {
                let mut best = 0usize;
                let mut best_d = f32::INFINITY;
                for (c, m) in means.iter().enumerate() {
                    let d = (s[0] - m[0]).powi(2) + (s[1] - m[1]).powi(2) + (s[2] - m[2]).powi(2);
                    if d < best_d {
                        best_d = d;
                        best = c;
                    }
                }
                if usize::from(*a) != best {
                    *a = best as u8;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        Gmm::fit(samples, &assign, count)
    }

    /// Reassigns each sample to its most likely component and refits.
    pub fn refit(&self, samples: &[Colour]) -> Gmm {
        if self.comps.is_empty() {
            return Gmm::init(samples, 1);
        }
        let assign: Vec<u8> = samples.iter().map(|s| self.best(s) as u8).collect();
        Gmm::fit(samples, &assign, self.comps.len())
    }

    fn fit(samples: &[Colour], assign: &[u8], k: usize) -> Gmm {
        let stats = cluster_stats(samples, assign, k);
        let total: f64 = stats.iter().map(|s| s.n).sum();
        let mut comps = Vec::with_capacity(k);
        for st in &stats {
            if st.n < 1.0 {
                continue;
            }
            let cov = st.cov();
            let det = det3(&cov).max(1e-9);
            let icov = inv3(&cov, det);
            let mean = st.mean();
            comps.push(Gauss {
                mean: [mean[0] as f32, mean[1] as f32, mean[2] as f32],
                icov: icov.map(|v| v as f32),
                log_norm: ((st.n / total).ln() - 0.5 * det.ln()) as f32,
            });
        }
        Gmm { comps }
    }

    fn best(&self, c: &Colour) -> usize {
        let mut best = 0;
        let mut best_v = f32::NEG_INFINITY;
        for (i, g) in self.comps.iter().enumerate() {
            let v = g.log_density(c);
            if v > best_v {
                best_v = v;
                best = i;
            }
        }
        best
    }

    /// -ln p(c), less the constant that all models share (3/2 ln 2 pi). A model with no
    /// component answers a large cost.
    #[inline]
    pub fn cost(&self, c: &Colour) -> f32 {
        // log-sum-exp over the components, shifted by the largest for range
        let mut top = f32::NEG_INFINITY;
        let mut vals = [0f32; 16];
        let n = self.comps.len().min(16);
        for (v, g) in vals.iter_mut().zip(&self.comps[..n]) {
            *v = g.log_density(c);
            top = top.max(*v);
        }
        if n == 0 || !top.is_finite() {
            return 1e3;
        }
        let sum: f32 = vals[..n].iter().map(|v| (v - top).exp()).sum();
        -(top + sum.ln())
    }
}

fn cluster_stats(samples: &[Colour], assign: &[u8], k: usize) -> Vec<Stats> {
    let mut stats = vec![Stats::default(); k];
    for (s, &a) in samples.iter().zip(assign) {
        if let Some(st) = stats.get_mut(usize::from(a)) {
            st.add(s);
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_prefers_its_own_colours() {
        let red: Vec<Colour> = (0..200)
            .map(|i| [200.0 + (i % 7) as f32, 20.0 + (i % 5) as f32, 30.0])
            .chain((0..100).map(|i| [20.0, 200.0 + (i % 3) as f32, 40.0]))
            .collect();
        let blue: Vec<Colour> = (0..300)
            .map(|i| [10.0, 30.0 + (i % 9) as f32, 220.0])
            .collect();
        let fg = Gmm::init(&red, 5).refit(&red);
        let bg = Gmm::init(&blue, 5);
        for c in [[203.0, 22.0, 30.0], [20.0, 201.0, 40.0]] {
            assert!(fg.cost(&c) < bg.cost(&c), "{c:?}");
        }
        let c = [10.0, 33.0, 220.0];
        assert!(bg.cost(&c) < fg.cost(&c));
    }
}
