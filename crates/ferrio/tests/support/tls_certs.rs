//! Test certificates, generated with rcgen: a self-signed certificate for
//! `localhost`, a server configuration presenting it and a client
//! configuration trusting it. ferrio-cli's tests use this file too
//! (`#[path]` from `crates/ferrio-cli/tests/support/tls.rs`).

#![allow(dead_code)]

use std::sync::Arc;

use ferrio::stream::tls::{provider, rustls};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct Configs {
    pub server: Arc<rustls::ServerConfig>,
    pub client: Arc<rustls::ClientConfig>,
    /// The certificate as PEM, for a client in another process.
    pub cert_pem: String,
}

pub fn configs() -> Configs {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Configs {
        server: Arc::new(server),
        client: Arc::new(client),
        cert_pem,
    }
}
