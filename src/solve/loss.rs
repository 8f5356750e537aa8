//! The two losses on y_hat = sigmoid(z2), written in terms of z2 so that binary cross-entropy
//! never overflows or returns NaN however large |z2| is.

use crate::spec::Loss;

use super::activation::sigmoid;

/// ln(1 + e^z) without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// C for one sample with pre-activation `z2` and label `y` (0 or 1).
pub fn value(loss: Loss, z2: f64, y: f64) -> f64 {
    match loss {
        // -ln(sigmoid(z)) = softplus(-z) and -ln(1 - sigmoid(z)) = softplus(z).
        Loss::Bce => y * softplus(-z2) + (1.0 - y) * softplus(z2),
        Loss::Mse => 0.5 * (sigmoid(z2) - y).powi(2),
    }
}

/// dC/dz2 through the sigmoid output.
pub fn d_z2(loss: Loss, z2: f64, y: f64) -> f64 {
    let y_hat = sigmoid(z2);
    match loss {
        Loss::Bce => y_hat - y,
        Loss::Mse => (y_hat - y) * y_hat * (1.0 - y_hat),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bce_is_finite_for_huge_pre_activations() {
        for z in [-800.0, 800.0] {
            for y in [0.0, 1.0] {
                assert!(value(Loss::Bce, z, y).is_finite());
            }
        }
        assert!((value(Loss::Bce, -800.0, 1.0) - 800.0).abs() < 1e-9);
    }

    #[test]
    fn bce_matches_the_textbook_formula() {
        let (z, y) = (-0.3, 1.0);
        let y_hat = 1.0 / (1.0 + (0.3f64).exp());
        let textbook = -(y * y_hat.ln() + (1.0 - y) * (1.0 - y_hat).ln());
        assert!((value(Loss::Bce, z, y) - textbook).abs() < 1e-12);
    }

    #[test]
    fn gradients_match_central_differences() {
        let h = 1e-6;
        for loss in [Loss::Bce, Loss::Mse] {
            for (z, y) in [(-1.2, 1.0), (0.4, 0.0), (2.0, 1.0)] {
                let fd = (value(loss, z + h, y) - value(loss, z - h, y)) / (2.0 * h);
                assert!((fd - d_z2(loss, z, y)).abs() < 1e-8, "{loss:?} {z} {y}");
            }
        }
    }
}
