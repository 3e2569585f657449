"""Several Streamlit replicas behind nginx, each browser pinned to one replica, on this machine.

    python -m deploy.local_replicas up                 # 2 replicas on 127.0.0.1:8501-8502, nginx on :8080; Ctrl-C stops all
    python -m deploy.local_replicas up --replicas 3 --port 8090 --seconds 600
    python -m deploy.local_replicas config --replicas 4 --listen 80 > /etc/nginx/conf.d/generative-playground.conf

Streamlit keeps each session (widgets, trainers, uploads, media) inside the process that opened it, and a
browser tab talks to it over HTTP and one websocket (``/_stcore/stream``), so every request of a tab must reach
the same replica. Open-source nginx has no ``sticky cookie``, so the configuration below does it with a cookie
and three plain directives:

- a first visit (no ``gp_replica`` cookie) goes to the pool of all replicas, in turn (round robin), so a class
  that arrives spreads evenly; nginx cannot count connected students here, because each student's websocket
  goes through their own replica's pool, and each upstream block keeps its own connection counts;
- every response sets ``gp_replica`` to the replica that answered (``$upstream_addr``), and a request that
  carries the cookie goes to that replica's own pool, where the other replicas are ``backup`` servers;
- when a replica dies, the connection is refused, nginx passes the request to a backup
  (``proxy_next_upstream``), and the cookie follows the student to the new replica, so the student stays
  there even after the dead one comes back. The app sees a browser that asks to resume a session it does not
  have and tells the student (``ui/reconnect.py``).

Each replica runs its home page once (``/_stcore/script-health-check``, as a container's health check does) before
the cluster counts as up: that checks the app's script and starts the replica's background warm-up (``ui/prewarm.py``).

``X-Upstream`` on every response names the replica (``r1``, ``r2``, …) for tests and the load benchmark.
Traffic stays on 127.0.0.1; nginx gets its own prefix, config and logs in a temporary folder (no root paths).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
COOKIE = "gp_replica"
HEADER = "X-Upstream"
UPLOAD_MB = 25  # .streamlit/config.toml server.maxUploadSize; nginx's default (1 MB) would refuse bigger uploads


@dataclass(frozen=True)
class Replica:
    name: str  # r1, r2, …: what the cookie and X-Upstream say
    host: str
    port: int

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"


def replicas_on(host: str, first_port: int, n: int) -> list[Replica]:
    return [Replica(f"r{i + 1}", host, first_port + i) for i in range(n)]


def nginx_http_config(replicas: list[Replica], listen: str, server_name: str = "_", access_log: str | None = None,
                      secure_cookie: bool = False) -> str:
    """The ``http {}`` part: maps, one upstream pool per replica plus one for first visits, and the server.

    Drop it into ``/etc/nginx/conf.d/`` on a real server (``config`` command), or wrap it in a whole
    ``nginx.conf`` (:func:`nginx_main_config`) for a local run."""
    if not replicas:
        raise ValueError("at least one replica")
    fails = "max_fails=1 fail_timeout=10s"
    pools = "\n".join(f"    {r.name:<8} gp_{r.name};" for r in replicas)
    names = "\n".join(f"    ~{re.escape(r.addr)}$ {r.name};" for r in replicas)
    any_pool = "\n".join(f"    server {r.addr} {fails};" for r in replicas)
    own_pools = []
    for r in replicas:
        backups = "".join(f"\n    server {o.addr} backup;" for o in replicas if o != r)
        own_pools.append(f"upstream gp_{r.name} {{\n    zone gp_{r.name} 64k;\n    server {r.addr} {fails};{backups}\n}}")
    own = "\n\n".join(own_pools)
    log = (f"log_format gp_replicas '$time_iso8601 \"$request\" $status cookie=$cookie_{COOKIE} "
           f"replica=$gp_replica upstream=$upstream_addr';\n" f"access_log {access_log} gp_replicas;\n") if access_log else ""
    secure = "; Secure" if secure_cookie else ""
    return f"""\
# Generative Playground: {len(replicas)} Streamlit replica(s) behind nginx, each browser pinned to one replica.
# Written by `python -m deploy.local_replicas config`; the reasons are in deploy/local_replicas.py and README.md.
{log}
# Websockets: pass the upgrade on, and close plain connections as usual.
map $http_upgrade $gp_connection {{
    default  upgrade;
    ""       close;
}}

# A request that carries the cookie goes to its replica's own pool; a first visit goes to any replica.
map $cookie_{COOKIE} $gp_pool {{
{pools}
    default  gp_any;
}}

# The replica that answered: the last address nginx tried (after a failover $upstream_addr lists both).
map $upstream_addr $gp_replica {{
{names}
    default  "";
}}

upstream gp_any {{
    # round robin: first visits take turns (websockets go through the own pools below, so least_conn would not see them)
    zone gp_any 64k;
{any_pool}
}}

{own}

server {{
    listen {listen};
    server_name {server_name};
    client_max_body_size {UPLOAD_MB}m;

    location / {{
        proxy_pass http://$gp_pool;
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;  # Streamlit accepts the websocket only if Origin matches Host
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $gp_connection;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 3s;
        proxy_read_timeout 1h;  # a websocket idles while a student reads; Streamlit pings it anyway
        proxy_send_timeout 1h;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_request_buffering off;  # uploads stream to the replica, no temporary files
        proxy_max_temp_file_size 0;
        add_header Set-Cookie "{COOKIE}=$gp_replica; Path=/; HttpOnly; SameSite=Lax{secure}" always;
        add_header {HEADER} $gp_replica always;
    }}
}}
"""


def nginx_main_config(http: str, prefix: Path) -> str:
    """A whole ``nginx.conf`` for an unprivileged local run: pid, logs and temp folders under ``prefix``."""
    temps = "\n".join(f"    {k}_temp_path {prefix / (k + '_temp')};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    body = "\n".join("    " + line if line else "" for line in http.splitlines())
    return f"""\
worker_processes 1;
daemon off;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'} warn;
events {{
    worker_connections 1024;
}}
http {{
{temps}
{body}
}}
"""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_healthy(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url} exited with code {proc.returncode}")
        if time.time() > deadline:
            raise TimeoutError(f"{url} not healthy after {timeout:.0f} s")
        time.sleep(0.2)


def warm(url: str, timeout: float = 60.0) -> None:
    """Run the home page once in a session of its own (``/_stcore/script-health-check``, on in
    ``.streamlit/config.toml``), as a container's health check does: it must run to the end, and it starts the
    replica's background warm-up (``ui/prewarm.py``) before the first student arrives."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/script-health-check", timeout=timeout) as r:
            r.read()
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{url}: the home page did not run cleanly in the script health check ({e.code})") from e


@dataclass
class Cluster:
    """N replicas and nginx, started by :meth:`start`, all stopped by :meth:`stop` (also on exceptions)."""

    replicas: list[Replica]
    port: int
    workdir: Path
    streamlit_options: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    nginx: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.workdir / "access.log"

    def replica_url(self, name: str) -> str:
        r = next(r for r in self.replicas if r.name == name)
        return f"http://{r.addr}"

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.procs.items() if p.poll() is None}

    def start_replica(self, r: Replica) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(r.port),
               "--server.address", r.host, "--server.headless", "true", *self.streamlit_options]
        log = open(self.workdir / f"{r.name}.log", "w")  # noqa: SIM115 - closed with the process
        env = os.environ | {"GP_TORCH_THREADS": "1", "OMP_NUM_THREADS": "1"} | self.env
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        self.procs[r.name] = proc
        return proc

    def start(self, timeout: float = 120.0) -> Cluster:
        if NGINX is None:
            raise FileNotFoundError("nginx is not installed (apt-get install nginx)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        for r in self.replicas:
            self.start_replica(r)
        http = nginx_http_config(self.replicas, f"127.0.0.1:{self.port}", access_log=str(self.access_log))
        conf = self.workdir / "nginx.conf"
        conf.write_text(nginx_main_config(http, self.workdir))
        check = subprocess.run([NGINX, "-t", "-q", "-p", str(self.workdir), "-e", str(self.workdir / "error.log"), "-c", str(conf)],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused {conf}: {check.stderr}")
        self.nginx = subprocess.Popen([NGINX, "-p", str(self.workdir), "-e", str(self.workdir / "error.log"), "-c", str(conf)],
                                      stdout=subprocess.DEVNULL, stderr=open(self.workdir / "nginx.stderr", "w"),
                                      start_new_session=True)
        for r in self.replicas:
            wait_healthy(f"http://{r.addr}", timeout, self.procs[r.name])
            warm(f"http://{r.addr}", timeout)
        wait_healthy(self.url, 10, self.nginx)
        return self

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Stop one replica the hard way (as a crash or an evicted container would)."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, sig)
        proc.wait(10)

    def stop(self) -> None:
        procs = [p for p in self.procs.values() if p.poll() is None]
        if self.nginx is not None and self.nginx.poll() is None:
            procs.append(self.nginx)
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def cluster(n: int = 2, port: int | None = None, first_replica_port: int | None = None, workdir: Path | None = None,
            streamlit_options: tuple[str, ...] = (), timeout: float = 120.0):
    """``with cluster(2) as c: … c.url …``: free loopback ports unless given, a temporary folder unless given."""
    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="gp-replicas-")
        workdir = Path(tmp.name)
    if first_replica_port is None:
        ports = [free_port() for _ in range(n)]
        replicas = [Replica(f"r{i + 1}", "127.0.0.1", p) for i, p in enumerate(ports)]
    else:
        replicas = replicas_on("127.0.0.1", first_replica_port, n)
    c = Cluster(replicas, port or free_port(), workdir, streamlit_options)
    try:
        c.start(timeout)
        yield c
    finally:
        c.stop()
        if tmp is not None:
            tmp.cleanup()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start the replicas and nginx here, until Ctrl-C (or --seconds)")
    up.add_argument("--replicas", type=int, default=2)
    up.add_argument("--port", type=int, default=8080, help="nginx on 127.0.0.1:PORT")
    up.add_argument("--first-replica-port", type=int, default=8501, help="replicas on 127.0.0.1:PORT, PORT+1, …")
    up.add_argument("--workdir", type=Path, default=None, help="nginx prefix, config and logs (default: a temporary folder)")
    up.add_argument("--seconds", type=float, default=None, help="stop by itself after this long")
    up.add_argument("--pids-file", type=Path, default=None, help="write the replicas' pids here (comma-separated), for --server-pid")
    cfg = sub.add_parser("config", help="print the nginx configuration (conf.d snippet) for replicas on one host")
    cfg.add_argument("--replicas", type=int, default=2)
    cfg.add_argument("--listen", default="80")
    cfg.add_argument("--server-name", default="_")
    cfg.add_argument("--upstream-host", default="127.0.0.1")
    cfg.add_argument("--first-replica-port", type=int, default=8501)
    cfg.add_argument("--secure-cookie", action="store_true", help="behind HTTPS: mark the affinity cookie Secure")
    args = ap.parse_args(argv)

    if args.cmd == "config":
        print(nginx_http_config(replicas_on(args.upstream_host, args.first_replica_port, args.replicas), args.listen,
                                args.server_name, secure_cookie=args.secure_cookie), end="")
        return

    stop = {"now": False}

    def on_signal(*_):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with cluster(args.replicas, args.port, args.first_replica_port, args.workdir) as c:
        pids = c.pids()
        print(f"{c.url}  ->  " + ", ".join(f"{n} 127.0.0.1:{r.port} (pid {pids[n]})" for n, r in zip(pids, c.replicas)), flush=True)
        print(f"nginx pid {c.nginx.pid}, config and logs in {c.workdir}", flush=True)
        if args.pids_file:
            args.pids_file.write_text(",".join(str(p) for p in pids.values()))
        end = time.time() + args.seconds if args.seconds else None
        reported: set[str] = set()
        while not stop["now"] and (end is None or time.time() < end):
            for name, p in c.procs.items():  # a dead replica is the failover case: say so, keep the others
                if p.poll() is not None and name not in reported:
                    reported.add(name)
                    print(f"replica {name} exited (code {p.returncode}); nginx sends its students to the others", flush=True)
            if c.nginx.poll() is not None or len(reported) == len(c.procs):
                print("nginx or every replica has exited; stopping", file=sys.stderr)
                break
            time.sleep(0.5)
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
