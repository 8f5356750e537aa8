//! The chain of steps, named: every value the worked solution computes, what it reads, and which
//! part of the exercise it belongs to. The formulas live in `chain` (one function per step);
//! this file is the table of contents that everything else (shown values, the JSON `shown`
//! object, the key, the workload) walks, so a new step is added here once.

use serde::Serialize;

use crate::spec::difficulty::PartName;

/// One named step of the chain, in evaluation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Z1 = pad(X) (*) F1 + B1, the convolution (cross-correlation): per sample, per map, the
    /// sum over the input channels.
    Z1,
    /// A1 = act(Z1).
    A1,
    /// P1 = pool(A1).
    P1,
    /// S = flatten(P1), map by map, row-major.
    S,
    /// z2 = W2 S + B2.
    Z2,
    /// y_hat = sigmoid(z2), or softmax(z2) over K classes.
    YHat,
    /// C^n, each sample's loss.
    Loss,
    /// C = (1/N) sum of the samples' losses, the cost of the mini-batch (the loss itself for
    /// one sample).
    Cost,
    /// dC^n/dz2, each sample's output error.
    DZ2,
    /// dC/dW2 = (1/N) sum over the samples of dC^n/dz2 S^T.
    DW2,
    /// dC/dB2 = (1/N) sum over the samples of dC^n/dz2.
    DB2,
    /// dC/dS = W2^T dC/dz2.
    DS,
    /// dC/dP1 = reshape(dC/dS).
    DP1,
    /// dC/dA1: dC/dP1 routed back through the pooling.
    DA1,
    /// act'(Z1), the activation's derivative entrywise.
    ActGrad,
    /// dC/dZ1 = dC/dA1 (.) act'(Z1).
    DZ1,
    /// dC/dF1 = (1/N) sum over the samples of pad(X) (*) dC^n/dZ1 (dilated by the stride).
    DF1,
    /// dC/dB1 = (1/N) sum over the samples of the sum of dC^n/dZ1, per map.
    DB1,
    /// dC/dP0: the full convolution of dC/dZ1 with F1 rotated by 180 degrees, over the input.
    DP0,
    /// The same full convolution over the padded input (shown when there is padding).
    DP0Padded,
    /// W2 - lr dC/dW2.
    W2New,
    /// B2 - lr dC/dB2.
    B2New,
    /// F1 - lr dC/dF1.
    F1New,
    /// B1 - lr dC/dB1.
    B1New,
}

/// Something a step reads: an input of the exercise, or an earlier step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// The input X = P0.
    X,
    /// The filter F1.
    F1,
    /// The bias B1.
    B1,
    /// The weights W2.
    W2,
    /// The bias B2.
    B2,
    /// The label y.
    Y,
    /// The learning rate.
    Lr,
    /// The shown value of an earlier step.
    Step(Step),
}

impl Step {
    /// Every step, in evaluation order.
    pub const ALL: [Step; 24] = [
        Step::Z1,
        Step::A1,
        Step::P1,
        Step::S,
        Step::Z2,
        Step::YHat,
        Step::Loss,
        Step::Cost,
        Step::DZ2,
        Step::DW2,
        Step::DB2,
        Step::DS,
        Step::DP1,
        Step::DA1,
        Step::ActGrad,
        Step::DZ1,
        Step::DF1,
        Step::DB1,
        Step::DP0,
        Step::DP0Padded,
        Step::W2New,
        Step::B2New,
        Step::F1New,
        Step::B1New,
    ];

    /// Position in [`Step::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The step's name in the JSON `shown` object, the key and the grading columns.
    pub fn name(self) -> &'static str {
        match self {
            Step::Z1 => "z1",
            Step::A1 => "a1",
            Step::P1 => "p1",
            Step::S => "s",
            Step::Z2 => "z2",
            Step::YHat => "y_hat",
            Step::Loss => "loss",
            Step::Cost => "cost",
            Step::DZ2 => "d_z2",
            Step::DW2 => "d_w2",
            Step::DB2 => "d_b2",
            Step::DS => "d_s",
            Step::DP1 => "d_p1",
            Step::DA1 => "d_a1",
            Step::ActGrad => "act_grad",
            Step::DZ1 => "d_z1",
            Step::DF1 => "d_f1",
            Step::DB1 => "d_b1",
            Step::DP0 => "d_p0",
            Step::DP0Padded => "d_p0_padded",
            Step::W2New => "w2_new",
            Step::B2New => "b2_new",
            Step::F1New => "f1_new",
            Step::B1New => "b1_new",
        }
    }

    /// How many trailing axes of the step's value its entries' names always index: 2 for maps
    /// and filters (row, column), 1 for vectors, 0 for scalars.
    fn named_axes(self) -> usize {
        match self {
            Step::Z1
            | Step::A1
            | Step::P1
            | Step::DP1
            | Step::DA1
            | Step::ActGrad
            | Step::DZ1
            | Step::DF1
            | Step::DP0
            | Step::DP0Padded
            | Step::F1New => 2,
            Step::S | Step::DS | Step::DW2 | Step::W2New => 1,
            Step::Z2
            | Step::YHat
            | Step::Loss
            | Step::Cost
            | Step::DZ2
            | Step::DB2
            | Step::DB1
            | Step::B2New
            | Step::B1New => 0,
        }
    }

    /// Whether the step has a value per sample (its leading axis is the sample's): everything
    /// but the cost, the parameters' gradients (batch means) and the updates.
    pub fn per_sample(self) -> bool {
        !matches!(
            self,
            Step::Cost
                | Step::DW2
                | Step::DB2
                | Step::DF1
                | Step::DB1
                | Step::W2New
                | Step::B2New
                | Step::F1New
                | Step::B1New
        )
    }

    /// The names of the entries of a value of this step with `shape` (the chain's shape, the
    /// sample axis first for a per-sample step), in row-major order: the step's name, then the
    /// 1-based index of every named axis and of every leading axis with more than one entry,
    /// joined by `_` (`z1_2_3`, `w2_new_4`, `y_hat`, `z1_2_1_1` for map 2); a per-sample step of
    /// several samples is prefixed with the sample's (`s2_y_hat`). These are the answer names of
    /// keys, grading and Moodle.
    pub fn entry_names(self, shape: &[usize]) -> Vec<String> {
        let (samples, shape) = match (self.per_sample(), shape.split_first()) {
            (true, Some((&n, rest))) => (n, rest),
            _ => (1, shape),
        };
        let names = self.names_of_one(shape);
        if samples == 1 {
            return names;
        }
        (1..=samples)
            .flat_map(|n| names.iter().map(move |name| format!("s{n}_{name}")))
            .collect()
    }

    /// [`Step::entry_names`] of one sample's value.
    fn names_of_one(self, shape: &[usize]) -> Vec<String> {
        let count: usize = shape.iter().product();
        (0..count)
            .map(|flat| {
                let mut name = self.name().to_string();
                for i in self.entry_index(shape, flat) {
                    name.push_str(&format!("_{i}"));
                }
                name
            })
            .collect()
    }

    /// The 1-based index of entry `flat` (row-major) of a value of `shape`, as its name writes
    /// it ([`Step::entry_names`]): the named axes, and any other axis longer than 1.
    pub fn entry_index(self, shape: &[usize], flat: usize) -> Vec<usize> {
        let named = self.named_axes().min(shape.len());
        let leading = shape.len() - named;
        let mut rest = flat;
        let mut index = vec![0; shape.len()];
        for axis in (0..shape.len()).rev() {
            index[axis] = rest % shape[axis];
            rest /= shape[axis];
        }
        (0..shape.len())
            .filter(|&axis| axis >= leading || shape[axis] > 1)
            .map(|axis| index[axis] + 1)
            .collect()
    }

    /// What the step's formula reads, in the stepwise worked solution: the exercise's inputs
    /// and the *shown* values of earlier steps. (Max-pool routing, a structural choice, follows
    /// the exact arg-max; see `chain`.)
    pub fn reads(self) -> &'static [Operand] {
        use Operand as O;
        match self {
            Step::Z1 => &[O::X, O::F1, O::B1],
            Step::A1 => &[O::Step(Step::Z1)],
            Step::P1 => &[O::Step(Step::A1)],
            Step::S => &[O::Step(Step::P1)],
            Step::Z2 => &[O::W2, O::Step(Step::S), O::B2],
            Step::YHat => &[O::Step(Step::Z2)],
            Step::Loss => &[O::Step(Step::YHat), O::Y],
            Step::Cost => &[O::Step(Step::Loss)],
            Step::DZ2 => &[O::Step(Step::YHat), O::Y],
            Step::DW2 => &[O::Step(Step::DZ2), O::Step(Step::S)],
            Step::DB2 => &[O::Step(Step::DZ2)],
            Step::DS => &[O::W2, O::Step(Step::DZ2)],
            Step::DP1 => &[O::Step(Step::DS)],
            Step::DA1 => &[O::Step(Step::DP1)],
            Step::ActGrad => &[O::Step(Step::Z1), O::Step(Step::A1)],
            Step::DZ1 => &[O::Step(Step::DA1), O::Step(Step::ActGrad)],
            Step::DF1 => &[O::X, O::Step(Step::DZ1)],
            Step::DB1 => &[O::Step(Step::DZ1)],
            Step::DP0 | Step::DP0Padded => &[O::F1, O::Step(Step::DZ1)],
            Step::W2New => &[O::W2, O::Lr, O::Step(Step::DW2)],
            Step::B2New => &[O::B2, O::Lr, O::Step(Step::DB2)],
            Step::F1New => &[O::F1, O::Lr, O::Step(Step::DF1)],
            Step::B1New => &[O::B1, O::Lr, O::Step(Step::DB1)],
        }
    }

    /// The part of the exercise whose work the step is: a) the forward pass, b) the backward
    /// pass and the update, c) the gradient for the previous layer. `None` for a step the
    /// solution shows only to explain another ([`Step::DP0Padded`]).
    pub fn part(self) -> Option<PartName> {
        match self {
            Step::Z1
            | Step::A1
            | Step::P1
            | Step::S
            | Step::Z2
            | Step::YHat
            | Step::Loss
            | Step::Cost => Some(PartName::A),
            Step::DP0 => Some(PartName::C),
            Step::DP0Padded => None,
            _ => Some(PartName::B),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_listed_in_declaration_order_with_unique_names() {
        for (k, step) in Step::ALL.iter().enumerate() {
            assert_eq!(step.index(), k, "{step:?}");
        }
        let mut names: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Step::ALL.len());
    }

    #[test]
    fn entry_names_index_rows_and_columns_and_leading_axes_of_several() {
        assert_eq!(Step::YHat.entry_names(&[1, 1]), ["y_hat"]);
        assert_eq!(Step::Loss.entry_names(&[1]), ["loss"]);
        assert_eq!(Step::Cost.entry_names(&[]), ["cost"]);
        assert_eq!(
            Step::W2New.entry_names(&[1, 3]),
            ["w2_new_1", "w2_new_2", "w2_new_3"]
        );
        assert_eq!(
            Step::F1New.entry_names(&[1, 1, 2, 2]),
            ["f1_new_1_1", "f1_new_1_2", "f1_new_2_1", "f1_new_2_2"]
        );
        // Two maps: the map's index leads.
        assert_eq!(Step::Z1.entry_names(&[1, 2, 1, 2])[3], "z1_2_1_2");
        // Softmax over three classes.
        assert_eq!(Step::YHat.entry_names(&[1, 3])[2], "y_hat_3");
        // Two samples: the sample's index is a prefix.
        assert_eq!(
            Step::YHat.entry_names(&[2, 3]),
            [
                "s1_y_hat_1",
                "s1_y_hat_2",
                "s1_y_hat_3",
                "s2_y_hat_1",
                "s2_y_hat_2",
                "s2_y_hat_3"
            ]
        );
        assert_eq!(Step::Loss.entry_names(&[2]), ["s1_loss", "s2_loss"]);
        // A batch mean has no sample axis.
        assert_eq!(Step::B1New.entry_names(&[2])[1], "b1_new_2");
    }

    #[test]
    fn every_step_reads_only_inputs_and_earlier_steps() {
        for step in Step::ALL {
            for operand in step.reads() {
                if let Operand::Step(earlier) = operand {
                    assert!(earlier < &step, "{step:?} reads the later {earlier:?}");
                }
            }
        }
    }
}
