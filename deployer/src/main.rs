use std::process::ExitCode;

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    deployer::run()
}

/// `deployer revisions | head -1`: once the reader has gone, the next write to stdout fails
/// with EPIPE (Rust ignores SIGPIPE, so no signal ends the process as it would a C
/// program), and `println!` panics on it ("failed printing to stdout: Broken pipe", exit
/// 101); so does a library that `expect`s its writes (clap_complete's "failed to write
/// completion file: ... BrokenPipe"). A closed pipe is the reader saying it has enough: end
/// quietly with 0, as ripgrep does, for every command and every print. Other panics keep
/// the default report. (Errors returned for a closed pipe end quietly in `cli::run`.)
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") || message.contains("kind: BrokenPipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
