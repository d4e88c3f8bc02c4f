"""``derive page --watch``: a server on 127.0.0.1 that serves the page, counts versions of
the spec, shows a spec error in the page as the command's one line, and stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from html import unescape
from pathlib import Path

import pytest
from support import WORKED, unavailable

ROOT = Path(__file__).resolve().parent.parent


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return reply.read().decode("utf-8")


def version(base: str) -> int:
    return json.loads(get(base + "version"))["version"]


@pytest.fixture
def server(tmp_path):
    spec = tmp_path / "expression.yaml"
    spec.write_text((WORKED / "expression.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "derive", "page", str(spec), "--watch", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"http://(127\.0\.0\.1):(\d+)/", line)
        assert m, f"no address in {line!r} (stderr: {proc.stderr.read() if proc.poll() is not None else ''})"
        yield spec, m.group(0), proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def until(check, seconds=20.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_watch_serves_reloads_shows_errors_and_stops(server):
    spec, base, proc = server
    assert base.startswith("http://127.0.0.1:")
    page = get(base)
    assert page.startswith("<!DOCTYPE html>") and 'id="explore"' in page and "connect-src 'self'" in unescape(page)
    first = version(base)
    assert f'data-version="{first}"' in page and version(base) == first  # no change, same version

    spec.write_text(spec.read_text(encoding="utf-8").replace("title:", "title: Changed", 1), encoding="utf-8")
    assert until(lambda: version(base) > first)
    assert "Changed" in get(base)

    spec.write_text("title: [unclosed\n", encoding="utf-8")  # broken: the page shows the one line
    assert until(lambda: 'id="spec-error"' in get(base))
    line = re.search(r'<p id="spec-error" role="alert">(.*?)</p>', get(base)).group(1)
    assert line.startswith("derive: ") and "expression.yaml" in line and "\n" not in line
    assert version(base) > first + 1  # the server keeps running and counting

    proc.send_signal(signal.SIGINT)  # Ctrl-C
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and err.strip().endswith("derive: interrupted") and "Traceback" not in err
    assert unescape(line) in err  # the same line the command prints


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on ``port`` (Linux: /proc/net/tcp*)."""
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, _, hexport = local.partition(":")
            if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                out.add(address)
    return out


def test_the_server_listens_on_loopback_only(server):
    spec, base, proc = server
    port = int(base.rsplit(":", 1)[1].strip("/"))
    if not os.path.exists("/proc/net/tcp"):
        unavailable("no /proc/net/tcp to read the listening address from")  # (a failure in CI)
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, little-endian hex; not 0.0.0.0
    assert version(base) >= 1
