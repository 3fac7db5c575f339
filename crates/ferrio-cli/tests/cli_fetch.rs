//! `ferrio fetch` end to end: the built binary against `ferrio serve-mock`
//! on 127.0.0.1. Real clock: these tests assert counts, contents and exit
//! codes, never durations; every wait is bounded and children die with
//! their test.

mod support;

use std::collections::HashSet;

use support::cli::{jsonl, run, start, wait_until, Scratch};
use support::mock_process::MockProcess;

fn server() -> MockProcess {
    MockProcess::start(&[])
}

#[test]
fn help_has_examples_and_exit_codes() {
    let out = run(&["fetch", "--help"]);
    assert_eq!(out.code, Some(0));
    assert!(out.stdout.contains("Examples:"), "{}", out.stdout);
    assert!(out
        .stdout
        .contains("--url-template 'http://127.0.0.1:8080/item/{1..200}'"));
    assert!(out.stdout.contains("130 interrupted"));
}

#[test]
fn usage_errors_exit_2_without_a_panic() {
    let dir = Scratch::new("usage");
    let missing = dir.path("missing.txt");
    let missing = missing.to_str().unwrap();
    let t = "http://127.0.0.1:9/item/{1..3}";
    for (args, says) in [
        (vec!["fetch"], "required"),
        (
            vec!["fetch", "urls.txt", "--url-template", t],
            "cannot be used with",
        ),
        (vec!["fetch", missing], "cannot read"),
        (vec!["fetch", "--url-template", "http://h/item"], "no range"),
        (
            vec!["fetch", "--url-template", t, "-H", "NoColon"],
            "-H 'NoColon'",
        ),
        (
            vec!["fetch", "--url-template", t, "--shard", "0/4"],
            "1 <= K <= N",
        ),
        (
            vec!["fetch", "--url-template", t, "--shard", "5/4"],
            "1 <= K <= N",
        ),
        (
            vec!["fetch", "--url-template", t, "--rate", "fast"],
            "not a rate",
        ),
        (
            vec!["fetch", "--url-template", t, "--timeout", "soon"],
            "not a duration",
        ),
        (
            vec!["fetch", "--url-template", t, "-c", "0"],
            "--concurrency",
        ),
        (
            vec!["fetch", "--url-template", t, "--per-host", "0"],
            "--per-host",
        ),
        (
            vec!["fetch", "--url-template", t, "--breaker", "0"],
            "--breaker",
        ),
        (
            vec!["fetch", "--url-template", t, "-X", "GE T"],
            "not an HTTP method",
        ),
        (
            vec!["fetch", "--url-template", t, "--resume", missing],
            "cannot read",
        ),
        (
            vec!["fetch", "--url-template", t, "--data", "@/nonexistent/body"],
            "cannot read",
        ),
    ] {
        let out = run(&args);
        out.no_panic();
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn a_template_all_ok_exits_0_with_a_summary() {
    let s = server();
    let template = s.url("/item/{1..50}");
    let out = run(&["fetch", "--url-template", &template, "-c", "8"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .starts_with("50 URLs: 50 ok, 0 failed, 0 skipped by breaker\n"),
        "{}",
        out.stdout
    );
    for part in [
        "latency: p50",
        "p90",
        "p99",
        "max",
        "URLs/s",
        "retries: 0",
        "opened",
        "reused",
    ] {
        assert!(out.stdout.contains(part), "{part}: {}", out.stdout);
    }
    // No progress bar when stderr is not a terminal.
    assert_eq!(out.stderr, "");
    assert_eq!(s.requests(), 50);
    assert!(s.connections() <= 8);
}

#[test]
fn json_summary_and_jsonl_results() {
    let s = server();
    let dir = Scratch::new("jsonl");
    let list = dir.write(
        "urls.txt",
        &format!(
            "# three good, two bad\n{}\n{}\n\n{}\n{}\n{}\n",
            s.url("/item/1"),
            s.url("/gzip/2"),
            s.url("/deflate/3"),
            s.url("/status/404"),
            s.url("/redirect/9"),
        ),
    );
    let output = dir.path("results.jsonl");
    let out = run(&[
        "fetch",
        list.to_str().unwrap(),
        "--json",
        "--output",
        output.to_str().unwrap(),
        "--max-redirects",
        "3",
    ]);
    assert_eq!(out.code, Some(1), "{out:?}");
    let summary = out.json();
    assert_eq!(
        (
            summary["total"].as_u64(),
            summary["ok"].as_u64(),
            summary["failed"].as_u64()
        ),
        (Some(5), Some(3), Some(2))
    );
    let reasons: HashSet<_> = summary["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["reason"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        reasons,
        HashSet::from(["HTTP 404".to_string(), "too_many_redirects".to_string()])
    );
    let lines = jsonl(&output);
    assert_eq!(lines.len(), 5);
    for line in &lines {
        for key in [
            "url",
            "outcome",
            "status",
            "bytes",
            "elapsed_ms",
            "attempts",
            "reused",
            "error",
        ] {
            assert!(line.get(key).is_some(), "{key} in {line}");
        }
    }
    let by_url = |path: &str| {
        lines
            .iter()
            .find(|l| l["url"].as_str().unwrap().ends_with(path))
            .unwrap()
            .clone()
    };
    assert_eq!(by_url("/item/1")["outcome"], "ok");
    assert_eq!(
        by_url("/gzip/2")["bytes"],
        r#"{"id":2,"name":"item 2"}"#.len()
    );
    assert_eq!(by_url("/deflate/3")["status"], 200);
    assert_eq!(by_url("/status/404")["error"]["kind"], "http_status");
    assert_eq!(by_url("/redirect/9")["error"]["kind"], "too_many_redirects");
}

#[test]
fn a_malformed_list_reports_line_numbers_and_fetches_the_rest() {
    let s = server();
    let dir = Scratch::new("malformed");
    let list = dir.write(
        "urls.txt",
        &format!(
            "{}\nnot a url\n{}\nftp://x/y\n",
            s.url("/item/1"),
            s.url("/item/2")
        ),
    );
    let output = dir.path("r.jsonl");
    let out = run(&[
        "fetch",
        list.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    out.no_panic();
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("line 2:"), "{}", out.stderr);
    assert!(out.stderr.contains("line 4:"), "{}", out.stderr);
    assert!(
        out.stdout.starts_with("4 URLs: 2 ok, 2 failed"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("malformed_url"));
    assert_eq!(s.requests(), 2);
    let lines = jsonl(&output);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["error"]["kind"] == "malformed_url")
            .count(),
        2
    );
}

#[test]
fn urls_from_stdin_with_method_headers_data_and_save_dir() {
    let s = server();
    let dir = Scratch::new("stdin");
    let bodies = dir.path("bodies");
    let urls = format!("{}\n", s.url("/echo"));
    let out = start(
        &[
            "fetch",
            "-",
            "-X",
            "PATCH",
            "-H",
            "X-One: 1",
            "-H",
            "X-Two: 2",
            "--data",
            "hello",
            "--save-dir",
            bodies.to_str().unwrap(),
        ],
        Some(&urls),
    )
    .finish();
    assert_eq!(out.code, Some(0), "{out:?}");
    let saved: Vec<_> = std::fs::read_dir(&bodies)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1);
    let name = saved[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("127.0.0.1_") && name.ends_with(".body"),
        "{name}"
    );
    let echo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&saved[0]).unwrap()).unwrap();
    assert_eq!(echo["method"], "PATCH");
    assert_eq!(echo["body"], "hello");
    assert_eq!(echo["headers"]["x-one"], "1");
    assert_eq!(echo["headers"]["x-two"], "2");
}

#[test]
fn resets_and_hangs_fail_with_their_kinds() {
    let s = server();
    let dir = Scratch::new("reset");
    let list = dir.write(
        "urls.txt",
        &format!(
            "{}\n{}\n{}\n",
            s.url("/reset"),
            s.url("/hang"),
            s.url("/item/1")
        ),
    );
    let output = dir.path("r.jsonl");
    let out = run(&[
        "fetch",
        list.to_str().unwrap(),
        "--timeout",
        "300ms",
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(1), "{out:?}");
    let lines = jsonl(&output);
    let kind = |p: &str| {
        lines
            .iter()
            .find(|l| l["url"].as_str().unwrap().ends_with(p))
            .unwrap()["error"]["kind"]
            .clone()
    };
    assert_eq!(kind("/reset"), "connection_reset");
    assert_eq!(kind("/hang"), "timeout");
    assert_eq!(kind("/item/1"), serde_json::Value::Null);
}

#[test]
fn retry_after_429_is_retried_and_counted() {
    let s = server();
    let dir = Scratch::new("429");
    let output = dir.path("r.jsonl");
    let list = dir.write(
        "urls.txt",
        &format!("{}\n{}\n", s.url("/status/429"), s.url("/flaky/2/7")),
    );
    let out = run(&[
        "fetch",
        list.to_str().unwrap(),
        "--retries",
        "2",
        "--backoff",
        "1ms",
        "--seed",
        "3",
        "-o",
        output.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.code, Some(1), "{out:?}");
    let lines = jsonl(&output);
    let get = |p: &str| {
        lines
            .iter()
            .find(|l| l["url"].as_str().unwrap().ends_with(p))
            .unwrap()
            .clone()
    };
    assert_eq!(get("/status/429")["attempts"], 3);
    assert_eq!(get("/status/429")["status"], 429);
    assert_eq!(get("/flaky/2/7")["attempts"], 3);
    assert_eq!(get("/flaky/2/7")["outcome"], "ok");
    assert_eq!(out.json()["retries"], 4);
    assert_eq!(s.route("status"), 3);
}

#[test]
fn the_breaker_skips_a_host_after_n_failures() {
    let s = server();
    let dir = Scratch::new("breaker");
    let output = dir.path("r.jsonl");
    let template = s.url("/status/{500..509}");
    let out = run(&[
        "fetch",
        "--url-template",
        &template,
        "-c",
        "1",
        "--breaker",
        "3",
        "--breaker-cooldown",
        "1m",
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout
            .starts_with("10 URLs: 0 ok, 3 failed, 7 skipped by breaker"),
        "{}",
        out.stdout
    );
    assert_eq!(s.requests(), 3);
    let lines = jsonl(&output);
    // In order: the three failures, then every skip.
    let outcomes: Vec<_> = lines
        .iter()
        .map(|l| l["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(outcomes[..3], ["failed", "failed", "failed"]);
    assert!(outcomes[3..].iter().all(|o| o == "skipped"));
    assert!(lines[3..]
        .iter()
        .all(|l| l["error"]["kind"] == "breaker_open"));
}

#[test]
fn rate_and_per_host_limits_still_fetch_everything() {
    let s = server();
    let template = s.url("/item/{1..12}");
    let out = run(&[
        "fetch",
        "--url-template",
        &template,
        "--rate",
        "40/s",
        "--per-host",
        "2",
        "--json",
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.json()["ok"], 12);
    assert_eq!(s.requests(), 12);
    // At most two in flight to the one host: at most two connections.
    assert!(s.connections() <= 2);
}

#[test]
fn resume_fetches_only_what_is_not_done_and_appends() {
    let s = server();
    let dir = Scratch::new("resume");
    let results = dir.path("r.jsonl");
    // Items 1..6 ok, flaky ones fail the first time (503 once).
    let list = dir.write(
        "urls.txt",
        &(1..=6)
            .map(|i| s.url(&format!("/item/{i}")))
            .chain((1..=3).map(|i| s.url(&format!("/flaky/1/{i}"))))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let list = list.to_str().unwrap();
    let first = run(&["fetch", list, "-o", results.to_str().unwrap()]);
    assert_eq!(first.code, Some(1));
    assert_eq!(s.requests(), 9);
    let second = run(&[
        "fetch",
        list,
        "--resume",
        results.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(second.code, Some(0), "{second:?}");
    assert!(
        second.stderr.contains("6 URLs already fetched ok"),
        "{}",
        second.stderr
    );
    assert_eq!(second.json()["total"], 3);
    assert_eq!(s.requests(), 12, "only the three failures again");
    let lines = jsonl(&results);
    assert_eq!(lines.len(), 12, "appended to the resume file");
    let ok: HashSet<_> = lines
        .iter()
        .filter(|l| l["outcome"] == "ok")
        .map(|l| l["url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ok.len(), 9);
    // Nothing left: a third run fetches nothing and succeeds.
    let third = run(&[
        "fetch",
        list,
        "--resume",
        results.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        (third.code, third.json()["total"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn shards_split_the_input_exactly() {
    let s = server();
    let dir = Scratch::new("shard");
    let template = s.url("/item/{1..60}");
    let mut seen = Vec::new();
    for k in 1..=3 {
        let output = dir.path(&format!("part{k}.jsonl"));
        let shard = format!("{k}/3");
        let out = run(&[
            "fetch",
            "--url-template",
            &template,
            "--shard",
            &shard,
            "-o",
            output.to_str().unwrap(),
        ]);
        assert_eq!(out.code, Some(0), "{out:?}");
        let urls: Vec<String> = jsonl(&output)
            .iter()
            .map(|l| l["url"].as_str().unwrap().to_string())
            .collect();
        assert!(
            !urls.is_empty() && urls.len() < 60,
            "shard {k}: {}",
            urls.len()
        );
        seen.extend(urls);
    }
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(
        (seen.len(), unique.len()),
        (60, 60),
        "every URL in exactly one shard"
    );
    assert_eq!(s.requests(), 60);
}

#[test]
fn ctrl_c_writes_what_finished_and_exits_130() {
    let s = server();
    let dir = Scratch::new("sigint");
    let output = dir.path("r.jsonl");
    let mut lines: Vec<String> = (1..=3).map(|i| s.url(&format!("/item/{i}"))).collect();
    lines.extend((0..50).map(|_| s.url("/hang")));
    let list = dir.write("urls.txt", &lines.join("\n"));
    let child = start(
        &[
            "fetch",
            list.to_str().unwrap(),
            "-c",
            "5",
            "--grace",
            "200ms",
            "-o",
            output.to_str().unwrap(),
        ],
        None,
    );
    // Three items done, and every slot holding a hang: interrupt.
    wait_until("three results", || jsonl(&output).len() >= 3);
    wait_until("five hangs in flight", || s.route("hang") == 5);
    child.interrupt();
    let out = child.finish();
    out.no_panic();
    assert_eq!(out.code, Some(130), "{out:?}");
    assert!(out.stdout.contains("(interrupted)"), "{}", out.stdout);
    let results = jsonl(&output);
    assert_eq!(results.iter().filter(|l| l["outcome"] == "ok").count(), 3);
    let cancelled = results
        .iter()
        .filter(|l| l["outcome"] == "cancelled")
        .count();
    assert_eq!(
        cancelled as u64,
        s.route("hang"),
        "each hang launched is recorded cancelled"
    );
    assert!(results.len() < 53, "nothing launched after Ctrl-C");
}

#[test]
fn ten_thousand_urls_at_concurrency_200_without_an_error() {
    let s = server();
    let template = s.url("/item/{1..10000}");
    let out = run(&["fetch", "--url-template", &template, "-c", "200", "--json"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let summary = out.json();
    assert_eq!(
        (summary["ok"].as_u64(), summary["failed"].as_u64()),
        (Some(10_000), Some(0))
    );
    assert_eq!(s.requests(), 10_000);
    let c = &summary["connections"];
    assert_eq!(
        c["opened"].as_u64().unwrap() + c["reused"].as_u64().unwrap(),
        10_000
    );
    assert!(c["opened"].as_u64().unwrap() <= 200 + 10);
}

#[test]
fn a_slow_stdin_does_not_hold_back_the_requests_in_flight() {
    let s = server();
    let dir = Scratch::new("slow-stdin");
    let output = dir.path("r.jsonl");
    let mut child = start(
        &["fetch", "-", "-c", "4", "-o", output.to_str().unwrap()],
        Some(""),
    );
    let urls: String = (1..=3)
        .map(|i| s.url(&format!("/item/{i}")) + "\n")
        .collect();
    child.feed(&urls);
    // The source is still open (it may send more): the three finish anyway.
    wait_until("three results while stdin is open", || {
        jsonl(&output).len() == 3
    });
    assert!(!child.has_exited());
    child.feed(&(s.url("/item/4") + "\n"));
    child.close_stdin();
    let out = child.finish();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(jsonl(&output).len(), 4);
    assert!(out.stdout.starts_with("4 URLs: 4 ok"), "{}", out.stdout);
}

#[test]
fn connect_timeout_and_data_from_a_file() {
    let dir = Scratch::new("connect");
    if let Some((_socket, _held, addr)) = support::full_listener() {
        let output = dir.path("r.jsonl");
        let url = format!("http://{addr}/item/1");
        let out = run(&[
            "fetch",
            "--url-template",
            &(url + "?{1..2}"),
            "--connect-timeout",
            "200ms",
            "-o",
            output.to_str().unwrap(),
        ]);
        assert_eq!(out.code, Some(1), "{out:?}");
        let lines = jsonl(&output);
        assert_eq!(lines.len(), 2);
        assert!(
            lines
                .iter()
                .all(|l| l["error"]["kind"] == "connect_timeout"),
            "{lines:?}"
        );
    } else {
        eprintln!(
            "this system completes connections past the backlog: connect timeout not checked"
        );
    }
    let s = server();
    let body = dir.write("body.json", "{\"from\":\"file\"}");
    let data = format!("@{}", body.display());
    let save = dir.path("saved");
    let out = run(&[
        "fetch",
        "--url-template",
        &s.url("/echo?{1..1}"),
        "--data",
        &data,
        "--save-dir",
        save.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let saved = std::fs::read_dir(&save)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let echo: serde_json::Value = serde_json::from_slice(&std::fs::read(saved).unwrap()).unwrap();
    assert_eq!(
        (echo["method"].as_str(), echo["body"].as_str()),
        (Some("POST"), Some("{\"from\":\"file\"}"))
    );
}

#[test]
fn a_second_ctrl_c_quits_at_once() {
    let s = server();
    let dir = Scratch::new("sigint2");
    let output = dir.path("r.jsonl");
    let list = dir.write(
        "urls.txt",
        &format!("{}\n{}\n", s.url("/item/1"), s.url("/hang")),
    );
    let child = start(
        &[
            "fetch",
            list.to_str().unwrap(),
            "--grace",
            "10m",
            "-o",
            output.to_str().unwrap(),
        ],
        None,
    );
    wait_until("the item done and the hang in flight", || {
        jsonl(&output).len() == 1 && s.route("hang") == 1
    });
    child.interrupt();
    wait_until("the first Ctrl-C noticed", || {
        child.stderr_so_far().contains("Ctrl-C again")
    });
    // The grace is ten minutes: only the second Ctrl-C ends it now.
    child.interrupt();
    let out = child.finish();
    out.no_panic();
    assert_eq!(out.code, Some(130), "{out:?}");
    assert!(out.stderr.contains("interrupted twice"), "{}", out.stderr);
    assert_eq!(jsonl(&output).len(), 1, "what finished is on disk");
}

#[test]
fn a_progress_bar_is_drawn_when_stderr_is_a_terminal() {
    // script(1) gives the child a terminal; without it, nothing to check.
    let Ok(probe) = std::process::Command::new("script")
        .arg("--version")
        .output()
    else {
        eprintln!("no script(1): the terminal case is not checked");
        return;
    };
    if !probe.status.success() {
        return;
    }
    let s = server();
    let dir = Scratch::new("tty");
    let summary = dir.path("summary.txt");
    let inner = format!(
        "'{}' fetch --url-template '{}' -c 2 > '{}'",
        env!("CARGO_BIN_EXE_ferrio"),
        s.url("/item/{1..6}"),
        summary.display()
    );
    let tty = dir.path("tty.out");
    let status = std::process::Command::new("script")
        .args(["-qec", &inner, tty.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    if !status.success() && !summary.exists() {
        eprintln!("script(1) could not give the child a terminal: not checked");
        return;
    }
    assert!(status.success());
    let drawn = String::from_utf8_lossy(&std::fs::read(&tty).unwrap()).into_owned();
    assert!(
        drawn.contains("/6"),
        "done/total on the terminal: {drawn:?}"
    );
    assert!(drawn.contains("ETA"), "{drawn:?}");
    // The summary went to stdout, clean of the bar.
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.starts_with("6 URLs: 6 ok"), "{summary}");
    assert!(!summary.contains("ETA"));
}

#[test]
fn a_rate_limited_server_is_waited_for_through_retry_after() {
    // 20 requests a second at most: the rest get 429 with Retry-After.
    let s = MockProcess::start(&["--rate-limit", "20/s"]);
    let template = s.url("/item/{1..40}");
    let out = run(&[
        "fetch",
        "--url-template",
        &template,
        "-c",
        "40",
        "--retries",
        "6",
        "--json",
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let summary = out.json();
    assert_eq!(summary["ok"], 40);
    let refused = s.stats()["rate_limited"].as_u64().unwrap();
    assert!(refused > 0, "the limit was hit");
    assert_eq!(
        summary["retries"].as_u64().unwrap(),
        refused,
        "every 429 retried once"
    );
    assert_eq!(s.requests(), 40 + refused);
}

#[cfg(feature = "tls")]
#[test]
fn https_with_cacert() {
    let (addr, pem) = support::tls::https_thread();
    let dir = Scratch::new("cacert");
    let ca = dir.write("ca.pem", &pem);
    let template = format!("https://localhost:{}/item/{{1..4}}", addr.port());
    let out = run(&[
        "fetch",
        "--url-template",
        &template,
        "-c",
        "1",
        "--cacert",
        ca.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let summary = out.json();
    assert_eq!(summary["ok"], 4);
    assert_eq!(
        summary["connections"]["opened"], 1,
        "one TLS connection, kept alive"
    );
    // Without it, Mozilla's roots refuse the test certificate.
    let out = run(&["fetch", "--url-template", &template, "--json"]);
    assert_eq!(out.code, Some(1));
    assert_eq!(out.json()["failures"][0]["reason"], "tls");
}

#[test]
fn an_unwritable_output_stops_before_any_request_with_exit_2() {
    let s = server();
    let template = s.url("/item/{1..5}");
    let out = run(&[
        "fetch",
        "--url-template",
        &template,
        "--output",
        "/nonexistent-ferrio-dir/results.jsonl",
    ]);
    out.no_panic();
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr.contains("/nonexistent-ferrio-dir/results.jsonl"),
        "{}",
        out.stderr
    );
    // Nothing was sent, so nothing was fetched and then lost.
    assert_eq!(s.requests(), 0);
}
