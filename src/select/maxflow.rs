//! A Boykov-Kolmogorov max-flow / min-cut ("An Experimental Comparison of Min-Cut/Max-Flow
//! Algorithms for Energy Minimization in Vision", PAMI 2004): two search trees grown from the
//! terminals, augmenting along the path where they meet, orphans adopted or freed. Integer
//! capacities, so the cut does not depend on rounding; single-threaded, so it is deterministic.
//!
//! Edges are stored in pairs (`e` and `e ^ 1` are the two directions of one edge); edges 0 and 1
//! are placeholders so that edge index 0 can mean "no edge".

/// A node's parent: none (free), a terminal, or an orphan waiting for adoption; else an edge.
const NONE: i32 = 0;
const TERMINAL: i32 = -1;
const ORPHAN: i32 = -2;

/// A flow network for one graph cut.
pub struct Graph {
    /// Per node: the first of its outgoing edges (0 = none).
    first: Vec<u32>,
    /// Per node: residual terminal capacity, > 0 from the source, < 0 to the sink.
    tcap: Vec<i64>,
    /// Per node: the edge to its parent in its search tree, or NONE / TERMINAL / ORPHAN.
    parent: Vec<i32>,
    /// Per node: which tree (0 = source, 1 = sink) when `parent != NONE`.
    tree: Vec<u8>,
    /// Per node: the time stamp and the distance to the terminal it was measured at.
    ts: Vec<u32>,
    dist: Vec<u32>,
    /// Per edge: the node it goes to, the next edge out of the same node, the residual capacity.
    dst: Vec<u32>,
    next: Vec<u32>,
    cap: Vec<i32>,
}

/// The state of one max-flow search: the active nodes in order (`queued` says whether a node is
/// among them), the orphans, and the time stamp of the current adoption round.
struct Search {
    active: std::collections::VecDeque<u32>,
    queued: Vec<bool>,
    orphans: Vec<u32>,
    time: u32,
}

impl Search {
    fn activate(&mut self, v: usize) {
        if !self.queued[v] {
            self.queued[v] = true;
            self.active.push_back(v as u32);
        }
    }
}

impl Graph {
    /// A graph of `nodes` nodes with room for `edges` (undirected) edges.
    pub fn new(nodes: usize, edges: usize) -> Self {
        let mut g = Graph {
            first: vec![0; nodes],
            tcap: vec![0; nodes],
            parent: vec![NONE; nodes],
            tree: vec![0; nodes],
            ts: vec![0; nodes],
            dist: vec![0; nodes],
            dst: Vec::with_capacity(2 * edges + 2),
            next: Vec::with_capacity(2 * edges + 2),
            cap: Vec::with_capacity(2 * edges + 2),
        };
        for _ in 0..2 {
            g.dst.push(0);
            g.next.push(0);
            g.cap.push(0);
        }
        g
    }

    pub fn nodes(&self) -> usize {
        self.first.len()
    }

    /// Adds capacity from the source to `node` and from `node` to the sink.
    pub fn add_terminal(&mut self, node: usize, source: i32, sink: i32) {
        self.tcap[node] += i64::from(source) - i64::from(sink);
    }

    /// Adds an edge between `a` and `b` with capacity `ab` from a to b and `ba` back.
    pub fn add_edge(&mut self, a: usize, b: usize, ab: i32, ba: i32) {
        let e = self.dst.len() as u32;
        self.dst.push(b as u32);
        self.next.push(self.first[a]);
        self.cap.push(ab);
        self.first[a] = e;
        self.dst.push(a as u32);
        self.next.push(self.first[b]);
        self.cap.push(ba);
        self.first[b] = e + 1;
    }

    /// Runs the max-flow; afterwards [`Graph::source_side`] tells the cut. Returns the flow.
    pub fn max_flow(&mut self) -> i64 {
        let n = self.nodes();
        let mut flow: i64 = 0;
        let mut search = Search {
            active: std::collections::VecDeque::with_capacity(n),
            queued: vec![false; n],
            orphans: Vec::new(),
            time: 0,
        };
        for v in 0..n {
            self.ts[v] = 0;
            if self.tcap[v] != 0 {
                self.parent[v] = TERMINAL;
                self.tree[v] = u8::from(self.tcap[v] < 0);
                self.dist[v] = 1;
                search.activate(v);
            } else {
                self.parent[v] = NONE;
            }
        }
        loop {
            let meet = self.grow(&mut search);
            if meet == 0 {
                break;
            }
            flow += self.augment(meet, &mut search.orphans);
            search.time += 1;
            self.adopt(&mut search);
        }
        flow
    }

    /// Grows the trees until they touch; returns the edge from the source tree to the sink tree
    /// where they do (0: they cannot touch any more, the flow is maximal).
    fn grow(&mut self, search: &mut Search) -> u32 {
        while let Some(&v) = search.active.front() {
            let v = v as usize;
            if self.parent[v] != NONE {
                let vt = u32::from(self.tree[v]);
                let mut e = self.first[v];
                while e != 0 {
                    if self.cap[(e ^ vt) as usize] != 0 {
                        let u = self.dst[e as usize] as usize;
                        if self.parent[u] == NONE {
                            self.tree[u] = vt as u8;
                            self.parent[u] = (e ^ 1) as i32;
                            self.ts[u] = self.ts[v];
                            self.dist[u] = self.dist[v] + 1;
                            search.activate(u);
                        } else if u32::from(self.tree[u]) != vt {
                            return e ^ vt;
                        } else if self.dist[u] > self.dist[v] + 1 && self.ts[u] <= self.ts[v] {
                            self.parent[u] = (e ^ 1) as i32;
                            self.ts[u] = self.ts[v];
                            self.dist[u] = self.dist[v] + 1;
                        }
                    }
                    e = self.next[e as usize];
                }
            }
            search.active.pop_front();
            search.queued[v] = false;
        }
        0
    }

    /// Pushes the bottleneck along the path through `meet`; the nodes whose parent edge (or
    /// terminal capacity) saturated become orphans. Returns the flow pushed.
    fn augment(&mut self, meet: u32, orphans: &mut Vec<u32>) -> i64 {
        // the bottleneck along the path: k = 1 walks the source tree, k = 0 the sink tree
        let mut bottleneck = self.cap[meet as usize] as i64;
        for k in [1u32, 0] {
            let mut v = self.dst[(meet ^ k) as usize] as usize;
            loop {
                let e = self.parent[v];
                if e < 0 {
                    break;
                }
                bottleneck = bottleneck.min(self.cap[(e as u32 ^ k) as usize] as i64);
                v = self.dst[e as usize] as usize;
            }
            bottleneck = bottleneck.min(self.tcap[v].abs());
        }
        debug_assert!(bottleneck > 0);
        let b32 = bottleneck as i32;
        self.cap[meet as usize] -= b32;
        self.cap[(meet ^ 1) as usize] += b32;
        for k in [1u32, 0] {
            let mut v = self.dst[(meet ^ k) as usize] as usize;
            loop {
                let e = self.parent[v];
                if e < 0 {
                    break;
                }
                let e = e as u32;
                self.cap[(e ^ (k ^ 1)) as usize] += b32;
                self.cap[(e ^ k) as usize] -= b32;
                if self.cap[(e ^ k) as usize] == 0 {
                    orphans.push(v as u32);
                    self.parent[v] = ORPHAN;
                }
                v = self.dst[e as usize] as usize;
            }
            self.tcap[v] += if k == 1 { -bottleneck } else { bottleneck };
            if self.tcap[v] == 0 {
                orphans.push(v as u32);
                self.parent[v] = ORPHAN;
            }
        }
        bottleneck
    }

    /// Adopts each orphan into its tree through the neighbour nearest a terminal, or frees it
    /// (its neighbours may grow into it again, its children become orphans).
    fn adopt(&mut self, search: &mut Search) {
        while let Some(o) = search.orphans.pop() {
            let o = o as usize;
            let vt = u32::from(self.tree[o]);
            if let Some((edge, dist)) = self.best_parent(o, vt, search.time) {
                self.parent[o] = edge as i32;
                self.ts[o] = search.time;
                self.dist[o] = dist;
                continue;
            }
            self.ts[o] = 0;
            self.parent[o] = NONE;
            let mut e = self.first[o];
            while e != 0 {
                let u = self.dst[e as usize] as usize;
                let pe = self.parent[u];
                if u32::from(self.tree[u]) == vt && pe != NONE {
                    if self.cap[(e ^ (vt ^ 1)) as usize] != 0 {
                        search.activate(u);
                    }
                    if pe > 0 && self.dst[pe as usize] as usize == o {
                        search.orphans.push(u as u32);
                        self.parent[u] = ORPHAN;
                    }
                }
                e = self.next[e as usize];
            }
        }
    }

    /// The edge to the neighbour of orphan `o` (in tree `vt`) with the shortest valid path to
    /// the tree's terminal, and that distance; the paths measured are stamped with `time`.
    fn best_parent(&mut self, o: usize, vt: u32, time: u32) -> Option<(u32, u32)> {
        let mut best: Option<(u32, u32)> = None;
        let mut e = self.first[o];
        while e != 0 {
            let ee = e;
            e = self.next[e as usize];
            if self.cap[(ee ^ (vt ^ 1)) as usize] == 0 {
                continue;
            }
            let u0 = self.dst[ee as usize] as usize;
            if u32::from(self.tree[u0]) != vt || self.parent[u0] == NONE {
                continue;
            }
            // the distance from u0 to its tree's root, if it reaches one
            let mut d: u32 = 0;
            let mut u = u0;
            let reaches = loop {
                if self.ts[u] == time {
                    d += self.dist[u];
                    break true;
                }
                let pe = self.parent[u];
                d += 1;
                if pe < 0 {
                    if pe == ORPHAN {
                        break false;
                    }
                    self.ts[u] = time;
                    self.dist[u] = 1;
                    break true;
                }
                u = self.dst[pe as usize] as usize;
            };
            if !reaches {
                continue;
            }
            d += 1;
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((ee, d));
            }
            // stamp the path with the distances just measured
            let mut u = u0;
            let mut dd = d;
            while self.ts[u] != time {
                dd -= 1;
                self.ts[u] = time;
                self.dist[u] = dd;
                u = self.dst[self.parent[u] as usize] as usize;
            }
        }
        best
    }

    /// After [`Graph::max_flow`]: whether `node` is on the source's side of the minimum cut
    /// (reachable from the source in the residual graph).
    pub fn source_side(&self, node: usize) -> bool {
        self.parent[node] != NONE && self.tree[node] == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The min cut by brute force over every assignment of a small graph.
    fn brute(n: usize, t: &[(i32, i32)], edges: &[(usize, usize, i32, i32)]) -> i64 {
        let mut best = i64::MAX;
        for bits in 0u32..(1 << n) {
            let src = |v: usize| bits >> v & 1 == 1;
            let mut cost = 0i64;
            for (v, &(s, k)) in t.iter().enumerate() {
                cost += i64::from(if src(v) { k } else { s });
            }
            for &(a, b, ab, ba) in edges {
                if src(a) && !src(b) {
                    cost += i64::from(ab);
                }
                if src(b) && !src(a) {
                    cost += i64::from(ba);
                }
            }
            best = best.min(cost);
        }
        best
    }

    #[test]
    fn max_flow_equals_the_brute_force_min_cut_and_the_cut_costs_it() {
        let mut seed = 12345u64;
        let mut rnd = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % m) as i32
        };
        for _ in 0..300 {
            let n = 2 + rnd(9) as usize;
            let t: Vec<(i32, i32)> = (0..n).map(|_| (rnd(20), rnd(20))).collect();
            let mut edges = Vec::new();
            for _ in 0..rnd(20) {
                let a = rnd(n as u64) as usize;
                let b = rnd(n as u64) as usize;
                if a != b {
                    edges.push((a, b, rnd(15), rnd(15)));
                }
            }
            let mut g = Graph::new(n, edges.len());
            for (v, &(s, k)) in t.iter().enumerate() {
                g.add_terminal(v, s, k);
            }
            for &(a, b, ab, ba) in &edges {
                g.add_edge(a, b, ab, ba);
            }
            // the terminal capacities cancel to their difference: the constant is flow too
            let constant: i64 = t.iter().map(|&(s, k)| i64::from(s.min(k))).sum();
            let flow = g.max_flow() + constant;
            let want = brute(n, &t, &edges);
            assert_eq!(flow, want, "t {t:?} edges {edges:?}");
            // the cut the graph reports costs exactly the flow
            let mut cost = 0i64;
            for (v, &(s, k)) in t.iter().enumerate() {
                cost += i64::from(if g.source_side(v) { k } else { s });
            }
            for &(a, b, ab, ba) in &edges {
                if g.source_side(a) && !g.source_side(b) {
                    cost += i64::from(ab);
                }
                if g.source_side(b) && !g.source_side(a) {
                    cost += i64::from(ba);
                }
            }
            assert_eq!(cost, want);
        }
    }
}
