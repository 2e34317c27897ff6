use crate::common;

#[tokio::test]
async fn curl_completes_modern_baseline_and_server_observes_request() {
    let server = common::start("modern-baseline").await;
    let port = server.addr().port();
    let run = common::run(
        "curl",
        &common::args(&[
            "-sS",
            "--cacert",
            common::ca_bundle().to_str().unwrap(),
            "--resolve",
            &format!("server.quirktls.test:{port}:127.0.0.1"),
            &format!("https://server.quirktls.test:{port}/hello"),
        ]),
        b"",
    )
    .await;
    run.expect_status(0)
        .expect_output("quirktls modern-baseline: TLS 1.3");
    let obs = common::observation(&server, 1).await;
    assert_eq!(obs.http_request(), Some("GET /hello HTTP/1.1"));
    assert!(obs.handshake_completed());
}
