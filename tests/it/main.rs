//! Every integration test in one binary: one link instead of one per file, and one
//! PKI load per run. Real clients against real servers on 127.0.0.1.

mod common;

mod cli;
mod conformance;
mod curl_client;
mod deadlines;
#[cfg(feature = "proptest")]
mod fault_props;
mod file_modes;
mod first_flight_props;
#[cfg(feature = "fuzzing")]
mod fuzz_corpus;
mod http_bare_lf;
mod interrupt;
mod intolerance;
mod java_client;
mod keylog;
mod limits;
mod log_escape;
mod mtls_alerts;
mod openssl_client;
mod pcap;
mod pki;
mod python_client;
mod runner;
mod rustls_client;
mod scenario_validate;
mod scripted_alerts;
mod scripted_faults;
mod scripted_handshake;
mod scripted_matrix;
mod scripted_renegotiation;
mod scripted_scenarios;
mod serve_process;
mod shutdown;
mod smoke;
mod sslyze;
mod test_api;
mod tls13_scripted;
mod tls_exchange;
mod verdicts;
