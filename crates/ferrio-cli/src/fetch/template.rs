//! `--url-template`: literal text and `{LOW..HIGH}` ranges, expanded
//! lazily by an odometer (the last range varies fastest), so a template of
//! a million URLs holds one counter per range.

use super::input::{check_url, UrlLine};
use crate::error::CliError;

/// A parsed `--url-template`: literal text and ranges, and an odometer.
pub(crate) struct Template {
    parts: Vec<Part>,
    /// The current value of each range (`None` before the first URL).
    counters: Option<Vec<u64>>,
    index: u64,
    exhausted: bool,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Range { low: u64, high: u64, width: usize },
}

impl Template {
    pub(crate) fn parse(text: &str) -> Result<Template, CliError> {
        let bad = |why: String| {
            CliError::Usage(format!(
                "--url-template '{text}': {why}; write e.g. 'http://127.0.0.1:8080/item/{{1..200}}'"
            ))
        };
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let close = rest[open..]
                .find('}')
                .map(|c| open + c)
                .ok_or_else(|| bad("a '{' without its '}'".into()))?;
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let inner = &rest[open + 1..close];
            let (low, high) = inner
                .split_once("..")
                .ok_or_else(|| bad(format!("'{{{inner}}}' is not a range like {{1..200}}")))?;
            let parse = |n: &str| {
                n.trim()
                    .parse::<u64>()
                    .map_err(|_| bad(format!("'{n}' in '{{{inner}}}' is not a whole number")))
            };
            let (lo, hi) = (parse(low)?, parse(high)?);
            if lo > hi {
                return Err(bad(format!("the range '{{{inner}}}' goes down")));
            }
            let width = if low.trim().starts_with('0') && low.trim().len() > 1 {
                low.trim().len().max(high.trim().len())
            } else {
                0
            };
            parts.push(Part::Range {
                low: lo,
                high: hi,
                width,
            });
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        if !parts.iter().any(|p| matches!(p, Part::Range { .. })) {
            return Err(bad("it has no range".into()));
        }
        let template = Template {
            parts,
            counters: None,
            index: 0,
            exhausted: false,
        };
        let first = template.render(&template.lows());
        check_url(&first).map_err(|why| bad(format!("its first URL '{first}' is {why}")))?;
        Ok(template)
    }

    fn lows(&self) -> Vec<u64> {
        self.ranges().map(|(low, _, _)| low).collect()
    }

    fn ranges(&self) -> impl Iterator<Item = (u64, u64, usize)> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Range { low, high, width } => Some((*low, *high, *width)),
            Part::Text(_) => None,
        })
    }

    pub(crate) fn total(&self) -> u64 {
        self.ranges()
            .map(|(low, high, _)| high - low + 1)
            .fold(1u64, |a, n| a.saturating_mul(n))
    }

    fn render(&self, values: &[u64]) -> String {
        use std::fmt::Write;
        // Room for the text and up to 20 digits per range: one allocation.
        let room = self.parts.iter().map(|part| match part {
            Part::Text(t) => t.len(),
            Part::Range { width, .. } => (*width).max(20),
        });
        let mut out = String::with_capacity(room.sum());
        let mut i = 0;
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Range { width, .. } => {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "{:0width$}", values[i], width = *width);
                    i += 1;
                }
            }
        }
        out
    }

    pub(crate) fn next(&mut self) -> Option<UrlLine> {
        if self.exhausted {
            return None;
        }
        let ranges: Vec<(u64, u64)> = self.ranges().map(|(l, h, _)| (l, h)).collect();
        match &mut self.counters {
            None => self.counters = Some(ranges.iter().map(|r| r.0).collect()),
            Some(values) => {
                // The odometer: the last range varies fastest.
                let mut k = values.len();
                loop {
                    if k == 0 {
                        self.exhausted = true;
                        return None;
                    }
                    k -= 1;
                    if values[k] < ranges[k].1 {
                        values[k] += 1;
                        break;
                    }
                    values[k] = ranges[k].0;
                }
            }
        }
        self.index += 1;
        let url = self.render(self.counters.as_deref().unwrap_or_default());
        Some(UrlLine::parse(self.index, &url))
    }
}

#[cfg(test)]
mod tests {
    use crate::error::CliError;
    use crate::fetch::input::{UrlLine, UrlSource};

    #[test]
    fn a_template_expands_its_range() {
        let source = UrlSource::template("http://127.0.0.1:8080/item/{1..200}").unwrap();
        assert_eq!(source.total(), Some(200));
        let urls: Vec<_> = source.collect();
        assert_eq!(urls.len(), 200);
        assert_eq!(
            urls[0],
            UrlLine::Url {
                line: 1,
                url: "http://127.0.0.1:8080/item/1".into()
            }
        );
        assert_eq!(
            urls[199],
            UrlLine::Url {
                line: 200,
                url: "http://127.0.0.1:8080/item/200".into()
            }
        );
    }

    #[test]
    fn template_ranges_multiply_and_pad() {
        let urls: Vec<String> = UrlSource::template("http://h/{1..2}/{08..10}")
            .unwrap()
            .map(|l| match l {
                UrlLine::Url { url, .. } => url,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            urls,
            [
                "http://h/1/08",
                "http://h/1/09",
                "http://h/1/10",
                "http://h/2/08",
                "http://h/2/09",
                "http://h/2/10"
            ]
        );
        assert_eq!(UrlSource::template("http://h/{5..5}").unwrap().count(), 1);
    }

    #[test]
    fn bad_templates_are_usage_errors() {
        for bad in [
            "http://h/item",
            "http://h/{1..}",
            "http://h/{a..b}",
            "http://h/{5..1}",
            "http://h/{1..2",
            "http://h/{1,2}",
            "ftp://h/{1..2}",
        ] {
            match UrlSource::template(bad) {
                Err(CliError::Usage(m)) => assert!(m.contains("--url-template"), "{m}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
