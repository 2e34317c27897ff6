//! Every integration test in one binary: one link instead of one per file, and one
//! PKI load per run. Real clients against real servers on 127.0.0.1.

mod common;

mod cli;
mod curl_client;
#[cfg(feature = "proptest")]
mod fault_props;
mod first_flight_props;
#[cfg(feature = "fuzzing")]
mod fuzz_corpus;
mod intolerance;
mod java_client;
mod keylog;
mod openssl_client;
mod pcap;
mod pki;
mod python_client;
mod runner;
mod rustls_client;
mod scenario_validate;
mod scripted_faults;
mod scripted_handshake;
mod scripted_matrix;
mod scripted_renegotiation;
mod scripted_scenarios;
mod smoke;
mod test_api;
mod verdicts;
