fn main() -> std::process::ExitCode {
    demo::cli::main()
}
