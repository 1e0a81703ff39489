//! The filters of a search as people give them — the search page's parameters, the CLI's
//! flags, a saved search — checked and applied to a [`SearchQuery`] by one function, so the
//! three answer a bad value with the same message.

use std::collections::BTreeMap;

use rasd_core::{ItemKind, Lang, Polarity};

use crate::{Error, Result, SearchQuery};

/// The filter names, as the search page's parameters and a saved search's keys.
pub const FILTER_NAMES: [&str; 7] = [
    "lang",
    "topic",
    "place",
    "source",
    "sentiment",
    "police",
    "kind",
];

/// The topic and place ids a filter may name (from `topics.toml` and `places.toml`); an
/// empty list accepts any id.
#[derive(Debug, Clone, Copy, Default)]
pub struct KnownIds<'a> {
    pub topics: &'a [String],
    pub places: &'a [String],
}

/// Applies `filters` (name → values; a value may hold several separated by commas) to
/// `q`. A name or value that cannot be right is an [`Error::Filter`] saying what to write.
pub fn apply_filters(
    q: &mut SearchQuery,
    filters: &BTreeMap<String, Vec<String>>,
    known: KnownIds<'_>,
) -> Result<()> {
    for (name, values) in filters {
        let values: Vec<&str> = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            continue;
        }
        let bad = |message: String| Err(Error::Filter(message));
        let one = |what: &str| -> Result<&str> {
            match values.as_slice() {
                [v] => Ok(v),
                _ => Err(Error::Filter(format!(
                    "{name} takes one value, not {}: {what}",
                    values.len()
                ))),
            }
        };
        match name.as_str() {
            "lang" => {
                q.lang = Some(match one("ar, en or other")? {
                    code @ ("ar" | "en" | "other") => Lang::from_code(code),
                    other => return bad(format!("unknown lang {other:?}: use ar, en or other")),
                })
            }
            "kind" => {
                q.kind = Some(match one("article or comment")? {
                    "article" | "news" => ItemKind::Article,
                    "comment" => ItemKind::Comment,
                    other => {
                        return bad(format!(
                            "unknown kind {other:?}: use article (news) or comment (public \
                             submissions)"
                        ));
                    }
                })
            }
            "police" => {
                q.about_police = Some(match one("yes or no")?.to_ascii_lowercase().as_str() {
                    "yes" | "true" => true,
                    "no" | "false" => false,
                    other => {
                        return bad(format!(
                            "unknown police flag {other:?}: use yes for items about the Public \
                             Security Directorate or no for the others"
                        ));
                    }
                })
            }
            "sentiment" => {
                for v in values {
                    let Some(p) = Polarity::parse(v) else {
                        return bad(format!(
                            "unknown sentiment {v:?}: use positive, negative or neutral (or \
                             إيجابي، سلبي، محايد), or several separated by commas"
                        ));
                    };
                    if !q.sentiment.contains(&p) {
                        q.sentiment.push(p);
                    }
                }
            }
            "topic" | "topics" => {
                check_ids("topic", &values, known.topics)?;
                q.topics.extend(values.iter().map(|v| v.to_string()));
            }
            "place" | "places" => {
                check_ids("place", &values, known.places)?;
                q.places.extend(values.iter().map(|v| v.to_string()));
            }
            "source" | "sources" => q.sources.extend(values.iter().map(|v| v.to_string())),
            other => {
                return bad(format!(
                    "there is no filter {other:?}; the filters are {}",
                    FILTER_NAMES.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Refuses an id the configuration does not know, listing the ones it does.
fn check_ids(what: &str, values: &[&str], known: &[String]) -> Result<()> {
    if known.is_empty() {
        return Ok(());
    }
    for v in values {
        if !known.iter().any(|k| k == v) {
            return Err(Error::Filter(format!(
                "unknown {what} id {v:?}; the {what}s are: {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            m.entry(k.to_string()).or_default().push(v.to_string());
        }
        m
    }

    #[test]
    fn values_are_read_and_checked() {
        let topics = vec!["theft".to_string(), "drugs".to_string()];
        let places = vec!["zarqa".to_string()];
        let known = KnownIds {
            topics: &topics,
            places: &places,
        };
        let mut q = SearchQuery::default();
        apply_filters(
            &mut q,
            &filters(&[
                ("lang", "ar"),
                ("topic", "theft,drugs"),
                ("place", "zarqa"),
                ("sentiment", "سلبي"),
                ("sentiment", "neutral"),
                ("police", "yes"),
                ("kind", "comment"),
                ("source", ""),
            ]),
            known,
        )
        .unwrap();
        assert_eq!(q.lang, Some(Lang::Ar));
        assert_eq!(q.topics, ["theft", "drugs"]);
        assert_eq!(q.places, ["zarqa"]);
        assert_eq!(q.sentiment, [Polarity::Negative, Polarity::Neutral]);
        assert_eq!(q.about_police, Some(true));
        assert_eq!(q.kind, Some(ItemKind::Comment));
        assert!(q.sources.is_empty(), "an empty value is no filter");
        for (pairs, want) in [
            (vec![("topic", "fraud")], "the topics are: theft, drugs"),
            (vec![("place", "Zarqa")], "unknown place id \"Zarqa\""),
            (vec![("lang", "fr")], "use ar, en or other"),
            (vec![("lang", "ar,en")], "lang takes one value"),
            (vec![("police", "maybe")], "use yes"),
            (vec![("colour", "red")], "the filters are lang, topic"),
        ] {
            let e = apply_filters(&mut SearchQuery::default(), &filters(&pairs), known)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{pairs:?}: {e}");
        }
    }
}
