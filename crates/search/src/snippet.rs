//! Highlighted excerpts: the window of a text where most of the query's terms meet, HTML-escaped, with
//! the matches in `<mark>`.
//!
//! Written here rather than taken from tantivy's snippet generator because bigrams overlap (路灯不亮
//! matches as 路灯 + 灯不 + 不亮) and must merge into one mark, and because the window is counted in
//! characters, which is what a Chinese reader sees.

use std::borrow::Cow;

use crate::query::QueryTerms;
use crate::tokenizer::terms;

/// Characters shown in a snippet.
pub const SNIPPET_CHARS: usize = 80;
/// Characters of context kept before the first match of the window.
const LEAD_CHARS: usize = 12;

struct Match {
    start: usize,
    end: usize,
    term: usize,
}

/// A text's best window: its rank (distinct terms, matches), where it starts, and the matches to mark.
struct Candidate<'a> {
    rank: (usize, usize),
    text: &'a str,
    matches: Vec<Match>,
    start: usize,
}

/// The best excerpt among `texts` (earlier texts win ties), or the start of the first non-empty text
/// when nothing matches. With `mask`, phone numbers in the excerpt read 138****1234.
pub(crate) fn snippet<'a>(texts: impl IntoIterator<Item = &'a str>, q: &QueryTerms, mask: bool) -> String {
    let texts: Vec<Cow<'a, str>> = texts.into_iter().map(|t| if mask { mask_phones(t) } else { Cow::Borrowed(t) }).collect();
    let mut fallback = None;
    let mut best: Option<Candidate> = None;
    for text in texts.iter().map(|t| t.as_ref()) {
        if text.trim().is_empty() {
            continue;
        }
        fallback.get_or_insert(text);
        let matches = find(text, q);
        if matches.is_empty() {
            continue;
        }
        let (start, rank) = best_window(text, &matches);
        if best.as_ref().is_none_or(|b| rank > b.rank) {
            best = Some(Candidate { rank, text, matches, start });
        }
    }
    match (best, fallback) {
        (Some(b), _) => render(b.text, b.start, &b.matches),
        (None, Some(text)) => render(text, 0, &[]),
        (None, None) => String::new(),
    }
}

fn find(text: &str, q: &QueryTerms) -> Vec<Match> {
    let mut out = Vec::new();
    for span in terms(text) {
        if let Some(term) = q.words.iter().position(|w| *w == span.text) {
            out.push(Match { start: span.start, end: span.end, term });
            continue;
        }
        // A lone query character marks only itself inside the bigram that contains it.
        for (i, c) in q.chars.iter().enumerate() {
            if let Some((at, ch)) = text[span.start..span.end].char_indices().find(|(_, ch)| ch == c) {
                let start = span.start + at;
                out.push(Match { start, end: start + ch.len_utf8(), term: q.words.len() + i });
            }
        }
    }
    out
}

/// Where the window starts (byte offset) and how good it is: (distinct terms, matches).
fn best_window(text: &str, matches: &[Match]) -> (usize, (usize, usize)) {
    let mut best = (0, (0, 0));
    for anchor in matches {
        // Near the end of the text the window slides back so it stays full (a short text shows whole).
        let start = back_chars(text, anchor.start, LEAD_CHARS).min(back_chars(text, text.len(), SNIPPET_CHARS));
        let end = forward_chars(text, start, SNIPPET_CHARS);
        let inside: Vec<&Match> = matches.iter().filter(|m| m.start >= start && m.end <= end).collect();
        let mut distinct: Vec<usize> = inside.iter().map(|m| m.term).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let rank = (distinct.len(), inside.len());
        if rank > best.1 {
            best = (start, rank);
        }
    }
    best
}

fn back_chars(text: &str, from: usize, n: usize) -> usize {
    text[..from].char_indices().rev().take(n).last().map_or(from, |(i, _)| i)
}

fn forward_chars(text: &str, from: usize, n: usize) -> usize {
    text[from..].char_indices().nth(n).map_or(text.len(), |(i, _)| from + i)
}

fn render(text: &str, start: usize, matches: &[Match]) -> String {
    let end = forward_chars(text, start, SNIPPET_CHARS);
    // Overlapping bigrams become one region.
    let mut regions: Vec<(usize, usize)> = Vec::new();
    for m in matches.iter().filter(|m| m.start >= start && m.end <= end) {
        match regions.last_mut() {
            Some(last) if m.start <= last.1 => last.1 = last.1.max(m.end),
            _ => regions.push((m.start, m.end)),
        }
    }
    let mut out = String::with_capacity((end - start) * 2);
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for (s, e) in regions {
        escape_into(&mut out, &text[at..s]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[s..e]);
        out.push_str("</mark>");
        at = e;
    }
    escape_into(&mut out, &text[at..end]);
    if end < text.len() {
        out.push('…');
    }
    out
}

/// Phone numbers written out in a text, masked as the case pages mask them for staff who may not call
/// citizens back: a mobile (11 digits from 1) keeps its first three and last four digits, a landline
/// (10–12 digits from 0) its area code and last four. Digits stay digits-for-stars, so byte offsets
/// do not move. Only whole runs of ASCII digits count: a case number's digits follow letters.
pub(crate) fn mask_phones(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let run = &bytes[start..i];
        let bounded = (start == 0 || !bytes[start - 1].is_ascii_alphanumeric()) && (i == bytes.len() || !bytes[i].is_ascii_alphanumeric());
        let mobile = run.len() == 11 && run[0] == b'1';
        let landline = (10..=12).contains(&run.len()) && run[0] == b'0' && run[1] != b'0';
        if bounded && (mobile || landline) {
            let head = if mobile { 3 } else { (run.len() - 4).min(4) };
            let buf = out.get_or_insert_with(|| bytes.to_vec());
            buf[start + head..i - 4].fill(b'*');
        }
    }
    // Only ASCII digits were replaced by ASCII stars, so the bytes are still UTF-8.
    out.and_then(|b| String::from_utf8(b).ok()).map_or(Cow::Borrowed(text), Cow::Owned)
}

/// HTML-escapes, and folds line breaks and tabs into spaces so the excerpt is one line.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' | '\n' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_bigrams_merge_into_one_mark() {
        let q = QueryTerms::parse("路灯不亮");
        assert_eq!(snippet(["小区门口路灯不亮了"], &q, false), "小区门口<mark>路灯不亮</mark>了");
    }

    #[test]
    fn escapes_and_windows() {
        let q = QueryTerms::parse("噪音");
        let long = format!("{}<b>噪音</b>{}", "前".repeat(100), "后".repeat(100));
        let s = snippet([long.as_str()], &q, false);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("&lt;b&gt;<mark>噪音</mark>&lt;/b&gt;"), "{s}");
        assert_eq!(s.chars().filter(|c| *c == '前').count(), LEAD_CHARS - 3);
    }

    #[test]
    fn picks_the_text_with_more_terms_and_falls_back_to_the_start() {
        let q = QueryTerms::parse("路灯 维修");
        assert_eq!(snippet(["路灯", "已安排维修路灯"], &q, false), "已安排<mark>维修路灯</mark>");
        assert_eq!(snippet(["", "无关内容"], &q, false), "无关内容");
    }

    #[test]
    fn phone_numbers_are_masked_in_place() {
        assert_eq!(mask_phones("电话13812345678，座机0898-66123456或089866123456"), "电话138****5678，座机0898-66123456或0898****3456");
        assert_eq!(mask_phones("编号HK20261122000123，门牌12号"), "编号HK20261122000123，门牌12号");
        assert!(matches!(mask_phones("没有号码"), Cow::Borrowed(_)));
        let q = QueryTerms::parse("漏水");
        assert_eq!(snippet(["漏水，联系13812345678"], &q, true), "<mark>漏水</mark>，联系138****5678");
    }
}
