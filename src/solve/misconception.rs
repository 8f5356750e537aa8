//! The catalogue of named misconceptions: each is one step of the chain computed another way
//! (the formulas live with the right ones, in `chain`), after which every later step is
//! computed correctly from its result. Grading recognises a student's wrong number as one of
//! these; multiple choice draws its distractors from them. Their explanations are sentences, so
//! they live in the templates (`shared/misconceptions.tera`), keyed by [`Misconception::name`].

use serde::Serialize;

use super::step::Step;
use crate::spec::{Loss, PoolKind, Problem};

/// One named mistake at one step (or at each of a few independent steps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Misconception {
    /// Z1 computed with F1 rotated by 180 degrees (a true convolution), in the forward pass.
    FlippedKernel,
    /// dC/dZ1 = dC/dA1: the activation's derivative left out.
    NoActivationDerivative,
    /// The max-pool gradient spread evenly over the window, as average pooling does.
    PoolSpread,
    /// dC/dS = W2 y_hat instead of W2 dC/dz2 (the original's mistake; for MSE, y_hat - y replaced
    /// by y_hat in dC/dz2's first factor; for softmax and CE, y_hat in place of
    /// y_hat - onehot(y)). dC/dW2 and dC/dB2 stay correct.
    OutputInsteadOfError,
    /// BCE with dC/dz2 = (y_hat - y) y_hat (1 - y_hat): sigmoid's derivative applied twice
    /// (BCE only: softmax's Jacobian is a matrix, not a factor to repeat).
    SigmoidDerivativeTwice,
    /// theta + lr g: the update goes uphill.
    UpdateSign,
    /// theta - g: the learning rate left out.
    NoLearningRate,
    /// dC/dB1 = the sum of dC/dP1 (the original's mistake).
    BiasFromPooled,
    /// dC/dP0 built from Z1 (with B1) in place of dC/dZ1 (the original's mistake).
    InputGradientFromZ1,
    /// dC/dP0 with F1 not rotated.
    InputGradientUnrotated,
    /// The loss with base-10 logarithms (BCE, or CE's -log10 y_hat[y]).
    Log10Loss,
}

impl Misconception {
    /// Every misconception, in the order `nnexam misconceptions` lists them.
    pub const ALL: [Misconception; 11] = [
        Misconception::FlippedKernel,
        Misconception::Log10Loss,
        Misconception::SigmoidDerivativeTwice,
        Misconception::OutputInsteadOfError,
        Misconception::PoolSpread,
        Misconception::NoActivationDerivative,
        Misconception::BiasFromPooled,
        Misconception::UpdateSign,
        Misconception::NoLearningRate,
        Misconception::InputGradientFromZ1,
        Misconception::InputGradientUnrotated,
    ];

    /// The name in statuses (`misconception:NAME`), the templates and the command line.
    pub fn name(self) -> &'static str {
        match self {
            Misconception::FlippedKernel => "flipped_kernel",
            Misconception::NoActivationDerivative => "no_activation_derivative",
            Misconception::PoolSpread => "pool_spread",
            Misconception::OutputInsteadOfError => "output_instead_of_error",
            Misconception::SigmoidDerivativeTwice => "sigmoid_derivative_twice",
            Misconception::UpdateSign => "update_sign",
            Misconception::NoLearningRate => "no_learning_rate",
            Misconception::BiasFromPooled => "bias_from_pooled",
            Misconception::InputGradientFromZ1 => "input_gradient_from_z1",
            Misconception::InputGradientUnrotated => "input_gradient_unrotated",
            Misconception::Log10Loss => "log10_loss",
        }
    }

    /// The steps computed the mistaken way. Where there are several, they do not read each other
    /// (the updates of different parameters), so the mistake at all of them is the mistake at
    /// each.
    pub fn steps(self) -> &'static [Step] {
        match self {
            Misconception::FlippedKernel => &[Step::Z1],
            Misconception::Log10Loss => &[Step::Loss],
            Misconception::SigmoidDerivativeTwice => &[Step::DZ2],
            Misconception::OutputInsteadOfError => &[Step::DS],
            Misconception::PoolSpread => &[Step::DA1],
            Misconception::NoActivationDerivative => &[Step::DZ1],
            Misconception::BiasFromPooled => &[Step::DB1],
            Misconception::UpdateSign | Misconception::NoLearningRate => {
                &[Step::W2New, Step::B2New, Step::F1New, Step::B1New]
            }
            Misconception::InputGradientFromZ1 | Misconception::InputGradientUnrotated => {
                &[Step::DP0, Step::DP0Padded]
            }
        }
    }

    /// The first step it changes.
    pub fn first_step(self) -> Step {
        self.steps()[0]
    }

    /// Whether the mistake can be made in `problem` at all: BCE's mistakes need BCE, the pooling
    /// mistake needs max pooling.
    pub fn applies_to(self, problem: &Problem) -> bool {
        match self.requires() {
            Some("bce") => problem.loss == Loss::Bce,
            Some(_) => problem.pool.kind == PoolKind::Max,
            None => true,
        }
    }

    /// What an exercise needs for the mistake to be possible: `"bce"` (the cross-entropy loss)
    /// or `"max_pool"` (max pooling); `None` for any exercise. [`Misconception::applies_to`]
    /// checks it.
    pub fn requires(self) -> Option<&'static str> {
        match self {
            Misconception::SigmoidDerivativeTwice | Misconception::Log10Loss => Some("bce"),
            Misconception::PoolSpread => Some("max_pool"),
            _ => None,
        }
    }

    /// The misconception named `name`.
    pub fn from_name(name: &str) -> Option<Misconception> {
        Misconception::ALL.into_iter().find(|m| m.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_read_back() {
        for m in Misconception::ALL {
            assert_eq!(Misconception::from_name(m.name()), Some(m));
        }
        let mut names: Vec<&str> = Misconception::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Misconception::ALL.len());
    }

    #[test]
    fn a_misconception_s_steps_do_not_read_each_other() {
        for m in Misconception::ALL {
            for step in m.steps() {
                for operand in step.reads() {
                    if let crate::solve::step::Operand::Step(read) = operand {
                        // DP0Padded copies DP0's inner entries: both carry the same mistake.
                        let padded_copy = *step == Step::DP0Padded && *read == Step::DP0;
                        assert!(padded_copy || !m.steps().contains(read), "{m:?} {step:?}");
                    }
                }
            }
        }
    }
}
