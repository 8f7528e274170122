//! Interrupts: counts Ctrl-C (SIGINT) and SIGTERM presses so the executor can stop starting
//! work on the first and stop in-flight work on the second.

pub struct Interrupts {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    count: u32,
}

impl Interrupts {
    pub fn new() -> Interrupts {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Interrupts {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
                count: 0,
            }
        }
        #[cfg(not(unix))]
        {
            Interrupts { count: 0 }
        }
    }

    /// Wait for the next interrupt; returns how many have arrived so far.
    pub async fn next(&mut self) -> u32 {
        #[cfg(unix)]
        {
            let int = async {
                match self.int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let term = async {
                match self.term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = int => {}
                _ = term => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        self.count += 1;
        self.count
    }
}

impl Default for Interrupts {
    fn default() -> Self {
        Interrupts::new()
    }
}
