//! What a course needs around the exercises: the roster in, per-student folders, answer keys
//! (CSV/JSON) and a Moodle quiz out. Builds file contents as values; writing them to disk is
//! the caller's job (the workflows').

pub mod assign;
pub mod key;
pub mod moodle;
pub mod names;
pub mod roster;
pub mod sheets;
