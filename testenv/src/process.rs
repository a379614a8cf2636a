//! One child process of a control plane: started with its output in a log file, stopped on
//! drop (also while a failing test unwinds), and restartable with the same arguments.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

use crate::Error;

/// How long a component gets to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// How many log lines an error quotes.
const LOG_TAIL_LINES: usize = 30;

/// A control plane component run as a child process.
#[derive(Debug)]
pub(crate) struct Process {
    name: &'static str,
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(&'static str, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Process {
    /// Starts `program args` with `env` added to the environment, appending stdout and
    /// stderr to `log`.
    pub(crate) fn start(
        name: &'static str,
        program: &Path,
        args: Vec<OsString>,
        env: Vec<(&'static str, String)>,
        log: PathBuf,
    ) -> Result<Self, Error> {
        let mut process = Self {
            name,
            program: program.to_path_buf(),
            args,
            env,
            log,
            child: None,
        };
        process.spawn()?;
        Ok(process)
    }

    /// Starts the process again with the same arguments; stops it first if it still runs.
    pub(crate) fn restart(&mut self) -> Result<(), Error> {
        self.stop();
        self.spawn()
    }

    fn spawn(&mut self) -> Result<(), Error> {
        let context = |what: &str| format!("failed to {what} for {}", self.name);
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|source| Error::io(context("open the log file"), source))?;
        let header = format!("==> {} {:?}\n", self.program.display(), self.args);
        log.write_all(header.as_bytes())
            .map_err(|source| Error::io(context("write the log file"), source))?;
        let stderr = log
            .try_clone()
            .map_err(|source| Error::io(context("duplicate the log file"), source))?;
        let mut command = command(&self.program);
        command
            .args(&self.args)
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(stderr));
        let child = spawn(command).map_err(|source| {
            Error::io(
                format!("failed to start {}", self.program.display()),
                source,
            )
        })?;
        self.child = Some(child);
        Ok(())
    }

    /// The component's name, e.g. `etcd`.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// The process id while it runs (or until it has been reaped).
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// How the process exited, if it has.
    pub(crate) fn exit_status(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(err) => Some(format!("unknown exit status: {err}")),
        }
    }

    /// The process's log file.
    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// The last lines of the process's log, for error messages.
    pub(crate) fn log_tail(&self) -> String {
        match std::fs::read(&self.log) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
            }
            Err(err) => format!("(cannot read {}: {err})", self.log.display()),
        }
    }

    /// Sends SIGTERM, waits up to [`STOP_GRACE`], then SIGKILLs, and reaps the process.
    /// Does nothing when it is not running.
    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let terminated = i32::try_from(child.id())
            .ok()
            .and_then(Pid::from_raw)
            .is_some_and(|pid| kill_process(pid, Signal::TERM).is_ok());
        if terminated {
            let deadline = Instant::now() + STOP_GRACE;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // Errors mean the process is already gone; `wait` then returns at once.
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The command that runs `program`, through `setpriv --pdeathsig KILL` when util-linux's
/// `setpriv` is installed: then the kernel kills the component even if the test process dies
/// without unwinding (SIGKILL, a nextest timeout), which `Drop` cannot cover. This needs no
/// `unsafe` `pre_exec`.
fn command(program: &Path) -> Command {
    match setpriv() {
        Some(setpriv) => {
            let mut command = Command::new(setpriv);
            command.args(["--pdeathsig", "KILL", "--"]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

fn setpriv() -> Option<&'static Path> {
    static SETPRIV: OnceLock<Option<PathBuf>> = OnceLock::new();
    SETPRIV
        .get_or_init(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .map(|dir| dir.join("setpriv"))
                .find(|candidate| candidate.is_file())
        })
        .as_deref()
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `command` from one thread that lives as long as the process. The parent-death
/// signal fires when the *thread* that forked the child exits, so spawning from a tokio worker
/// or blocking-pool thread could kill a component while its control plane is still in use.
fn spawn(mut command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Option<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (requests, incoming) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("testenv-spawner".into())
            .spawn(move || {
                for (mut command, reply) in incoming {
                    let _ = reply.send(command.spawn());
                }
            })
            .ok()
            .map(|_| requests)
    });
    let Some(spawner) = spawner else {
        return command.spawn();
    };
    let (reply, response) = mpsc::channel();
    if let Err(mpsc::SendError((mut command, _))) = spawner.send((command, reply)) {
        return command.spawn();
    }
    response
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))?
}
