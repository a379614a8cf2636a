#![forbid(unsafe_code)]

use clap::{CommandFactory, Parser};
use multicloud_webhook::args::Args;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Every TLS context (serving, and the clients of each cluster) uses ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = Args::parse();
    if let Err(message) = args.check() {
        Args::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit();
    }
    multicloud_webhook::init_logging(args.log_format);
    match multicloud_webhook::run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
