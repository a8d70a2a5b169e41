use std::process::ExitCode;

fn main() -> ExitCode {
    deployer::run()
}
