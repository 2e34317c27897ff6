//! An in-process rustls client for the tests that only need one request's answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, SupportedProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{self, HOST};

/// rustls speaking `versions`, trusting the test CA bundle, without a client certificate.
pub fn client_config(versions: &[&'static SupportedProtocolVersion]) -> Arc<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(
        CertificateDer::pem_file_iter(common::ca_bundle())
            .expect("ca-bundle.pem")
            .flatten(),
    );
    let config = ClientConfig::builder_with_protocol_versions(versions)
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// `request` to `addr` over TLS (any version, as HOST); what came back before the server
/// closed, or within 15 s.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(client_config(rustls::ALL_VERSIONS))
        .connect(ServerName::try_from(HOST).unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(request).await.unwrap();
    let mut response = Vec::new();
    let read = tls.read_to_end(&mut response);
    let _ = tokio::time::timeout(Duration::from_secs(15), read).await;
    String::from_utf8_lossy(&response).into_owned()
}
