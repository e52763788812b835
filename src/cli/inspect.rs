//! `seqzoo inspect FILE`: the tensors, dtypes, shapes and metadata of a safetensors file, and the
//! recurrent architecture it holds.

use super::Failure;
use autograd::params::read_tensors;
use clap::Args;
use std::fmt::Write;
use std::path::PathBuf;
use zoo::recurrent::exchange;

/// Arguments of `seqzoo inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A safetensors file (weights, inputs or outputs).
    pub file: PathBuf,
}

/// Lists the file's contents and, when the names and shapes fit one, its recurrent layer.
pub fn run(args: &InspectArgs) -> Result<String, Failure> {
    let file = read_tensors(&args.file).map_err(Failure::runtime)?;
    let mut out = String::new();
    let width = file.names().map(str::len).max().unwrap_or(4).max(4);
    let _ = writeln!(out, "{}: {} tensors", args.file.display(), file.len());
    let _ = writeln!(out, "  {:<width$}  dtype  shape", "name");
    let mut weights = 0usize;
    for e in file.entries() {
        weights += e.numel();
        let _ = writeln!(
            out,
            "  {:<width$}  {:<5}  {:?}",
            e.name,
            e.dtype.name(),
            e.shape
        );
    }
    let _ = writeln!(out, "elements: {weights}");
    if !file.metadata().is_empty() {
        let _ = writeln!(out, "metadata:");
        for (k, v) in file.metadata() {
            let _ = writeln!(out, "  {k}: {v}");
        }
    }
    match exchange::detect(&file) {
        Ok(cfg) => {
            let _ = writeln!(
                out,
                "architecture: {} ({}), input_size {}, hidden_size {}{}, {} layer(s), {}{}",
                cfg.kind.cell().torch_name(),
                cfg.kind.name(),
                cfg.input_size,
                cfg.hidden_size,
                match cfg.proj_size {
                    0 => String::new(),
                    p => format!(", proj_size {p}"),
                },
                cfg.num_layers,
                if cfg.bidirectional {
                    "bidirectional"
                } else {
                    "unidirectional"
                },
                if cfg.layer_norm {
                    ", layer-normalized"
                } else {
                    ""
                }
            );
            let _ = writeln!(out, "parameters: {weights}");
        }
        Err(e) => {
            let reason = e.to_string();
            let reason = reason
                .strip_prefix(&format!("{}: ", args.file.display()))
                .unwrap_or(&reason);
            let _ = writeln!(out, "architecture: not a recurrent layer ({reason})");
        }
    }
    Ok(out)
}
