//! Vocabularies, UTF-8 loading, the built-in corpus and language-model batching.

use std::io::Write;

use datasets::text::corpus;
use datasets::text::file::read_text;
use datasets::text::lm::{ngram_baselines, BpttStream, Sentences};
use datasets::text::vocab::{tokenize, SPECIALS};
use datasets::text::{Granularity, Vocab, BOS, EOS, UNK};
use datasets::{BatchInput, BatchTarget, Batcher, PAD};
use proptest::prelude::*;

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("seqzoo-text-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn specials_come_first_and_frequency_orders_the_rest() {
    let v = Vocab::build(Granularity::Char, ["abracadabra"], 1, None);
    assert_eq!((PAD, BOS, EOS, UNK), (0, 1, 2, 3));
    assert_eq!(v.token(0), "<pad>");
    // a×5, b×2, r×2, c×1, d×1: ties broken alphabetically.
    let order: Vec<&str> = (4..v.len()).map(|i| v.token(i)).collect();
    assert_eq!(order, ["a", "b", "r", "c", "d"]);
    let min2 = Vocab::build(Granularity::Char, ["abracadabra"], 2, None);
    assert_eq!(min2.len(), 4 + 3);
    assert_eq!(min2.id("c"), UNK);
    let capped = Vocab::build(Granularity::Char, ["abracadabra"], 1, Some(6));
    assert_eq!(capped.len(), 6);
    assert_eq!(capped.id("r"), UNK);
}

#[test]
fn word_tokens_split_punctuation_and_decode_back() {
    assert_eq!(
        tokenize(Granularity::Word, "The old dog's net, again!"),
        ["The", "old", "dog's", "net", ",", "again", "!"]
    );
    let text = "The dog slept, but Anna sang.";
    let v = Vocab::build(Granularity::Word, [text], 1, None);
    let ids = v.encode(text);
    assert_eq!(ids.len(), 8);
    assert_eq!(v.decode(&ids), text);
    let mut framed = vec![BOS];
    framed.extend(&ids);
    framed.extend([EOS, PAD, PAD]);
    assert_eq!(v.decode(&framed), text);
    assert_eq!(v.decode(&v.encode("The cat slept.")), "The <unk> slept.");
}

proptest! {
    #[test]
    fn char_round_trip_for_any_text_the_vocab_covers(text in "\\PC{0,40}") {
        let v = Vocab::build(Granularity::Char, [text.as_str()], 1, None);
        prop_assert_eq!(v.decode(&v.encode(&text)), text);
    }
}

#[test]
fn vocab_save_load_round_trip_and_bad_files() {
    let v = Vocab::build(
        Granularity::Word,
        corpus::sentences(1, 50).iter().map(String::as_str),
        2,
        None,
    );
    let path = temp_path("vocab.json");
    v.save(&path).unwrap();
    assert_eq!(Vocab::load(&path).unwrap(), v);
    let bad = temp_path("bad-vocab.json");
    std::fs::write(&bad, b"{\"format\": 3").unwrap();
    let err = Vocab::load(&bad).unwrap_err().to_string();
    assert!(
        err.contains("bad-vocab.json") && err.contains("line 1"),
        "{err}"
    );
    let swapped = format!(
        "{{\"format\":\"seqzoo-vocab-1\",\"granularity\":\"char\",\"tokens\":[\"{}\",\"{}\",\"{}\",\"{}\",\"a\"]}}",
        SPECIALS[1], SPECIALS[0], SPECIALS[2], SPECIALS[3]
    );
    std::fs::write(&bad, swapped).unwrap();
    assert!(Vocab::load(&bad)
        .unwrap_err()
        .to_string()
        .contains("first tokens"));
    let dup = "{\"format\":\"seqzoo-vocab-1\",\"granularity\":\"char\",\"tokens\":[\"<pad>\",\"<bos>\",\"<eos>\",\"<unk>\",\"a\",\"a\"]}";
    std::fs::write(&bad, dup).unwrap();
    assert!(Vocab::load(&bad)
        .unwrap_err()
        .to_string()
        .contains("more than once"));
}

#[test]
fn invalid_utf8_names_the_file_and_byte_offset() {
    let path = temp_path("latin1.txt");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(b"line one\nna\xefve\n")
        .unwrap();
    let err = read_text(&path).unwrap_err().to_string();
    assert!(err.contains("latin1.txt"), "{err}");
    assert!(
        err.contains("byte offset 11") && err.contains("line 2"),
        "{err}"
    );
    let ok = temp_path("utf8.txt");
    std::fs::write(&ok, "naïve ✓\n").unwrap();
    assert_eq!(read_text(&ok).unwrap(), "naïve ✓\n");
    assert!(read_text(temp_path("missing.txt"))
        .unwrap_err()
        .to_string()
        .contains("missing.txt"));
}

#[test]
fn corpus_is_deterministic_varied_and_english_like() {
    let a = corpus::sentences(3, 200);
    assert_eq!(a, corpus::sentences(3, 200));
    assert_ne!(a, corpus::sentences(4, 200));
    assert_eq!(corpus::sentences(3, 10), a[..10]);
    let distinct: std::collections::HashSet<&String> = a.iter().collect();
    assert!(distinct.len() > 190);
    for s in &a {
        assert!(
            s.ends_with('.') && s.chars().next().unwrap().is_uppercase(),
            "{s}"
        );
        assert!(!s.contains("  ") && !s.contains(" ."), "{s}");
    }
}

#[test]
fn bptt_chunks_are_contiguous_rows_with_next_token_targets() {
    let ids: Vec<usize> = (0..23).collect();
    let s = BpttStream::new(&ids, 2, 4).unwrap();
    // Rows: 0..11 and 11..22 (token 22 dropped); 10 input steps per row → chunks 4, 4, 2.
    assert_eq!(s.len(), 3);
    let c0 = s.chunk(0);
    assert_eq!(c0.inputs, [0, 1, 2, 3, 11, 12, 13, 14]);
    assert_eq!(c0.targets, [1, 2, 3, 4, 12, 13, 14, 15]);
    let c2 = s.chunk(2);
    assert_eq!((c2.batch, c2.steps), (2, 2));
    assert_eq!(c2.inputs, [8, 9, 19, 20]);
    assert_eq!(c2.targets, [9, 10, 20, 21]);
    let row0: Vec<usize> = s
        .chunks()
        .flat_map(|c| c.inputs[..c.steps].to_vec())
        .collect();
    assert_eq!(row0, (0..10).collect::<Vec<_>>());
    assert!(BpttStream::new(&ids, 0, 4).is_err());
    assert!(BpttStream::new(&ids[..3], 2, 4).is_err());
}

#[test]
fn sentence_batches_are_bos_framed_and_padded() {
    let v = Vocab::build(Granularity::Word, ["a b c d"], 1, None);
    let data = Sentences::new(vec![v.encode("a b c"), v.encode("d")]);
    let batch = Batcher::new(2)
        .unwrap()
        .epoch(&data, 0)
        .next()
        .unwrap()
        .unwrap();
    let (BatchInput::Tokens(x), BatchTarget::Tags(y)) = (&batch.input, &batch.target) else {
        panic!()
    };
    assert_eq!(x.row(0), [BOS, v.id("a"), v.id("b"), v.id("c")]);
    assert_eq!(x.row(1), [BOS, v.id("d")]);
    assert_eq!(y.row(1), [v.id("d"), EOS]);
    assert_eq!(&x.ids[4..], [BOS, v.id("d"), PAD, PAD]);
    assert_eq!(batch.lengths, [4, 2]);
}

#[test]
fn ngram_baselines_improve_with_order_on_the_corpus() {
    let v = Vocab::build(Granularity::Char, [corpus::text(0, 2000).as_str()], 1, None);
    let train = v.encode(&corpus::text(0, 2000));
    let eval = v.encode(&corpus::text(1, 300));
    let b = ngram_baselines(&train, &eval, v.len());
    assert!((b[0].1 - (v.len() as f64).ln()).abs() < 1e-12);
    assert!(
        b[0].1 > b[1].1 && b[1].1 > b[2].1 && b[2].1 > b[3].1,
        "{b:?}"
    );
}
