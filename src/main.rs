fn main() -> std::process::ExitCode {
    imgedit::main_entry()
}
