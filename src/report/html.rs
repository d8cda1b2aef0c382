//! `report.html`: one self-contained page (inline CSS and SVG, no network)
//! with the scenario, the headline numbers, the charts and the main
//! tables. Readable offline and printable.

use super::summary::{duration, group, plural};
use crate::output::results::Results;
use crate::scenario::Scenario;
use crate::stats::metrics::Interval;
use anyhow::Context;
use std::fmt::Write;

/// A chart file (`NAME.png`, `NAME.svg`) and what it shows.
pub struct Chart {
    /// File stem.
    pub name: &'static str,
    /// Caption in the report.
    pub caption: &'static str,
}

/// The charts every run draws, in report order.
pub const CHARTS: [Chart; 5] = [
    Chart {
        name: "sync_delay_cdf",
        caption: "Share of connections synced within a delay, per policy, cohort and outcome, from 1 ms (connections never synced keep a curve below 100 %); below, the share still waiting on a log scale, where the tail is readable. The dotted line marks the 24 h quarantine limit.",
    },
    Chart {
        name: "evaluator_load",
        caption: "Evaluation requests and rejections per second over simulated time, with quarantined and blocked connections (right axis); vertical lines are policy changes. The dashed line is the capacity of all pools, servers ÷ mean service time: a load above it makes queues grow. With several pools, the busiest pool's rate times the number of pools is held against the same line, so that one overloaded pool shows even when the total is under.",
    },
    Chart {
        name: "evaluator_wait",
        caption: "Median and 99th-percentile wait for an evaluation server per time bucket. A p99 pinned at the queue_timeout line is censored, not measured: requests that waited that long were rejected.",
    },
    Chart {
        name: "evaluator_wait_spectrum",
        caption: "The whole wait distribution of each pool, as HdrHistogram and wrk2 plot it: wait against percentile on a log scale of 1/(1 − p), so that each step right is another nine (90 %, 99 %, 99.9 %). Drawn from the evaluator_wait_*.hgrm files, which HdrHistogram's plotter reads too.",
    },
    Chart {
        name: "outcomes",
        caption: "How the waits ended: connections per outcome, for each policy and cohort.",
    },
];

/// Caption of the hour-of-week chart (runs with a calendar).
const WEEK_CAPTION: &str = "What happens at each hour of the week, as a mean over the times that hour came round in the horizon, per replication. Above, evaluation requests per second by each tenant's local hour (solid) and by UTC hour (dashed): the pools see the UTC curve. Below, by local hour: activations and re-adds (they follow the tenants' activity profile), prompts delivered, and those of them not answered within 24 h, which time out. Prompts delivered in the evening or before a weekend wait for the person's active hours and time out more often.";
/// The charts of a live load, in report order (`mailsim load` folders only).
pub const LOAD_CHARTS: [Chart; 2] = [
    Chart {
        name: "load_latency_cdf",
        caption: "Share of evaluations answered within a latency: measured from each call's intended send instant (as wrk2 does, so a stall of the target counts against every call it delayed) beside the model's response time for the same calls on the compressed clock. The gap at the left is the network and HTTP; a gap in the tail is the target queueing differently from the model.",
    },
    Chart {
        name: "load_timeline",
        caption: "Over simulated time: evaluations sent per wall second, failures and drops (top); measured p50 and p99 latency per bucket beside the model's predicted p99, and the send lag's p99 (bottom). A send lag above 1 ms means the generator did not keep the schedule there.",
    },
];

/// The section of a live load: measured beside predicted, the generator's
/// own timing, the decisions checked, and the two charts.
fn load_section(h: &mut String, r: &Results) -> anyhow::Result<()> {
    let Some(l) = &r.load else { return Ok(()) };
    let m = &l.meta;
    let _ = write!(
        h,
        "<section id=\"load\"><h2>Live load</h2><p class=\"meta\">{} loaded as pool {} of the scenario at ×{} \
         ({} simulated in {} of wall time), {} connections, template {}. Latency runs from each call's intended \
         send instant to the end of its answer; predicted is the scenario's evaluator fed the same calls.</p><div class=\"cards\">",
        esc(&m.target),
        m.pool,
        m.speedup,
        duration(r.run.scenario.horizon_s),
        duration(m.wall_s),
        m.connections,
        esc(&m.template)
    );
    let all = l.all();
    let f = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.2} ms"));
    card(h, &format!("{:.1}/s", m.sent_per_s), "evaluations sent");
    card(h, &f(all.and_then(|a| a.latency_mean_ms)), "mean latency, measured");
    card(h, &f(all.and_then(|a| a.predicted_mean_ms)), "mean latency, predicted");
    card(h, &f(all.and_then(|a| a.latency_p99_ms)), "p99 latency, measured");
    card(h, &f(all.and_then(|a| a.predicted_p99_ms)), "p99 latency, predicted");
    card(h, &f(all.and_then(|a| a.send_lag_p99_ms)), "send lag p99");
    if m.decisions_checked {
        let wrong: u64 = l
            .decisions
            .iter()
            .filter(|d| {
                crate::load::decisions::KINDS.iter().any(|k| k.0 == d.kind)
                    && !crate::load::decisions::NOT_FINDINGS.contains(&d.kind.as_str())
            })
            .map(|d| d.count)
            .sum();
        card(h, &group(wrong), "wrong decisions");
    }
    h.push_str("</div>");
    table(
        h,
        "load-table",
        &[
            "pool",
            "sent",
            "ok",
            "rejected (503)",
            "errors",
            "dropped",
            "late (> 1 ms)",
            "mean (ms)",
            "p50 (ms)",
            "p99 (ms)",
            "p99.9 (ms)",
            "max (ms)",
            "predicted mean (ms)",
            "predicted p99 (ms)",
            "send lag p99 (ms)",
        ],
        l.rows.iter().map(|x| {
            let o = |v: Option<f64>| opt(v, |v| format!("{v:.2}"));
            vec![
                x.pool.clone(),
                group(x.sent),
                group(x.ok),
                group(x.rejected),
                group(x.errors()),
                group(x.dropped),
                group(x.late),
                o(x.latency_mean_ms),
                o(x.latency_p50_ms),
                o(x.latency_p99_ms),
                o(x.latency_p999_ms),
                o(x.latency_max_ms),
                o(x.predicted_mean_ms),
                o(x.predicted_p99_ms),
                o(x.send_lag_p99_ms),
            ]
        }),
    );
    h.push_str("<h3>Decisions checked against the model</h3>");
    if !m.decisions_checked {
        h.push_str("<p class=\"meta\">Not checked: the template names no decision field.</p>");
    }
    table(
        h,
        "decisions",
        &["kind", "count", "meaning"],
        l.decisions
            .iter()
            .filter(|d| {
                d.count > 0 || d.kind == "compared" || crate::load::decisions::SECURITY.contains(&d.kind.as_str())
            })
            .map(|d| vec![d.kind.clone(), group(d.count), d.meaning.clone()]),
    );
    for chart in LOAD_CHARTS {
        let path = r.dir.join(format!("{}.svg", chart.name));
        let svg = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let _ = writeln!(
            h,
            "<figure id=\"chart-{}\">{}<figcaption>{}</figcaption></figure>",
            chart.name,
            inline_svg(&svg),
            esc(chart.caption)
        );
    }
    h.push_str("</section>\n");
    Ok(())
}

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "–".into())
}

/// An SVG file made to scale with the page: a viewBox from its size, and
/// nothing before the `<svg` element.
fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let svg = &svg[start..];
    let attr = |name: &str| -> Option<&str> {
        let head = &svg[..svg.find('>')?];
        let at = head.find(&format!(" {name}=\""))? + name.len() + 3;
        head[at..].split('"').next()
    };
    match (attr("width"), attr("height"), attr("viewBox")) {
        (Some(w), Some(h), None) => svg.replacen("<svg", &format!("<svg viewBox=\"0 0 {w} {h}\""), 1),
        _ => svg.to_string(),
    }
}

const STYLE: &str = r#"
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2rem; }
.meta { color: #555; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8rem; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.6rem 0.9rem; min-width: 10rem; }
.card .v { font-size: 1.4rem; font-weight: bold; } .card .k { color: #555; font-size: 0.85rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; } th { background: #f3f3f3; }
td:first-child, th:first-child, td.l, #decisions td:last-child { text-align: left; }
#verdict { border-left: 6px solid #2a7; padding: 0.2rem 1rem; background: #f4fbf6; }
#verdict.bad { border-left-color: #c33; background: #fdf3f3; }
.pass { color: #176b3a; font-weight: bold; } .fail { color: #a11; font-weight: bold; }
ul.flags { padding-left: 1.2rem; } ul.flags li { margin: 0.3rem 0; }
figure { margin: 1rem 0 2rem; } figure svg { width: 100%; height: auto; } figcaption { color: #555; font-size: 0.9rem; }
@media print { body { margin: 0; max-width: none; } figure, table { break-inside: avoid; } h2 { break-after: avoid; } }
"#;

fn table(out: &mut String, id: &str, head: &[&str], rows: impl IntoIterator<Item = Vec<String>>) {
    let _ = write!(out, "<table id=\"{id}\"><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", esc(&cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

fn card(out: &mut String, value: &str, key: &str) {
    let _ = write!(
        out,
        "<div class=\"card\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>",
        esc(value),
        esc(key)
    );
}

fn timeline(sc: &Scenario) -> Vec<Vec<String>> {
    let when = |c: &crate::scenario::Change| match &sc.calendar {
        Some(cal) => c.when.calendar_label(cal),
        None => c.at.to_string(),
    };
    let origin = match &sc.calendar {
        Some(cal) => format!("{} (t = 0)", cal.utc_label(crate::engine::SimTime::ZERO)),
        None => "t = 0".into(),
    };
    // (time in µs, group order) keeps the table in time order, groups in file order.
    let mut rows: Vec<((u64, usize), Vec<String>)> = Vec::new();
    for (i, g) in sc.groups.iter().enumerate() {
        rows.push((
            (0, i),
            vec![
                origin.clone(),
                g.name.clone(),
                format!("{} tenants ({:.0} % MDM)", g.count, g.mdm_share * 100.0),
                g.policy.to_string(),
            ],
        ));
        for c in &g.changes {
            rows.push((
                (c.at.0, i),
                vec![
                    when(c),
                    g.name.clone(),
                    format!("{:.0} % of tenants", c.share * 100.0),
                    c.policy.to_string(),
                ],
            ));
        }
    }
    rows.sort_by_key(|(k, _)| *k);
    rows.into_iter().map(|(_, r)| r).collect()
}

/// The verdict section: SLOs with pass or fail, and red flags in words.
fn verdict(h: &mut String, r: &Results) {
    let slos = super::verdict::slos(r);
    let flags = super::verdict::red_flags(r);
    let failed = slos.iter().filter(|s| !s.pass).count();
    let ok = failed == 0 && flags.is_empty();
    let _ = write!(
        h,
        "<section id=\"verdict\" class=\"{}\"><h2>Verdict</h2>",
        if ok { "ok" } else { "bad" }
    );
    if !slos.is_empty() {
        let _ = write!(
            h,
            "<p class=\"{}\">{} SLOs: {} of {} met</p>",
            if failed == 0 { "pass" } else { "fail" },
            if failed == 0 { "✓" } else { "✗" },
            slos.len() - failed,
            slos.len()
        );
        table(
            h,
            "slos",
            &["SLO", "limit", "measured (all replications)", "verdict"],
            slos.iter().map(|s| {
                vec![
                    s.metric.clone(),
                    format!("{} {}", if s.bound == "max" { "≤" } else { "≥" }, s.limit),
                    s.value.map(|v| format!("{v:.4}")).unwrap_or_else(|| "no data".into()),
                    if s.pass { "✓ pass".into() } else { "✗ FAIL".into() },
                ]
            }),
        );
    }
    if flags.is_empty() {
        let _ = write!(h, "<p class=\"pass\">✓ {}</p>", esc(&super::verdict::all_clear(r)));
    } else {
        h.push_str("<ul class=\"flags\">");
        for f in &flags {
            let _ = write!(h, "<li class=\"fail\" data-flag=\"{}\">⚠ {}</li>", f.kind, esc(&f.text));
        }
        h.push_str("</ul>");
    }
    h.push_str("</section>\n");
}

/// A count of summary.csv per replication, with its 95 % interval across
/// replications when there are two or more.
fn count_card(r: &Results, name: &str) -> String {
    let reps = r.run.scenario.replications.max(1);
    let xs: Vec<f64> = (0..reps)
        .filter_map(|i| {
            let rep = i.to_string();
            r.summary
                .iter()
                .find(|s| s.replication == rep && s.metric == name)
                .map(|s| s.value as f64)
        })
        .collect();
    match Interval::of(&xs) {
        Some(i) => format!(
            "{} ± {}",
            group(i.mean.round() as u64),
            group(i.half_width.round() as u64)
        ),
        None => group(r.metric(name)),
    }
}

/// A key metric's value, with `± half-width` across replications when there are two or more.
fn metric_card(r: &Results, name: &str, show: impl Fn(f64) -> String) -> String {
    match (r.replication_stat(name), r.merged_metric(name)) {
        (Some(st), _) => format!("{} ± {}", show(st.mean), show(st.ci95_half_width)),
        (None, Some(v)) => show(v),
        (None, None) => "–".into(),
    }
}

/// The report page of an output folder whose charts are drawn.
pub fn report_html(r: &Results) -> anyhow::Result<String> {
    let meta = &r.run.scenario;
    let mut h = String::with_capacity(1 << 20);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} — mailsim report</title><style>{STYLE}</style></head><body>\n",
        esc(&meta.name)
    );
    let _ = writeln!(h, "<h1>{}</h1>", esc(&meta.name));
    let _ = writeln!(
        h,
        "<p class=\"meta\">mailsim {} · seed {} · {} of {} · {} × {} · bucket {} · scenario file {}</p>",
        esc(&r.run.mailsim_version),
        meta.seed,
        plural(meta.replications as u64, "replication", "replications"),
        duration(meta.horizon_s),
        plural(meta.pools as u64, "pool", "pools"),
        plural(meta.servers_per_pool as u64, "server", "servers"),
        duration(meta.bucket_s),
        esc(&meta.file)
    );

    verdict(&mut h, r);
    load_section(&mut h, r)?;
    let reps = meta.replications;
    let per_rep = if reps > 1 {
        " per replication (mean ± 95 % CI)"
    } else {
        ""
    };
    let _ = write!(
        h,
        "<section id=\"scenario\"><h2>Scenario</h2><p class=\"meta\">Counts{per_rep}.</p><div class=\"cards\">"
    );
    for (name, label) in [
        ("tenants", "tenants"),
        ("mdm_tenants", "under MDM"),
        ("users", "users"),
        ("connections_initial", "connections at t=0"),
        ("activations", "activations"),
        ("readds", "re-adds"),
    ] {
        card(&mut h, &count_card(r, name), label);
    }
    h.push_str("</div><h3>Policy timeline</h3>");
    table(
        &mut h,
        "timeline",
        &["when", "group", "tenants", "policy"],
        timeline(&r.scenario),
    );
    h.push_str("</section>\n");

    let _ = write!(
        h,
        "<section id=\"headline\"><h2>Headline numbers</h2><p class=\"meta\">Counts{per_rep}.</p><div class=\"cards\">"
    );
    card(&mut h, &count_card(r, "prompts"), "prompts delivered");
    card(&mut h, &count_card(r, "quarantines"), "quarantines");
    card(
        &mut h,
        &metric_card(r, "evaluator.peak_evaluations_per_s", |v| format!("{v:.1}/s")),
        "peak evaluations",
    );
    card(
        &mut h,
        &metric_card(r, "evaluator.utilization", |v| format!("{:.1} %", v * 100.0)),
        "evaluator utilization",
    );
    card(
        &mut h,
        &metric_card(r, "evaluator.wait_p99_ms", |v| format!("{v:.1} ms")),
        "p99 wait",
    );
    card(
        &mut h,
        &metric_card(r, "evaluations_rejected_share", |v| format!("{:.2} %", v * 100.0)),
        "evaluations rejected",
    );
    h.push_str("</div><h3>Outcomes and sync delay</h3>");
    table(
        &mut h,
        "outcomes",
        &[
            "outcome",
            "connections",
            "share (%)",
            "synced",
            "still waiting at horizon",
            "p50 (time)",
            "p99 (time)",
            "max (time)",
        ],
        r.merged_outcomes().map(|o| {
            vec![
                o.outcome.clone(),
                group(o.count),
                format!("{:.1}", o.share * 100.0),
                group(o.synced),
                group(o.count - o.synced),
                opt(o.p50_s, duration),
                opt(o.p99_s, duration),
                opt(o.max_s, duration),
            ]
        }),
    );
    h.push_str("<h3>Evaluator pools</h3>");
    table(
        &mut h,
        "pools",
        &[
            "pool",
            "arrivals (requests)",
            "rejected (requests)",
            "rejected (%)",
            "utilization (%)",
            "mean queue (requests)",
            "max queue (requests)",
            "p50 wait (ms)",
            "p99 wait (ms)",
            "p99 response (ms)",
        ],
        r.merged_pools().map(|p| {
            vec![
                p.pool.clone(),
                group(p.arrivals),
                group(p.rejected),
                format!("{:.2}", 100.0 * p.rejected as f64 / p.arrivals.max(1) as f64),
                format!("{:.1}", p.utilization * 100.0),
                format!("{:.3}", p.queue_mean),
                group(p.queue_max),
                opt(p.wait_p50_ms, |ms| format!("{ms:.2}")),
                opt(p.wait_p99_ms, |ms| format!("{ms:.2}")),
                opt(p.response_p99_ms, |ms| format!("{ms:.2}")),
            ]
        }),
    );
    h.push_str("</section>\n<section id=\"charts\"><h2>Charts</h2>\n");
    for chart in CHARTS {
        let path = r.dir.join(format!("{}.svg", chart.name));
        let svg = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let _ = writeln!(
            h,
            "<figure id=\"chart-{}\">{}<figcaption>{}</figcaption></figure>",
            chart.name,
            inline_svg(&svg),
            esc(chart.caption)
        );
    }
    if !r.week.is_empty() {
        let path = r.dir.join(format!("{}.svg", crate::report::charts::WEEK_STEM));
        let svg = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let _ = writeln!(
            h,
            "<figure id=\"chart-{}\">{}<figcaption>{}</figcaption></figure>",
            crate::report::charts::WEEK_STEM,
            inline_svg(&svg),
            esc(WEEK_CAPTION)
        );
    }
    if !r.device_modes.is_empty() {
        h.push_str("<h3>Device modes</h3>");
        table(
            &mut h,
            "device-modes",
            &["mode", "devices", "quarantines", "quarantined (mean)"],
            r.device_modes.iter().filter(|m| m.replication == "all").map(|m| {
                vec![
                    m.mode.clone(),
                    group(m.devices),
                    group(m.quarantines),
                    format!("{:.1}", m.quarantined_mean / meta.replications.max(1) as f64),
                ]
            }),
        );
    }
    h.push_str("</section>\n<section id=\"tables\"><h2>Sync delay by policy, cohort and outcome</h2>\n");
    table(
        &mut h,
        "sync-delay",
        &[
            "policy",
            "cohort",
            "outcome",
            "count",
            "synced",
            "mean (time)",
            "p50 (time)",
            "p90 (time)",
            "p99 (time)",
            "p99.9 (time)",
            "max (time)",
        ],
        r.sync_delay.iter().filter(|d| d.replication == "all").map(|d| {
            vec![
                d.policy.clone(),
                d.cohort.clone(),
                d.outcome.clone(),
                group(d.count),
                group(d.synced),
                opt(d.mean_s, duration),
                opt(d.p50_s, duration),
                opt(d.p90_s, duration),
                opt(d.p99_s, duration),
                opt(d.p999_s, duration),
                opt(d.max_s, duration),
            ]
        }),
    );
    h.push_str("<h2>All counts</h2>\n");
    table(
        &mut h,
        "summary",
        &["metric", "value"],
        r.summary
            .iter()
            .filter(|s| s.replication == "all")
            .map(|s| vec![s.metric.clone(), group(s.value)]),
    );
    let _ = writeln!(
        h,
        "</section>\n<footer><p class=\"meta\">Simulated {} events and {} requests in {:.2} s on {} ({} engine). Numbers are the merge of all replications; per-replication values are in the CSV files beside this report.</p></footer>\n</body></html>",
        group(r.run.events),
        group(r.run.requests),
        r.run.wall_s,
        plural(r.run.threads as u64, "thread", "threads"),
        r.run.engine
    );
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::render;

    #[test]
    fn svg_gets_a_view_box_and_loses_its_prologue() {
        let svg = inline_svg(
            "<?xml version=\"1.0\"?>\n<svg width=\"800\" height=\"600\" xmlns=\"http://www.w3.org/2000/svg\"></svg>",
        );
        assert!(svg.starts_with("<svg viewBox=\"0 0 800 600\" width=\"800\""), "{svg}");
    }

    #[test]
    fn report_holds_every_section_chart_and_table() {
        let (dir, _) = crate::output::results::tests::sample("tests/data/small.toml");
        let r = render(dir.path()).unwrap();
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        for id in [
            "scenario",
            "timeline",
            "headline",
            "outcomes",
            "pools",
            "charts",
            "sync-delay",
            "summary",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "missing {id}");
        }
        for chart in CHARTS {
            assert!(
                html.contains(&format!("id=\"chart-{}\"", chart.name)),
                "missing chart {}",
                chart.name
            );
        }
        assert_eq!(html.matches("<svg").count(), CHARTS.len());
        assert!(html.contains(&esc(&r.run.scenario.name)));
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "no network resources"
        );
    }
}
