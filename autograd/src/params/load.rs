//! Saving a `ParamStore` to a safetensors file and loading one back, strictly or leniently.

use crate::element::Element;
use crate::error::Error;
use crate::error::Result;
use crate::params::ParamId;
use crate::params::ParamStore;
use crate::tensor::Tensor;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::path::Path;

use super::file::{read_tensors, write_tensors, SafetensorsFile};

/// What a load did: the keys loaded and, for each key skipped, one problem message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Parameters whose value was replaced from the file.
    pub loaded: Vec<String>,
    /// Parameters of the store that the file lacks.
    pub missing: Vec<String>,
    /// Tensors of the file that the store lacks.
    pub unexpected: Vec<String>,
    /// Keys present in both whose shape or dtype does not fit.
    pub mismatched: Vec<String>,
    /// One message per skipped key, naming the key and the expected and found shapes.
    pub problems: Vec<String>,
}

impl LoadReport {
    /// Whether every parameter was loaded and the file held nothing else.
    pub fn is_complete(&self) -> bool {
        self.problems.is_empty()
    }
}

impl<E: Element> ParamStore<E> {
    /// Saves every parameter (by name, dtype `E::DTYPE`) and `metadata` to `path`, atomically.
    pub fn save(&self, path: impl AsRef<Path>, metadata: &BTreeMap<String, String>) -> Result<()> {
        let tensors: Vec<(&str, &Tensor<E>)> = self
            .iter()
            .map(|(_, p)| (p.name.as_str(), &p.value))
            .collect();
        write_tensors(path, &tensors, metadata)
    }

    /// Loads parameter values from a safetensors file by name (see [`ParamStore::load_from`]).
    pub fn load(&mut self, path: impl AsRef<Path>, strict: bool) -> Result<LoadReport> {
        let file = read_tensors(path)?;
        self.load_from(&file, strict)
    }

    /// Loads values by name, converting float dtypes to `E`; strict mode fails with every problem
    /// in one [`Error::Load`] and changes nothing, lenient mode loads what fits and reports the rest.
    pub fn load_from(&mut self, file: &SafetensorsFile, strict: bool) -> Result<LoadReport> {
        let mut report = LoadReport::default();
        let mut updates: Vec<(ParamId, Tensor<E>)> = Vec::new();
        let mut known = BTreeSet::new();
        for (id, p) in self.iter() {
            known.insert(p.name.as_str());
            let expected = p.value.shape();
            let Some(entry) = file.entry(&p.name) else {
                report.missing.push(p.name.clone());
                report.problems.push(format!(
                    "missing key `{}`: expected shape {expected:?}, found none",
                    p.name
                ));
                continue;
            };
            let problem = if entry.shape != expected {
                Some(format!(
                    "key `{}`: shape mismatch: expected {expected:?}, found {:?}",
                    p.name, entry.shape
                ))
            } else if !entry.dtype.is_float() {
                Some(format!(
                    "key `{}`: dtype {} cannot be loaded as floats (expected {}; F64, F32, F16 \
                     and BF16 are converted), shape expected {expected:?}, found {:?}",
                    p.name,
                    entry.dtype,
                    E::DTYPE.name(),
                    entry.shape
                ))
            } else {
                match file.tensor::<E>(&p.name) {
                    Ok(t) => {
                        updates.push((id, t));
                        None
                    }
                    Err(e) => Some(format!("key `{}`: {e}", p.name)),
                }
            };
            if let Some(problem) = problem {
                report.mismatched.push(p.name.clone());
                report.problems.push(problem);
            } else {
                report.loaded.push(p.name.clone());
            }
        }
        for entry in file.entries() {
            if !known.contains(entry.name.as_str()) {
                report.unexpected.push(entry.name.clone());
                report.problems.push(format!(
                    "unexpected key `{}`: expected none, found shape {:?} ({})",
                    entry.name, entry.shape, entry.dtype
                ));
            }
        }
        if strict && !report.problems.is_empty() {
            return Err(Error::Load {
                path: file.path().to_path_buf(),
                problems: report.problems,
            });
        }
        for (id, t) in updates {
            self.set_value(id, t);
        }
        Ok(report)
    }
}
