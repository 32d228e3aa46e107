//! Every file imgedit reads is read here: within a size limit checked while reading, and, for
//! streams (a FIFO, a pipe from process substitution), within a time limit too. Devices and sockets
//! are refused: `/dev/zero` or a terminal is never an image, a config or a token cache.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::input_err;
use crate::error::{Error, Result};

/// How much of one file may be read, and what the error says to raise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimit {
    /// Bytes of a regular file.
    pub max_bytes: u64,
    /// Bytes of a stream, whose size is not known before reading (at most `max_bytes`).
    pub max_stream_bytes: u64,
    /// How to allow more, e.g. "raise limits.max_file_bytes in the config".
    pub raise: &'static str,
}

/// Config files, token caches, the browser client's `config.js`: text of a few kilobytes.
pub const SMALL_TEXT: ReadLimit = ReadLimit {
    max_bytes: 1 << 20,
    max_stream_bytes: 1 << 20,
    raise: "such a file is a few kilobytes; check that the path names the right file",
};

/// How long a stream may take to deliver its bytes.
pub const STREAM_SECS: u64 = 10;

/// Reads a whole file within `limit`.
pub fn read_bounded(path: &Path, limit: ReadLimit) -> Result<Vec<u8>> {
    let file = open(path)?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    let ft = meta.file_type();
    if ft.is_dir() {
        return Err(input_err!("{}: is a directory, not a file", path.display()));
    }
    if ft.is_file() {
        if meta.len() > limit.max_bytes {
            return Err(too_large(
                path,
                &meta.len().to_string(),
                limit.max_bytes,
                limit.raise,
            ));
        }
        // read no more than the limit even if the file grows meanwhile
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        (&file)
            .take(limit.max_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
        if bytes.len() as u64 > limit.max_bytes {
            return Err(too_large(
                path,
                &format!("more than {} (it grew while read)", limit.max_bytes),
                limit.max_bytes,
                limit.raise,
            ));
        }
        return Ok(bytes);
    }
    if let Some(kind) = device_kind(&ft) {
        return Err(input_err!(
            "{}: is a {kind}, not a file; imgedit reads regular files and pipes",
            path.display()
        ));
    }
    read_stream(
        path,
        file,
        limit.max_stream_bytes.min(limit.max_bytes),
        limit.raise,
    )
}

/// [`read_bounded`], with a missing file as `None`.
pub fn read_if_exists(path: &Path, limit: ReadLimit) -> Result<Option<Vec<u8>>> {
    match read_bounded(path, limit) {
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(None),
        other => other.map(Some),
    }
}

/// [`read_if_exists`] as UTF-8 text.
pub fn read_text_if_exists(path: &Path, limit: ReadLimit) -> Result<Option<String>> {
    read_if_exists(path, limit)?
        .map(|b| utf8(path, b))
        .transpose()
}

/// [`read_bounded`] as UTF-8 text.
pub fn read_text(path: &Path, limit: ReadLimit) -> Result<String> {
    utf8(path, read_bounded(path, limit)?)
}

fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| input_err!("{}: not UTF-8 text", path.display()))
}

fn too_large(path: &Path, size: &str, max: u64, raise: &str) -> Error {
    input_err!(
        "{}: the file is {size} bytes, over the limit of {max} bytes ({raise})",
        path.display()
    )
}

#[cfg(unix)]
fn open(path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // non-blocking, so that opening a FIFO nobody writes to returns at once
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| Error::io(path, e))
}

#[cfg(unix)]
fn device_kind(ft: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_char_device() {
        Some("character device")
    } else if ft.is_block_device() {
        Some("block device")
    } else if ft.is_socket() {
        Some("socket")
    } else {
        None
    }
}

#[cfg(not(unix))]
fn device_kind(_ft: &std::fs::FileType) -> Option<&'static str> {
    None
}

/// Reads a stream (a FIFO or pipe) to its end, within `max` bytes and `STREAM_SECS`.
fn read_stream(path: &Path, mut file: std::fs::File, max: u64, raise: &str) -> Result<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(STREAM_SECS);
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(bytes),
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                if bytes.len() as u64 > max {
                    return Err(input_err!(
                        "{}: the stream sent more than {max} bytes, the limit for a pipe or FIFO ({raise})",
                        path.display()
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() > deadline {
                    return Err(input_err!(
                        "{}: the stream did not end within {STREAM_SECS} s ({} bytes so far)",
                        path.display(),
                        bytes.len()
                    ));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: ReadLimit = ReadLimit {
        max_bytes: 100,
        max_stream_bytes: 50,
        raise: "raise it",
    };

    #[test]
    fn regular_files_within_and_over_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, [1u8; 100]).unwrap();
        assert_eq!(read_bounded(&p, TINY).unwrap().len(), 100);
        std::fs::write(&p, [1u8; 101]).unwrap();
        let e = read_bounded(&p, TINY).unwrap_err().to_string();
        assert!(
            e.contains("101 bytes") && e.contains("limit of 100") && e.contains("raise it"),
            "{e}"
        );
        assert!(e.contains(&p.display().to_string()), "{e}");
    }

    #[test]
    fn a_sparse_3_gb_file_is_refused_by_its_size_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sparse");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(3 << 30).unwrap();
        let t = Instant::now();
        let e = read_bounded(&p, TINY).unwrap_err().to_string();
        assert!(e.contains("3221225472 bytes"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_and_missing_files_are_none() {
        let e = read_bounded(Path::new("/dev/zero"), TINY)
            .unwrap_err()
            .to_string();
        assert!(e.contains("/dev/zero: is a character device"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        assert!(
            read_if_exists(&dir.path().join("none"), TINY)
                .unwrap()
                .is_none()
        );
        let e = read_bounded(dir.path(), TINY).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
    }
}
