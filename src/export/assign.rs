//! Distinct exercises for many people at once: each requested seed text (a student's
//! `"<course-seed>/<id>"`, a variant's `"<seed>/<label>"`) gets its own exercise, and no two get the
//! same one.
//!
//! The rule, fixed so a key can be regenerated later: seeds are taken in the order given (roster
//! order); a seed text `T` is tried as `T`, then `T#2`, `T#3`, ... until its exercise differs from
//! every exercise assigned before it. The seed text actually used is recorded, so
//! `nnexam generate --seed "<used seed>"` always reproduces one person's sheet alone.

use std::collections::BTreeSet;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::generate::{self, GeneratorConfig};
use crate::spec::Problem;

/// Most alternative seeds tried for one person before the config is declared too narrow.
const MAX_ALTERNATIVES: u32 = 1000;

/// One person's exercise and the seed text it was generated from.
#[derive(Clone, Debug, PartialEq)]
pub struct Assigned {
    /// The seed text the exercise was generated from.
    pub seed: String,
    /// The exercise.
    pub problem: Problem,
}

/// The `attempt`-th seed text tried for `base` (1-based): `base`, `base#2`, `base#3`, ...
pub fn candidate_seed(base: &str, attempt: u32) -> String {
    if attempt <= 1 {
        base.to_string()
    } else {
        format!("{base}#{attempt}")
    }
}

/// A digest identifying a problem's content: two problems are "the same" when every number and
/// setting is equal.
fn fingerprint(problem: &Problem) -> [u8; 32] {
    let canonical = serde_json::to_vec(problem).expect("invariant: a problem serialises");
    Sha256::digest(&canonical).into()
}

/// Generates the first candidate of every seed on all cores (the common case), in order.
fn first_candidates(config: &GeneratorConfig, bases: &[String]) -> Vec<Result<Problem>> {
    bases
        .par_iter()
        .map(|seed| generate::sample_problem(config, seed).map(|g| g.problem))
        .collect()
}

/// Hands out distinct exercises over several calls: a batch assigns its roster chunk by chunk
/// (rendering each chunk before sampling the next), and the rule spans every chunk. Only
/// fingerprints are remembered, so memory stays flat in the roster size.
pub struct Assigner<'a> {
    config: &'a GeneratorConfig,
    seen: BTreeSet<[u8; 32]>,
}

impl<'a> Assigner<'a> {
    /// An assigner that has handed out nothing yet.
    pub fn new(config: &'a GeneratorConfig) -> Self {
        Assigner {
            config,
            seen: BTreeSet::new(),
        }
    }

    /// The next people's exercises, in order, distinct from each other and from every earlier
    /// call's, by the rule in the module docs.
    pub fn assign(&mut self, bases: &[String]) -> Result<Vec<Assigned>> {
        let mut out = Vec::with_capacity(bases.len());
        for (base, first) in bases.iter().zip(first_candidates(self.config, bases)) {
            let mut problem = first?;
            let mut attempt = 1;
            while !self.seen.insert(fingerprint(&problem)) {
                attempt += 1;
                if attempt > MAX_ALTERNATIVES {
                    return Err(Error::Unsatisfiable {
                        message: format!(
                            "the generator config admits too few distinct exercises: seed `{base}` \
                             found no new one in {MAX_ALTERNATIVES} tries after {} people; widen \
                             the value ranges or relax the [rules] of the config",
                            self.seen.len()
                        ),
                    });
                }
                let seed = candidate_seed(base, attempt);
                problem = generate::sample_problem(self.config, &seed)?.problem;
            }
            out.push(Assigned {
                seed: candidate_seed(base, attempt),
                problem,
            });
        }
        Ok(out)
    }
}

/// One distinct exercise per seed text in `bases`, by the rule in the module docs.
pub fn assign_distinct(config: &GeneratorConfig, bases: &[String]) -> Result<Vec<Assigned>> {
    Assigner::new(config).assign(bases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_seeds_follow_the_documented_rule() {
        assert_eq!(candidate_seed("ML/7", 1), "ML/7");
        assert_eq!(candidate_seed("ML/7", 2), "ML/7#2");
        assert_eq!(candidate_seed("ML/7", 10), "ML/7#10");
    }

    #[test]
    fn equal_seeds_are_moved_to_the_next_candidate() {
        // The same base twice must collide on its first candidate: the second person gets `#2`.
        let config = GeneratorConfig::default();
        let bases = vec!["c/1".to_string(), "c/1".to_string(), "c/2".to_string()];
        let assigned = assign_distinct(&config, &bases).unwrap();
        let seeds: Vec<&str> = assigned.iter().map(|a| a.seed.as_str()).collect();
        assert_eq!(seeds, ["c/1", "c/1#2", "c/2"]);
        assert_ne!(assigned[0].problem, assigned[1].problem);
        let again = generate::sample_problem(&config, "c/1#2").unwrap().problem;
        assert_eq!(
            again, assigned[1].problem,
            "the recorded seed reproduces the sheet"
        );
    }

    #[test]
    fn the_rule_spans_calls_of_one_assigner() {
        let config = GeneratorConfig::default();
        let mut assigner = Assigner::new(&config);
        let first = assigner.assign(&["y/1".to_string()]).unwrap();
        let second = assigner
            .assign(&["y/1".to_string(), "y/2".to_string()])
            .unwrap();
        assert_eq!(first[0].seed, "y/1");
        assert_eq!(
            second[0].seed, "y/1#2",
            "a later chunk still avoids earlier exercises"
        );
        assert_eq!(second[1].seed, "y/2");
    }

    #[test]
    fn results_keep_the_input_order() {
        let config = GeneratorConfig::default();
        let bases: Vec<String> = (0..9).map(|k| format!("order/{k}")).collect();
        let assigned = assign_distinct(&config, &bases).unwrap();
        for (a, base) in assigned.iter().zip(&bases) {
            assert_eq!(&a.seed, base);
            assert_eq!(
                a.problem,
                generate::sample_problem(&config, base).unwrap().problem
            );
        }
    }
}
