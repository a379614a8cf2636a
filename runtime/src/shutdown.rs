//! The one shutdown signal of a server: the first SIGTERM (what Kubernetes sends) or SIGINT.

use std::future::Future;

use tokio::sync::watch;

/// Completes on the first SIGTERM or SIGINT.
pub async fn signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = async {
            match signal(SignalKind::terminate()) {
                Ok(mut terminate) => {
                    terminate.recv().await;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM; only SIGINT stops the process");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            () = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await;
    tracing::info!("shutdown signal received");
}

/// The shutdown signal for any number of waiters: each [`Shutdown::signalled`] completes once
/// the signal has come.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Listens for the signal in a task of its own. Needs a Tokio runtime.
    pub fn on_signal() -> Self {
        Self::on(signal())
    }

    /// Shutdown when `trigger` completes (tests, or another reason to stop).
    pub fn on(trigger: impl Future<Output = ()> + Send + 'static) -> Self {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            trigger.await;
            let _ = tx.send(true);
        });
        Self(rx)
    }

    /// Completes once shutdown has begun.
    pub fn signalled(&self) -> impl Future<Output = ()> + Send + Sync + 'static {
        let mut stop = self.0.clone();
        async move {
            // An error means the sender is gone without a signal: that never stops us.
            if stop.wait_for(|stopped| *stopped).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn every_waiter_sees_the_trigger() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let shutdown = Shutdown::on(async {
            let _ = rx.await;
        });
        let waiters: Vec<_> = (0..4).map(|_| tokio::spawn(shutdown.signalled())).collect();
        let _ = tx.send(());
        for waiter in waiters {
            let done = tokio::time::timeout(Duration::from_secs(5), waiter).await;
            assert!(
                matches!(done, Ok(Ok(()))),
                "a waiter did not see the shutdown"
            );
        }
    }
}
