//! Conversions between ndarray values and the "list of rows" form of exercise files and JSON
//! output. Owns only the checks a user can trip over (ragged, empty, numbers outside the
//! limits of [`crate::limits`]); knows nothing about what a matrix means.

use ndarray::{Array1, Array2};
use serde::Serializer;

use crate::error::{Error, Result};
use crate::limits::check_number;

/// Rows as written in a file -> a dense matrix, naming `key` in every error.
/// `rows`: h rows of w numbers each -> (h, w).
pub(crate) fn from_rows(key: &str, rows: &[Vec<f64>]) -> Result<Array2<f64>> {
    let h = rows.len();
    let w = rows.first().map_or(0, Vec::len);
    if h == 0 || w == 0 {
        return Err(Error::invalid(
            key,
            "the matrix is empty",
            format!("write it as a list of rows, e.g. `{key} = [[1, 0], [0, 1]]`"),
        ));
    }
    if let Some((i, row)) = rows.iter().enumerate().find(|(_, r)| r.len() != w) {
        return Err(Error::invalid(
            key,
            format!(
                "row {} has {} entries but row 1 has {w} (ragged rows)",
                i + 1,
                row.len()
            ),
            "give every row the same number of entries",
        ));
    }
    for (i, row) in rows.iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            check_number(key, || format!("row {}, column {}", i + 1, j + 1), x)?;
        }
    }
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    Ok(Array2::from_shape_vec((h, w), flat).expect("invariant: h * w entries were checked"))
}

/// A list of numbers -> a vector, naming `key` in every error.
pub(crate) fn from_list(key: &str, list: &[f64]) -> Result<Array1<f64>> {
    if list.is_empty() {
        return Err(Error::invalid(
            key,
            "the list is empty",
            format!("write it as a list of numbers, e.g. `{key} = [0.1, -0.2]`"),
        ));
    }
    for (k, &x) in list.iter().enumerate() {
        check_number(key, || format!("entry {}", k + 1), x)?;
    }
    Ok(Array1::from_vec(list.to_vec()))
}

/// (h, w) matrix -> h rows of w numbers.
pub(crate) fn to_rows(m: &Array2<f64>) -> Vec<Vec<f64>> {
    m.rows().into_iter().map(|r| r.to_vec()).collect()
}

/// serde `serialize_with` for a matrix as a list of rows.
pub(crate) fn serialize_rows<S: Serializer>(m: &Array2<f64>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(m.rows().into_iter().map(|r| r.to_vec()))
}

/// serde `serialize_with` for a vector as a plain list.
pub(crate) fn serialize_list<S: Serializer>(v: &Array1<f64>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ragged_rows_name_the_row_and_key() {
        let err = from_rows("x", &[vec![1.0, 2.0], vec![3.0]]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`x`") && msg.contains("row 2 has 1"), "{msg}");
    }

    #[test]
    fn empty_matrix_is_rejected() {
        assert!(from_rows("f1", &[]).is_err());
        assert!(from_rows("f1", &[vec![]]).is_err());
    }

    #[test]
    fn non_finite_is_rejected() {
        let err = from_rows("x", &[vec![f64::NAN]]).unwrap_err();
        assert!(err.to_string().contains("finite"));
    }

    #[test]
    fn numbers_outside_the_limits_name_their_place() {
        let err = from_rows("x", &[vec![1.0, 2.0], vec![3.0, 1001.0]]).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`x`") && msg.contains("row 2, column 2"),
            "{msg}"
        );
        let err = from_list("w2", &[0.1, -1e308]).unwrap_err().to_string();
        assert!(err.contains("`w2`") && err.contains("entry 2"), "{err}");
    }

    #[test]
    fn rows_round_trip() {
        let rows = vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]];
        let m = from_rows("x", &rows).unwrap();
        assert_eq!(m.dim(), (2, 3));
        assert_eq!(to_rows(&m), rows);
    }
}
