"""What one live-training tick costs the browser, figure by figure: Chromium's CPU to draw each live figure anew.

    .venv/bin/python -m benchmarks.live_figures                 # GAN, diffusion and VAE live figures, 12 draws each
    .venv/bin/python -m benchmarks.live_figures --draws 20 --steps 3000

Streamlit's front end gives a plotly chart whose figure changed a new identity (its id hashes the figure), so every
tick that changes a live figure mounts a new chart: ``Plotly.newPlot`` in a fresh ``<div>``, then the old one purged.
This does exactly that in headless Chromium with plotly.js (the copy plotly.py ships), for the figures the pages draw
inside their ticking fragment, built by the pages' own functions from real trainers, and reports per draw:
Chromium's CPU seconds (renderer, GPU and browser processes, from /proc: stable on a loaded machine, unlike wall
time), the wall time, and the figure's JSON size. No server, no network.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import plotly

from benchmarks.timing import load_text, machine_load

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

DRAW_JS = """
async ([spec, n]) => {
  const host = document.getElementById('host');
  const times = [];
  for (let i = 0; i < n; i++) {
    const div = document.createElement('div');
    div.style.width = '640px';
    host.appendChild(div);
    const t0 = performance.now();
    await Plotly.newPlot(div, spec.data, spec.layout, {displaylogo: false});
    await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));  // painted
    times.push(performance.now() - t0);
    Plotly.purge(div);
    div.remove();
  }
  return times;
}
"""


def chromium_cpu() -> float:
    """CPU seconds of every Chromium process under this one (renderer, GPU, browser: from /proc)."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            kids.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(d))
    total, todo = 0.0, [os.getpid()]
    while todo:
        for k in kids.get(todo.pop(), []):
            todo.append(k)
            try:
                if b"chrom" not in Path(f"/proc/{k}/cmdline").read_bytes():  # not the app's server, if this started one
                    continue
                f = Path(f"/proc/{k}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    return total


def gan_figures(steps: int) -> dict:
    from engine.data import points
    from engine.families import gan
    from ui import plots_gan
    from ui import views_gan as views

    ds = points.make_dataset(gan.RING, seed=0)
    cfg = gan.PRESETS["fixed"]  # the page's default preset, so the trainer resumes its shipped run
    tr = views.build_trainer(ds, cfg, 0, pretrained=True)
    tr.train_players(steps)
    layers = ("real", "fake", "d_map", "arrows")  # the page's default layers
    probability = tr.cfg.loss in gan.PROBABILITY_LOSSES
    plane = plots_gan.plane(tr.view(), tr.X, tr.box, layers, views.plane_labels("en", probability), height=560)
    live = plots_gan.plane(tr.view(resolution=plots_gan.LIVE_RESOLUTION), tr.X, tr.box, layers,  # as a tick draws it while playing
                           views.plane_labels("en", probability, live=(len(tr.X), gan.MAX_POINTS_PER_FRAME)), height=560, live=True)
    curves = views.training_curves("en", tr.history_, "sw", probability, tr.ring_centres is not None)
    return {f"gan plane (step {tr.step_}, paused)": plane, "gan plane (playing)": live,
            f"gan curves ({len(tr.history_.step)} rows)": curves}


def diffusion_figures(steps: int) -> dict:
    import numpy as np

    from engine.families import diffusion as D
    from ui import charts
    from ui import diffusion_sections as sections
    from ui import plots_diffusion as P
    from ui import views_diffusion as V

    from engine.data import points

    data = points.make_dataset("moons", seed=0).X
    config = D.ScheduleConfig("linear", 100, 1e-3, 0.2)
    model = D.DiffusionModel(D.config_2d(config, decay_steps=steps), seed=0).set_data(data)
    from engine.core.training import Budget

    model.advance(Budget(max_steps=steps))
    losses, smoothed = np.asarray(model.history_), model.smoothed_loss()
    preview = model.reverse(sections.PREVIEW_POINTS, "ddim", 20, seed=0).samples  # what the page's live snapshot draws
    loss = P.loss_figure(losses, smoothed, "step", "loss", "loss", "smoothed")
    pts = P.points_figure(V.box_for(data, 2.8), data, [(preview, "preview", P.SAMPLE_COLOUR)], "data", height=300)
    shown = data[charts.fixed_subset(len(data), sections.LIVE_DATA)]  # as a tick draws it while playing
    live = P.points_figure(V.box_for(data, 2.8), shown, [(preview[:sections.LIVE_PREVIEW], "preview", P.SAMPLE_COLOUR)], "data", height=300)
    return {f"diffusion loss ({len(losses)} steps)": loss, "diffusion preview (paused)": pts, "diffusion preview (playing)": live}


def vae_figures(steps: int) -> dict:
    import numpy as np

    from engine.core.training import Budget
    from engine.families import vae
    from ui import plots_vae

    tr = vae.Trainer(vae.VAEConfig(latent_dim=2, beta=1.0, lr=6e-3, max_steps=steps), seed=0)
    tr.advance(Budget(max_steps=steps))
    h = {name: np.array(getattr(tr.history_, name)) for name in ("step", "recon", "kl")}
    return {f"vae curves ({len(h['step'])} steps)": plots_vae.loss_curves(h["step"], h["recon"], h["kl"], ("recon", "KL"), "step", "nats",
                                                                          height=300)}


def main(argv: list[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser_utils import launch

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--draws", type=int, default=12)
    ap.add_argument("--steps", type=int, default=2000, help="training steps before the figures are built")
    ap.add_argument("--only", default="gan,diffusion,vae")
    args = ap.parse_args(argv)
    figs = {}
    for name in args.only.split(","):
        figs.update({"gan": gan_figures, "diffusion": diffusion_figures, "vae": vae_figures}[name](args.steps))
    print("before: " + load_text(machine_load()), flush=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_content("<div id='host'></div>")
        page.add_script_tag(path=str(PLOTLY_JS))
        print(f"| figure | JSON | Chromium CPU per draw | wall per draw (median) |\n|---|---|---|---|")
        from ui import charts

        for name, fig in figs.items():
            charts.fit_margins(fig, None)  # as PageContext.chart does before Streamlit sends it
            spec = json.loads(fig.to_json())
            page.evaluate(DRAW_JS, [spec, 2])  # warm: plotly's first use of a trace type
            c0 = chromium_cpu()
            times = sorted(page.evaluate(DRAW_JS, [spec, args.draws]))
            cpu = (chromium_cpu() - c0) / args.draws
            print(f"| {name} | {len(fig.to_json()) / 1e3:,.1f} kB | {cpu * 1000:,.0f} ms | {times[len(times) // 2]:,.0f} ms |", flush=True)
        browser.close()
    print("after: " + load_text(machine_load()))


if __name__ == "__main__":
    main()
