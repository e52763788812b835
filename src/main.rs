//! The `seqzoo` command line.

mod cli;

fn main() -> std::process::ExitCode {
    autograd::kernels::keep_freed_memory();
    autograd::kernels::flush_subnormals();
    cli::main()
}
