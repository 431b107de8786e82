"""Watch a 2D GAN train, in the spirit of GAN Lab (Kahng et al. 2018), inside Jupyter.

- ``drawing``: ``frame_axes`` lays out a figure, ``draw_frame`` draws one recorded
  frame of one or more runs into it (heatmap of D_φ, real and fake samples, the
  generator's manifold, the push on each fake, loss and metric curves),
  ``render_png`` returns it as PNG, ``export_animation`` stores an animation that
  plays without a kernel.
- ``player``: ``Player(histories)`` replays the frames with ipywidgets.
- ``lab``: ``Lab()`` picks the data, loss and hyper-parameters, trains, and shows
  the run live and then in a ``Player``.
"""

from gan_course.widgets.drawing import (
    DEFAULT_LAYERS,
    LAYERS,
    FrameAxes,
    check_same_steps,
    draw_frame,
    draw_panel,
    export_animation,
    frame_axes,
    render_png,
    run_label,
)
from gan_course.widgets.lab import Lab
from gan_course.widgets.player import Player

__all__ = [
    "LAYERS", "DEFAULT_LAYERS", "FrameAxes", "frame_axes", "draw_frame", "draw_panel",
    "render_png", "run_label", "check_same_steps", "export_animation", "Player", "Lab",
]
