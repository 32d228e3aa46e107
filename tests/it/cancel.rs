//! Cancelling a cloud engine's run while its server says nothing: the run ends at once with
//! "cancelled" (the HTTP call is raced with the run's cancellation token), not when the call's
//! timeout ends. The server is a listener on 127.0.0.1 that takes connections and never answers.
//! (The bedrock engine's counterpart is a unit test in `src/engine/bedrock/mod.rs`, and the TUI's
//! Esc against the Bedrock stand-in is `bedrock::tui_esc_cancels_a_bedrock_call_at_once`.)

use std::time::{Duration, Instant};

use image::{GrayImage, Luma};
use imgedit::edit::engine::{Engine, PreparedJob, RunContext};
use imgedit::edit::job::Placement;
use imgedit::edit::options::Mode;
use imgedit::engine::api::{API_MODEL, ApiEngine, ApiSettings};

/// A listener that accepts connections and holds them unanswered; its URL, and a channel that
/// gets one message per connection.
async fn silent_server() -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/image-edit", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            let _ = tx.send(());
            held.push(conn);
        }
    });
    (url, rx)
}

fn job() -> PreparedJob {
    let (w, h) = (256u32, 256u32);
    PreparedJob {
        image: crate::common::textured(w, h).into(),
        mask: GrayImage::from_fn(w, h, |x, _| Luma([if x < 128 { 255 } else { 0 }])),
        mode: Mode::Inpaint,
        prompt: Some("grass".into()),
        negative: None,
        mask_prompt: None,
        search: None,
        seeds: vec![1],
        cfg_scale: None,
        quality: None,
        model: imgedit::edit::model::find(API_MODEL).unwrap(),
        placement: Placement::identity(w, h),
        source_size: (w, h),
        tool: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_api_run_stops_at_once_while_the_api_is_silent() {
    let (url, mut connected) = silent_server().await;
    let engine = ApiEngine::new(ApiSettings {
        url: Some(url),
        token: Some("not-checked".into()),
        ..ApiSettings::default()
    })
    .unwrap();
    let ctx = RunContext::default();
    let token = ctx.cancel.clone();
    let job = job();
    let run = tokio::spawn(async move { engine.run(&job, &ctx).await });
    tokio::time::timeout(Duration::from_secs(20), connected.recv())
        .await
        .expect("the engine never connected")
        .unwrap();
    // the point of the test: a call in flight that the server holds unanswered
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!run.is_finished(), "the run ended before it was cancelled");
    let t = Instant::now();
    token.cancel();
    let out = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("the cancelled run did not stop within 5 s")
        .unwrap();
    // the bug this guards (a call that runs to its 120 s timeout) takes far longer than the
    // 5 s bound above; a tighter one would only measure the machine's load
    let _ = t;
    match out {
        Err(e) => assert_eq!(e.to_string(), "cancelled"),
        Ok(_) => panic!("a silent API gave images"),
    }
}
