"""The class-load client's bookkeeping, without a server: what it counts as an error a student would see, and
the pinned server command it starts. (``tests/test_fragments.py`` drives the same client against a real server.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks import class_load
from benchmarks.st_protocol import Session


def _received(fill) -> tuple[ForwardMsg, int]:
    """A ForwardMsg as the client receives it: serialised by the server, parsed from the websocket's bytes."""
    sent = ForwardMsg()
    sent.metadata.run.script_run_id = "run-1"
    fill(sent)
    data = sent.SerializeToString()
    msg = ForwardMsg()
    msg.ParseFromString(data)
    return msg, len(data)


def _exception(m):
    m.delta.new_element.exception.type = "ValueError"
    m.delta.new_element.exception.message = "boom"
    m.delta.new_element.exception.stack_trace.append('File "pages/04_gan.py", line 1')


def _error_box(m):
    m.delta.new_element.alert.format = Alert.ERROR
    m.delta.new_element.alert.body = "Training diverged"


def _warning_box(m):
    m.delta.new_element.alert.format = Alert.WARNING
    m.delta.new_element.alert.body = "Training diverged"


def _figure(m):
    m.delta.new_element.plotly_chart.spec = '{"data": [{"name": "error"}], "layout": {"title": "Traceback"}}'


def _page_not_found(m):
    m.page_not_found.page_name = "gam"


def test_a_traceback_an_error_box_and_a_missing_page_are_counted_and_nothing_else_is():
    s = Session("http://127.0.0.1:1", "gan")
    for fill in (_figure, _warning_box, _exception, _figure, _error_box, _page_not_found):
        s._handle(*_received(fill))
    seen = [e for _, e in s.errors]
    assert seen == ["exception: ValueError: boom", "error box: Training diverged", "page not found: gam"], seen


@pytest.mark.skipif(not class_load.can_pin(), reason="needs CPUs 0 and 1")
def test_the_pinned_server_command_runs_streamlit_on_one_cpu():
    def run(*launcher: str) -> str:
        done = subprocess.run([sys.executable, *launcher], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert run(*class_load.pinned_launcher(1, then="print(sorted(os.sched_getaffinity(0)))")).strip() == "[1]"
    assert "Streamlit, version" in run(*class_load.pinned_launcher(0), "version")
    waited = class_load.cpu_wait(os.getpid())  # how the benchmark reads the server's wait for a CPU
    assert waited is None or waited >= 0
