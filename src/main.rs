//! The `seqzoo` command line.

mod cli;

fn main() -> std::process::ExitCode {
    autograd::alloc::keep_freed_memory();
    cli::main()
}
