//! Date-format translation (seq2seq): a date as people write it → ISO `YYYY-MM-DD`.
//!
//! Dates are uniform over 1950-01-01..=2049-12-31; each example picks one of [`FORMATS`] formats.

use autograd::{Result, Rng};

use super::task::SyntheticSpec;
use super::{framed, positional_majority_baseline, seq2seq_recipe, show_translation, Generator};
use crate::dataset::{Baseline, Example, Input, Target};
use crate::params::Params;
use crate::recipe::Recipe;
use crate::task::Problem;
use crate::text::{Granularity, Vocab};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
/// How many human formats there are.
pub const FORMATS: usize = 12;

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date {
    /// Year, e.g. 2026.
    pub year: u32,
    /// Month 1..=12.
    pub month: u32,
    /// Day 1..=31.
    pub day: u32,
}

// `is_multiple_of` needs Rust 1.87; the workspace supports 1.80.
#[allow(clippy::manual_is_multiple_of)]
fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    /// A uniform random date in 1950..=2049 (month-days weighted equally per month).
    pub fn random(rng: &mut Rng) -> Date {
        let year = 1950 + rng.below(100) as u32;
        let month = 1 + rng.below(12) as u32;
        let day = 1 + rng.below(days_in_month(year, month) as usize) as u32;
        Date { year, month, day }
    }

    /// 0 = Sunday … 6 = Saturday (Sakamoto's method).
    pub fn weekday(&self) -> usize {
        const T: [u32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let y = if self.month < 3 {
            self.year - 1
        } else {
            self.year
        };
        ((y + y / 4 - y / 100 + y / 400 + T[self.month as usize - 1] + self.day) % 7) as usize
    }

    /// `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// The date in human format `format` (0..[`FORMATS`]).
    pub fn human(&self, format: usize) -> String {
        let (y, m, d) = (self.year, self.month, self.day);
        let name = MONTHS[m as usize - 1];
        let short = &name[..3];
        let suffix = match d {
            1 | 21 | 31 => "st",
            2 | 22 => "nd",
            3 | 23 => "rd",
            _ => "th",
        };
        match format % FORMATS {
            0 => format!("{d} {} {y}", short.to_lowercase()),
            1 => format!("{d} {name} {y}"),
            2 => format!("{name} {d}, {y}"),
            3 => format!("{short} {d}, {y}"),
            4 => format!("{d:02}.{m:02}.{y}"),
            5 => format!("{d}/{m}/{y}"),
            6 => format!("{y}/{m:02}/{d:02}"),
            7 => format!("{y}{m:02}{d:02}"),
            8 => format!("{}, {name} {d}, {y}", WEEKDAYS[self.weekday()]),
            9 => format!("{d}{suffix} of {name} {y}"),
            10 => format!("{d:02}-{short}-{y}"),
            _ => format!("{} {d} {y}", name.to_uppercase()),
        }
    }
}

/// Translate human-written dates to ISO format, character by character.
#[derive(Clone, Debug, PartialEq)]
pub struct Dates {
    vocab: Vocab,
}

impl Default for Dates {
    fn default() -> Self {
        let chars = ('a'..='z')
            .chain('A'..='Z')
            .chain('0'..='9')
            .chain(" ,./-".chars());
        Dates {
            vocab: Vocab::from_tokens(Granularity::Char, chars.map(String::from)),
        }
    }
}

impl Dates {
    /// The character vocabulary of inputs and outputs.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// One date and format drawn from `rng`.
    pub fn draw(rng: &mut Rng) -> (Date, usize) {
        let date = Date::random(rng);
        (date, rng.below(FORMATS))
    }
}

impl Generator for Dates {
    fn vocab(&self) -> Option<&Vocab> {
        Some(&self.vocab)
    }
    fn generate(&self, rng: &mut Rng) -> Example {
        let (date, format) = Dates::draw(rng);
        Example {
            input: Input::Tokens(self.vocab.encode(&date.human(format))),
            target: Target::Tokens(framed(self.vocab.encode(&date.iso()))),
        }
    }
    fn baseline(&self, examples: &mut dyn Iterator<Item = Example>) -> Option<Baseline> {
        Some(positional_majority_baseline(examples))
    }
}

/// The date-translation task.
pub struct DatesTask;

impl SyntheticSpec for DatesTask {
    type Generator = Dates;

    fn name(&self) -> &'static str {
        "dates"
    }

    fn summary(&self) -> &'static str {
        "12 human date formats -> ISO YYYY-MM-DD"
    }

    fn problem(&self) -> Problem {
        Problem::Seq2Seq
    }

    fn recipe(&self) -> Recipe {
        seq2seq_recipe(64, 1000)
    }

    fn generator(&self, _params: &Params) -> Result<Dates> {
        Ok(Dates::default())
    }

    fn show_example(&self, g: &Dates, e: &Example, _seed: u64, _index: usize) -> String {
        show_translation(e, g.vocab())
    }
}
