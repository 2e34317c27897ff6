//! The listener: one per scenario, a task per connection, observations collected.

use std::collections::VecDeque;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::app::{self, AppLimits};
use crate::engine::{linger_close, Clock, Engine, EngineError, ReplayTap};
use crate::observe::{
    read_first_flight, wire_transcript, Capture, ClientHelloInfo, CloseKind, Cut, Deadline, Event,
    FirstFlightError, FirstFlightLimits, KeyLog, Limit, Observation, PcapSink, SharedCapture,
};
use crate::pki::Pki;
use crate::scenario::{Deadlines, HelloMatch, Intolerance, Reaction, Scenario, SniPolicy};
use crate::wire::{Alert, AlertDescription, ProtocolVersion};

pub use crate::engine::{BytesExhausted, DeadlineExceeded};

/// Where each finished connection's events go as JSON lines, one whole line per write.
pub type EventSink = Arc<Mutex<Box<dyn Write + Send>>>;

/// Concurrent connections allowed across every scenario server sharing it (clones share
/// the count): the process-wide limit.
#[derive(Debug, Clone)]
pub struct ConnectionBudget {
    max: u64,
    open: Arc<Semaphore>,
}

impl ConnectionBudget {
    /// Default of `--max-connections`.
    pub const DEFAULT: u64 = 16_384;

    /// A budget of `max` concurrent connections.
    pub fn new(max: u64) -> Self {
        let permits = usize::try_from(max)
            .unwrap_or(usize::MAX)
            .min(Semaphore::MAX_PERMITS);
        Self {
            max,
            open: Arc::new(Semaphore::new(permits)),
        }
    }

    /// The limit.
    pub fn max(&self) -> u64 {
        self.max
    }
}

impl Default for ConnectionBudget {
    fn default() -> Self {
        Self::new(Self::DEFAULT)
    }
}

/// How scenario servers listen, how long they wait for peers, and how much they take.
#[derive(Clone)]
pub struct ServerOptions {
    /// Address to bind; loopback unless the user explicitly asks otherwise.
    pub bind: IpAddr,
    /// Most bytes read for the ClientHello (default 64 KiB); its time is
    /// `deadlines.first_flight`.
    pub max_first_flight: usize,
    /// Deadlines of every connection; a scenario's `deadlines:` replace some.
    pub deadlines: Deadlines,
    /// Bytes read and written per connection before it is cut (default 64 MiB); a
    /// scenario's `limits.bytes` replaces it.
    pub max_bytes: u64,
    /// Concurrent connections per scenario (default: none but the process's); a
    /// scenario's `limits.connections` replaces it.
    pub scenario_connections: Option<u64>,
    /// Concurrent connections of every server started with (a clone of) these options.
    pub connections: ConnectionBudget,
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
            max_first_flight: FirstFlightLimits::default().max_bytes,
            deadlines: Deadlines::default(),
            max_bytes: 64 << 20,
            scenario_connections: None,
            connections: ConnectionBudget::default(),
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
            .field("deadlines", &self.deadlines)
            .field("max_bytes", &self.max_bytes)
            .field("connections", &self.connections.max())
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

/// Finished observations: the newest `KEPT` of them, so a long-running server stays
/// bounded; and how many connections are still in flight.
#[derive(Default)]
struct Collected {
    done: Mutex<Finished>,
    in_flight: AtomicUsize,
    changed: Notify,
}

#[derive(Default)]
struct Finished {
    total: usize,
    kept: VecDeque<Observation>,
}

const KEPT: usize = 4096;

/// After the grace period, how long the cut connections get to be recorded.
const CUT_RECORDING: Duration = Duration::from_secs(2);

/// Listen backlog: room for thousands of clients connecting at once (the kernel caps it
/// at net.core.somaxconn).
const BACKLOG: u32 = 65_535;

/// A scenario being served on its own port.
pub struct ScenarioServer {
    scenario: Arc<Scenario>,
    addr: SocketAddr,
    collected: Arc<Collected>,
    task: JoinHandle<()>,
    stop: watch::Sender<bool>,
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
        let listener = listen(addr).map_err(|source| ServerError::Bind {
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
        let (stop, stopped) = watch::channel(false);
        let own_limit = scenario.limits.connections.or(options.scenario_connections);
        let shared = Arc::new(Shared {
            deadlines: options.deadlines.with(&scenario.deadlines),
            max_bytes: scenario.limits.bytes.unwrap_or(options.max_bytes),
            scenario_connections: own_limit.map(ConnectionBudget::new),
            scenario: scenario.clone(),
            engine,
            options: options.clone(),
            collected: collected.clone(),
            stopped,
        });
        let task = tokio::spawn(accept_loop(listener, shared));
        Ok(Self {
            scenario,
            addr,
            collected,
            task,
            stop,
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

    /// How many accepted connections have not finished yet.
    pub fn in_flight(&self) -> usize {
        self.collected.in_flight.load(Ordering::SeqCst)
    }

    /// Stop accepting, give the connections in flight until `grace_end` to finish, then
    /// cut the rest (each recorded with `closed how=shutdown`). Returns once every
    /// connection is recorded (or, for a cut one stuck writing its files, 2 s later);
    /// the number cut.
    pub async fn stop(&self, grace_end: Instant) -> usize {
        self.task.abort();
        if self.wait_idle(grace_end).await {
            return 0;
        }
        let cut = self.in_flight();
        let _ = self.stop.send(true);
        self.wait_idle(Instant::now() + CUT_RECORDING).await;
        cut
    }

    /// Wait until no connection is in flight; false if `deadline` came first.
    async fn wait_idle(&self, deadline: Instant) -> bool {
        loop {
            let notified = self.collected.changed.notified();
            if self.in_flight() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.in_flight() == 0;
            }
        }
    }
}

/// Bind with a backlog for bursts (tokio's `TcpListener::bind` asks for 1024).
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

impl Drop for ScenarioServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A connection's places under the scenario's and the process's limits.
type Permits = [Option<OwnedSemaphorePermit>; 2];

struct Shared {
    scenario: Arc<Scenario>,
    engine: Engine,
    options: ServerOptions,
    /// The process's deadlines with the scenario's on top.
    deadlines: Deadlines,
    max_bytes: u64,
    scenario_connections: Option<ConnectionBudget>,
    collected: Arc<Collected>,
    /// Turns true when the server stops: connections still running are cut.
    stopped: watch::Receiver<bool>,
}

impl Shared {
    /// Permits for one more connection, or the limit that refuses it.
    fn admit(&self) -> Result<Permits, (Limit, u64)> {
        let take = |budget: &ConnectionBudget, limit| {
            budget
                .open
                .clone()
                .try_acquire_owned()
                .map_err(|_| (limit, budget.max))
        };
        let own = match &self.scenario_connections {
            Some(budget) => Some(take(budget, Limit::ScenarioConnections)?),
            None => None,
        };
        let total = take(&self.options.connections, Limit::TotalConnections)?;
        Ok([own, Some(total)])
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut conn = 0u64;
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            // Out of descriptors or similar: back off rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let at = Instant::now();
        conn += 1;
        shared.collected.in_flight.fetch_add(1, Ordering::SeqCst);
        let permits = match shared.admit() {
            Ok(permits) => permits,
            Err((limit, max)) => {
                refuse(stream, peer, conn, limit, max, &shared);
                continue;
            }
        };
        let accepted = Accepted {
            stream,
            peer,
            conn,
            at,
        };
        tokio::spawn(connection(accepted, permits, shared.clone()));
    }
}

/// A connection as the accept loop hands it over.
struct Accepted {
    stream: TcpStream,
    peer: SocketAddr,
    conn: u64,
    /// The deadlines count from here.
    at: Instant,
}

/// One connection's task: serve it until it ends or the server stops, then record it.
async fn connection(accepted: Accepted, permits: Permits, shared: Arc<Shared>) {
    let clock = Clock::new();
    let capture = match (shared.options.captures(), accepted.stream.local_addr()) {
        (true, Ok(local)) => Some(SharedCapture::new(Capture::new(
            accepted.peer,
            local,
            Capture::DEFAULT_LIMIT,
        ))),
        _ => None,
    };
    let mut obs = Observation::new(shared.scenario.name.clone(), accepted.conn);
    let mut stopped = shared.stopped.clone();
    let stopping = async move {
        // The server dropped without `stop`: connections run to their end.
        if stopped.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let cut_by_stop = tokio::select! {
        () = handle(accepted, capture.clone(), &mut obs, &shared, &clock) => false,
        () = stopping => true,
    };
    if let Some(cut) = clock.cut() {
        obs.cut_by(cut);
    } else if cut_by_stop && obs.closed().is_none() {
        obs.push(Event::closed(CloseKind::Shutdown));
    }
    drop(permits);
    finish(obs, capture, &shared);
}

/// Over a connection limit: record it, and close at once so the client fails fast; the
/// bytes already received are read first, so the close is a FIN rather than a reset.
fn refuse(stream: TcpStream, peer: SocketAddr, conn: u64, limit: Limit, max: u64, shared: &Shared) {
    use std::io::Read;
    let mut obs = Observation::new(shared.scenario.name.clone(), conn);
    obs.push(Event::Accepted { peer });
    obs.push(Event::Refused { limit, max });
    obs.cut_by(Cut::Limit(limit));
    if let Ok(mut socket) = stream.into_std() {
        // Non-blocking (tokio's socket): reads what is there, then WouldBlock.
        let mut buf = [0u8; 4096];
        for _ in 0..16 {
            if !matches!(socket.read(&mut buf), Ok(n) if n > 0) {
                break;
            }
        }
        let _ = socket.shutdown(std::net::Shutdown::Write);
    }
    finish(obs, None, shared);
}

/// Serve one connection into `obs`, recording its wire into `capture` if given one.
async fn handle(
    accepted: Accepted,
    capture: Option<SharedCapture>,
    obs: &mut Observation,
    shared: &Shared,
    clock: &Arc<Clock>,
) {
    // Boxed: everything up to the end of the handshake is large and short-lived, while
    // this future lives (in the task) as long as the connection, idle ones included.
    let session = Box::pin(establish(accepted, capture, obs, shared, clock)).await;
    if let Some(session) = session {
        let limits = AppLimits {
            max_request: 16 * 1024,
            drain: shared.deadlines.idle,
        };
        app::serve(session, &shared.scenario.app, obs, limits, clock).await;
    }
}

/// The first flight, the checks before any engine, and the handshake; `None` when the
/// connection ended there (recorded in `obs`).
async fn establish(
    accepted: Accepted,
    capture: Option<SharedCapture>,
    obs: &mut Observation,
    shared: &Shared,
    clock: &Arc<Clock>,
) -> Option<Box<dyn crate::engine::Session>> {
    let Accepted {
        stream, peer, at, ..
    } = accepted;
    let _ = stream.set_nodelay(true);
    let mut io = ReplayTap::new(Vec::new(), stream)
        .with_capture(capture)
        .with_guard(clock.clone(), shared.deadlines, at, shared.max_bytes);
    let scenario = &shared.scenario;
    obs.push(Event::Accepted { peer });
    let limits = FirstFlightLimits {
        max_bytes: shared.options.max_first_flight,
        timeout: shared.deadlines.first_flight,
    };
    let flight = match read_first_flight(&mut io, limits).await {
        Ok(f) => f,
        Err(e) => {
            refuse_first_flight(&mut io, &e, obs).await;
            if matches!(e, FirstFlightError::Timeout) {
                obs.cut_by(Cut::Deadline(Deadline::FirstFlight));
            }
            return None;
        }
    };
    clock.enter(Deadline::Handshake);
    let sni = flight.hello.sni.clone();
    let choke = scenario
        .intolerance
        .iter()
        .find(|rule| matches(&rule.when, &flight.hello));
    obs.push(Event::ClientHello(Box::new(flight.hello)));
    if let Some(rule) = choke {
        choke_on_hello(io, rule, obs).await;
        return None;
    }
    if scenario.tls.sni.policy == SniPolicy::Required && !knows_name(scenario, sni.as_deref()) {
        reject_sni(&mut io, sni, obs).await;
        return None;
    }
    if flight.hello_len > shared.engine.max_hello() {
        refuse_large_hello(&mut io, flight.hello_len, shared.engine.max_hello(), obs).await;
        return None;
    }
    io.replay(flight.bytes);
    shared.engine.handshake(io, obs).await
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
    obs.push(Event::closed(how));
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
    obs.push(Event::closed(CloseKind::FatalAlert));
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
    obs.push(Event::closed(how));
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
    obs.push(Event::closed(CloseKind::FatalAlert));
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
        write_events(sink, &obs);
    }
    if let Ok(mut done) = shared.collected.done.lock() {
        done.total += 1;
        if done.kept.len() == KEPT {
            done.kept.pop_front();
        }
        done.kept.push_back(obs);
    }
    shared.collected.in_flight.fetch_sub(1, Ordering::SeqCst);
    shared.collected.changed.notify_waiters();
}

/// Each event as one JSON line, written whole and flushed: a reader (or a kill) never
/// sees half a line, and lines of concurrent connections never interleave.
fn write_events(sink: &EventSink, obs: &Observation) {
    let Ok(mut out) = sink.lock() else { return };
    let mut line = Vec::with_capacity(256);
    for event in &obs.events {
        let mut value = serde_json::to_value(event).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("scenario".into(), obs.scenario.clone().into());
            map.insert("conn".into(), obs.conn.into());
        }
        line.clear();
        if serde_json::to_writer(&mut line, &value).is_err() {
            continue;
        }
        line.push(b'\n');
        let _ = out.write_all(&line);
        let _ = out.flush();
    }
}
