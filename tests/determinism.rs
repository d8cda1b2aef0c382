//! Same scenario and seed → byte-identical CSVs and `.hgrm` files, whatever
//! the thread count, on either engine.

mod common;
use common::run;

const SCENARIO: &str = include_str!("data/determinism.toml");

const FILES: [&str; 13] = [
    "summary.csv",
    "sync_delay.csv",
    "evaluator.csv",
    "timeseries.csv",
    "outcomes.csv",
    "sync_delay_cdf.csv",
    "timeseries_pools.csv",
    "metrics.csv",
    "replications.csv",
    // The scenario has 3 pools: each pool's wait histogram, and all of them.
    "evaluator_wait_pool0.hgrm",
    "evaluator_wait_pool1.hgrm",
    "evaluator_wait_pool2.hgrm",
    "evaluator_wait_all.hgrm",
];

fn read_all(out: &std::path::Path) -> Vec<Vec<u8>> {
    FILES.iter().map(|f| std::fs::read(out.join(f)).unwrap()).collect()
}

#[test]
fn result_files_are_byte_identical_at_one_and_two_threads() {
    for engine in ["fast", "per-connection"] {
        let one = run(SCENARIO, &["--threads", "1", "--engine", engine]);
        let two = run(SCENARIO, &["--threads", "2", "--engine", engine]);
        let again = run(SCENARIO, &["--threads", "2", "--engine", engine]);
        let (a, b, c) = (read_all(&one.out), read_all(&two.out), read_all(&again.out));
        for (i, f) in FILES.iter().enumerate() {
            assert!(a[i] == b[i], "{engine}: {f} differs between 1 and 2 threads");
            assert!(b[i] == c[i], "{engine}: {f} differs between two runs");
        }
        // The scenario exercises the interesting paths, so the check means something.
        for m in [
            "prompts",
            "readds",
            "activations",
            "evaluations_rejected",
            "outcome_switched",
            "changes_ignored_mdm",
        ] {
            assert!(
                common::metric(&one.out, m) > 0,
                "{engine}: {m} is 0: the scenario no longer exercises it"
            );
        }
    }
}

#[test]
fn another_seed_gives_other_results() {
    for engine in ["fast", "per-connection"] {
        let a = run(SCENARIO, &["--engine", engine]);
        let b = run(SCENARIO, &["--seed", "4", "--engine", engine]);
        assert_ne!(read_all(&a.out)[0], read_all(&b.out)[0], "{engine}");
    }
}
