//! HTML character references: numeric ones, and the named ones news pages use (Latin-1,
//! typographic punctuation, a few symbols and Greek letters). An unknown name is kept as
//! written.

/// Appends `s` to `out` with character references decoded. In attribute values
/// (`in_attr`), a reference without its `;` is left alone (`?a=1&copy=2` stays).
pub(crate) fn decode_into(s: &str, out: &mut String, in_attr: bool) {
    let bytes = s.as_bytes();
    let mut last = 0;
    let mut i = 0;
    while let Some(p) = bytes[i..].iter().position(|&b| b == b'&') {
        let amp = i + p;
        out.push_str(&s[last..amp]);
        match reference(&s[amp + 1..], in_attr) {
            Some((decoded, len)) => {
                match decoded {
                    Decoded::One(c) => out.push(c),
                    Decoded::Static(t) => out.push_str(t),
                }
                last = amp + 1 + len;
            }
            None => {
                out.push('&');
                last = amp + 1;
            }
        }
        i = last;
    }
    out.push_str(&s[last..]);
}

/// A decoded reference.
enum Decoded {
    One(char),
    Static(&'static str),
}

/// The reference at the start of `rest` (just after `&`): what it decodes to and how many
/// bytes it takes.
fn reference(rest: &str, in_attr: bool) -> Option<(Decoded, usize)> {
    let b = rest.as_bytes();
    if b.first() == Some(&b'#') {
        let (hex, start) = match b.get(1) {
            Some(b'x' | b'X') => (true, 2),
            _ => (false, 1),
        };
        let digits = b[start..]
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 {
            return None;
        }
        let text = &rest[start..start + digits];
        let value = u32::from_str_radix(text, if hex { 16 } else { 10 }).unwrap_or(u32::MAX);
        let mut len = start + digits;
        if b.get(len) == Some(&b';') {
            len += 1;
        }
        return Some((Decoded::One(numeric(value)), len));
    }
    let name_len = b
        .iter()
        .take(32)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if name_len == 0 {
        return None;
    }
    let name = &rest[..name_len];
    if b.get(name_len) == Some(&b';') {
        return named(name).map(|d| (d, name_len + 1));
    }
    if in_attr {
        return None;
    }
    // The oldest names also work without `;`.
    let legacy = match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "nbsp" => ' ',
        "copy" => '©',
        "reg" => '®',
        _ => return None,
    };
    Some((Decoded::One(legacy), name_len))
}

/// A numeric reference's character, with the standard's repairs.
fn numeric(value: u32) -> char {
    // 0x80..0x9F are read as windows-1252, as browsers do.
    const C1: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match value {
        0 => '\u{FFFD}',
        0x80..=0x9F => C1[(value - 0x80) as usize],
        0xA0 => ' ',
        v => char::from_u32(v).unwrap_or('\u{FFFD}'),
    }
}

fn named(name: &str) -> Option<Decoded> {
    use Decoded::{One, Static};
    Some(match name {
        "amp" | "AMP" => One('&'),
        "lt" | "LT" => One('<'),
        "gt" | "GT" => One('>'),
        "quot" | "QUOT" => One('"'),
        "apos" => One('\''),
        "nbsp" | "NonBreakingSpace" => One(' '),
        "ensp" | "emsp" | "emsp13" | "emsp14" | "thinsp" | "hairsp" | "numsp" | "puncsp"
        | "MediumSpace" | "ThinSpace" => One(' '),
        "zwnj" | "zwj" | "lrm" | "rlm" | "shy" | "ZeroWidthSpace" | "NoBreak" => Static(""),
        "ndash" => One('–'),
        "mdash" => One('—'),
        "horbar" => One('―'),
        "hyphen" | "dash" => One('‐'),
        "lsquo" | "OpenCurlyQuote" => One('‘'),
        "rsquo" | "rsquor" | "CloseCurlyQuote" => One('’'),
        "sbquo" | "lsquor" => One('‚'),
        "ldquo" | "OpenCurlyDoubleQuote" => One('“'),
        "rdquo" | "rdquor" | "CloseCurlyDoubleQuote" => One('”'),
        "bdquo" | "ldquor" => One('„'),
        "laquo" => One('«'),
        "raquo" => One('»'),
        "lsaquo" => One('‹'),
        "rsaquo" => One('›'),
        "hellip" | "mldr" => One('…'),
        "nldr" => Static("‥"),
        "bull" | "bullet" => One('•'),
        "middot" | "centerdot" | "CenterDot" => One('·'),
        "prime" => One('′'),
        "Prime" => One('″'),
        "dagger" => One('†'),
        "Dagger" | "ddagger" => One('‡'),
        "permil" => One('‰'),
        "trade" | "TRADE" => One('™'),
        "copy" | "COPY" => One('©'),
        "reg" | "REG" | "circledR" => One('®'),
        "euro" => One('€'),
        "pound" => One('£'),
        "yen" => One('¥'),
        "cent" => One('¢'),
        "curren" => One('¤'),
        "sect" => One('§'),
        "para" => One('¶'),
        "deg" => One('°'),
        "plusmn" | "pm" => One('±'),
        "times" => One('×'),
        "divide" | "div" => One('÷'),
        "minus" => One('−'),
        "frac12" | "half" => One('½'),
        "frac14" => One('¼'),
        "frac34" => One('¾'),
        "frac13" => One('⅓'),
        "frac23" => One('⅔'),
        "sup1" => One('¹'),
        "sup2" => One('²'),
        "sup3" => One('³'),
        "ordf" => One('ª'),
        "ordm" => One('º'),
        "micro" => One('µ'),
        "not" => One('¬'),
        "macr" => One('¯'),
        "acute" => One('´'),
        "uml" | "die" => One('¨'),
        "cedil" => One('¸'),
        "iexcl" => One('¡'),
        "iquest" => One('¿'),
        "brvbar" => One('¦'),
        "larr" => One('←'),
        "rarr" => One('→'),
        "uarr" => One('↑'),
        "darr" => One('↓'),
        "harr" => One('↔'),
        "rArr" => One('⇒'),
        "lArr" => One('⇐'),
        "hearts" => One('♥'),
        "spades" => One('♠'),
        "clubs" => One('♣'),
        "diams" => One('♦'),
        "star" => One('☆'),
        "starf" => One('★'),
        "check" => One('✓'),
        "infin" => One('∞'),
        "ne" => One('≠'),
        "le" => One('≤'),
        "ge" => One('≥'),
        "asymp" => One('≈'),
        "sim" => One('∼'),
        "loz" => One('◊'),
        "oline" => One('‾'),
        "frasl" => One('⁄'),
        "circ" => One('ˆ'),
        "tilde" => One('˜'),
        "num" => One('#'),
        "excl" => One('!'),
        "dollar" => One('$'),
        "percnt" => One('%'),
        "lpar" => One('('),
        "rpar" => One(')'),
        "ast" | "midast" => One('*'),
        "plus" => One('+'),
        "comma" => One(','),
        "period" => One('.'),
        "sol" => One('/'),
        "colon" => One(':'),
        "semi" => One(';'),
        "equals" => One('='),
        "quest" => One('?'),
        "commat" => One('@'),
        "lsqb" | "lbrack" => One('['),
        "rsqb" | "rbrack" => One(']'),
        "bsol" => One('\\'),
        "lowbar" | "UnderBar" => One('_'),
        "grave" | "DiacriticalGrave" => One('`'),
        "lcub" | "lbrace" => One('{'),
        "rcub" | "rbrace" => One('}'),
        "verbar" | "vert" | "VerticalLine" => One('|'),
        "Tab" => One('\t'),
        "NewLine" => One('\n'),
        "Agrave" => One('À'),
        "Aacute" => One('Á'),
        "Acirc" => One('Â'),
        "Atilde" => One('Ã'),
        "Auml" => One('Ä'),
        "Aring" => One('Å'),
        "AElig" => One('Æ'),
        "Ccedil" => One('Ç'),
        "Egrave" => One('È'),
        "Eacute" => One('É'),
        "Ecirc" => One('Ê'),
        "Euml" => One('Ë'),
        "Igrave" => One('Ì'),
        "Iacute" => One('Í'),
        "Icirc" => One('Î'),
        "Iuml" => One('Ï'),
        "ETH" => One('Ð'),
        "Ntilde" => One('Ñ'),
        "Ograve" => One('Ò'),
        "Oacute" => One('Ó'),
        "Ocirc" => One('Ô'),
        "Otilde" => One('Õ'),
        "Ouml" => One('Ö'),
        "Oslash" => One('Ø'),
        "Ugrave" => One('Ù'),
        "Uacute" => One('Ú'),
        "Ucirc" => One('Û'),
        "Uuml" => One('Ü'),
        "Yacute" => One('Ý'),
        "THORN" => One('Þ'),
        "szlig" => One('ß'),
        "agrave" => One('à'),
        "aacute" => One('á'),
        "acirc" => One('â'),
        "atilde" => One('ã'),
        "auml" => One('ä'),
        "aring" => One('å'),
        "aelig" => One('æ'),
        "ccedil" => One('ç'),
        "egrave" => One('è'),
        "eacute" => One('é'),
        "ecirc" => One('ê'),
        "euml" => One('ë'),
        "igrave" => One('ì'),
        "iacute" => One('í'),
        "icirc" => One('î'),
        "iuml" => One('ï'),
        "eth" => One('ð'),
        "ntilde" => One('ñ'),
        "ograve" => One('ò'),
        "oacute" => One('ó'),
        "ocirc" => One('ô'),
        "otilde" => One('õ'),
        "ouml" => One('ö'),
        "oslash" => One('ø'),
        "ugrave" => One('ù'),
        "uacute" => One('ú'),
        "ucirc" => One('û'),
        "uuml" => One('ü'),
        "yacute" => One('ý'),
        "thorn" => One('þ'),
        "yuml" => One('ÿ'),
        "Yuml" => One('Ÿ'),
        "OElig" => One('Œ'),
        "oelig" => One('œ'),
        "Scaron" => One('Š'),
        "scaron" => One('š'),
        "Zcaron" => One('Ž'),
        "zcaron" => One('ž'),
        "fnof" => One('ƒ'),
        "Ccaron" => One('Č'),
        "ccaron" => One('č'),
        "Alpha" => One('Α'),
        "Beta" => One('Β'),
        "Gamma" => One('Γ'),
        "Delta" => One('Δ'),
        "Omega" => One('Ω'),
        "Sigma" => One('Σ'),
        "Pi" => One('Π'),
        "alpha" => One('α'),
        "beta" => One('β'),
        "gamma" => One('γ'),
        "delta" => One('δ'),
        "epsilon" => One('ε'),
        "lambda" => One('λ'),
        "mu" => One('μ'),
        "pi" => One('π'),
        "sigma" => One('σ'),
        "omega" => One('ω'),
        "theta" => One('θ'),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str, attr: bool) -> String {
        let mut out = String::new();
        decode_into(s, &mut out, attr);
        out
    }

    #[test]
    fn named_numeric_and_unknown() {
        assert_eq!(
            dec("Q&amp;A &ldquo;x&rdquo; don&rsquo;t", false),
            "Q&A “x” don’t"
        );
        assert_eq!(dec("&#1575;&#x644;&#X0645;", false), "الم");
        assert_eq!(dec("&#150; &#146;", false), "– ’");
        assert_eq!(dec("&bogus; & &;", false), "&bogus; & &;");
        assert_eq!(dec("caf&eacute; &copy 2026", false), "café © 2026");
    }

    #[test]
    fn attributes_keep_bare_names() {
        assert_eq!(dec("/a?x=1&copy=2&amp;y=3", true), "/a?x=1&copy=2&y=3");
    }

    #[test]
    fn bad_numbers_are_replacement_chars() {
        assert_eq!(
            dec("&#0;&#xD800;&#99999999999;", false),
            "\u{FFFD}\u{FFFD}\u{FFFD}"
        );
        assert_eq!(dec("&#", false), "&#");
    }
}
