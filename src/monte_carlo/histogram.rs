//! Streaming statistics of many runs, in memory that does not grow with their number.
//!
//! Durations go into a log-spaced histogram whose buckets are [`RESOLUTION`] wide in
//! relative terms: a percentile read from it lies within half that (0.05 %) of the
//! exact nearest-rank percentile, clamped to the exact minimum and maximum, which are
//! kept, as is the number of values equal to the maximum (so that runs cut off at the
//! horizon read as exactly the horizon). Shares are counted exactly at a resolution of 1e-6. Counts are integers, so
//! merging histograms in any order gives the same result: the statistics do not depend
//! on how runs were spread over threads.

use std::collections::BTreeMap;

/// Relative width of a duration bucket: 0.1 %.
pub const RESOLUTION: f64 = 1e-3;

/// Smallest positive duration told apart from its neighbours \[seconds\]: 1 ms. Shorter
/// positive durations share the first bucket.
const SMALLEST_S: f64 = 1e-3;

/// Buckets enough for 1 ms to 1,000 years at [`RESOLUTION`], the most the `duration`
/// limit can be raised to (see [`crate::limits`]).
const BUCKETS: usize = 31_100;

/// z-score of a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Durations \[seconds\] of many runs, with the first run to fall in each bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Durations {
    n: u64,
    zeros: u64,
    /// Lowest run index that was exactly zero (`u32::MAX`: none).
    zero_first: u32,
    /// Counts per log bucket; empty until a positive value arrives.
    counts: Vec<u64>,
    /// Lowest run index per bucket.
    first: Vec<u32>,
    min: f64,
    max: f64,
    /// Values exactly equal to the maximum (every run cut off at the horizon, say).
    at_max: u64,
}

impl Default for Durations {
    fn default() -> Self {
        Durations {
            n: 0,
            zeros: 0,
            zero_first: u32::MAX,
            counts: Vec::new(),
            first: Vec::new(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            at_max: 0,
        }
    }
}

fn bucket_of(value: f64) -> usize {
    if value <= SMALLEST_S {
        return 0;
    }
    let index = ((value / SMALLEST_S).ln() / RESOLUTION.ln_1p()).floor() as usize;
    index.min(BUCKETS - 1)
}

/// The middle of a bucket, in seconds (geometric middle of its bounds).
fn bucket_value(index: usize) -> f64 {
    SMALLEST_S * (1.0 + RESOLUTION).powf(index as f64 + 0.5)
}

impl Durations {
    /// Records the value of run `run`.
    pub fn add(&mut self, value: f64, run: u32) {
        self.n += 1;
        self.min = self.min.min(value);
        if value > self.max {
            self.max = value;
            self.at_max = 0;
        }
        if value == self.max {
            self.at_max += 1;
        }
        if value <= 0.0 {
            self.zeros += 1;
            self.zero_first = self.zero_first.min(run);
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
            self.first = vec![u32::MAX; BUCKETS];
        }
        let b = bucket_of(value);
        self.counts[b] += 1;
        self.first[b] = self.first[b].min(run);
    }

    /// Adds another histogram's counts to this one.
    pub fn merge(&mut self, other: &Durations) {
        self.n += other.n;
        self.zeros += other.zeros;
        self.zero_first = self.zero_first.min(other.zero_first);
        self.min = self.min.min(other.min);
        if other.max > self.max {
            self.at_max = other.at_max;
        } else if other.max == self.max {
            self.at_max += other.at_max;
        }
        self.max = self.max.max(other.max);
        if other.counts.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
            self.first = vec![u32::MAX; BUCKETS];
        }
        for b in 0..BUCKETS {
            self.counts[b] += other.counts[b];
            self.first[b] = self.first[b].min(other.first[b]);
        }
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    /// The bucket holding the value of 1-based rank `rank`: None for the zero bucket.
    fn bucket_at(&self, rank: u64) -> Option<usize> {
        if rank <= self.zeros {
            return None;
        }
        let mut seen = self.zeros;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(b);
            }
        }
        self.counts.len().checked_sub(1)
    }

    /// The value of 1-based rank `rank` (clamped to 1..=n).
    pub fn at_rank(&self, rank: u64) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let rank = rank.clamp(1, self.n);
        if rank > self.n - self.at_max {
            return self.max;
        }
        match self.bucket_at(rank) {
            None => 0.0,
            Some(b) => bucket_value(b).clamp(self.min.max(0.0), self.max),
        }
    }

    /// Nearest-rank percentile `p` (0-1].
    pub fn percentile(&self, p: f64) -> f64 {
        self.at_rank((p * self.n as f64).ceil() as u64)
    }

    /// Distribution-free 95 % confidence interval of percentile `p`, from the order
    /// statistics whose ranks bracket `n p` by 1.96 binomial standard deviations.
    pub fn interval(&self, p: f64) -> (f64, f64) {
        let n = self.n as f64;
        let spread = Z95 * (n * p * (1.0 - p)).sqrt();
        let low = (n * p - spread).floor().max(1.0) as u64;
        let high = (n * p + spread).ceil().min(n) as u64;
        (self.at_rank(low), self.at_rank(high))
    }

    /// The lowest run index whose value lies in the bucket of percentile `p`.
    pub fn run_at(&self, p: f64) -> u32 {
        let rank = ((p * self.n as f64).ceil() as u64).clamp(1, self.n.max(1));
        match self.bucket_at(rank) {
            None => self.zero_first,
            Some(b) => self.first[b],
        }
    }

    /// Counts in `bins` equal-width bins from 0 to the maximum: (from, to, count).
    pub fn bins(&self, bins: usize) -> Vec<(f64, f64, u64)> {
        let top = self.max.max(0.0);
        let width = if top > 0.0 { top / bins as f64 } else { 1.0 };
        let mut out: Vec<(f64, f64, u64)> =
            (0..bins).map(|i| (i as f64 * width, (i + 1) as f64 * width, 0)).collect();
        let bin_of = |v: f64| ((v / width) as usize).min(bins - 1);
        if let Some(first) = out.first_mut() {
            first.2 += self.zeros;
        }
        for (b, &c) in self.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let value = bucket_value(b).clamp(self.min.max(0.0), self.max);
            out[bin_of(value)].2 += c;
        }
        out
    }

    /// The cumulative share of runs at or below each of `points` values (ascending).
    pub fn cdf(&self, points: &[f64]) -> Vec<f64> {
        let n = self.n.max(1) as f64;
        let mut shares = Vec::with_capacity(points.len());
        let (mut bucket, mut below) = (0, self.zeros);
        for &x in points {
            if x < 0.0 {
                shares.push(0.0);
                continue;
            }
            while bucket < self.counts.len() && bucket_value(bucket) <= x {
                below += self.counts[bucket];
                bucket += 1;
            }
            shares.push(below as f64 / n);
        }
        shares
    }
}

/// Shares (ratios 0-1) of many runs, counted exactly at a resolution of 1e-6.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shares {
    n: u64,
    counts: BTreeMap<u32, u64>,
}

impl Shares {
    pub fn add(&mut self, share: f64) {
        self.n += 1;
        *self.counts.entry((share.clamp(0.0, 1.0) * 1e6).round() as u32).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Shares) {
        self.n += other.n;
        for (&k, &c) in &other.counts {
            *self.counts.entry(k).or_default() += c;
        }
    }

    /// Nearest-rank percentile `p` (0-1].
    pub fn percentile(&self, p: f64) -> f64 {
        let rank = ((p * self.n as f64).ceil() as u64).clamp(1, self.n.max(1));
        let mut seen = 0;
        for (&k, &c) in &self.counts {
            seen += c;
            if seen >= rank {
                return f64::from(k) / 1e6;
            }
        }
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact nearest-rank percentile of a sample, the reference.
    fn exact(values: &mut [f64], p: f64) -> f64 {
        values.sort_by(f64::total_cmp);
        let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
        values[rank - 1]
    }

    #[test]
    fn percentiles_stay_within_the_stated_resolution_of_the_exact_ones() {
        // An exponential-like spread from 1 s to about 2 h
        let mut values: Vec<f64> = (1..=10_000).map(|i| (f64::from(i) / 1200.0).exp()).collect();
        let mut hist = Durations::default();
        for (run, &v) in values.iter().enumerate() {
            hist.add(v, run as u32);
        }
        for p in [0.01, 0.5, 0.9, 0.95, 0.99, 1.0] {
            let (approx, truth) = (hist.percentile(p), exact(&mut values, p));
            assert!(
                (approx / truth - 1.0).abs() <= RESOLUTION / 2.0 + 1e-12,
                "p{p}: {approx} vs {truth}"
            );
        }
    }

    #[test]
    fn zeros_and_the_maximum_are_exact() {
        let mut hist = Durations::default();
        for (run, v) in [0.0, 0.0, 0.0, 12.5].into_iter().enumerate() {
            hist.add(v, run as u32);
        }
        assert_eq!(hist.percentile(0.5), 0.0);
        assert_eq!(hist.percentile(0.75), 0.0);
        assert_eq!(hist.percentile(1.0), 12.5);
        assert_eq!(hist.run_at(0.5), 0);
    }

    #[test]
    fn merging_in_any_order_gives_the_same_histogram() {
        let values: Vec<f64> = (0..1000).map(|i| f64::from(i) * 1.7).collect();
        let mut whole = Durations::default();
        let (mut a, mut b) = (Durations::default(), Durations::default());
        for (run, &v) in values.iter().enumerate() {
            whole.add(v, run as u32);
            if run % 3 == 0 { a.add(v, run as u32) } else { b.add(v, run as u32) }
        }
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b;
        ba.merge(&a);
        assert_eq!(ab, whole);
        assert_eq!(ba, whole);
    }

    #[test]
    fn the_interval_brackets_the_percentile_and_narrows_with_more_runs() {
        let fill = |n: u32| {
            let mut hist = Durations::default();
            for i in 0..n {
                hist.add(f64::from(i % 1000) + 1.0, i);
            }
            hist
        };
        let (small, large) = (fill(1_000), fill(100_000));
        let (lo, hi) = small.interval(0.5);
        assert!(lo <= small.percentile(0.5) && small.percentile(0.5) <= hi);
        let (llo, lhi) = large.interval(0.5);
        assert!(lhi - llo < hi - lo);
    }

    #[test]
    fn shares_are_counted_exactly() {
        let mut shares = Shares::default();
        for s in [0.0, 0.225, 0.225, 1.0] {
            shares.add(s);
        }
        assert_eq!(shares.percentile(0.5), 0.225);
        assert_eq!(shares.percentile(1.0), 1.0);
        assert_eq!(shares.percentile(0.25), 0.0);
    }
}
