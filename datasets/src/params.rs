//! Task settings given as `key=value` strings (`seqzoo data copy --set t=200`): parsed, typed on
//! use, and every key checked, so a typo is an error naming the key rather than silently ignored.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::str::FromStr;

use autograd::{Error, Result};

/// `key=value` settings of one task; an empty set means the task's defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    pairs: Vec<(String, String)>,
    asked: RefCell<BTreeSet<&'static str>>,
}

impl Params {
    /// Parses `key=value` items (an error naming the item without `=` or with an empty key, or a
    /// key given twice).
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for item in items {
            let item = item.as_ref();
            let Some((key, value)) = item.split_once('=') else {
                return Err(Error::Config(format!(
                    "setting '{item}' is not of the form key=value"
                )));
            };
            let key = key.trim();
            if key.is_empty() || pairs.iter().any(|(k, _)| k == key) {
                return Err(Error::Config(format!(
                    "setting '{item}': the key is empty or given twice"
                )));
            }
            pairs.push((key.to_string(), value.trim().to_string()));
        }
        Ok(Params {
            pairs,
            asked: RefCell::default(),
        })
    }

    /// Whether no settings were given.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The settings as given, `key=value` joined by spaces.
    pub fn describe(&self) -> String {
        let items: Vec<String> = self.pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        items.join(" ")
    }

    /// The value of `key` parsed as `T`, or `default` when it was not given; an error naming the
    /// key and value when it does not parse.
    pub fn get<T: FromStr>(&self, key: &'static str, default: T) -> Result<T> {
        self.asked.borrow_mut().insert(key);
        let Some((_, value)) = self.pairs.iter().find(|(k, _)| k == key) else {
            return Ok(default);
        };
        value.parse().map_err(|_| {
            Error::Config(format!(
                "setting '{key}={value}': expected {}",
                std::any::type_name::<T>()
            ))
        })
    }

    /// The value of `key` as [`Params::get`] gives it, and an error naming the key and `max` when
    /// it is above `max` (or not comparable, as NaN) or does not parse (as a count past the
    /// largest integer).
    pub fn get_at_most<T>(&self, key: &'static str, default: T, max: T) -> Result<T>
    where
        T: FromStr + PartialOrd + std::fmt::Display,
    {
        let value = self.get(key, default).map_err(|e| match e {
            Error::Config(m) => Error::Config(format!("{m}; {key} must be at most {max}")),
            other => other,
        })?;
        // Incomparable (NaN) is refused as above the bound.
        if !matches!(
            value.partial_cmp(&max),
            Some(Ordering::Less | Ordering::Equal)
        ) {
            return Err(Error::Config(format!(
                "setting '{key}={value}' is above the bound: {key} must be at most {max}"
            )));
        }
        Ok(value)
    }

    /// An error naming any given key that `task` never asked for, with the keys it knows.
    pub fn check_all_used(&self, task: &str) -> Result<()> {
        let asked = self.asked.borrow();
        if let Some((key, _)) = self.pairs.iter().find(|(k, _)| !asked.contains(k.as_str())) {
            let known: Vec<&str> = asked.iter().copied().collect();
            let known = if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            };
            return Err(Error::Config(format!(
                "task '{task}' has no setting '{key}'; its settings: {known}"
            )));
        }
        Ok(())
    }
}
