//! NSS key log lines (the format Wireshark and `SSLKEYLOGFILE` use), for both engines.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Where key log lines go; cheap to clone, safe to share between connections.
#[derive(Clone)]
pub struct KeyLog(Arc<Mutex<Box<dyn Write + Send>>>);

impl std::fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLog")
    }
}

impl KeyLog {
    /// Log into `out` (a file, a `Vec<u8>` behind a writer, stdout).
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self(Arc::new(Mutex::new(out)))
    }

    /// Append to the file at `path`, created with mode 0600: its secrets decrypt every
    /// logged connection.
    pub fn append_to(path: &Path) -> std::io::Result<Self> {
        Ok(Self::new(Box::new(super::append_private(path)?)))
    }

    /// Write `LABEL <client_random hex> <secret hex>` and flush, so a capture tool
    /// reading the file sees it at once.
    pub fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let mut line =
            String::with_capacity(label.len() + 2 * (client_random.len() + secret.len()) + 3);
        line.push_str(label);
        line.push(' ');
        for b in client_random {
            let _ = write!(line, "{b:02x}");
        }
        line.push(' ');
        for b in secret {
            let _ = write!(line, "{b:02x}");
        }
        if let Ok(mut out) = self.0.lock() {
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}

impl rustls::KeyLog for KeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        KeyLog::log(self, label, client_random, secret);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_nss_format() {
        let out = Shared::default();
        let log = KeyLog::new(Box::new(out.clone()));
        log.log("CLIENT_RANDOM", &[0xab, 0x01], &[0xff]);
        assert_eq!(
            String::from_utf8(out.0.lock().unwrap().clone()).unwrap(),
            "CLIENT_RANDOM ab01 ff\n"
        );
    }
}
