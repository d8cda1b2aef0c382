//! The `mailsim` binary: parse arguments, call the library, map errors to exit codes.

use clap::Parser;

fn main() {
    let cli = mailsim::cli::Cli::parse();
    if let Err(e) = mailsim::cli::execute(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(mailsim::cli::exit_code(&e));
    }
}
