"""What the browser and class-load benchmarks do on each page: the one table to update when a page changes.

Everything is addressed the way the pages name it, never by position on screen:
- a widget by its Streamlit key (``ctx.key("t_forward")`` is ``"w:diffusion.t_forward"``, buttons have plain keys);
- a chart by the ``key=`` given to ``ctx.chart``;
- an option, a tab, an expander or a button's text by its catalogue key (``"diffusion.sections.reverse"``), so the
  same line works in both languages.

The browser benchmark turns a key into its element (Streamlit gives every keyed element the class
``st-key-<key>``); the class-load client turns it into the widget's id (which ends in ``-<key>``), so both drive
the same control. When a page changes, only this table changes:
- a section moved into an ``st.fragment``: nothing to do; both benchmarks see that the rerun is partial;
- a Streamlit slider replaced by a plotly slider (scrubbing in the browser): its ``act`` becomes
  ``PlotlyScrub("<chart key>")``, with the same name so before and after stay comparable;
- a shared live-training component: new keys in the ``Live`` rows. Since ``ui/live_panel.py`` every live
  row uses the panel's ``<prefix>_play`` / ``<prefix>_pause``; the keys the pages had before stay as
  ``also`` alternatives, so the same table measures the code before the panel too.

Kinds (the issue's goals are per kind): VIEW a sampling or view control, REFIT a control that refits a small
model, STEP one training step, SCRUB choosing one of a precomputed series.
"""

from __future__ import annotations

from dataclasses import dataclass, field

VIEW, REFIT, STEP, SCRUB = "view", "refit", "step", "scrub"


# ---------------------------------------------------------------- actions

@dataclass(frozen=True)
class Widget:
    """Change one widget. With neither ``to`` nor ``value``: one step or option further (back at the end).
    ``to`` names an option by its catalogue key; ``value`` by its text as shown (e.g. ``"800"``).
    For a multi-select (pills) an option is toggled."""

    key: str
    to: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Click:
    """Press a button. ``also``: other keys the same button may have, the first one on screen is pressed
    (a page that splits a Play/Pause toggle into a Pause and a Play button keeps its row working)."""

    key: str
    also: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.also)


@dataclass(frozen=True)
class Tab:
    """Open a tab by its catalogue label. ``key``: the ``st.tabs`` key when the tabs rerun the page
    (``on_change="rerun"``); None for tabs that switch in the browser only."""

    label: str
    key: str | None = None


@dataclass(frozen=True)
class Expand:
    """Open an expander by its catalogue label (in the browser only: no rerun)."""

    label: str


@dataclass(frozen=True)
class PlotlyScrub:
    """Move the plotly slider inside a chart to another frame (an animation scrubbed in the browser)."""

    chart: str


Action = Widget | Click | Tab | Expand | PlotlyScrub


# ---------------------------------------------------------------- what is measured

@dataclass(frozen=True)
class Interaction:
    """One measured input. ``charts``: the figures that must redraw (the measurement ends at the last
    redraw of any of them). ``setup``: inputs done first, untimed (open a section, a tab, an expander)."""

    name: str
    kind: str
    act: Action
    charts: tuple[str, ...]
    setup: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Counter:
    """Where live training shows its step: a metric by its catalogue label, or the progress bar's text."""

    metric: str | None = None  # catalogue key of the st.metric label
    progress: bool = False  # the first number in the st.progress text


@dataclass(frozen=True)
class Paused:
    """How the page says training is paused: the button ``key`` reads the catalogue text ``label``,
    or (``enabled=True``) the button can be pressed again, or a button with the key ``shown`` is on screen."""

    key: str
    label: str | None = None
    enabled: bool = False
    shown: str | None = None


@dataclass(frozen=True)
class Live:
    """Live training: start it, watch the main figure redraw, pause it."""

    start: Click
    pause: Click
    chart: str
    counter: Counter
    paused: Paused
    setup: tuple[Action, ...] = ()


RESET = Click("reset_page")  # the sidebar's "reset this page" (ui.shell): widgets back to their defaults


@dataclass(frozen=True)
class PageBench:
    """A page's rows. The browser benchmark presses ``reset`` before each interaction and before the live
    row, so that each starts from the page's defaults whatever the one before it changed."""

    key: str  # the registry key (URL path), or "home"
    interactions: tuple[Interaction, ...] = ()
    live: Live | None = None
    reset: Action | None = RESET

    @property
    def path(self) -> str:
        return "" if self.key == "home" else self.key


# ---------------------------------------------------------------- the table

def _w(page: str, name: str, **kw) -> Widget:
    return Widget(f"w:{page}.{name}", **kw)


P1, MIX, VAE, GAN, DIFF, TOK = ("discriminative_vs_generative", "mixtures_and_hmm", "vae", "gan", "diffusion", "token_sampling")
GMM_PART = (_w(MIX, "part", to=f"{MIX}.parts.gmm"),)
REGIMES_PART = (_w(MIX, "part", to=f"{MIX}.parts.regimes"),)
FORWARD = (_w(DIFF, "section", to=f"{DIFF}.sections.forward"),)
REVERSE = (_w(DIFF, "section", to=f"{DIFF}.sections.reverse"),)
DIGITS = (_w(DIFF, "section", to=f"{DIFF}.sections.digits"),)


def _vae_tab(name: str) -> tuple[Action, ...]:
    return (Tab(f"{VAE}.tab.{name}", key="vae_tab"),)


PAGES: tuple[PageBench, ...] = (
    PageBench("home", reset=None),
    PageBench(P1, (
        Interaction("dataset noise (first slider)", REFIT, _w(P1, "noise_moons"), ("disc_fig", "gen_fig")),
        Interaction("samples drawn", SCRUB, PlotlyScrub("gen_fig"), ("gen_fig",)),
        Interaction("evidence layer", VIEW, _w(P1, "layers", to=f"{P1}.layer.evidence"), ("gen_fig",)),
        Interaction("logistic C", REFIT, _w(P1, "disc_logistic_param"), ("disc_fig",)),
        Interaction("naive Bayes smoothing", REFIT, _w(P1, "gen_naive_bayes_param"), ("gen_fig",)),
    )),
    PageBench(MIX, (
        Interaction("new points", VIEW, _w(MIX, "n_new"), ("gmm_generate",), GMM_PART),
        Interaction("EM with a new K", REFIT, _w(MIX, "k"), ("em_replay", "gmm_generate"), GMM_PART),
        Interaction("EM replay", SCRUB, PlotlyScrub("em_replay"), ("em_replay",), GMM_PART),
        Interaction("regime stickiness", REFIT, _w(MIX, "stay"), ("regime_signal", "regime_hist"), REGIMES_PART),
    )),
    PageBench(VAE, (
        Interaction("beta shown", VIEW, _w(VAE, "beta"), ("latent_fig",), _vae_tab("latent")),
        Interaction("grid size", VIEW, _w(VAE, "grid_n"), ("grid_fig",), _vae_tab("grid")),
        Interaction("walk frames", VIEW, _w(VAE, "walk_n"), ("film_fig", "walk_anim"), _vae_tab("walk")),
        Interaction("latent walk", SCRUB, PlotlyScrub("walk_anim"), ("walk_anim",), _vae_tab("walk")),
    ), Live(start=Click("vae_play", also=("vae_train",)), pause=Click("vae_pause"), chart="live_curves", counter=Counter(progress=True),
            paused=Paused("vae_pause", label=f"{VAE}.resume", shown="vae_play"),
            setup=(*_vae_tab("train"), _w(VAE, "live_steps", value="800")))),
    PageBench(GAN, (
        Interaction("distance shown", VIEW, _w(GAN, "metric"), ("gan_curves",)),
        Interaction("manifold layer", VIEW, _w(GAN, "layers", to=f"{GAN}.layer.manifold"), ("gan_plane",)),
        Interaction("D learning rate", REFIT, _w(GAN, "lr_d"), ("gan_plane", "gan_curves"), (Expand(f"{GAN}.settings"),)),
        Interaction("one training step", STEP, Click("gan_step"), ("gan_plane", "gan_curves")),
        Interaction("digits epoch", SCRUB, PlotlyScrub("gan_digit_curves"), ("gan_digit_curves",)),
        Interaction("preset replay", SCRUB, PlotlyScrub("gan_preset_collapse"), ("gan_preset_collapse",)),
        Interaction("truncation threshold", SCRUB, PlotlyScrub("gan_truncation_curve"), ("gan_truncation_curve",)),
    ), Live(start=Click("gan_play"), pause=Click("gan_pause", also=("gan_play",)), chart="gan_plane", counter=Counter(metric=f"{GAN}.step"),
            paused=Paused("gan_play", label=f"{GAN}.play"))),
    PageBench(DIFF, (
        Interaction("forward timestep", SCRUB, PlotlyScrub("forward_fig"), ("forward_fig",), FORWARD),
        Interaction("two roads timestep", SCRUB, PlotlyScrub("compare_fig"), ("compare_fig",), FORWARD),
        Interaction("noise schedule", REFIT, _w(DIFF, "schedule"), ("forward_fig", "compare_fig"), FORWARD),
        Interaction("reverse animation", SCRUB, PlotlyScrub("reverse_fig"), ("reverse_fig",), REVERSE),
        Interaction("score-field timestep", SCRUB, PlotlyScrub("field_fig"), ("field_fig",), REVERSE),
        Interaction("guidance", SCRUB, PlotlyScrub("digit_sweep"), ("digit_sweep",), DIGITS),
    ), Live(start=Click("diffusion_play", also=("diffusion_run",)), pause=Click("diffusion_pause", also=("diffusion_run",)),
            chart="loss_fig", counter=Counter(progress=True),
            paused=Paused("diffusion_run", label=f"{DIFF}.resume", shown="diffusion_play"),
            setup=(*REVERSE, _w(DIFF, "model_source", to=f"{DIFF}.model_sources.live")))),
    PageBench(TOK, (
        Interaction("temperature", VIEW, _w(TOK, "temperature"), ("ts_dist",)),
        Interaction("top-p", VIEW, _w(TOK, "top_p"), ("ts_dist",)),
        Interaction("top-k", VIEW, _w(TOK, "top_k"), ("ts_dist",)),
        Interaction("model rung", REFIT, _w(TOK, "rung"), ("ts_dist",)),
    ), Live(start=Click("ts_train_play", also=("ts_train_start",)), pause=Click("ts_train_pause"), chart="ts_loss",
            counter=Counter(metric=f"{TOK}.train_steps"), paused=Paused("ts_train_start", enabled=True, shown="ts_train_play"),
            setup=(Tab(f"{TOK}.tab_train", key="token_tab"),))),  # lazy tabs: the Training tab must be opened
    PageBench("energy_based", (
        Interaction("score field data", VIEW, _w("energy_based", "score_data"), ("score_fig",),
                    (_w("energy_based", "section", to="energy_based.sections.score"),)),
    )),
    PageBench("evaluation"),
    PageBench("arena", (
        Interaction("shipped lesson", VIEW, _w("arena", "race", to="arena.lessons.spiral"), ("lesson_samples_mixture",)),
    )),
    PageBench("responsible_use"),
    PageBench("applications", (
        Interaction("shipped experiment", VIEW, _w("applications", "aug_source", to="applications.aug.source.diffusion"), ("apps_aug_seeds",)),
    )),
)

BY_KEY = {p.key: p for p in PAGES}


def pick(names: str | None) -> list[PageBench]:
    """The pages named in a comma-separated list (all of them for None or "all")."""
    if not names or names == "all":
        return list(PAGES)
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in BY_KEY]
    if unknown:
        raise SystemExit(f"unknown pages {unknown}; known: {', '.join(BY_KEY)}")
    return [BY_KEY[n] for n in wanted]


def server_side(action: Action) -> bool:
    """Does this input reach the server? (Expanders and plain tabs switch in the browser.)"""
    return isinstance(action, (Widget, Click)) or (isinstance(action, Tab) and action.key is not None)


@dataclass
class ClassMix:
    """The class-load benchmark's students: which pages the light ones visit, and what they move there."""

    light: dict[str, list[Interaction]] = field(default_factory=dict)
    training: dict[str, Live] = field(default_factory=dict)
    between_trainings: dict[str, list[Interaction]] = field(default_factory=dict)


def class_mix() -> ClassMix:
    """Every server-side VIEW/REFIT/SCRUB input for light students; every Live row for training students,
    who between two trainings move only VIEW controls (a REFIT may swap the model they train)."""
    mix = ClassMix()
    for page in PAGES:
        light = [i for i in page.interactions if i.kind != STEP and server_side(i.act)]
        if light:
            mix.light[page.key] = light
        if page.live is not None:
            mix.training[page.key] = page.live
            mix.between_trainings[page.key] = [i for i in light if i.kind == VIEW]
    return mix
