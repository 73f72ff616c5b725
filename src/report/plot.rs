//! The timeline picture: failing share of each business over the median run, as SVG.

use plotters::prelude::*;

use super::Report;

/// Width and height of the picture \[pixels\].
const SIZE: (u32, u32) = (900, 420);

/// Duration bounds of Art. 4 for payments \[minutes\], drawn as dashed lines.
const GRADE_BOUNDS: [(f64, &str); 5] =
    [(15.0, "15 min"), (30.0, "30 min"), (60.0, "1 h"), (120.0, "2 h"), (480.0, "8 h")];

/// Colours of the businesses, in the report's order (clearing, non-key, payment).
const COLOURS: [RGBColor; 3] =
    [RGBColor(31, 119, 180), RGBColor(44, 160, 44), RGBColor(214, 39, 40)];

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
        let caption =
            format!("{} {}: failing share, run {}", report.drill.id, report.drill.title, run.run);
        let mut chart = ChartBuilder::on(&root)
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

        // Art. 4 duration bounds of the payment table, where they fall in the picture
        for (minutes, label) in GRADE_BOUNDS.iter().filter(|(m, _)| *m < end_min) {
            let style = RGBColor(150, 150, 150).stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new(
                    [(*minutes, 0.0), (*minutes, 103.0)],
                    6,
                    4,
                    style,
                ))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series([Text::new(*label, (*minutes, 104.0), ("sans-serif", 12))])
                .map_err(|e| e.to_string())?;
        }

        // One step line per business; earlier ones wider so that equal lines stay visible
        let count = run.timeline.len() as u32;
        for (i, (business, points)) in run.timeline.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let width = 2 + 3 * (count - 1 - i as u32);
            let steps = step_points(points, end_min);
            chart
                .draw_series(LineSeries::new(steps, colour.stroke_width(width)))
                .map_err(|e| e.to_string())?
                .label(business.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.9))
            .position(SeriesLabelPosition::MiddleRight)
            .draw()
            .map_err(|e| e.to_string())?;
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
