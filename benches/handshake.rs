//! Handshakes per second of the `modern-baseline` scenario against a bare tokio-rustls
//! server with the same certificate, provider and protocol, driven by the same in-process
//! load generator in one run. Target ratio >= 0.95.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quirktls::pki::{default_out_dir, default_spec_path, Pki, PkiSpec};
use quirktls::scenario;
use quirktls::server::{ScenarioServer, ServerOptions};
use rustls::pki_types::{PrivateKeyDer, ServerName};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

const CONCURRENCY: usize = 8;
const ROUND: Duration = Duration::from_secs(1);
const ROUNDS: usize = 16;

async fn bare_server(pki: &Pki) -> SocketAddr {
    let leaf = pki.entity("server-rsa").expect("server-rsa");
    let chain = leaf.chain_der();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(chain, PrivateKeyDer::Pkcs8(leaf.key.clone_key()))
    .expect("cert");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    addr
}

fn client_config(pki: &Pki) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(pki.entity("root-ca").expect("root-ca").cert.clone())
        .expect("root");
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Handshakes per second over `ROUND` with `CONCURRENCY` clients.
async fn load(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + ROUND;
    let connector = tokio_rustls::TlsConnector::from(config);
    let name = ServerName::try_from("server.quirktls.test").expect("name");
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (done, connector, name) = (done.clone(), connector.clone(), name.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let tcp = TcpStream::connect(addr).await.expect("connect");
                    let _ = tcp.set_nodelay(true);
                    let mut tls = connector
                        .connect(name.clone(), tcp)
                        .await
                        .expect("handshake");
                    let _ = tls.shutdown().await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("client task");
    }
    done.load(Ordering::Relaxed) as f64 / ROUND.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let spec = PkiSpec::load(&default_spec_path()).expect("pki spec");
    let pki = Pki::ensure(&spec, &default_out_dir()).expect("pki");
    let sc = scenario::load_paths(&["modern-baseline".into()], &spec)
        .expect("scenario")
        .remove(0);
    let ours = ScenarioServer::start(sc, &pki, &ServerOptions::default())
        .await
        .expect("start");
    let bare = bare_server(&pki).await;
    let client = client_config(&pki);
    // Warm up both, then alternate rounds so drift hits both alike.
    load(ours.addr(), client.clone()).await;
    load(bare, client.clone()).await;
    // Pairs of back-to-back rounds; the median pair ratio resists a noisy neighbour.
    let mut pairs = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        // Alternate which server goes first, so neither always gets the warmer slot.
        let (q, b) = if round % 2 == 0 {
            let q = load(ours.addr(), client.clone()).await;
            (q, load(bare, client.clone()).await)
        } else {
            let b = load(bare, client.clone()).await;
            (load(ours.addr(), client.clone()).await, b)
        };
        pairs.push((q, b));
    }
    let mean = |f: fn(&(f64, f64)) -> f64| pairs.iter().map(f).sum::<f64>() / ROUNDS as f64;
    let (q, b) = (mean(|p| p.0), mean(|p| p.1));
    let mut ratios: Vec<f64> = pairs.iter().map(|(q, b)| q / b).collect();
    ratios.sort_by(f64::total_cmp);
    let median = (ratios[ROUNDS / 2 - 1] + ratios[ROUNDS / 2]) / 2.0;
    println!("handshakes/s, TLS 1.3 RSA-2048, {CONCURRENCY} concurrent clients, {ROUNDS} x {ROUND:?} per server:");
    println!("  quirktls modern-baseline: {q:9.1}");
    println!("  bare tokio-rustls:        {b:9.1}");
    println!(
        "  median ratio {median:.3} (pairs {:.3}..{:.3}; target >= 0.95) {}",
        ratios[0],
        ratios[ROUNDS - 1],
        if median >= 0.95 { "ok" } else { "MISSED" }
    );
}
