//! The `seqzoo` command line.

fn main() {
    println!("seqzoo {}", env!("CARGO_PKG_VERSION"));
}
