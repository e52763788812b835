//! The seed corpus built at harness start: real checkpoints of tiny models trained one or two
//! steps in-process on several tasks and models (built-in, text with a vocabulary, seq2seq,
//! forecasting, an MLP, a `text:` file with its source record).

use autograd::Result;
use seqzoo::problem::{ModelSpec, RunSpec, Session};
use std::path::{Path, PathBuf};
use zoo::TrainConfig;

/// One tiny training run: task, model and task settings.
struct SeedRun {
    task: &'static str,
    model: &'static str,
    settings: &'static [&'static str],
}

/// The runs whose checkpoints seed the checkpoint target.
const SEED_RUNS: [SeedRun; 8] = [
    SeedRun {
        task: "adding",
        model: "lstm",
        settings: &["t=6"],
    },
    SeedRun {
        task: "copy",
        model: "gru",
        settings: &["t=4"],
    },
    SeedRun {
        task: "corpus",
        model: "lstm",
        settings: &[],
    },
    SeedRun {
        task: "reversal",
        model: "gru",
        settings: &["max=4"],
    },
    SeedRun {
        task: "logistic-map",
        model: "mlp",
        settings: &["len=200"],
    },
    SeedRun {
        task: "sines",
        model: "srn",
        settings: &["len=120"],
    },
    SeedRun {
        task: "tagging",
        model: "srn-relu",
        settings: &[],
    },
    SeedRun {
        task: "text:",
        model: "lstm",
        settings: &["window=8"],
    },
];

/// The inputs every target mutates from.
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    /// Bytes of real checkpoint files, one per seed run that trained.
    pub checkpoints: Vec<Vec<u8>>,
}

impl Corpus {
    /// An empty corpus (targets that need none).
    pub fn empty() -> Self {
        Corpus::default()
    }

    /// Trains every seed run one or two steps and keeps the checkpoints, in a scratch directory
    /// (under /dev/shm when there is one) removed afterwards. A run that cannot train is an error.
    pub fn build() -> Result<Self> {
        let dir = scratch_dir();
        std::fs::create_dir_all(&dir).map_err(|e| autograd::Error::io(&dir, e))?;
        let result = SEED_RUNS
            .iter()
            .enumerate()
            .map(|(i, run)| train_checkpoint(run, i, &dir))
            .collect::<Result<Vec<_>>>();
        let _ = std::fs::remove_dir_all(&dir);
        Ok(Corpus {
            checkpoints: result?,
        })
    }
}

/// A fresh scratch directory path for this process.
fn scratch_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    base.join(format!("seqzoo-fuzz-{}", std::process::id()))
}

/// Trains `run` for its step count and returns the checkpoint's bytes.
fn train_checkpoint(run: &SeedRun, i: usize, dir: &Path) -> Result<Vec<u8>> {
    let task = if run.task == "text:" {
        let text_path = dir.join("tiny.txt");
        let text = "the quick brown fox jumps over the lazy dog. ".repeat(12);
        std::fs::write(&text_path, text).map_err(|e| autograd::Error::io(&text_path, e))?;
        format!("text:{}", text_path.display())
    } else {
        run.task.to_string()
    };
    let model = ModelSpec {
        model: run.model.into(),
        hidden: 4,
        embedding: 4,
        ..ModelSpec::default()
    };
    let spec = RunSpec {
        settings: run.settings.iter().map(|s| s.to_string()).collect(),
        seed: i as u64,
        train_size: 16,
        val_size: 4,
        batch: 4,
        ..RunSpec::new(&task, model)
    };
    let steps = 1 + i % 2;
    let mut session = Session::new(spec, TrainConfig::new(steps, "adam", 1e-3)?)?;
    session.run(&mut ())?;
    let path = dir.join(format!("seed-{i}.safetensors"));
    session.save(&path)?;
    std::fs::read(&path).map_err(|e| autograd::Error::io(&path, e))
}
