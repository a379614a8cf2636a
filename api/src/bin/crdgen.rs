//! Prints the MulticloudInstance CRD as YAML.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    match multicloud_api::crd::crd_yaml() {
        Ok(yaml) => {
            print!("{yaml}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: cannot serialise the CRD: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
