//! A bounded load test of `imgedit serve` on loopback.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::common::*;

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One kind of request in the load mix and the status it must get.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Valid,
    BadField,
    NotJson,
    BadBase64,
    TooBig,
    NoToken,
    TamperedToken,
}

impl Kind {
    fn expected(self) -> u16 {
        match self {
            Kind::Valid => 200,
            Kind::BadField | Kind::NotJson | Kind::BadBase64 => 400,
            Kind::TooBig => 413,
            Kind::NoToken | Kind::TamperedToken => 401,
        }
    }
    /// The mix: mostly valid requests, then each kind of bad one.
    fn of(i: usize, auth: bool) -> Kind {
        match i % 20 {
            3 => Kind::BadField,
            7 => Kind::NotJson,
            11 => Kind::BadBase64,
            13 if i % 100 == 13 => Kind::TooBig,
            15 if auth => Kind::NoToken,
            17 if auth => Kind::TamperedToken,
            _ => Kind::Valid,
        }
    }
}

/// A bounded load test on loopback: IMGEDIT_LOAD_ROUNDS (3) rounds of IMGEDIT_LOAD_REQUESTS (200)
/// requests at IMGEDIT_LOAD_CONCURRENCY (16) against a server that runs half as many edits at once,
/// the local engine on small images, a mix of valid and invalid bodies and (with the emulator)
/// tokens. A 503 is retried after a short pause, as its Retry-After asks. Every status must be the
/// intended one, memory must not grow across rounds, and every answered request id must be logged
/// exactly once. Prints the figures (`scripts/load` runs it bigger, in release mode).
#[test]
fn load_on_loopback_gives_no_errors_but_intended_ones() {
    let requests = env_usize("IMGEDIT_LOAD_REQUESTS", 200);
    let concurrency = env_usize("IMGEDIT_LOAD_CONCURRENCY", 16);
    let rounds = env_usize("IMGEDIT_LOAD_ROUNDS", 3).max(2);
    let sb = Sandbox::new();
    let limit = (concurrency / 2).max(1).to_string();
    // with the emulator, tokens are checked (valid, missing and tampered ones in the mix)
    let pool = ministack().map(|url| {
        let pool = crate::cognito::provision(&url, true);
        pool.login(&sb, &[], &format!("{}\n", crate::cognito::PASSWORD))
            .success();
        pool
    });
    let token = pool.as_ref().map(|_| {
        crate::cognito::cache(&sb)["id_token"]
            .as_str()
            .unwrap()
            .to_string()
    });
    let s = match &pool {
        Some(p) => serve(
            &sb,
            &[
                "--user-pool-id",
                &p.pool_id,
                "--client-id",
                &p.client_id,
                "--max-concurrent",
                &limit,
            ],
            &[("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &p.url)],
        ),
        None => {
            eprintln!(
                "LOAD: no emulator (IMGEDIT_TEST_MINISTACK unset): tokens are not part of the mix"
            );
            serve(&sb, &["--no-auth", "--max-concurrent", &limit], &[])
        }
    };
    let auth = token.is_some();
    let bodies: std::collections::HashMap<Kind, Vec<u8>> = {
        let good = small_request();
        let mut bad_field = good.clone();
        bad_field["prompt"]["mode"] = json!("SKETCH");
        let mut bad_b64 = good.clone();
        bad_b64["base_image"] = json!("data:image/jpeg;base64,@@not base64@@");
        let mut too_big = good.clone();
        too_big["base_image"] = json!("A".repeat(7 << 20));
        let v = |b: &Value| serde_json::to_vec(b).unwrap();
        [
            (Kind::Valid, v(&good)),
            (Kind::BadField, v(&bad_field)),
            (Kind::NotJson, b"{\"prompt\": {\"text\": ".to_vec()),
            (Kind::BadBase64, v(&bad_b64)),
            (Kind::TooBig, v(&too_big)),
            (Kind::NoToken, v(&good)),
            (Kind::TamperedToken, v(&good)),
        ]
        .into_iter()
        .collect()
    };
    let tampered = token.as_ref().map(|t| crate::common::tampered(t));
    let bodies = Arc::new(bodies);
    let url = edit_url(&s);
    // (kind, status, latency, 503s retried, request ids of every answer, and for a success the
    // server's own time beyond the engine: the answered attempt's latency less generation_time_ms)
    type Outcome = (
        Kind,
        u16,
        std::time::Duration,
        usize,
        Vec<String>,
        Option<f64>,
    );
    let mut all: Vec<Outcome> = Vec::new();
    let mut rss_after = Vec::new();
    let started = std::time::Instant::now();
    for _round in 0..rounds {
        let results: Vec<Outcome> = rt().block_on(async {
            let client = reqwest::Client::new();
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut workers = Vec::new();
            for _ in 0..concurrency {
                let (client, url, next, bodies) =
                    (client.clone(), url.clone(), next.clone(), bodies.clone());
                let (token, tampered) = (token.clone(), tampered.clone());
                workers.push(tokio::spawn(async move {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= requests {
                            break;
                        }
                        let kind = Kind::of(i, auth);
                        let auth_header = match kind {
                            Kind::NoToken => None,
                            Kind::TamperedToken => tampered.clone(),
                            _ => token.clone(),
                        };
                        let mut headers = vec![("Content-Type", "application/json")];
                        if let Some(t) = auth_header.as_deref() {
                            headers.push(("Authorization", t));
                        }
                        let t = std::time::Instant::now();
                        let mut busy = 0;
                        let mut ids = Vec::new();
                        let mut overhead = None;
                        let status = loop {
                            let attempt = std::time::Instant::now();
                            let a = send_async(
                                &client,
                                reqwest::Method::POST,
                                &url,
                                &headers,
                                bodies[&kind].clone(),
                            )
                            .await;
                            ids.push(a.header("x-request-id").unwrap_or("").to_string());
                            if a.status == 200 {
                                let engine_ms = serde_json::from_slice::<Value>(&a.body)
                                    .ok()
                                    .and_then(|v| v["generation_time_ms"].as_f64());
                                overhead =
                                    engine_ms.map(|e| attempt.elapsed().as_secs_f64() * 1000.0 - e);
                            }
                            // bounded in time, not in tries: a loaded CI machine is slow
                            if a.status != 503 || t.elapsed() > std::time::Duration::from_secs(120)
                            {
                                break a.status;
                            }
                            busy += 1;
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        };
                        out.push((kind, status, t.elapsed(), busy, ids, overhead));
                    }
                    out
                }));
            }
            let mut all = Vec::new();
            for w in workers {
                all.extend(w.await.unwrap());
            }
            all
        });
        assert_eq!(results.len(), requests);
        all.extend(results);
        rss_after.push(s.memory_kb("VmRSS"));
    }
    let wall = started.elapsed();
    for (kind, status, _, _, _, _) in &all {
        assert_eq!(*status, kind.expected(), "{kind:?}");
    }
    let busy: usize = all.iter().map(|r| r.3).sum();
    let mut by_kind = std::collections::BTreeMap::new();
    for r in &all {
        *by_kind.entry(r.0).or_insert(0usize) += 1;
    }
    let mut ok: Vec<f64> = all
        .iter()
        .filter(|r| r.1 == 200)
        .map(|r| r.2.as_secs_f64() * 1000.0)
        .collect();
    ok.sort_by(f64::total_cmp);
    assert!(!ok.is_empty(), "no request succeeded");
    let pct = |p: f64| ok[((ok.len() - 1) as f64 * p).round() as usize];
    let mut over: Vec<f64> = all.iter().filter_map(|r| r.5).collect();
    over.sort_by(f64::total_cmp);
    assert_eq!(over.len(), ok.len(), "a success without generation_time_ms");
    let over_pct = |p: f64| over[((over.len() - 1) as f64 * p).round() as usize];
    eprintln!(
        "LOAD: {rounds} rounds of {requests} requests at concurrency {concurrency} (server limit {limit}, auth {}) in {:.2} s: {by_kind:?}; every status as intended; {busy} busy answers (503) retried; latency of successes, retries included: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; the server's own time per success beyond the engine (attempt latency less generation_time_ms): p50 {:.1} ms, p99 {:.1} ms; server RSS after each round: {:?} MB",
        if auth { "on" } else { "off" },
        wall.as_secs_f64(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        ok[ok.len() - 1],
        over_pct(0.5),
        over_pct(0.99),
        rss_after.iter().map(|kb| kb / 1024).collect::<Vec<_>>()
    );
    // no growth once warm: the last round ends within 10 % (+16 MB) of the second
    let (warm, last) = (rss_after[1], rss_after[rss_after.len() - 1]);
    assert!(
        last <= warm + warm / 10 + 16 * 1024,
        "server memory grew across rounds: {rss_after:?} kB"
    );
    // every answer, 503s and 401s included, was logged exactly once, under its request id
    let answered: Vec<String> = all.iter().flat_map(|r| r.4.iter().cloned()).collect();
    assert!(
        answered.iter().all(|id| !id.is_empty()),
        "an answer without x-request-id"
    );
    let answered_set: std::collections::HashSet<&String> = answered.iter().collect();
    assert_eq!(answered_set.len(), answered.len(), "request ids are unique");
    let mut log = String::new();
    wait_until(std::time::Duration::from_secs(10), || {
        log = std::fs::read_to_string(sb.path("data/history.jsonl")).unwrap_or_default();
        log.lines().count() >= answered.len()
    });
    let logged: Vec<String> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(logged.len(), answered.len(), "one log line per answer");
    let logged_set: std::collections::HashSet<&String> = logged.iter().collect();
    assert_eq!(
        logged_set, answered_set,
        "the log holds exactly the answered ids"
    );
}
