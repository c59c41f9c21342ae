//! CSV input and output: labelled training files, unlabelled files to classify, and predictions written back.
//!
//! A file's text comes from a `text` column (raw), else from `title` and/or `detail` (raw,
//! joined), else from `tokens` (already segmented, space-separated). Column names are matched
//! case-insensitively.

use std::path::{Path, PathBuf};

use csv::StringRecord;

use crate::error::{Error, Result};
use crate::model::{Example, Model};
use crate::text::Document;

/// Where a file keeps its text.
enum TextColumns {
    Text(usize),
    TitleDetail(Option<usize>, Option<usize>),
    Tokens(usize),
}

impl TextColumns {
    fn find(headers: &StringRecord, path: &Path) -> Result<Self> {
        let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
        if let Some(i) = col("text") {
            return Ok(Self::Text(i));
        }
        let (title, detail) = (col("title"), col("detail"));
        if title.is_some() || detail.is_some() {
            return Ok(Self::TitleDetail(title, detail));
        }
        if let Some(i) = col("tokens") {
            return Ok(Self::Tokens(i));
        }
        Err(Error::NoTextColumn { path: path.to_owned(), found: found(headers) })
    }

    fn document(&self, record: &StringRecord) -> Document {
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        match *self {
            Self::Text(i) => Document::raw(field(i)),
            Self::TitleDetail(t, d) => {
                let parts: Vec<&str> = [t, d].into_iter().flatten().map(field).filter(|s| !s.is_empty()).collect();
                Document::raw(parts.join(" "))
            }
            Self::Tokens(i) => Document::segmented(field(i)),
        }
    }
}

fn found(headers: &StringRecord) -> String {
    let names: Vec<&str> = headers.iter().collect();
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

fn label_column(headers: &StringRecord) -> Option<usize> {
    headers.iter().position(|h| h.trim().eq_ignore_ascii_case("label"))
}

fn open(path: &Path) -> Result<(csv::Reader<std::fs::File>, StringRecord)> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(file);
    let headers = reader.headers().map_err(|source| csv_error(path, source))?.clone();
    Ok((reader, headers))
}

fn csv_error(path: &Path, source: csv::Error) -> Error {
    Error::Csv { path: path.to_owned(), source }
}

/// Reads labelled examples. Every row needs a non-empty `label`.
pub fn read_labelled_csv(path: impl AsRef<Path>) -> Result<Vec<Example>> {
    let path = path.as_ref();
    let (reader, headers) = open(path)?;
    labelled(reader, headers, path)
}

/// Reads labelled examples from CSV text (a file embedded in a program); `name` names it in errors.
pub fn read_labelled_text(text: &str, name: &str) -> Result<Vec<Example>> {
    let path = Path::new(name);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|source| csv_error(path, source))?.clone();
    labelled(reader, headers, path)
}

fn labelled<R: std::io::Read>(mut reader: csv::Reader<R>, headers: StringRecord, path: &Path) -> Result<Vec<Example>> {
    let label = label_column(&headers).ok_or_else(|| Error::NoLabelColumn { path: path.to_owned(), found: found(&headers) })?;
    let columns = TextColumns::find(&headers, path)?;
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|source| csv_error(path, source))?;
        let value = record.get(label).unwrap_or("").trim();
        if value.is_empty() {
            let line = record.position().map_or(0, |p| p.line());
            return Err(Error::MissingLabel { path: path.to_owned(), line });
        }
        out.push(Example { doc: columns.document(&record), label: value.to_owned() });
    }
    Ok(out)
}

/// Reads documents to classify, with their label where the file has one (empty labels are `None`).
pub fn read_unlabelled_csv(path: impl AsRef<Path>) -> Result<Vec<(Document, Option<String>)>> {
    let path = path.as_ref();
    let (mut reader, headers) = open(path)?;
    let label = label_column(&headers);
    let columns = TextColumns::find(&headers, path)?;
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|source| csv_error(path, source))?;
        let value = label.and_then(|i| record.get(i)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        out.push((columns.document(&record), value));
    }
    Ok(out)
}

/// Classifies every row of `input` and writes it to `output` unchanged, plus the columns
/// `predicted` (top label) and `confidence` (its calibrated probability). Returns the row count.
pub fn predict_csv(model: &Model, input: impl AsRef<Path>, output: impl AsRef<Path>) -> Result<usize> {
    let input = input.as_ref();
    let output: PathBuf = output.as_ref().to_owned();
    let (mut reader, headers) = open(input)?;
    let columns = TextColumns::find(&headers, input)?;
    let file = std::fs::File::create(&output).map_err(|source| Error::Io { path: output.clone(), source })?;
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let mut head = headers.clone();
    head.push_field("predicted");
    head.push_field("confidence");
    writer.write_record(&head).map_err(|source| csv_error(&output, source))?;
    let mut rows = 0;
    for record in reader.records() {
        let mut record = record.map_err(|source| csv_error(input, source))?;
        let ranked = model.predict_document(&columns.document(&record));
        let (label, p) = ranked.first().map_or(("", 0.0), |(l, p)| (l.as_str(), *p));
        record.push_field(label);
        record.push_field(&format!("{p:.4}"));
        writer.write_record(&record).map_err(|source| csv_error(&output, source))?;
        rows += 1;
    }
    writer.flush().map_err(|source| Error::Io { path: output.clone(), source })?;
    Ok(rows)
}

/// Drops exact repeats (same form, same text ignoring whitespace), keeping the first occurrence.
/// Near-duplicates are left in: they are real extra evidence, and cross-validation groups them.
pub fn dedup_exact(examples: Vec<Example>) -> Vec<Example> {
    let mut seen = std::collections::HashSet::new();
    examples.into_iter().filter(|e| seen.insert((e.doc.form, e.doc.text.split_whitespace().collect::<String>()))).collect()
}
