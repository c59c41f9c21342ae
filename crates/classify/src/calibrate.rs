//! Turns decision values into probabilities: softmax with a fitted temperature, and the reliability measures.
//!
//! One-vs-rest SVM scores are not probabilities. `softmax(scores / T)` gives a distribution over
//! the labels that sums to 1; the single parameter T is fitted by minimising the negative
//! log-likelihood of out-of-fold scores (temperature scaling, Guo et al. 2017), which keeps the
//! ranking of labels and makes the top probability match the observed accuracy.

/// Softmax of `scores / temperature`.
pub fn softmax(scores: &[f64], temperature: f64) -> Vec<f64> {
    let t = if temperature > 0.0 && temperature.is_finite() { temperature } else { 1.0 };
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = scores.iter().map(|&s| ((s - max) / t).exp()).collect();
    let sum: f64 = exps.iter().sum();
    if sum > 0.0 && sum.is_finite() { exps.iter().map(|e| e / sum).collect() } else { vec![1.0 / scores.len().max(1) as f64; scores.len()] }
}

/// Mean negative log-likelihood of the true classes under `softmax(scores / t)`.
pub fn nll(scores: &[Vec<f64>], truth: &[usize], t: f64) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    let total: f64 = scores
        .iter()
        .zip(truth)
        .map(|(s, &y)| {
            let p = softmax(s, t).get(y).copied().unwrap_or(0.0);
            -(p.max(1e-15)).ln()
        })
        .sum();
    total / scores.len() as f64
}

/// The temperature minimising the NLL, searched on a log scale in [0.005, 50].
pub fn fit_temperature(scores: &[Vec<f64>], truth: &[usize]) -> f64 {
    if scores.is_empty() {
        return 1.0;
    }
    // Golden-section search on ln T; the NLL is unimodal in T for a fixed score matrix.
    let f = |lt: f64| nll(scores, truth, lt.exp());
    let (mut a, mut b) = (0.005f64.ln(), 50f64.ln());
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - phi * (b - a);
    let mut d = a + phi * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = f(d);
        }
    }
    ((a + b) / 2.0).exp()
}

/// Expected calibration error of the top prediction over `bins` equal-width confidence bins:
/// the support-weighted mean of |accuracy − mean confidence| per bin.
pub fn expected_calibration_error(confidence: &[f64], correct: &[bool], bins: usize) -> f64 {
    let n = confidence.len().min(correct.len());
    if n == 0 || bins == 0 {
        return 0.0;
    }
    let mut count = vec![0usize; bins];
    let mut conf_sum = vec![0.0f64; bins];
    let mut hit_sum = vec![0.0f64; bins];
    for (&c, &ok) in confidence.iter().zip(correct) {
        let bin = ((c * bins as f64) as usize).min(bins - 1);
        count[bin] += 1;
        conf_sum[bin] += c;
        hit_sum[bin] += if ok { 1.0 } else { 0.0 };
    }
    (0..bins).filter(|&b| count[b] > 0).map(|b| (hit_sum[b] - conf_sum[b]).abs()).sum::<f64>() / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let p = softmax(&[2.0, -1.0, 0.5], 0.3);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[0] > p[2] && p[2] > p[1]);
    }

    #[test]
    fn temperature_softens_overconfident_scores() {
        // Scores say "class 0, very sure" but it is right only 3 times in 4.
        let scores = vec![vec![5.0, 0.0]; 4];
        let truth = vec![0, 0, 0, 1];
        let t = fit_temperature(&scores, &truth);
        let p = softmax(&scores[0], t);
        assert!((p[0] - 0.75).abs() < 0.01, "p = {p:?}, t = {t}");
    }

    #[test]
    fn ece_of_perfect_calibration_is_zero() {
        let conf = [0.75, 0.75, 0.75, 0.75];
        let ok = [true, true, true, false];
        assert!(expected_calibration_error(&conf, &ok, 10) < 1e-12);
        assert!((expected_calibration_error(&[1.0, 1.0], &[false, false], 10) - 1.0).abs() < 1e-12);
    }
}
