//! The difficulty knobs from the original's "Notes on Task 3.1": which parts are asked, what is
//! given in the question, where the transposed convolution matrix goes, and the points. Owns the
//! `[difficulty]` table ([`Difficulty`], every key optional, on top of a named [`Preset`]), its
//! validation, and the resolved settings the renderer uses ([`Knobs`]). It must not look at a
//! problem's numbers: sizes that depend on the problem are applied when rendering.
//!
//! ```toml
//! [difficulty]
//! preset = "standard"        # short | standard | full; the keys below override it
//! parts = ["a", "b", "c"]    # which parts are asked; c needs b
//! give_z1 = false            # show Z1 (the conv forward pass) in the question
//! give_d_w2 = 0              # give the first k entries of dC/dW2 and of the updated W2
//! transposed_conv = "extra"  # ask | extra (bonus) | omit
//! give_f1_except = 1         # give the updated F1 except this many entries (omit: ask all)
//! points = { a = 4, b = 8, c = 4, bonus = 2 }
//! answer_points = { loss = 3 }  # an answer's own points; the rest of its part's spread evenly
//! ```
//!
//! `give_d_z1` and `give_d_p0` exist only to be refused with the reason: the notes say giving
//! the structure of dC/dZ1 or dC/dP0 gives the solution away.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::spec::Shapes;

/// A named set of knobs; [`Preset::Standard`] when none is named.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Every shortening from the notes: Z1, the first three entries of dC/dW2 and the updated
    /// W2, and the updated F1 except one entry are given; no transposed convolution matrix.
    Short,
    /// Nothing given; the transposed convolution matrix is a bonus question.
    #[default]
    Standard,
    /// Nothing given; the transposed convolution matrix is part of b.
    Full,
}

/// One of the exercise's three parts.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum PartName {
    /// Forward pass and loss.
    A,
    /// Backward pass and the SGD update.
    B,
    /// dC/dP0, the gradient for a previous layer.
    C,
}

/// Where the transposed convolution matrix M^T goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TransposedConv {
    /// Asked in part b, counted in its points.
    Ask,
    /// A bonus question with its own points.
    Extra,
    /// Not asked and not shown in the solution.
    Omit,
}

/// Points per part. In the `[difficulty]` table every key is optional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointsTable {
    /// Points of part a.
    pub a: Option<u32>,
    /// Points of part b.
    pub b: Option<u32>,
    /// Points of part c.
    pub c: Option<u32>,
    /// Points of the bonus question (the transposed convolution matrix when it is `extra`).
    pub bonus: Option<u32>,
}

/// The `[difficulty]` table and the CLI's knob flags: a preset plus overrides, all optional.
/// Resolve it with [`Difficulty::resolve`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Difficulty {
    /// The named set of knobs the others override.
    pub preset: Option<Preset>,
    /// Which parts are asked.
    pub parts: Option<Vec<PartName>>,
    /// Z1 is given in the question.
    pub give_z1: Option<bool>,
    /// The first k entries of dC/dW2 and the updated W2 are given.
    pub give_d_w2: Option<usize>,
    /// Where the transposed convolution matrix goes.
    pub transposed_conv: Option<TransposedConv>,
    /// The updated F1 is given except this many entries.
    pub give_f1_except: Option<usize>,
    /// Always refused when true: see the module docs.
    pub give_d_z1: Option<bool>,
    /// Always refused when true: see the module docs.
    pub give_d_p0: Option<bool>,
    /// Points per part.
    pub points: Option<PointsTable>,
    /// Points of single graded answers by answer name (`loss`, `w2_new_1`); each part's other
    /// answers share the rest of its points evenly.
    pub answer_points: Option<BTreeMap<String, u32>>,
}

/// Points per part, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Points {
    /// Points of part a.
    pub a: u32,
    /// Points of part b.
    pub b: u32,
    /// Points of part c.
    pub c: u32,
    /// Points of the bonus question.
    pub bonus: u32,
}

/// The resolved, validated knobs the renderer uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Knobs {
    /// The preset the knobs started from.
    pub preset: Preset,
    /// Asked parts, in order, without duplicates; c only with b.
    pub parts: Vec<PartName>,
    /// Z1 is shown in the question.
    pub give_z1: bool,
    /// The first `give_d_w2` entries of dC/dW2 and of the updated W2 are shown in the question.
    /// At render time at most all but one entry is given, so the student computes at least one.
    pub give_d_w2: usize,
    /// Where the transposed convolution matrix goes.
    pub transposed_conv: TransposedConv,
    /// The updated F1 is shown except this many entries (the last ones, row-major); `None`:
    /// all of F1 is asked. At render time at most every entry is blank.
    pub give_f1_except: Option<usize>,
    /// Points per part.
    pub points: Points,
    /// Points of single graded answers by name; the rest of a part's points are spread evenly
    /// over its other answers (see `export::key`).
    pub answer_points: BTreeMap<String, u32>,
}

impl Default for Knobs {
    fn default() -> Self {
        Preset::Standard.knobs()
    }
}

impl Preset {
    /// The knobs this preset stands for.
    pub fn knobs(self) -> Knobs {
        let all = vec![PartName::A, PartName::B, PartName::C];
        match self {
            Preset::Short => Knobs {
                preset: self,
                parts: all,
                give_z1: true,
                // The notes: "the first three values" of Task 3.1's four.
                give_d_w2: 3,
                transposed_conv: TransposedConv::Omit,
                give_f1_except: Some(1),
                points: Points {
                    a: 2,
                    b: 6,
                    c: 4,
                    bonus: 0,
                },
                answer_points: BTreeMap::new(),
            },
            Preset::Standard => Knobs {
                preset: self,
                parts: all,
                give_z1: false,
                give_d_w2: 0,
                transposed_conv: TransposedConv::Extra,
                give_f1_except: None,
                points: Points {
                    a: 4,
                    b: 8,
                    c: 4,
                    bonus: 2,
                },
                answer_points: BTreeMap::new(),
            },
            Preset::Full => Knobs {
                preset: self,
                parts: all,
                give_z1: false,
                give_d_w2: 0,
                transposed_conv: TransposedConv::Ask,
                give_f1_except: None,
                points: Points {
                    a: 4,
                    b: 10,
                    c: 4,
                    bonus: 0,
                },
                answer_points: BTreeMap::new(),
            },
        }
    }
}

impl Difficulty {
    /// `over`'s keys on top of `self`'s: the CLI's flags over a config file's table.
    pub fn overlay(&self, over: &Difficulty) -> Difficulty {
        let points = match (self.points, over.points) {
            (Some(base), Some(top)) => Some(PointsTable {
                a: top.a.or(base.a),
                b: top.b.or(base.b),
                c: top.c.or(base.c),
                bonus: top.bonus.or(base.bonus),
            }),
            (base, top) => top.or(base),
        };
        Difficulty {
            preset: over.preset.or(self.preset),
            parts: over.parts.clone().or_else(|| self.parts.clone()),
            give_z1: over.give_z1.or(self.give_z1),
            give_d_w2: over.give_d_w2.or(self.give_d_w2),
            transposed_conv: over.transposed_conv.or(self.transposed_conv),
            give_f1_except: over.give_f1_except.or(self.give_f1_except),
            give_d_z1: over.give_d_z1.or(self.give_d_z1),
            give_d_p0: over.give_d_p0.or(self.give_d_p0),
            points,
            answer_points: over
                .answer_points
                .clone()
                .or_else(|| self.answer_points.clone()),
        }
    }

    /// The preset's knobs with this table's keys on top, validated.
    pub fn resolve(&self) -> Result<Knobs> {
        refuse_structure_giveaway(self)?;
        let mut knobs = self.preset.unwrap_or_default().knobs();
        if let Some(parts) = &self.parts {
            knobs.parts = checked_parts(parts)?;
        }
        knobs.give_z1 = self.give_z1.unwrap_or(knobs.give_z1);
        knobs.give_d_w2 = self.give_d_w2.unwrap_or(knobs.give_d_w2);
        knobs.transposed_conv = self.transposed_conv.unwrap_or(knobs.transposed_conv);
        if let Some(blanks) = self.give_f1_except {
            if blanks == 0 {
                return Err(Error::invalid(
                    "difficulty.give_f1_except",
                    "giving the updated F1 except 0 entries gives all of it away",
                    "use 1 or more entries to fill in, or leave the key out to ask for all of F1",
                ));
            }
            knobs.give_f1_except = Some(blanks);
        }
        refuse_part_b_knobs_without_part_b(self, &knobs)?;
        if let Some(p) = self.points {
            knobs.points = Points {
                a: p.a.unwrap_or(knobs.points.a),
                b: p.b.unwrap_or(knobs.points.b),
                c: p.c.unwrap_or(knobs.points.c),
                bonus: p.bonus.unwrap_or(knobs.points.bonus),
            };
        }
        if let Some(answer_points) = &self.answer_points {
            knobs.answer_points = answer_points.clone();
        }
        Ok(knobs)
    }
}

impl Difficulty {
    /// Refuses a count set in this table (not by a preset) that the sheets cannot honour, for
    /// each of the `shapes` a sheet may have: giving every entry of dC/dW2 leaves nothing to
    /// compute, and F1 has only so many entries to leave blank. (A preset's counts are cut to
    /// fit instead: `short` gives three entries of four, and fewer for a shorter W2.)
    pub fn check_counts(&self, shapes: &[Shapes]) -> Result<()> {
        for shape in shapes {
            let weights = shape.s;
            if let Some(given) = self.give_d_w2.filter(|&k| k > 0 && k >= weights) {
                return Err(Error::invalid(
                    "difficulty.give_d_w2",
                    format!(
                        "{given} entries of dC/dW2 are to be given, but W2 has {weights}: the \
                         student would compute none"
                    ),
                    format!(
                        "give at most {} (--give-d-w2, or give_d_w2 in the config)",
                        weights - 1
                    ),
                ));
            }
            let entries = shape.f1.0 * shape.f1.1;
            if let Some(blanks) = self.give_f1_except.filter(|&n| n > entries) {
                return Err(Error::invalid(
                    "difficulty.give_f1_except",
                    format!(
                        "{blanks} entries of the updated F1 are to be left blank, but the {} x {} \
                         filter has {entries}",
                        shape.f1.0, shape.f1.1
                    ),
                    format!(
                        "leave at most {entries} blank (--give-f1-except, or give_f1_except in the \
                         config)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The knobs of part b's question, set in the table, need part b: otherwise they would have no
/// effect, silently.
fn refuse_part_b_knobs_without_part_b(d: &Difficulty, knobs: &Knobs) -> Result<()> {
    if knobs.asks(PartName::B) {
        return Ok(());
    }
    let set = [
        (
            "difficulty.transposed_conv",
            d.transposed_conv.is_some_and(|t| t != TransposedConv::Omit),
            "the transposed convolution matrix belongs to part b",
        ),
        (
            "difficulty.give_d_w2",
            d.give_d_w2.is_some_and(|k| k > 0),
            "the entries of dC/dW2 are given in part b",
        ),
        (
            "difficulty.give_f1_except",
            d.give_f1_except.is_some(),
            "the updated F1 is asked in part b",
        ),
    ];
    match set.into_iter().find(|(_, is_set, _)| *is_set) {
        Some((key, _, why)) => Err(Error::invalid(
            key,
            format!("{why}, which is not asked"),
            "ask part b too (--parts a,b,c), or leave this knob out (--transposed-conv omit)",
        )),
        None => Ok(()),
    }
}

/// Knob 5 of the notes: dC/dZ1 and dC/dP0 can never be given.
fn refuse_structure_giveaway(d: &Difficulty) -> Result<()> {
    if d.give_d_z1 == Some(true) {
        return Err(Error::invalid(
            "difficulty.give_d_z1",
            "dC/dZ1 cannot be given: its structure (which entries are non-zero, routed through \
             the pooling and the activation) is the solution of the backward pass (Notes on \
             Task 3.1)",
            "shorten the task with give_z1, give_d_w2, give_f1_except or transposed_conv instead",
        ));
    }
    if d.give_d_p0 == Some(true) {
        return Err(Error::invalid(
            "difficulty.give_d_p0",
            "dC/dP0 cannot be given: it is the answer of part c, and its structure shows how the \
             gradient flows back through the convolution (Notes on Task 3.1)",
            "leave part c out with parts = [\"a\", \"b\"] to shorten the task instead",
        ));
    }
    Ok(())
}

/// Parts in a, b, c order; rejects an empty list, repeats, and c without b.
fn checked_parts(parts: &[PartName]) -> Result<Vec<PartName>> {
    let mut sorted = parts.to_vec();
    sorted.sort();
    let before = sorted.len();
    sorted.dedup();
    if sorted.is_empty() {
        return Err(Error::invalid(
            "difficulty.parts",
            "no part is asked",
            "ask at least one of \"a\", \"b\", \"c\"",
        ));
    }
    if sorted.len() != before {
        return Err(Error::invalid(
            "difficulty.parts",
            "a part is listed twice",
            "list each of \"a\", \"b\", \"c\" at most once",
        ));
    }
    if sorted.contains(&PartName::C) && !sorted.contains(&PartName::B) {
        return Err(Error::invalid(
            "difficulty.parts",
            "part c needs part b: dC/dP0 is computed from dC/dZ1, which cannot be given",
            "ask part b too, or leave part c out",
        ));
    }
    Ok(sorted)
}

impl Knobs {
    /// True when `part` is asked.
    pub fn asks(&self, part: PartName) -> bool {
        self.parts.contains(&part)
    }

    /// Where M^T goes, given the parts: it belongs to part b.
    pub fn transposed_conv_shown(&self) -> bool {
        self.asks(PartName::B) && self.transposed_conv != TransposedConv::Omit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<Knobs> {
        let d: Difficulty = toml::from_str(text).map_err(|e| Error::Syntax {
            origin: "test".into(),
            message: e.to_string(),
        })?;
        d.resolve()
    }

    #[test]
    fn empty_table_is_the_standard_preset() {
        assert_eq!(table("").unwrap(), Preset::Standard.knobs());
        assert_eq!(Knobs::default(), Preset::Standard.knobs());
    }

    #[test]
    fn short_preset_applies_every_shortening_of_the_notes() {
        let k = table("preset = \"short\"").unwrap();
        assert!(k.give_z1);
        assert_eq!(k.give_d_w2, 3);
        assert_eq!(k.transposed_conv, TransposedConv::Omit);
        assert_eq!(k.give_f1_except, Some(1));
    }

    #[test]
    fn keys_override_the_preset() {
        let k = table("preset = \"full\"\ngive_z1 = true\npoints = { b = 12 }").unwrap();
        assert_eq!(k.preset, Preset::Full);
        assert!(k.give_z1);
        assert_eq!(k.transposed_conv, TransposedConv::Ask);
        assert_eq!(k.points.b, 12);
        assert_eq!(k.points.a, Preset::Full.knobs().points.a);
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = table("give_z2 = true").unwrap_err().to_string();
        assert!(err.contains("give_z2"), "{err}");
        assert!(table("points = { d = 1 }").is_err());
    }

    #[test]
    fn giving_d_z1_or_d_p0_is_refused_with_the_reason() {
        let err = table("give_d_z1 = true").unwrap_err().to_string();
        assert!(
            err.contains("difficulty.give_d_z1") && err.contains("structure"),
            "{err}"
        );
        let err = table("give_d_p0 = true").unwrap_err().to_string();
        assert!(
            err.contains("difficulty.give_d_p0") && err.contains("part c"),
            "{err}"
        );
        assert!(table("give_d_z1 = false\ngive_d_p0 = false").is_ok());
    }

    #[test]
    fn parts_are_sorted_and_checked() {
        let k = table("parts = [\"b\", \"a\"]").unwrap();
        assert_eq!(k.parts, vec![PartName::A, PartName::B]);
        assert!(table("parts = []").is_err());
        assert!(table("parts = [\"a\", \"a\"]").is_err());
        let err = table("parts = [\"a\", \"c\"]").unwrap_err().to_string();
        assert!(err.contains("part c needs part b"), "{err}");
    }

    #[test]
    fn giving_f1_except_zero_is_refused() {
        let err = table("give_f1_except = 0").unwrap_err().to_string();
        assert!(err.contains("give_f1_except"), "{err}");
    }

    #[test]
    fn overlay_prefers_the_top_table_key_by_key() {
        let file = Difficulty {
            preset: Some(Preset::Short),
            give_d_w2: Some(2),
            points: Some(PointsTable {
                a: Some(1),
                b: Some(2),
                ..Default::default()
            }),
            ..Default::default()
        };
        let flags = Difficulty {
            give_d_w2: Some(1),
            points: Some(PointsTable {
                b: Some(9),
                ..Default::default()
            }),
            ..Default::default()
        };
        let both = file.overlay(&flags);
        assert_eq!(both.preset, Some(Preset::Short));
        assert_eq!(both.give_d_w2, Some(1));
        assert_eq!(both.points.unwrap().a, Some(1));
        assert_eq!(both.points.unwrap().b, Some(9));
    }

    #[test]
    fn part_b_knobs_without_part_b_are_refused_not_dropped() {
        // Issue 10: `--parts a --transposed-conv ask` silently dropped the M^T question.
        let err = table("parts = [\"a\"]\ntransposed_conv = \"ask\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("difficulty.transposed_conv") && err.contains("part b"),
            "{err}"
        );
        assert!(table("parts = [\"a\"]\ngive_d_w2 = 2").is_err());
        assert!(table("parts = [\"a\", \"b\"]\ngive_f1_except = 2").is_ok());
        assert!(table("parts = [\"a\"]\ntransposed_conv = \"omit\"").is_ok());
        // A preset's own knobs are not the user's doing: no error.
        assert!(table("preset = \"full\"\nparts = [\"a\"]").is_ok());
        assert!(table("preset = \"short\"\nparts = [\"a\"]").is_ok());
    }

    #[test]
    fn counts_beyond_the_shapes_are_refused_not_clamped() {
        // Issue 10: `--give-d-w2 100` and `--give-f1-except 100` were silently clamped.
        let task = crate::spec::fixtures::task_3_1().shapes();
        let d: Difficulty = toml::from_str("give_d_w2 = 100").unwrap();
        let err = d.check_counts(&[task]).unwrap_err().to_string();
        assert!(
            err.contains("difficulty.give_d_w2") && err.contains("at most 3"),
            "{err}"
        );
        let d: Difficulty = toml::from_str("give_f1_except = 5").unwrap();
        let err = d.check_counts(&[task]).unwrap_err().to_string();
        assert!(
            err.contains("difficulty.give_f1_except") && err.contains("at most 4"),
            "{err}"
        );
        let d: Difficulty = toml::from_str("give_d_w2 = 3\ngive_f1_except = 4").unwrap();
        assert!(d.check_counts(&[task]).is_ok());
        assert!(Difficulty::default().check_counts(&[task]).is_ok());
    }

    #[test]
    fn transposed_conv_belongs_to_part_b() {
        let k = table("preset = \"full\"\nparts = [\"a\"]").unwrap();
        assert!(!k.transposed_conv_shown());
        assert!(Preset::Full.knobs().transposed_conv_shown());
        assert!(!Preset::Short.knobs().transposed_conv_shown());
    }
}
