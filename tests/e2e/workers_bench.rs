//! `rasd bench workers` in its short form: a few loopback sources with a short latency, a
//! small queue, one run per worker count. Every item is queued and stored in every run, and
//! the last line gives the figures.

use super::util::{rasd_ok, shipped_config, stdout};

#[test]
fn the_workers_bench_stores_every_item_and_ends_with_the_figures_line() {
    let Some(pg) = rasd_store::testing::require_pg("workers bench e2e") else {
        return;
    };
    let cfg = shipped_config();
    let out = rasd_ok(&[
        "--config",
        cfg.to_str().unwrap(),
        "bench",
        "workers",
        "--sources",
        "6",
        "--items",
        "4",
        "--latency-ms",
        "50",
        "--concurrency",
        "2",
        "--queue",
        "150",
        "--runs",
        "1",
        "--url",
        &pg,
    ]);
    let text = stdout(&out);
    assert!(
        text.contains(
            "every fetch run queued all 24 items of the 6 sources; every process run stored all \
             150 queued items and emptied the queue (3 runs of each)"
        ),
        "{text}"
    );
    let last = text.lines().last().unwrap();
    let mut fields = last.split(' ');
    assert_eq!(fields.next(), Some("workers_bench"), "{last}");
    let (names, values): (Vec<&str>, Vec<f64>) = fields
        .map(|f| {
            let (k, v) = f.split_once('=').unwrap();
            (k, v.parse::<f64>().unwrap())
        })
        .unzip();
    assert_eq!(
        names,
        [
            "fetch_1",
            "fetch_2",
            "fetch_3",
            "fetch_ratio_3",
            "process_1",
            "process_2",
            "process_3",
            "process_ratio_3"
        ],
        "{last}"
    );
    assert!(values.iter().all(|v| v.is_finite() && *v > 0.0), "{last}");
    for phase in ["fetch ", "process "] {
        assert_eq!(
            text.lines().filter(|l| l.starts_with(phase)).count(),
            3,
            "{text}"
        );
    }
}
