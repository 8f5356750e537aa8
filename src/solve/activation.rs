//! Elementwise activations and their derivatives, with the kink conventions of the exercise
//! family: ReLU'(0) = 0 and leaky ReLU'(0) = 0.1.

use ndarray::Array2;

use crate::spec::Activation;

/// Slope of leaky ReLU for negative inputs.
pub const LEAKY_SLOPE: f64 = 0.1;

/// The logistic function, evaluated without overflow for any finite `z`.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// act(z) for one entry.
pub fn apply_one(act: Activation, z: f64) -> f64 {
    match act {
        Activation::Relu => z.max(0.0),
        Activation::LeakyRelu => {
            if z > 0.0 {
                z
            } else {
                LEAKY_SLOPE * z
            }
        }
        Activation::Sigmoid => sigmoid(z),
        Activation::Tanh => z.tanh(),
    }
}

/// act'(z) for one entry.
pub fn derivative_one(act: Activation, z: f64) -> f64 {
    match act {
        Activation::Relu => {
            if z > 0.0 {
                1.0
            } else {
                0.0
            }
        }
        Activation::LeakyRelu => {
            if z > 0.0 {
                1.0
            } else {
                LEAKY_SLOPE
            }
        }
        Activation::Sigmoid => {
            let s = sigmoid(z);
            s * (1.0 - s)
        }
        Activation::Tanh => 1.0 - z.tanh().powi(2),
    }
}

/// act(Z) elementwise. `z`: (h, w) -> (h, w).
pub fn apply(act: Activation, z: &Array2<f64>) -> Array2<f64> {
    z.mapv(|v| apply_one(act, v))
}

/// act'(Z) elementwise (the "mask" for ReLU). `z`: (h, w) -> (h, w).
pub fn derivative(act: Activation, z: &Array2<f64>) -> Array2<f64> {
    z.mapv(|v| derivative_one(act, v))
}

/// True where the activation's derivative jumps (ReLU and leaky ReLU at 0): gradients there
/// depend on a convention, so exercises should avoid them.
pub fn is_kink(act: Activation, z: f64) -> bool {
    matches!(act, Activation::Relu | Activation::LeakyRelu) && z == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kink_conventions() {
        assert_eq!(derivative_one(Activation::Relu, 0.0), 0.0);
        assert_eq!(derivative_one(Activation::LeakyRelu, 0.0), LEAKY_SLOPE);
        assert_eq!(apply_one(Activation::LeakyRelu, -2.0), -0.2);
    }

    #[test]
    fn sigmoid_does_not_overflow() {
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(0.0), 0.5);
    }

    #[test]
    fn derivatives_match_central_differences() {
        let h = 1e-6;
        for act in [
            Activation::Relu,
            Activation::LeakyRelu,
            Activation::Sigmoid,
            Activation::Tanh,
        ] {
            for z in [-1.3, -0.4, 0.7, 2.1] {
                let fd = (apply_one(act, z + h) - apply_one(act, z - h)) / (2.0 * h);
                assert!((fd - derivative_one(act, z)).abs() < 1e-8, "{act:?} at {z}");
            }
        }
    }
}
