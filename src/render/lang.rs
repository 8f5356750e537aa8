//! The languages of the sheets. A language is a folder of templates below `templates/` (German:
//! `templates/de/`) that override the English built-ins by name; a template the folder lacks is
//! the English one. Its `language.toml` says how the language writes numbers. Owns the list of
//! bundled languages and the reading of `language.toml`; must not write sentences (the
//! templates do) nor touch the file system.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::number::DecimalMark;

/// The template that holds a language's settings: read as TOML, never rendered.
pub const SETTINGS: &str = "language.toml";

/// A bundled language: its code (`--lang`) and the templates that override the English ones.
#[derive(Debug)]
pub struct Language {
    /// The code `--lang` takes, e.g. `de`.
    pub code: &'static str,
    /// (name, text) of every template the language replaces, `language.toml` among them.
    pub templates: &'static [(&'static str, &'static str)],
}

/// Adds one template of `templates/<lang>/<name>` as `(name, text)`.
macro_rules! template {
    ($lang:literal, $name:literal) => {
        (
            $name,
            include_str!(concat!("../../templates/", $lang, "/", $name)),
        )
    };
}

/// Every bundled language, English (the built-ins themselves) first. To add one: a folder
/// `templates/<code>/` with its `language.toml` and the templates it translates, and its line
/// here.
pub const LANGUAGES: &[Language] = &[
    Language {
        code: "en",
        templates: &[],
    },
    Language {
        code: "de",
        templates: &[
            template!("de", "language.toml"),
            template!("de", "latex/language.tex"),
            template!("de", "latex/identity.tex"),
            template!("de", "markdown/identity.md"),
            template!("de", "markdown/solutions.md"),
            template!("de", "shared/prose.tera"),
            template!("de", "shared/question.tera"),
            template!("de", "shared/solution.tera"),
            template!("de", "shared/family.tera"),
            template!("de", "shared/family-question.tera"),
            template!("de", "shared/family-solution.tera"),
            template!("de", "moodle/question.html"),
            template!("de", "moodle/family-question.html"),
            template!("de", "shared/grading.tera"),
            template!("de", "shared/misconceptions.tera"),
            template!("de", "grade/feedback.md"),
            template!("de", "grade/feedback.tex"),
            template!("de", "grade/report.md"),
            template!("de", "grade/report.tex"),
            template!("de", "grade/report.svg"),
            template!("de", "text/misconceptions.txt"),
        ],
    },
];

/// The codes of the bundled languages, in order: what `--lang` accepts.
pub fn codes() -> impl Iterator<Item = &'static str> {
    LANGUAGES.iter().map(|l| l.code)
}

/// The bundled language `code`, or an error that lists the available ones.
pub fn language(code: &str) -> Result<&'static Language> {
    LANGUAGES.iter().find(|l| l.code == code).ok_or_else(|| {
        Error::invalid(
            "--lang",
            format!("there is no bundled language `{code}`"),
            format!(
                "give one of {} (or your own templates with --templates DIR)",
                codes().collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

/// The templates of `lang` as overrides, with `user`'s (a `--templates` folder) over them: the
/// folder wins by name, the language over the English built-ins.
pub fn overrides(lang: &Language, user: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut merged: BTreeMap<String, String> = lang
        .templates
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    merged.extend(user);
    merged.into_iter().collect()
}

/// What a language's `language.toml` says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// How numbers are printed on the sheets, in Moodle questions and in feedback.
    #[serde(default)]
    pub decimal_mark: DecimalMark,
}

/// The settings in force with `overrides` over the built-ins: the `language.toml` among the
/// overrides, else the English one.
pub fn settings(overrides: &[(String, String)]) -> Result<Settings> {
    let text = overrides
        .iter()
        .rev()
        .find(|(name, _)| name == SETTINGS)
        .map(|(_, text)| text.as_str())
        .unwrap_or(ENGLISH_SETTINGS);
    toml::from_str(text).map_err(|e| {
        Error::invalid(
            SETTINGS,
            format!("not valid: {}", e.message()),
            "write `decimal_mark = \"point\"` or `decimal_mark = \"comma\"`",
        )
    })
}

/// The English `language.toml`, a built-in template.
const ENGLISH_SETTINGS: &str = include_str!("../../templates/language.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_language_has_valid_settings_and_known_template_names() {
        let builtin: Vec<&str> = super::super::BUILTIN.iter().map(|(n, _)| *n).collect();
        for lang in LANGUAGES {
            let templates = overrides(lang, Vec::new());
            settings(&templates).unwrap();
            for (name, _) in &templates {
                assert!(builtin.contains(&name.as_str()), "{}: {name}", lang.code);
            }
        }
        assert_eq!(settings(&[]).unwrap().decimal_mark, DecimalMark::Point);
        let de = overrides(language("de").unwrap(), Vec::new());
        assert_eq!(settings(&de).unwrap().decimal_mark, DecimalMark::Comma);
    }

    #[test]
    fn a_users_folder_wins_over_the_language() {
        let user = vec![(SETTINGS.to_string(), "decimal_mark = \"point\"".to_string())];
        let merged = overrides(language("de").unwrap(), user);
        assert_eq!(settings(&merged).unwrap().decimal_mark, DecimalMark::Point);
    }

    #[test]
    fn an_unknown_language_names_the_available_ones() {
        let err = language("xx").unwrap_err().to_string();
        assert!(err.contains("`xx`") && err.contains("en, de"), "{err}");
    }

    #[test]
    fn bad_settings_are_refused_by_name() {
        let bad = vec![(SETTINGS.to_string(), "decimal_mark = \"dot\"".to_string())];
        let err = settings(&bad).unwrap_err().to_string();
        assert!(err.contains("language.toml"), "{err}");
    }
}
