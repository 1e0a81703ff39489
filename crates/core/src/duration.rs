//! The interval format of config files: a whole number and a unit, such as `"90s"`, `"15m"`,
//! `"2h"` or `"1d"`. Units may be combined (`"1h30m"`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A positive duration written as in the config files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval(pub Duration);

impl Interval {
    /// The duration.
    pub fn as_duration(self) -> Duration {
        self.0
    }

    /// Builds an interval from whole seconds.
    pub fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }
}

const HINT: &str =
    "write a whole number followed by s, m, h or d, such as \"30s\", \"15m\", \"2h\" or \"1h30m\"";

impl FromStr for Interval {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() {
            return Err(format!("empty interval: {HINT}"));
        }
        let mut total: u64 = 0;
        let mut digits = String::new();
        for c in t.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => {
                    return Err(format!(
                        "invalid interval {s:?} (unknown unit {c:?}): {HINT}"
                    ));
                }
            };
            if digits.is_empty() {
                return Err(format!(
                    "invalid interval {s:?} (a unit without a number): {HINT}"
                ));
            }
            let n: u64 = digits
                .parse()
                .map_err(|_| format!("invalid interval {s:?} (number too large): {HINT}"))?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| format!("invalid interval {s:?} (too large): {HINT}"))?;
            digits.clear();
        }
        if !digits.is_empty() {
            return Err(format!(
                "invalid interval {s:?} (a number without a unit): {HINT}"
            ));
        }
        if total == 0 {
            return Err(format!(
                "invalid interval {s:?} (it must be longer than zero): {HINT}"
            ));
        }
        Ok(Interval(Duration::from_secs(total)))
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut secs = self.0.as_secs();
        if secs == 0 {
            return write!(f, "0s");
        }
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
            if secs >= size {
                write!(f, "{}{unit}", secs / size)?;
                secs %= size;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Interval {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The instant local day `date` starts in `tz`: its midnight, or the first instant after a
/// clock change that skips midnight.
pub fn day_start(date: chrono::NaiveDate, tz: chrono_tz::Tz) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone as _;
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..4)
        .find_map(|h| {
            tz.from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                .earliest()
        })
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| chrono::Utc.from_utc_datetime(&midnight))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!("90s".parse::<Interval>().unwrap(), Interval::from_secs(90));
        assert_eq!("15m".parse::<Interval>().unwrap(), Interval::from_secs(900));
        assert_eq!(
            "1h30m".parse::<Interval>().unwrap(),
            Interval::from_secs(5400)
        );
        assert_eq!(
            "1d".parse::<Interval>().unwrap(),
            Interval::from_secs(86_400)
        );
    }

    #[test]
    fn refuses_bad_intervals_with_a_hint() {
        for bad in ["", "15", "m", "5x", "0m", "-5m", "1.5h"] {
            let err = bad.parse::<Interval>().unwrap_err();
            assert!(err.contains("such as"), "{bad}: {err}");
        }
    }

    #[test]
    fn displays_round_trip() {
        for s in ["90s", "15m", "1h30m", "2d"] {
            let i: Interval = s.parse().unwrap();
            assert_eq!(i.to_string().parse::<Interval>().unwrap(), i);
        }
        assert_eq!(Interval::from_secs(5400).to_string(), "1h30m");
    }
}
