#![forbid(unsafe_code)]

use multicloud_runtime::{args, logging, report};
use multicloud_webhook::args::{Args, ENV_PREFIX};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Every TLS context (serving, and the clients of each cluster) uses ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Args = args::parse(ENV_PREFIX);
    if let Err(error) = logging::init(&args.log) {
        return report::exit_code(Err(error.into()));
    }
    report::exit_code(multicloud_webhook::run(args).await)
}
