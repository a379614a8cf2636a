//! `kubectl multicloud`: creates, lists, inspects, diagnoses and deletes multicloud instances.
//!
//! The binary is a thin shell: parse the command line, run the command, print what it returns
//! once, and choose the exit status (0 success, 1 error or problems found, 2 usage error).
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::process::ExitCode;

use kubectl_multicloud::cli::Cli;
use kubectl_multicloud::context::Context;
use kubectl_multicloud::error;
use kubectl_multicloud::output::Status;
use kubectl_multicloud::style::{Paint, Style};

fn main() -> ExitCode {
    let cli = match Cli::try_parse_kubectl_style(std::env::args_os()) {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout with status 0; usage errors to stderr with 2.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    cli.color.apply();
    init_logging(cli.verbosity());
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: failed to start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let connection = cli.connection();
    let ctx = Context::new(connection);
    let result = runtime.block_on(cli.command.run(&ctx));
    ctx.flush_warnings();
    match result {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = stdout.write_all(output.text.as_bytes());
            let _ = stdout.flush();
            for message in &output.errors {
                eprintln!("{} {message}", ctx.stderr.paint(Paint::Bad, "error:"));
            }
            match output.status {
                Status::Success => ExitCode::SUCCESS,
                Status::Problems => ExitCode::FAILURE,
            }
        }
        Err(err) => {
            eprint!("{}", error::report(&err, ctx.stderr));
            ExitCode::from(err.exit_code())
        }
    }
}

fn init_logging(verbose: u8) {
    let filter = match verbose {
        0 => return,
        1 => "kubectl_multicloud=debug,kube=info",
        2 => "kubectl_multicloud=trace,kube=debug",
        _ => "trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(Style::detect(&std::io::stderr()).enabled())
        .with_writer(std::io::stderr)
        .try_init();
}
