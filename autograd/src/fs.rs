//! Atomic file writes: nothing a user saved is lost to a failed or interrupted write.

use crate::error::Error;
use crate::error::Result;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::fs::File;
use std::fs::OpenOptions;
use std::io;
use std::io::BufWriter;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;

/// Distinguishes temp files of concurrent saves within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The ending of the temp files of [`atomic_write`].
const TEMP_SUFFIX: &str = ".tmp";

/// The directory and file name of `path` (the directory `.` for a bare file name), or an error
/// naming `path` when it has no file name.
fn split(path: &Path) -> Result<(&Path, &OsStr)> {
    let Some(file_name) = path.file_name() else {
        return Err(Error::io(
            path,
            io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"),
        ));
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Ok((dir, file_name))
}

/// The prefix of every temp file of `file_name`: `.<file_name>.`.
fn temp_prefix(file_name: &OsStr) -> OsString {
    let mut prefix = OsString::from(".");
    prefix.push(file_name);
    prefix.push(".");
    prefix
}

/// A fresh temp-file name beside `file_name`: `.<file_name>.<pid>.<counter>.tmp`.
fn temp_name(file_name: &OsStr) -> OsString {
    let mut name = temp_prefix(file_name);
    name.push(format!(
        "{}.{}{TEMP_SUFFIX}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    name
}

/// The process id in `name` when it is a temp file of [`atomic_write`] for `file_name`
/// (`.<file_name>.<pid>.<counter>.tmp`).
fn temp_pid(name: &OsStr, file_name: &OsStr) -> Option<u32> {
    let prefix = temp_prefix(file_name);
    let rest = name
        .to_str()?
        .strip_prefix(prefix.to_str()?)?
        .strip_suffix(TEMP_SUFFIX)?;
    let (pid, counter) = rest.split_once('.')?;
    counter.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// Gets `path` ready for [`atomic_write`] before a long job that will write it: removes the temp
/// files an earlier, killed write of `path` left beside it (those of other processes; this
/// process's own may be in use), then creates and removes a probe file in its directory, so an
/// unwritable path is an error naming it now rather than after the job. Returns how many stale
/// temp files were removed.
pub fn prepare_write(path: &Path) -> Result<usize> {
    let (dir, file_name) = split(path)?;
    if path.is_dir() {
        return Err(Error::io(
            path,
            io::Error::new(io::ErrorKind::IsADirectory, "is a directory, not a file"),
        ));
    }
    let mut removed = 0;
    let entries = fs::read_dir(dir).map_err(|e| Error::io(path, e))?;
    for entry in entries.flatten() {
        let stale =
            temp_pid(&entry.file_name(), file_name).is_some_and(|p| p != std::process::id());
        if stale {
            fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
            removed += 1;
        }
    }
    // Named like a temp file, so a probe left by a kill is removed as stale next time.
    let probe = dir.join(temp_name(file_name));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| Error::io(path, e))?;
    fs::remove_file(&probe).map_err(|e| Error::io(&probe, e))?;
    Ok(removed)
}

/// Writes through `write` to a temp file beside `path`, fsyncs it and renames it over `path`;
/// on any failure the temp file is removed and `path` is untouched.
pub fn atomic_write(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<()> {
    let (dir, file_name) = split(path)?;
    let tmp = dir.join(temp_name(file_name));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::io(&tmp, e))?;
    let result = (|| {
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    // Make the rename durable; not every platform can open a directory, so this is best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognized_with_their_process() {
        let name = temp_name(OsStr::new("a.st"));
        assert_eq!(
            temp_pid(&name, OsStr::new("a.st")),
            Some(std::process::id())
        );
        assert_eq!(temp_pid(&name, OsStr::new("b.st")), None);
        assert_eq!(
            temp_pid(OsStr::new(".a.st.12.3.tmp"), OsStr::new("a.st")),
            Some(12)
        );
        for other in [
            ".a.st.12.tmp",
            ".a.st.x.3.tmp",
            ".a.st.12.3.probe",
            "a.st",
            ".a.st.1.2.3.tmp",
        ] {
            assert_eq!(
                temp_pid(OsStr::new(other), OsStr::new("a.st")),
                None,
                "{other}"
            );
        }
    }

    #[test]
    fn prepare_write_removes_stale_temp_files_and_probes_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("ckpt.safetensors");
        let keep = [
            "other.txt",
            ".ckpt.safetensors.1.tmp",
            ".other.safetensors.7.0.tmp",
        ];
        for name in keep.iter().chain(&[".ckpt.safetensors.4000000.0.tmp"]) {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(prepare_write(&target).unwrap(), 1);
        let mut left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut want: Vec<_> = keep.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(left, want);
        assert!(!target.exists());
    }

    #[test]
    fn prepare_write_names_an_unwritable_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        fs::write(&file, b"x").unwrap();
        for bad in [
            file.join("ckpt.safetensors"),
            dir.path().join("missing/ckpt.safetensors"),
            dir.path().to_path_buf(),
        ] {
            let e = prepare_write(&bad).unwrap_err().to_string();
            assert!(e.starts_with(&bad.display().to_string()), "{e}");
        }
    }
}
