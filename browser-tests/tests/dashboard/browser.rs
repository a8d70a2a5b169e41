//! Headless Chromium for the dashboard's browser tests, driven over the DevTools
//! protocol (chromiumoxide). The test starts Debian's `chromium` itself, on loopback, with
//! its own profile dir, in its own process group, and kills that group (by the browser's
//! PID) on drop, so nothing outlives a failing test.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::{Browser, Page};
use futures_util::StreamExt;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// Where screenshots go: `$DASHBOARD_ARTIFACTS`, else `<target dir>/dashboard-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("DASHBOARD_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // The test binary is <target>/debug/deps/dashboard-<hash>.
            let exe = std::env::current_exe().expect("test binary path");
            exe.ancestors()
                .nth(3)
                .expect("test binary is under <target>/<profile>/deps")
                .join("dashboard-artifacts")
        });
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// A running headless Chromium and a DevTools connection to it.
pub struct Chromium {
    child: Child,
    _profile: tempfile::TempDir,
    pub browser: Browser,
    handler: tokio::task::JoinHandle<()>,
}

impl Chromium {
    pub async fn start() -> Chromium {
        let bin = find_chromium().unwrap_or_else(|| {
            panic!(
                "chromium not found on PATH (or $CHROMIUM): the dashboard's browser test needs it: \
                 apt-get install chromium (scripts/setup installs it)"
            )
        });
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new(&bin)
            .args([
                "--headless",
                // Root (CI, this machine) cannot use the sandbox; the page is our own.
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--window-size=1280,1500",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        // Reads chromium's stderr to the end (so it never blocks on a full pipe), sending
        // the DevTools URL when it appears and every line for the error message.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // Nobody listens any more: keep draining.
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        let ws = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("DevTools listening on ") {
                        break url.trim().to_owned();
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
                    let _ = child.wait();
                    panic!(
                        "chromium printed no DevTools URL within 60 s; its stderr:\n{}",
                        seen.join("\n")
                    );
                }
            }
        };
        assert!(
            ws.starts_with("ws://127.0.0.1:"),
            "DevTools not on loopback: {ws}"
        );
        let (browser, mut handler) = match Browser::connect(ws.clone()).await {
            Ok(b) => b,
            Err(e) => {
                let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
                let _ = child.wait();
                panic!("connecting to chromium's DevTools at {ws}: {e}");
            }
        };
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Chromium {
            child,
            _profile: profile,
            browser,
            handler,
        }
    }

    pub async fn open(&self, url: &str) -> Page {
        self.browser
            .new_page(url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"))
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        self.handler.abort();
        // The whole group: the browser and its zygote, renderer and GPU processes.
        let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

/// Evaluates `js` (an expression) and returns it as a string (`String(...)` of it).
pub async fn text(page: &Page, js: &str) -> String {
    let expr = format!(
        "(() => {{ try {{ return String({js}); }} catch (e) {{ return 'error: ' + e; }} }})()"
    );
    page.evaluate(expr.as_str())
        .await
        .unwrap_or_else(|e| panic!("evaluating {js}: {e}"))
        .into_value::<String>()
        .unwrap_or_else(|e| panic!("evaluating {js}: not a string: {e}"))
}

/// Waits until `js` evaluates to a string for which `ok` holds; panics after `within`
/// with the last value.
pub async fn wait_for(
    page: &Page,
    js: &str,
    within: Duration,
    ok: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + within;
    loop {
        let v = text(page, js).await;
        if ok(&v) {
            return v;
        }
        if Instant::now() > deadline {
            let shot = save_screenshot(page, "timeout").await;
            panic!(
                "waited {within:?} for `{js}`; last value {v:?} (screenshot: {})",
                shot.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Clicks the element `selector` finds (the first one).
pub async fn click(page: &Page, selector: &str) {
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("no element {selector}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {selector}: {e}"));
}

/// Waits until the confirmation dialog (`#confirm`) is open, or closed.
pub async fn confirm_dialog_is(page: &Page, open: bool) {
    let want = if open { "true" } else { "false" };
    wait_for(
        page,
        "document.querySelector('#confirm').open",
        crate::WAIT,
        |v| v == want,
    )
    .await;
}

/// A full-page PNG under [`artifacts_dir`]; returns its path.
pub async fn save_screenshot(page: &Page, name: &str) -> PathBuf {
    let png = page
        .screenshot(ScreenshotParams::builder().full_page(true).build())
        .await
        .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
    assert!(
        png.starts_with(b"\x89PNG"),
        "screenshot {name} is not a PNG"
    );
    let path = artifacts_dir().join(format!("{name}.png"));
    std::fs::write(&path, &png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

#[allow(dead_code)]
pub fn exists(p: &Path) -> bool {
    p.is_file() && p.metadata().map(|m| m.len() > 1000).unwrap_or(false)
}
