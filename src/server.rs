//! The listener: one per scenario, a task per connection, observations collected.

use std::collections::VecDeque;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::app::{self, AppLimits};
use crate::engine::{linger_close, Engine, EngineError, ReplayTap};
use crate::observe::{
    read_first_flight, wire_transcript, Capture, ClientHelloInfo, CloseKind, Event,
    FirstFlightError, FirstFlightLimits, KeyLog, Observation, PcapSink, SharedCapture,
};
use crate::pki::Pki;
use crate::scenario::{HelloMatch, Intolerance, Reaction, Scenario, SniPolicy};
use crate::wire::{Alert, AlertDescription, ProtocolVersion};

/// Where each finished connection's events go as JSON lines.
pub type EventSink = Arc<Mutex<Box<dyn Write + Send>>>;

/// How scenario servers listen and how long they wait for peers.
#[derive(Clone)]
pub struct ServerOptions {
    /// Address to bind; loopback unless the user explicitly asks otherwise.
    pub bind: IpAddr,
    /// Bounds on reading the ClientHello.
    pub first_flight: FirstFlightLimits,
    /// Timeout of the whole handshake.
    pub handshake_timeout: Duration,
    /// Timeout of each application read.
    pub read_timeout: Duration,
    /// Print the one-line summary of each connection on stderr.
    pub log: bool,
    /// JSON-lines event output.
    pub events: Option<EventSink>,
    /// NSS key log of every handshake (both engines).
    pub keylog: Option<KeyLog>,
    /// Write each connection's transcript to `DIR/SCENARIO-CONN.txt` (implies `capture`).
    pub transcript_dir: Option<std::path::PathBuf>,
    /// Record every connection's bytes on the wire (bounded per connection), giving
    /// connections without an engine transcript (rustls engine, refused before any
    /// engine) one read off the wire. Off by default: the hot path does not pay for it.
    pub capture: bool,
    /// Append every connection to this pcap file as Ethernet/IP/TCP frames (implies
    /// `capture`).
    pub pcap: Option<PcapSink>,
}

impl ServerOptions {
    /// Whether connections are captured: asked for, or needed by an output.
    fn captures(&self) -> bool {
        self.capture || self.pcap.is_some() || self.transcript_dir.is_some()
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            first_flight: FirstFlightLimits::default(),
            handshake_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            log: false,
            events: None,
            keylog: None,
            transcript_dir: None,
            capture: false,
            pcap: None,
        }
    }
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("bind", &self.bind)
            .field("log", &self.log)
            .field("events", &self.events.is_some())
            .field("capture", &self.captures())
            .finish_non_exhaustive()
    }
}

/// Why a scenario server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The engine could not be prepared.
    #[error("scenario `{scenario}`: {source}")]
    Engine {
        /// Scenario name.
        scenario: String,
        /// What went wrong.
        source: EngineError,
    },
    /// The port could not be bound.
    #[error("scenario `{scenario}`: cannot listen on {addr}: {source} (hint: pick another `port:` or leave it out for an ephemeral one)")]
    Bind {
        /// Scenario name.
        scenario: String,
        /// Address tried.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Finished observations: the newest `KEPT` of them, so a long-running server stays bounded.
#[derive(Default)]
struct Collected {
    done: Mutex<Finished>,
    changed: Notify,
}

#[derive(Default)]
struct Finished {
    total: usize,
    kept: VecDeque<Observation>,
}

const KEPT: usize = 4096;

/// A scenario being served on its own port.
pub struct ScenarioServer {
    scenario: Arc<Scenario>,
    addr: SocketAddr,
    collected: Arc<Collected>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for ScenarioServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScenarioServer")
            .field("scenario", &self.scenario.name)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl ScenarioServer {
    /// Bind and start serving `scenario`; ready when this returns.
    pub async fn start(
        scenario: Scenario,
        pki: &Pki,
        options: &ServerOptions,
    ) -> Result<Self, ServerError> {
        let engine = Engine::new(&scenario, pki, options.keylog.clone()).map_err(|source| {
            ServerError::Engine {
                scenario: scenario.name.clone(),
                source,
            }
        })?;
        let addr = SocketAddr::new(options.bind, scenario.port.unwrap_or(0));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind {
                scenario: scenario.name.clone(),
                addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind {
            scenario: scenario.name.clone(),
            addr,
            source,
        })?;
        let scenario = Arc::new(scenario);
        let collected = Arc::new(Collected::default());
        let shared = Arc::new(Shared {
            scenario: scenario.clone(),
            engine,
            options: options.clone(),
            collected: collected.clone(),
        });
        let task = tokio::spawn(accept_loop(listener, shared));
        Ok(Self {
            scenario,
            addr,
            collected,
            task,
        })
    }

    /// The scenario served.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Observations of the finished connections, oldest first (the newest 4096 are kept).
    pub fn observations(&self) -> Vec<Observation> {
        self.collected
            .done
            .lock()
            .map(|g| g.kept.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// How many connections have finished since start.
    pub fn finished(&self) -> usize {
        self.collected.done.lock().map(|g| g.total).unwrap_or(0)
    }

    /// Wait until at least `n` connections have finished, then return the kept
    /// observations; `None` on timeout.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Option<Vec<Observation>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.collected.changed.notified();
            if self.finished() >= n {
                return Some(self.observations());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Stop accepting connections.
    pub fn shutdown(&self) {
        self.task.abort();
    }
}

impl Drop for ScenarioServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    scenario: Arc<Scenario>,
    engine: Engine,
    options: ServerOptions,
    collected: Arc<Collected>,
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut conn = 0u64;
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            // Out of descriptors or similar: back off rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        conn += 1;
        let shared = shared.clone();
        let capture = match (shared.options.captures(), stream.local_addr()) {
            (true, Ok(local)) => Some(SharedCapture::new(Capture::new(
                peer,
                local,
                Capture::DEFAULT_LIMIT,
            ))),
            _ => None,
        };
        tokio::spawn(async move {
            let io = ReplayTap::new(Vec::new(), stream).with_capture(capture.clone());
            let obs = handle(io, peer, conn, &shared).await;
            finish(obs, capture, &shared);
        });
    }
}

/// Serve one connection; `io` replays nothing yet, and records the wire when capturing.
async fn handle(
    mut io: ReplayTap<TcpStream>,
    peer: SocketAddr,
    conn: u64,
    shared: &Shared,
) -> Observation {
    let _ = io.get_ref().set_nodelay(true);
    let scenario = &shared.scenario;
    let mut obs = Observation::new(scenario.name.clone(), conn);
    obs.push(Event::Accepted { peer });
    let flight = match read_first_flight(&mut io, shared.options.first_flight).await {
        Ok(f) => f,
        Err(e) => {
            refuse_first_flight(&mut io, &e, &mut obs).await;
            return obs;
        }
    };
    let sni = flight.hello.sni.clone();
    let choke = scenario
        .intolerance
        .iter()
        .find(|rule| matches(&rule.when, &flight.hello));
    obs.push(Event::ClientHello(Box::new(flight.hello)));
    if let Some(rule) = choke {
        choke_on_hello(io, rule, &mut obs).await;
        return obs;
    }
    if scenario.tls.sni.policy == SniPolicy::Required && !knows_name(scenario, sni.as_deref()) {
        reject_sni(&mut io, sni, &mut obs).await;
        return obs;
    }
    if flight.hello_len > shared.engine.max_hello() {
        refuse_large_hello(
            &mut io,
            flight.hello_len,
            shared.engine.max_hello(),
            &mut obs,
        )
        .await;
        return obs;
    }
    io.replay(flight.bytes);
    let opts = &shared.options;
    if let Some(session) = shared
        .engine
        .handshake(io, &mut obs, opts.handshake_timeout)
        .await
    {
        let limits = AppLimits {
            max_request: 16 * 1024,
            read_timeout: opts.read_timeout,
        };
        app::serve(session, &scenario.app, &mut obs, limits).await;
    }
    obs
}

/// A first flight that is no usable ClientHello: the alert TLS asks for, if any (the
/// record layer is not protected yet, so it goes in plaintext), then a close.
async fn refuse_first_flight(
    io: &mut ReplayTap<TcpStream>,
    err: &FirstFlightError,
    obs: &mut Observation,
) {
    use tokio::io::AsyncWriteExt;
    obs.push(Event::NotTls {
        reason: err.to_string(),
    });
    let how = match (err.alert(), err) {
        (Some(desc), _) => {
            let alert = Alert::fatal(desc);
            let _ = io.write_all(&alert.to_record(ProtocolVersion::TLS10)).await;
            obs.push(Event::AlertSent(alert));
            linger_close(io).await;
            CloseKind::FatalAlert
        }
        (None, FirstFlightError::Timeout) => CloseKind::Timeout,
        (None, FirstFlightError::Eof { .. }) => CloseKind::Eof,
        (None, FirstFlightError::Io(e)) => match e.kind() {
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
                CloseKind::Reset
            }
            _ => CloseKind::Error,
        },
        (None, _) => CloseKind::ServerClosed,
    };
    obs.push(Event::Closed { how });
}

/// A hello over the engine's limit (only rustls' 64 KiB is under the first flight's):
/// rustls would fail it with decode_error and close before the alert is out, so the
/// alert is written here.
async fn refuse_large_hello(
    io: &mut ReplayTap<TcpStream>,
    len: usize,
    limit: usize,
    obs: &mut Observation,
) {
    use tokio::io::AsyncWriteExt;
    obs.push(Event::HandshakeFailed {
        reason: format!(
            "ClientHello of {len} bytes is over the engine's {limit}-byte handshake message \
             limit (rustls; engine scripted takes up to {} bytes)",
            crate::observe::MAX_CLIENT_HELLO + 4
        ),
    });
    //= https://www.rfc-editor.org/rfc/rfc5246#section-7.2.2
    //# decode_error
    //#    A message could not be decoded because some field was out of the
    //#    specified range or the length of the message was incorrect.
    let alert = Alert::fatal(AlertDescription::DECODE_ERROR);
    let _ = io.write_all(&alert.to_record(ProtocolVersion::TLS12)).await;
    obs.push(Event::AlertSent(alert));
    linger_close(io).await;
    obs.push(Event::Closed {
        how: CloseKind::FatalAlert,
    });
}

/// Whether the ClientHello has the property an intolerance rule looks for.
fn matches(when: &HelloMatch, hello: &ClientHelloInfo) -> bool {
    match when {
        HelloMatch::OffersVersionAtLeast(v) => {
            let highest = hello
                .supported_versions
                .iter()
                .filter(|v| !v.is_grease())
                .chain([&hello.legacy_version])
                .max()
                .copied()
                .unwrap_or(hello.legacy_version);
            highest >= ProtocolVersion::from(*v)
        }
        HelloMatch::HasExtension(ext) => hello.extensions.contains(ext),
        HelloMatch::LacksExtension(ext) => !hello.extensions.contains(ext),
        HelloMatch::MoreSuitesThan(n) => hello.cipher_suites.len() > *n,
        HelloMatch::FewerSuitesThan(n) => hello.cipher_suites.len() < *n,
    }
}

/// The JVM 1.6 / webMethods reaction of seed 001: an alert, a silent close or a reset.
async fn choke_on_hello(
    mut stream: ReplayTap<TcpStream>,
    rule: &Intolerance,
    obs: &mut Observation,
) {
    use tokio::io::AsyncWriteExt;
    obs.push(Event::HelloRejected {
        rule: describe(&rule.when),
    });
    let how = match rule.then {
        Reaction::Alert(desc) => {
            let alert = Alert::fatal(desc);
            let _ = stream
                .write_all(&alert.to_record(ProtocolVersion::TLS10))
                .await;
            linger_close(&mut stream).await;
            obs.push(Event::AlertSent(alert));
            CloseKind::FatalAlert
        }
        Reaction::Close => {
            linger_close(&mut stream).await;
            CloseKind::ServerClosed
        }
        Reaction::Reset => {
            stream.reset_on_close();
            drop(stream);
            CloseKind::Reset
        }
    };
    obs.push(Event::Closed { how });
}

/// A rule as a scenario would write it, for the event and the log line.
fn describe(when: &HelloMatch) -> String {
    match when {
        HelloMatch::OffersVersionAtLeast(v) => format!("offers_version_at_least {v}"),
        HelloMatch::HasExtension(e) => format!("has_extension {e}"),
        HelloMatch::LacksExtension(e) => format!("lacks_extension {e}"),
        HelloMatch::MoreSuitesThan(n) => format!("more_suites_than {n}"),
        HelloMatch::FewerSuitesThan(n) => format!("fewer_suites_than {n}"),
    }
}

fn knows_name(scenario: &Scenario, sni: Option<&str>) -> bool {
    sni.is_some_and(|name| {
        name.eq_ignore_ascii_case(scenario.server_name())
            || scenario
                .tls
                .sni
                .certificates
                .keys()
                .any(|k| k.eq_ignore_ascii_case(name))
    })
}

/// nginx `ssl_reject_handshake` / SNI-only IIS bindings: fatal unrecognized_name. rustls'
/// resolver path would send access_denied, so the alert is written here, before any engine.
async fn reject_sni(stream: &mut ReplayTap<TcpStream>, sni: Option<String>, obs: &mut Observation) {
    use tokio::io::AsyncWriteExt;
    let alert = Alert::fatal(AlertDescription::UNRECOGNIZED_NAME);
    obs.push(Event::SniRejected { sni });
    let _ = stream
        .write_all(&alert.to_record(ProtocolVersion::TLS12))
        .await;
    linger_close(stream).await;
    obs.push(Event::AlertSent(alert));
    obs.push(Event::Closed {
        how: CloseKind::FatalAlert,
    });
}

fn finish(mut obs: Observation, capture: Option<SharedCapture>, shared: &Shared) {
    // Files first: whoever sees this connection's events can read its frames and transcript.
    if let Some(mut capture) = capture.and_then(SharedCapture::into_inner) {
        capture.finish();
        if obs.transcript.is_empty() {
            obs.transcript = wire_transcript(capture.data());
        }
        if let Some(sink) = &shared.options.pcap {
            if let Err(e) = sink.write(&capture) {
                eprintln!("cannot add connection {} to the pcap file: {e}", obs.conn);
            }
        }
    }
    if let (Some(dir), false) = (&shared.options.transcript_dir, obs.transcript.is_empty()) {
        let path = dir.join(format!("{}-{}.txt", obs.scenario, obs.conn));
        if let Err(e) = crate::observe::write_private(&path, obs.transcript_text().as_bytes()) {
            eprintln!("cannot write transcript {}: {e}", path.display());
        }
    }
    if shared.options.log {
        eprintln!("{}", obs.log_line());
    }
    if let Some(sink) = &shared.options.events {
        if let Ok(mut out) = sink.lock() {
            for event in &obs.events {
                let mut line = serde_json::to_value(event).unwrap_or_default();
                if let Some(map) = line.as_object_mut() {
                    map.insert("scenario".into(), obs.scenario.clone().into());
                    map.insert("conn".into(), obs.conn.into());
                }
                let _ = writeln!(out, "{line}");
            }
            let _ = out.flush();
        }
    }
    if let Ok(mut done) = shared.collected.done.lock() {
        done.total += 1;
        if done.kept.len() == KEPT {
            done.kept.pop_front();
        }
        done.kept.push_back(obs);
    }
    shared.collected.changed.notify_waiters();
}
