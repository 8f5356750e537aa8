//! Multiple choice built from real mistakes: for every answer, the right value and three
//! distractors, lettered in an order drawn from the exercise's seed.
//!
//! A distractor is the value a misconception of the catalogue gives at that answer (the
//! mistake made at its step, every later step computed correctly: [`solve::follow`]), in the
//! catalogue's order. Where fewer than three misconceptions give a usable value, slips fill
//! up, in this order: the sign flipped, the value times the learning rate, divided by it, and
//! then whole steps up and down (1, or three tolerances where that is more). A value is usable
//! when it prints (at the sheet's decimals) unlike the right value, the exactly rounded right
//! value and every option before it, and, as printed, lies outside the answer's tolerance
//! around both the exact and the printed right value, so no option is ever graded as the
//! right one.

use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::sampler::shuffle_prefix;
use super::seed::rng_from_seed_text;
use crate::number::format_number;
use crate::solve::misconception::Misconception;
use crate::solve::step::Step;
use crate::solve::{self, Solution, Values};

/// Options per answer: the right one and three distractors.
pub const OPTIONS: usize = 4;

/// Where an option comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Source {
    /// The right value.
    Correct,
    /// The value of a named misconception.
    Misconception(Misconception),
    /// A fallback slip.
    Slip(Slip),
}

/// The slips that fill up where the catalogue gives fewer than three distractors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Slip {
    /// -v.
    Sign,
    /// v times the learning rate.
    TimesRate,
    /// v divided by the learning rate.
    OverRate,
    /// v plus or minus a whole step.
    Step,
}

/// One lettered option.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lettered {
    /// `A`, `B`, `C`, `D`.
    pub letter: char,
    /// The value as the sheet prints it.
    pub text: String,
    /// Where it comes from.
    pub source: Source,
}

/// The options of one answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Choice {
    /// The answer's name (`y_hat`, `w2_new_2`, `d_p0_1_3`).
    pub name: String,
    /// Its step.
    pub step: Step,
    /// Its row-major position in the step's value.
    pub index: usize,
    /// In letter order.
    pub options: Vec<Lettered>,
    /// The letter of the right option.
    pub correct: char,
}

/// One answer to build options for: its name, its place in the chain, the value the sheet
/// prints for it, and the key's tolerance (a distractor lies outside it around both the exact
/// and the printed value).
#[derive(Clone, Debug)]
pub struct Answer<'a> {
    /// The answer's name.
    pub name: &'a str,
    /// Its step.
    pub step: Step,
    /// Its row-major position in the step's value.
    pub index: usize,
    /// The printed right value.
    pub text: &'a str,
    /// The accepted absolute error around the exact value.
    pub tolerance: f64,
}

/// The options of every answer of `solution`, in `answers`' order, lettered in an order drawn
/// from `seed` (the same seed and answers give the same letters).
pub fn choices(
    solution: &Solution,
    answers: &[Answer<'_>],
    decimals: usize,
    seed: &str,
) -> Vec<Choice> {
    let problem = &solution.problem;
    let mistaken: Vec<(Misconception, Values<f64>)> = Misconception::ALL
        .into_iter()
        .filter(|m| m.applies_to(problem))
        .map(|m| (m, solve::follow(problem, Some(m), &[])))
        .collect();
    let mut rng = rng_from_seed_text(&format!("{seed}\nmultiple choice"));
    answers
        .iter()
        .map(|answer| {
            let exact = *solution.values.entry(answer.step, answer.index);
            let candidates = mistaken
                .iter()
                .filter_map(|(m, values)| {
                    let value = *values.try_entry(answer.step, answer.index)?;
                    Some((value, Source::Misconception(*m)))
                })
                .chain(slips(exact, problem.lr, answer.tolerance));
            let printed: f64 = answer
                .text
                .parse()
                .expect("invariant: printed values parse");
            let mut options = vec![(answer.text.to_string(), Source::Correct)];
            let mut taken = vec![answer.text.to_string(), format_number(exact, decimals)];
            for (value, source) in candidates {
                if options.len() == OPTIONS {
                    break;
                }
                if !value.is_finite() {
                    continue;
                }
                // As printed: a student reads the option, not the value behind it.
                let text = format_number(value, decimals);
                let shown: f64 = text.parse().expect("invariant: printed values parse");
                let apart = (shown - exact).abs() > answer.tolerance
                    && (shown - printed).abs() > answer.tolerance;
                if apart && !taken.contains(&text) {
                    taken.push(text.clone());
                    options.push((text, source));
                }
            }
            lettered(answer, options, &mut rng)
        })
        .collect()
}

/// The fallback slips of an exact value `v`, in order; the whole steps go on until used up.
fn slips(v: f64, lr: f64, tolerance: f64) -> impl Iterator<Item = (f64, Source)> {
    let step = (3.0 * tolerance).max(1.0);
    [
        (-v, Slip::Sign),
        (v * lr, Slip::TimesRate),
        (v / lr, Slip::OverRate),
    ]
    .into_iter()
    .chain((1..).flat_map(move |j| {
        let j = f64::from(j);
        [(v + j * step, Slip::Step), (v - j * step, Slip::Step)]
    }))
    .map(|(value, slip)| (value, Source::Slip(slip)))
}

/// `options` (the right one first) shuffled by `rng` and lettered A, B, C, D.
fn lettered(
    answer: &Answer<'_>,
    mut options: Vec<(String, Source)>,
    rng: &mut ChaCha8Rng,
) -> Choice {
    let len = options.len();
    shuffle_prefix(rng, &mut options, len);
    let options: Vec<Lettered> = options
        .into_iter()
        .zip('A'..)
        .map(|((text, source), letter)| Lettered {
            letter,
            text,
            source,
        })
        .collect();
    let correct = options
        .iter()
        .find(|o| o.source == Source::Correct)
        .expect("invariant: the right option is among the options")
        .letter;
    Choice {
        name: answer.name.to_string(),
        step: answer.step,
        index: answer.index,
        options,
        correct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::shown::{self, Rounding};

    /// Task 3.1's y_hat and loss at 3 decimals with the derived tolerance.
    fn task_choices(seed: &str) -> (Solution, Vec<Choice>) {
        let solution = solve::solve(&crate::spec::fixtures::task_3_1()).unwrap();
        let printed = shown::shown(&solution, 3, Rounding::Stepwise).unwrap();
        let texts: Vec<String> = [Step::YHat, Step::Loss, Step::B2New]
            .map(|s| crate::number::decimal_text(&printed.values.get(s).as_slice().unwrap()[0]))
            .to_vec();
        let answers: Vec<Answer<'_>> = [
            ("y_hat", Step::YHat),
            ("loss", Step::Loss),
            ("b2_new", Step::B2New),
        ]
        .iter()
        .zip(&texts)
        .map(|(&(name, step), text)| Answer {
            name,
            step,
            index: 0,
            text,
            tolerance: 0.0011,
        })
        .collect();
        let choices = choices(&solution, &answers, 3, seed);
        (solution, choices)
    }

    #[test]
    fn each_answer_has_the_right_option_and_three_others_distinct_as_printed() {
        let (solution, all) = task_choices("T");
        for choice in &all {
            assert_eq!(choice.options.len(), OPTIONS);
            let letters: Vec<char> = choice.options.iter().map(|o| o.letter).collect();
            assert_eq!(letters, ['A', 'B', 'C', 'D']);
            let right: Vec<&Lettered> = choice
                .options
                .iter()
                .filter(|o| o.source == Source::Correct)
                .collect();
            assert_eq!(right.len(), 1);
            assert_eq!(right[0].letter, choice.correct);
            let mut texts: Vec<&str> = choice.options.iter().map(|o| o.text.as_str()).collect();
            texts.sort_unstable();
            texts.dedup();
            assert_eq!(texts.len(), OPTIONS, "{choice:?}");
        }
        // y_hat: the flipped kernel's forward pass is among the options (independently: the
        // right y_hat of the rotated filter).
        let mut rotated = solution.problem.clone();
        rotated
            .f1
            .slice_mut(ndarray::s![0, 0, .., ..])
            .assign(&crate::solve::conv::rotate_180(
                solution.problem.filter(0, 0),
            ));
        let flipped = *solve::solve(&rotated)
            .unwrap()
            .values
            .scalar(crate::solve::step::Step::YHat);
        let y_hat = &all[0];
        assert!(y_hat
            .options
            .iter()
            .any(|o| o.text == format_number(flipped, 3)
                && o.source == Source::Misconception(Misconception::FlippedKernel)));
    }

    #[test]
    fn slips_fill_up_where_the_catalogue_gives_fewer_than_three() {
        // The loss has only two misconceptions (a flipped kernel, log base 10): a slip is the third.
        let (solution, all) = task_choices("T");
        let loss = &all[1];
        let slips: Vec<&Lettered> = loss
            .options
            .iter()
            .filter(|o| matches!(o.source, Source::Slip(_)))
            .collect();
        assert_eq!(slips.len(), 1, "{loss:?}");
        assert_eq!(slips[0].source, Source::Slip(Slip::Sign));
        assert_eq!(
            slips[0].text,
            format_number(-*solution.values.scalar(crate::solve::step::Step::Loss), 3)
        );
    }

    #[test]
    fn the_seed_draws_the_order_and_the_same_seed_draws_it_again() {
        let letters = |seed: &str| -> Vec<char> {
            (0..20)
                .flat_map(|k| task_choices(&format!("{seed}{k}")).1)
                .map(|c| c.correct)
                .collect()
        };
        assert_eq!(letters("a"), letters("a"));
        assert_ne!(letters("a"), letters("b"));
        let spread = letters("a");
        for letter in ['A', 'B', 'C', 'D'] {
            assert!(spread.contains(&letter), "{letter} never right: {spread:?}");
        }
    }
}
