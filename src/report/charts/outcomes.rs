//! Chart 5, `outcomes`: connections per outcome for each policy and cohort.

use super::*;

pub(super) fn draw_outcomes<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &Results) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let body = frame(root, &title(r, "outcomes by policy and cohort"), &subtitle(r))?;
    let reps = replications(r);
    let (cells, _) = merged_cells(r);

    // Bars placed left to right: a gap between groups.
    struct Bar<'a> {
        x: f64,
        row: &'a DelayRow,
    }
    struct Group {
        policy: String,
        cohort: String,
        from: f64,
        to: f64,
        count: u64,
    }
    const GAP: f64 = 0.9;
    let mut bars: Vec<Bar> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut x = 0.5;
    for c in &cells {
        let same = groups
            .last()
            .is_some_and(|g| g.policy == c.policy && g.cohort == c.cohort);
        if !same {
            if !groups.is_empty() {
                x += GAP;
            }
            groups.push(Group {
                policy: c.policy.clone(),
                cohort: c.cohort.clone(),
                from: x,
                to: x,
                count: 0,
            });
        }
        bars.push(Bar { x, row: c });
        x += 1.0;
        let g = groups.last_mut().expect("a group was just pushed");
        g.to = x;
        g.count += c.count;
    }
    // At least ten bar widths across, centred, so that a few bars stay slim.
    const MIN_SLOTS: f64 = 10.0;
    let shift = ((MIN_SLOTS - (x + 0.5)) / 2.0).max(0.0);
    for b in &mut bars {
        b.x += shift;
    }
    for g in &mut groups {
        g.from += shift;
        g.to += shift;
    }
    let x_max = (x + 0.5).max(MIN_SLOTS);
    let y_max = nice_max(bars.iter().map(|b| b.row.count as f64 / reps).fold(0.0, f64::max) * 1.06);

    let mut present: Vec<&str> = Vec::new();
    for b in &bars {
        if !present.contains(&b.row.outcome.as_str()) {
            present.push(&b.row.outcome);
        }
    }
    present.sort_by_key(|o| outcome_rank(o));
    let mut entries: Vec<Entry> = present
        .iter()
        .map(|o| Entry {
            label: o.to_string(),
            swatch: Swatch::Bar(outcome_color(o)),
        })
        .collect();
    if bars.iter().any(|b| b.row.synced < b.row.count) {
        entries.push(Entry {
            label: "lighter top: not synced by the horizon".into(),
            swatch: Swatch::LightBar(MUTED),
        });
    }
    let plot_area = with_legend(&body, &entries)?;

    let per = if reps > 1.0 {
        format!(" per replication (mean of {reps})")
    } else {
        String::new()
    };
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(SIDE)
        .margin_right(SIDE + 8)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(98)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(Axis::linear(0.0..x_max, Vec::new(), Vec::new()), 0.0..y_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_label_formatter(&|v| {
            if reps > 1.0 || v.fract() == 0.0 {
                fmt_tick(*v, y_max)
            } else {
                String::new()
            }
        })
        .x_desc("policy when the wait began · cohort")
        .y_desc(format!("connections{per}"))
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(1))
        .y_max_light_lines(1)
        .draw()?;

    let bar_px = {
        let a = chart.backend_coord(&(0.0, 0.0));
        let b = chart.backend_coord(&(1.0, 0.0));
        (b.0 - a.0) as f64 * 0.84
    };
    let value_style = anchored(text_style(13.0, FontStyle::Normal, TEXT), HPos::Center, VPos::Bottom);
    for b in &bars {
        let color = outcome_color(&b.row.outcome);
        let (x0, x1) = (b.x + 0.08, b.x + 0.92);
        let synced = b.row.synced as f64 / reps;
        let count = b.row.count as f64 / reps;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x0, 0.0), (x1, synced)],
            color.filled(),
        )))?;
        if count > synced {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, synced), (x1, count)],
                color.mix(0.3).filled(),
            )))?;
        }
        let label = if reps > 1.0 && count < 100.0 {
            trim(count, 1)
        } else {
            group_thousands(count.round() as i64)
        };
        let (w, _) = root.estimate_text_size(&label, &value_style)?;
        if (w as f64) <= bar_px + 6.0 {
            let p = chart.backend_coord(&(b.x + 0.5, count));
            root.draw(&Text::new(label, (p.0, p.1 - 3), value_style.clone()))?;
        }
    }
    // Group labels under the axis: policy, cohort, connections.
    let gap_px = {
        let a = chart.backend_coord(&(0.0, 0.0));
        let b = chart.backend_coord(&(GAP, 0.0));
        b.0 - a.0
    };
    for g in &groups {
        let a = chart.backend_coord(&(g.from, 0.0));
        let b = chart.backend_coord(&(g.to, 0.0));
        // A label may spill into the gaps on either side, not beyond.
        let room = (b.0 - a.0 + gap_px - 6).max(10) as u32;
        let cx = (a.0 + b.0) / 2;
        let n = g.count as f64 / reps;
        let texts = [
            (short_policy(&g.policy).to_string(), FontStyle::Bold, 15.0, TEXT),
            (g.cohort.clone(), FontStyle::Normal, 14.0, MUTED),
            (
                format!("n = {}", group_thousands(n.round() as i64)),
                FontStyle::Normal,
                14.0,
                MUTED,
            ),
        ];
        for (i, (text, weight, size, color)) in texts.into_iter().enumerate() {
            let (text, size) = fit(root, &text, size, 10.0, weight, room)?;
            let style = anchored(text_style(size, weight, color), HPos::Center, VPos::Top);
            root.draw(&Text::new(text, (cx, a.1 + 8 + 19 * i as i32), style))?;
        }
        root.draw(&PathElement::new(
            vec![(a.0, a.1 + 4), (b.0, a.1 + 4)],
            MUTED.stroke_width(1),
        ))?;
    }
    if bars.is_empty() {
        note(
            root,
            plot_box(&chart),
            "No outcomes to show: no connection was activated or lost access",
        )?;
    }
    Ok(())
}
