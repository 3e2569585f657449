"""The deployment files say what the app needs: checked here because no Docker engine or cluster runs on the
development machine (``docker build`` fails), and a file that drifts from the code fails only in a school.

What runs for real: the nginx configuration (``nginx -t`` here, and the two-replica browser test in
tests/test_replicas.py); the Dockerfile's CMD and HEALTHCHECK were run by hand on a copy of the build context
(README, "Container image"); its pip step needs PyTorch's index, which this machine cannot reach.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from deploy import local_replicas

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text("utf-8")
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
K8S = (ROOT / "deploy" / "kubernetes" / "generative-playground.yaml").read_text("utf-8")


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined and comments dropped."""
    out, current = [], ""
    for line in text.splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            word, _, rest = current.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            current = ""
    return out


STEPS = instructions(DOCKERFILE)


def step(name: str) -> list[str]:
    return [args for word, args in STEPS if word == name]


def pins(lines) -> dict[str, str]:
    """name -> the whole requirement line (marker included), from requirement lines."""
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*==", line)
        if m:
            out.setdefault(m.group(1).lower(), []).append(line)
    return out


REQS = pins((ROOT / "requirements.txt").read_text("utf-8").splitlines())
TORCH = REQS["torch"][0].split("==")[1]


# ---------------------------------------------------------------- Dockerfile

def test_image_is_python_311_like_the_readme():
    (base,) = step("FROM")
    assert re.match(r"python:3\.11(\.\d+)?-slim", base)
    assert "Python 3.11" in (ROOT / "README.md").read_text("utf-8")


def test_image_installs_the_pinned_requirements_with_the_cpu_build_of_torch():
    copies = step("COPY")
    assert copies[0].split() == ["requirements.txt", "./"], "dependencies are installed before the code is copied"
    (install, *_) = [r for r in step("RUN") if "pip install" in r]
    assert "-r requirements.txt" in install
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in install
    assert f'"torch=={TORCH}+cpu"' in install, "the exact +cpu pin: the build fails rather than fall back to CUDA"
    assert "endswith('+cpu')" in install, "and the build checks what it got"


def test_image_runs_as_an_unprivileged_user_with_deliberate_threads():
    (user,) = step("USER")
    assert user not in ("root", "0")
    uid = re.search(r"runAsUser: (\d+)", K8S).group(1)
    assert f"--uid {uid} " in " ".join(step("RUN")), "the manifest runs the image's user"
    assert [word for word, _ in STEPS if word in ("USER", "CMD")] == ["USER", "CMD"], "the server starts as that user"
    env = " ".join(step("ENV"))
    for var in ("GP_TORCH_THREADS=1", "OMP_NUM_THREADS=1"):
        assert var in env


def test_image_serves_the_app_on_its_port_with_a_health_check():
    (port,) = step("EXPOSE")
    (cmd,) = step("CMD")
    argv = json.loads(cmd)
    assert argv[:4] == ["python", "-m", "streamlit", "run"] and argv[4] == "streamlit_app.py"
    assert f"--server.port={port}" in argv and "--server.address=0.0.0.0" in argv
    (health,) = step("HEALTHCHECK")
    assert f"http://127.0.0.1:{port}/_stcore/script-health-check" in health, "runs the home page: starts the warm-up"
    assert CONFIG["server"]["scriptHealthCheckEnabled"] is True, "Streamlit serves that endpoint only when asked"
    assert re.search(r"--start-period=\d+s", health), "the first start imports torch: give it time"
    assert re.search(r"--start-interval=[1-5]s", health), "the first check (and so the warm-up) soon after the start"
    assert f"containerPort: {port}" in K8S


def test_dockerignore_keeps_what_the_app_needs_and_drops_the_rest():
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text("utf-8").splitlines() if p.strip() and not p.startswith("#")]

    def ignored(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return any(fnmatch.fnmatch(pre, pat.removeprefix("**/")) or fnmatch.fnmatch(pre, pat) for pat in patterns for pre in prefixes)

    for needed in ["requirements.txt", "streamlit_app.py", ".streamlit/config.toml", "pages/04_gan.py", "engine/core/weights.py",
                   "ui/shell.py", "assets/weights", "assets/i18n/pt.toml"]:
        assert (ROOT / needed).exists(), needed
        assert not ignored(needed), f"{needed} must go into the image"
    for dropped in [".git", ".venv", "tests/test_browser.py", "benchmarks/class_load.py", ".streamlit/secrets.toml", "ui/__pycache__"]:
        assert ignored(dropped), f"{dropped} must stay out of the image"


# ---------------------------------------------------------------- Streamlit Community Cloud

def test_cloud_environment_has_requirements_pins_with_the_cpu_torch():
    text = (ROOT / "environment.yml").read_text("utf-8")
    assert re.search(r"^\s+- python=3\.11$", text, re.M)
    pip = [line.strip()[2:].strip() for line in text.split("- pip:")[1].splitlines() if line.strip().startswith("- ")]
    assert pip[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"
    cloud = pins(pip[1:])
    assert {k: v for k, v in cloud.items() if k != "torch"} == {k: v for k, v in REQS.items() if k != "torch"}
    assert sorted(cloud["torch"]) == sorted([f'torch=={TORCH}+cpu ; platform_system != "Darwin"',
                                             f'torch=={TORCH} ; platform_system == "Darwin"'])


def test_cloud_picks_environment_yml_before_requirements_txt():
    # Cloud's order: uv.lock, Pipfile, environment.yml, requirements.txt, pyproject.toml (entrypoint folder, then root).
    for earlier in ("uv.lock", "Pipfile"):
        assert not (ROOT / earlier).exists(), f"{earlier} would take precedence over environment.yml on Cloud"
    assert (ROOT / "streamlit_app.py").exists() and not (ROOT / "requirements.txt").is_symlink()


def test_the_file_watcher_stays_off():
    # torch.classes broke Streamlit's module watcher (streamlit#10992; 1.67 guards it); off on a classroom server anyway.
    assert CONFIG["server"]["fileWatcherType"] == "none"


# ---------------------------------------------------------------- nginx and Kubernetes

def test_shipped_nginx_config_is_what_the_launcher_writes():
    shipped = (ROOT / "deploy" / "nginx" / "generative-playground.conf").read_text("utf-8")
    assert shipped == local_replicas.nginx_http_config(local_replicas.replicas_on("127.0.0.1", 8501, 4), "80", "playground.example.org"), \
        "regenerate: python -m deploy.local_replicas config --replicas 4 --listen 80 --server-name playground.example.org"


def test_nginx_config_pins_and_fails_over_as_documented():
    conf = local_replicas.nginx_http_config(local_replicas.replicas_on("127.0.0.1", 8501, 3), "8080")
    assert "ip_hash" not in conf, "behind a school's NAT ip_hash puts the whole class on one replica"
    for r in ("r1", "r2", "r3"):
        pool = re.search(rf"upstream gp_{r} \{{(.*?)\}}", conf, re.S).group(1)
        assert pool.count("backup") == 2, pool  # the other two replicas
    assert f"client_max_body_size {CONFIG['server']['maxUploadSize']}m;" in conf
    assert "proxy_set_header Host $http_host;" in conf, "Streamlit refuses a websocket whose Origin does not match Host"
    assert re.search(r"proxy_read_timeout \d+h;", conf)
    assert "proxy_next_upstream error timeout" in conf


def test_nginx_accepts_the_local_config(tmp_path):
    if local_replicas.NGINX is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("nginx is required (apt-get install nginx)")
        pytest.skip("nginx not found: apt-get install nginx")
    http = local_replicas.nginx_http_config(local_replicas.replicas_on("127.0.0.1", 8501, 2), "127.0.0.1:8080",
                                            access_log=str(tmp_path / "access.log"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(local_replicas.nginx_main_config(http, tmp_path))
    r = subprocess.run([local_replicas.NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_kubernetes_manifest_probes_health_and_keeps_students_on_their_pod():
    assert K8S.count("path: /_stcore/script-health-check") == 1  # startup: the home page runs, and warms the pod
    assert K8S.count("path: /_stcore/health") == 2  # readiness, liveness: cheap on a busy pod
    assert 'nginx.ingress.kubernetes.io/affinity: "cookie"' in K8S
    assert 'nginx.ingress.kubernetes.io/affinity-mode: "persistent"' in K8S
    assert f'nginx.ingress.kubernetes.io/proxy-body-size: "{CONFIG["server"]["maxUploadSize"]}m"' in K8S
    assert "sessionAffinity: ClientIP" in K8S
    assert re.search(r'proxy-read-timeout: "(\d+)"', K8S) and int(re.search(r'proxy-read-timeout: "(\d+)"', K8S).group(1)) >= 600
