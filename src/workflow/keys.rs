//! Streams a class's answer key to `key.csv` and `key.json` as rows arrive, so memory stays
//! flat however large the class. What a row holds is `export::key`'s business.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::staged::StagedDir;
use crate::error::{Error, Result};
use crate::export::key::{self, KeyRow};
use crate::generate::GeneratorConfig;
use crate::render::{AnswerStyle, RenderOptions};
use crate::spec::difficulty::Knobs;

/// The two key files of one run, open for writing inside the staging folder.
pub(crate) struct KeyWriter {
    csv: csv::Writer<std::fs::File>,
    json: std::io::BufWriter<std::fs::File>,
    answer_names: Vec<String>,
    letters: bool,
    rows: usize,
    csv_path: PathBuf,
    json_path: PathBuf,
}

impl KeyWriter {
    /// Creates both files with their headers; `answer_names` are the CSV's answer columns, and
    /// with `letters` (multiple-choice sheets) each has its right letter too.
    pub(crate) fn create(
        staged: &StagedDir,
        answer_names: Vec<String>,
        letters: bool,
    ) -> Result<KeyWriter> {
        let csv_path = staged.path().join("key.csv");
        let json_path = staged.path().join("key.json");
        let open = |path: &Path| {
            std::fs::File::create(path).map_err(|source| Error::Io {
                action: "create",
                path: path.to_path_buf(),
                source,
            })
        };
        let mut writer = KeyWriter {
            csv: csv::Writer::from_writer(open(&csv_path)?),
            json: std::io::BufWriter::new(open(&json_path)?),
            answer_names,
            letters,
            rows: 0,
            csv_path,
            json_path,
        };
        let header = key::csv_header(&writer.answer_names, writer.letters);
        writer
            .csv
            .write_record(&header)
            .map_err(|e| csv_error(&writer.csv_path, e))?;
        writer.json_write(b"[\n")?;
        Ok(writer)
    }

    fn json_write(&mut self, bytes: &[u8]) -> Result<()> {
        self.json
            .write_all(bytes)
            .map_err(Error::io("write", &self.json_path))
    }

    /// The key of a batch or exam whose sheets are rendered with `options`: a column for every
    /// answer an exercise of `config` can have ([`possible_answer_names`]), and the right
    /// letters on multiple-choice sheets.
    pub(crate) fn for_run(
        staged: &StagedDir,
        config: &GeneratorConfig,
        options: &RenderOptions,
    ) -> Result<KeyWriter> {
        KeyWriter::create(
            staged,
            possible_answer_names(config, &options.knobs)?,
            options.answer_style == AnswerStyle::Choice,
        )
    }

    /// Appends one person's row to both files.
    pub(crate) fn push(&mut self, row: &KeyRow) -> Result<()> {
        let record = key::csv_record(row, &self.answer_names, self.letters);
        self.csv
            .write_record(&record)
            .map_err(|e| csv_error(&self.csv_path, e))?;
        let separator: &[u8] = if self.rows == 0 { b"  " } else { b",\n  " };
        self.json_write(separator)?;
        let text = serde_json::to_string(row).expect("invariant: key rows serialise");
        self.json_write(text.as_bytes())?;
        self.rows += 1;
        Ok(())
    }

    /// Closes the JSON array and flushes both files.
    pub(crate) fn finish(mut self) -> Result<()> {
        self.json_write(b"\n]\n")?;
        self.json
            .flush()
            .map_err(Error::io("write", &self.json_path))?;
        self.csv.flush().map_err(Error::io("write", &self.csv_path))
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    }
}

/// The key's answer columns: every answer any exercise of `config` can have for the parts
/// `knobs` asks. A config that draws the architecture from lists mixes shapes, so the union
/// over its shapes is taken (in the config's list order); a student's row leaves the others
/// empty. Fails when the knobs' `answer_points` name an answer no exercise has.
fn possible_answer_names(config: &GeneratorConfig, knobs: &Knobs) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for shapes in config.architecture.possible_shapes()? {
        let steps = key::graded_steps(knobs, &shapes);
        for name in key::answer_names(&steps, &shapes) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    key::check_answer_point_names(&names, knobs)?;
    Ok(names)
}
