"""Partial reruns on a real server (the diffusion and VAE pages), spoken to as the browser does
(``benchmarks/st_protocol.py``; no Chromium).

AppTest always reruns the whole script, so it cannot tell a fragment rerun from a full one. Here a widget inside a
fragment sends the fragment's id, as the browser does, and the test reads what the server sent back: only that
section, redrawn; and after a shared input changes (a full run), every section agrees with the new value.
"""

from __future__ import annotations

import asyncio
import re

from benchmarks.st_protocol import Session
from engine.families import diffusion as D
from tests.browser_utils import server

K = "w:diffusion."


class Recording(Session):
    """A session that notes, per run, the plotly charts (by key) and the formulas the server sent."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sent: dict[str, dict[str, list]] = {}

    def _handle(self, msg, size: int) -> None:
        super()._handle(msg, size)
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            return
        el = msg.delta.new_element
        run = self.sent.setdefault(msg.metadata.run.script_run_id or (self.current.id if self.current else ""), {"charts": [], "text": []})
        if el.WhichOneof("type") == "plotly_chart":
            run["charts"].append(el.plotly_chart.id.rsplit("-", 1)[-1])
            run.setdefault("specs", {})[run["charts"][-1]] = el.plotly_chart.spec
        elif el.WhichOneof("type") == "markdown":
            run["text"].append(el.markdown.body)

    def last_run(self) -> dict[str, list]:
        return self.sent.get(self.finished_runs[-1].id, {"charts": [], "text": []})


def sqrt_alpha_bar_shown(texts: list[str]) -> tuple[int, float]:
    """(t, √ᾱ_t) from the two roads' formula ``t = 10:\\quad \\sqrt{\\bar\\alpha_{t}} = 0.951, …``."""
    for body in texts:
        m = re.search(r"t = (\d+):\\quad \\sqrt\{\\bar\\alpha_\{t\}\} = ([0-9.]+)", body)
        if m:
            return int(m.group(1)), float(m.group(2))
    raise AssertionError(f"no formula with t in {texts}")


async def _diffusion(base: str) -> None:
    s = Recording(base, "diffusion", "en")
    try:
        first = await s.open(timeout=240)
        assert first.seconds is not None and not first.errors, first.errors
        assert {"forward_fig", "compare_fig"} <= set(s.last_run()["charts"])  # the points' roads: every t, scrubbed in the browser
        shown = await s.move(K + "source", option="8×8 digits", timeout=240)  # the digits' roads: one t, on a slider
        assert shown.partial and not shown.errors, shown.errors  # the forward section's own input: that section only
        assert {"forward_fig", "compare_images"} <= set(s.last_run()["charts"])
        t0, _ = sqrt_alpha_bar_shown(s.last_run()["text"])

        # the two roads' own t: a fragment rerun that redraws the roads and nothing else
        moved = await s.move(K + "t_forward", timeout=240)
        assert moved.partial and not moved.errors, moved.errors
        run = s.last_run()
        assert run["charts"] == ["compare_images", "compare_hist"]
        t1, root = sqrt_alpha_bar_shown(run["text"])
        assert t1 == t0 + 1
        linear = D.NoiseSchedule(D.ScheduleConfig("linear", 100, 1e-3, 0.2))
        assert abs(root - linear.marginal(t1)[0]) < 1e-3

        # an input the forward section shares with the roads inside it (the schedule): the section's fragment again,
        # the roads' fragment within it, and the roads follow it at the same t
        changed = await s.move(K + "schedule", option="cosine", timeout=240)
        assert changed.partial and not changed.errors, changed.errors
        run = s.last_run()
        assert {"forward_fig", "compare_images"} <= set(run["charts"])
        t2, root = sqrt_alpha_bar_shown(run["text"])
        cosine = D.NoiseSchedule(D.ScheduleConfig("cosine", 100, 1e-3, 0.2))
        assert t2 == t1 and abs(root - cosine.marginal(t2)[0]) < 1e-3
    finally:
        await s.close()


async def _vae(base: str) -> None:
    s = Recording(base, "vae", "en")
    try:
        assert not (await s.open(timeout=240)).errors
        assert not (await s.open_tab("vae_tab", "Manifold grid", timeout=240)).errors
        before = s.last_run()["specs"]["grid_fig"]
        moved = await s.move("w:vae.grid_n", timeout=240)  # the tab's own control: that tab only
        assert moved.partial and not moved.errors, moved.errors
        assert s.last_run()["charts"] == ["grid_fig"]
        assert s.last_run()["specs"]["grid_fig"] != before
        resized = s.last_run()["specs"]["grid_fig"]
        changed = await s.move("w:vae.beta", timeout=240)  # the model (shared by every tab): its section, every tab in it anew
        assert changed.partial and not changed.errors, changed.errors
        assert "grid_fig" in s.last_run()["charts"] and s.last_run()["specs"]["grid_fig"] != resized
    finally:
        await s.close()


def test_a_section_control_reruns_its_fragment_and_a_shared_input_redraws_every_section():
    with server() as base:
        asyncio.run(_diffusion(base))
        asyncio.run(_vae(base))
