//! Handshakes per second of the scripted engine (our own TLS 1.0-1.2 server) against
//! `openssl s_server` with the same RSA-2048 key, protocol and single cipher suite, for
//! TLS_RSA_WITH_AES_128_GCM_SHA256 and TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (X25519 for
//! both), driven by the same load generator in one run. Target ratio >= 0.8.
//!
//! The load generator is `openssl s_time -new` (rustls cannot speak static RSA): one
//! connection at a time, a full handshake each (no resumption: s_time `-new` never offers
//! a session, and the server sides issue no tickets), close_notify, close. s_time's own
//! clock ticks in whole seconds, so each round is timed here, wall clock, process start
//! to exit, and counted from s_time's "N connections in" line. Rounds alternate between
//! the two servers (who goes first alternates too); the median of the per-pair ratios
//! resists a noisy neighbour on the shared cores.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use quirktls::pki::{default_out_dir, default_spec_path, Pki, PkiSpec};
use quirktls::scenario;
use quirktls::server::{ScenarioServer, ServerOptions};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// Seconds per s_time round (s_time runs between this and one second more).
const ROUND_SECS: u32 = 2;
const ROUNDS: usize = 6;
const TARGET: f64 = 0.8;

struct Suite {
    iana: &'static str,
    openssl: &'static str,
}

const SUITES: [Suite; 2] = [
    Suite {
        iana: "TLS_RSA_WITH_AES_128_GCM_SHA256",
        openssl: "AES128-GCM-SHA256",
    },
    Suite {
        iana: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        openssl: "ECDHE-RSA-AES128-GCM-SHA256",
    },
];

/// The scripted engine: TLS 1.2 only, the one suite, X25519, close right after the
/// handshake (like s_server without `-www`, this never waits for a request).
async fn ours(suite: &Suite, spec: &PkiSpec, pki: &Pki) -> ScenarioServer {
    let yaml = format!(
        "name: bench-scripted\n\
         description: scripted engine handshake benchmark\n\
         engine: scripted\n\
         tls:\n  \
           versions: [tls1.2]\n  \
           cipher_suites: [{}]\n  \
           groups: [x25519]\n  \
           certificate: server-rsa\n\
         app:\n  \
           mode: none\n",
        suite.iana
    );
    let sc = scenario::load_str(&yaml, "bench-scripted.yaml", spec).expect("bench scenario");
    ScenarioServer::start(sc, pki, &ServerOptions::default())
        .await
        .expect("start scripted server")
}

/// `openssl s_server` with the same key, version, suite and group; no session cache, no
/// tickets; serves connections one after another until killed.
async fn openssl_server(suite: &Suite, dir: &Path) -> (Child, SocketAddr) {
    // An ephemeral port, released for s_server to take (loopback, nobody races us).
    let addr = StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    let mut child = Command::new("openssl")
        .arg("s_server")
        .arg("-accept")
        .arg(addr.to_string())
        .arg("-cert")
        .arg(dir.join("cert.pem"))
        .arg("-key")
        .arg(dir.join("key.pem"))
        .args(["-tls1_2", "-cipher", suite.openssl, "-groups", "X25519"])
        .args(["-no_cache", "-no_ticket", "-quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn openssl s_server");
    // `-quiet` prints nothing, not even ACCEPT: ready once it takes a TCP connection
    // (which it then sees fail its handshake, and goes back to accepting).
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).await.is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("openssl s_server exited ({status}) before listening on {addr}");
        }
        assert!(
            Instant::now() < deadline,
            "openssl s_server did not listen on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (child, addr)
}

/// One s_time round: handshakes, wall-clock seconds, and CPU ticks the server spent.
#[derive(Clone, Copy, Default)]
struct Round {
    handshakes: u64,
    secs: f64,
    cpu_ticks: u64,
}

impl Round {
    fn rate(&self) -> f64 {
        self.handshakes as f64 / self.secs
    }
}

/// User + system CPU of process `pid` in clock ticks (USER_HZ, 100 per second on Linux),
/// dead threads included.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum())
}

const USER_HZ: f64 = 100.0;

/// One s_time round against `addr`, the server being process `server_pid`.
async fn load(addr: SocketAddr, suite: &Suite, secs: u32, server_pid: u32) -> Round {
    let cpu_before = cpu_ticks(server_pid);
    let started = Instant::now();
    let out = Command::new("openssl")
        .arg("s_time")
        .arg("-connect")
        .arg(addr.to_string())
        .args(["-new", "-tls1_2", "-cipher", suite.openssl, "-time"])
        .arg(secs.to_string())
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .expect("run openssl s_time");
    let elapsed = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let n: u64 = stdout
        .lines()
        .find_map(|l| l.split_once(" connections in ")?.0.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "s_time against {addr} ({}) printed no count ({}): {}{}",
                suite.openssl,
                out.status,
                stdout.trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            )
        });
    Round {
        handshakes: n,
        secs: elapsed,
        cpu_ticks: cpu_ticks(server_pid) - cpu_before,
    }
}

/// One `s_client` handshake: the cipher and key exchange the server actually chose.
async fn negotiated(addr: SocketAddr, suite: &Suite) -> String {
    let out = Command::new("openssl")
        .arg("s_client")
        .arg("-connect")
        .arg(addr.to_string())
        .args(["-tls1_2", "-cipher", suite.openssl, "-no_ticket", "-brief"])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run openssl s_client");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| Some(l.strip_prefix(name)?.trim()))
    };
    format!(
        "{} {}, {}",
        field("Protocol version:").unwrap_or("?"),
        field("Ciphersuite:").unwrap_or("no handshake"),
        field("Server Temp Key:").unwrap_or("no ephemeral key")
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[tokio::main]
async fn main() {
    let spec = PkiSpec::load(&default_spec_path()).expect("pki spec");
    let out_dir = default_out_dir();
    let pki = Pki::ensure(&spec, &out_dir).expect("pki");
    let leaf = pki.entity("server-rsa").expect("server-rsa");
    // s_server is given cert.pem alone: the same chain only if the leaf is all we send.
    assert_eq!(
        leaf.chain_der().len(),
        1,
        "server-rsa has intermediates; give s_server the same chain"
    );
    let key_dir = out_dir.join("server-rsa");
    println!(
        "handshakes/s, TLS 1.2 RSA-2048, openssl s_time -new (1 connection at a time), \
         {ROUNDS} alternating pairs of {ROUND_SECS}-{}s rounds per suite:",
        ROUND_SECS + 1
    );
    let mut missed = false;
    for suite in &SUITES {
        let server = ours(suite, &spec, &pki).await;
        let (mut openssl, openssl_addr) = openssl_server(suite, &key_dir).await;
        let ours_addr = server.addr();
        let (ours_kx, openssl_kx) = (
            negotiated(ours_addr, suite).await,
            negotiated(openssl_addr, suite).await,
        );
        // Our server runs in this process; its CPU is this process's.
        let (ours_pid, openssl_pid) = (std::process::id(), openssl.id().expect("s_server pid"));
        let ours_round = |secs| load(ours_addr, suite, secs, ours_pid);
        let openssl_round = |secs| load(openssl_addr, suite, secs, openssl_pid);
        // Warm up both, then alternate rounds so drift hits both alike.
        ours_round(1).await;
        openssl_round(1).await;
        let mut rounds: Vec<(Round, Round)> = Vec::with_capacity(ROUNDS);
        for round in 0..ROUNDS {
            // Alternate which server goes first, so neither always gets the warmer slot.
            let (q, o) = if round % 2 == 0 {
                let q = ours_round(ROUND_SECS).await;
                (q, openssl_round(ROUND_SECS).await)
            } else {
                let o = openssl_round(ROUND_SECS).await;
                (ours_round(ROUND_SECS).await, o)
            };
            rounds.push((q, o));
        }
        let pairs: Vec<(f64, f64)> = rounds.iter().map(|(q, o)| (q.rate(), o.rate())).collect();
        // Server CPU per handshake over all rounds: what each side costs, apart from the
        // latency of the load generator and the loopback that the rates include.
        let cpu_per_hs = |side: fn(&(Round, Round)) -> &Round| {
            let (ticks, n) = rounds
                .iter()
                .map(side)
                .fold((0, 0), |(t, n), r| (t + r.cpu_ticks, n + r.handshakes));
            ticks as f64 / USER_HZ / n.max(1) as f64 * 1e6
        };
        let (q_cpu, o_cpu) = (cpu_per_hs(|r| &r.0), cpu_per_hs(|r| &r.1));
        let _ = openssl.kill().await;
        // Every connection our server finished should have completed its handshake.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let obs = server.observations();
        let failed: Vec<_> = obs.iter().filter(|o| !o.handshake_completed()).collect();
        server.shutdown();

        let mean = |f: fn(&(f64, f64)) -> f64| pairs.iter().map(f).sum::<f64>() / ROUNDS as f64;
        let (q, o) = (mean(|p| p.0), mean(|p| p.1));
        let ratios: Vec<f64> = pairs.iter().map(|(q, o)| q / o).collect();
        let (lo, hi) = ratios
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
        let ratio = median(ratios);
        missed |= ratio < TARGET;
        println!("  {}:", suite.iana);
        println!("    quirktls scripted: {q:8.1}   ({ours_kx})");
        println!("    openssl s_server:  {o:8.1}   ({openssl_kx})");
        println!(
            "    median ratio {ratio:.3} (pairs {lo:.3}..{hi:.3}; target >= {TARGET}) {}",
            if ratio >= TARGET { "ok" } else { "MISSED" }
        );
        println!(
            "    server CPU per handshake: quirktls {q_cpu:.0} us, openssl {o_cpu:.0} us \
             (ratio {:.2})",
            q_cpu / o_cpu
        );
        println!(
            "    rounds (ours/openssl): {}",
            pairs
                .iter()
                .map(|(q, o)| format!("{q:.0}/{o:.0}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        if !failed.is_empty() {
            println!(
                "    WARNING: {} of the last {} connections to our server did not complete \
                 the handshake, e.g. {}",
                failed.len(),
                obs.len(),
                failed[0].log_line()
            );
        }
    }
    if missed {
        println!("  (a MISSED ratio: profile with `perf record -g` on this bench)");
    }
}
