"""``Lab``: choose the data, the loss and the hyper-parameters, train, and watch the run.

In the spirit of GAN Lab (Kahng et al. 2018, poloclub/ganlab), but inside Jupyter.
"""

from __future__ import annotations

import math
import time

import ipywidgets as widgets

from gan_course.config import budget
from gan_course.data import toy
from gan_course.gan_losses import GAN_LOSSES
from gan_course.toy_training import GANConfig, train_toy
from gan_course.widgets.drawing import frame_axes, render_png
from gan_course.widgets.player import PLAYER_DPI, Player, pixel_for_pixel

# The lab's controls that become fields of the training config (GANConfig).
CONFIG_FIELDS = ("loss", "lr_disc", "lr_gen", "n_disc", "n_gen", "noise_dim", "width", "depth",
                 "seed")


def _wide() -> dict:
    """Options that give a control the lab's width, with room for its description."""
    return {"style": {"description_width": "90px"}, "layout": widgets.Layout(width="320px")}


def setting_controls() -> dict:
    """The lab's controls by name: the data set, the number of steps and the ``CONFIG_FIELDS``."""
    loss_names = list(GAN_LOSSES)
    wide = _wide()
    return {
        "dataset": widgets.Dropdown(options=list(toy.NAMED), value="ring", description="data", **wide),
        "loss": widgets.Dropdown(
            options=loss_names, description="loss", **wide,
            value="non_saturating" if "non_saturating" in loss_names else loss_names[0]),
        "lr_disc": widgets.FloatLogSlider(value=1e-3, base=10, min=-5, max=-1, step=0.1,
                                          readout_format=".0e", description="lr D", **wide),
        "lr_gen": widgets.FloatLogSlider(value=1e-3, base=10, min=-5, max=-1, step=0.1,
                                         readout_format=".0e", description="lr G", **wide),
        "n_disc": widgets.IntSlider(value=1, min=1, max=10, description="D steps", **wide),
        "n_gen": widgets.IntSlider(value=1, min=1, max=5, description="G steps", **wide),
        "noise_dim": widgets.IntSlider(value=2, min=1, max=16, description="noise dim", **wide),
        # 64 units in 2 hidden layers learn every toy data set here and train about
        # 3 times faster than 128 x 3 on a CPU (benchmarks/RESULTS.md)
        "width": widgets.IntSlider(value=64, min=8, max=256, step=8, description="width", **wide),
        "depth": widgets.IntSlider(value=2, min=1, max=4, description="hidden layers", **wide),
        "steps": widgets.IntSlider(value=budget(full=2000, quick=200), min=100, max=20_000,
                                   step=100, description="steps", **wide),
        "seed": widgets.BoundedIntText(value=0, min=0, max=2**31 - 1, description="seed", **wide),
    }


class Lab:
    """Choose the data, the loss and the hyper-parameters, press Train, watch.

    While training, the figure shows the latest recorded frame; afterwards a
    ``Player`` for the run takes its place, its frame where the live frame was and
    its controls below (also in ``lab.player``, the run in ``lab.history``).

    Training is one call ``train_fn(data, config, steps=steps, callback=callback,
    progress=False)`` where ``config = config_class(**settings)`` and
    ``callback(step, history_so_far)`` is called at each recorded step. They
    default to ``gan_course.toy_training.train_toy`` and
    ``gan_course.toy_training.GANConfig``; tests pass stand-ins.
    """

    # Redraw the live figure at most every half second, and never spend more than a
    # fifth of the time drawing: a frame costs about 0.1 s, as much as 50 training steps
    # of the default networks, so drawing every record would make training crawl.
    LIVE_REDRAW_SECONDS = 0.5
    MAX_DRAWING_SHARE = 0.2
    # px: a one-run frame, and the player's controls wrapped into rows of that width
    VIEW_MIN_WIDTH = 440

    def __init__(self, train_fn=None, config_class=None, dpi: int = PLAYER_DPI):
        self._train_fn = train_fn
        self._config_class = config_class
        self.dpi = dpi
        self.history = None
        self.player = None
        self._last_live_draw, self._last_draw_cost = -math.inf, 0.0
        self.controls = setting_controls()
        self.train_button = widgets.Button(description="Train", button_style="primary",
                                           icon="play")
        self.train_button.on_click(self._on_train_clicked)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="progress",
                                            **_wide())
        self.status = widgets.Label(value="choose the settings and press Train")
        self.live_image = widgets.Image(format="png")
        # no empty image before the first frame: browsers draw it as a broken image
        self.placeholder = widgets.HTML("<i>the run appears here while it trains</i>")
        # One width for the live frame and the player that replaces it, so that both sit in
        # the same place: beside the controls where the notebook is wide enough, below them
        # where it is not. A player wider than the live frame made the figure jump below
        # the controls as training ended.
        self.view = widgets.VBox([self.placeholder],
                                 layout=widgets.Layout(width=f"{self.VIEW_MIN_WIDTH}px"))
        settings = widgets.VBox([*self.controls.values(), self.train_button, self.progress,
                                 self.status], layout=widgets.Layout(min_width="330px"))
        # the run wraps below the controls where the notebook is too narrow for both
        self.widget = widgets.HBox([settings, self.view],
                                   layout=widgets.Layout(flex_flow="row wrap"))

    def config_settings(self) -> dict:
        """The config fields as currently set in the controls."""
        return {name: self.controls[name].value for name in CONFIG_FIELDS}

    def train(self):
        """Train with the current settings, show the run in a Player, return its History."""
        train_fn = self._train_fn or train_toy
        config_class = self._config_class or GANConfig
        config = config_class(**self.config_settings())
        data = toy.named(self.controls["dataset"].value)
        steps = self.controls["steps"].value

        self.progress.max, self.progress.value = steps, 0
        # the previous run stays in view until the first live frame replaces it: going back to
        # the one-line placeholder would collapse the view and make the page jump twice
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
        self.view.children = (self._frame_first(self.player),)
        self.status.value = f"trained {steps:,} steps in {history.wall_time:.1f} s"
        return history

    @staticmethod
    def _frame_first(player: Player) -> widgets.VBox:
        """The player with its frame on top, where the live frame was, and its controls below:
        the figure does not move when training ends."""
        rows = [widgets.HBox(list(row.children), layout=widgets.Layout(flex_flow="row wrap"))
                for row in player.widget.children if row is not player.image]
        return widgets.VBox([player.image, *rows])

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
        wait = max(self.LIVE_REDRAW_SECONDS, self._last_draw_cost / self.MAX_DRAWING_SHARE)
        if now - self._last_live_draw >= wait:
            layout = frame_axes([history_so_far], self.dpi)
            self.live_image.value = render_png(layout, [history_so_far], -1)
            self.live_image.layout = pixel_for_pixel(layout)
            frame_width, _ = layout.figure.canvas.get_width_height()
            self.view.layout.width = f"{max(self.VIEW_MIN_WIDTH, frame_width)}px"
            self.view.children = (self.live_image,)
            self._last_live_draw = time.perf_counter()
            self._last_draw_cost = self._last_live_draw - now

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # Shown where no widget manager runs (a static rendering of the notebook).
        bundle["text/plain"] = "GAN lab: run this cell in Jupyter to train GANs interactively."
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)

