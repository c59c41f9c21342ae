//! Turns what a user typed into index terms and tantivy queries.
//!
//! A query is cut by the same tokenizer as the documents, so 路灯不亮 asks for 路灯, 灯不 and 不亮,
//! all of which every document containing 路灯不亮 has. A lone CJK character (a one-character
//! query, or 号 in 3号) has no bigram of its own; it matches any indexed term that starts or ends
//! with it, through a small automaton over the term dictionary — slower than a term lookup for
//! common characters, but such queries are rare.

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RegexQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use crate::error::Result;
use crate::tokenizer::{is_cjk, terms};

/// The distinct terms of a query, in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QueryTerms {
    /// Terms looked up as they are: bigrams, ASCII words, digit runs.
    pub words: Vec<String>,
    /// Lone CJK characters, matched inside bigrams.
    pub chars: Vec<char>,
}

impl QueryTerms {
    pub fn parse(text: &str) -> QueryTerms {
        let mut q = QueryTerms::default();
        for span in terms(text) {
            let mut cs = span.text.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) if is_cjk(c) => {
                    if !q.chars.contains(&c) {
                        q.chars.push(c);
                    }
                }
                _ => {
                    if !q.words.contains(&span.text) {
                        q.words.push(span.text);
                    }
                }
            }
        }
        q
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.chars.is_empty()
    }
}

pub(crate) fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
}

/// Any term that starts or ends with the character (or is the character).
pub(crate) fn char_query(field: Field, c: char) -> Result<Box<dyn Query>> {
    // CJK characters are never regex syntax, but escape anyway so the function is safe for any char.
    let c = regex_escape(c);
    Ok(Box::new(RegexQuery::from_pattern(&format!("{c}.?|.{c}"), field)?))
}

fn regex_escape(c: char) -> String {
    if c.is_alphanumeric() || !c.is_ascii() { c.to_string() } else { format!("\\{c}") }
}

/// Every term must occur in `field`; scored by BM25.
pub(crate) fn all_terms(field: Field, q: &QueryTerms) -> Result<Vec<(Occur, Box<dyn Query>)>> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = q.words.iter().map(|w| (Occur::Must, term_query(field, w))).collect();
    for c in &q.chars {
        clauses.push((Occur::Must, char_query(field, *c)?));
    }
    Ok(clauses)
}

/// Terms of a query that get a boost clause. The boost clauses form a union that is walked alongside
/// the matches, and for a pasted 200-character query a union of 200 title postings cost more than
/// the search itself (24 ms against 3 ms on a million cases); the first terms say what the query is about.
const MAX_BOOSTED_TERMS: usize = 12;

/// Optional clauses that add to the score when the (first few) terms also occur in `field`.
pub(crate) fn boosts(field: Field, q: &QueryTerms, boost: f32) -> Vec<(Occur, Box<dyn Query>)> {
    q.words
        .iter()
        .take(MAX_BOOSTED_TERMS)
        .map(|w| (Occur::Should, Box::new(BoostQuery::new(term_query(field, w), boost)) as Box<dyn Query>))
        .collect()
}

/// A clause that restricts without changing the score.
pub(crate) fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

/// A filter that matches any of the exact values (untokenized field).
pub(crate) fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    let terms: Vec<(Occur, Box<dyn Query>)> = values
        .iter()
        .map(|v| (Occur::Should, Box::new(TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic)) as Box<dyn Query>))
        .collect();
    Box::new(BooleanQuery::new(terms))
}

/// An exact-value filter on an untokenized field.
pub(crate) fn exact(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_terms() {
        let q = QueryTerms::parse("路灯不亮 路灯 3号");
        assert_eq!(q.words, ["路灯", "灯不", "不亮", "3"]);
        assert_eq!(q.chars, ['号']);
        assert!(QueryTerms::parse(" ，。 ").is_empty());
    }
}
