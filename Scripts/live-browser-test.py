#!/usr/bin/env python3
"""The live view in a real browser (Debian's chromium, headless, driven over the DevTools protocol on a pipe).

    Scripts/live-browser-test.py NEURONCTL [SCREENSHOT_DIR]

1. `neuronctl run --live 127.0.0.1:0` on the mock board (paced, 4 s). While it runs: a malformed request, an
   abrupt disconnect mid-handshake, a viewer that vanishes without a close, and a POST, which the server must
   survive and count. The browser joins once the run has spiked (so the page must get the run so far), waits for
   the end message and reads from the DOM the samples and spikes it received: both must equal the run's
   summary.json.
2. `neuronctl run --record` then `neuronctl view` on that recording: the page's samples and spikes must equal the
   recording's. Ctrl-C (SIGINT) must stop the server with status 0.
With SCREENSHOT_DIR, saves live-view.png and recording-view.png there. Prints 'N passed, N failed'.
"""
import base64, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

NEURONCTL = sys.argv[1]
SHOTS = sys.argv[2] if len(sys.argv) > 2 else None
passed, failed = 0, 0


def check(ok, what):
    global passed, failed
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if ok:
        passed += 1
    else:
        failed += 1


class Browser:
    """chromium --remote-debugging-pipe: JSON messages ending in NUL, commands on fd 3, replies on fd 4."""

    def __init__(self, profile):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            raise SystemExit("error: chromium is missing. Fix: apt-get install chromium")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def fds():
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
             f"--user-data-dir={profile}", "--window-size=1280,1000", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4, to_child_r, from_child_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.next_id, self.buf = 0, b""

    def call(self, method, session=None, timeout=30, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while time.time() < deadline:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            chunk = os.read(self.from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed its pipe")
            self.buf += chunk
        raise RuntimeError(f"{method}: no reply in {timeout} s")

    def open(self, url):
        target = self.call("Target.createTarget", url=url)["targetId"]
        return self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def dataset(self, session):
        r = self.call("Runtime.evaluate", session, expression="JSON.stringify(document.body ? document.body.dataset : {})",
                      returnByValue=True)
        return json.loads(r["result"]["value"])

    def wait_done(self, session, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            d = self.dataset(session)
            if d.get("done") == "1":
                return d
            time.sleep(0.2)
        return self.dataset(session)

    def screenshot(self, session, path):
        time.sleep(0.5)  # a few animation frames after the last message
        r = self.call("Page.captureScreenshot", session, format="png", captureBeyondViewport=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wait_for_line(proc_file, pattern, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(proc_file) as f:
            m = re.search(pattern, f.read())
        if m:
            return m
        time.sleep(0.1)
    raise SystemExit(f"error: no line matching {pattern!r} in {proc_file} within {timeout} s")


def status(base):
    with urllib.request.urlopen(base + "status.json", timeout=5) as r:
        return json.load(r)


def abuse(host, port):
    """A malformed request, a connection cut mid-handshake, a viewer cut off, and a POST (refused: read-only)."""
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
        try:
            s.recv(100)
        except OSError:
            pass
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConn")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
    s.close()
    # A viewer that joins, then vanishes without a WebSocket close.
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    s.recv(4096)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    req = urllib.request.Request(f"http://{host}:{port}/", data=b"stop=1", method="POST")
    try:
        urllib.request.urlopen(req, timeout=5)
        return 200
    except urllib.error.HTTPError as e:
        return e.code


def live_run(tmp, browser):
    out = os.path.join(tmp, "live-out")
    err = os.path.join(tmp, "live.err")
    with open(err, "w") as e, open(os.path.join(tmp, "live.txt"), "w") as o:
        run = subprocess.Popen([NEURONCTL, "run", "--live", "127.0.0.1:0", "--duration", "4s", "--seed", "5", "--output", out],
                               stdout=o, stderr=e)
    m = wait_for_line(err, r"live view: (http://127\.0\.0\.1:(\d+)/)")
    base, port = m.group(1), int(m.group(2))
    code = abuse("127.0.0.1", port)
    check(code == 405, f"a POST is refused with 405 (got {code})")
    deadline = time.time() + 20
    while status(base)["figures"][0]["spikes"] < 1 and time.time() < deadline:
        time.sleep(0.1)
    page = browser.open(base)  # joins after the first spike: the run so far must be sent to it
    d = browser.wait_done(page)
    if SHOTS:
        browser.screenshot(page, os.path.join(SHOTS, "live-view.png"))
    rc = run.wait(timeout=60)
    check(rc == 0, f"the live run exits 0 (got {rc})")
    summary = json.load(open(os.path.join(out, "summary.json")))
    spikes, samples = summary["result"]["channels"][0]["spikes"], summary["result"]["samples"]
    check(d.get("done") == "1", "the page received the end of the run")
    check(int(d.get("spikes", -1)) == spikes, f"live: the page's spikes {d.get('spikes')} = the run's {spikes}")
    check(int(d.get("samples", -1)) == samples, f"live: the page's samples {d.get('samples')} = the run's {samples}")
    text = open(err).read()
    m = re.search(r"(\d+) malformed or cut-short requests, (\d+) viewers cut off, (\d+) refused", text)
    check(m is not None and all(int(g) >= 1 for g in m.groups()),
          f"the malformed and cut requests, the viewer cut off and the refused request were counted "
          f"({m.group(0) if m else text.strip()})")


def view_recording(tmp, browser):
    rec = os.path.join(tmp, "run.json")
    subprocess.run([NEURONCTL, "run", "--record", rec, "--duration", "2s", "--seed", "9", "--output", os.path.join(tmp, "rec-out")],
                   check=True, stdout=subprocess.DEVNULL)
    recording = json.load(open(rec))
    out = os.path.join(tmp, "view.txt")
    with open(out, "w") as o:
        view = subprocess.Popen([NEURONCTL, "view", rec, "--live", "127.0.0.1:0"], stdout=o, stderr=subprocess.STDOUT)
    base = wait_for_line(out, r"live view: (http://127\.0\.0\.1:\d+/)").group(1)
    page = browser.open(base)
    d = browser.wait_done(page)
    if SHOTS:
        browser.call("Runtime.evaluate", page, expression="""(() => { const s = document.getElementById('slider');
            S.follow = false; S.at = 1.2; s.value = 1.2; document.getElementById('window').value = '0.3'; })()""")
        browser.screenshot(page, os.path.join(SHOTS, "recording-view.png"))
    spikes = len(recording["spikes"])
    samples = len(recording["time_ns"]) * len(recording["channels"])
    check(d.get("mode") == "view", "view: the page is in recording mode")
    check(int(d.get("spikes", -1)) == spikes, f"view: the page's spikes {d.get('spikes')} = the recording's {spikes}")
    check(int(d.get("samples", -1)) == samples, f"view: the page's samples {d.get('samples')} = the recording's {samples}")
    view.send_signal(signal.SIGINT)
    rc = view.wait(timeout=20)
    check(rc == 0, f"view stops on SIGINT with status 0 (got {rc})")


def main():
    tmp = tempfile.mkdtemp(prefix="neuronhil-live-")
    browser = Browser(os.path.join(tmp, "profile"))
    try:
        live_run(tmp, browser)
        view_recording(tmp, browser)
    finally:
        browser.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
