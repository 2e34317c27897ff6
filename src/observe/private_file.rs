//! Files that hold secrets or the peer's traffic (key log, events, pcap, transcripts):
//! created with mode 0600 from the start, never created wider and narrowed after, so no
//! other user can open one in between.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The mode a private file is created with: read and write for its owner only.
const MODE: u32 = 0o600;

/// Create `path` (mode 0600) or truncate it; an existing file keeps its mode.
pub fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(MODE)
        .open(path)
}

/// Open `path` for appending, creating it with mode 0600; an existing file keeps its mode.
pub fn append_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(MODE)
        .open(path)
}

/// Write `bytes` to `path`, created (mode 0600) or truncated.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    create_private(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_are_0600_whatever_the_umask_allows() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        create_private(&a).unwrap();
        append_private(&b).unwrap().write_all(b"x").unwrap();
        append_private(&b).unwrap().write_all(b"y").unwrap();
        write_private(&c, b"secret").unwrap();
        write_private(&c, b"new").unwrap();
        assert_eq!([mode(&a), mode(&b), mode(&c)], [0o600; 3]);
        assert_eq!(
            std::fs::read(&b).unwrap(),
            b"xy",
            "append keeps what was there"
        );
        assert_eq!(std::fs::read(&c).unwrap(), b"new", "write truncates");
    }
}
