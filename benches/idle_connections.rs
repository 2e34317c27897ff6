//! Idle connections per GiB: `quirktls serve modern-baseline` runs as its own process;
//! this one opens N connections, completes each handshake with rustls and leaves them
//! idle (the server waits for the request head), and reads the server's VmRSS before and
//! after. Target: <= 10 KB per idle connection (>= 100,000 per GiB). The baseline, in
//! the same run: a bare tokio-rustls server (this program again, as a child) with the
//! same certificate, each connection waiting in a 128-byte read after its handshake.
//! Then a burst: BURST connections opened at once, every one expected to complete its
//! handshake (none refused below --max-connections).
//!
//! `IDLE_CONNECTIONS` (default 5000) and `BURST` (default 10000) override the counts.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quirktls::pki::{default_out_dir, default_spec_path, Pki, PkiSpec};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::client::TlsStream;

const TARGET_KB: f64 = 10.0;
const HOST: &str = "server.quirktls.test";
/// Set in the child that plays the bare tokio-rustls server.
const BARE: &str = "IDLE_CONNECTIONS_BARE_SERVER";

fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server's resident set, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// Both processes hold one descriptor per connection.
fn raise_fd_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    setrlimit(Resource::Nofile, limit).expect("raise the open-files limit");
}

struct Server {
    child: Child,
    port: u16,
    config: Arc<rustls::ClientConfig>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bare server: tokio-rustls with modern-baseline's certificate and protocols; prints
/// a ready line like `serve --json`.
fn bare_server() {
    let spec = PkiSpec::load(&default_spec_path()).expect("spec");
    let pki = Pki::ensure(&spec, &default_out_dir()).expect("pki");
    let leaf = pki.entity("server-rsa").expect("server-rsa");
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(leaf.chain_der(), PrivateKeyDer::Pkcs8(leaf.key.clone_key()))
    .expect("cert");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let ready = serde_json::json!({
            "port": listener.local_addr().expect("addr").port(),
            "ca_file": pki.ca_bundle(),
        });
        println!("{ready}");
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let _ = tls.read(&mut [0u8; 128]).await;
                }
            });
        }
    });
}

fn start_quirktls() -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quirktls"));
    command
        .args(["serve", "--json", "--quiet", "modern-baseline"])
        // Idle means idle: no deadline may end them while they are counted; the burst
        // queues handshakes on the CPU for longer than the default 10 s.
        .args(["--first-flight-timeout", "5m", "--handshake-timeout", "5m"])
        .args([
            "--request-head-timeout",
            "30m",
            "--connection-timeout",
            "30m",
        ]);
    start(command)
}

fn start_bare() -> Server {
    let mut command = Command::new(std::env::current_exe().expect("this program"));
    command.env(BARE, "1");
    start(command)
}

fn start(mut command: Command) -> Server {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the server");
    let line = BufReader::new(child.stdout.take().expect("stdout"))
        .lines()
        .next()
        .expect("ready line")
        .expect("read");
    let ready: serde_json::Value = serde_json::from_str(&line).expect("json");
    let port = ready["port"].as_u64().expect("port") as u16;
    let ca = ready["ca_file"].as_str().expect("ca_file");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).expect("ca file") {
        roots.add(cert.expect("pem")).expect("root");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    Server {
        child,
        port,
        config: Arc::new(config),
    }
}

async fn handshake(
    port: u16,
    config: Arc<rustls::ClientConfig>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let name = ServerName::try_from(HOST).expect("name");
    tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
}

/// Open `n` connections, at most `at_once` handshaking together; the established ones
/// and how many failed.
async fn open(server: &Server, n: usize, at_once: usize) -> (Vec<TlsStream<TcpStream>>, usize) {
    let gate = Arc::new(Semaphore::new(at_once));
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let (gate, config, port) = (gate.clone(), server.config.clone(), server.port);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.expect("gate");
            handshake(port, config).await
        }));
    }
    let (mut open, mut failed) = (Vec::with_capacity(n), 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(tls) => open.push(tls),
            Err(e) => {
                if failed == 0 {
                    eprintln!("first failure: {e}");
                }
                failed += 1;
            }
        }
    }
    (open, failed)
}

/// The server's RSS once it stops moving (allocator and kernel catch up).
async fn settled_rss(pid: u32) -> u64 {
    let mut last = rss_kib(pid);
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = rss_kib(pid);
        if now.abs_diff(last) < 64 {
            return now;
        }
        last = now;
    }
    last
}

/// KB of server RSS per idle connection after `n` handshakes.
async fn idle_kb(server: &Server, n: usize) -> (f64, u64, u64) {
    let pid = server.child.id();
    // A few connections first: one-time allocations (engine, runtime, buffers of the
    // allocator's arenas) are not per connection.
    let (warm, _) = open(server, 16, 16).await;
    let before = settled_rss(pid).await;
    let (held, failed) = open(server, n, 64).await;
    assert_eq!(failed, 0, "idle connections failed");
    let after = settled_rss(pid).await;
    drop((held, warm));
    let per = after.saturating_sub(before) as f64 * 1024.0 / n as f64 / 1000.0;
    (per, before, after)
}

fn main() {
    if std::env::var_os(BARE).is_some() {
        return bare_server();
    }
    raise_fd_limit();
    let idle = count("IDLE_CONNECTIONS", 5000);
    let burst = count("BURST", 10_000);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (bare, _, _) = idle_kb(&start_bare(), idle).await;
        let server = start_quirktls();
        let pid = server.child.id();
        let (per, before, after) = idle_kb(&server, idle).await;
        let per_gib = (1u64 << 30) as f64 / (per * 1000.0);
        println!(
            "idle: {idle} connections after their handshake: server RSS {before} -> {after} KiB, \
             {per:.1} KB per connection, {per_gib:.0} per GiB (target <= {TARGET_KB} KB: ratio {:.2}); \
             bare tokio-rustls {bare:.1} KB",
            per / TARGET_KB
        );
        tokio::time::sleep(Duration::from_secs(1)).await;

        let started = Instant::now();
        let (held, failed) = open(&server, burst, burst).await;
        println!(
            "burst: {burst} connections opened at once: {} completed their handshake, {failed} \
             failed, in {:.1} s; server RSS {} KiB",
            held.len(),
            started.elapsed().as_secs_f64(),
            settled_rss(pid).await
        );
        assert_eq!(failed, 0, "connections refused or failed below the limit");
    });
}
