//! Story templates: `stories.txt` parsed into [`Template`]s, and a [`Filler`] that fills their
//! slots. The file format is described at the top of `stories.txt`.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::sample::{GOVERNORATES, Rng};

/// The topic ids a sample item may carry (`SampleItem::topics`).
pub(super) const TOPICS: [&str; 27] = [
    "traffic_accident",
    "traffic_safety",
    "theft",
    "drugs",
    "violence",
    "homicide",
    "domestic_violence",
    "cybercrime_fraud",
    "gunfire",
    "fire_rescue",
    "missing_person",
    "protest",
    "terrorism",
    "smuggling",
    "corruption",
    "weather_emergency",
    "police_conduct",
    "psd_activity",
    "earthquake",
    "structural_collapse",
    "explosion",
    "arrest",
    "court_ruling",
    "body_found",
    "vice_trafficking",
    "customs_seizure",
    "bites_poisoning",
];

/// Slots that name a place; a story with a governorate must use one, a story without must not.
const PLACE_SLOTS: [&str; 5] = ["{place}", "{place2}", "{gov}", "{road}", "{police}"];

/// How a story shape is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Everyday news, any outlet of its language.
    News,
    /// A reader's column in dialect, only for opinion outlets.
    Opinion,
    /// Only for the anchor-day burst.
    Burst,
    /// One outlet's report of the shared story.
    Shared,
    /// A fixed headline the tests search for.
    Known,
}

/// Where a story may happen.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Where {
    Any,
    Nowhere,
    Only(Vec<&'static str>),
}

/// A variable declared on a `vars:` line.
#[derive(Debug)]
pub(super) enum VarDef {
    Number { lo: i64, hi: i64, step: i64 },
    Choice(Vec<&'static str>),
}

/// One story shape.
#[derive(Debug)]
pub(super) struct Template {
    pub id: &'static str,
    pub lang: &'static str,
    pub topics: Vec<&'static str>,
    pub place: Where,
    pub kind: Kind,
    pub weight: u32,
    pub outlet: Option<&'static str>,
    pub day: u32,
    pub at: Option<(u32, u32)>,
    pub vars: Vec<(&'static str, VarDef)>,
    pub titles: Vec<&'static str>,
    /// `(optional, text)`.
    pub paras: Vec<(bool, &'static str)>,
}

impl Template {
    pub fn has_topic(&self, topic: &str) -> bool {
        self.topics.contains(&topic)
    }
}

/// All story shapes, parsed once.
pub(super) static TEMPLATES: LazyLock<Vec<Template>> = LazyLock::new(|| {
    parse(include_str!("stories.txt")).unwrap_or_else(|e| panic!("demo/stories.txt: {e}"))
});

pub(super) fn template(id: &str) -> &'static Template {
    TEMPLATES
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("demo/stories.txt has no story `{id}`"))
}

fn parse(text: &'static str) -> Result<Vec<Template>, String> {
    let mut out: Vec<Template> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(id) = line.strip_prefix("=== ") {
            if let Some(prev) = out.last() {
                check(prev)?;
            }
            if !is_slug(id) {
                return Err(format!("line {n}: story id `{id}` is not an ascii slug"));
            }
            if out.iter().any(|t| t.id == id) {
                return Err(format!("line {n}: story id `{id}` is used twice"));
            }
            out.push(Template {
                id,
                lang: "",
                topics: Vec::new(),
                place: Where::Any,
                kind: Kind::News,
                weight: 10,
                outlet: None,
                day: 0,
                at: None,
                vars: Vec::new(),
                titles: Vec::new(),
                paras: Vec::new(),
            });
            continue;
        }
        let Some(t) = out.last_mut() else {
            return Err(format!("line {n}: text before the first `=== id` line"));
        };
        let Some((key, value)) = line.split_once(':') else {
            return Err(format!("line {n}: expected `key: value`"));
        };
        let value = value.trim();
        let bad = |what: &str| format!("line {n}: {what} `{value}` in story `{}`", t.id);
        match key {
            "lang" => {
                t.lang = match value {
                    "ar" => "ar",
                    "en" => "en",
                    _ => return Err(bad("unknown lang")),
                }
            }
            "topics" if value == "none" => t.topics.clear(),
            "topics" => {
                for topic in value.split(',').map(str::trim) {
                    let known = TOPICS.iter().find(|k| **k == topic);
                    t.topics
                        .push(*known.ok_or_else(|| bad("unknown topic in"))?);
                }
            }
            "where" => {
                t.place = match value {
                    "any" => Where::Any,
                    "none" => Where::Nowhere,
                    list => {
                        let mut govs = Vec::new();
                        for gov in list.split(',').map(str::trim) {
                            let known = GOVERNORATES.iter().find(|g| g.id == gov);
                            govs.push(known.ok_or_else(|| bad("unknown governorate in"))?.id);
                        }
                        Where::Only(govs)
                    }
                }
            }
            "kind" => {
                t.kind = match value {
                    "news" => Kind::News,
                    "opinion" => Kind::Opinion,
                    "burst" => Kind::Burst,
                    "shared" => Kind::Shared,
                    "known" => Kind::Known,
                    _ => return Err(bad("unknown kind")),
                }
            }
            "weight" => t.weight = value.parse().map_err(|_| bad("bad weight"))?,
            "outlet" => t.outlet = Some(value),
            "day" => t.day = value.parse().map_err(|_| bad("bad day"))?,
            "at" => t.at = Some(parse_hhmm(value).ok_or_else(|| bad("bad time"))?),
            "vars" => {
                for def in value.split(';').map(str::trim).filter(|d| !d.is_empty()) {
                    let (name, spec) = def.split_once('=').ok_or_else(|| bad("bad var in"))?;
                    let var = if spec.contains('|') {
                        VarDef::Choice(spec.split('|').collect())
                    } else {
                        let (lo, hi, step) =
                            parse_range(spec).ok_or_else(|| bad("bad range in"))?;
                        VarDef::Number { lo, hi, step }
                    };
                    t.vars.push((name, var));
                }
            }
            "T" => t.titles.push(value),
            "P" => t.paras.push((false, value)),
            "P?" => t.paras.push((true, value)),
            _ => return Err(format!("line {n}: unknown key `{key}` in story `{}`", t.id)),
        }
    }
    if let Some(last) = out.last() {
        check(last)?;
    }
    Ok(out)
}

/// Checks a finished block.
fn check(t: &Template) -> Result<(), String> {
    let id = t.id;
    if t.lang.is_empty() {
        return Err(format!("story `{id}` has no lang"));
    }
    if t.titles.is_empty() {
        return Err(format!("story `{id}` has no title"));
    }
    let required = t.paras.iter().filter(|p| !p.0).count();
    if required < 2 || t.paras.len() > 5 {
        return Err(format!(
            "story `{id}` needs 2 required paragraphs and at most 5 in all"
        ));
    }
    let needs_outlet = matches!(t.kind, Kind::Shared | Kind::Known);
    if needs_outlet != t.outlet.is_some() || needs_outlet != t.at.is_some() {
        return Err(format!(
            "story `{id}`: `outlet` and `at` go with shared and known stories"
        ));
    }
    let texts = || t.titles.iter().chain(t.paras.iter().map(|p| &p.1));
    let names_place = texts().any(|s| PLACE_SLOTS.iter().any(|slot| s.contains(slot)));
    match t.place {
        Where::Nowhere if names_place => {
            Err(format!("story `{id}` has `where: none` but names a place"))
        }
        Where::Any if !names_place => Err(format!(
            "story `{id}` can happen anywhere but names no place"
        )),
        // `where: <list>` stories may name their places in plain words.
        _ => Ok(()),
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn parse_hhmm(s: &str) -> Option<(u32, u32)> {
    let (h, m) = s.split_once(':')?;
    let (h, m) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

/// `lo-hi` or `lo-hi*step`.
fn parse_range(s: &str) -> Option<(i64, i64, i64)> {
    let (range, step) = match s.split_once('*') {
        Some((r, step)) => (r, step.parse().ok()?),
        None => (s, 1),
    };
    let (lo, hi) = range.split_once('-')?;
    let (lo, hi): (i64, i64) = (lo.parse().ok()?, hi.parse().ok()?);
    (lo <= hi && step > 0).then_some((lo, hi, step))
}

/// Fills the slots of one story. Built-in slots (`place`, `road`, …) are given up front;
/// variables are remembered so a number or choice reads the same in headline and body.
#[derive(Debug)]
pub(super) struct Filler<'a> {
    rng: &'a mut Rng,
    lang: &'static str,
    builtins: HashMap<&'static str, String>,
    vars: HashMap<&'a str, String>,
}

impl<'a> Filler<'a> {
    pub fn new(
        rng: &'a mut Rng,
        lang: &'static str,
        builtins: HashMap<&'static str, String>,
    ) -> Self {
        Filler {
            rng,
            lang,
            builtins,
            vars: HashMap::new(),
        }
    }

    /// Defines the template's declared variables.
    pub fn declare(&mut self, vars: &'a [(&'static str, VarDef)]) {
        for (name, def) in vars {
            let value = match def {
                VarDef::Number { lo, hi, step } => self.number(*lo, *hi, *step),
                VarDef::Choice(options) => {
                    let pick = options[self.rng.below(options.len())];
                    self.fill(pick)
                }
            };
            self.vars.insert(name, value);
        }
    }

    pub fn rng(&mut self) -> &mut Rng {
        self.rng
    }

    /// Fills every `{…}` slot of `text`.
    pub fn fill(&mut self, text: &'a str) -> String {
        let mut out = String::with_capacity(text.len() + 32);
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = open
                + matching_close(&rest[open..])
                    .unwrap_or_else(|| panic!("unclosed `{{` in demo story text: {text}"));
            let value = self.slot(&rest[open + 1..close]);
            out.push_str(&value);
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn slot(&mut self, inner: &'a str) -> String {
        let options = split_top(inner);
        if options.len() > 1 {
            let (name, first) = match options[0].split_once('=') {
                Some((name, first)) if is_ident(name) => (Some(name), first),
                _ => (None, options[0]),
            };
            let i = self.rng.below(options.len());
            let value = self.fill(if i == 0 { first } else { options[i] });
            if let Some(name) = name {
                self.vars.insert(name, value.clone());
            }
            return value;
        }
        if let Some((name, spec)) = inner.split_once(':')
            && is_ident(name)
            && let Some((lo, hi, step)) = parse_range(spec)
        {
            let value = self.number(lo, hi, step);
            self.vars.insert(name, value.clone());
            return value;
        }
        if let Some(value) = self.vars.get(inner).or_else(|| self.builtins.get(inner)) {
            return value.clone();
        }
        panic!("unknown slot `{{{inner}}}` in demo story text")
    }

    fn number(&mut self, lo: i64, hi: i64, step: i64) -> String {
        let n = self.rng.range(lo, hi) * step;
        if self.lang == "en" && n >= 1_000 {
            group_thousands(n)
        } else {
            n.to_string()
        }
    }
}

/// Byte offset of the `}` closing the `{` at the start of `s`.
fn matching_close(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits at `|` outside nested braces.
fn split_top(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn group_thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
