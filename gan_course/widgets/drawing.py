"""Draw one recorded frame of a 2D GAN run with plain matplotlib, and animations of them.

In the spirit of GAN Lab (Kahng et al. 2018, poloclub/ganlab): per run, the
discriminator D_φ(x) as a heatmap, real samples x ~ p* (blue), fake samples
G_θ(z) ~ q_θ (orange), the generator's manifold (the image of a grid of noise),
the arrows −∇ₓ ℓ_G that push each fake, and below, the loss and metric curves
with a cursor at the current step.

- ``layout = frame_axes(histories)`` makes a figure with one column per run;
  ``draw_frame(layout, histories, t)`` draws recorded frame ``t`` into it (again
  and again: the artists are made once and then updated) and ``render_png`` returns
  it as PNG bytes (redrawing only what changes from frame to frame).
- ``draw_panel(ax, history, index)`` draws only the 2D view, into axes of your own.
- ``export_animation(histories)`` makes a short animated GIF that plays without a
  kernel, a script or a network (in JupyterLab before the notebook is trusted, in
  nbconvert's HTML, on GitHub).

A History is read by duck typing; these attributes are all that is used::

    config (.loss, .lr_disc, .lr_gen, .n_disc, .n_gen; .gen_loss_name if it has one),
    steps (T,), real (n, 2),
    fake (T, n, 2), fake_push (T, n, 2), grid_x and grid_y (G, G) with 'xy' indexing,
    disc (T, G, G), disc_is_probability, critic_up_to_constant,
    manifold (T, M, 2) or None, manifold_shape,
    losses {"disc": (S,), "gen": (S,)}, metrics {name: (T,)}, wall_time

Runs shown side by side must have recorded the same training steps, otherwise
``ValueError``: frame ``t`` must mean the same training step in every panel.
"""

from __future__ import annotations

import base64
import io
import math
import numbers
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

import matplotlib.image
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from gan_course.plotting import FAKE_COLOUR, REAL_COLOUR

LAYERS = ("heatmap", "manifold", "real", "fake", "gradients")  # also the drawing order
DEFAULT_LAYERS = frozenset(LAYERS)
MAX_ANIMATION_FRAMES = 30
COLUMN_INCHES = 3.4  # the width of one run's column in a frame
MAX_ARROWS = 64
# A banded heatmap reads like contour lines of D and compresses far better in GIF and PNG.
HEATMAP_LEVELS = 12
# The longest typical arrow (90th percentile over the run) is this fraction of the panel width.
ARROW_FRACTION = 0.1
DISC_COLOUR = "0.25"  # the discriminator's loss curve; the generator's is FAKE_COLOUR
METRIC_LABELS = {"modes_covered": "modes", "high_quality": "high quality", "kl": "KL", "js": "JS"}
METRIC_COLOURS = {"modes_covered": "tab:green", "high_quality": "tab:purple",
                  "kl": "tab:red", "js": "tab:olive"}
# Metrics drawn together in one row of curves: the first on the left axis, the
# second on the right one, each with its own scale (a count of modes and a
# fraction of samples, or an unbounded KL and a JS bounded by log 2).
METRIC_PAIRS = (("modes_covered", "high_quality"), ("kl", "js"))


def _pale(colour: str, amount: float) -> tuple:
    """``colour`` mixed with white: ``amount`` 0 is white, 1 is the colour itself."""
    return tuple(1 - amount * (1 - channel) for channel in to_rgb(colour))


# D low (the discriminator says "fake") is pale orange, D high ("real") pale blue,
# so the background agrees with the sample colours and the samples stay visible on it.
FAKE_TO_REAL = LinearSegmentedColormap.from_list(
    "fake_to_real", [_pale(FAKE_COLOUR, 0.55), (1, 1, 1), _pale(REAL_COLOUR, 0.55)])


# ---------------------------------------------------------------------------
# Checking and labelling runs
# ---------------------------------------------------------------------------

def as_history_list(histories) -> list:
    """One History or a sequence of them, as a non-empty list."""
    if isinstance(histories, (list, tuple)):
        histories = list(histories)
    else:
        histories = [histories]
    if not histories:
        raise ValueError("give at least one History to show.")
    return histories


def check_same_steps(histories: Sequence) -> None:
    """Raise ValueError unless every run recorded exactly the same training steps."""
    first = histories[0].steps
    for number, history in enumerate(histories[1:], start=1):
        if not torch.equal(history.steps.cpu(), first.cpu()):
            raise ValueError(
                f"run 0 recorded {len(first)} frames up to step {int(first[-1])} but run {number} "
                f"recorded {len(history.steps)} up to step {int(history.steps[-1])}; runs shown "
                "side by side must record the same steps: train them for the same number of "
                "steps with the same recording interval."
            )


_WORDS = {"kl": "KL", "js": "JS", "gan": "GAN", "fgan": "f-GAN", "non": "non-"}


def _loss_name(loss) -> str:
    """A loss given by name or as a function, as words: "fgan_reverse_kl" → "f-GAN reverse KL"."""
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", repr(loss))
    return " ".join(_WORDS.get(word, word) for word in name.split("_")).replace("non- ", "non-")


def run_label(history) -> str:
    """A short label from the run's config: loss, learning rates and update ratio."""
    config = history.config
    loss = _loss_name(config.loss)
    # A generator trained with another loss's objective, e.g. D minimax and G non-saturating.
    gen_loss = getattr(config, "gen_loss_name", None)
    if gen_loss is not None:
        loss = f"D {loss} / G {_loss_name(gen_loss)}"
    label = f"{loss}, lr D {config.lr_disc:.0e} G {config.lr_gen:.0e}"
    if (config.n_disc, config.n_gen) != (1, 1):
        label += f", {config.n_disc}:{config.n_gen} updates"
    return label


def labels_for(histories: Sequence, labels) -> list[str]:
    """One label per run: ``labels`` as given (a string for a single run), or ``run_label``s."""
    if labels is None:
        return [run_label(history) for history in histories]
    labels = [labels] if isinstance(labels, str) else list(labels)
    if len(labels) != len(histories):
        raise ValueError(f"got {len(labels)} labels for {len(histories)} runs; give one per run.")
    return labels


def frame_index(history, t: int) -> int:
    """``t`` as an index into the recorded frames; negative counts from the end."""
    count = len(history.steps)
    if not -count <= t < count:
        raise IndexError(f"frame {t} does not exist: this run recorded {count} frames "
                         f"(0 to {count - 1}).")
    return t % count


def layer_set(layers) -> frozenset:
    """Layers given as a set of names or a dict of name → bool, as a frozenset of names."""
    if isinstance(layers, dict):
        layers = [name for name, shown in layers.items() if shown]
    layers = frozenset(layers)
    unknown = layers - DEFAULT_LAYERS
    if unknown:
        raise ValueError(f"unknown layers {sorted(unknown)}; choose from {list(LAYERS)}.")
    return layers


# ---------------------------------------------------------------------------
# Drawing one frame
# ---------------------------------------------------------------------------

def metric_rows(histories: Sequence) -> list[tuple[str, ...]]:
    """The metric names of each row of curves: the ``METRIC_PAIRS`` that any run
    recorded, then the other metrics, two to a row."""
    recorded = []
    for history in histories:
        recorded += [name for name in history.metrics if name not in recorded]
    rows = [tuple(name for name in pair if name in recorded) for pair in METRIC_PAIRS]
    paired = {name for pair in METRIC_PAIRS for name in pair}
    others = [name for name in recorded if name not in paired]
    rows += [tuple(others[start:start + 2]) for start in range(0, len(others), 2)]
    return [row for row in rows if row]


def _empty_figure(histories: Sequence, dpi: int) -> Figure:
    """An empty figure sized for one column per run.

    A plain ``Figure`` rather than ``pyplot.figure``: pyplot would also display it
    in the notebook and keep it alive in its global list of figures.
    """
    height = 4.2 + 1.0 * len(metric_rows(histories))
    return Figure(figsize=(COLUMN_INCHES * len(histories), height), dpi=dpi)


class FrameAxes(NamedTuple):
    """A frame figure and its axes; made once by ``frame_axes``, reused for every frame."""

    figure: Figure
    panels: list       # the 2D view of each run
    losses: list       # each run's loss curves
    metric_rows: list  # the metric names of each row of curves (see ``metric_rows``)
    metrics: list      # per run, per row: (left axes, right axes)
    state: FrameState  # the artists that frames update, and render_png's background


def frame_axes(histories, dpi: int = 72) -> FrameAxes:
    """A new figure laid out as columns, one per run: 2D panel, losses, one row per metric pair."""
    histories = as_history_list(histories)
    fig = _empty_figure(histories, dpi)
    FigureCanvasAgg(fig)  # render_png draws with Agg itself, to reuse the pixels that stay
    columns = range(len(histories))
    rows = metric_rows(histories)
    height_ratios = [3.4, 1] + [1] * len(rows)
    # Fixed margins rather than constrained layout: it is much faster, and the
    # frames of an animation must not jump around.
    grid = fig.add_gridspec(len(height_ratios), len(histories), height_ratios=height_ratios,
                            left=0.02 + 0.09 / len(histories), right=0.97 - 0.1 / len(histories),
                            top=0.93, bottom=0.075, wspace=0.35, hspace=0.42)
    panels = [fig.add_subplot(grid[0, column]) for column in columns]
    losses = [fig.add_subplot(grid[1, column]) for column in columns]
    metrics = []
    for column in columns:
        lefts = [fig.add_subplot(grid[2 + row, column], sharex=losses[column])
                 for row in range(len(rows))]
        metrics.append([(left, left.twinx()) for left in lefts])
    for axes in losses + [axes for run in metrics for pair in run for axes in pair]:
        _few_small_ticks(axes)
    for column in columns:  # the curves share their step axis: name it under the lowest
        lowest = metrics[column][-1][0] if rows else losses[column]
        lowest.set_xlabel("training step", fontsize=7, labelpad=1)
    return FrameAxes(fig, panels, losses, rows, metrics, FrameState())


class FrameState:
    """What a layout keeps from one frame to the next.

    Making artists (and laying out their legends) costs more than updating them, so
    the artists are made once for a set of runs and then only updated. And only the
    2D panels, the cursors and the legends change from frame to frame: ``render_png``
    keeps the pixels of everything else (axes, ticks, curves) as a background.
    """

    def __init__(self):
        self.runs: list = []      # the histories the artists were made for (compared by identity)
        self.key: tuple = ()      # and their labels and lengths: a run that grew gets new artists
        self.panels: list = []    # per run, its PanelArtists
        self.curves: list = []    # per run, its CurveRows: the losses, then each metric row
        self.panel_legend = None  # the legend of real and fake samples, in the first panel
        # axes → the artists that render_png draws over its background, in drawing order;
        # a 2D panel's entry is the panel itself, drawn whole.
        self.redrawn: dict = {}
        self.background = None    # the Agg pixels of the figure without the redrawn artists

    def made_for(self, histories: Sequence, labels: Sequence[str]) -> bool:
        return (len(histories) == len(self.runs)
                and all(new is old for new, old in zip(histories, self.runs))
                and _runs_key(histories, labels) == self.key)


def _runs_key(histories: Sequence, labels: Sequence[str]) -> tuple:
    return tuple(labels), tuple((len(history.steps), *map(len, history.losses.values()))
                                for history in histories)


def _all_axes(layout: FrameAxes) -> list:
    return [*layout.panels, *layout.losses,
            *[axes for run in layout.metrics for pair in run for axes in pair]]


def _few_small_ticks(axes) -> None:
    # pad 2.5: with less, a tick mark touches its label and 0.6 reads as −0.6
    axes.tick_params(labelsize=7, length=2, pad=2.5)
    axes.xaxis.set_major_locator(MaxNLocator(4))
    axes.yaxis.set_major_locator(MaxNLocator(3))


def _remove_drawings(axes) -> None:
    """Empty reused axes of the previous runs' artists, keeping their ticks and layout."""
    for artist in [*axes.lines, *axes.collections, *axes.images, *axes.texts, *axes.patches]:
        artist.remove()
    if axes.legend_ is not None:
        axes.legend_.remove()


def _check_layout_fits(layout: FrameAxes, histories: Sequence) -> None:
    """Raise ValueError unless ``layout`` has a column per run and the runs' metric rows."""
    if len(layout.panels) != len(histories) or layout.metric_rows != metric_rows(histories):
        raise ValueError(f"this layout was made for other runs: it has {len(layout.panels)} "
                         f"columns and metric rows {layout.metric_rows}, for {len(histories)} "
                         f"runs with metric rows {metric_rows(histories)}; make one with "
                         "frame_axes(histories).")


def draw_frame(layout: FrameAxes, histories, t: int, layers=DEFAULT_LAYERS, labels=None) -> None:
    """Draw recorded frame ``t`` (an index into ``history.steps``) of each run into ``layout``.

    ``layout`` comes from ``frame_axes(histories)``. Drawing into it again replaces
    the previous frame: the artists made for the first frame are updated, which is
    much faster than making them again, and matters for the player and animations.
    ``layers`` is a set of names, or a dict of name → bool, from ``LAYERS``. To draw
    only the 2D view into axes of your own, use ``draw_panel``.
    """
    histories = as_history_list(histories)
    check_same_steps(histories)
    _check_layout_fits(layout, histories)
    layers = layer_set(layers)
    labels = labels_for(histories, labels)
    state = layout.state
    if not state.made_for(histories, labels):
        _make_artists(layout, histories, labels)
    index = frame_index(histories[0], t)  # the runs recorded the same steps
    for history, panel, curves in zip(histories, state.panels, state.curves):
        panel.show(index, layers)
        for row in curves:
            row.show(history, index)
    _show_panel_legend(layout, layers)


def _make_artists(layout: FrameAxes, histories: Sequence, labels: Sequence[str]) -> None:
    """Empty ``layout`` and make the artists of these runs, to be updated by each frame."""
    state = layout.state
    for axes in _all_axes(layout):
        _remove_drawings(axes)
    state.runs, state.key = list(histories), _runs_key(histories, labels)
    state.panel_legend, state.background = None, None
    state.redrawn = {panel: [panel] for panel in layout.panels}
    state.panels = [PanelArtists(panel, history, label)
                    for panel, history, label in zip(layout.panels, histories, labels)]
    state.curves = []
    for column, history in enumerate(histories):
        rows = [draw_losses(layout.losses[column], history)]
        rows += [draw_metric_row(left, right, history, names)
                 for names, (left, right) in zip(layout.metric_rows, layout.metrics[column])]
        for row in rows:
            for axes, artists in row.redrawn.items():
                state.redrawn.setdefault(axes, []).extend(artists)
        state.curves.append(rows)


def _show_panel_legend(layout: FrameAxes, layers: frozenset) -> None:
    """The legend of the samples shown, in the first panel; made again only when they change."""
    state = layout.state
    samples = state.panels[0].artists
    handles = [samples[name] for name in ("real", "fake") if name in layers]
    if state.panel_legend is not None:
        if state.panel_legend.legend_handles == handles:
            return
        state.panel_legend.remove()
        state.panel_legend = None
    if handles:
        state.panel_legend = layout.panels[0].legend(
            handles=handles, loc="lower left", fontsize=7, frameon=False, markerscale=2,
            handletextpad=0.1, borderaxespad=0.1)


def draw_panel(ax, history, index: int, layers=DEFAULT_LAYERS, label: str = "") -> None:
    """The 2D view of one run at recorded frame ``index``."""
    PanelArtists(ax, history, label).show(index, layer_set(layers))


class PanelArtists:
    """The 2D view of one run in ``ax``: the artist of a layer is made when the layer is
    first shown, then updated in place for other frames, and hidden with its layer."""

    def __init__(self, ax, history, label: str):
        self.ax, self.history, self.label = ax, history, label
        self.artists: dict = {}  # layer name → its artist
        self.arrow_scale = None  # the run's arrow_scale, once the arrows are shown
        # No ticks: coordinates in the toy plane say little, and ticks are the
        # slowest part of drawing a frame.
        ax.set_xticks([])
        ax.set_yticks([])

    def show(self, index: int, layers: frozenset) -> None:
        """Show recorded frame ``index`` with ``layers``."""
        history, artists = self.history, self.artists
        if "heatmap" in layers:
            if "heatmap" in artists:
                _update_heatmap(artists["heatmap"], history, index)
            else:
                artists["heatmap"] = draw_heatmap(self.ax, history, index)
        if "manifold" in layers and history.manifold is not None:
            if "manifold" in artists:
                artists["manifold"].set_segments(_manifold_lines(history, index))
            else:
                artists["manifold"] = draw_manifold(self.ax, history, index)
        if "real" in layers and "real" not in artists:  # the same in every frame
            real = _as_array(history.real)
            artists["real"] = self.ax.scatter(real[:, 0], real[:, 1], s=3, color=REAL_COLOUR,
                                              linewidths=0, label="real", zorder=3)
        if "fake" in layers:
            if "fake" in artists:
                artists["fake"].set_offsets(_as_array(history.fake[index]))
            else:
                fake = _as_array(history.fake[index])
                artists["fake"] = self.ax.scatter(fake[:, 0], fake[:, 1], s=3, color=FAKE_COLOUR,
                                                  linewidths=0, label="fake", zorder=4)
        # Arrows are made anew: a quiver computes its arrows from the positions it was given.
        if "gradients" in artists:
            artists.pop("gradients").remove()
        if "gradients" in layers:
            if self.arrow_scale is None:  # a quantile over the whole run: computed once
                self.arrow_scale = arrow_scale(history)
            artists["gradients"] = draw_gradients(self.ax, history, index, self.arrow_scale)
        for name, artist in artists.items():
            artist.set_visible(name in layers)
        self._frame_the_plane(index)

    def _frame_the_plane(self, index: int) -> None:
        ax = self.ax
        x_limits, y_limits = _grid_limits(self.history)
        ax.set_xlim(*x_limits)  # again each frame: an artist made later may have moved them
        ax.set_ylim(*y_limits)
        ax.set_aspect("equal")
        ax.set_title(f"{self.label}\nstep {int(self.history.steps[index]):,}", fontsize=9)


def _as_array(tensor) -> np.ndarray:
    """A NumPy copy for matplotlib, which warns when it is handed torch tensors."""
    return torch.as_tensor(tensor).detach().cpu().numpy()


def _grid_limits(history) -> tuple[tuple[float, float], tuple[float, float]]:
    """(x_min, x_max), (y_min, y_max) of the grid the discriminator was evaluated on."""
    grid_x, grid_y = history.grid_x, history.grid_y
    return ((float(grid_x.min()), float(grid_x.max())),
            (float(grid_y.min()), float(grid_y.max())))


def draw_heatmap(ax, history, index: int):
    """D_φ on the grid: probabilities centred at ½, raw critic values centred at 0.

    A Wasserstein-type critic f is defined only up to an additive constant
    (E_p*[f] − E_q[f] does not change when f shifts; ``history.critic_up_to_constant``),
    so its frames are centred at their mean first: only differences in f mean anything.
    Returns the image, which ``_update_heatmap`` moves to another frame.
    """
    values, norm = _heatmap_values(history, index)
    return ax.imshow(values, origin="lower", extent=_pixel_edges(history), norm=norm,
                     cmap=FAKE_TO_REAL.resampled(HEATMAP_LEVELS), interpolation="bilinear",
                     interpolation_stage="data", zorder=0)


def _update_heatmap(image, history, index: int) -> None:
    values, norm = _heatmap_values(history, index)
    image.set_data(values)
    image.set_clim(norm.vmin, norm.vmax)


def _heatmap_values(history, index: int) -> tuple[np.ndarray, Normalize]:
    """D_φ at frame ``index`` (a critic centred at its mean), and the colour range it is shown in."""
    values = history.disc[index]
    if history.critic_up_to_constant:
        values = values - values.mean()
    if history.disc_is_probability:
        norm = Normalize(vmin=0.0, vmax=1.0)
    else:
        # A critic is only defined up to its scale, so each frame uses its own
        # symmetric range: the shape of the landscape is what matters.
        largest = max(float(values.abs().max()), 1e-8)
        norm = Normalize(vmin=-largest, vmax=largest)
    return _as_array(values), norm


def _pixel_edges(history) -> tuple[float, float, float, float]:
    """(left, right, bottom, top) of the heatmap: the grid holds pixel centres, the image
    extends half a pixel beyond them."""
    (x_min, x_max), (y_min, y_max) = _grid_limits(history)
    rows, columns = history.disc.shape[-2:]
    half_x = (x_max - x_min) / max(columns - 1, 1) / 2
    half_y = (y_max - y_min) / max(rows - 1, 1) / 2
    return (x_min - half_x, x_max + half_x, y_min - half_y, y_max + half_y)


def draw_manifold(ax, history, index: int) -> LineCollection:
    """The generator's image of a grid (or a line) of noise, drawn as grid lines."""
    return ax.add_collection(LineCollection(_manifold_lines(history, index), colors=FAKE_COLOUR,
                                            linewidths=0.5, alpha=0.45, zorder=2))


def _manifold_lines(history, index: int) -> list[np.ndarray]:
    """The manifold's grid lines at frame ``index``: its rows, then its columns."""
    points = history.manifold[index]
    shape = tuple(history.manifold_shape)
    if math.prod(shape) != points.shape[0]:
        raise ValueError(f"manifold_shape {shape} does not match the {points.shape[0]} "
                         "manifold points; it should be (rows, columns) or (points,).")
    if len(shape) == 1:
        lines = [points]
    else:
        mesh = points.reshape(shape[0], shape[1], 2)
        lines = list(mesh) + list(mesh.transpose(0, 1))  # rows, then columns
    return [_as_array(line) for line in lines]


def arrow_scale(history) -> float:
    """The factor that turns gradients into arrow lengths, one for the whole run.

    One factor per run (not per frame) so that arrows which shrink during
    training, as with the saturating minimax loss, are seen to shrink.
    """
    lengths = history.fake_push.norm(dim=-1).reshape(-1).float()
    typical = float(torch.quantile(lengths, 0.9)) if lengths.numel() else 0.0
    (x_min, x_max), _ = _grid_limits(history)
    return ARROW_FRACTION * (x_max - x_min) / typical if typical > 0 else 0.0


def draw_gradients(ax, history, index: int, scale: float | None = None):
    """Arrows −∇ₓ L_G on an evenly spaced subset of the fakes (the same fakes in every frame).

    ``scale``: the run's ``arrow_scale``, if already known.
    """
    count = history.fake.shape[1]
    chosen = torch.linspace(0, count - 1, min(MAX_ARROWS, count)).round().long()
    if scale is None:
        scale = arrow_scale(history)
    start = _as_array(history.fake[index, chosen])
    push = _as_array(history.fake_push[index, chosen] * scale)
    return ax.quiver(start[:, 0], start[:, 1], push[:, 0], push[:, 1], angles="xy",
                     scale_units="xy", scale=1, width=0.005, headwidth=4, color="black",
                     alpha=0.6, zorder=5)


def moving_average(values: torch.Tensor, window: int) -> torch.Tensor:
    """The mean of each value and up to ``window - 1`` values before it."""
    values = values.double()
    totals = torch.cat([values.new_zeros(1), values.cumsum(0)])
    ends = torch.arange(1, len(values) + 1)
    starts = (ends - window).clamp(min=0)
    return (totals[ends] - totals[starts]) / (ends - starts)


def _legend_above(ax, handles=None):
    """A one-row legend just above ``ax``, where it hides no curve."""
    return ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1), ncol=3, fontsize=7,
                     frameon=False, handlelength=1, borderaxespad=0.1, columnspacing=0.8)


class CurveRow(NamedTuple):
    """Curves against the training step, drawn once for the whole run; a frame only moves
    the cursor to its step and writes the curves' values there into the legend."""

    cursor: Line2D | None  # None: nothing recorded in this row
    legend: Legend | None
    labels_at: Callable[[int], list[str]]  # frame index → the legend's labels
    # axes → the artists a frame changes, and those drawn over them, in drawing order
    redrawn: dict

    def show(self, history, index: int) -> None:
        """Move to recorded frame ``index`` of ``history``."""
        if self.cursor is None:
            return
        step = int(history.steps[index])
        self.cursor.set_xdata([step, step])
        if self.legend is not None:
            for text, label in zip(self.legend.get_texts(), self.labels_at(index)):
                text.set_text(label)


def draw_losses(ax, history) -> CurveRow:
    """Discriminator and generator losses against the training step, smoothed.

    Entry i of a loss is training step i + 1 (step 0 is the state before training).
    Each legend entry gives the smoothed loss at the current step.
    """
    smoothed = []  # (short name, smoothed loss)
    for name, colour, short in (("disc", DISC_COLOUR, "D"), ("gen", FAKE_COLOUR, "G")):
        values = history.losses.get(name)
        if values is None or len(values) == 0:
            continue
        steps = _as_array(torch.arange(1, len(values) + 1))
        smooth = _as_array(moving_average(values, max(1, len(values) // 50)))
        ax.plot(steps, _as_array(values), color=colour, lw=0.5, alpha=0.25)
        ax.plot(steps, smooth, color=colour, lw=1.0, label=f"{short} loss")  # show() adds the value
        smoothed.append((short, smooth))

    def labels_at(index: int) -> list[str]:
        step = int(history.steps[index])
        return [f"{short} loss {float(smooth[min(max(step, 1), len(smooth)) - 1]):.3g}"
                for short, smooth in smoothed]

    # The cursor starts at the first step, so the axes' limits cover every frame's step.
    cursor = ax.axvline(int(history.steps[0]), color="black", lw=0.8)
    ax.relim()  # reused axes still hold the previous runs' limits
    ax.autoscale_view()
    legend = _legend_above(ax) if smoothed else None
    return CurveRow(cursor, legend, labels_at, {ax: [cursor] + ([legend] if legend else [])})


def draw_metric_row(left_ax, right_ax, history, names: Sequence[str]) -> CurveRow:
    """Metrics ``names`` (one or two) against the step: the first on ``left_ax``, the
    second on ``right_ax`` (its twin), each axis coloured like its curve.

    Each legend entry gives the metric's value at the current step.
    """
    if not any(name in history.metrics for name in names):
        left_ax.set_axis_off()
        right_ax.set_visible(False)
        left_ax.text(0.5, 0.5, f"{' and '.join(names)} not recorded", ha="center",
                     va="center", fontsize=7, color="0.4", transform=left_ax.transAxes)
        return CurveRow(None, None, lambda index: [], {})
    left_ax.set_axis_on()  # reused axes may have been switched off for another run
    recorded = [(name, axes) for name, axes in zip(names, (left_ax, right_ax))
                if name in history.metrics]

    def labels_at(index: int) -> list[str]:
        return [f"{METRIC_LABELS.get(name, name)} {float(history.metrics[name][index]):.3g}"
                for name, _ in recorded]

    # The cursor starts at the first step, and lies under the curves.
    cursor = left_ax.axvline(int(history.steps[0]), color="black", lw=0.8)
    redrawn = {left_ax: [cursor], right_ax: []}
    for name, axes in recorded:
        colour = METRIC_COLOURS.get(name, "0.3")
        (line,) = axes.plot(_as_array(history.steps), _as_array(history.metrics[name]), lw=1.0,
                            color=colour, label=METRIC_LABELS.get(name, name))  # show() adds the value
        axes.tick_params(axis="y", colors=colour)
        axes.relim()
        axes.autoscale_view()
        redrawn[axes].append(line)  # drawn again over the cursor, as in a full draw
    right_ax.set_visible(len(names) > 1 and names[1] in history.metrics)
    curves = [artist for artists in redrawn.values() for artist in artists if artist is not cursor]
    legend = _legend_above(left_ax, curves)
    redrawn[left_ax].append(legend)
    return CurveRow(cursor, legend, labels_at, redrawn)


# PIL's default zlib level 6 spends a third of the time of a player frame's PNG
# for files no smaller than level 3 (measured: frames of three runs, 158 kB either way).
PNG_COMPRESS_LEVEL = 3


def render_png(layout: FrameAxes, histories, t: int, layers=DEFAULT_LAYERS, labels=None) -> bytes:
    """Draw frame ``t`` into ``layout`` (see ``draw_frame``); return the figure as PNG bytes, by Agg.

    The first frame of a layout is drawn whole, keeping the pixels of what no frame
    changes (the axes, their ticks, the curves) as a background; later frames start
    from that background and draw only the 2D panels, cursors and legends, the same
    pixels in a third of the time.
    """
    draw_frame(layout, histories, t, layers, labels)
    figure, state = layout.figure, layout.state
    canvas = figure.canvas
    redrawn = [artist for axes in figure.axes  # the figure's drawing order
               if axes.get_visible() for artist in state.redrawn.get(axes, ())]
    if state.background is None:
        with _hidden(redrawn):
            canvas.draw()
        state.background = canvas.copy_from_bbox(figure.bbox)
    else:
        canvas.restore_region(state.background)
    renderer = canvas.get_renderer()
    for artist in redrawn:
        artist.draw(renderer)
    buffer = io.BytesIO()
    # as savefig does it, with a faster compression
    matplotlib.image.imsave(buffer, canvas.buffer_rgba(), format="png", origin="upper",
                            dpi=figure.dpi, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return buffer.getvalue()


@contextmanager
def _hidden(artists):
    """Hide ``artists`` for the time of the with block."""
    shown = [artist for artist in artists if artist.get_visible()]
    for artist in shown:
        artist.set_visible(False)
    try:
        yield
    finally:
        for artist in shown:
            artist.set_visible(True)


# ---------------------------------------------------------------------------
# Animations that play without a kernel
# ---------------------------------------------------------------------------

def animation_frames(count: int, frames=None) -> list[int]:
    """Frame indices to animate: ``frames`` itself if it is a sequence, else at most
    ``frames`` (default ``MAX_ANIMATION_FRAMES``) evenly spaced ones, first and last included."""
    if frames is not None and not isinstance(frames, numbers.Integral):
        return [int(index) % count for index in frames]
    wanted = min(count, frames or MAX_ANIMATION_FRAMES)
    return sorted(set(torch.linspace(0, count - 1, wanted).round().long().tolist()))


class AnimatedImage:
    """An animated GIF that a notebook stores as an ``<img>`` with the GIF inline.

    JupyterLab shows inline images even in untrusted notebooks (it strips scripts,
    not images), and nbconvert's HTML and GitHub pass them through, so the stored
    animation plays everywhere without a kernel or a network.
    """

    def __init__(self, gif: bytes, frames: int):
        self.gif, self.frames = gif, frames

    def _repr_mimebundle_(self, **kwargs) -> dict:
        encoded = base64.b64encode(self.gif).decode("ascii")
        return {"text/html": f'<img src="data:image/gif;base64,{encoded}" '
                             f'alt="an animation of {self.frames} recorded frames">',
                "text/plain": f"<animated GIF, {self.frames} frames, {len(self.gif):,} bytes>"}

    def save(self, path) -> None:
        Path(path).write_bytes(self.gif)


def export_animation(histories, path=None, frames=None, dpi: int = 60, fps: int = 5,
                     layers=DEFAULT_LAYERS, labels=None) -> AnimatedImage:
    """An animated GIF of ``draw_frame`` over (a subsample of) the recorded frames.

    Returns an ``AnimatedImage``, which a notebook cell displays (and stores) as an
    image that loops; it is also written to ``path`` if given. ``frames``: a number
    of evenly spaced frames (default ``MAX_ANIMATION_FRAMES``) or a list of frame
    indices. Few frames at a low ``dpi`` keep the stored notebook small.
    """
    from matplotlib.animation import FuncAnimation, PillowWriter

    histories = as_history_list(histories)
    check_same_steps(histories)
    layout = frame_axes(histories, dpi)
    indices = animation_frames(len(histories[0].steps), frames)
    animation = FuncAnimation(
        layout.figure, lambda index: draw_frame(layout, histories, index, layers, labels),
        frames=indices, interval=1000 / fps, repeat=True)
    with tempfile.TemporaryDirectory() as folder:  # PillowWriter writes files, not bytes
        gif_path = Path(folder) / "animation.gif"
        animation.save(str(gif_path), writer=PillowWriter(fps=fps), dpi=dpi)
        image = AnimatedImage(gif_path.read_bytes(), len(indices))
    if path is not None:
        image.save(path)
    return image
