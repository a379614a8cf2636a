#![forbid(unsafe_code)]

use multicloud_controller::args::{Args, ENV_PREFIX};
use multicloud_runtime::{args, report};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Args = args::parse(ENV_PREFIX);
    report::exit_code(multicloud_controller::run(args).await)
}
