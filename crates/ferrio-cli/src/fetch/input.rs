//! Where the URLs come from: a file or stdin read line by line
//! ([`UrlSource::reader`]), or a template with numeric ranges
//! ([`UrlSource::template`]). Both are iterators of [`UrlLine`], pulled only
//! as the engine has room for another request, so a million-line input is
//! never held in memory.

use std::fmt;
use std::io::BufRead;

use hyper::http::Uri;

use super::template::Template;
use crate::error::CliError;

/// The longest URL line accepted; a longer one is reported as malformed
/// (without being held whole).
pub const MAX_LINE: usize = 16 * 1024;

/// One input line: a URL to fetch, or a line that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlLine {
    /// A well-formed absolute `http://` or `https://` URL.
    Url {
        /// The line number, from 1 (for a template: the URL's index, from 1).
        line: u64,
        /// The URL as written.
        url: String,
    },
    /// A line that is not a URL: reported with its number, and the rest go on.
    Malformed {
        /// The line number, from 1.
        line: u64,
        /// The line as written (cut at 200 characters).
        text: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl UrlLine {
    /// The URL line for `text` at `line`: checked, not yet fetched.
    pub fn parse(line: u64, text: &str) -> UrlLine {
        match check_url(text) {
            Ok(()) => UrlLine::Url {
                line,
                url: text.to_string(),
            },
            Err(reason) => UrlLine::Malformed {
                line,
                text: text.chars().take(200).collect(),
                reason,
            },
        }
    }
}

/// Whether `text` is an absolute http(s) URL with a host.
pub fn check_url(text: &str) -> Result<(), String> {
    let uri: Uri = text
        .parse()
        .map_err(|e| format!("not a URL ({e}): write e.g. http://host:port/path"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        Some(other) => {
            return Err(format!(
                "scheme '{other}' is not supported: use http or https"
            ))
        }
        None => return Err("no scheme: write e.g. http://host:port/path".to_string()),
    }
    match uri.host() {
        Some(h) if !h.is_empty() => Ok(()),
        _ => Err("no host: write e.g. http://host:port/path".to_string()),
    }
}

/// A stream of [`UrlLine`]s, from a reader or a template.
pub struct UrlSource {
    kind: Kind,
    total: Option<u64>,
}

enum Kind {
    Reader {
        reader: Box<dyn BufRead + Send>,
        line: u64,
        buf: Vec<u8>,
        done: bool,
    },
    Template(Template),
}

impl fmt::Debug for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Reader { line, .. } => format!("reader at line {line}"),
            Kind::Template(t) => format!("template of {} URLs", t.total()),
        };
        f.debug_struct("UrlSource")
            .field("kind", &kind)
            .field("total", &self.total)
            .finish()
    }
}

impl UrlSource {
    /// URLs read line by line from `reader`: blank lines and lines starting
    /// with `#` are skipped.
    pub fn reader(reader: impl BufRead + Send + 'static) -> UrlSource {
        UrlSource {
            kind: Kind::Reader {
                reader: Box::new(reader),
                line: 0,
                buf: Vec::new(),
                done: false,
            },
            total: None,
        }
    }

    /// URLs from a template with numeric ranges: `http://h/item/{1..200}`
    /// gives 200 URLs; several ranges multiply (the last one varies
    /// fastest); `{01..10}` pads to the width of the bounds.
    ///
    /// # Errors
    ///
    /// [`CliError::Usage`] for a template without a range, a range that is
    /// not `{low..high}` with `low <= high`, or a URL that does not parse.
    pub fn template(template: &str) -> Result<UrlSource, CliError> {
        let template = Template::parse(template)?;
        let total = template.total();
        Ok(UrlSource {
            kind: Kind::Template(template),
            total: Some(total),
        })
    }

    /// A source of the given URLs (each checked), numbered from 1: for
    /// code that has its URLs in hand.
    pub fn urls<I>(urls: I) -> impl Iterator<Item = UrlLine>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        urls.into_iter()
            .enumerate()
            .map(|(i, u)| UrlLine::parse(i as u64 + 1, u.as_ref()))
    }

    /// How many URLs the source holds, if known without reading it (a
    /// template's count).
    pub fn total(&self) -> Option<u64> {
        self.total
    }
}

impl Iterator for UrlSource {
    type Item = UrlLine;

    fn next(&mut self) -> Option<UrlLine> {
        match &mut self.kind {
            Kind::Template(t) => t.next(),
            Kind::Reader {
                reader,
                line,
                buf,
                done,
            } => loop {
                if *done {
                    return None;
                }
                buf.clear();
                *line += 1;
                let mut limited = std::io::Read::take(&mut **reader, MAX_LINE as u64 + 1);
                match limited.read_until(b'\n', buf) {
                    Ok(0) => {
                        *done = true;
                        return None;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        *done = true;
                        return Some(UrlLine::Malformed {
                            line: *line,
                            text: String::new(),
                            reason: format!("reading stopped here: {e}"),
                        });
                    }
                }
                if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
                    // Skip the rest of the overlong line.
                    let mut rest = Vec::new();
                    while !matches!(reader.read_until(b'\n', &mut rest), Ok(0) | Err(_)) {
                        if rest.last() == Some(&b'\n') {
                            break;
                        }
                        rest.clear();
                    }
                    return Some(UrlLine::Malformed {
                        line: *line,
                        text: String::from_utf8_lossy(&buf[..200]).into_owned(),
                        reason: format!("longer than {MAX_LINE} bytes"),
                    });
                }
                let Ok(text) = std::str::from_utf8(buf) else {
                    return Some(UrlLine::Malformed {
                        line: *line,
                        text: String::from_utf8_lossy(buf).chars().take(200).collect(),
                        reason: "not UTF-8".to_string(),
                    });
                };
                let text = text.trim();
                if text.is_empty() || text.starts_with('#') {
                    continue;
                }
                return Some(UrlLine::parse(*line, text));
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn lines(text: &str) -> Vec<UrlLine> {
        UrlSource::reader(Cursor::new(text.as_bytes().to_vec())).collect()
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let got = lines("# a list\n\nhttp://a/1\n   \n  http://a/2  \n#http://a/3\nhttp://a/4");
        let urls: Vec<_> = got
            .iter()
            .map(|l| match l {
                UrlLine::Url { line, url } => (*line, url.as_str()),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            urls,
            [(3, "http://a/1"), (5, "http://a/2"), (7, "http://a/4")]
        );
    }

    #[test]
    fn malformed_lines_keep_their_numbers_and_the_rest_go_on() {
        let got = lines("http://a/1\nnot a url\nftp://a/x\nhttp://a/2\n/relative\n");
        let bad: Vec<_> = got
            .iter()
            .filter_map(|l| match l {
                UrlLine::Malformed { line, reason, .. } => Some((*line, reason.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(bad.len(), 3);
        assert_eq!(bad[0].0, 2);
        assert_eq!(bad[1].0, 3);
        assert!(bad[1].1.contains("scheme 'ftp'"));
        assert_eq!(bad[2].0, 5);
        assert_eq!(
            got.iter()
                .filter(|l| matches!(l, UrlLine::Url { .. }))
                .count(),
            2
        );
    }

    #[test]
    fn overlong_and_non_utf8_lines_are_malformed() {
        let mut text = b"http://a/1\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        text.extend(b"\n\xff\xfe\nhttp://a/2\n");
        let got: Vec<_> = UrlSource::reader(Cursor::new(text)).collect();
        assert_eq!(got.len(), 4);
        assert!(
            matches!(&got[1], UrlLine::Malformed { line: 2, reason, .. } if reason.contains("longer"))
        );
        assert!(
            matches!(&got[2], UrlLine::Malformed { line: 3, reason, .. } if reason == "not UTF-8")
        );
        assert!(matches!(&got[3], UrlLine::Url { line: 4, .. }));
    }

    #[test]
    fn check_url_says_what_is_wrong() {
        assert!(check_url("http://a:1/x?y=1").is_ok());
        assert!(check_url("https://a/").is_ok());
        assert!(check_url("a/b")
            .unwrap_err()
            .contains("http://host:port/path"));
        assert!(check_url("/a/b").unwrap_err().contains("no scheme"));
        assert!(check_url("http:///x").is_err());
    }
}
