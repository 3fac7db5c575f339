//! The report's data (families of rows, one cell per runtime) and its
//! markdown form.

use std::fmt::Write as _;

use crate::stats::Summary;

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Times, bytes, CPU seconds.
    Lower,
    /// Throughput.
    Higher,
}

/// One runtime's result for one row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Measured: the main metric, plus secondary metrics `(label, unit, summary)`.
    Measured {
        /// The row's metric over the runs.
        summary: Summary,
        /// Secondary metrics, such as server CPU seconds or peak RSS.
        extras: Vec<(String, String, Summary)>,
    },
    /// Not measured, and why (Python missing, a tool not installed, …).
    Skipped(String),
    /// Measured but failed: a check did not hold, or the process failed.
    Failed(String),
}

#[cfg(test)]
impl Cell {
    /// One run measuring `v`, with no secondary metrics: the tests' cell.
    pub(crate) fn measured(v: f64) -> Cell {
        Cell::Measured {
            summary: Summary::of(&[v]).unwrap(),
            extras: vec![],
        }
    }
}

/// Why a measurement gave no number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// The runtime or tool is not available here.
    Skip(String),
    /// The measurement ran and failed.
    Fail(String),
}

impl From<String> for Miss {
    fn from(e: String) -> Miss {
        Miss::Fail(e)
    }
}

impl Miss {
    /// The table cell for this miss.
    pub fn to_cell(&self) -> Cell {
        match self {
            Miss::Skip(why) => Cell::Skipped(why.clone()),
            Miss::Fail(why) => Cell::Failed(why.clone()),
        }
    }
}

/// `Ok` with the value, or a [`Miss::Skip`] with the reason.
pub fn available<T>(r: &Result<T, String>) -> Result<&T, Miss> {
    r.as_ref().map_err(|e| Miss::Skip(e.clone()))
}

/// One workload at one size: a cell per runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The workload's name, as in the tables and charts.
    pub workload: String,
    /// The unit of the main metric (`ms`, `B/task`, `req/s`).
    pub unit: String,
    /// Which way the main metric improves.
    pub better: Better,
    /// `(runtime, cell)` in the family's runtime order.
    pub cells: Vec<(String, Cell)>,
}

impl Row {
    /// The cell of `runtime`, if the row has one.
    pub fn cell(&self, runtime: &str) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|(r, _)| r == runtime)
            .map(|(_, c)| c)
    }

    /// The median of `runtime`, if measured.
    pub fn median(&self, runtime: &str) -> Option<f64> {
        match self.cell(runtime)? {
            Cell::Measured { summary, .. } => Some(summary.median),
            Cell::Skipped(_) | Cell::Failed(_) => None,
        }
    }

    /// How many times better the reference runtime (`reference`) is than
    /// `runtime` on this row (above 1: the reference is better).
    pub fn advantage(&self, reference: &str, runtime: &str) -> Option<f64> {
        let r = self.median(reference)?;
        let o = self.median(runtime)?;
        let ratio = match self.better {
            Better::Lower => o / r,
            Better::Higher => r / o,
        };
        ratio.is_finite().then_some(ratio)
    }
}

/// A family of workloads: one section and one chart of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Short name (`scheduler`), also the chart's file stem.
    pub name: String,
    /// Section title.
    pub title: String,
    /// What the rows compare, one bullet each.
    pub notes: Vec<String>,
    /// The runtimes (columns), the reference first.
    pub runtimes: Vec<String>,
    /// The rows.
    pub rows: Vec<Row>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Header lines (commit, CPU, load, runs, pinning, …), one bullet each.
    pub header: Vec<String>,
    /// The families in order.
    pub families: Vec<Family>,
}

/// Formats a value with about three significant digits and thousands
/// separators for large numbers.
pub fn fmt_value(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".to_string()
    } else if a >= 10_000.0 {
        let n = v.round() as i64;
        let digits = n.abs().to_string();
        let mut out = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(ch);
        }
        if n < 0 {
            out.insert(0, '-');
        }
        out
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Formats an advantage ratio: `×12` or `×1.4`.
pub fn fmt_ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("×{r:.0}")
    } else if r >= 3.0 {
        format!("×{r:.1}")
    } else {
        format!("×{r:.2}")
    }
}

impl Family {
    /// The family's headline table: one row per workload, one column per
    /// runtime, each cell `median (×advantage of the reference)`.
    pub fn headline(&self) -> String {
        let reference = &self.runtimes[0];
        let mut s = String::new();
        let _ = write!(s, "| workload | unit |");
        for r in &self.runtimes {
            let _ = write!(s, " {r} |");
        }
        s.push('\n');
        s.push_str("|---|---|");
        for _ in &self.runtimes {
            s.push_str("---:|");
        }
        s.push('\n');
        for row in &self.rows {
            let _ = write!(s, "| {} | {} |", row.workload, row.unit);
            for r in &self.runtimes {
                let text = match row.cell(r) {
                    None => "—".to_string(),
                    Some(Cell::Skipped(why)) => format!("skipped ({why})"),
                    Some(Cell::Failed(why)) => format!("**FAILED** ({why})"),
                    Some(Cell::Measured { summary, .. }) => {
                        let v = fmt_value(summary.median);
                        if r == reference {
                            format!("**{v}**")
                        } else {
                            match row.advantage(reference, r) {
                                Some(a) => format!("{v} ({})", fmt_ratio(a)),
                                None => v,
                            }
                        }
                    }
                };
                let _ = write!(s, " {text} |");
            }
            s.push('\n');
        }
        s
    }

    /// The family's detailed table: one line per workload and runtime with
    /// median, min–max, the reference's advantage and the secondary metrics.
    pub fn details(&self) -> String {
        let reference = &self.runtimes[0];
        let mut s = String::new();
        s.push_str("| workload | runtime | median | min–max | runs | ferrio's advantage | other metrics (median, min–max) |\n");
        s.push_str("|---|---|---:|---:|---:|---:|---|\n");
        for row in &self.rows {
            for (r, cell) in &row.cells {
                match cell {
                    Cell::Skipped(why) => {
                        let _ = writeln!(s, "| {} | {r} | skipped ({why}) | | | | |", row.workload);
                    }
                    Cell::Failed(why) => {
                        let _ =
                            writeln!(s, "| {} | {r} | **FAILED** ({why}) | | | | |", row.workload);
                    }
                    Cell::Measured { summary, extras } => {
                        let adv = if r == reference {
                            "—".to_string()
                        } else {
                            row.advantage(reference, r)
                                .map(fmt_ratio)
                                .unwrap_or_else(|| "—".to_string())
                        };
                        let extras: Vec<String> = extras
                            .iter()
                            .map(|(label, unit, e)| {
                                format!(
                                    "{label} {} {unit} ({}–{})",
                                    fmt_value(e.median),
                                    fmt_value(e.min),
                                    fmt_value(e.max)
                                )
                            })
                            .collect();
                        let _ = writeln!(
                            s,
                            "| {} | {r} | {} {} | {}–{} | {} | {adv} | {} |",
                            row.workload,
                            fmt_value(summary.median),
                            row.unit,
                            fmt_value(summary.min),
                            fmt_value(summary.max),
                            summary.count,
                            extras.join("; ")
                        );
                    }
                }
            }
        }
        s
    }
}

impl Report {
    /// The failed cells as `family: workload on runtime: why`.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in &self.families {
            for row in &f.rows {
                for (rt, cell) in &row.cells {
                    if let Cell::Failed(why) = cell {
                        out.push(format!("{}: {} on {rt}: {why}", f.name, row.workload));
                    }
                }
            }
        }
        out
    }

    /// The report as markdown; `charts` lists the chart files (relative
    /// names) of each family, by family name.
    pub fn to_markdown(&self, charts: &[(String, Vec<String>)]) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# ferrio benchmark report — {}\n", self.date);
        for line in &self.header {
            let _ = writeln!(s, "- {line}");
        }
        s.push_str(
            "\nIn every table a value in parentheses is ferrio's advantage: how many times \
             better ferrio is than that runtime on that row (the runtime's time ÷ ferrio's \
             for times and bytes, ferrio's rate ÷ the runtime's for rates). Above ×1, \
             ferrio is better; below, worse.\n",
        );
        let verdicts = crate::targets::check(&self.families);
        if !verdicts.is_empty() {
            s.push_str("\n## Targets of issue 15\n\n");
            s.push_str(&crate::targets::markdown(&verdicts));
        }
        for family in &self.families {
            let _ = writeln!(s, "\n## {}\n", family.title);
            for note in &family.notes {
                let _ = writeln!(s, "- {note}");
            }
            s.push('\n');
            s.push_str(&family.headline());
            if let Some((_, files)) = charts.iter().find(|(name, _)| *name == family.name) {
                for file in files.iter().filter(|f| f.ends_with(".png")) {
                    let _ = writeln!(s, "\n![{} chart]({file})", family.title);
                }
                let svgs: Vec<String> = files
                    .iter()
                    .filter(|f| f.ends_with(".svg"))
                    .map(|f| format!("[{f}]({f})"))
                    .collect();
                if !svgs.is_empty() {
                    let _ = writeln!(s, "\nSVG: {}", svgs.join(", "));
                }
            }
            let _ = writeln!(
                s,
                "\n<details><summary>All runs: medians, min–max, secondary metrics</summary>\n"
            );
            s.push_str(&family.details());
            s.push_str("\n</details>\n");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family() -> Family {
        Family {
            name: "scheduler".into(),
            title: "Scheduler".into(),
            notes: vec!["spawn_join: spawn and await".into()],
            runtimes: vec!["ferrio".into(), "tokio".into(), "asyncio".into()],
            rows: vec![
                Row {
                    workload: "spawn_join".into(),
                    unit: "ms".into(),
                    better: Better::Lower,
                    cells: vec![
                        ("ferrio".into(), Cell::measured(2.0)),
                        ("tokio".into(), Cell::measured(3.0)),
                        ("asyncio".into(), Cell::Skipped("no python3".into())),
                        ("smol".into(), Cell::Failed("sum 3 != 4".into())),
                    ],
                },
                Row {
                    workload: "echo".into(),
                    unit: "req/s".into(),
                    better: Better::Higher,
                    cells: vec![
                        ("ferrio".into(), Cell::measured(200_000.0)),
                        ("tokio".into(), Cell::measured(100_000.0)),
                    ],
                },
            ],
        }
    }

    #[test]
    fn advantage_follows_which_way_is_better() {
        let f = family();
        assert_eq!(f.rows[0].advantage("ferrio", "tokio"), Some(1.5));
        assert_eq!(f.rows[1].advantage("ferrio", "tokio"), Some(2.0));
        assert_eq!(f.rows[0].advantage("ferrio", "asyncio"), None);
    }

    #[test]
    fn headline_has_a_column_per_runtime_and_marks_skips() {
        let table = family().headline();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "| workload | unit | ferrio | tokio | asyncio |");
        assert_eq!(lines[1], "|---|---|---:|---:|---:|");
        assert_eq!(
            lines[2],
            "| spawn_join | ms | **2.00** | 3.00 (×1.50) | skipped (no python3) |"
        );
        assert_eq!(
            lines[3],
            "| echo | req/s | **200,000** | 100,000 (×2.00) | — |"
        );
    }

    #[test]
    fn details_list_every_cell_with_min_max() {
        let table = family().details();
        assert!(table.contains("| spawn_join | tokio | 3.00 ms | 3.00–3.00 | 1 | ×1.50 |  |"));
        assert!(table.contains("| spawn_join | asyncio | skipped (no python3) |"));
        assert!(table.contains("| spawn_join | smol | **FAILED** (sum 3 != 4) |"));
    }

    #[test]
    fn markdown_has_header_sections_and_chart_links() {
        let report = Report {
            date: "2026-12-01".into(),
            header: vec!["commit: abc123".into()],
            families: vec![family()],
        };
        let md = report.to_markdown(&[(
            "scheduler".into(),
            vec!["scheduler.png".into(), "scheduler.svg".into()],
        )]);
        assert!(md.starts_with("# ferrio benchmark report — 2026-12-01\n"));
        assert!(md.contains("- commit: abc123\n"));
        assert!(md.contains("\n## Scheduler\n"));
        assert!(md.contains("![Scheduler chart](scheduler.png)"));
        assert!(md.contains("SVG: [scheduler.svg](scheduler.svg)"));
        assert_eq!(
            report.failures(),
            ["scheduler: spawn_join on smol: sum 3 != 4"]
        );
    }

    #[test]
    fn values_have_about_three_significant_digits() {
        assert_eq!(fmt_value(1234567.0), "1,234,567");
        assert_eq!(fmt_value(123.4), "123");
        assert_eq!(fmt_value(12.34), "12.3");
        assert_eq!(fmt_value(1.234), "1.23");
        assert_eq!(fmt_value(0.1234), "0.123");
        assert_eq!(fmt_ratio(25.4), "×25");
        assert_eq!(fmt_ratio(4.56), "×4.6");
        assert_eq!(fmt_ratio(1.5), "×1.50");
        assert_eq!(fmt_value(0.0), "0");
    }
}
