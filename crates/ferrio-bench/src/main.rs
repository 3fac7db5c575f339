//! The `ferrio-bench` command; see the crate documentation.

use clap::Parser;

use ferrio_bench::cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    let code = match &cli.command {
        Command::Child(args) => ferrio_bench::run::child(args),
        command => {
            let plan = command
                .plan(&ferrio_bench::repo_root())
                .expect("a running subcommand has a plan");
            ferrio_bench::run::main(plan)
        }
    };
    std::process::exit(code);
}
