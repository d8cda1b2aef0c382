//! The HTML report in a real browser: headless Chromium loads report.html
//! from disk (no network) and the rendered page must hold every chart
//! and the main tables. `.ci/run` installs Chromium; on a machine without
//! it the test says so and passes only outside CI.

use std::path::Path;
use std::process::Command;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn headless(browser: &str, profile: &Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Chromium (.ci/run installs it)"
        );
        eprintln!("skipped: no Chromium on this machine (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let status = Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .args(["run", "tests/data/small.toml", "--quiet", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let page = format!("file://{}", out.join("report.html").canonicalize().unwrap().display());

    let dom = headless(browser, &dir.path().join("profile1"))
        .arg("--dump-dom")
        .arg(&page)
        .output()
        .unwrap();
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("small test scenario"), "title missing");
    for chart in [
        "sync_delay_cdf",
        "evaluator_load",
        "evaluator_wait",
        "evaluator_wait_spectrum",
        "outcomes",
    ] {
        let at = dom
            .find(&format!("id=\"chart-{chart}\""))
            .unwrap_or_else(|| panic!("chart {chart} missing"));
        assert!(
            dom[at..].find("<svg").is_some_and(|i| i < 300),
            "chart {chart} has no inline SVG"
        );
    }
    for table in ["timeline", "outcomes", "pools", "sync-delay", "summary"] {
        assert!(dom.contains(&format!("<table id=\"{table}\"")), "table {table} missing");
    }

    let shot = dir.path().join("report.png");
    let status = headless(browser, &dir.path().join("profile2"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,2400")
        .arg(&page)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 50_000,
        "screenshot is {} bytes",
        png.len()
    );
}
