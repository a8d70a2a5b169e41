//! The log writer: requests never wait for a `write(2)`.
//!
//! Each line is appended to one shared, bounded buffer; a background thread takes the whole
//! buffer at once (swapping in an empty one) and writes it with one `write_all`. Under load
//! the lines that arrive while it writes make the next batch, so a busy service writes many
//! lines per system call; a quiet one has each line written within a few milliseconds
//! (the thread is woken when a line arrives while it waits, then lingers [`LINGER`] for
//! the lines that follow). When the buffer is
//! full (stdout stalled), new lines are dropped and counted instead of blocking requests.
//!
//! Why not tracing-appender's non-blocking writer, which does the same job: it sends each
//! line through a channel as its own `Vec` (an allocation on the request thread, a free on
//! the writer thread, a copy into a `BufWriter`): about 1,000 instructions of a `/health`
//! request under callgrind, and cross-thread frees in glibc's allocator
//! (bench/README.md, "Where the time goes").

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::MakeWriter;

/// How long dropping the [`WriterGuard`] waits for the queued lines to be written.
pub const FLUSH_BOUND: Duration = Duration::from_secs(1);

/// How long the writer thread waits, once woken by a line, before it takes the batch.
pub const LINGER: Duration = Duration::from_millis(2);

/// Appends lines to the shared buffer (cheap to clone; `&LogWriter` is an `io::Write`).
#[derive(Clone)]
pub struct LogWriter {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    capacity: usize,
    dropped: AtomicUsize,
}

struct State {
    buf: Vec<u8>,
    /// The writer thread sleeps on `wake` and needs a notification.
    writer_waiting: bool,
    closed: bool,
}

/// Keeps the writer thread; dropping it writes out what is queued (bounded by
/// [`FLUSH_BOUND`]) and stops the thread.
#[must_use = "dropping the guard stops the log writer"]
pub struct WriterGuard {
    shared: Arc<Shared>,
    done: mpsc::Receiver<()>,
}

impl LogWriter {
    /// Starts the writer thread (`thread_name`) writing to `out`; at most `capacity` bytes
    /// wait to be written.
    pub fn spawn<W: Write + Send + 'static>(
        out: W,
        capacity: usize,
        thread_name: &str,
    ) -> io::Result<(LogWriter, WriterGuard)> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                buf: Vec::with_capacity(capacity.min(16 * 1024)),
                writer_waiting: false,
                closed: false,
            }),
            wake: Condvar::new(),
            capacity,
            dropped: AtomicUsize::new(0),
        });
        let (done_tx, done) = mpsc::channel();
        let worker = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(thread_name.to_owned())
            .spawn(move || {
                worker.run(out);
                let _ = done_tx.send(());
            })?;
        Ok((
            LogWriter {
                shared: Arc::clone(&shared),
            },
            WriterGuard { shared, done },
        ))
    }

    /// Queues `line` (whole: lines never interleave) or, when the buffer is full, drops and
    /// counts it. Never blocks on the output.
    pub fn write_line(&self, line: &[u8]) {
        let shared = &*self.shared;
        let mut state = shared.lock();
        if state.closed || state.buf.len() + line.len() > shared.capacity {
            drop(state);
            shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        state.buf.extend_from_slice(line);
        if state.writer_waiting {
            state.writer_waiting = false;
            drop(state);
            shared.wake.notify_one();
        }
    }

    /// Lines dropped so far because the buffer was full.
    pub fn dropped_lines(&self) -> usize {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the buffer inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run<W: Write>(&self, mut out: W) {
        let mut batch = Vec::with_capacity(self.capacity.min(16 * 1024));
        loop {
            let mut state = self.lock();
            if state.buf.is_empty() && !state.closed {
                while state.buf.is_empty() && !state.closed {
                    state.writer_waiting = true;
                    state = self.wake.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                // Woken by a first line: let the lines that follow it join the batch.
                // Without this, on a busy core every line would wake this thread on its
                // own (a futex wake, two context switches and a write per line). Closing
                // (the guard's notification) ends the wait at once: shutdown stays quick.
                let deadline = Instant::now() + LINGER;
                loop {
                    let now = Instant::now();
                    if state.closed || now >= deadline {
                        break;
                    }
                    state = self
                        .wake
                        .wait_timeout(state, deadline - now)
                        .map_or_else(|e| e.into_inner().0, |(s, _)| s);
                }
            }
            if state.buf.is_empty() {
                return; // closed and written out
            }
            std::mem::swap(&mut state.buf, &mut batch);
            drop(state);
            // Nowhere to report a failing stdout: the lines are lost, like a full buffer's.
            if out.write_all(&batch).and_then(|()| out.flush()).is_err() {
                let lines = batch.iter().filter(|&&b| b == b'\n').count();
                self.dropped.fetch_add(lines, Ordering::Relaxed);
            }
            batch.clear();
        }
    }
}

impl Write for &LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_line(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = &'a LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

impl WriterGuard {
    /// Lines dropped so far because the buffer was full (or the output failed).
    pub fn dropped_lines(&self) -> usize {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        // The thread ends once the buffer is written; a stalled stdout is not waited for.
        let _ = self.done.recv_timeout(FLUSH_BOUND);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output that records what reaches it; optionally blocked until released.
    #[derive(Clone, Default)]
    struct Sink {
        bytes: Arc<Mutex<Vec<u8>>>,
        writes: Arc<AtomicUsize>,
        gate: Arc<Mutex<()>>,
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let _open = self.gate.lock().unwrap();
            self.writes.fetch_add(1, Ordering::SeqCst);
            self.bytes.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(self.bytes.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn lines_from_many_threads_arrive_whole_and_in_order_per_thread() {
        let sink = Sink::default();
        let (writer, guard) = LogWriter::spawn(sink.clone(), 1 << 20, "test-log").unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let w = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..2_000 {
                        w.write_line(
                            format!("thread {t} line {i:05} {}\n", "x".repeat(i % 50)).as_bytes(),
                        );
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard); // writes out the rest
        let text = sink.text();
        assert_eq!(writer.dropped_lines(), 0);
        let mut next = [0usize; 4];
        for line in text.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            let (t, i): (usize, usize) = (parts[1].parse().unwrap(), parts[3].parse().unwrap());
            assert_eq!(i, next[t], "thread {t} out of order or torn: {line:?}");
            assert_eq!(parts.get(4).map_or(0, |x| x.len()), i % 50, "{line:?}");
            next[t] += 1;
        }
        assert_eq!(next, [2_000; 4]);
        assert!(
            sink.writes.load(Ordering::SeqCst) < 8_000,
            "lines are batched: {} writes for 8,000 lines",
            sink.writes.load(Ordering::SeqCst)
        );
    }

    #[test]
    fn a_quiet_writer_writes_each_line_at_once() {
        let sink = Sink::default();
        let (writer, _guard) = LogWriter::spawn(sink.clone(), 1 << 20, "test-log").unwrap();
        for i in 0..3 {
            let line = format!("line {i}\n");
            writer.write_line(line.as_bytes());
            let deadline = Instant::now() + Duration::from_secs(5);
            while !sink.text().contains(&line) {
                assert!(Instant::now() < deadline, "{line:?} not written within 5 s");
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    #[test]
    fn a_stalled_output_drops_and_counts_lines_instead_of_blocking() {
        let sink = Sink::default();
        let gate = sink.gate.lock().unwrap(); // the output blocks
        let (writer, guard) = LogWriter::spawn(sink.clone(), 100, "test-log").unwrap();
        writer.write_line(b"first line, taken by the writer thread\n");
        // Wait until the writer thread has taken it (and blocks in `write`).
        let deadline = Instant::now() + Duration::from_secs(5);
        while !writer.shared.lock().buf.is_empty() {
            assert!(
                Instant::now() < deadline,
                "the writer thread never took the batch"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        let started = Instant::now();
        for i in 0..10 {
            writer.write_line(format!("queued line {i:02} of 27 bytes\n").as_bytes());
        }
        assert!(started.elapsed() < Duration::from_secs(1), "writes blocked");
        assert_eq!(writer.dropped_lines(), 7, "3 lines of 27 bytes fit in 100");
        drop(gate);
        drop(guard);
        let text = sink.text();
        assert!(text.starts_with("first line"), "{text}");
        assert!(
            text.contains("queued line 02") && !text.contains("queued line 03"),
            "{text}"
        );
    }

    #[test]
    fn dropping_the_guard_does_not_wait_for_a_stalled_output_forever() {
        let sink = Sink::default();
        let _gate = sink.gate.lock().unwrap();
        let (writer, guard) = LogWriter::spawn(sink.clone(), 1 << 10, "test-log").unwrap();
        writer.write_line(b"stuck\n");
        let started = Instant::now();
        drop(guard);
        let waited = started.elapsed();
        assert!(
            waited >= FLUSH_BOUND - Duration::from_millis(50) && waited < FLUSH_BOUND * 3,
            "{waited:?}"
        );
        writer.write_line(b"after close\n");
        assert_eq!(writer.dropped_lines(), 1, "lines after close are dropped");
    }
}
