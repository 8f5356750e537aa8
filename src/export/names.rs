//! File and folder names from roster ids. An id is user text: `../../x`, `a/b`, `CON` or `.git`
//! must never write outside the batch folder, and two ids must never share a folder (also on
//! case-insensitive file systems).

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

/// Windows refuses these names (with any extension) even in subfolders.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Longest folder name we produce, well below every file system's limit.
const MAX_LEN: usize = 64;

/// Keeps ASCII letters, digits, `-`, `_` and inner `.`; anything else becomes `_`. When that
/// changed the id (or hit a reserved name), a short hash of the original id is appended, so
/// `a/b` and `a_b` stay apart.
pub fn sanitize(id: &str) -> String {
    let cleaned: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches('.').to_string();
    let stem = cleaned.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = RESERVED.contains(&stem.as_str());
    let mut name: String = cleaned.chars().take(MAX_LEN).collect();
    if name != id || reserved || name.is_empty() {
        let digest = Sha256::digest(id.as_bytes());
        let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        if name.is_empty() {
            name.push('_');
        }
        name = format!("{name}-{hash}");
    }
    name
}

/// Sanitised, unique folder names for `ids`, in order. Uniqueness ignores case; a clash that
/// survives the hash gets `-2`, `-3`, ... by roster order.
pub fn unique_names<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = BTreeSet::new();
    ids.into_iter()
        .map(|id| {
            let base = sanitize(id);
            let mut name = base.clone();
            let mut k = 2;
            while !taken.insert(name.to_ascii_lowercase()) {
                name = format!("{base}-{k}");
                k += 1;
            }
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_safe(name: &str) -> bool {
        !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    }

    #[test]
    fn plain_ids_are_kept() {
        assert_eq!(sanitize("4711"), "4711");
        assert_eq!(sanitize("s-01_b.x"), "s-01_b.x");
    }

    #[test]
    fn path_tricks_stay_inside_the_folder() {
        for id in [
            "../../x",
            "a/b",
            "..",
            ".",
            "/etc/passwd",
            "a\\b",
            "",
            " ",
            ".git",
        ] {
            let name = sanitize(id);
            assert!(is_safe(&name), "{id:?} -> {name:?}");
            assert!(
                !name.contains('/') && !name.contains('\\') && name != "..",
                "{name}"
            );
        }
    }

    #[test]
    fn reserved_device_names_are_renamed() {
        for id in ["CON", "con", "Nul.txt", "LPT1"] {
            let name = sanitize(id);
            assert_ne!(name.to_ascii_uppercase(), id.to_ascii_uppercase());
            assert!(name.contains('-'), "{name}");
        }
    }

    #[test]
    fn ids_that_clean_to_the_same_text_do_not_collide() {
        let names = unique_names(["a/b", "a_b", "a:b", "A_B"]);
        let lower: BTreeSet<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        assert_eq!(lower.len(), 4, "{names:?}");
    }

    #[test]
    fn long_ids_are_shortened() {
        assert!(sanitize(&"x".repeat(500)).len() <= MAX_LEN + 9);
    }
}
