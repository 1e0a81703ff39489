//! The `police_stance` of an item about the police: what it says of the police, beside its
//! own tone. An arrest report is bad news but says nothing against the police; a citizen's
//! "والله الشرطة ما قصّروا" is praise although the sentiment model may read it as negative.
//!
//! [`StanceRules`] compiles `[police.stance]` of `topics.toml` ([`PoliceStanceConfig`]) and
//! reads only the sentences that name the police (a `[police]` term or local term, outside
//! another country's force) and the sentence right after each, where "they" still means
//! the police; when no sentence names them (the flag came from a police topic), the whole
//! text. In those sentences it looks for:
//!
//! - `approving` cues (يعطيهم العافية، نشامى، thank) and `critical` cues (تقصير، ضلت واقفة،
//!   brutality), matched as topic terms are (diacritics, hamza forms, clitics and English
//!   plurals ignored; a phrase stays in one clause). A cue inside a longer cue counts only as
//!   the longer one ("ما قصروا" is not "قصروا").
//! - `negations` right before a cue turn it around: "لا يوجد أي" + "تقصير" approves, "ما
//!   حدا" + "ساعدنا" criticises. A cue that starts with a negation is not turned again.
//! - `charges` (بتهمة، charged with): a critical cue after one, in the same clause, is what
//!   a suspect did ("القبض على موظف بتهمة الرشوة"), not what the police did: ignored.
//!
//! Then [`decide`]: more approving cues than critical ones is `approving`, more critical is
//! `critical`; a tie between cues is broken by the item's tone (sentiment) when it has one,
//! else `neutral`. Without any cue, an item with the `police_conduct` topic takes its tone
//! (the topic is about conduct, praised or blamed); any other item is `neutral`: a report of
//! police action (arrest, seizure, rescue), the police as a source, an announcement. So the
//! tone is one input and never decides alone.

use rasd_core::{Polarity, PoliceStance, PoliceStanceConfig};

use crate::Result;
use crate::phrase::{PhraseSet, RoledPhrases};
use crate::police::PoliceRules;
use crate::tokens::{Analyzed, Vocab};

/// What an entry of `[police.stance]` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Negation,
    Charge,
    Critical,
    Approving,
}

/// The compiled `[police.stance]` cues.
#[derive(Debug, Clone, Default)]
pub(crate) struct StanceRules {
    set: PhraseSet,
    /// Role of each phrase of `set` (an entry in two lists keeps the later one: approving,
    /// then critical, then charges, then negations).
    roles: Vec<Role>,
    /// The entries as written, per phrase.
    written: Vec<String>,
    /// No approving and no critical cue: no stance is given.
    empty: bool,
}

/// One cue found, as written in `topics.toml`, and the negation that turned it around.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    /// The cue as written.
    pub cue: String,
    /// The negation right before it, as written, when one turned it around.
    pub negated_by: Option<String>,
}

impl Cue {
    /// The cue for people: `تقصير`, or `لا يوجد أي + تقصير` when negated.
    pub fn label(&self) -> String {
        match &self.negated_by {
            Some(n) => format!("{n} + {}", self.cue),
            None => self.cue.clone(),
        }
    }
}

/// Which rule of [`decide`] gave the stance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// One side had more cues.
    Cues,
    /// As many approving as critical cues: the tone broke the tie.
    TieByTone,
    /// As many approving as critical cues and no tone to break the tie.
    Tie,
    /// No cue; the `police_conduct` topic took the item's tone.
    ConductTone,
    /// No cue: a report, a source, an announcement.
    NoCue,
}

impl Rule {
    /// One English sentence for explanations.
    pub fn reason(self) -> &'static str {
        match self {
            Rule::Cues => "more cues of one side",
            Rule::TieByTone => "as many approving as critical cues; the tone broke the tie",
            Rule::Tie => "as many approving as critical cues",
            Rule::ConductTone => "no cue; the police_conduct topic takes the item's tone",
            Rule::NoCue => "no cue: a report, a source or an announcement",
        }
    }
}

/// The stance of one item and what gave it (see [`crate::Enricher::explain_item`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StanceWhy {
    /// The stance (`None` when `[police.stance]` lists no cue).
    pub stance: Option<PoliceStance>,
    /// The rule that gave it.
    pub rule: Rule,
    /// The police names found in the sentences read, as written in `topics.toml`.
    pub police_names: Vec<String>,
    /// How many sentences were read, of how many.
    pub sentences_read: (usize, usize),
    /// Approving cues found (a negated critical cue is one).
    pub approving: Vec<Cue>,
    /// Critical cues found (a negated approving cue is one).
    pub critical: Vec<Cue>,
    /// Critical cues ignored because a charge came before them (the suspect's act).
    pub charged: Vec<String>,
    /// The item has the `police_conduct` topic.
    pub conduct_topic: bool,
    /// The item's tone, when a sentiment model is loaded.
    pub tone: Option<Polarity>,
}

impl StanceRules {
    /// Compiles the cues, interning their words into `vocab`.
    pub(crate) fn new(cfg: &PoliceStanceConfig, vocab: &mut Vocab) -> Result<StanceRules> {
        let lists = [
            (&cfg.negations[..], Role::Negation),
            (&cfg.charges[..], Role::Charge),
            (&cfg.critical[..], Role::Critical),
            (&cfg.approving[..], Role::Approving),
        ];
        let RoledPhrases {
            set,
            roles,
            written,
        } = RoledPhrases::new(&lists, "police.stance", vocab)?;
        Ok(StanceRules {
            set,
            roles,
            written,
            empty: cfg.approving.is_empty() && cfg.critical.is_empty(),
        })
    }

    /// The stance of a text about the police and its evidence. `parts` are the title and
    /// the body, already passed through `normalize_for_matching`.
    pub(crate) fn explain(
        &self,
        police: &PoliceRules,
        vocab: &Vocab,
        parts: &[&str],
        conduct_topic: bool,
        tone: Option<Polarity>,
    ) -> StanceWhy {
        let sentences: Vec<Analyzed> = parts
            .iter()
            .flat_map(|p| sentences(p))
            .map(|s| Analyzed::from_normalized(vocab, &[s]))
            .collect();
        let names: Vec<Vec<&str>> = sentences.iter().map(|s| police.mentions(s)).collect();
        let mut read = vec![false; sentences.len()];
        for (i, n) in names.iter().enumerate() {
            if !n.is_empty() {
                read[i] = true;
                if let Some(next) = read.get_mut(i + 1) {
                    *next = true;
                }
            }
        }
        if !read.contains(&true) {
            read.fill(true);
        }
        let mut why = StanceWhy {
            stance: None,
            rule: Rule::NoCue,
            police_names: Vec::new(),
            sentences_read: (read.iter().filter(|r| **r).count(), sentences.len()),
            approving: Vec::new(),
            critical: Vec::new(),
            charged: Vec::new(),
            conduct_topic,
            tone,
        };
        for (i, s) in sentences.iter().enumerate() {
            if !read[i] {
                continue;
            }
            for n in &names[i] {
                if !why.police_names.iter().any(|x| x == n) {
                    why.police_names.push(n.to_string());
                }
            }
            self.cues(s, &mut why);
        }
        if !self.empty {
            let (stance, rule) =
                decide(why.approving.len(), why.critical.len(), conduct_topic, tone);
            why.stance = Some(stance);
            why.rule = rule;
        }
        why
    }

    /// Adds the cues of one sentence to `why`.
    fn cues(&self, text: &Analyzed, why: &mut StanceWhy) {
        let mut hits = Vec::new();
        self.set.find(&text.topic, &mut hits);
        let span = |&(start, seq): &(usize, u32)| (start, start + self.set.seq_len(seq));
        let role = |seq: u32| self.roles[seq as usize];
        let is_cue = |seq: u32| matches!(role(seq), Role::Approving | Role::Critical);
        // Cues (and negations) inside a longer cue count only as that cue.
        let cue_spans: Vec<(usize, usize)> =
            hits.iter().filter(|h| is_cue(h.1)).map(span).collect();
        let inside_longer = |(s, e): (usize, usize)| {
            cue_spans
                .iter()
                .any(|&(cs, ce)| cs <= s && e <= ce && (cs, ce) != (s, e))
        };
        let negations: Vec<(usize, usize, u32)> = hits
            .iter()
            .filter(|h| role(h.1) == Role::Negation && !inside_longer(span(h)))
            .map(|h| {
                let (s, e) = span(h);
                (s, e, h.1)
            })
            .collect();
        let charges: Vec<usize> = hits
            .iter()
            .filter(|h| role(h.1) == Role::Charge)
            .map(|h| span(h).1)
            .collect();
        for hit in hits.iter().filter(|h| is_cue(h.1)) {
            let (start, end) = span(hit);
            if inside_longer((start, end)) {
                continue;
            }
            let written = &self.written[hit.1 as usize];
            // The longest negation that ends right before the cue.
            let negated_by = negations
                .iter()
                .filter(|&&(_, e, _)| e == start)
                .min_by_key(|&&(s, _, _)| s)
                .map(|&(_, _, seq)| self.written[seq as usize].clone());
            let mut critical = role(hit.1) == Role::Critical;
            if critical
                && negated_by.is_none()
                && charges
                    .iter()
                    .any(|&c| c <= start && !text.barrier_between(c, start))
            {
                if !why.charged.contains(written) {
                    why.charged.push(written.clone());
                }
                continue;
            }
            if negated_by.is_some() {
                critical = !critical;
            }
            let cue = Cue {
                cue: written.clone(),
                negated_by,
            };
            let side = if critical {
                &mut why.critical
            } else {
                &mut why.approving
            };
            if !side.contains(&cue) {
                side.push(cue);
            }
        }
    }
}

/// The stance from the number of distinct approving and critical cues, the
/// `police_conduct` topic and the item's tone (see the module docs).
pub(crate) fn decide(
    approving: usize,
    critical: usize,
    conduct_topic: bool,
    tone: Option<Polarity>,
) -> (PoliceStance, Rule) {
    let by_tone = |tone: Option<Polarity>| match tone {
        Some(Polarity::Positive) => Some(PoliceStance::Approving),
        Some(Polarity::Negative) => Some(PoliceStance::Critical),
        _ => None,
    };
    match approving.cmp(&critical) {
        std::cmp::Ordering::Greater => (PoliceStance::Approving, Rule::Cues),
        std::cmp::Ordering::Less => (PoliceStance::Critical, Rule::Cues),
        std::cmp::Ordering::Equal if approving > 0 => match by_tone(tone) {
            Some(s) => (s, Rule::TieByTone),
            None => (PoliceStance::Neutral, Rule::Tie),
        },
        std::cmp::Ordering::Equal => match by_tone(tone).filter(|_| conduct_topic) {
            Some(s) => (s, Rule::ConductTone),
            None => (PoliceStance::Neutral, Rule::NoCue),
        },
    }
}

/// The sentences of a normalized text: split at `.`, `!`, `?` (the normalized `؟`) and
/// line breaks (a `.` between digits is a decimal point); empty ones left out.
fn sentences(normalized: &str) -> Vec<&str> {
    let bytes = normalized.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let end = match b {
            b'!' | b'?' | b'\n' | b'\r' => true,
            b'.' => {
                let digit = |j: Option<&u8>| j.is_some_and(u8::is_ascii_digit);
                !(i > 0 && digit(bytes.get(i - 1)) && digit(bytes.get(i + 1)))
            }
            _ => false,
        };
        if end {
            out.push(&normalized[start..i]);
            start = i + 1;
        }
    }
    out.push(&normalized[start..]);
    out.retain(|s| !s.trim().is_empty());
    out
}

#[cfg(test)]
mod tests {
    use rasd_core::PoliceConfig;
    use rasd_core::text::normalize_for_matching;

    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// A small `[police]` with `[police.stance]`, in the shape of the shipped one.
    fn config() -> PoliceConfig {
        PoliceConfig {
            terms: strings(&[
                "الأمن العام",
                "مديرية الأمن العام",
                "الدفاع المدني",
                "Civil Defence",
            ]),
            local_terms: strings(&["الشرطة", "الشرطي", "رجال الأمن", "الدورية ضلت", "police"]),
            exclude: strings(&["الشرطة الإسرائيلية"]),
            stance: PoliceStanceConfig {
                approving: strings(&["ما قصروا", "شكرا", "ساعدنا", "thank", "يعطيهم العافية"]),
                critical: strings(&[
                    "تقصير",
                    "قصروا",
                    "ضلت واقفة",
                    "قليل أدب",
                    "شكوى من",
                    "رشوة",
                    "rude",
                ]),
                negations: strings(&["ما", "وما", "ما حدا", "وما حدا", "لا يوجد أي", "not"]),
                charges: strings(&["بتهمة"]),
            },
            ..PoliceConfig::default()
        }
    }

    fn rules_for(cfg: &PoliceConfig) -> (StanceRules, PoliceRules, Vocab) {
        let mut v = Vocab::default();
        let s = StanceRules::new(&cfg.stance, &mut v).unwrap();
        let p = PoliceRules::new(cfg, &mut v).unwrap();
        (s, p, v)
    }

    fn why_with(
        cfg: &PoliceConfig,
        text: &str,
        conduct: bool,
        tone: Option<Polarity>,
    ) -> StanceWhy {
        let (s, p, v) = rules_for(cfg);
        let norm = normalize_for_matching(text);
        s.explain(&p, &v, &["", &norm], conduct, tone)
    }

    fn why(text: &str) -> StanceWhy {
        why_with(&config(), text, false, None)
    }

    fn stance(text: &str) -> PoliceStance {
        why(text).stance.unwrap()
    }

    #[test]
    fn dialect_praise_is_approving_not_the_criticism_inside_it() {
        let w = why("والله الشرطة ما قصّروا");
        assert_eq!(w.stance, Some(PoliceStance::Approving), "{w:?}");
        // "قصروا" alone is a critical cue: inside "ما قصروا" it counts only as the praise.
        assert!(w.critical.is_empty(), "{w:?}");
        assert_eq!(w.approving[0].label(), "ما قصروا");
        assert_eq!(w.police_names, ["الشرطة"]);
    }

    #[test]
    fn an_arrest_report_is_neutral() {
        let w = why("ألقت مديرية الأمن العام القبض على ثلاثة أشخاص بتهمة سرقة");
        assert_eq!(w.stance, Some(PoliceStance::Neutral), "{w:?}");
        assert_eq!(w.rule, Rule::NoCue);
    }

    #[test]
    fn a_patrol_that_stood_by_is_critical_and_nobody_helped_turns_help_around() {
        let w = why("الدورية ضلت واقفة عند إشارة صويلح وما حدا ساعدنا");
        assert_eq!(w.stance, Some(PoliceStance::Critical), "{w:?}");
        let labels: Vec<String> = w.critical.iter().map(Cue::label).collect();
        assert_eq!(labels, ["ضلت واقفة", "وما حدا + ساعدنا"]);
        // The negation alone decides when it is the only cue.
        assert_eq!(stance("الشرطة وما حدا ساعدنا"), PoliceStance::Critical);
        assert_eq!(stance("الشرطة ساعدنا"), PoliceStance::Approving);
    }

    #[test]
    fn a_complaint_about_a_rude_officer_is_critical() {
        assert_eq!(
            stance("شكوى من الشرطي في مركز الزرقاء، كان قليل أدب معنا"),
            PoliceStance::Critical
        );
        assert_eq!(
            stance("The police officer at the desk was rude to my mother"),
            PoliceStance::Critical
        );
    }

    #[test]
    fn english_thanks_to_the_civil_defence_is_approving() {
        assert_eq!(
            stance("Thank you to the Civil Defence crews who reached us in minutes"),
            PoliceStance::Approving
        );
        assert_eq!(
            stance("The police were not rude at all"),
            PoliceStance::Approving,
            "a negated complaint"
        );
    }

    #[test]
    fn negated_criticism_is_not_critical() {
        let w = why("لا يوجد أي تقصير من رجال الأمن");
        assert_ne!(w.stance, Some(PoliceStance::Critical), "{w:?}");
        assert_eq!(w.approving[0].negated_by.as_deref(), Some("لا يوجد أي"));
        // Without the negation it is criticism.
        assert_eq!(stance("هناك تقصير من رجال الأمن"), PoliceStance::Critical);
    }

    #[test]
    fn what_a_suspect_is_charged_with_is_not_the_polices_conduct() {
        let w = why("ألقت الشرطة القبض على موظف بتهمة رشوة");
        assert_eq!(w.stance, Some(PoliceStance::Neutral), "{w:?}");
        assert_eq!(w.charged, ["رشوة"]);
        // Before the charge, or in another clause, it counts.
        assert_eq!(stance("الشرطي طلب رشوة من السائق"), PoliceStance::Critical);
        assert_eq!(
            stance("بتهمة السرقة أوقفوه، والشرطي طلب رشوة"),
            PoliceStance::Critical
        );
    }

    #[test]
    fn only_sentences_about_the_police_and_the_next_one_are_read() {
        // The thanks are for the neighbours, two sentences away from the police.
        let w = why("شكرا للجيران على الضيافة. وصلنا متأخرين. ثم حضر الدفاع المدني إلى الموقع.");
        assert_eq!(w.stance, Some(PoliceStance::Neutral), "{w:?}");
        assert_eq!(w.sentences_read, (1, 3));
        // The sentence after the police mention still speaks of them.
        let w = why("حضر الدفاع المدني إلى الموقع. يعطيهم العافية");
        assert_eq!(w.stance, Some(PoliceStance::Approving), "{w:?}");
        // Another country's police is not ours: its sentence is not read as about them.
        let w = why("شكرا للجيران على الضيافة. اعتقلت الشرطة الإسرائيلية شابين");
        assert_eq!(
            w.sentences_read,
            (2, 2),
            "no police sentence: the whole text"
        );
    }

    #[test]
    fn without_a_police_name_the_whole_text_is_read() {
        let w = why("مركز أمني؟ شكرا على حسن التعامل");
        assert_eq!(w.sentences_read, (2, 2));
        assert_eq!(w.stance, Some(PoliceStance::Approving));
    }

    #[test]
    fn tone_breaks_ties_and_gives_the_conduct_topic_its_stance_but_never_decides_alone() {
        use Polarity::*;
        assert_eq!(
            decide(2, 1, false, Some(Negative)).0,
            PoliceStance::Approving
        );
        assert_eq!(
            decide(1, 1, false, Some(Negative)),
            (PoliceStance::Critical, Rule::TieByTone)
        );
        assert_eq!(
            decide(1, 1, false, None),
            (PoliceStance::Neutral, Rule::Tie)
        );
        // A theft report is negative in tone but neutral toward the police.
        assert_eq!(
            decide(0, 0, false, Some(Negative)),
            (PoliceStance::Neutral, Rule::NoCue)
        );
        assert_eq!(
            decide(0, 0, true, Some(Negative)),
            (PoliceStance::Critical, Rule::ConductTone)
        );
        assert_eq!(
            decide(0, 0, true, Some(Positive)).0,
            PoliceStance::Approving
        );
        assert_eq!(decide(0, 0, true, None).0, PoliceStance::Neutral);
        // Through `explain`: the topic and the tone reach the decision.
        let w = why_with(&config(), "الشرطة في المركز", true, Some(Negative));
        assert_eq!(w.stance, Some(PoliceStance::Critical));
        let w = why_with(&config(), "الشرطة في المركز", false, Some(Negative));
        assert_eq!(w.stance, Some(PoliceStance::Neutral));
    }

    #[test]
    fn no_cues_no_stance_and_empty_entries_are_errors() {
        let cfg = PoliceConfig {
            stance: PoliceStanceConfig::default(),
            ..config()
        };
        assert_eq!(why_with(&cfg, "الشرطة ما قصروا", false, None).stance, None);
        let bad = PoliceStanceConfig {
            critical: strings(&["،"]),
            ..PoliceStanceConfig::default()
        };
        let err = StanceRules::new(&bad, &mut Vocab::default()).unwrap_err();
        assert!(err.to_string().contains("police.stance"), "{err}");
    }

    #[test]
    fn sentences_split_at_ends_but_not_at_decimal_points() {
        assert_eq!(sentences("a 3.5 b. c? d\ne!"), ["a 3.5 b", " c", " d", "e"]);
        assert!(sentences(" . ").is_empty());
    }
}
