//! A small hand-written polarity lexicon (Modern Standard Arabic, Jordanian / Levantine
//! dialect, some Gulf and Egyptian words common on social media, and English), negation
//! words, and emoji and emoticon classes. Written for Rasd; the lists are looked up in the
//! matching form of `rasd_core::text` (ة → ه, ى → ي, أ → ا) with clitics stripped.

use std::collections::HashMap;
use std::sync::OnceLock;

use rasd_core::text::{normalize_for_matching, strip_clitics};

/// The polarity of a lexicon entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lex {
    /// A favourable word.
    Pos,
    /// An unfavourable word.
    Neg,
}

const POSITIVE: &str = "
ممتاز ممتازه رائع رائعه روعه جميل جميله جمال حلو حلوه حلوين احلى بجنن يجنن بتجنن مبدع مبدعين
ابداع ابدعت ابدعتم ابدعتو متميز تميز مميز مميزه عظيم عظيمه فخر فخور فخورين نفتخر افتخر يفتخر
شكرا شكر اشكر نشكر مشكور مشكورين يعطيك يعطيكم العافيه تسلم تسلمو تسلموا يسلمو يسلموا تسلم ايدك
بارك مبارك مبروك الف_مبروك بالتوفيق التوفيق موفق موفقين نجاح ناجح ناجحه انجاز انجازات
احترام تقدير احسن افضل الافضل خير الخير طيب طيبه طيبين كريم كرم نبيل نبلاء شجاع شجاعه بطل ابطال
نشامى نشمي النشامى سعيد سعيده سعاده فرح فرحه فرحان مبسوط مبسوطين انبسطت مبسوطه فرحت يفرح
حب احب بحب بحبك نحب حبيب حبيبي حبيبتي الحب اعشق عشق عشقي يا_سلام هايل هايله خرافي خرافيه
اصيل اصيله امان رحمه ينعاد نظيف نظيفه منظم سريع سريعه سرعه دقيق متعاون متعاونين
ذكي ذكيه لطيف لطيفه محترم محترمين راقي راقيه رقي ناجحين مفيد مفيده نافع صادق صادقين امين امينه
الحمد الحمدلله الله_يحفظ يحفظ يحفظك يحفظكم حفظ ربنا_يحفظ تحيه تحياتي اهنئ تهنئه نهنئ يستاهل تستاهل
يستاهلو بتستاهل افتخار استمتعت ممتع ممتعه متعه شيق اعجبني عجبني عجبتني حبيت انصح انصحكم
جزاك جزاكم الله_خير ماشاءالله ماشاء_الله تبارك الله_يبارك يبارك بركه نعمه نعم اصلاح تطور تطوير
تقدم متقدم ازدهار سلام سلامه الله_يسعدك يسعد يسعدك يسعدكم عسل قمر كفو كفوو والله_كفو زاكي
فنان اسطوره ملك وحش جامد تحفه حلوه_كتير بهنيك اهنيك نيالك تشرفنا يشرف شرف مشرف مشرفه اهلا
واو wow
good great excellent amazing awesome wonderful love loved lovely best better nice happy
thanks thank thankful grateful brilliant perfect fantastic beautiful proud respect helpful
fast safe clean friendly professional recommend congratulations congrats success win
";

const NEGATIVE: &str = "
سيء سيئ سيئه سيئين اسوا الاسوا سوء زفت قرف مقرف مقرفه تقرف خرا خرى زباله زبالة وسخ وسخه
فاشل فاشله فاشلين فشل فشلت الفشل تافه تافهه تفاهه حقير حقيره حقراء غبي غبيه اغبياء غباء حمار
كذب كذاب كذابين كاذب كذبه نصب نصاب نصابين حرامي حراميه حراميه سرقه سرقات سارق لصوص فساد فاسد
فاسدين مفسد ظلم ظالم ظالمين مظلوم ظلام قهر بقهر مقهور قهرني حزن حزين حزينه زعلان زعلانه زعل
مزعج ازعاج مزعجه ملل ممل مملل مملله طفش طفشان تعبان تعب تعبنا مريض مرض كارثه كارثي مصيبه
مصايب مشكله مشاكل ازمه خراب خربان خربانه خربت دمار مدمر تدمير حرب قتل قتيل قتلى مقتل جريمه
جرائم مجرم مجرمين ارهاب ارهابي ارهابيين عنف تعذيب اعتداء اهمال مهمل مهملين تقصير مقصر
مقصرين قصروا قصرتوا قصرتو يقصروا بيقصروا بتقصروا قصرت
تأخير تاخير متاخر بطيء بطء ازدحام زحمه ازمه_سير غلاء غالي غاليه اسعار_نار ضريبه ضرائب بطاله
فقر فقير جوع حرام حسبي حسبنا_الله حسبي_الله الله_ينتقم ينتقم لعنه يلعن ملعون لعنة اللعنه عيب
عار خزي مخزي فضيحه فضايح مهزله مسخره استهتار استغلال احتيال رشوه واسطه محسوبيه تزوير
كره اكره بكره يكره كريه حقد حاقد عنصري عنصريه طائفي تخلف متخلف متخلفين جهل جاهل جهله
خايف خوف مخيف رعب مرعب قلق مقلق خطر خطير خطيره حادث حوادث اصابه وفاه وفيات موت ميت
ضعيف ضعيفه ضعف سخيف سخيفه بشع بشعه قبيح وقح وقاحه قليل_ادب سافل سفاله منحط انحطاط
بايخ بايخه بلا مخجل للاسف الاسف مؤسف مؤسفه خساره خسرنا خسر خسران يا_حرام ندم
ضايق مضايق ضيق زهق زهقت طفران مفلس ديون غش مغشوش عطل معطل انقطاع مقطوع تعطل
bad worst terrible awful horrible hate hated stupid fail failed failure sad angry corrupt
corruption disgusting poor useless slow rude dirty dangerous broken late never scam liar lie
shame disappointed disappointing problem problems crisis killed death
";

/// Words that negate the word after them.
const NEGATORS: &str = "
ما مش مو مب مهو مهي ماهو ماهي موب مافي ما_في لا ليس ليست لست لم لن بدون غير ولا عمري
مابدي ما_بدي مش_عارف لاء لأ بلاش ماني مانك مانه ماحدا
not no never dont don't doesn't didn't isn't wasn't won't can't cannot without nothing
";

/// Emoji that mostly mark a favourable tweet.
const EMOJI_POS: &str =
    "❤♥💕💖💗💓💞💘💝😍🥰😘😊☺🙂😀😃😄😁👍👏🙏🌹🌷💐🌸✨🎉🎊💪🏆🥇👌💯😎🤗💚💙💛💜🧡🤍🌺⭐🌟😇";
/// Emoji that mostly mark an unfavourable tweet.
const EMOJI_NEG: &str = "😡😠🤬😤😒🙄😞😔😟😢😭😥😪💔👎😩😫😣😖🤮🤢😷💩🖕😑😐😕☹🙁😰😨😱";
/// Laughter, which in Arabic tweets is as often mockery as joy.
const EMOJI_LAUGH: &str = "😂🤣😹😆😅😜😝😛";

struct Tables {
    words: HashMap<String, Lex>,
    negators: std::collections::HashSet<String>,
}

fn key(word: &str) -> String {
    let n = normalize_for_matching(&word.replace('_', " "));
    if n.contains(' ') {
        n
    } else {
        strip_clitics(&n).to_string()
    }
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut words = HashMap::new();
        for (list, lex) in [(POSITIVE, Lex::Pos), (NEGATIVE, Lex::Neg)] {
            for w in list.split_whitespace() {
                words.entry(key(w)).or_insert(lex);
            }
        }
        let negators = NEGATORS
            .split_whitespace()
            .map(|w| normalize_for_matching(&w.replace('_', " ")))
            .collect();
        Tables { words, negators }
    })
}

/// What the lexicon says of one key: its polarity, whether it negates the next word, and
/// whether it starts a two-word lexicon phrase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The polarity of the key as a lexicon word or phrase.
    pub(crate) lex: Option<Lex>,
    /// The key is a negator.
    pub(crate) negator: bool,
    /// The key is the first word of a two-word lexicon phrase.
    pub(crate) head: bool,
}

/// The lexicon and negators in one open-addressing table keyed by FNV-1a of the key's
/// bytes: one probe, no allocation, for the per-word lookups of the sentiment features.
pub(crate) struct FastLexicon {
    /// Per slot: 0 when empty, else the index of the key in `keys` plus one.
    slots: Vec<u32>,
    keys: Vec<(Box<str>, Entry)>,
    mask: usize,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

#[inline]
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl FastLexicon {
    fn build(t: &Tables) -> FastLexicon {
        let mut all: std::collections::BTreeMap<String, Entry> = Default::default();
        for (k, &lex) in &t.words {
            all.entry(k.clone()).or_default().lex = Some(lex);
            if let Some((head, _)) = k.split_once(' ') {
                all.entry(head.to_string()).or_default().head = true;
            }
        }
        for k in &t.negators {
            all.entry(k.clone()).or_default().negator = true;
        }
        let size = (all.len() * 4).next_power_of_two().max(16);
        let mut table = FastLexicon {
            slots: vec![0; size],
            keys: Vec::with_capacity(all.len()),
            mask: size - 1,
        };
        for (k, e) in all {
            let mut i = Self::slot(fnv(FNV_OFFSET, k.as_bytes())) & table.mask;
            while table.slots[i] != 0 {
                i = (i + 1) & table.mask;
            }
            table.keys.push((k.into_boxed_str(), e));
            table.slots[i] = table.keys.len() as u32;
        }
        table
    }

    #[inline]
    fn slot(h: u64) -> usize {
        (h ^ (h >> 29)) as usize
    }

    /// The entry of `a`, or of `a b` (one space) when `b` is given; all false when absent.
    #[inline]
    fn find(&self, a: &str, b: Option<&str>) -> Entry {
        let mut h = fnv(FNV_OFFSET, a.as_bytes());
        if let Some(b) = b {
            h = fnv(fnv(h, b" "), b.as_bytes());
        }
        let mut i = Self::slot(h) & self.mask;
        loop {
            let at = self.slots[i] as usize;
            if at == 0 {
                return Entry::default();
            }
            let (key, e) = &self.keys[at - 1];
            let hit = match b {
                None => key.as_ref() == a,
                Some(b) => {
                    key.len() == a.len() + 1 + b.len()
                        && key.starts_with(a)
                        && key.ends_with(b)
                        && key.as_bytes()[a.len()] == b' '
                }
            };
            if hit {
                return *e;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The entry of a normalized word (clitic-stripped for [`Entry::lex`]).
    #[inline]
    pub(crate) fn get(&self, word: &str) -> Entry {
        self.find(word, None)
    }

    /// The polarity of the phrase `first second`.
    #[inline]
    pub(crate) fn pair(&self, first: &str, second: &str) -> Option<Lex> {
        self.find(first, Some(second)).lex
    }
}

/// The shared [`FastLexicon`].
pub(crate) fn fast() -> &'static FastLexicon {
    static FAST: OnceLock<FastLexicon> = OnceLock::new();
    FAST.get_or_init(|| FastLexicon::build(tables()))
}

/// The polarity of a normalized, clitic-stripped word (or two-word phrase joined by one
/// space), if listed.
#[cfg(test)]
pub(crate) fn word_polarity(word: &str) -> Option<Lex> {
    tables().words.get(word).copied()
}

/// True when a normalized word negates what follows.
#[cfg(test)]
pub(crate) fn is_negator(word: &str) -> bool {
    tables().negators.contains(word)
}

/// The class of an emoji or symbol character: `p` favourable, `n` unfavourable, `l`
/// laughter.
pub(crate) fn emoji_class(c: char) -> Option<char> {
    if c.is_ascii() || crate::features::is_word_char(c) {
        None
    } else if EMOJI_POS.contains(c) {
        Some('p')
    } else if EMOJI_NEG.contains(c) {
        Some('n')
    } else if EMOJI_LAUGH.contains(c) {
        Some('l')
    } else {
        None
    }
}

/// The class of an ASCII emoticon token: `p` for `:)`-like, `n` for `:(`-like.
pub(crate) fn emoticon_class(token: &str) -> Option<char> {
    match token {
        ":)" | ":-)" | ":]" | ":D" | ":-D" | ";)" | ";-)" | "(:" | "^_^" | "^^" | ":P" | "<3" => {
            Some('p')
        }
        ":(" | ":-(" | ":'(" | "):" | ":/" | ":-/" | ":@" | ">:(" | "-_-" => Some('n'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_use_the_matching_form() {
        assert_eq!(word_polarity(&key("ممتازة")), Some(Lex::Pos));
        assert_eq!(word_polarity(&key("بالفساد")), Some(Lex::Neg));
        assert_eq!(word_polarity("excellent"), Some(Lex::Pos));
        assert_eq!(word_polarity(&key("طاولة")), None);
        assert!(is_negator("مش"));
        assert!(is_negator("ليس"));
        assert!(!is_negator("شرطه"));
        assert_eq!(emoji_class('😍'), Some('p'));
        assert_eq!(emoji_class('😡'), Some('n'));
        assert_eq!(emoji_class('😂'), Some('l'));
        assert_eq!(emoji_class('ب'), None);
        assert_eq!(emoticon_class(":("), Some('n'));
    }

    #[test]
    fn fast_table_agrees_with_the_maps() {
        let f = fast();
        let t = tables();
        for (k, &lex) in &t.words {
            match k.split_once(' ') {
                Some((a, b)) => {
                    assert_eq!(f.pair(a, b), Some(lex), "{k}");
                    assert!(f.get(a).head, "{k}");
                }
                None => assert_eq!(f.get(k).lex, Some(lex), "{k}"),
            }
        }
        for k in &t.negators {
            assert!(f.get(k).negator, "{k}");
        }
        for w in ["شرطه", "عمان", "", "police", "ممتازهه"] {
            assert_eq!(f.get(w).lex, word_polarity(w));
            assert_eq!(f.get(w).negator, is_negator(w));
        }
        assert!(f.get("مش").negator);
        assert_eq!(f.pair("يا", "سلام"), Some(Lex::Pos));
        assert_eq!(f.pair("يا", "شرطه"), None);
    }
}
