mod common;

use std::sync::{Arc, Mutex};

use rustls::client::ResolvesClientCert;
use rustls::crypto::aws_lc_rs;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn roots() -> RootCertStore {
    let mut r = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(common::ca_bundle()).unwrap() {
        r.add(c.unwrap()).unwrap();
    }
    r
}

#[derive(Debug)]
struct Rec { key: Option<Arc<CertifiedKey>>, hints: Mutex<Vec<Vec<Vec<u8>>>> }
impl ResolvesClientCert for Rec {
    fn resolve(&self, h: &[&[u8]], _s: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.hints.lock().unwrap().push(h.iter().map(|x| x.to_vec()).collect());
        self.key.clone()
    }
    fn has_certs(&self) -> bool { self.key.is_some() }
}

fn client_key() -> Arc<CertifiedKey> {
    let e = common::entity("client");
    let provider = aws_lc_rs::default_provider();
    let key = provider.key_provider.load_private_key(PrivateKeyDer::Pkcs8(e.key.clone_key())).unwrap();
    Arc::new(CertifiedKey::new(e.chain_der(), key))
}

async fn go(name: &str, with_cert: bool) {
    let server = common::start(name).await;
    let rec = Arc::new(Rec { key: with_cert.then(client_key), hints: Mutex::default() });
    let cfg = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions().unwrap()
        .with_root_certificates(roots())
        .with_client_cert_resolver(rec.clone());
    let conn = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let res = conn.connect(ServerName::try_from("server.quirktls.test").unwrap(), tcp).await;
    let out = match res {
        Ok(mut s) => {
            let (_, c) = s.get_ref();
            let info = format!("{:?} {:?}", c.protocol_version(), c.negotiated_cipher_suite().map(|s| s.suite()));
            let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
            let mut buf = Vec::new();
            let r = s.read_to_end(&mut buf).await;
            format!("OK {info} read={:?} body={:?}", r.err().map(|e| e.to_string()), String::from_utf8_lossy(&buf))
        }
        Err(e) => format!("ERR {:?}", e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()).map(|e| format!("{e:?} / {e}")).unwrap_or(e.to_string())),
    };
    let obs = common::observation(&server, 1).await;
    let ev: Vec<_> = obs.events().filter(|e| !matches!(e, quirktls::observe::Event::ClientHello(_))).collect();
    println!("=== {name} cert={with_cert}\n  client: {out}\n  hints: {:?}\n  server: {:?}\n  log: {}", rec.hints.lock().unwrap().iter().map(|v| v.len()).collect::<Vec<_>>(), ev, obs.log_line());
}

#[tokio::test]
async fn explore() {
    for f in std::fs::read_dir("scenarios").unwrap() {
        let p = f.unwrap().path();
        let n = p.file_stem().unwrap().to_str().unwrap().to_string();
        go(&format!("scenarios/{n}.yaml"), n.starts_with("mtls")).await;
        if n.starts_with("mtls") { go(&format!("scenarios/{n}.yaml"), false).await; }
    }
}
