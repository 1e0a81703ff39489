//! Article extraction: the main text and metadata of a news page.
//!
//! [`extract_article`] parses the page once with our own forgiving parser ([`dom`]), reads
//! the metadata ([`meta`]: title, published date, author, lead image, language, canonical
//! URL, from `<meta>`, JSON-LD, `<time>` and `<link>`), and finds the article's text
//! ([`content`]); a JSON-LD `articleBody` more than twice as long as that text replaces it
//! (a teaser or paywall page). Nothing in it knows a particular site: boilerplate is recognised by
//! structure, link density, text density and generic class/id words (comments, related,
//! share, footer…), with a JSON-LD `articleBody` as a hint when the page has one.
//!
//! [`extract_article_with`] ([`rule`]) adds a site rule: the source's `article_selector`
//! names the elements holding the text, and a page whose text was not found is told apart
//! ([`article_found`]).

mod content;
mod dom;
pub(crate) mod entities;
mod meta;
mod rule;

pub use rule::{
    MIN_ARTICLE_CHARS, RULE_MIN_CHARS, RuleOutcome, article_found, continues, extract_article_with,
    parse_rule,
};
pub(crate) use rule::{extraction_failed, rule_missed, source_rule};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::debug;

use dom::Dom;

use crate::html;

/// A JSON-LD `articleBody` this many times longer than the text found replaces it.
const LD_BODY_FACTOR: usize = 2;

/// What [`extract_article`] found on a page. Serializes to JSON with these field names
/// (`published` as RFC 3339).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extracted {
    /// The headline: `og:title`, else the first `<h1>`, else JSON-LD `headline`, else
    /// `<title>`.
    pub title: Option<String>,
    /// The main text, plain, paragraphs separated by blank lines (empty when none was found).
    pub text: String,
    /// `article:published_time` and similar `<meta>`, JSON-LD `datePublished`,
    /// `itemprop="datePublished"`, or the first `<time datetime>`.
    pub published: Option<DateTime<Utc>>,
    /// `<meta name="author">` or the JSON-LD author.
    pub author: Option<String>,
    /// The lead image, absolute: `og:image`, `twitter:image`, JSON-LD `image`, or
    /// `<link rel="image_src">`.
    pub lead_image: Option<String>,
    /// The page's language as declared (`<html lang>`, `content-language`, `og:locale`),
    /// e.g. `ar`, `en-US`.
    pub lang: Option<String>,
    /// `<link rel="canonical">`, made absolute against the page URL.
    pub canonical: Option<String>,
    /// The short lines the page shows between the headline and the text, as they read (a
    /// byline, a date line, a standfirst), when there are a few; not part of `text`.
    pub header: Option<String>,
}

/// Extracts the title, main text, date, author, lead image, language and canonical URL of
/// an article page (see the module docs). `url` is the page's address: relative links are
/// resolved against it, and it names the page in logs. Never fails; a page with no
/// recognisable article gives an empty `text`.
pub fn extract_article(html: &str, url: &str) -> Extracted {
    let dom = Dom::parse(html);
    let meta = meta::Meta::read(&dom, url);
    let found = content::main_text(&dom, meta.title.as_deref());
    let mut text = found.text;
    // `og:title` often carries the site's name ("… - CNN.com"): the heading that shows it
    // without is the cleaner title.
    let title = match (meta.title, found.headline) {
        (Some(t), Some(h))
            if h.chars().count() < t.chars().count()
                && meta::title_key(&t).contains(&meta::title_key(&h)) =>
        {
            Some(h)
        }
        (t, _) => t,
    };
    // A JSON-LD articleBody much longer than what the page shows: a teaser or paywall page.
    if let Some(raw) = &meta.ld_body
        && raw.len() > LD_BODY_FACTOR * text.len()
    {
        let body = html::to_text(raw, false);
        if body.chars().count() > LD_BODY_FACTOR * text.chars().count() {
            text = body;
        }
    }
    debug!(url, chars = text.chars().count(), "Article extracted.");
    Extracted {
        title,
        text,
        published: meta.published,
        author: meta.author,
        lead_image: meta.lead_image,
        lang: meta.lang,
        canonical: meta.canonical,
        header: found.header,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r##"<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
  <meta charset="utf-8">
  <title>ضبط عصابة سرقة في الزرقاء | أخبار الأردن</title>
  <meta property="og:title" content="ضبط عصابة سرقة سيارات في الزرقاء">
  <meta property="article:published_time" content="2026-11-22T09:15:00+03:00">
  <meta name="author" content="مراسل الأخبار">
  <meta property="og:image" content="/img/zarqa.jpg">
  <link rel="canonical" href="/local/1?utm_source=x">
</head>
<body>
  <nav><ul><li><a href="/">الرئيسية</a></li><li><a href="/local">محليات</a></li></ul></nav>
  <div id="page">
    <header class="site-header"><a href="/">أخبار الأردن</a></header>
    <div class="main-wrap">
      <div class="story">
        <h1>ضبط عصابة سرقة سيارات في الزرقاء</h1>
        <div class="story-body">
          <p>أعلنت مديرية الأمن العام، اليوم الأحد، ضبط عصابة متخصصة بسرقة السيارات في محافظة الزرقاء، بعد متابعة استمرت عدة أسابيع.</p>
          <p>وقال الناطق الإعلامي باسم المديرية إن أفراد العصابة الثلاثة اعترفوا بتنفيذ سبع عمليات سرقة في مناطق متفرقة من المحافظة.</p>
          <p>وأضاف أن التحقيقات ما تزال جارية، وأن المضبوطات أعيدت إلى أصحابها بعد التثبت من ملكيتها.</p>
        </div>
        <div class="share-buttons"><a href="#">فيسبوك</a> <a href="#">تويتر</a> شارك الخبر</div>
        <div class="related-news">
          <h3>أخبار ذات صلة</h3>
          <p>القبض على مطلوب بحقه عشرات الطلبات القضائية في إربد بعد مداهمة أمنية ليلية طويلة جدا استمرت حتى الصباح.</p>
        </div>
        <section id="comments">
          <p>تعليق: شكرا للأجهزة الأمنية على جهودها الكبيرة في حماية المواطنين والممتلكات في كل مكان، نتمنى المزيد دائما.</p>
          <p>تعليق آخر: نريد المزيد من الدوريات في الأحياء الشعبية خصوصا في ساعات الليل المتأخرة، والحمد لله على السلامة.</p>
          <form><textarea>اكتب تعليقك</textarea><button>أرسل</button></form>
        </section>
      </div>
      <aside><p>الأكثر قراءة: خبر طويل عن موضوع آخر تماما لا علاقة له بالمقال الأساسي ولا يجب أن يظهر أبدا.</p></aside>
    </div>
    <footer>جميع الحقوق محفوظة ٢٠٢٦</footer>
  </div>
  <script>var tracking = "لا تظهر";</script>
</body></html>"##;

    #[test]
    fn arabic_rtl_page_main_text_only() {
        let x = extract_article(PAGE, "https://news.example.jo/local/1");
        assert_eq!(x.title.as_deref(), Some("ضبط عصابة سرقة سيارات في الزرقاء"));
        assert!(x.text.starts_with("أعلنت مديرية الأمن العام"), "{}", x.text);
        assert!(x.text.contains("سبع عمليات سرقة"));
        assert!(x.text.ends_with("بعد التثبت من ملكيتها."), "{}", x.text);
        assert_eq!(
            x.text.matches("\n\n").count(),
            2,
            "three paragraphs: {}",
            x.text
        );
        for junk in [
            "الرئيسية",
            "شارك",
            "ذات صلة",
            "تعليق",
            "الأكثر قراءة",
            "محفوظة",
            "tracking",
        ] {
            assert!(!x.text.contains(junk), "{junk:?} leaked: {}", x.text);
        }
        assert_eq!(
            x.published,
            Some(
                DateTime::parse_from_rfc3339("2026-11-22T06:15:00Z")
                    .unwrap()
                    .with_timezone(&Utc)
            )
        );
        assert_eq!(x.author.as_deref(), Some("مراسل الأخبار"));
        assert_eq!(x.lang.as_deref(), Some("ar"));
        assert_eq!(
            x.lead_image.as_deref(),
            Some("https://news.example.jo/img/zarqa.jpg")
        );
        assert_eq!(
            x.canonical.as_deref(),
            Some("https://news.example.jo/local/1?utm_source=x")
        );
    }

    #[test]
    fn lines_under_the_headline_are_the_header_not_the_text() {
        let html = r#"<html><head><title>إغلاق طريق البحر الميت - أخبار الأغوار</title>
<meta property="og:title" content="إغلاق طريق البحر الميت - أخبار الأغوار"></head><body>
<nav><a href="/">الرئيسية</a></nav>
<div class="story"><header><h1>إغلاق طريق البحر الميت</h1>
<p class="byline">كتب: مراسل الأغوار</p><time datetime="2026-12-05T10:00:00+03:00">٥ كانون الأول ٢٠٢٦</time></header>
<div class="body"><p>أغلقت إدارة السير طريق البحر الميت صباح اليوم بسبب السيول، ودعت السائقين إلى سلوك الطرق البديلة حتى إشعار آخر.</p>
<p>وقالت الإدارة إن فرق الأشغال تعمل على فتح الطريق، وإن الدوريات منتشرة لتنظيم الحركة في المنطقة.</p></div></div>
<footer>حقوق النشر</footer></body></html>"#;
        let x = extract_article(html, "https://example.jo/road");
        // The site's name after the headline is left out.
        assert_eq!(x.title.as_deref(), Some("إغلاق طريق البحر الميت"));
        assert_eq!(
            x.header.as_deref(),
            Some("كتب: مراسل الأغوار\n\n٥ كانون الأول ٢٠٢٦")
        );
        assert!(x.text.starts_with("أغلقت إدارة السير"), "{}", x.text);
        assert!(!x.text.contains("مراسل"), "{}", x.text);
    }

    #[test]
    fn site_name_is_not_the_headline() {
        // og:title set to the blog's name; the post's heading is an h2.
        let html = r#"<html><head><title>مدونة الحي &raquo; دورية ليلية في جبل الحسين</title>
<meta property="og:title" content="مدونة الحي"></head><body>
<h1><a href="/">مدونة الحي</a></h1>
<div class="post"><h2>دورية ليلية في جبل الحسين</h2>
<p>جالت دورية الشرطة المجتمعية ليلة أمس في شوارع جبل الحسين والتقت بأصحاب المحال والسكان.</p></div>
</body></html>"#;
        let x = extract_article(html, "https://example.jo/p");
        assert_eq!(x.title.as_deref(), Some("دورية ليلية في جبل الحسين"));
        // No og:title; the h1 is the site's logo text and <title> ends with it.
        let html = r#"<html><head><title>Night patrol in Jabal Al-Hussein - Neighbourhood Blog</title>
</head><body><h1>Neighbourhood Blog</h1><div class="post"><h2>Night patrol in Jabal Al-Hussein</h2>
<p>The community police patrol walked the streets of Jabal Al-Hussein last night and met shop owners.</p></div>
</body></html>"#;
        let x = extract_article(html, "https://example.jo/p");
        assert_eq!(x.title.as_deref(), Some("Night patrol in Jabal Al-Hussein"));
        assert!(x.text.starts_with("The community police"), "{}", x.text);
    }

    #[test]
    fn article_element_and_json_ld() {
        let html = r#"<html><head><title>t</title>
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
  {"@type":"WebPage","name":"x"},
  {"@type":"NewsArticle","headline":"حادث سير","datePublished":"2026-11-22 11:30:00",
   "image":{"@type":"ImageObject","url":"https://cdn.example.jo/a.jpg"},
   "author":[{"@type":"Person","name":"سارة"},{"@type":"Person","name":"خالد"}]}]}</script>
</head><body>
<div class="menu-list"><a href="/a">رابط</a></div>
<article><h1>حادث سير على طريق المطار</h1>
<p>وقع حادث سير صباح اليوم على طريق المطار أدى إلى إصابة شخصين بجروح متوسطة نقلا على إثرها إلى المستشفى.</p>
<p><time datetime="2026-11-20T08:00:00Z">قبل يومين</time></p></article>
<div><p>نص قصير</p></div>
</body></html>"#;
        let x = extract_article(html, "https://example.jo/a");
        assert_eq!(x.title.as_deref(), Some("حادث سير على طريق المطار"));
        assert!(x.text.starts_with("وقع حادث سير"), "{}", x.text);
        assert!(!x.text.contains("نص قصير"));
        assert!(
            !x.text.contains("حادث سير على طريق المطار\n"),
            "title not repeated"
        );
        // JSON-LD beats <time>; its naive time is Amman time.
        assert_eq!(
            x.published.unwrap().to_rfc3339(),
            "2026-11-22T08:30:00+00:00"
        );
        assert_eq!(x.author.as_deref(), Some("سارة, خالد"));
        assert_eq!(
            x.lead_image.as_deref(),
            Some("https://cdn.example.jo/a.jpg")
        );
        assert_eq!(x.lang, None);
        assert_eq!(x.canonical, None);
    }

    #[test]
    fn article_inside_a_container_named_sidebar() {
        let para = "أكدت مديرية الأمن العام أن دوريات النجدة استجابت لأكثر من ألف بلاغ خلال عطلة نهاية الأسبوع، \
                    وأن معظمها تعلق بمشاجرات وحوادث سير بسيطة جرى التعامل معها في وقتها دون إصابات خطيرة.";
        let html = format!(
            r#"<html><body><div class="container penci_sidebar"><div class="post-entry">
<p>{para}</p><p>{para}</p><p>{para}</p><p>{para}</p><p>{para}</p></div></div>
<div class="cookie-note"><p>نستخدم ملفات تعريف الارتباط لتحسين تجربتك.</p></div></body></html>"#
        );
        let x = extract_article(&html, "https://example.jo/p");
        assert_eq!(x.text.matches("أكدت مديرية").count(), 5, "{}", x.text);
        assert!(!x.text.contains("ملفات تعريف"));
    }

    #[test]
    fn serializes_for_the_cli() {
        let x = extract_article(PAGE, "https://news.example.jo/local/1");
        let v = serde_json::to_value(&x).unwrap();
        assert_eq!(v["lang"], "ar");
        assert_eq!(v["published"], "2026-11-22T06:15:00Z");
        assert!(v["text"].as_str().unwrap().starts_with("أعلنت"));
    }

    #[test]
    fn empty_and_broken_pages() {
        let x = extract_article("", "https://example.jo/");
        assert_eq!(x, Extracted::default());
        let x = extract_article("<html><body><p>نص</p><div", "https://example.jo/");
        assert_eq!(x.text, "نص");
        let x = extract_article(
            "<script type=\"application/ld+json\">{broken</script><p>فقرة</p>",
            "https://example.jo/",
        );
        assert_eq!(x.text, "فقرة");
        let x = extract_article("<p>نص</p>", "not a url");
        assert_eq!(x.text, "نص");
    }
}
