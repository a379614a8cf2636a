//! How an error is told: one line, the error then each cause that its text does not already
//! say, as `main` prints it and as a message quotes it.

use std::process::ExitCode;

/// The error and its causes on one line, `: ` between them. A cause whose text is already part
/// of the line is skipped: kube's errors, among others, repeat their source in their message.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// What `main` returns for `outcome`: success, or `error: <chain>` on stderr and status 1.
pub fn exit_code(outcome: anyhow::Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use anyhow::Context as _;

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("failed to read kubeconfig: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[test]
    fn causes_come_once_each_on_one_line() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let error = Err::<(), _>(Repeats(io))
            .context("starting")
            .expect_err("an error");
        assert_eq!(
            error_chain(error.as_ref()),
            "starting: failed to read kubeconfig: No such file"
        );
    }
}
