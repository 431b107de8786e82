"""Watch a 2D GAN train: a frame drawer, a player, a lab and animation export.

In the spirit of GAN Lab (Kahng et al. 2018, poloclub/ganlab), but inside Jupyter:

- ``draw_frame(fig, histories, t, layers)`` draws recorded frame ``t`` of one or
  more runs with plain matplotlib: per run, the discriminator D_φ(x) as a heatmap,
  real samples x ~ p* (blue), fake samples G_θ(z) ~ q_θ (orange), the generator's
  manifold (the image of a grid of noise), the gradient arrows −∇ₓ L_G that push
  each fake, and below, the loss and metric curves with a cursor at the current step.
- ``Player(histories)`` plays those frames with ipywidgets. Each frame is rendered
  to PNG with Agg into an ``Image`` widget, so it needs no ipympl and the last
  frame still shows in a static rendering of the notebook.
- ``Lab()`` picks the data, loss and hyper-parameters, trains, shows the run live
  and then hands it to a ``Player``.
- ``export_animation(histories, fmt="jshtml" | "gif")`` stores a short animation
  that plays without a kernel.

A History is read by duck typing; these attributes are all that is used::

    config (.loss, .lr_disc, .lr_gen, .n_disc, .n_gen; .gen_loss_name if it has one),
    steps (T,), real (n, 2),
    fake (T, n, 2), fake_grad (T, n, 2), grid_x and grid_y (G, G) with 'xy' indexing,
    disc (T, G, G), disc_is_probability, manifold (T, M, 2) or None, manifold_shape,
    losses {"disc": (S,), "gen": (S,)}, metrics {name: (T,)}, wall_time

Runs shown side by side must have recorded the same training steps, otherwise
``ValueError``: the slider moves through recorded frames, and frame ``t`` must
mean the same training step in every panel.
"""

from __future__ import annotations

import base64
import io
import math
import numbers
import time
from typing import NamedTuple, Sequence

import ipywidgets as widgets
import matplotlib
import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from gan_course.config import budget
from gan_course.data import toy
from gan_course.gan_losses import GAN_LOSSES
from gan_course.plotting import FAKE_COLOUR, REAL_COLOUR
from gan_course.train import GANConfig, train

LAYERS = ("heatmap", "manifold", "real", "fake", "gradients")  # also the drawing order
DEFAULT_LAYERS = frozenset(LAYERS)
MAX_ANIMATION_FRAMES = 30
# Player images are shown pixel for pixel: at 90 dpi, 7-point labels are still readable.
PLAYER_DPI = 90
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

def _as_list(histories) -> list:
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


def _loss_name(loss) -> str:
    """A loss given by name or as a function, as a name."""
    return loss if isinstance(loss, str) else getattr(loss, "__name__", repr(loss))


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


def _labels_for(histories: Sequence, labels) -> list[str]:
    if labels is None:
        return [run_label(history) for history in histories]
    labels = [labels] if isinstance(labels, str) else list(labels)
    if len(labels) != len(histories):
        raise ValueError(f"got {len(labels)} labels for {len(histories)} runs; give one per run.")
    return labels


def _frame_index(history, t: int) -> int:
    """``t`` as an index into the recorded frames; negative counts from the end."""
    count = len(history.steps)
    if not -count <= t < count:
        raise IndexError(f"frame {t} does not exist: this run recorded {count} frames "
                         f"(0 to {count - 1}).")
    return t % count


def _layer_set(layers) -> frozenset:
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


def figure_for(histories, dpi: int = 72) -> Figure:
    """An empty figure sized for ``draw_frame``: one column per run.

    A plain ``Figure`` rather than ``pyplot.figure``: pyplot would also display it
    in the notebook and keep it alive in its global list of figures.
    """
    histories = _as_list(histories)
    height = 4.2 + 1.0 * len(metric_rows(histories))
    return Figure(figsize=(3.4 * len(histories), height), dpi=dpi)


class FrameAxes(NamedTuple):
    """The axes of a frame figure; made once by ``frame_axes``, reused for every frame."""

    panels: list       # the 2D view of each run
    losses: list       # each run's loss curves
    metric_rows: list  # the metric names of each row of curves (see ``metric_rows``)
    metrics: list      # per run, per row: (left axes, right axes)


def frame_axes(fig: Figure, histories) -> FrameAxes:
    """Clear ``fig`` and lay it out as columns, one per run: 2D panel, losses, metrics."""
    histories = _as_list(histories)
    fig.clear()
    columns = range(len(histories))
    rows = metric_rows(histories)
    height_ratios = [3.4, 1] + [1] * len(rows)
    # Fixed margins rather than constrained layout: it is much faster, and the
    # frames of an animation must not jump around.
    grid = fig.add_gridspec(len(height_ratios), len(histories), height_ratios=height_ratios,
                            left=0.02 + 0.09 / len(histories), right=0.98 - 0.06 / len(histories),
                            top=0.93, bottom=0.05, wspace=0.35, hspace=0.42)
    panels = [fig.add_subplot(grid[0, column]) for column in columns]
    losses = [fig.add_subplot(grid[1, column]) for column in columns]
    metrics = []
    for column in columns:
        lefts = [fig.add_subplot(grid[2 + row, column], sharex=losses[column])
                 for row in range(len(rows))]
        metrics.append([(left, left.twinx()) for left in lefts])
    for axes in losses + [axes for run in metrics for pair in run for axes in pair]:
        _few_small_ticks(axes)
    return FrameAxes(panels, losses, rows, metrics)


def _all_axes(layout: FrameAxes) -> list:
    return [*layout.panels, *layout.losses,
            *[axes for run in layout.metrics for pair in run for axes in pair]]


def _few_small_ticks(axes) -> None:
    axes.tick_params(labelsize=7, length=2, pad=1)
    axes.xaxis.set_major_locator(MaxNLocator(4))
    axes.yaxis.set_major_locator(MaxNLocator(3))


def _remove_drawings(axes) -> None:
    """Empty reused axes of the previous frame's artists, keeping their ticks and layout."""
    for artist in [*axes.lines, *axes.collections, *axes.images, *axes.texts, *axes.patches]:
        artist.remove()
    if axes.legend_ is not None:
        axes.legend_.remove()


def draw_frame(axes_or_fig, histories, t: int, layers=DEFAULT_LAYERS, labels=None) -> None:
    """Draw recorded frame ``t`` (an index into ``history.steps``) of each run.

    ``axes_or_fig`` is one of

    - a Figure: cleared and laid out with one column per run (2D panel, losses, metrics);
    - a ``FrameAxes`` from ``frame_axes(fig, histories)``: the same, but the axes are
      reused, which draws a frame about twice as fast (the player and animations);
    - one Axes per run: each gets the 2D panel only, to place it in a figure of your own.

    ``layers`` is a set of names, or a dict of name → bool, from ``LAYERS``.
    """
    histories = _as_list(histories)
    check_same_steps(histories)
    layers = _layer_set(layers)
    labels = _labels_for(histories, labels)
    if isinstance(axes_or_fig, Figure):
        layout = frame_axes(axes_or_fig, histories)
    elif isinstance(axes_or_fig, FrameAxes):
        layout = axes_or_fig
        for axes in _all_axes(layout):
            _remove_drawings(axes)
    else:
        panels = _as_list(axes_or_fig)
        layout = FrameAxes(panels, losses=[], metric_rows=[], metrics=[[] for _ in panels])
    if len(layout.panels) != len(histories):
        raise ValueError(f"got {len(layout.panels)} axes for {len(histories)} runs; "
                         "give one Axes per run, or a Figure.")
    for column, history in enumerate(histories):
        index = _frame_index(history, t)
        draw_panel(layout.panels[column], history, index, layers, labels[column])
        if layout.losses:
            draw_losses(layout.losses[column], history, index)
        for names, (left, right) in zip(layout.metric_rows, layout.metrics[column]):
            draw_metric_row(left, right, history, index, names)
    if "real" in layers or "fake" in layers:
        layout.panels[0].legend(loc="lower left", fontsize=7, frameon=False, markerscale=2,
                                handletextpad=0.1, borderaxespad=0.1)


def draw_panel(ax, history, index: int, layers=DEFAULT_LAYERS, label: str = "") -> None:
    """The 2D view of one run at recorded frame ``index``."""
    layers = _layer_set(layers)
    if "heatmap" in layers:
        draw_heatmap(ax, history, index)
    if "manifold" in layers and history.manifold is not None:
        draw_manifold(ax, history, index)
    if "real" in layers:
        real = _as_array(history.real)
        ax.scatter(real[:, 0], real[:, 1], s=3, color=REAL_COLOUR,
                   linewidths=0, label="real", zorder=3)
    if "fake" in layers:
        fake = _as_array(history.fake[index])
        ax.scatter(fake[:, 0], fake[:, 1], s=3, color=FAKE_COLOUR, linewidths=0,
                   label="fake", zorder=4)
    if "gradients" in layers:
        draw_gradients(ax, history, index)
    x_limits, y_limits = _grid_limits(history)
    ax.set_xlim(*x_limits)
    ax.set_ylim(*y_limits)
    ax.set_aspect("equal")
    # No ticks: coordinates in the toy plane say little, and ticks are the
    # slowest part of drawing a frame.
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{label}\nstep {int(history.steps[index]):,}", fontsize=9)


def _as_array(tensor) -> np.ndarray:
    """A NumPy copy for matplotlib, which warns when it is handed torch tensors."""
    return torch.as_tensor(tensor).detach().cpu().numpy()


def _grid_limits(history) -> tuple[tuple[float, float], tuple[float, float]]:
    """(x_min, x_max), (y_min, y_max) of the grid the discriminator was evaluated on."""
    grid_x, grid_y = history.grid_x, history.grid_y
    return ((float(grid_x.min()), float(grid_x.max())),
            (float(grid_y.min()), float(grid_y.max())))


def draw_heatmap(ax, history, index: int) -> None:
    """D_φ on the grid: probabilities centred at ½, raw critic values centred at 0.

    A Wasserstein critic f is defined only up to a constant (E_p*[f] − E_q[f] does
    not change when f shifts), so its frames are centred at their mean first.
    """
    values = history.disc[index]
    if _loss_name(history.config.loss) == "wasserstein":
        values = values - values.mean()
    if history.disc_is_probability:
        norm = Normalize(vmin=0.0, vmax=1.0)
    else:
        # A critic is only defined up to its scale, so each frame uses its own
        # symmetric range: the shape of the landscape is what matters.
        largest = max(float(values.abs().max()), 1e-8)
        norm = Normalize(vmin=-largest, vmax=largest)
    (x_min, x_max), (y_min, y_max) = _grid_limits(history)
    rows, columns = values.shape
    # The grid holds pixel centres; the image's extent is their outer edges.
    half_x = (x_max - x_min) / max(columns - 1, 1) / 2
    half_y = (y_max - y_min) / max(rows - 1, 1) / 2
    extent = (x_min - half_x, x_max + half_x, y_min - half_y, y_max + half_y)
    ax.imshow(_as_array(values), origin="lower", extent=extent, norm=norm,
              cmap=FAKE_TO_REAL.resampled(HEATMAP_LEVELS), interpolation="bilinear",
              interpolation_stage="data", zorder=0)


def draw_manifold(ax, history, index: int) -> None:
    """The generator's image of a grid (or a line) of noise, drawn as grid lines."""
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
    ax.add_collection(LineCollection([_as_array(line) for line in lines], colors=FAKE_COLOUR,
                                     linewidths=0.5, alpha=0.45, zorder=2))


def arrow_scale(history) -> float:
    """The factor that turns gradients into arrow lengths, one for the whole run.

    One factor per run (not per frame) so that arrows which shrink during
    training, as with the saturating minimax loss, are seen to shrink.
    """
    lengths = history.fake_grad.norm(dim=-1).reshape(-1).float()
    typical = float(torch.quantile(lengths, 0.9)) if lengths.numel() else 0.0
    (x_min, x_max), _ = _grid_limits(history)
    return ARROW_FRACTION * (x_max - x_min) / typical if typical > 0 else 0.0


def draw_gradients(ax, history, index: int) -> None:
    """Arrows −∇ₓ L_G on an evenly spaced subset of the fakes (the same fakes in every frame)."""
    count = history.fake.shape[1]
    chosen = torch.linspace(0, count - 1, min(MAX_ARROWS, count)).round().long()
    start = _as_array(history.fake[index, chosen])
    push = _as_array(history.fake_grad[index, chosen] * arrow_scale(history))
    ax.quiver(start[:, 0], start[:, 1], push[:, 0], push[:, 1], angles="xy",
              scale_units="xy", scale=1, width=0.005, headwidth=4, color="black",
              alpha=0.6, zorder=5)


def moving_average(values: torch.Tensor, window: int) -> torch.Tensor:
    """The mean of each value and up to ``window - 1`` values before it."""
    values = values.double()
    totals = torch.cat([values.new_zeros(1), values.cumsum(0)])
    ends = torch.arange(1, len(values) + 1)
    starts = (ends - window).clamp(min=0)
    return (totals[ends] - totals[starts]) / (ends - starts)


def _legend_above(ax, handles=None) -> None:
    """A one-row legend just above ``ax``, where it hides no curve."""
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1), ncol=3, fontsize=7,
              frameon=False, handlelength=1, borderaxespad=0.1, columnspacing=0.8)


def draw_losses(ax, history, index: int) -> None:
    """Discriminator and generator losses against the training step, smoothed.

    Entry i of a loss is training step i + 1 (step 0 is the state before training).
    Each legend entry gives the smoothed loss at the current step.
    """
    step = int(history.steps[index])
    plotted = False
    for name, colour, short in (("disc", DISC_COLOUR, "D"), ("gen", FAKE_COLOUR, "G")):
        values = history.losses.get(name)
        if values is None or len(values) == 0:
            continue
        steps = _as_array(torch.arange(1, len(values) + 1))
        smooth = _as_array(moving_average(values, max(1, len(values) // 50)))
        now = smooth[min(max(step, 1), len(values)) - 1]
        ax.plot(steps, _as_array(values), color=colour, lw=0.5, alpha=0.25)
        ax.plot(steps, smooth, color=colour, lw=1.0, label=f"{short} loss {float(now):.3g}")
        plotted = True
    ax.axvline(step, color="black", lw=0.8)
    ax.relim()  # reused axes still hold the previous frame's limits
    ax.autoscale_view()
    if plotted:
        _legend_above(ax)


def draw_metric_row(left_ax, right_ax, history, index: int, names: Sequence[str]) -> None:
    """Metrics ``names`` (one or two) against the step: the first on ``left_ax``, the
    second on ``right_ax`` (its twin), each axis coloured like its curve.

    Each legend entry gives the metric's value at the current step.
    """
    if not any(name in history.metrics for name in names):
        left_ax.set_axis_off()
        right_ax.set_visible(False)
        left_ax.text(0.5, 0.5, f"{' and '.join(names)} not recorded", ha="center",
                     va="center", fontsize=7, color="0.4", transform=left_ax.transAxes)
        return
    left_ax.set_axis_on()  # reused axes may have been switched off for another run
    step = int(history.steps[index])
    left_ax.axvline(step, color="black", lw=0.8)
    handles = []
    for name, axes in zip(names, (left_ax, right_ax)):
        if name not in history.metrics:
            continue
        values = history.metrics[name]
        colour = METRIC_COLOURS.get(name, "0.3")
        label = f"{METRIC_LABELS.get(name, name)} {float(values[index]):.3g}"
        (line,) = axes.plot(_as_array(history.steps), _as_array(values), lw=1.0,
                            color=colour, label=label)
        axes.tick_params(axis="y", colors=colour)
        axes.relim()
        axes.autoscale_view()
        handles.append(line)
    right_ax.set_visible(len(names) > 1 and names[1] in history.metrics)
    _legend_above(left_ax, handles)


def render_png(axes_or_fig, histories, t: int, layers=DEFAULT_LAYERS, labels=None) -> bytes:
    """Draw frame ``t`` (see ``draw_frame``) and return the figure as PNG bytes, by Agg."""
    draw_frame(axes_or_fig, histories, t, layers, labels)
    fig = _figure_of(axes_or_fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def _figure_of(axes_or_fig) -> Figure:
    if isinstance(axes_or_fig, Figure):
        return axes_or_fig
    if isinstance(axes_or_fig, FrameAxes):
        return axes_or_fig.panels[0].figure
    return _as_list(axes_or_fig)[0].figure


# ---------------------------------------------------------------------------
# The player
# ---------------------------------------------------------------------------

class Player:
    """Play recorded frames of one or several runs side by side.

    >>> Player([history_minimax, history_non_saturating])   # last line of a cell

    Controls: Play/Pause, a frame slider, the frames per second, and one checkbox
    per layer. ``.widget`` is the ipywidgets container.
    """

    # Rendered frames are kept, so a second pass of Play is instant; a bound keeps
    # memory small (a frame is a few tens of kB).
    MAX_CACHED_FRAMES = 400

    def __init__(self, histories, labels=None, layers=DEFAULT_LAYERS, fps: int = 5,
                 dpi: int = PLAYER_DPI):
        self.histories = _as_list(histories)
        check_same_steps(self.histories)
        self.labels = _labels_for(self.histories, labels)
        if not 1 <= fps <= 30:
            raise ValueError(f"fps must be between 1 and 30, got {fps}.")
        self._layout = frame_axes(figure_for(self.histories, dpi), self.histories)
        self._png_cache: dict = {}
        layers = _layer_set(layers)
        last = len(self.histories[0].steps) - 1

        self.play = widgets.Play(value=0, min=0, max=last, step=1, interval=1000 // fps,
                                 description="Play")
        self.slider = widgets.IntSlider(value=0, min=0, max=last, description="frame",
                                        readout=False, continuous_update=True)
        # A Python-side link (not jslink) so the link also works without a browser.
        widgets.link((self.play, "value"), (self.slider, "value"))
        self.step_label = widgets.Label()
        self.speed = widgets.IntSlider(value=fps, min=1, max=30, description="frames/s",
                                       layout=widgets.Layout(width="220px"))
        self.speed.observe(self._on_speed_change, names="value")
        self.layer_boxes = {name: widgets.Checkbox(value=name in layers, description=name,
                                                   indent=False,
                                                   layout=widgets.Layout(width="auto"))
                            for name in LAYERS}
        for box in self.layer_boxes.values():
            box.observe(self._redraw, names="value")
        self.slider.observe(self._redraw, names="value")
        self.image = widgets.Image(format="png")
        self.widget = widgets.VBox([
            widgets.HBox([self.play, self.slider, self.step_label, self.speed]),
            widgets.HBox(list(self.layer_boxes.values())),
            self.image,
        ])
        self._redraw()

    @property
    def layers(self) -> frozenset:
        """The layers whose checkbox is ticked."""
        return frozenset(name for name, box in self.layer_boxes.items() if box.value)

    def frame_png(self, index: int, layers=None) -> bytes:
        """Frame ``index`` as PNG bytes, with the ticked layers unless ``layers`` is given."""
        layers = self.layers if layers is None else _layer_set(layers)
        index = _frame_index(self.histories[0], index)
        key = (index, layers)
        if key not in self._png_cache:
            if len(self._png_cache) >= self.MAX_CACHED_FRAMES:
                self._png_cache.clear()
            self._png_cache[key] = render_png(self._layout, self.histories, index, layers,
                                              self.labels)
        return self._png_cache[key]

    def set_step(self, index: int) -> None:
        """Move to recorded frame ``index`` (negative counts from the end); the image follows."""
        self.slider.value = _frame_index(self.histories[0], index)

    def show(self, index: int | None = None) -> None:
        """Display the player, at frame ``index`` if given."""
        from IPython.display import display

        if index is not None:
            self.set_step(index)
        display(self)

    def _redraw(self, change=None) -> None:
        index = self.slider.value
        self.image.value = self.frame_png(index)
        steps = self.histories[0].steps
        self.step_label.value = f"step {int(steps[index]):,} of {int(steps[-1]):,}"

    def _on_speed_change(self, change) -> None:
        self.play.interval = 1000 // change["new"]

    def _repr_mimebundle_(self, **kwargs) -> dict:
        # The live widget where a widget manager runs; otherwise (a static render,
        # a notebook viewer) the current frame as a plain PNG.
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        steps = self.histories[0].steps
        bundle["text/plain"] = (f"Player: {len(self.histories)} run(s), {len(steps)} frames, "
                                f"steps 0 to {int(steps[-1]):,}")
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)


# ---------------------------------------------------------------------------
# The lab
# ---------------------------------------------------------------------------

# The lab's controls that become fields of the training config (GANConfig).
CONFIG_FIELDS = ("loss", "lr_disc", "lr_gen", "n_disc", "n_gen", "noise_dim", "width", "depth",
                 "seed")


class Lab:
    """Choose the data, the loss and the hyper-parameters, press Train, watch.

    While training, the figure shows the latest recorded frame; afterwards a
    ``Player`` for the run takes its place (also in ``lab.player``, the run in
    ``lab.history``).

    Training is one call ``train_fn(data, config, steps=steps, callback=callback,
    progress=False)`` where ``config = config_class(**settings)`` and
    ``callback(step, history_so_far)`` is called at each recorded step. They
    default to ``gan_course.train.train`` and ``gan_course.train.GANConfig``;
    tests pass stand-ins.
    """

    # Redraw the live figure at most this often: drawing costs about 0.1 s.
    LIVE_REDRAW_SECONDS = 0.5

    def __init__(self, train_fn=None, config_class=None, dpi: int = PLAYER_DPI):
        self._train_fn = train_fn
        self._config_class = config_class
        self.dpi = dpi
        self.history = None
        self.player = None
        self._last_live_draw = -math.inf
        loss_names = list(GAN_LOSSES)
        wide = {"style": {"description_width": "90px"}, "layout": widgets.Layout(width="320px")}
        self.controls = {
            "dataset": widgets.Dropdown(options=list(toy.NAMED), value="ring", description="data",
                                        **wide),
            "loss": widgets.Dropdown(
                options=loss_names, description="loss", **wide,
                value="non_saturating" if "non_saturating" in loss_names else loss_names[0]),
            "lr_disc": widgets.FloatLogSlider(value=1e-3, base=10, min=-5, max=-1, step=0.1,
                                              readout_format=".0e", description="lr D", **wide),
            "lr_gen": widgets.FloatLogSlider(value=1e-3, base=10, min=-5, max=-1, step=0.1,
                                             readout_format=".0e", description="lr G", **wide),
            "n_disc": widgets.IntSlider(value=1, min=1, max=10, description="D steps", **wide),
            "n_gen": widgets.IntSlider(value=1, min=1, max=5, description="G steps", **wide),
            "noise_dim": widgets.IntSlider(value=2, min=1, max=16, description="noise dim",
                                           **wide),
            # 64 units in 2 hidden layers learn every toy data set here and train about
            # 3 times faster than 128 x 3 on a CPU (benchmarks/RESULTS.md)
            "width": widgets.IntSlider(value=64, min=8, max=256, step=8, description="width",
                                       **wide),
            "depth": widgets.IntSlider(value=2, min=1, max=4, description="hidden layers", **wide),
            "steps": widgets.IntSlider(value=budget(full=2000, quick=200), min=100, max=20_000,
                                       step=100, description="steps", **wide),
            "seed": widgets.BoundedIntText(value=0, min=0, max=2**31 - 1, description="seed",
                                           **wide),
        }
        self.train_button = widgets.Button(description="Train", button_style="primary",
                                           icon="play")
        self.train_button.on_click(self._on_train_clicked)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="progress",
                                            **wide)
        self.status = widgets.Label(value="choose the settings and press Train")
        self.live_image = widgets.Image(format="png")
        self.view = widgets.VBox([self.live_image])
        settings = widgets.VBox([*self.controls.values(), self.train_button, self.progress,
                                 self.status])
        self.widget = widgets.HBox([settings, self.view])

    def config_settings(self) -> dict:
        """The config fields as currently set in the controls."""
        return {name: self.controls[name].value for name in CONFIG_FIELDS}

    def train(self):
        """Train with the current settings, show the run in a Player, return its History."""
        train_fn = self._train_fn or train
        config_class = self._config_class or GANConfig
        config = config_class(**self.config_settings())
        data = toy.named(self.controls["dataset"].value)
        steps = self.controls["steps"].value

        self.progress.max, self.progress.value = steps, 0
        self.view.children = (self.live_image,)
        self.status.value = f"training for {steps:,} steps…"
        self._last_live_draw = -math.inf
        self.train_button.disabled = True  # a second click would queue a second run
        try:
            # progress=False: the lab has its own bar, and a tqdm bar printed from a
            # button's handler would land in the kernel log, not in the notebook.
            history = train_fn(data, config, steps=steps, callback=self._on_record,
                               progress=False)
        finally:
            self.train_button.disabled = False
        self.progress.value = steps
        self.history = history
        self.player = Player([history], dpi=self.dpi)
        self.player.set_step(-1)  # where the live figure left off
        self.view.children = (self.player.widget,)
        self.status.value = f"trained {steps:,} steps in {history.wall_time:.1f} s"
        return history

    def _on_train_clicked(self, button) -> None:
        # An exception in a button handler vanishes into the kernel log, so say
        # what went wrong next to the button instead.
        try:
            self.train()
        except Exception as error:
            self.status.value = f"training stopped: {error}"

    def _on_record(self, step: int, history_so_far) -> None:
        self.progress.value = min(int(step), self.progress.max)
        now = time.perf_counter()
        if now - self._last_live_draw >= self.LIVE_REDRAW_SECONDS:
            self._last_live_draw = now
            figure = figure_for([history_so_far], self.dpi)
            self.live_image.value = render_png(figure, [history_so_far], -1)

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # Shown where no widget manager runs (a static rendering of the notebook).
        bundle["text/plain"] = "GAN lab: run this cell in Jupyter to train GANs interactively."
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)


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


def export_animation(histories, path=None, fmt: str = "jshtml", frames=None, dpi: int = 60,
                     fps: int = 5, layers=DEFAULT_LAYERS, labels=None):
    """An animation of ``draw_frame`` over (a subsample of) the recorded frames.

    ``fmt="jshtml"`` returns an ``IPython.display.HTML`` with the frames embedded as
    images and play controls, so a static rendering of the notebook still moves
    (written to ``path`` too if given). ``fmt="gif"`` writes a GIF to ``path`` and
    returns the path. ``frames``: a number of evenly spaced frames (default
    ``MAX_ANIMATION_FRAMES``) or a list of frame indices. At the defaults, two runs
    take about 0.6 MB as GIF and 1 MB as jshtml.
    """
    from matplotlib.animation import FuncAnimation, PillowWriter

    histories = _as_list(histories)
    check_same_steps(histories)
    if fmt not in ("jshtml", "gif"):
        raise ValueError(f"unknown format {fmt!r}; choose 'jshtml' or 'gif'.")
    if fmt == "gif" and path is None:
        raise ValueError("give path='name.gif' to write a GIF.")
    fig = figure_for(histories, dpi)
    layout = frame_axes(fig, histories)
    indices = animation_frames(len(histories[0].steps), frames)
    animation = FuncAnimation(
        fig, lambda index: draw_frame(layout, histories, index, layers, labels),
        frames=indices, interval=1000 / fps, repeat=True)
    if fmt == "gif":
        animation.save(str(path), writer=PillowWriter(fps=fps), dpi=dpi)
        return path
    from IPython.display import HTML

    # JPEG frames are about half the size of PNG ones for these smooth heatmaps.
    with matplotlib.rc_context({"animation.frame_format": "jpeg"}):
        html = animation.to_jshtml(fps=fps, default_mode="loop")
    if path is not None:
        with open(path, "w", encoding="utf-8") as file:
            file.write(html)
    return HTML(html)


__all__ = [
    "LAYERS", "DEFAULT_LAYERS", "draw_frame",
    "draw_panel", "figure_for", "render_png", "run_label", "check_same_steps", "Player",
    "Lab", "export_animation",
]
