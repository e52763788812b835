//! `seqzoo forward WEIGHTS INPUT -o OUTPUT [--grad-probe]`: run a PyTorch-format recurrent layer.

use super::{Failure, EXIT_FAILURE};
use autograd::params::{read_tensors, write_tensors, FileDtype};
use autograd::{Element, SafetensorsFile, Tape, Tensor};
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;
use zoo::recurrent::exchange;
use zoo::{Ctx, RecurrentInput};

/// Arguments of `seqzoo forward`.
#[derive(Debug, Args)]
pub struct ForwardArgs {
    /// A safetensors file holding an nn.RNN/nn.LSTM/nn.GRU state_dict.
    pub weights: PathBuf,
    /// A safetensors file with `input` [B, T, I] and optionally `h0`, `c0`, `lengths`, `probe`.
    pub input: PathBuf,
    /// Where to write `output`, `h_n` (and `c_n`; with --grad-probe also the gradients).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Backpropagate sum(output ⊙ probe) and write `grad.input` and `grad.<param>`.
    #[arg(long)]
    pub grad_probe: bool,
}

/// A runtime failure naming the INPUT file.
fn bad_input(args: &ForwardArgs, what: String) -> Failure {
    Failure {
        message: format!("{}: {what}", args.input.display()),
        code: EXIT_FAILURE,
    }
}

/// Runs the subcommand in the dtype of the input's `input` tensor.
pub fn run(args: &ForwardArgs) -> Result<String, Failure> {
    let weights = read_tensors(&args.weights).map_err(Failure::runtime)?;
    let io = read_tensors(&args.input).map_err(Failure::runtime)?;
    let input = io
        .entry("input")
        .ok_or_else(|| bad_input(args, "no tensor `input` (expected [B, T, I])".to_string()))?;
    match input.dtype {
        FileDtype::F64 => run_in::<f64>(args, &weights, &io),
        FileDtype::F32 => run_in::<f32>(args, &weights, &io),
        ref other => Err(bad_input(
            args,
            format!("`input` has dtype {other}; expected F32 or F64"),
        )),
    }
}

fn run_in<E: Element>(
    args: &ForwardArgs,
    weights: &SafetensorsFile,
    io: &SafetensorsFile,
) -> Result<String, Failure> {
    let (layer, store) = exchange::load_file::<E>(weights).map_err(Failure::runtime)?;
    let cfg = layer.config().clone();
    let x: Tensor<E> = io.tensor("input").map_err(Failure::runtime)?;
    if x.rank() != 3 || x.dim(2) != cfg.input_size || x.dim(0) == 0 || x.dim(1) == 0 {
        return Err(bad_input(
            args,
            format!(
                "`input` has shape {:?}; the weights expect [B, T, {}] with B, T >= 1 (input_size {})",
                x.shape(),
                cfg.input_size,
                cfg.input_size
            ),
        ));
    }
    let (b, t) = (x.dim(0), x.dim(1));
    // h0 is `[D·L, B, P]` (P = H without projection), c0 `[D·L, B, H]`.
    let state = |name: &str, width: usize| -> Result<Option<Tensor<E>>, Failure> {
        let state_shape = [cfg.directions() * cfg.num_layers, b, width];
        if io.entry(name).is_none() {
            return Ok(None);
        }
        let v: Tensor<E> = io.tensor(name).map_err(Failure::runtime)?;
        if v.shape() != state_shape {
            return Err(bad_input(
                args,
                format!(
                    "`{name}` has shape {:?}; expected {state_shape:?}",
                    v.shape()
                ),
            ));
        }
        Ok(Some(v))
    };
    let (h0, c0) = (
        state("h0", cfg.real_hidden_size())?,
        state("c0", cfg.hidden_size)?,
    );
    if c0.is_some() && cfg.kind != zoo::RecurrentKind::Lstm {
        return Err(bad_input(
            args,
            format!(
                "`c0` given, but the weights are a {:?}, not an LSTM",
                cfg.kind
            ),
        ));
    }
    let lengths = match io.entry("lengths") {
        None => None,
        Some(_) => {
            let (shape, values) = io.tensor_i64("lengths").map_err(Failure::runtime)?;
            if shape != [b] || values.iter().any(|&l| l < 1 || l as usize > t) {
                return Err(bad_input(
                    args,
                    format!(
                        "`lengths` {values:?} of shape {shape:?}: expected {b} integers in 1..={t}"
                    ),
                ));
            }
            Some(values.iter().map(|&l| l as usize).collect::<Vec<_>>())
        }
    };
    let probe: Option<Tensor<E>> = if args.grad_probe {
        let p: Tensor<E> = io.tensor("probe").map_err(|_| {
            bad_input(
                args,
                "--grad-probe needs a tensor `probe` shaped like `output`".to_string(),
            )
        })?;
        Some(p)
    } else {
        None
    };

    let states = [
        h0.as_ref().map(Tensor::shape),
        c0.as_ref().map(Tensor::shape),
    ];
    layer
        .check_input(
            x.shape(),
            states.map(|s| s.map(<[usize]>::to_vec)),
            lengths.as_deref(),
        )
        .map_err(|e| bad_input(args, e.to_string()))?;
    let tape = Tape::<E>::new();
    let xv = tape.var(x);
    let (h0v, c0v) = (h0.map(|h| tape.var(h)), c0.map(|c| tape.var(c)));
    let input = RecurrentInput {
        h0: h0v,
        c0: c0v,
        lengths: lengths.as_deref(),
    };
    let out = layer.forward(&Ctx::eval(&tape, &store), xv, input);
    let mut written: Vec<(String, Tensor<E>)> = vec![
        ("output".into(), out.output.value()),
        ("h_n".into(), out.h_n.value()),
    ];
    if let Some(c_n) = out.c_n {
        written.push(("c_n".into(), c_n.value()));
    }
    if let Some(probe) = probe {
        if probe.shape() != out.output.shape() {
            return Err(bad_input(
                args,
                format!(
                    "`probe` has shape {:?}; `output` is {:?}",
                    probe.shape(),
                    out.output.shape()
                ),
            ));
        }
        let grads = (out.output * tape.constant(probe)).sum().backward();
        written.push(("grad.input".into(), grads.wrt(xv)));
        for (name, v) in [("grad.h0", h0v), ("grad.c0", c0v)] {
            if let Some(v) = v {
                written.push((name.into(), grads.wrt(v)));
            }
        }
        for (id, p) in store.iter() {
            let g = grads
                .param(id)
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(p.value.shape()));
            written.push((format!("grad.{}", p.name), g));
        }
    }
    let refs: Vec<(&str, &Tensor<E>)> = written.iter().map(|(n, t)| (n.as_str(), t)).collect();
    write_tensors(&args.output, &refs, &BTreeMap::new()).map_err(Failure::runtime)?;
    Ok(format!(
        "{}: {} {} layer(s){} over [{b}, {t}, {}] → {} ({} tensors)\n",
        args.weights.display(),
        cfg.kind.name(),
        cfg.num_layers,
        if cfg.bidirectional {
            ", bidirectional"
        } else {
            ""
        },
        cfg.input_size,
        args.output.display(),
        written.len()
    ))
}
