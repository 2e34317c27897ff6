//! Sessions the scripted engine resumes by ID (RFC 5246 §7.3's abbreviated handshake),
//! when the scenario enables resumption. Bounded: the oldest are forgotten first.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::crypto::suites::SuiteSpec;
use crate::observe::ClientHelloInfo;
use crate::wire::ProtocolVersion;

/// How many sessions are remembered.
const CAPACITY: usize = 1024;

/// What a resumed handshake reuses.
#[derive(Clone)]
pub(super) struct Saved {
    pub version: ProtocolVersion,
    pub suite: &'static SuiteSpec,
    pub master: [u8; 48],
    pub extended_master_secret: bool,
    pub client_chain: Vec<Vec<u8>>,
}

/// Session ID → saved session.
#[derive(Default)]
pub(super) struct SessionCache(Mutex<VecDeque<(Vec<u8>, Saved)>>);

impl SessionCache {
    pub(super) fn put(&self, id: Vec<u8>, saved: Saved) {
        if let Ok(mut all) = self.0.lock() {
            if all.len() == CAPACITY {
                all.pop_front();
            }
            all.push_back((id, saved));
        }
    }

    /// The session the ClientHello asks to resume, if it fits this connection: same
    /// version, its suite still offered, and the same extended-master-secret choice
    /// (RFC 7627 §5.3 forbids resuming across it).
    pub(super) fn resumable(
        &self,
        hello: &ClientHelloInfo,
        version: ProtocolVersion,
        extended_master_secret: bool,
    ) -> Option<Saved> {
        if hello.session_id.is_empty() {
            return None;
        }
        let all = self.0.lock().ok()?;
        let (_, saved) = all.iter().find(|(id, _)| *id == hello.session_id)?;
        (saved.version == version
            && saved.extended_master_secret == extended_master_secret
            && hello.cipher_suites.contains(&saved.suite.id))
        .then(|| saved.clone())
    }
}
