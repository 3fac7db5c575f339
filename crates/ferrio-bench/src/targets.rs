//! The targets of issue 15, checked against a report's numbers:
//!
//! - ferrio ≥ 20× asyncio and uvloop on every scheduler workload;
//! - TCP echo: ferrio (one loop) ≥ tokio `current_thread` and ≥ 3× uvloop;
//! - the largest fetch: `ferrio fetch` at least as fast as every other
//!   client, with less CPU time and memory than the aiohttp script.

use crate::report::{fmt_ratio, Cell, Family, Row};

/// One target's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The target, as the issue states it.
    pub target: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measurable.
    pub met: Option<bool>,
    /// The numbers behind the verdict.
    pub detail: String,
}

fn family<'a>(families: &'a [Family], name: &str) -> Option<&'a Family> {
    families.iter().find(|f| f.name == name)
}

/// Checks that ferrio's advantage over each of `others` is at least
/// `factor` on every row of `rows`.
fn at_least(rows: &[&Row], others: &[&str], factor: f64) -> (Option<bool>, String) {
    let mut misses = Vec::new();
    let mut checked = 0;
    let mut worst: Option<(f64, String)> = None;
    for row in rows {
        for other in others {
            let Some(a) = row.advantage("ferrio", other).or_else(|| {
                // Families whose reference column is not named `ferrio`.
                row.cells.first().and_then(|(r, _)| row.advantage(r, other))
            }) else {
                continue;
            };
            checked += 1;
            if worst.as_ref().is_none_or(|(w, _)| a < *w) {
                worst = Some((a, format!("{} vs {other}", row.workload)));
            }
            if a < factor {
                misses.push(format!("{} vs {other} {}", row.workload, fmt_ratio(a)));
            }
        }
    }
    if checked == 0 {
        return (None, "not measured".into());
    }
    let worst = worst.map_or(String::new(), |(a, w)| {
        format!("smallest: {} ({w})", fmt_ratio(a))
    });
    if misses.is_empty() {
        (Some(true), format!("{checked} comparisons; {worst}"))
    } else {
        (
            Some(false),
            format!("missed {}/{checked}: {}", misses.len(), misses.join(", ")),
        )
    }
}

fn extra(row: &Row, runtime: &str, label: &str) -> Option<f64> {
    match row.cell(runtime)? {
        Cell::Measured { extras, .. } => extras
            .iter()
            .find(|(l, _, _)| l == label)
            .map(|(_, _, s)| s.median),
        Cell::Skipped(_) | Cell::Failed(_) => None,
    }
}

/// Checks every target against `families`.
pub fn check(families: &[Family]) -> Vec<Verdict> {
    let mut out = Vec::new();
    if let Some(f) = family(families, "scheduler") {
        let rows: Vec<&Row> = f.rows.iter().collect();
        let (met, detail) = at_least(&rows, &["asyncio", "uvloop"], 20.0);
        out.push(Verdict {
            target: "ferrio ≥ 20× asyncio and uvloop on every scheduler workload".into(),
            met,
            detail,
        });
    }
    if let Some(f) = family(families, "network") {
        let rows: Vec<&Row> = f.rows.iter().collect();
        let (met, detail) = at_least(&rows, &["tokio-ct"], 1.0);
        out.push(Verdict {
            target: "echo, one loop: ferrio ≥ tokio current_thread (req/s)".into(),
            met,
            detail,
        });
        let (met, detail) = at_least(&rows, &["uvloop"], 3.0);
        out.push(Verdict {
            target: "echo, one loop: ferrio ≥ 3× uvloop (req/s)".into(),
            met,
            detail,
        });
    }
    if let Some(f) = family(families, "fetch") {
        if let Some(row) = f.rows.last() {
            let others: Vec<&str> = f.runtimes[1..].iter().map(String::as_str).collect();
            let (met, detail) = at_least(&[row], &others, 1.0);
            out.push(Verdict {
                target: format!(
                    "{}: `ferrio fetch` at least as fast as every other client",
                    row.workload
                ),
                met,
                detail,
            });
            let reference = f.runtimes[0].as_str();
            for (label, unit) in [("CPU", "s"), ("peak RSS", "MiB")] {
                let mine = extra(row, reference, label);
                let theirs = extra(row, "aiohttp", label);
                let (met, detail) = match (mine, theirs) {
                    (Some(m), Some(t)) => (
                        Some(m < t),
                        format!("ferrio fetch {m:.3} {unit}, aiohttp {t:.3} {unit}"),
                    ),
                    _ => (None, "not measured".into()),
                };
                out.push(Verdict {
                    target: format!(
                        "{}: `ferrio fetch` uses less {label} than aiohttp",
                        row.workload
                    ),
                    met,
                    detail,
                });
            }
        }
    }
    out
}

/// The verdicts as a markdown table.
pub fn markdown(verdicts: &[Verdict]) -> String {
    let mut s = String::from("| target | met? | numbers (medians) |\n|---|---|---|\n");
    for v in verdicts {
        let met = match v.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "not measured",
        };
        s.push_str(&format!("| {} | {met} | {} |\n", v.target, v.detail));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Better;

    #[test]
    fn scheduler_target_lists_the_misses() {
        let f = Family {
            name: "scheduler".into(),
            title: "Scheduler".into(),
            notes: vec![],
            runtimes: vec!["ferrio".into(), "asyncio".into(), "uvloop".into()],
            rows: vec![Row {
                workload: "yield".into(),
                unit: "ms".into(),
                better: Better::Lower,
                cells: vec![
                    ("ferrio".into(), Cell::measured(1.0)),
                    ("asyncio".into(), Cell::measured(50.0)),
                    ("uvloop".into(), Cell::measured(10.0)),
                ],
            }],
        };
        let v = check(&[f]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].met, Some(false));
        assert_eq!(v[0].detail, "missed 1/2: yield vs uvloop ×10");
        assert!(markdown(&v).contains("| **no** |"));
    }
}
