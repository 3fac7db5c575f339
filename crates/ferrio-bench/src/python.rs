//! The Python side: a venv at `bench/.venv` made by the bench itself from
//! `bench/requirements.txt` (pinned uvloop and aiohttp), on pyenv's 3.13.0
//! when present, else `python3`. When it cannot be made, the Python columns
//! say why.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A usable Python and what it can import.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    /// The venv's interpreter.
    pub python: PathBuf,
    /// `Python 3.13.0`.
    pub version: String,
    /// `Ok` if uvloop imports, else why not.
    pub uvloop: Result<String, String>,
    /// `Ok` if aiohttp imports, else why not.
    pub aiohttp: Result<String, String>,
}

fn output(cmd: &mut Command) -> Option<String> {
    let o = cmd.stderr(Stdio::null()).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// The interpreter to build the venv from: pyenv's 3.13.0, else `python3`.
fn base_python() -> Option<Command> {
    let mut pyenv = Command::new("python3.13");
    pyenv.env("PYENV_VERSION", "3.13.0");
    if output(
        Command::new("python3.13")
            .env("PYENV_VERSION", "3.13.0")
            .arg("--version"),
    )
    .is_some()
    {
        return Some(pyenv);
    }
    output(Command::new("python3").arg("--version")).map(|_| Command::new("python3"))
}

/// Makes (or reuses) `bench/.venv` under `repo` and installs the pinned
/// requirements when they changed since the last install.
pub fn setup(repo: &Path) -> Result<PythonEnv, String> {
    let bench = repo.join("bench");
    let venv = bench.join(".venv");
    let python = venv.join("bin").join("python");
    let requirements = bench.join("requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    if !python.exists() {
        let mut base = base_python().ok_or("no python3 on PATH")?;
        let status = base
            .args(["-m", "venv"])
            .arg(&venv)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("python3 -m venv: {e}"))?;
        if !status.success() {
            return Err("python3 -m venv failed (is python3-venv installed?)".into());
        }
    }
    let version =
        output(Command::new(&python).arg("--version")).ok_or("the venv's python does not run")?;
    let stamp = venv.join(".ferrio-bench-requirements");
    let installed = std::fs::read_to_string(&stamp).unwrap_or_default();
    let mut pip_error = None;
    if installed != wanted {
        eprintln!("ferrio-bench: pip install -r bench/requirements.txt into bench/.venv");
        let ok = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            let _ = std::fs::write(&stamp, &wanted);
        } else {
            pip_error = Some("pip install -r bench/requirements.txt failed".to_string());
        }
    }
    let import = |module: &str| -> Result<String, String> {
        let code = format!("import {module}; print({module}.__version__)");
        output(Command::new(&python).args(["-c", &code]))
            .map(|v| format!("{module} {v}"))
            .ok_or_else(|| {
                pip_error
                    .clone()
                    .unwrap_or_else(|| format!("{module} does not import"))
            })
    };
    Ok(PythonEnv {
        uvloop: import("uvloop"),
        aiohttp: import("aiohttp"),
        python,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkout_without_requirements_skips_python_with_a_reason() {
        let err = setup(Path::new("/nonexistent-ferrio-checkout")).unwrap_err();
        assert!(err.contains("requirements.txt"), "{err}");
    }
}
