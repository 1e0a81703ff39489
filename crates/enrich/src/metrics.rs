//! Scores of a classifier against gold labels: per-class precision, recall and F1, a
//! confusion matrix, accuracy and macro-F1, printed as `rasd eval topics|sentiment` shows
//! them.
//!
//! [`SingleLabel`] is for one label per item (sentiment): the confusion matrix is gold
//! class by predicted class. [`MultiLabel`] is for any number of labels per item (topics):
//! each class is scored as its own yes/no question, accuracy is the share of items whose
//! predicted set equals the gold set exactly, and the matrix counts, for each gold label
//! (or `(none)`), the items that got each predicted label (or `(none)`).

use std::fmt::Write as _;

/// Counts of one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassCounts {
    /// Predicted and gold.
    pub tp: u64,
    /// Predicted, not gold.
    pub fp: u64,
    /// Gold, not predicted.
    pub fn_: u64,
}

impl ClassCounts {
    /// tp / (tp + fp); 0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    /// tp / (tp + fn); 0 when nothing is gold.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }

    /// Number of gold items.
    pub fn support(&self) -> u64 {
        self.tp + self.fn_
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The label of "no class" in the multi-label matrix.
pub const NONE_LABEL: &str = "(none)";

/// Scores for single-label classification.
#[derive(Debug, Clone)]
pub struct SingleLabel {
    classes: Vec<String>,
    /// `matrix[gold][predicted]`.
    matrix: Vec<Vec<u64>>,
}

impl SingleLabel {
    /// An empty tally over `classes`.
    pub fn new(classes: &[&str]) -> SingleLabel {
        SingleLabel {
            classes: classes.iter().map(|c| c.to_string()).collect(),
            matrix: vec![vec![0; classes.len()]; classes.len()],
        }
    }

    /// Counts one item; a class not given to [`SingleLabel::new`] is ignored.
    pub fn add(&mut self, gold: &str, predicted: &str) {
        let g = self.classes.iter().position(|c| c == gold);
        let p = self.classes.iter().position(|c| c == predicted);
        if let (Some(g), Some(p)) = (g, p) {
            self.matrix[g][p] += 1;
        }
    }

    /// Items counted.
    pub fn total(&self) -> u64 {
        self.matrix.iter().flatten().sum()
    }

    /// Per-class counts, in class order.
    pub fn counts(&self) -> Vec<ClassCounts> {
        (0..self.classes.len())
            .map(|c| ClassCounts {
                tp: self.matrix[c][c],
                fp: (0..self.classes.len())
                    .filter(|&g| g != c)
                    .map(|g| self.matrix[g][c])
                    .sum(),
                fn_: (0..self.classes.len())
                    .filter(|&p| p != c)
                    .map(|p| self.matrix[c][p])
                    .sum(),
            })
            .collect()
    }

    /// Share of items predicted right.
    pub fn accuracy(&self) -> f64 {
        ratio(
            (0..self.classes.len()).map(|c| self.matrix[c][c]).sum(),
            self.total(),
        )
    }

    /// Mean F1 over the classes that have gold items.
    pub fn macro_f1(&self) -> f64 {
        macro_f1(&self.counts())
    }

    /// The report: per-class table, confusion matrix, then `accuracy=… macro_f1=…` last.
    pub fn report(&self) -> String {
        let mut out = class_table(&self.classes, &self.counts());
        let rows: Vec<(String, Vec<u64>)> = self
            .classes
            .iter()
            .cloned()
            .zip(self.matrix.iter().cloned())
            .collect();
        out.push_str(&matrix_table(&self.classes, &rows));
        let _ = writeln!(
            out,
            "items={}\naccuracy={:.4} macro_f1={:.4}",
            self.total(),
            self.accuracy(),
            self.macro_f1()
        );
        out
    }
}

/// Scores for multi-label classification.
#[derive(Debug, Clone)]
pub struct MultiLabel {
    classes: Vec<String>,
    counts: Vec<ClassCounts>,
    /// Rows: gold classes then `(none)`; columns: predicted classes then `(none)`.
    matrix: Vec<Vec<u64>>,
    exact: u64,
    total: u64,
}

impl MultiLabel {
    /// An empty tally over `classes`.
    pub fn new(classes: &[String]) -> MultiLabel {
        let n = classes.len() + 1;
        MultiLabel {
            classes: classes.to_vec(),
            counts: vec![ClassCounts::default(); classes.len()],
            matrix: vec![vec![0; n]; n],
            exact: 0,
            total: 0,
        }
    }

    /// Counts one item. Labels not given to [`MultiLabel::new`] are ignored.
    pub fn add(&mut self, gold: &[String], predicted: &[String]) {
        let index = |labels: &[String]| -> Vec<usize> {
            let mut v: Vec<usize> = labels
                .iter()
                .filter_map(|l| self.classes.iter().position(|c| c == l))
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let (g, p) = (index(gold), index(predicted));
        for c in 0..self.classes.len() {
            match (g.contains(&c), p.contains(&c)) {
                (true, true) => self.counts[c].tp += 1,
                (false, true) => self.counts[c].fp += 1,
                (true, false) => self.counts[c].fn_ += 1,
                (false, false) => {}
            }
        }
        let none = self.classes.len();
        let rows = if g.is_empty() { vec![none] } else { g.clone() };
        let cols = if p.is_empty() { vec![none] } else { p.clone() };
        for &r in &rows {
            for &c in &cols {
                self.matrix[r][c] += 1;
            }
        }
        self.exact += u64::from(g == p);
        self.total += 1;
    }

    /// Per-class counts, in class order.
    pub fn counts(&self) -> &[ClassCounts] {
        &self.counts
    }

    /// Share of items whose predicted set is exactly the gold set.
    pub fn accuracy(&self) -> f64 {
        ratio(self.exact, self.total)
    }

    /// Mean F1 over the classes that have gold items.
    pub fn macro_f1(&self) -> f64 {
        macro_f1(&self.counts)
    }

    /// F1 of all classes' counts pooled.
    pub fn micro_f1(&self) -> f64 {
        let pooled = self
            .counts
            .iter()
            .fold(ClassCounts::default(), |a, c| ClassCounts {
                tp: a.tp + c.tp,
                fp: a.fp + c.fp,
                fn_: a.fn_ + c.fn_,
            });
        pooled.f1()
    }

    /// The report: per-class table, gold-by-predicted matrix, then `accuracy=… macro_f1=…`.
    pub fn report(&self) -> String {
        let mut out = class_table(&self.classes, &self.counts);
        let mut labels = self.classes.clone();
        labels.push(NONE_LABEL.to_string());
        let rows: Vec<(String, Vec<u64>)> = labels
            .iter()
            .cloned()
            .zip(self.matrix.iter().cloned())
            .collect();
        out.push_str(&matrix_table(&labels, &rows));
        let _ = writeln!(
            out,
            "items={} micro_f1={:.4}\naccuracy={:.4} macro_f1={:.4}",
            self.total,
            self.micro_f1(),
            self.accuracy(),
            self.macro_f1()
        );
        out
    }
}

fn macro_f1(counts: &[ClassCounts]) -> f64 {
    let with_gold: Vec<f64> = counts
        .iter()
        .filter(|c| c.support() > 0)
        .map(ClassCounts::f1)
        .collect();
    if with_gold.is_empty() {
        0.0
    } else {
        with_gold.iter().sum::<f64>() / with_gold.len() as f64
    }
}

fn class_table(classes: &[String], counts: &[ClassCounts]) -> String {
    let width = classes.iter().map(String::len).max().unwrap_or(5).max(5);
    let mut out = format!("{:<width$}  precision  recall     f1  support\n", "class");
    for (c, k) in classes.iter().zip(counts) {
        let _ = writeln!(
            out,
            "{c:<width$}  {:>9.4}  {:>6.4}  {:>5.4}  {:>7}",
            k.precision(),
            k.recall(),
            k.f1(),
            k.support()
        );
    }
    out
}

/// A matrix with rows = gold and columns = predicted, columns headed by their index.
fn matrix_table(labels: &[String], rows: &[(String, Vec<u64>)]) -> String {
    let width = labels.iter().map(String::len).max().unwrap_or(5).max(5);
    let cell = rows
        .iter()
        .flat_map(|r| &r.1)
        .map(|v| v.to_string().len())
        .max()
        .unwrap_or(1)
        .max(3);
    let mut out = String::from("\nconfusion matrix (rows: gold, columns: predicted)\n");
    let _ = write!(out, "{:<width$}   ", "");
    for i in 0..labels.len() {
        let _ = write!(out, " {:>cell$}", format!("#{i}"));
    }
    out.push('\n');
    for (i, (label, row)) in rows.iter().enumerate() {
        let _ = write!(out, "{:<width$} #{i:<2}", label);
        for v in row {
            let _ = write!(out, " {v:>cell$}");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(labels: &[&str]) -> Vec<String> {
        labels.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn single_label_scores_and_report() {
        let mut m = SingleLabel::new(&["positive", "negative", "neutral"]);
        for (g, p) in [
            ("positive", "positive"),
            ("positive", "negative"),
            ("negative", "negative"),
            ("negative", "negative"),
            ("neutral", "positive"),
            ("unknown", "positive"),
        ] {
            m.add(g, p);
        }
        assert_eq!(m.total(), 5);
        assert!((m.accuracy() - 0.6).abs() < 1e-9);
        let c = m.counts();
        assert_eq!((c[0].tp, c[0].fp, c[0].fn_), (1, 1, 1));
        assert!((c[1].precision() - 2.0 / 3.0).abs() < 1e-9);
        // F1: positive 0.5, negative 0.8, neutral 0.
        assert!((m.macro_f1() - 1.3 / 3.0).abs() < 1e-9);
        let report = m.report();
        assert!(
            report
                .lines()
                .last()
                .unwrap()
                .starts_with("accuracy=0.6000 macro_f1=0.4333")
        );
        assert!(report.contains("confusion matrix"));
    }

    #[test]
    fn multi_label_counts_each_class_and_exact_sets() {
        let classes = v(&["theft", "drugs", "homicide"]);
        let mut m = MultiLabel::new(&classes);
        m.add(&v(&["theft"]), &v(&["theft"]));
        m.add(&v(&["theft", "drugs"]), &v(&["drugs"]));
        m.add(&v(&[]), &v(&[]));
        m.add(&v(&[]), &v(&["homicide"]));
        assert!((m.accuracy() - 0.5).abs() < 1e-9);
        let c = m.counts();
        assert_eq!((c[0].tp, c[0].fp, c[0].fn_), (1, 0, 1));
        assert_eq!((c[1].tp, c[1].fp, c[1].fn_), (1, 0, 0));
        assert_eq!((c[2].tp, c[2].fp, c[2].fn_), (0, 1, 0));
        // homicide has no gold items: left out of the macro mean.
        assert!((m.macro_f1() - (2.0 / 3.0 + 1.0) / 2.0).abs() < 1e-9);
        let report = m.report();
        assert!(report.contains("(none)"));
        assert!(
            report
                .trim_end()
                .lines()
                .last()
                .unwrap()
                .starts_with("accuracy=0.5000")
        );
    }

    #[test]
    fn empty_tallies_do_not_divide_by_zero() {
        assert_eq!(SingleLabel::new(&["a"]).accuracy(), 0.0);
        let m = MultiLabel::new(&[]);
        assert_eq!((m.accuracy(), m.macro_f1(), m.micro_f1()), (0.0, 0.0, 0.0));
    }
}
