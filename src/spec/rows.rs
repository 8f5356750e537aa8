//! Checks on the plain numbers of exercise files (the nested lists are [`super::tensor`]'s).

use crate::error::{Error, Result};

/// Rejects NaN and infinities: TOML and JSON-with-extensions can spell them.
pub(crate) fn check_finite(key: &str, values: &[f64]) -> Result<()> {
    match values.iter().find(|v| !v.is_finite()) {
        Some(v) => Err(Error::invalid(
            key,
            format!("{v} is not a finite number"),
            "use ordinary decimal numbers",
        )),
        None => Ok(()),
    }
}
