"""Does every figure fit its own box? A by-eye helper for margin changes, in the browser.

    python -m tests.figure_fit                       # every page, tab and section, EN and PT
    python -m tests.figure_fit --only vae,gan --langs pt --present
    python -m tests.figure_fit --out /tmp/fit.json --shots /tmp/shots   # also a PNG of each view

One fresh server; Chromium opens each view (a page, a ``?tab=`` or a page's section picker in the link) and, for
every drawn plotly figure, checks in the page itself that
- every text plotly drew (tick labels, axis titles, legend entries, colour-bar titles, annotations and subplot
  titles, the title, slider and button labels) lies inside the figure's SVG (what is outside is cut off);
- the legend, colour bars, axis titles and the title do not overlap each other, the tick labels or the plot area.
It prints one line per problem, with the figure's margins (``_fullLayout._size``, what plotly used) and its key,
and writes all figures' margins to ``--out``. Run it on the old and the new code to compare.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tests.browser_utils import VIEWPORT, launch, server

VIEWS: dict[str, tuple[str, ...]] = {
    "home": ("",),
    "discriminative_vs_generative": ("",),
    "mixtures_and_hmm": ("part=gmm", "part=hmm", "part=regimes"),
    "vae": tuple(f"tab={t}" for t in ("latent", "grid", "walk", "sample", "recon", "train", "vq", "vaegan", "edit")),
    "gan": tuple(f"tab={t}" for t in ("truncation", "dcgan", "cycle", "growing", "style")),
    "diffusion": tuple(f"section={s}" for s in ("forward", "reverse", "digits", "latent", "models")),
    "token_sampling": tuple(f"tab={t}" for t in ("tree", "compare", "attn", "train", "ladder")),
    "energy_based": tuple(f"section={s}" for s in ("landscape", "langevin", "training", "score", "digits", "practice")),
    "evaluation": tuple(f"tab={t}" for t in ("plane", "digits", "human")),
    "arena": ("",),
    "responsible_use": ("",),
    "applications": ("",),
}

CHECK = r"""
() => {
  const out = [];
  const box = e => { const r = e.getBoundingClientRect(); return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom, w: r.width, h: r.height}; };
  const area = (a, b) => Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const union = els => { let u = null; for (const e of els) { const b = box(e); if (!b.w || !b.h) continue;
    u = u ? {x0: Math.min(u.x0, b.x0), y0: Math.min(u.y0, b.y0), x1: Math.max(u.x1, b.x1), y1: Math.max(u.y1, b.y1)} : b; } return u; };
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  plots.forEach((gd, i) => {
    const fl = gd._fullLayout; if (!fl) return;
    const key = (gd.closest('[class*="st-key-"]') || {className: ""}).className.toString().split(" ").find(c => c.startsWith("st-key-")) || `#${i}`;
    const svg = gd.querySelector('.main-svg'); if (!svg) return;
    const S = box(svg);
    if (!S.w || !S.h) return;  // a hidden tab
    const s = fl._size;
    const row = {key, size: {l: s.l, r: s.r, t: s.t, b: s.b, w: s.w, h: s.h}, width: S.w, height: S.h,
                 margin: {l: fl.margin.l, r: fl.margin.r, t: fl.margin.t, b: fl.margin.b, autoexpand: fl.margin.autoexpand},
                 problems: []};
    for (const t of gd.querySelectorAll('svg text')) {
      if (t.closest('.hoverlayer') || t.closest('.modebar')) continue;
      if (!(t.textContent || "").trim()) continue;
      const cs = getComputedStyle(t); if (cs.display === "none" || cs.visibility === "hidden" || cs.opacity === "0") continue;
      if (t.closest('[style*="opacity: 0"]')) continue;
      const fill = (cs.fill || "").replace(/\s/g, "");
      if (fill === "rgba(0,0,0,0)" || fill === "transparent" || cs.fillOpacity === "0") continue;  // drawn invisible on purpose
      const b = box(t); if (!b.w || !b.h) continue;
      const cut = Math.max(S.x0 - b.x0, b.x1 - S.x1, S.y0 - b.y0, b.y1 - S.y1);
      if (cut > 1.5) {
        const cls = (t.getAttribute('class') || t.parentNode.getAttribute('class') || t.parentNode.parentNode.getAttribute('class') || "");
        row.problems.push(`cut ${cut.toFixed(0)}px: "${t.textContent.slice(0, 30)}" (${cls})`);
      }
    }
    const parts = {};
    const legend = gd.querySelector('.infolayer .legend'); if (legend) parts.legend = union([legend.querySelector('.bg') || legend]);
    gd.querySelectorAll('.infolayer .colorbar').forEach((c, k) => { const u = union(c.querySelectorAll('text, rect.cbfill, .cbfills rect')); if (u) parts[`colorbar${k}`] = u; });
    gd.querySelectorAll('.infolayer g[class^="g-"][class*="title"]').forEach(g => { const u = union(g.querySelectorAll('text')); if (u) parts[g.getAttribute('class')] = u; });
    const xt = union(gd.querySelectorAll('.xaxislayer-above .xtick text, .xaxislayer-below .xtick text, g[class*="xtick"] text'));
    const yt = union(gd.querySelectorAll('.yaxislayer-above .ytick text, .yaxislayer-below .ytick text, g[class*="ytick"] text'));
    const names = Object.keys(parts);
    for (let a = 0; a < names.length; a++) {
      for (let b = a + 1; b < names.length; b++) {
        const o = area(parts[names[a]], parts[names[b]]);
        if (o > 20) row.problems.push(`overlap ${o.toFixed(0)}px²: ${names[a]} × ${names[b]}`);
      }
      if (!names[a].startsWith("g-") || names[a] === "g-gtitle") {
        for (const [n, t] of [["x tick labels", xt], ["y tick labels", yt]]) {
          if (t && area(parts[names[a]], t) > 20) row.problems.push(`overlap ${area(parts[names[a]], t).toFixed(0)}px²: ${names[a]} × ${n}`);
        }
      }
    }
    if (parts.legend) {
      for (const bg of gd.querySelectorAll('.cartesianlayer .bg, .bglayer rect')) {
        const o = area(parts.legend, box(bg));
        if (o > 20 && (fl.legend.x >= 1 || fl.legend.y >= 1 || fl.legend.y <= 0)) row.problems.push(`overlap ${o.toFixed(0)}px²: legend × plot area`);
      }
    }
    out.push(row);
  });
  return out;
}
"""


def wait_drawn(page, timeout: float = 120.0) -> None:
    """The script has finished and stayed finished, and every figure on screen has plotly's data."""
    deadline = time.monotonic() + timeout
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout * 1000)
    calm = None
    while time.monotonic() < deadline:
        state = page.evaluate("() => (document.querySelector('[data-testid=stApp]') || {getAttribute: () => null}).getAttribute('data-test-script-state')")
        drawn = page.evaluate("() => Array.from(document.querySelectorAll('[data-testid=stPlotlyChart]')).every(c => { const g = c.querySelector('.js-plotly-plot'); return g && g._fullLayout; })")
        if state == "notRunning" and drawn:
            calm = calm or time.monotonic()
            if time.monotonic() - calm > 2.0:
                break
        else:
            calm = None
        time.sleep(0.2)
    page.wait_for_timeout(500)


def main(argv: list[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated page keys (default: all)")
    ap.add_argument("--langs", default="en,pt")
    ap.add_argument("--present", action="store_true", help="in presenter mode (present=1)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--shots", type=Path, help="a folder for a screenshot of each view")
    ap.add_argument("--height", type=int, default=2400)
    ap.add_argument("--skip", default="", help="comma-separated views to leave out, as page?view (e.g. gan?tab=dcgan)")
    args = ap.parse_args(argv)
    pages = [p for p in VIEWS if not args.only or p in args.only.split(",")]
    results, problems = [], 0
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    with server() as base, sync_playwright() as p:
        browser = launch(p)
        for lang in args.langs.split(","):
            for key in pages:
                for view in VIEWS[key]:
                    if f"{key}?{view}" in args.skip.split(","):
                        continue
                    query = "&".join(q for q in (f"lang={lang}", view, "present=1" if args.present else "") if q)
                    url = f"{base}/{key}?{query}"
                    page = browser.new_page(viewport={"width": VIEWPORT["width"], "height": args.height})
                    try:
                        page.goto(url)
                        wait_drawn(page)
                        rows = page.evaluate(CHECK)
                        if args.shots:
                            page.screenshot(path=str(args.shots / f"{key}_{view.replace('=', '-') or 'page'}_{lang}.png"), timeout=120_000)
                    except Exception as exc:  # a view that fails to open is reported, the others still run
                        rows = [{"key": "?", "problems": [f"{type(exc).__name__}: {str(exc)[:200]}"]}]
                    finally:
                        page.close()
                    for row in rows:
                        row.update(page_=key, view=view, lang=lang)
                        for problem in row["problems"]:
                            problems += 1
                            print(f"{key}?{view} {lang} {row['key']} {row.get('size')}: {problem}", flush=True)
                    results.append({"page": key, "view": view, "lang": lang, "figures": rows})
                    print(f"# {key}?{view} {lang}: {len(rows)} figures", flush=True)
        browser.close()
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    print(f"{problems} problems")


if __name__ == "__main__":
    main()
