//! Building the sample: outlets, the places gazetteer, and the day-by-day schedule that turns
//! story templates into items.

use std::collections::{HashMap, HashSet};

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc,
    Weekday,
};

use super::template::{Filler, Kind, TEMPLATES, Template, Where, template};
use super::{
    BURST_GOVERNORATE, BURST_TOPIC, Charset, FeedFormat, KNOWN_AR_TITLE, KNOWN_EN_TITLE, Outlet,
    SHARED_STORY_TOPIC, Sample, SampleComment, SampleItem, UTC_OFFSET_HOURS,
};

/// splitmix64: small, fast, and the same on every platform.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; `n` must be positive.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// Index picked with the given weights; at least one must be positive.
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.next_u64() % total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// A governorate and the places and roads the stories may name in it.
#[derive(Debug)]
pub(super) struct Governorate {
    pub id: &'static str,
    pub ar: &'static str,
    pub en: &'static str,
    /// Share of national news.
    weight: u64,
    /// `(arabic, english)`.
    places: &'static [(&'static str, &'static str)],
    roads: &'static [(&'static str, &'static str)],
}

pub(super) const GOVERNORATES: [Governorate; 12] = [
    Governorate {
        id: "amman",
        ar: "العاصمة",
        en: "Amman",
        weight: 28,
        places: &[
            ("ماركا", "Marka"),
            ("سحاب", "Sahab"),
            ("ناعور", "Naour"),
            ("الجويدة", "Al-Juwaideh"),
            ("طبربور", "Tabarbour"),
            ("خلدا", "Khalda"),
            ("الهاشمي الشمالي", "Hashmi al-Shamali"),
            ("أبو نصير", "Abu Nseir"),
            ("وادي السير", "Wadi al-Seer"),
            ("الموقر", "Al-Muwaqqar"),
            ("القويسمة", "Al-Quwaismeh"),
            ("صويلح", "Sweileh"),
        ],
        roads: &[
            ("طريق المطار", "Airport Road"),
            ("شارع الأردن", "Jordan Street"),
            ("شارع الحرية", "Al-Hurriyah Street"),
        ],
    },
    Governorate {
        id: "irbid",
        ar: "إربد",
        en: "Irbid",
        weight: 14,
        places: &[
            ("إربد", "Irbid"),
            ("الرمثا", "Ramtha"),
            ("الحصن", "Al-Husn"),
            ("الطيبة", "Al-Taybeh"),
            ("كفر يوبا", "Kufr Yuba"),
            ("بشرى", "Bushra"),
            ("الشونة الشمالية", "North Shouneh"),
            ("حوارة", "Huwwara"),
        ],
        roads: &[
            ("شارع الجامعة", "University Street"),
            ("طريق إربد–عمّان", "the Irbid–Amman road"),
            ("طريق إربد–الرمثا", "the Irbid–Ramtha road"),
        ],
    },
    Governorate {
        id: "zarqa",
        ar: "الزرقاء",
        en: "Zarqa",
        weight: 12,
        places: &[
            // The burst stays in the first five, the urban core.
            ("الزرقاء", "Zarqa"),
            ("الرصيفة", "Russeifa"),
            ("الهاشمية", "Hashemiyeh"),
            ("الزرقاء الجديدة", "New Zarqa"),
            ("عوجان", "Awajan"),
            ("الضليل", "Dhlail"),
            ("الأزرق", "Azraq"),
            ("بيرين", "Bireen"),
        ],
        roads: &[
            ("أوتوستراد عمّان–الزرقاء", "the Amman–Zarqa Highway"),
            ("شارع الجيش", "Army Street"),
            ("طريق الزرقاء–الأزرق", "the Zarqa–Azraq road"),
        ],
    },
    Governorate {
        id: "balqa",
        ar: "البلقاء",
        en: "Balqa",
        weight: 8,
        places: &[
            ("السلط", "Salt"),
            ("الفحيص", "Fuheis"),
            ("ماحص", "Mahis"),
            ("عين الباشا", "Ain al-Basha"),
            ("دير علا", "Deir Alla"),
            ("الشونة الجنوبية", "South Shouneh"),
        ],
        roads: &[
            ("طريق السلط–عمّان", "the Salt–Amman road"),
            ("طريق البحر الميت", "the Dead Sea road"),
            ("طريق الأغوار", "the Jordan Valley road"),
        ],
    },
    Governorate {
        id: "madaba",
        ar: "مادبا",
        en: "Madaba",
        weight: 5,
        places: &[
            ("مادبا", "Madaba"),
            ("ذيبان", "Dhiban"),
            ("ماعين", "Ma'in"),
            ("مليح", "Mleih"),
        ],
        roads: &[
            ("طريق مادبا–عمّان", "the Madaba–Amman road"),
            ("طريق ذيبان", "the Dhiban road"),
        ],
    },
    Governorate {
        id: "mafraq",
        ar: "المفرق",
        en: "Mafraq",
        weight: 6,
        places: &[
            ("المفرق", "Mafraq"),
            ("الرويشد", "Ruwaished"),
            ("الصفاوي", "Safawi"),
            ("الخالدية", "Khalidiya"),
            ("سما السرحان", "Sama al-Sirhan"),
        ],
        roads: &[
            ("طريق المفرق–الزرقاء", "the Mafraq–Zarqa road"),
            ("طريق المفرق–إربد", "the Mafraq–Irbid road"),
            (
                "الطريق الدولي إلى الرويشد",
                "the Ruwaished international road",
            ),
        ],
    },
    Governorate {
        id: "jerash",
        ar: "جرش",
        en: "Jerash",
        weight: 4,
        places: &[
            ("جرش", "Jerash"),
            ("سوف", "Souf"),
            ("ساكب", "Sakib"),
            ("برما", "Burma"),
        ],
        roads: &[
            ("طريق جرش–عمّان", "the Jerash–Amman road"),
            ("طريق جرش–عجلون", "the Jerash–Ajloun road"),
        ],
    },
    Governorate {
        id: "ajloun",
        ar: "عجلون",
        en: "Ajloun",
        weight: 4,
        places: &[
            ("عجلون", "Ajloun"),
            ("كفرنجة", "Kufranjah"),
            ("عنجرة", "Anjara"),
            ("عين جنا", "Ain Janna"),
        ],
        roads: &[
            ("طريق عجلون–إربد", "the Ajloun–Irbid road"),
            ("طريق عنجرة", "the Anjara road"),
        ],
    },
    Governorate {
        id: "karak",
        ar: "الكرك",
        en: "Karak",
        weight: 6,
        places: &[
            ("الكرك", "Karak"),
            ("المزار الجنوبي", "Al-Mazar al-Janoubi"),
            ("غور الصافي", "Ghor al-Safi"),
            ("القصر", "Al-Qasr"),
            ("القطرانة", "Al-Qatraneh"),
            ("مؤتة", "Mu'tah"),
        ],
        roads: &[
            ("الطريق الصحراوي", "the Desert Highway"),
            ("الطريق الملوكي", "the King's Highway"),
            ("طريق الكرك–غور الصافي", "the Karak–Ghor al-Safi road"),
        ],
    },
    Governorate {
        id: "tafilah",
        ar: "الطفيلة",
        en: "Tafilah",
        weight: 3,
        places: &[
            ("الطفيلة", "Tafilah"),
            ("بصيرا", "Busaira"),
            ("الحسا", "Al-Hasa"),
            ("عيمة", "Aima"),
        ],
        roads: &[
            ("الطريق الملوكي", "the King's Highway"),
            ("طريق الطفيلة–الحسا", "the Tafilah–Hasa road"),
        ],
    },
    Governorate {
        id: "maan",
        ar: "معان",
        en: "Ma'an",
        weight: 5,
        places: &[
            ("معان", "Ma'an"),
            ("وادي موسى", "Wadi Musa"),
            ("الشوبك", "Shobak"),
            ("الحسينية", "Al-Husseiniyeh"),
            ("أذرح", "Udhruh"),
        ],
        roads: &[
            ("الطريق الصحراوي", "the Desert Highway"),
            ("طريق معان–البتراء", "the Ma'an–Petra road"),
            ("طريق الشوبك", "the Shobak road"),
        ],
    },
    Governorate {
        id: "aqaba",
        ar: "العقبة",
        en: "Aqaba",
        weight: 6,
        places: &[
            ("العقبة", "Aqaba"),
            ("القويرة", "Al-Quwaira"),
            ("وادي رم", "Wadi Rum"),
            ("الديسة", "Disi"),
        ],
        roads: &[
            ("الطريق الصحراوي", "the Desert Highway"),
            ("طريق وادي عربة", "the Wadi Araba road"),
            ("طريق العقبة الخلفي", "the Aqaba back road"),
        ],
    },
];

fn governorate(id: &str) -> &'static Governorate {
    GOVERNORATES
        .iter()
        .find(|g| g.id == id)
        .unwrap_or_else(|| panic!("no governorate `{id}`"))
}

/// An outlet of the sample with what the generator needs beyond [`Outlet`].
#[derive(Debug)]
pub(super) struct OutletSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub lang: &'static str,
    pub format: FeedFormat,
    pub summary_only: bool,
    pub charset: Charset,
    pub tagline: &'static str,
    /// Governorates it mostly covers; empty for national outlets.
    region: &'static [&'static str],
    /// Writes numbers with Arabic-Indic digits (٣).
    indic_digits: bool,
    /// Publishes readers' columns in dialect.
    opinion: bool,
    /// Relative share of its language's daily items.
    weight: u64,
    authors: &'static [&'static str],
}

pub(super) const OUTLETS: [OutletSpec; 10] = [
    OutletSpec {
        id: "sawt-alshamal",
        name: "صوت الشمال",
        lang: "ar",
        format: FeedFormat::Rss2,
        summary_only: false,
        charset: Charset::Utf8,
        tagline: "أخبار إربد والشمال لحظة بلحظة",
        region: &["irbid", "ajloun", "jerash", "mafraq"],
        indic_digits: false,
        opinion: false,
        weight: 10,
        authors: &["ليث المومني", "هبة الزعبي", "فراس الشرع"],
    },
    OutletSpec {
        id: "anbaa-alzarqa",
        name: "أنباء الزرقاء",
        lang: "ar",
        format: FeedFormat::Atom,
        summary_only: false,
        charset: Charset::Utf8,
        tagline: "أخبار الزرقاء والرصيفة والهاشمية",
        region: &["zarqa", "mafraq"],
        indic_digits: false,
        opinion: false,
        weight: 10,
        authors: &["يزن الخطيب", "رنا العمري", "بلال النعيمات"],
    },
    OutletSpec {
        id: "wahat-aljanoub",
        name: "واحة الجنوب",
        lang: "ar",
        format: FeedFormat::Rss2,
        summary_only: false,
        charset: Charset::Windows1256,
        tagline: "صوت الكرك والطفيلة ومعان والعقبة",
        region: &["karak", "tafilah", "maan", "aqaba"],
        // windows-1256 has no Arabic-Indic digits.
        indic_digits: false,
        opinion: false,
        weight: 9,
        authors: &["معاذ الطراونة", "سلمى الحياري", "إياد الرواشدة"],
    },
    OutletSpec {
        id: "nabd-alasima",
        name: "نبض العاصمة",
        lang: "ar",
        format: FeedFormat::JsonFeed,
        summary_only: false,
        charset: Charset::Utf8,
        tagline: "أخبار عمّان على مدار الساعة",
        region: &["amman"],
        indic_digits: true,
        opinion: false,
        weight: 12,
        authors: &["دانة الخطيب", "عمر الحياري", "نور المومني"],
    },
    OutletSpec {
        id: "shurfat-albalqa",
        name: "شرفة البلقاء",
        lang: "ar",
        format: FeedFormat::Rss2,
        summary_only: true,
        charset: Charset::Utf8,
        tagline: "أخبار السلط ومادبا والأغوار",
        region: &["balqa", "madaba"],
        indic_digits: false,
        opinion: false,
        weight: 8,
        authors: &["حمزة العمري", "لينا الزعبي"],
    },
    OutletSpec {
        id: "qalam-alhadath",
        name: "قلم الحدث",
        lang: "ar",
        format: FeedFormat::Atom,
        summary_only: false,
        charset: Charset::Utf8,
        tagline: "أخبار المملكة كما تحدث",
        region: &[],
        indic_digits: true,
        opinion: false,
        weight: 13,
        authors: &["خالد النعيمات", "سامر الشرع", "رنا الطراونة"],
    },
    OutletSpec {
        id: "majalis-alhay",
        name: "مجالس الحي",
        lang: "ar",
        format: FeedFormat::JsonFeed,
        summary_only: false,
        charset: Charset::Utf8,
        tagline: "آراء الناس وحكاياتهم",
        region: &[],
        indic_digits: false,
        opinion: true,
        weight: 6,
        authors: &["أبو فراس", "أم ليث", "محمود الرواشدة"],
    },
    OutletSpec {
        id: "jordan-ledger",
        name: "The Jordan Ledger",
        lang: "en",
        format: FeedFormat::Rss2,
        summary_only: false,
        charset: Charset::Utf8,
        tagline: "News from across Jordan",
        region: &[],
        indic_digits: false,
        opinion: false,
        weight: 10,
        authors: &["Lina Haddad", "Omar Khalil", "Sara Nasser"],
    },
    OutletSpec {
        id: "amman-dispatch",
        name: "Amman Dispatch",
        lang: "en",
        format: FeedFormat::Atom,
        summary_only: false,
        charset: Charset::Utf8,
        tagline: "The capital, every day",
        region: &["amman", "zarqa", "balqa"],
        indic_digits: false,
        opinion: false,
        weight: 10,
        authors: &["Rami Saleh", "Dana Yousef"],
    },
    OutletSpec {
        id: "levant-courier",
        name: "The Levant Courier",
        lang: "en",
        format: FeedFormat::JsonFeed,
        summary_only: false,
        charset: Charset::Utf8,
        tagline: "Jordan and the region, in English",
        region: &[],
        indic_digits: false,
        opinion: false,
        weight: 8,
        authors: &["Karim Abbas", "Maya Qudah"],
    },
];

pub(super) fn outlet_spec(id: &str) -> &'static OutletSpec {
    OUTLETS
        .iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no demo outlet `{id}`"))
}

/// The burst: `(story, outlet, local time)`, all in Zarqa governorate on the anchor day.
const BURST_PLAN: [(&str, &str, &str); 13] = [
    ("burst-series", "anbaa-alzarqa", "09:10"),
    ("ar-theft-shop", "qalam-alhadath", "09:55"),
    ("ar-theft-cables", "anbaa-alzarqa", "10:40"),
    ("burst-en-spate", "amman-dispatch", "11:20"),
    ("ar-theft-car", "nabd-alasima", "12:05"),
    ("burst-residents", "anbaa-alzarqa", "13:00"),
    ("burst-opinion", "majalis-alhay", "13:45"),
    ("ar-theft-house", "sawt-alshamal", "14:30"),
    ("en-theft-shops", "jordan-ledger", "15:30"),
    ("burst-arrest", "qalam-alhadath", "16:20"),
    ("burst-en-patrols", "levant-courier", "17:40"),
    ("ar-theft-shop", "nabd-alasima", "19:00"),
    ("en-theft-car", "amman-dispatch", "20:30"),
];

/// Share of items published in each local hour.
const HOUR_WEIGHTS: [u64; 24] = [
    1, 1, 0, 0, 0, 1, 2, 4, 6, 7, 8, 8, 7, 7, 6, 6, 6, 6, 5, 5, 5, 4, 3, 2,
];

/// Public comments: `(days before the anchor, local time, governorate, lang, text)`.
const COMMENTS: [(u64, &str, Option<&str>, &str, &str); 11] = [
    (
        6,
        "22:40",
        Some("amman"),
        "ar",
        "بدي أشكر شباب دورية النجدة اللي وقفوا معنا لما تعطلت سيارتنا على طريق المطار الساعة ٢ بالليل. والله ما قصّروا، الله يعطيهم العافية.",
    ),
    (
        5,
        "10:15",
        Some("zarqa"),
        "ar",
        "راجعت المركز الأمني في الرصيفة لتقديم شكوى بخصوص إزعاج متكرر من ورشة قرب منزلي، وانتظرت أكثر من ساعتين دون أن يستقبلني أحد. أرجو متابعة الموضوع.",
    ),
    (
        5,
        "23:05",
        Some("irbid"),
        "ar",
        "في سيارة بيضا بتفحّط كل ليلة خميس عند دوار الجامعة في إربد، الشباب بيعملوا سباقات والناس خايفة على ولادها. الرجاء تبعتوا دورية قبل ما يصير حادث.",
    ),
    (
        4,
        "01:20",
        Some("irbid"),
        "ar",
        "امبارح كان في عرس بحارتنا بالرمثا وضلّوا يطخّوا لنص الليل، الرصاص كان ينزل على السطوح. ولادي ما ناموا من الخوف. وين القانون؟",
    ),
    (
        4,
        "16:45",
        Some("balqa"),
        "ar",
        "أتقدم بالشكر لإدارة حماية الأسرة في السلط على حسن التعامل والسرية التامة في متابعة قضية تخص أختي. كانت الموظفة صبورة ومتفهمة.",
    ),
    (
        3,
        "09:30",
        Some("amman"),
        "ar",
        "الدورية ضلّت واقفة عند إشارة صويلح وما حدا نظّم السير، والأزمة وصلت لآخر الشارع. ليش ما بينزلوا ينظموا؟",
    ),
    (
        3,
        "18:10",
        Some("aqaba"),
        "en",
        "I reported a hit-and-run on my parked car in Aqaba three days ago and have heard nothing since. Is there a way to follow up on the report online?",
    ),
    (
        2,
        "12:00",
        Some("madaba"),
        "ar",
        "أقترح وضع مطبات أو كاميرا سرعة أمام مدرسة البنات في مادبا، فالأطفال يعبرون الشارع والسيارات تمر مسرعة.",
    ),
    (
        1,
        "14:25",
        Some("maan"),
        "en",
        "I want to thank the tourist police officers in Wadi Musa who helped my elderly mother when she felt unwell near the Treasury. Very kind and professional.",
    ),
    (
        1,
        "20:50",
        Some("tafilah"),
        "ar",
        "شكراً للشرطة المجتمعية اللي زارت مدرسة ابني بالطفيلة وحكت مع الطلاب عن التنمر. الولد رجع مبسوط وفهمان.",
    ),
    (
        0,
        "08:40",
        None,
        "ar",
        "هل يمكن معرفة مصير البلاغ الذي قدمته عبر التطبيق بخصوص سرقة دراجتي قبل أسبوعين؟ لم يصلني أي رد حتى الآن.",
    ),
];

/// How an item is moved when the anchor day runs past `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Single,
    Shared,
    Burst,
}

#[derive(Debug)]
struct Draft {
    item: SampleItem,
    local: NaiveDateTime,
    block: Block,
    template: &'static str,
}

struct Generator {
    anchor: NaiveDate,
    rng: Rng,
    drafts: Vec<Draft>,
    uses: HashMap<&'static str, u64>,
}

pub(super) fn generate(anchor: NaiveDate, now: DateTime<Utc>) -> Sample {
    let seed = 0x5241_5344_0000_0000 ^ anchor.num_days_from_ce() as u64;
    let mut g = Generator {
        anchor,
        rng: Rng::new(seed),
        drafts: Vec::new(),
        uses: HashMap::new(),
    };
    for back in (0..14u64).rev() {
        g.day(back);
    }
    for t in TEMPLATES.iter() {
        if let (Kind::Shared | Kind::Known, Some(outlet), Some((h, m))) = (t.kind, t.outlet, t.at) {
            let block = if t.kind == Kind::Shared {
                assert!(t.has_topic(SHARED_STORY_TOPIC), "shared story `{}`", t.id);
                Block::Shared
            } else {
                let known = [KNOWN_AR_TITLE, KNOWN_EN_TITLE];
                assert!(known.contains(&t.titles[0]), "known story `{}`", t.id);
                Block::Single
            };
            let gov = match &t.place {
                Where::Only(govs) => Some(governorate(govs[0])),
                _ => None,
            };
            g.push(
                t,
                outlet_spec(outlet),
                gov,
                g.local(u64::from(t.day), h, m),
                block,
            );
        }
    }
    for (story, outlet, at) in BURST_PLAN {
        let (h, m) = at.split_once(':').unwrap();
        let local = g.local(0, h.parse().unwrap(), m.parse().unwrap());
        g.push(
            template(story),
            outlet_spec(outlet),
            Some(governorate(BURST_GOVERNORATE)),
            local,
            Block::Burst,
        );
    }
    g.finish(now)
}

impl Generator {
    fn local(&self, back: u64, hour: u32, minute: u32) -> NaiveDateTime {
        let date = self.anchor - Days::new(back);
        date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap())
    }

    /// One ordinary day: 21–25 items, about a fifth in English, theft kept rare.
    fn day(&mut self, back: u64) {
        let count = 21 + self.rng.below(5);
        let english = (count * 22 + 50) / 100 + self.rng.below(3) - 1;
        let mut theft_left = if back == 0 { 2 } else { self.rng.below(3) };
        let mut zarqa_theft = 0;
        let mut today: HashSet<&'static str> = HashSet::new();
        for i in 0..count {
            let lang = if i < english { "en" } else { "ar" };
            let outlet = self.pick_outlet(lang);
            let t = self.pick_template(outlet, theft_left > 0, &today);
            let theft = t.has_topic(BURST_TOPIC);
            let avoid_zarqa = theft && back > 0 && zarqa_theft > 0;
            let gov = self.pick_governorate(t, outlet, avoid_zarqa);
            if theft {
                theft_left -= 1;
                if gov.is_some_and(|g| g.id == BURST_GOVERNORATE) {
                    zarqa_theft += 1;
                }
            }
            today.insert(t.id);
            let hour = self.rng.weighted(&HOUR_WEIGHTS) as u32;
            let minute = if hour == 0 {
                6 + self.rng.below(54)
            } else {
                self.rng.below(60)
            };
            let local = self.local(back, hour, minute as u32);
            self.push(t, outlet, gov, local, Block::Single);
        }
    }

    fn pick_outlet(&mut self, lang: &str) -> &'static OutletSpec {
        let candidates: Vec<&'static OutletSpec> =
            OUTLETS.iter().filter(|o| o.lang == lang).collect();
        let weights: Vec<u64> = candidates.iter().map(|o| o.weight).collect();
        candidates[self.rng.weighted(&weights)]
    }

    fn pick_template(
        &mut self,
        outlet: &OutletSpec,
        theft_ok: bool,
        today: &HashSet<&str>,
    ) -> &'static Template {
        let kind = if outlet.opinion && self.rng.chance(70) {
            Kind::Opinion
        } else {
            Kind::News
        };
        // About 26% of everyday stories are about none of the topics (sport, prices, culture…);
        // with the burst and the shared story that makes about a quarter of the sample.
        let off_topic = self.rng.chance(26);
        let fits = |t: &&Template| {
            t.lang == outlet.lang
                && t.kind == kind
                && t.topics.is_empty() == off_topic
                && (theft_ok || !t.has_topic(BURST_TOPIC))
        };
        let mut pool: Vec<&'static Template> = TEMPLATES
            .iter()
            .filter(fits)
            .filter(|t| !today.contains(t.id))
            .collect();
        if pool.is_empty() {
            pool = TEMPLATES.iter().filter(fits).collect();
        }
        // Prefer shapes used less so far, so the two weeks do not repeat themselves.
        let weights: Vec<u64> = pool
            .iter()
            .map(|t| {
                u64::from(t.weight) * 100 / (1 + 2 * self.uses.get(t.id).copied().unwrap_or(0))
            })
            .map(|w| w.max(1))
            .collect();
        let t = pool[self.rng.weighted(&weights)];
        *self.uses.entry(t.id).or_default() += 1;
        t
    }

    fn pick_governorate(
        &mut self,
        t: &Template,
        outlet: &OutletSpec,
        avoid_zarqa: bool,
    ) -> Option<&'static Governorate> {
        let allowed: Vec<&'static Governorate> = match &t.place {
            Where::Nowhere => return None,
            Where::Any => GOVERNORATES.iter().collect(),
            Where::Only(ids) => ids.iter().map(|id| governorate(id)).collect(),
        };
        let allowed: Vec<_> = allowed
            .into_iter()
            .filter(|g| !(avoid_zarqa && g.id == BURST_GOVERNORATE))
            .collect();
        let local: Vec<_> = allowed
            .iter()
            .copied()
            .filter(|g| outlet.region.contains(&g.id))
            .collect();
        let pool = if !local.is_empty() && self.rng.chance(60) {
            local
        } else {
            allowed
        };
        let weights: Vec<u64> = pool.iter().map(|g| g.weight).collect();
        Some(pool[self.rng.weighted(&weights)])
    }

    fn push(
        &mut self,
        t: &'static Template,
        outlet: &'static OutletSpec,
        gov: Option<&'static Governorate>,
        local: NaiveDateTime,
        block: Block,
    ) {
        let lang = t.lang;
        assert_eq!(
            lang, outlet.lang,
            "demo story `{}` is in the wrong language for {}",
            t.id, outlet.id
        );
        // The burst happens in the towns of Zarqa, not out in the desert.
        let places = if block == Block::Burst { 5 } else { usize::MAX };
        let builtins = self.builtins(lang, gov, outlet, local, places);
        let mut f = Filler::new(&mut self.rng, lang, builtins);
        f.declare(&t.vars);
        let title_at = f.rng().below(t.titles.len());
        let mut title = polish(lang, f.fill(t.titles[title_at]));
        let mut paras = Vec::new();
        for (optional, text) in &t.paras {
            if !optional || f.rng().chance(55) {
                paras.push(polish(lang, f.fill(text)));
            }
        }
        let mut body = paras.join("\n\n");
        if outlet.indic_digits {
            title = indic_digits(&title);
            body = indic_digits(&body);
        }
        let author = if t.kind == Kind::Opinion || self.rng.chance(70) {
            Some(outlet.authors[self.rng.below(outlet.authors.len())].to_string())
        } else {
            None
        };
        let item = SampleItem {
            outlet: outlet.id,
            slug: String::new(),
            title,
            body,
            author,
            published: to_utc(local),
            lang,
            topics: t.topics.clone(),
            governorate: gov.map(|g| g.id),
        };
        self.drafts.push(Draft {
            item,
            local,
            block,
            template: t.id,
        });
    }

    /// Values of the built-in slots for one item.
    fn builtins(
        &mut self,
        lang: &'static str,
        gov: Option<&'static Governorate>,
        outlet: &OutletSpec,
        local: NaiveDateTime,
        max_places: usize,
    ) -> HashMap<&'static str, String> {
        let ar = lang == "ar";
        let pick = |pair: &(&str, &str)| if ar { pair.0 } else { pair.1 }.to_string();
        let mut b = HashMap::new();
        b.insert("outlet", outlet.name.to_string());
        b.insert("weekday", weekday_name(local.weekday(), lang).to_string());
        let hour = local.hour();
        let when: Vec<&str> = match (ar, hour) {
            (true, 0..12) => vec!["فجر اليوم", "صباح اليوم", "ليلة أمس", "مساء أمس"],
            (true, _) => vec!["صباح اليوم", "ظهر اليوم", "فجر اليوم", "في وقت سابق اليوم"],
            (false, 0..12) => vec![
                "early today",
                "overnight",
                "late last night",
                "early this morning",
            ],
            (false, _) => vec!["earlier today", "this morning", "around midday"],
        };
        b.insert("when", when[self.rng.below(when.len())].to_string());
        let names: (&[&str], &[&str]) = if ar {
            (
                &[
                    "سامر",
                    "خالد",
                    "محمود",
                    "عمر",
                    "يزن",
                    "أحمد",
                    "ليث",
                    "فراس",
                    "حمزة",
                    "معاذ",
                ],
                &[
                    "الخطيب",
                    "الزعبي",
                    "العمري",
                    "الحياري",
                    "المومني",
                    "الرواشدة",
                    "النعيمات",
                    "الشرع",
                ],
            )
        } else {
            (
                &[
                    "Omar", "Khaled", "Sami", "Yazan", "Fadi", "Hamza", "Laith", "Ahmad",
                ],
                &[
                    "Haddad", "Khalil", "Nasser", "Saleh", "Masri", "Qudah", "Hiyari", "Omari",
                ],
            )
        };
        let name = format!(
            "{} {}",
            names.0[self.rng.below(names.0.len())],
            names.1[self.rng.below(names.1.len())]
        );
        b.insert("name", name);
        if let Some(g) = gov {
            let n = g.places.len().min(max_places);
            let i = self.rng.below(n);
            let j = (i + 1 + self.rng.below(n - 1)) % n;
            b.insert("place", pick(&g.places[i]));
            b.insert("place2", pick(&g.places[j]));
            b.insert("road", pick(&g.roads[self.rng.below(g.roads.len())]));
            b.insert("gov", if ar { g.ar } else { g.en }.to_string());
            let police = if g.id == "amman" {
                let part = [
                    ("شرق", "East"),
                    ("غرب", "West"),
                    ("وسط", "Central"),
                    ("شمال", "North"),
                    ("جنوب", "South"),
                ][self.rng.below(5)];
                if ar {
                    format!("مديرية شرطة {} عمّان", part.0)
                } else {
                    format!("{} Amman Police Directorate", part.1)
                }
            } else if ar {
                format!("مديرية شرطة {}", g.ar)
            } else {
                format!("{} Police Directorate", g.en)
            };
            b.insert("police", police);
        }
        b
    }

    /// Orders, names and dates the drafts; pulls anchor-day items that fall after `now` back
    /// into the part of the day that has happened.
    fn finish(mut self, now: DateTime<Utc>) -> Sample {
        self.drafts
            .sort_by(|a, b| (a.local, a.item.outlet).cmp(&(b.local, b.item.outlet)));
        let mut per_day: HashMap<NaiveDate, u32> = HashMap::new();
        for d in &mut self.drafts {
            let n = per_day.entry(d.local.date()).or_default();
            *n += 1;
            d.item.slug = format!("{}-{}{:02}", d.template, d.local.format("%Y%m%d"), n);
        }
        let window = AnchorDay::new(self.anchor, now);
        for block in [Block::Shared, Block::Burst] {
            let mut times: Vec<&mut DateTime<Utc>> = self
                .drafts
                .iter_mut()
                .filter(|d| d.block == block)
                .map(|d| &mut d.item.published)
                .collect();
            window.pull_block(&mut times);
        }
        for d in self.drafts.iter_mut().filter(|d| d.block == Block::Single) {
            if d.local.date() == self.anchor {
                d.item.published = window.pull(d.item.published);
            }
        }
        let drafts = std::mem::take(&mut self.drafts);
        let mut items: Vec<SampleItem> = drafts.into_iter().map(|d| d.item).collect();
        items.sort_by(|a, b| {
            (a.published, a.outlet, &a.slug).cmp(&(b.published, b.outlet, &b.slug))
        });

        let mut comments = Vec::new();
        let mut seq = 100 + u64::from(self.anchor.ordinal()) * 7 % 800;
        for (back, at, gov, lang, text) in COMMENTS {
            let (h, m) = at.split_once(':').unwrap();
            let local = self.local(back, h.parse().unwrap(), m.parse().unwrap());
            let submitted = if back == 0 {
                window.pull(to_utc(local))
            } else {
                to_utc(local)
            };
            seq += 1 + self.rng.below(4) as u64;
            comments.push(SampleComment {
                reference: format!("RASD-{}-{seq:06}", local.year()),
                submitted,
                text: text.to_string(),
                governorate: gov.map(|g| governorate(g).id),
                lang: if lang == "ar" { "ar" } else { "en" },
            });
        }

        let outlets = OUTLETS
            .iter()
            .map(|o| Outlet {
                id: o.id,
                name: o.name.to_string(),
                lang: o.lang,
                format: o.format,
                summary_only: o.summary_only,
                charset: o.charset,
            })
            .collect();
        Sample {
            outlets,
            items,
            comments,
            anchor: self.anchor,
        }
    }
}

/// The anchor day between 00:05 local and its end, and where `now` falls in it.
struct AnchorDay {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl AnchorDay {
    fn new(anchor: NaiveDate, now: DateTime<Utc>) -> Self {
        let start = to_utc(anchor.and_time(NaiveTime::from_hms_opt(0, 5, 0).unwrap()));
        let end = to_utc(anchor.and_time(NaiveTime::MIN)) + TimeDelta::days(1);
        AnchorDay { start, end, now }
    }

    /// An item after `now` keeps its place in the day, squeezed into `start..=now`.
    /// (If `now` is before `start`, the caller broke the contract; the item lands on `start`.)
    fn pull(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        if t <= self.now {
            return t;
        }
        if self.now <= self.start {
            return self.start;
        }
        scale(t, self.start, self.end, self.start, self.now)
    }

    /// Moves a group of items together so their spacing survives: shifted earlier as a whole,
    /// and squeezed only if the part of the day before `now` is too short to hold them.
    fn pull_block(&self, times: &mut [&mut DateTime<Utc>]) {
        let (Some(first), Some(last)) = (
            times.iter().map(|t| **t).min(),
            times.iter().map(|t| **t).max(),
        ) else {
            return;
        };
        if last <= self.now {
            return;
        }
        let target_end = (self.now - TimeDelta::minutes(1))
            .max(self.start)
            .min(self.now);
        let shift = last - target_end;
        for t in times.iter_mut() {
            **t = if first - shift >= self.start {
                **t - shift
            } else if last > first {
                scale(**t, first, last, self.start, target_end)
            } else {
                target_end
            };
        }
    }
}

/// Maps `t` from `from_lo..=from_hi` onto `to_lo..=to_hi`, to the second.
fn scale(
    t: DateTime<Utc>,
    from_lo: DateTime<Utc>,
    from_hi: DateTime<Utc>,
    to_lo: DateTime<Utc>,
    to_hi: DateTime<Utc>,
) -> DateTime<Utc> {
    let span = (from_hi - from_lo).num_seconds().max(1);
    let offset = (t - from_lo).num_seconds() * (to_hi - to_lo).num_seconds() / span;
    to_lo + TimeDelta::seconds(offset)
}

pub(super) fn to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    (local - TimeDelta::hours(UTC_OFFSET_HOURS)).and_utc()
}

pub(super) fn weekday_name(day: Weekday, lang: &str) -> &'static str {
    let i = day.num_days_from_monday() as usize;
    if lang == "ar" {
        [
            "الاثنين",
            "الثلاثاء",
            "الأربعاء",
            "الخميس",
            "الجمعة",
            "السبت",
            "الأحد",
        ][i]
    } else {
        [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ][i]
    }
}

/// Fixes what slot filling gets wrong where words join: Arabic بـ/لـ before ال ("بـالحصن"),
/// English "a" before a number said with a vowel ("a 11-year-old").
fn polish(lang: &str, text: String) -> String {
    if lang == "ar" {
        return text.replace("بـال", "بال").replace("لـال", "لل");
    }
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or_default();
        let digits: String = next.chars().take_while(char::is_ascii_digit).collect();
        let vowel = digits.starts_with('8') || digits == "11" || digits == "18";
        out.push(match *word {
            "a" if vowel => "an",
            "A" if vowel => "An",
            w => w,
        });
    }
    out.join(" ")
}

/// ASCII digits to Arabic-Indic ones (٠١٢…).
fn indic_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(0x0660 + (c as u32 - '0' as u32)).unwrap(),
            c => c,
        })
        .collect()
}
