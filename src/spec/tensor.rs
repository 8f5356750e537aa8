//! A value of an exercise file as written: a number, or a list of numbers, or a list of such
//! lists, to any depth (`b1 = -1`, `w2 = [0.1, 0.3]`, `x = [[1, 0], [0, 1]]`, a list of
//! matrices for several channels or filters). Owns reading such a value into a dense array and
//! the shape errors a user can trip over there (mixed depths, ragged lists, empty lists,
//! non-finite numbers), and how a shape is described in words. What a shape *means* (channels,
//! filters, classes) is `spec`'s business.

use std::fmt;

use ndarray::{ArrayD, IxDyn};
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::limits::check_number;

/// A number or a nested list of numbers, exactly as a file writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Tensor {
    /// One number.
    Number(f64),
    /// A list of numbers or of lists.
    List(Vec<Tensor>),
}

impl Tensor {
    /// A dense array as nested lists: a 0-d array is a number, every axis a level of lists.
    pub fn from_array(a: &ArrayD<f64>) -> Tensor {
        if a.ndim() == 0 {
            return Tensor::Number(*a.iter().next().expect("invariant: a 0-d array has a value"));
        }
        Tensor::List(
            a.outer_iter()
                .map(|sub| Tensor::from_array(&sub.to_owned()))
                .collect(),
        )
    }

    /// How many levels of lists the value has, following the first entry at every level (0
    /// for a number; an empty list counts as one level).
    pub fn depth(&self) -> usize {
        match self {
            Tensor::Number(_) => 0,
            Tensor::List(items) => 1 + items.first().map_or(0, Tensor::depth),
        }
    }

    /// Fails when the value, or a first entry at some level, is an empty list: its depth (and
    /// so its form) cannot be told then.
    pub fn check_not_empty(&self, key: &str) -> Result<()> {
        let mut first = self;
        while let Tensor::List(items) = first {
            match items.first() {
                Some(item) => first = item,
                None => {
                    return Err(Error::invalid(
                        key,
                        "the value holds an empty list",
                        format!("write it as a list of rows, e.g. `{key} = [[1, 0], [0, 1]]`"),
                    ))
                }
            }
        }
        Ok(())
    }

    /// The value as a dense array, naming `key` in every error: every list at one level must
    /// have the same length and hold the same kind of thing, no list may be empty, and every
    /// number must be finite. `levels` names the lists from the outermost in, for messages
    /// (e.g. `["channel", "row"]` for a list of matrices); a value with another depth is an
    /// error the caller reports, so `levels.len()` must be the value's depth.
    pub fn to_array(&self, key: &str, levels: &[&str]) -> Result<ArrayD<f64>> {
        let mut shape = Vec::new();
        let mut first = self;
        while let Tensor::List(items) = first {
            shape.push(items.len());
            match items.first() {
                Some(item) => first = item,
                None => break,
            }
        }
        let mut values = Vec::new();
        collect(self, key, levels, &shape, &mut Vec::new(), &mut values)?;
        Ok(ArrayD::from_shape_vec(IxDyn(&shape), values)
            .expect("invariant: every level was checked to have its length"))
    }
}

/// Appends the numbers of `t` (at index path `at`) to `out`, row-major, checking that it has
/// the `shape` of the first entries.
fn collect(
    t: &Tensor,
    key: &str,
    levels: &[&str],
    shape: &[usize],
    at: &mut Vec<usize>,
    out: &mut Vec<f64>,
) -> Result<()> {
    let depth = at.len();
    match (t, shape.get(depth)) {
        (Tensor::Number(v), None) => {
            check_number(key, || number_place(levels, at), *v)?;
            out.push(*v);
            Ok(())
        }
        (Tensor::List(items), Some(&len)) => {
            if items.is_empty() {
                return Err(Error::invalid(
                    key,
                    format!("{} is empty", place(levels, at, "the value")),
                    format!("write it as a list of rows, e.g. `{key} = [[1, 0], [0, 1]]`"),
                ));
            }
            if items.len() != len {
                // The list at `at` is named by the level above it; its items by its own level.
                let children = levels
                    .get(depth)
                    .map_or("entries".to_string(), |c| format!("{c}s"));
                let parent = levels.get(depth - 1).copied().unwrap_or("list");
                return Err(Error::invalid(
                    key,
                    format!(
                        "{} has {} {children} but {} has {len} (ragged {parent}s)",
                        place(levels, at, parent),
                        items.len(),
                        place(levels, &vec![0; depth], parent),
                    ),
                    format!("give every {parent} the same number of {children}"),
                ));
            }
            for (k, item) in items.iter().enumerate() {
                at.push(k);
                collect(item, key, levels, shape, at, out)?;
                at.pop();
            }
            Ok(())
        }
        (Tensor::Number(_), Some(_)) | (Tensor::List(_), None) => {
            let (found, wanted) = match t {
                Tensor::Number(_) => ("a number", "a list"),
                Tensor::List(_) => ("a list", "a number"),
            };
            Err(Error::invalid(
                key,
                format!(
                    "{} is {found} where the first entries have {wanted} (mixed depths)",
                    place(levels, at, "entry")
                ),
                format!("write `{key}` with the same nesting throughout"),
            ))
        }
    }
}

/// Where index path `at` is, in words: "row 2", "row 3 of channel 2" (1-based); `whole` when
/// the path is empty.
fn place(levels: &[&str], at: &[usize], whole: &str) -> String {
    if at.is_empty() {
        return whole.to_string();
    }
    at.iter()
        .enumerate()
        .rev()
        .map(|(depth, k)| {
            format!(
                "{} {}",
                levels.get(depth).copied().unwrap_or("entry"),
                k + 1
            )
        })
        .collect::<Vec<_>>()
        .join(" of ")
}

/// Where the number at index path `at` is, in words: "the value" for a number alone, "entry 3"
/// in a list of numbers, "row 2, column 2" in a matrix, "channel 1, row 2, column 2" deeper.
fn number_place(levels: &[&str], at: &[usize]) -> String {
    let Some((last, outer)) = at.split_last() else {
        return "the value".to_string();
    };
    let mut parts: Vec<String> = outer
        .iter()
        .enumerate()
        .map(|(depth, k)| {
            format!(
                "{} {}",
                levels.get(depth).copied().unwrap_or("entry"),
                k + 1
            )
        })
        .collect();
    parts.push(match levels.is_empty() {
        true => format!("entry {}", last + 1),
        false => format!("column {}", last + 1),
    });
    parts.join(", ")
}

/// A shape in words: "a number", "a list of 4 numbers", "a 5x5 matrix", "a list of 3 5x5
/// matrices", "a list of 2 lists of 3 2x2 matrices".
pub fn describe(shape: &[usize]) -> String {
    match shape {
        [] => "a number".to_string(),
        [n] => format!("a list of {n} number{}", plural(*n)),
        [h, w] => format!("a {h}x{w} matrix"),
        [n, rest @ ..] => {
            let inner = describe(rest);
            // "a 5x5 matrix" -> "5x5 matrices"; "a list of ..." -> "lists of ...".
            let inner = inner.trim_start_matches("a ");
            let inner = if *n == 1 {
                inner.to_string()
            } else if let Some(m) = inner.strip_suffix("matrix") {
                format!("{m}matrices")
            } else if let Some(l) = inner.strip_prefix("list of") {
                format!("lists of{l}")
            } else {
                inner.to_string()
            };
            format!("a list of {n} {inner}")
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl From<f64> for Tensor {
    fn from(v: f64) -> Tensor {
        Tensor::Number(v)
    }
}

/// A list of numbers, or of lists: `vec![vec![1.0, 0.0], vec![0.0, 1.0]].into()` is a matrix.
impl<T: Into<Tensor>> From<Vec<T>> for Tensor {
    fn from(items: Vec<T>) -> Tensor {
        Tensor::List(items.into_iter().map(Into::into).collect())
    }
}

impl Serialize for Tensor {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Tensor::Number(v) => s.serialize_f64(*v),
            Tensor::List(items) => s.collect_seq(items),
        }
    }
}

impl<'de> Deserialize<'de> for Tensor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Tensor, D::Error> {
        d.deserialize_any(TensorVisitor)
    }
}

struct TensorVisitor;

impl<'de> Visitor<'de> for TensorVisitor {
    type Value = Tensor;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a list of numbers")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Tensor, E> {
        Ok(Tensor::Number(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Tensor, E> {
        Ok(Tensor::Number(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Tensor, E> {
        Ok(Tensor::Number(v as f64))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Tensor, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tensor::List(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Tensor {
        #[derive(Deserialize)]
        struct V {
            v: Tensor,
        }
        toml::from_str::<V>(&format!("v = {text}")).unwrap().v
    }

    #[test]
    fn integers_decimals_and_lists_read_back() {
        assert_eq!(parse("-1"), Tensor::Number(-1.0));
        assert_eq!(parse("[[0.5, 1], [0, -0.5]]").depth(), 2);
        let a = parse("[[[1, 2]], [[3, 4]]]")
            .to_array("x", &["channel", "row"])
            .unwrap();
        assert_eq!(a.shape(), &[2, 1, 2]);
        assert_eq!(a[[1, 0, 1]], 4.0);
    }

    #[test]
    fn ragged_lists_name_the_place_and_the_first_length() {
        let err = parse("[[1, 2], [3]]").to_array("x", &["row"]).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`x`") && msg.contains("row 2 has 1 entries but row 1 has 2"),
            "{msg}"
        );
        let err = parse("[[[1, 2]], [[3, 4], [5, 6]]]")
            .to_array("x", &["channel", "row"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("channel 2 has 2 rows but channel 1 has 1"),
            "{err}"
        );
    }

    #[test]
    fn mixed_depths_and_empty_lists_are_errors() {
        let err = parse("[[1, 2], 3]")
            .to_array("x", &["row"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("row 2 is a number where the first entries have a list"),
            "{err}"
        );
        assert!(parse("[[]]").to_array("x", &["row"]).is_err());
        let nan = Tensor::List(vec![Tensor::Number(f64::NAN)]);
        assert!(nan
            .to_array("w2", &[])
            .unwrap_err()
            .to_string()
            .contains("entry 1 is not a finite number"));
        let big = parse("[[[1, 2]], [[3, 1001]]]")
            .to_array("x", &["channel", "row"])
            .unwrap_err()
            .to_string();
        assert!(big.contains("channel 2, row 1, column 2"), "{big}");
    }

    #[test]
    fn shapes_are_described_in_words() {
        assert_eq!(describe(&[]), "a number");
        assert_eq!(describe(&[4]), "a list of 4 numbers");
        assert_eq!(describe(&[5, 5]), "a 5x5 matrix");
        assert_eq!(describe(&[3, 5, 5]), "a list of 3 5x5 matrices");
        assert_eq!(
            describe(&[2, 3, 2, 2]),
            "a list of 2 lists of 3 2x2 matrices"
        );
        assert_eq!(describe(&[1, 4, 4]), "a list of 1 4x4 matrix");
    }

    #[test]
    fn arrays_write_back_as_nested_lists() {
        let t = parse("[[1, 2], [3, 4]]");
        let a = t.to_array("x", &["row"]).unwrap();
        assert_eq!(Tensor::from_array(&a), t);
        assert_eq!(serde_json::to_string(&t).unwrap(), "[[1.0,2.0],[3.0,4.0]]");
    }
}
