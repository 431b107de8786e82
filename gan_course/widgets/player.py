"""``Player``: replay the recorded frames of one or several runs side by side, with ipywidgets.

Each frame is rendered to PNG with Agg into an ``Image`` widget, so the player
needs no ipympl, and the current frame still shows in a static rendering of the
notebook.
"""

from __future__ import annotations

import base64

import ipywidgets as widgets

from gan_course.widgets.drawing import (
    COLUMN_INCHES,
    DEFAULT_LAYERS,
    LAYERS,
    as_history_list,
    check_same_steps,
    frame_axes,
    frame_index,
    labels_for,
    layer_set,
    render_png,
)

# Player images are shown pixel for pixel: at 90 dpi, 7-point labels are still readable.
PLAYER_DPI = 90
# JupyterLab's notebook column is about 1,000 px wide beside its file browser on a laptop
# screen; a wider frame scrolls sideways and hides its last run, so many runs get a lower dpi.
MAX_PLAYER_WIDTH = 1000


def pixel_for_pixel(layout) -> widgets.Layout:
    """An image widget's layout that shows a frame at its own size: a flex box would
    otherwise stretch it to the container's width, and an upscaled PNG is blurry."""
    width, _ = layout.figure.canvas.get_width_height()  # the PNG's own width, as savefig rounds it
    return widgets.Layout(width=f"{width}px", min_width=f"{width}px", height="auto")


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
                 dpi: int | None = None):
        self.histories = as_history_list(histories)
        check_same_steps(self.histories)
        self.labels = labels_for(self.histories, labels)
        if not 1 <= fps <= 30:
            raise ValueError(f"fps must be between 1 and 30, got {fps}.")
        self._layout = frame_axes(self.histories, dpi or self.fitting_dpi(self.histories))
        self._png_cache: dict = {}
        self._build_controls(layer_set(layers), fps)
        self.image = widgets.Image(format="png", layout=pixel_for_pixel(self._layout))
        self.widget = widgets.VBox([
            widgets.HBox([self.play, self.slider, self.step_label, self.speed]),
            widgets.HBox(list(self.layer_boxes.values())),
            self.image,
        ])
        self._redraw()

    @staticmethod
    def fitting_dpi(histories) -> int:
        """PLAYER_DPI, or less where the frame of these runs would be wider than MAX_PLAYER_WIDTH."""
        return min(PLAYER_DPI, int(MAX_PLAYER_WIDTH / (COLUMN_INCHES * len(histories))))

    def _build_controls(self, layers: frozenset, fps: int) -> None:
        """Play, the frame slider, the speed and the layer checkboxes, wired to redraw."""
        last = len(self.histories[0].steps) - 1
        self.play = widgets.Play(value=0, min=0, max=last, step=1, interval=1000 // fps,
                                 description="Play")
        self.slider = widgets.IntSlider(value=0, min=0, max=last, description="frame",
                                        readout=False, continuous_update=True)
        # A Python-side link (not jslink) so the link also works without a browser.
        widgets.link((self.play, "value"), (self.slider, "value"))
        # wide enough for "step 20,000 of 20,000": a narrower label clips it
        self.step_label = widgets.Label(layout=widgets.Layout(min_width="160px"))
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

    @property
    def layers(self) -> frozenset:
        """The layers whose checkbox is ticked."""
        return frozenset(name for name, box in self.layer_boxes.items() if box.value)

    def frame_png(self, index: int, layers=None) -> bytes:
        """Frame ``index`` as PNG bytes, with the ticked layers unless ``layers`` is given."""
        layers = self.layers if layers is None else layer_set(layers)
        index = frame_index(self.histories[0], index)
        key = (index, layers)
        if key not in self._png_cache:
            if len(self._png_cache) >= self.MAX_CACHED_FRAMES:
                self._png_cache.clear()
            self._png_cache[key] = render_png(self._layout, self.histories, index, layers,
                                              self.labels)
        return self._png_cache[key]

    def set_step(self, index: int) -> None:
        """Move to recorded frame ``index`` (negative counts from the end); the image follows."""
        self.slider.value = frame_index(self.histories[0], index)

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

