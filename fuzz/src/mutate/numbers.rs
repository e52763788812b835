//! Hostile numbers and text fragments: the values parsers of sizes, shapes and settings get wrong.

use super::Gen;
use rand::Rng;

/// JSON number tokens at the edges of the integer types, and some that are not integers.
pub const HOSTILE_JSON_NUMBERS: [&str; 22] = [
    "0",
    "1",
    "2",
    "3",
    "-1",
    "65536",
    "1073741824",
    "4294967295",
    "4294967296",
    "4611686018427387904",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "-9223372036854775808",
    "1.5",
    "1e400",
    "-0",
    "1e3",
    "\"3\"",
    "null",
];

/// A JSON number token: usually small, often one of [`HOSTILE_JSON_NUMBERS`].
pub fn json_number(rng: &mut Gen) -> String {
    match rng.random_range(0..4) {
        0 => rng.random_range(0..8u32).to_string(),
        1 => rng.random::<u64>().to_string(),
        _ => HOSTILE_JSON_NUMBERS[rng.random_range(0..HOSTILE_JSON_NUMBERS.len())].to_string(),
    }
}

/// Setting values as a user might type them: numbers at every bound, and junk.
const HOSTILE_VALUES: [&str; 28] = [
    "0",
    "1",
    "2",
    "-1",
    "-0",
    "100000",
    "100001",
    "1000000",
    "1000001",
    "10000",
    "10001",
    "9",
    "10",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "1e400",
    "-1e400",
    "NaN",
    "inf",
    "-inf",
    "0.5",
    "1e-320",
    "",
    " ",
    "abc",
    "0x10",
    "+5",
];

/// A setting value: small numbers, bounds and junk.
pub fn setting_value(rng: &mut Gen) -> String {
    match rng.random_range(0..5) {
        0 | 1 => rng.random_range(0..24u32).to_string(),
        2 => format!("{:.3}", rng.random_range(-2.0..6.0f64)),
        _ => HOSTILE_VALUES[rng.random_range(0..HOSTILE_VALUES.len())].to_string(),
    }
}

/// Odd strings: unicode, control characters, quotes, a BOM, long runs, empty.
pub fn odd_text(rng: &mut Gen) -> String {
    const PIECES: [&str; 14] = [
        "", "é", "日本", "\u{feff}", "\u{0}", "\"", "\\", "\n", "\r\n", ",", " ", "🦀", "a", "\t",
    ];
    match rng.random_range(0..6) {
        0 => "x".repeat(rng.random_range(0..2000)),
        _ => (0..rng.random_range(0..6))
            .map(|_| PIECES[rng.random_range(0..PIECES.len())])
            .collect(),
    }
}
