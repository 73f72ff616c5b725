//! The pictures of a report, as SVG so that they render the same everywhere: the
//! failing share of each business over the median run and across runs, the recovery
//! time's histogram and CDF, and the runbook's what-if chart.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::Report;

/// Width and height of the picture \[pixels\].
const SIZE: (u32, u32) = (900, 420);

/// Duration bounds of Art. 4 for payments \[minutes\], drawn as dashed lines.
const GRADE_BOUNDS: [(f64, &str); 5] =
    [(15.0, "15 min"), (30.0, "30 min"), (60.0, "1 h"), (120.0, "2 h"), (480.0, "8 h")];

/// The Art. 4 bounds within an axis running to `end_min` minutes, with the label of a
/// bound too close to the previous one (under 6 % of the axis) left blank.
fn visible_bounds(end_min: f64) -> Vec<(&'static f64, &'static str)> {
    let mut last = f64::NEG_INFINITY;
    GRADE_BOUNDS
        .iter()
        .filter(|(m, _)| *m < end_min)
        .map(|(m, label)| {
            let shown = *m - last >= end_min * 0.06;
            if shown {
                last = *m;
            }
            (m, if shown { *label } else { "" })
        })
        .collect()
}

/// Colours of the businesses, in the report's order (clearing, non-key, payment).
const COLOURS: [RGBColor; 3] =
    [RGBColor(31, 119, 180), RGBColor(44, 160, 44), RGBColor(214, 39, 40)];

/// A chart of failing shares drawn over simulated time.
type ShareChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart of the share of requests failing \[%\] over simulated minutes up to
/// `end_min`, its axes drawn.
fn share_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: String,
    end_min: f64,
) -> Result<ShareChart<'a, 'b>, String> {
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(-end_min * 0.02..end_min, 0.0..105.0)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("simulated time [minutes]")
        .y_desc("requests failing [%]")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// The Art. 4 duration bounds of the payment table that fall in the chart, dashed.
fn draw_bounds(chart: &mut ShareChart, end_min: f64) -> Result<(), String> {
    for (minutes, label) in visible_bounds(end_min) {
        let style = RGBColor(150, 150, 150).stroke_width(1);
        let line = DashedLineSeries::new([(*minutes, 0.0), (*minutes, 103.0)], 6, 4, style);
        chart.draw_series(line).map_err(|e| e.to_string())?;
        let text = Text::new(label, (*minutes, 104.0), ("sans-serif", 12));
        chart.draw_series([text]).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Business `i` of `count` as a line in the legend; earlier ones are drawn wider so
/// that lines on top of each other stay visible.
fn draw_business_line(
    chart: &mut ShareChart,
    points: Vec<(f64, f64)>,
    i: usize,
    count: usize,
    business: &str,
) -> Result<(), String> {
    let colour = COLOURS[i % COLOURS.len()];
    let width = 2 + 3 * (count - 1 - i) as u32;
    chart
        .draw_series(LineSeries::new(points, colour.stroke_width(width)))
        .map_err(|e| e.to_string())?
        .label(business)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
    Ok(())
}

fn draw_legend<'a, 'b: 'a>(chart: &mut ShareChart<'a, 'b>) -> Result<(), String> {
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .position(SeriesLabelPosition::MiddleRight)
        .draw()
        .map_err(|e| e.to_string())
}

/// Renders the failing-share timeline of the report's median run as an SVG document.
pub fn timeline_svg(report: &Report) -> Result<String, String> {
    let run = &report.representative_run;
    let last_change =
        run.timeline.values().flat_map(|points| points.iter().map(|p| p[0])).fold(0.0, f64::max);
    let end_min = ((last_change * 1.2).max(60.0) / 60.0).min(report.horizon_s / 60.0);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let caption = format!(
            "{} {}: failing share, median run {}",
            report.drill.id, report.drill.title, run.run
        );
        let mut chart = share_chart(&root, caption, end_min)?;
        draw_bounds(&mut chart, end_min)?;
        let count = run.timeline.len();
        for (i, (business, points)) in run.timeline.iter().enumerate() {
            draw_business_line(&mut chart, step_points(points, end_min), i, count, business)?;
        }
        draw_legend(&mut chart)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Turns (time \[s\], share) steps into the corners of a step line in (minutes, percent).
fn step_points(points: &[[f64; 2]], end_min: f64) -> Vec<(f64, f64)> {
    let mut line = Vec::with_capacity(points.len() * 2 + 1);
    for (i, &[t, share]) in points.iter().enumerate() {
        let x = (t / 60.0).min(end_min);
        if i > 0 {
            line.push((x, line.last().map_or(0.0, |p: &(f64, f64)| p.1)));
        }
        line.push((x, share * 100.0));
    }
    let last = line.last().map_or(0.0, |p| p.1);
    line.push((end_min, last));
    line
}

/// Colour of the what-if bars and of the recovery-time histogram.
const BAR: RGBColor = RGBColor(70, 110, 170);

/// Renders the histogram (bars, left axis: runs) and the CDF (line, right axis: share
/// of runs recovered) of the recovery time, with the Art. 4 bounds that fall within it.
pub fn recovery_svg(report: &Report) -> Result<String, String> {
    let bins = &report.distribution.recovery_histogram;
    let end_min = bins.last().map_or(1.0, |b| b.to_s / 60.0).max(1.0 / 60.0);
    let top = bins.iter().map(|b| b.runs).max().unwrap_or(1).max(1) as f64 * 1.1;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let caption = format!(
            "{}: recovery time over {} runs (dashed: Art. 4 payment duration bounds)",
            report.drill.id, report.runs
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .right_y_label_area_size(56)
            .build_cartesian_2d(0.0..end_min * 1.02, 0.0..top)
            .map_err(|e| e.to_string())?
            .set_secondary_coord(0.0..end_min * 1.02, 0.0..105.0);
        chart
            .configure_mesh()
            .x_desc("recovery time [minutes]")
            .y_desc("runs")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .configure_secondary_axes()
            .y_desc("runs recovered [%]")
            .draw()
            .map_err(|e| e.to_string())?;

        // Bars, the CDF, then the grade bounds
        let bars = bins.iter().map(|b| {
            Rectangle::new([(b.from_s / 60.0, 0.0), (b.to_s / 60.0, b.runs as f64)], BAR.filled())
        });
        chart.draw_series(bars).map_err(|e| e.to_string())?;
        let cdf = report.distribution.recovery_cdf.iter().map(|&[t, s]| (t / 60.0, s * 100.0));
        chart
            .draw_secondary_series(LineSeries::new(cdf, RGBColor(214, 39, 40).stroke_width(2)))
            .map_err(|e| e.to_string())?;
        for (minutes, label) in visible_bounds(end_min) {
            let style = RGBColor(120, 120, 120).stroke_width(1);
            let line = DashedLineSeries::new([(*minutes, 0.0), (*minutes, 100.0)], 6, 4, style);
            chart.draw_secondary_series(line).map_err(|e| e.to_string())?;
            let text = Text::new(label, (*minutes, 101.0), ("sans-serif", 12));
            chart.draw_secondary_series([text]).map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Renders the failing share of each business across runs: P5-P95 as a shaded band,
/// the median as a line.
pub fn band_svg(report: &Report) -> Result<String, String> {
    let times: Vec<f64> = report.band.times_s.iter().map(|t| t / 60.0).collect();
    let end_min = times.last().copied().unwrap_or(1.0).max(1.0 / 60.0);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let caption = format!("{}: failing share across runs (median, P5-P95)", report.drill.id);
        let mut chart = share_chart(&root, caption, end_min)?;
        let count = report.band.businesses.len();
        for (i, (business, series)) in report.band.businesses.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let upper = times.iter().zip(&series.p95).map(|(&t, &s)| (t, s * 100.0));
            let lower = times.iter().zip(&series.p5).rev().map(|(&t, &s)| (t, s * 100.0));
            let outline: Vec<(f64, f64)> = upper.chain(lower).collect();
            chart
                .draw_series([Polygon::new(outline, colour.mix(0.18).filled())])
                .map_err(|e| e.to_string())?;
            let median = times.iter().zip(&series.p50).map(|(&t, &s)| (t, s * 100.0)).collect();
            draw_business_line(&mut chart, median, i, count, business)?;
        }
        draw_legend(&mut chart)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Renders the what-if chart of a runbook: the recovery-time P95 as it is, and with
/// each step 50 % faster, largest gain first (a tornado chart). None without a runbook.
pub fn critical_path_svg(report: &Report) -> Option<Result<String, String>> {
    let path = report.critical_path.as_ref()?;
    let mut steps: Vec<_> = path.steps.iter().collect();
    // Largest gain on top: bars are drawn from the bottom up
    steps.sort_by(|a, b| b.p95_if_50pct_faster_s.total_cmp(&a.p95_if_50pct_faster_s));
    Some(draw_what_if(report, path.p95_s / 60.0, &steps))
}

fn draw_what_if(
    report: &Report,
    baseline_min: f64,
    steps: &[&super::StepInfo],
) -> Result<String, String> {
    let low = steps.iter().map(|s| s.p95_if_50pct_faster_s / 60.0).fold(baseline_min, f64::min);
    let rows = steps.len() as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, 120 + 40 * steps.len() as u32))
            .into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let caption = format!(
            "{}: recovery-time P95 with one step 50 % faster (now {:.1} min)",
            report.drill.id, baseline_min
        );
        // Room on the left of the bars for the step names
        let span = (baseline_min - low).max(1.0);
        let left = low - span * 0.45;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(10)
            .build_cartesian_2d(left..baseline_min + span * 0.03, 0.0..rows)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc("recovery-time P95 [minutes]")
            .draw()
            .map_err(|e| e.to_string())?;
        let names = steps.iter().enumerate().map(|(i, s)| {
            let name = format!("{} / {}", s.runbook, s.step);
            Text::new(name, (left + span * 0.02, i as f64 + 0.4), ("sans-serif", 13))
        });
        chart.draw_series(names).map_err(|e| e.to_string())?;
        let bars = steps.iter().enumerate().map(|(i, s)| {
            let y = i as f64;
            let faster = s.p95_if_50pct_faster_s / 60.0;
            Rectangle::new([(faster, y + 0.15), (baseline_min, y + 0.85)], BAR.filled())
        });
        chart.draw_series(bars).map_err(|e| e.to_string())?;
        let baseline = [(baseline_min, 0.0), (baseline_min, rows)];
        chart
            .draw_series(LineSeries::new(baseline, BLACK.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_points_draw_vertical_edges_and_run_to_the_end() {
        let points = [[0.0, 0.0], [60.0, 1.0], [120.0, 0.0]];
        let line = step_points(&points, 5.0);
        assert_eq!(
            line,
            vec![(0.0, 0.0), (1.0, 0.0), (1.0, 100.0), (2.0, 100.0), (2.0, 0.0), (5.0, 0.0)]
        );
    }
}
