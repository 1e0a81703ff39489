//! `rasd check-config`: the shipped config loads; broken ones are refused with the file,
//! the line and a fix.

use std::path::Path;

use super::util::{copy_config, rasd, rasd_ok, shipped_config, stderr, stdout};

/// Appends `text` to the file at `path`; returns the number of its last line.
fn append(path: &Path, text: &str) -> usize {
    let mut all = std::fs::read_to_string(path).unwrap();
    all.push_str(text);
    std::fs::write(path, &all).unwrap();
    all.lines().count()
}

/// `rasd ARGS`, which must fail; its standard error.
fn refused(args: &[&str]) -> String {
    let out = rasd().args(args).output().unwrap();
    assert!(!out.status.success(), "rasd {args:?} should have failed");
    stderr(&out)
}

#[test]
fn shipped_config_is_valid() {
    let out = rasd_ok(&["check-config", shipped_config().to_str().unwrap()]);
    let text = stdout(&out);
    assert!(text.contains("ok"), "{text}");
    assert!(text.contains("27 topics"), "{text}");
    // The shipped rules e-mail, but mail is off: their alerts are only recorded. Said.
    assert!(
        text.contains("note: 4 alert rules send e-mail but [mail] enabled = false"),
        "{text}"
    );
}

#[test]
fn mail_needs_recipients_for_its_rules() {
    let dir = tempfile::tempdir().unwrap();
    copy_config(&shipped_config(), dir.path());
    let mail = "[mail]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nfrom = \"rasd@example.jo\"\nto = [\"office@example.jo\"]\n";
    std::fs::write(dir.path().join("rasd.toml"), mail).unwrap();
    // Mail on, rules that e-mail, nobody to mail them to: refused, rule by rule.
    let err = refused(&["check-config", dir.path().to_str().unwrap()]);
    assert!(
        err.contains("rule \"serious-incident\" sends e-mail but names no recipients"),
        "{err}"
    );
    std::fs::write(
        dir.path().join("rasd.toml"),
        format!("{mail}\n[alerts]\nrecipients = [\"leader@example.jo\"]\n"),
    )
    .unwrap();
    let out = rasd_ok(&["check-config", dir.path().to_str().unwrap()]);
    let text = stdout(&out);
    // Alerts and the digest are mailed: nothing to warn about.
    assert!(text.contains("ok"), "{text}");
    assert!(!text.contains("note:"), "{text}");
}

#[test]
fn unknown_key_is_refused_with_file_line_and_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    copy_config(&shipped_config(), dir.path());
    let bad_line = append(
        &dir.path().join("sources.toml"),
        "\n[[source]]\nid = \"broken\"\nname = \"Broken\"\nkind = \"feed\"\nurl = \"https://example.jo/rss\"\nintervall = \"5m\"\n",
    );

    let err = refused(&["check-config", dir.path().to_str().unwrap()]);
    assert!(err.contains(&format!("sources.toml:{bad_line}:")), "{err}");
    assert!(err.contains("did you mean `interval`"), "{err}");
}

#[test]
fn bad_values_and_duplicates_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    copy_config(&shipped_config(), dir.path());
    std::fs::write(
        dir.path().join("rasd.toml"),
        "[schedule]\ndefault_interval = \"every 5 minutes\"\n",
    )
    .unwrap();
    append(
        &dir.path().join("alerts.toml"),
        "\n[[rule]]\nid = \"serious-incident\"\nname = \"Again\"\n",
    );

    // A broken config stops start-up.
    let err = refused(&["--config", dir.path().to_str().unwrap(), "status"]);
    assert!(err.contains("rasd.toml:2:"), "{err}");
    assert!(err.contains("\"15m\""), "{err}");
    assert!(err.contains("alerts.toml:"), "{err}");
    assert!(
        err.contains("duplicate rule id \"serious-incident\""),
        "{err}"
    );
}

#[test]
fn missing_config_folder_says_what_to_pass() {
    let err = refused(&["--config", "/nonexistent/rasd-config", "status"]);
    assert!(err.contains("--config"), "{err}");
}

#[test]
fn every_problem_of_every_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    copy_config(&shipped_config(), dir.path());
    std::fs::write(
        dir.path().join("rasd.toml"),
        "[fetch]\nuser_agent = \"Rasd\\r\\nX-Injected: 1\"\nmax_body_bytes = 0\ntimeout = \"1000d\"\n",
    )
    .unwrap();
    let typo_line = append(
        &dir.path().join("sources.toml"),
        "\n[[source]]\nid = \"local-files\"\nname = \"Files\"\nkind = \"site\"\nurl = \"file:///var/news/\"\n\
         \n[[source]]\nid = \"typo\"\nname = \"Typo\"\nkind = \"feed\"\nurl = \"https://example.jo/rss\"\nintervall = \"5m\"\n",
    );
    let file_line = typo_line - 7;
    let rule_line = append(
        &dir.path().join("alerts.toml"),
        "\n[[rule]]\nid = \"three\"\nname = \"Three\"\ntopics = [\"theft\"]\nmin_items = \"three\"\n",
    );

    let err = refused(&["check-config", dir.path().to_str().unwrap()]);
    assert!(err.contains("6 problems in the config"), "{err}");
    for (place, what) in [
        ("rasd.toml:2:".to_string(), "HTTP header"),
        ("rasd.toml:3:".to_string(), "from 1024"),
        ("rasd.toml:4:".to_string(), "at most \"10m\""),
        (format!("sources.toml:{file_line}:"), "file://"),
        (
            format!("sources.toml:{typo_line}:"),
            "did you mean `interval`",
        ),
        (format!("alerts.toml:{rule_line}:"), "whole number"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(&place))
            .unwrap_or_else(|| panic!("no problem at {place}: {err}"));
        assert!(line.contains(what), "{line}");
    }
}

#[cfg(unix)]
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    // The reading end is closed before rasd writes, as `rasd … | head -1` does once head
    // has its line.
    let mut child = rasd()
        .args([
            "--config",
            shipped_config().to_str().unwrap(),
            "sources",
            "export",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{}: {err}", out.status);
}
