//! Cuts text into index terms: overlapping character bigrams of CJK runs, whole ASCII words and digit runs.
//!
//! Why bigrams and not a dictionary segmenter: a segmenter decides on word boundaries, and when it
//! decides differently for the document and for the query the document is lost. jieba's general
//! dictionary has 灯不亮, which swallows 路灯 in 路灯不亮 — a search for 路灯 would miss that case.
//! Bigrams have no boundaries to disagree about: 路灯不亮 gives
//! 路灯, 灯不, 不亮 wherever it occurs, and any query of two or more characters is a conjunction of
//! bigrams that every occurrence contains. The price is a larger index and some false matches of
//! bigrams that are adjacent in the query but apart in the document; ranking keeps those low.
//!
//! Rules, after full-width → half-width folding (ＨＫ２０２６ reads as hk2026):
//! - a run of CJK characters of two or more gives each pair of neighbours (路灯不亮 → 路灯 灯不 不亮);
//!   a run of one gives that character alone (3号楼 has the run 号楼, but 第3号 has the run 号);
//! - a run of letters and digits is one lowercase term (HK20261122000123 → hk20261122000123,
//!   13812345678 stays whole), so case numbers and phone numbers are found by exact term; runs longer
//!   than [`MAX_WORD_CHARS`] are dropped (they are hashes or garbage, and make huge terms);
//! - everything else (punctuation, spaces, symbols) separates.
//!
//! Offsets point into the original text, so highlighting works on what the user wrote.

use std::str::CharIndices;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The name under which the tokenizer is registered with an index.
pub const TOKENIZER_NAME: &str = "minsheng_bigram";

/// Words longer than this many characters are not indexed.
pub const MAX_WORD_CHARS: usize = 40;

/// The bigram tokenizer; stateless, so cloning it is free.
#[derive(Debug, Clone, Copy, Default)]
pub struct BigramTokenizer;

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = BigramStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BigramStream<'a> {
        BigramStream::new(text)
    }
}

/// One term of a text with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    /// Byte range in the original text.
    pub start: usize,
    pub end: usize,
}

/// The terms of a text in order, duplicates kept.
pub fn terms(text: &str) -> Vec<Span> {
    let mut stream = BigramStream::new(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push(Span { text: t.text.clone(), start: t.offset_from, end: t.offset_to });
    }
    out
}

/// Whether the character is written in a script without spaces between words (Han, kana, Hangul).
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3007}'                      // 〇
        | '\u{3040}'..='\u{30FF}'       // hiragana, katakana
        | '\u{3400}'..='\u{4DBF}'       // extension A
        | '\u{4E00}'..='\u{9FFF}'       // unified ideographs
        | '\u{AC00}'..='\u{D7AF}'       // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'       // compatibility ideographs
        | '\u{20000}'..='\u{3134F}') // extensions B–G
}

/// Full-width ASCII forms and the ideographic space read as their half-width selves.
fn fold_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// A character from the text: where it starts, its length in the text, and its folded form.
#[derive(Clone, Copy)]
struct Char {
    at: usize,
    len: usize,
    c: char,
}

/// A streaming tokenizer over one text. Kept allocation-free per token (one reused `Token`)
/// because it runs over every case on a rebuild.
pub struct BigramStream<'a> {
    chars: CharIndices<'a>,
    /// A character read but not yet handled, because a pending token had to be emitted first.
    pushed_back: Option<Char>,
    /// The previous character of the current CJK run, and the run's length so far.
    cjk_prev: Option<Char>,
    cjk_run: usize,
    /// The current word: its start and end in the text, its length in characters.
    word: Option<(usize, usize)>,
    word_chars: usize,
    word_text: String,
    token: Token,
    position: usize,
}

impl<'a> BigramStream<'a> {
    fn new(text: &'a str) -> Self {
        BigramStream {
            chars: text.char_indices(),
            pushed_back: None,
            cjk_prev: None,
            cjk_run: 0,
            word: None,
            word_chars: 0,
            word_text: String::new(),
            token: Token::default(),
            position: 0,
        }
    }

    fn next_char(&mut self) -> Option<Char> {
        self.pushed_back.take().or_else(|| self.chars.next().map(|(at, raw)| Char { at, len: raw.len_utf8(), c: fold_width(raw) }))
    }

    fn emit(&mut self, start: usize, end: usize) {
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.position = self.position;
        self.token.position_length = 1;
        self.position += 1;
    }

    /// Ends the current word; true when it became the current token.
    fn flush_word(&mut self) -> bool {
        let Some((start, end)) = self.word.take() else { return false };
        let chars = std::mem::take(&mut self.word_chars);
        if chars > MAX_WORD_CHARS {
            self.word_text.clear();
            return false;
        }
        self.token.text.clear();
        self.token.text.push_str(&self.word_text);
        self.word_text.clear();
        self.emit(start, end);
        true
    }

    /// Ends the current CJK run; true when a lone character became the current token.
    fn flush_cjk(&mut self) -> bool {
        let prev = self.cjk_prev.take();
        let run = std::mem::take(&mut self.cjk_run);
        match prev {
            Some(ch) if run == 1 => {
                self.token.text.clear();
                self.token.text.push(ch.c);
                self.emit(ch.at, ch.at + ch.len);
                true
            }
            _ => false,
        }
    }
}

impl TokenStream for BigramStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some(ch) = self.next_char() else {
                return self.flush_word() || self.flush_cjk();
            };
            if is_cjk(ch.c) {
                if self.word.is_some() {
                    self.pushed_back = Some(ch);
                    if self.flush_word() {
                        return true;
                    }
                    continue;
                }
                match self.cjk_prev.replace(ch) {
                    Some(prev) => {
                        self.cjk_run += 1;
                        self.token.text.clear();
                        self.token.text.push(prev.c);
                        self.token.text.push(ch.c);
                        self.emit(prev.at, ch.at + ch.len);
                        return true;
                    }
                    None => self.cjk_run = 1,
                }
            } else if ch.c.is_alphanumeric() {
                if self.cjk_run > 0 {
                    self.pushed_back = Some(ch);
                    if self.flush_cjk() {
                        return true;
                    }
                    continue;
                }
                let (start, _) = *self.word.get_or_insert((ch.at, ch.at));
                self.word = Some((start, ch.at + ch.len));
                self.word_chars += 1;
                if ch.c.is_ascii() {
                    self.word_text.push(ch.c.to_ascii_lowercase());
                } else {
                    self.word_text.extend(ch.c.to_lowercase());
                }
            } else if self.flush_word() || self.flush_cjk() {
                return true;
            }
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        terms(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn bigrams_words_and_lone_characters() {
        assert_eq!(texts("路灯不亮"), ["路灯", "灯不", "不亮"]);
        assert_eq!(texts("国兴大道3号楼"), ["国兴", "兴大", "大道", "3", "号楼"]);
        assert_eq!(texts("第3号"), ["第", "3", "号"]);
        assert_eq!(texts("ＨＫ２０２６ 电话13812345678。"), ["hk2026", "电话", "13812345678"]);
        assert_eq!(texts("A市A2区"), ["a", "市", "a2", "区"]);
        assert_eq!(texts(""), Vec::<String>::new());
        assert_eq!(texts("，。!"), Vec::<String>::new());
        assert_eq!(texts("噪音，扰民"), ["噪音", "扰民"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "Ａ路灯";
        for t in terms(text) {
            let original = &text[t.start..t.end];
            assert!(!original.is_empty());
        }
        let t = terms("x 路灯");
        assert_eq!((t[1].start, t[1].end), (2, 8));
    }

    #[test]
    fn overlong_words_are_dropped() {
        let long = "a".repeat(MAX_WORD_CHARS + 1);
        assert_eq!(texts(&format!("{long} ok")), ["ok"]);
    }
}
