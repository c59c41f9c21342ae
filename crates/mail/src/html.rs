//! HTML mail to readable text: what a citizen wrote in a web mailer (QQ 邮箱, 163, Outlook) that
//! sent no plain-text part, as lines an operator can read on the case.
//!
//! mail-parser has a converter, but it breaks lines only at `<br>` and `</p>`; Chinese web mailers
//! write one `<div>` per line, so its output runs every line together. This one breaks at every
//! block element, marks list items, drops what is never shown (head, style, script, comments)
//! and decodes the entities mailers use.

/// Elements that start and end a line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "tr",
    "table",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "dl",
    "dt",
    "dd",
    "address",
    "center",
];

/// Elements whose content is never shown.
const HIDDEN: &[&str] = &["head", "style", "script", "title", "template", "noscript", "xml"];

/// The readable text of an HTML document: one line per block, spaces collapsed, no empty lines.
pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut hidden: Option<String> = None;
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if hidden.is_none() {
                push_text(&mut out, rest);
            }
            break;
        };
        if hidden.is_none() {
            push_text(&mut out, &rest[..lt]);
        }
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let Some(gt) = tag_end(rest) else {
            // A lone '<' in text ("a < b"): keep it as text.
            if hidden.is_none() {
                push_text(&mut out, "<");
            }
            rest = &rest[1..];
            continue;
        };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == ':')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if let Some(h) = &hidden {
            if closing && &name == h {
                hidden = None;
            }
            continue;
        }
        if !closing && !tag.ends_with('/') && HIDDEN.contains(&name.as_str()) {
            hidden = Some(name);
            continue;
        }
        if BLOCKS.contains(&name.as_str()) {
            out.push('\n');
            if name == "li" && !closing {
                out.push_str("• ");
            }
        } else if matches!(name.as_str(), "td" | "th") && !closing {
            out.push(' ');
        }
    }
    tidy(&out)
}

/// Where a tag that starts at `s[0] == '<'` ends, minding quoted attribute values; `None` when
/// this '<' does not start a tag.
fn tag_end(s: &str) -> Option<usize> {
    let next = s[1..].chars().next()?;
    if !(next.is_ascii_alphabetic() || next == '/' || next == '!' || next == '?') {
        return None;
    }
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// Appends text with its entities decoded and its whitespace as single spaces (HTML's own rule;
/// line breaks come from the tags).
fn push_text(out: &mut String, text: &str) {
    let decoded = decode_entities(text);
    for c in decoded.chars() {
        if c.is_whitespace() && c != '\u{a0}' && c != '\u{3000}' {
            if !out.ends_with([' ', '\n']) && !out.is_empty() {
                out.push(' ');
            }
        } else if c == '\u{a0}' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|&e| e > 0 && e <= 10);
        match end.and_then(|e| entity(&after[..e]).map(|c| (e, c))) {
            Some((e, c)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| !c.is_control() || *c == '\n' || *c == '\t');
    }
    Some(match name {
        "nbsp" => '\u{a0}',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "ldquo" => '“',
        "rdquo" => '”',
        "lsquo" => '‘',
        "rsquo" => '’',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "middot" => '·',
        "bull" => '•',
        "yen" => '¥',
        "copy" => '©',
        "reg" => '®',
        "times" => '×',
        "deg" => '°',
        "emsp" | "ensp" | "thinsp" => ' ',
        _ => return None,
    })
}

/// Trims each line and drops empty ones: mailers space paragraphs with empty blocks
/// (`<div><br></div>`) in so many ways that keeping them gives ragged text.
fn tidy(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn blocks_become_lines() {
        let html = "<html><head><title>t</title><style>p{color:red}</style></head><body>\
            <div>您好：</div><div>玉沙社区&nbsp;路灯坏了&amp;没人修</div><p>第一段</p><p>第二段</p>\
            <ul><li>一</li><li>二</li></ul><!-- 注释 --><script>alert(1)</script>谢谢<br>张三</body></html>";
        assert_eq!(to_text(html), "您好：\n玉沙社区 路灯坏了&没人修\n第一段\n第二段\n• 一\n• 二\n谢谢\n张三");
    }

    #[test]
    fn entities_and_stray_brackets() {
        assert_eq!(to_text("a &lt; b &#20320;&#x597D; &unknown; 3 < 4"), "a < b 你好 &unknown; 3 < 4");
        assert_eq!(to_text("<a href=\"x>y\">链接</a>"), "链接");
    }
}
