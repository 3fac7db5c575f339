//! One grouped bar chart per family: SVG drawn with plotters, PNG rendered
//! from that SVG with resvg (pure Rust; the text uses the system's fonts).
//!
//! The scheduler chart plots each runtime's value relative to ferrio's
//! (its rows have different units), on a log scale; the network and fetch
//! charts plot their absolute metric, on a log scale when the values span
//! more than a factor of 20.

use std::path::Path;

use plotters::prelude::*;

use crate::report::{fmt_ratio, fmt_value, Family};

/// What a chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    /// The title.
    pub title: String,
    /// The y axis' label, with its unit.
    pub y_label: String,
    /// The x axis' groups (workloads).
    pub groups: Vec<String>,
    /// The series (runtimes), one bar per group each.
    pub series: Vec<String>,
    /// `values[group][series]`; `None` for a skipped cell.
    pub values: Vec<Vec<Option<f64>>>,
    /// Log scale on y.
    pub log: bool,
    /// Whether the values are ratios to the reference (y ticks `×10`).
    pub relative: bool,
    /// `labels[group][series]`: the text above each bar.
    pub labels: Vec<Vec<Option<String>>>,
}

/// The chart of `family`.
pub fn spec(family: &Family) -> ChartSpec {
    let reference = &family.runtimes[0];
    let relative = family.name == "scheduler";
    let values: Vec<Vec<Option<f64>>> = family
        .rows
        .iter()
        .map(|row| {
            family
                .runtimes
                .iter()
                .map(|rt| {
                    if relative {
                        // Cost relative to ferrio: the runtime's value ÷ ferrio's.
                        let r = row.median(reference)?;
                        let o = row.median(rt)?;
                        (r > 0.0).then_some(o / r)
                    } else {
                        row.median(rt)
                    }
                })
                .collect()
        })
        .collect();
    let labels: Vec<Vec<Option<String>>> = family
        .rows
        .iter()
        .zip(&values)
        .map(|(row, vals)| {
            family
                .runtimes
                .iter()
                .zip(vals)
                .map(|(rt, v)| {
                    let v = (*v)?;
                    let is_reference = rt == reference;
                    Some(match (relative, is_reference) {
                        (true, true) => "1".to_string(),
                        (true, false) => short_ratio(v),
                        (false, true) => fmt_value(v),
                        (false, false) => match row.advantage(reference, rt) {
                            Some(a) => format!("{} ({})", fmt_value(v), fmt_ratio(a)),
                            None => fmt_value(v),
                        },
                    })
                })
                .collect()
        })
        .collect();
    let positive = positive(&values);
    let span = positive.iter().copied().fold(f64::MIN, f64::max)
        / positive.iter().copied().fold(f64::MAX, f64::min);
    let unit = family
        .rows
        .first()
        .map(|r| r.unit.clone())
        .unwrap_or_default();
    let (title, y_label) = match family.name.as_str() {
        "scheduler" => (
            "Scheduler workloads: cost relative to ferrio (lower is better)".to_string(),
            "time or bytes ÷ ferrio's (×, log scale; ferrio = 1)".to_string(),
        ),
        "network" => (
            "TCP echo, 100 connections: round trips per second (higher is better)".to_string(),
            format!("round trips per second ({unit})"),
        ),
        "fetch" => (
            "Fetch N URLs from ferrio serve-mock at concurrency 200 (lower is better)".to_string(),
            format!(
                "client wall time ({unit}{})",
                if span > 20.0 { ", log scale" } else { "" }
            ),
        ),
        _ => (family.title.clone(), unit),
    };
    ChartSpec {
        title,
        y_label,
        groups: family.rows.iter().map(|r| r.workload.clone()).collect(),
        series: family.runtimes.clone(),
        values,
        log: relative || span > 20.0,
        relative,
        labels,
    }
}

/// An axis tick: whole numbers without decimals (`10`, `1,000`).
fn tick(v: f64) -> String {
    if v >= 1.0 && (v - v.round()).abs() < 1e-9 {
        let n = v.round();
        if n >= 10_000.0 {
            fmt_value(n)
        } else {
            format!("{n:.0}")
        }
    } else {
        fmt_value(v)
    }
}

/// The positive values of `values[group][series]`: what a log scale can
/// plot (skipped cells and zeros left out).
fn positive(values: &[Vec<Option<f64>>]) -> Vec<f64> {
    values
        .iter()
        .flatten()
        .flatten()
        .copied()
        .filter(|v| *v > 0.0)
        .collect()
}

/// A ratio short enough for a label above a narrow bar: `×2.5`, `×37`.
fn short_ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("×{r:.0}")
    } else {
        format!("×{r:.1}")
    }
}

/// A runtime's colour, the same in every chart: ferrio orange, tokio
/// blue, smol green, the Python peers purple, the others grey.
pub fn color_for(name: &str) -> RGBColor {
    match name {
        "ferrio" | "ferrio fetch" => RGBColor(230, 85, 13),
        "ferrio-2loops" => RGBColor(253, 174, 107),
        "ferrio-streams" => RGBColor(241, 105, 19),
        "tokio-ct" | "tokio+reqwest" => RGBColor(49, 130, 189),
        "tokio-mt2" => RGBColor(107, 174, 214),
        "smol" => RGBColor(49, 163, 84),
        "asyncio" | "aiohttp" => RGBColor(117, 107, 177),
        "uvloop" => RGBColor(188, 128, 189),
        _ => RGBColor(150, 150, 150),
    }
}

/// Draws `spec` as an SVG document.
pub fn svg(spec: &ChartSpec) -> Result<String, String> {
    let width = (260 + spec.groups.len() * spec.series.len() * 34).clamp(900, 1600) as u32;
    let height = 620u32;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw(&root, spec).map_err(|e| format!("plotters: {e}"))?;
        root.present().map_err(|e| format!("plotters: {e}"))?;
    }
    Ok(out)
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    spec: &ChartSpec,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let all = positive(&spec.values);
    let max = all.iter().copied().fold(1e-9, f64::max);
    let min = all.iter().copied().fold(f64::MAX, f64::min).min(max);
    let groups = spec.groups.len().max(1) as f64;
    let series = spec.series.len().max(1) as f64;
    let bar = 0.8 / series;
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(&spec.title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(90);
    if spec.log {
        let floor = 10f64.powf((min * 0.5).log10().floor());
        let top = max * 6.0;
        let mut chart = builder.build_cartesian_2d(0f64..groups, (floor..top).log_scale())?;
        let relative = spec.relative;
        let y_fmt = move |v: &f64| {
            if relative {
                format!("×{}", tick(*v))
            } else {
                tick(*v)
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_x_axis()
            .x_labels(0)
            .y_desc(&spec.y_label)
            .y_label_formatter(&y_fmt)
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .draw()?;
        bars(&mut chart, spec, floor, bar)?;
        group_labels(root, &chart, spec, floor)?;
        legend(&mut chart)?;
    } else {
        let top = max * 1.15;
        let mut chart = builder.build_cartesian_2d(0f64..groups, 0f64..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc(&spec.y_label)
            .y_label_formatter(&|v| tick(*v))
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 16))
            .draw()?;
        bars(&mut chart, spec, 0.0, bar)?;
        group_labels(root, &chart, spec, 0.0)?;
        legend(&mut chart)?;
    }
    Ok(())
}

fn bars<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    spec: &ChartSpec,
    floor: f64,
    bar: f64,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    for (s, name) in spec.series.iter().enumerate() {
        if spec
            .values
            .iter()
            .all(|row| row.get(s).copied().flatten().is_none())
        {
            continue;
        }
        let color = color_for(name);
        let rects: Vec<_> = spec
            .values
            .iter()
            .enumerate()
            .filter_map(|(g, row)| {
                let v = row.get(s).copied().flatten()?;
                let x0 = g as f64 + 0.1 + s as f64 * bar;
                Some(Rectangle::new(
                    [(x0, floor), (x0 + bar * 0.92, v.max(floor))],
                    color.filled(),
                ))
            })
            .collect();
        chart
            .draw_series(rects)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
        let texts: Vec<_> = spec
            .values
            .iter()
            .enumerate()
            .filter_map(|(g, row)| {
                let v = row.get(s).copied().flatten()?;
                let text = spec.labels.get(g)?.get(s)?.clone()?;
                let x = g as f64 + 0.1 + s as f64 * bar + bar * 0.46;
                let size = if spec.series.len() * spec.groups.len() > 16 {
                    11
                } else {
                    13
                };
                let style = ("sans-serif", size).into_font().color(&BLACK).pos(
                    plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Bottom,
                    ),
                );
                Some(Text::new(text, (x, v.max(floor)), style))
            })
            .collect();
        chart.draw_series(texts)?;
    }
    Ok(())
}

fn group_labels<'a, DB, Y>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    spec: &ChartSpec,
    floor: f64,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let style =
        ("sans-serif", 16)
            .into_font()
            .color(&BLACK)
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Top,
            ));
    for (g, name) in spec.groups.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(g as f64 + 0.5, floor));
        root.draw(&Text::new(name.clone(), (x, y + 8), style.clone()))?;
    }
    Ok(())
}

fn legend<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()?;
    Ok(())
}

/// Renders an SVG document to PNG bytes with resvg; an error if no font is
/// installed (the PNG would have no text).
pub fn png(svg: &str) -> Result<Vec<u8>, String> {
    let mut options = resvg::usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    if options.fontdb.is_empty() {
        return Err("no system fonts for the PNG's text (the SVG is written)".into());
    }
    // The SVG asks for `sans-serif`; map it to an installed family.
    let families: Vec<String> = options
        .fontdb
        .faces()
        .filter_map(|f| f.families.first().map(|(name, _)| name.clone()))
        .collect();
    let preferred = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans"];
    let family = preferred
        .iter()
        .find(|p| families.iter().any(|f| f == *p))
        .map(|p| p.to_string())
        .or_else(|| families.first().cloned());
    if let Some(family) = family {
        options.fontdb_mut().set_sans_serif_family(family);
    }
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(|e| format!("usvg: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("empty chart")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| format!("png: {e}"))
}

/// Writes `<dir>/<stem>.svg` and `<dir>/<stem>.png`; returns the names
/// written.
pub fn write(family: &Family, dir: &Path, stem: &str) -> Result<Vec<String>, String> {
    let spec = spec(family);
    if spec.values.iter().flatten().all(Option::is_none) {
        return Err("nothing measured".into());
    }
    let svg = svg(&spec)?;
    let mut files = Vec::new();
    let svg_name = format!("{stem}.svg");
    std::fs::write(dir.join(&svg_name), &svg).map_err(|e| e.to_string())?;
    files.push(svg_name);
    match png(&svg) {
        Ok(bytes) => {
            let png_name = format!("{stem}.png");
            std::fs::write(dir.join(&png_name), bytes).map_err(|e| e.to_string())?;
            files.insert(0, png_name);
        }
        Err(e) => eprintln!("ferrio-bench: {stem}.png not written: {e}"),
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Better, Cell, Row};

    fn family(name: &str) -> Family {
        Family {
            name: name.into(),
            title: "T".into(),
            notes: vec![],
            runtimes: vec!["ferrio".into(), "tokio-ct".into(), "asyncio".into()],
            rows: vec![Row {
                workload: "yield".into(),
                unit: "ms".into(),
                better: Better::Lower,
                cells: vec![
                    ("ferrio".into(), Cell::measured(2.0)),
                    ("tokio-ct".into(), Cell::measured(5.0)),
                    ("asyncio".into(), Cell::Skipped("no python".into())),
                ],
            }],
        }
    }

    #[test]
    fn scheduler_chart_plots_ratios_to_ferrio_on_a_log_scale() {
        let s = spec(&family("scheduler"));
        assert!(s.log && s.relative);
        assert_eq!(s.values, [[Some(1.0), Some(2.5), None]]);
        assert_eq!(s.labels[0][1].as_deref(), Some("×2.5"));
        assert!(s.y_label.contains("log scale"));
    }

    #[test]
    fn other_charts_plot_values_with_the_ratio_in_the_label() {
        let s = spec(&family("fetch"));
        assert!(!s.log && !s.relative);
        assert_eq!(s.values, [[Some(2.0), Some(5.0), None]]);
        assert_eq!(s.labels[0][1].as_deref(), Some("5.00 (×2.50)"));
        assert!(s.y_label.contains("(ms"));
    }

    #[test]
    fn svg_has_the_title_the_groups_and_the_legend() {
        let svg = svg(&spec(&family("scheduler"))).unwrap();
        assert!(svg.starts_with("<svg"));
        for text in ["Scheduler workloads", "yield", "ferrio", "tokio-ct"] {
            assert!(svg.contains(text), "{text} missing");
        }
        // A series with nothing measured gets no legend entry.
        assert!(!svg.contains(">asyncio<"));
    }
}
