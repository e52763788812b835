//! Loading the user's own text files as UTF-8, with the byte offset of any invalid sequence.

use std::path::Path;

use autograd::{Error, Result};

/// Reads the file at `path` as UTF-8 text.
pub fn read_text(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_utf8(bytes, path)
}

/// Decodes `bytes` as UTF-8; an invalid sequence is an error naming `path`, the byte offset and the
/// line it is on.
pub fn decode_utf8(bytes: Vec<u8>, path: &Path) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
        Error::format(
            path,
            format!(
                "invalid UTF-8 at byte offset {offset} (line {line}): byte 0x{:02x}",
                bytes[offset]
            ),
        )
    })
}
