"""gan_course.widgets: the frame drawer, player, lab and animation export, without a browser.

The runs are fake Histories (tests/fake_history.py), so no GAN is trained here.
"""

import base64
import io
import math

import numpy as np
import pytest
import torch
from fake_history import FakeGANConfig, fake_train_fn, first_frames, make_fake_history
from matplotlib.figure import Figure

from gan_course.data.toy import NAMED, DisjointRegions, Line, named
from gan_course.gan_losses import GAN_LOSSES
from gan_course.widgets import (
    Lab,
    Player,
    draw_frame,
    draw_panel,
    export_animation,
    frame_axes,
    render_png,
)
from gan_course.widgets.drawing import (
    DEFAULT_LAYERS,
    MAX_ANIMATION_FRAMES,
    animation_frames,
    draw_heatmap,
    metric_rows,
)
from gan_course.widgets.lab import CONFIG_FIELDS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_STORED_BYTES = 1.5e6  # for an animation of MAX_ANIMATION_FRAMES frames of two runs


# Small runs and a low dpi keep the tests fast; the drawing code is the same.
SMALL = {"frames": 11, "n_show": 64, "grid_points": 24}
DPI = 40


@pytest.fixture(scope="module")
def one_run():
    return make_fake_history(**SMALL)


@pytest.fixture(scope="module")
def two_runs():
    return [
        make_fake_history(**SMALL, config=FakeGANConfig(loss="minimax"), speed=0.7),
        make_fake_history(**SMALL, config=FakeGANConfig(loss="wasserstein", n_disc=5),
                          disc_is_probability=False, critic_up_to_constant=True,
                          metric_names=("modes_covered", "kl")),
    ]


# --- the player ---------------------------------------------------------------

@pytest.mark.parametrize("runs", [1, 3])
def test_player_builds_for_one_and_several_runs(runs):
    histories = [make_fake_history(**SMALL, config=FakeGANConfig(seed=seed))
                 for seed in range(runs)]
    player = Player(histories, dpi=DPI)
    frames = len(histories[0].steps)
    assert player.play.max == frames - 1
    assert player.slider.max == frames - 1
    assert bytes(player.image.value).startswith(PNG_SIGNATURE)
    assert player.image in player.widget.children


def test_moving_the_slider_redraws_the_frame(one_run):
    player = Player(one_run, dpi=DPI)
    first = player.image.value
    player.slider.value = 7
    assert player.image.value != first
    assert player.image.value == player.frame_png(7)
    assert f"step {int(one_run.steps[7]):,}" in player.step_label.value


def test_the_play_button_drives_the_slider(one_run):
    player = Player(one_run, dpi=DPI)
    player.play.value = 4
    assert player.slider.value == 4
    player.speed.value = 10
    assert player.play.interval == 100


def test_toggling_a_layer_redraws_the_frame(one_run):
    player = Player(one_run, dpi=DPI)
    with_heatmap = player.image.value
    player.layer_boxes["heatmap"].value = False
    assert "heatmap" not in player.layers
    assert player.image.value != with_heatmap


def test_set_step_counts_from_the_end_and_rejects_missing_frames(one_run):
    player = Player(one_run, dpi=DPI)
    player.set_step(-1)
    assert player.slider.value == 10
    with pytest.raises(IndexError, match="recorded 11 frames"):
        player.frame_png(11)


def test_a_cell_ending_in_a_player_shows_the_widget_and_a_static_frame(two_runs):
    bundle = Player(two_runs, dpi=DPI)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "image/png" in bundle  # what a static rendering of the notebook shows


# --- draw_frame ----------------------------------------------------------------

def test_draw_frame_without_manifold_or_metrics():
    bare = make_fake_history(**SMALL, with_manifold=False, metric_names=())
    layout = frame_axes([bare], dpi=DPI)
    assert render_png(layout, [bare], 3).startswith(PNG_SIGNATURE)
    assert len(layout.figure.axes) == 2  # the 2D panel and the losses: no metrics row
    with_metrics = make_fake_history(**SMALL)
    render_png(frame_axes([bare, with_metrics], dpi=DPI), [bare, with_metrics], -1)


def test_draw_panel_draws_the_2d_view_into_axes_of_your_own(two_runs):
    fig = Figure()
    axes = [fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)]
    for ax, history in zip(axes, two_runs):
        draw_panel(ax, history, 0, layers={"real": True, "fake": True, "heatmap": False})
    assert "step 0" in axes[0].get_title()
    assert len(axes[0].images) == 0  # the heatmap was switched off


def test_a_layout_made_for_other_runs_is_refused(two_runs):
    with pytest.raises(ValueError, match="made for other runs"):
        draw_frame(frame_axes(two_runs[:1], dpi=DPI), two_runs, 0)  # one column, two runs
    with pytest.raises(ValueError, match="made for other runs"):
        # one column each, but the second run also recorded a KL: one more metric row
        draw_frame(frame_axes(two_runs[:1], dpi=DPI), two_runs[1:], 0)


def test_reused_axes_draw_the_same_frame_as_a_fresh_figure(one_run):
    layout = frame_axes(one_run, dpi=DPI)
    render_png(layout, one_run, 10)  # leave another frame behind in the reused axes
    fresh = render_png(frame_axes(one_run, dpi=DPI), one_run, 5)
    assert render_png(layout, one_run, 5) == fresh


def _pixels(png: bytes):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_a_quick_frame_has_the_pixels_of_a_full_draw(two_runs):
    # render_png draws a frame over the kept background: the picture must be the one a
    # full draw of the figure gives, whatever was drawn before. Where a curve's smoothed
    # edge touches an axis line, the two are drawn in the other order: at this low dpi, a
    # few pixels take a slightly different shade.
    layout = frame_axes(two_runs, dpi=DPI)
    render_png(layout, two_runs, 0)
    for frame, layers in [(7, DEFAULT_LAYERS), (3, {"heatmap", "fake"}), (-1, {"real"}),
                          (5, DEFAULT_LAYERS)]:
        quick = _pixels(render_png(layout, two_runs, frame, layers)).astype(int)
        full = io.BytesIO()
        layout.figure.savefig(full, format="png", dpi=layout.figure.dpi)
        difference = np.abs(quick - _pixels(full.getvalue())).max(axis=-1)
        assert (difference > 0).mean() < 1e-3, (frame, layers)
        assert difference.max() <= 40, (frame, layers)


def test_a_layout_drawn_again_keeps_its_artists_and_follows_new_runs(two_runs):
    layout = frame_axes(two_runs[:1], dpi=DPI)
    render_png(layout, two_runs[:1], 2)
    artists = [len(axes.get_children()) for axes in layout.figure.axes]
    render_png(layout, two_runs[:1], 9)
    assert [len(axes.get_children()) for axes in layout.figure.axes] == artists
    # other runs of the same shape into the same layout: as in a layout of their own
    other = [make_fake_history(**SMALL, config=FakeGANConfig(seed=3), speed=0.4)]
    fresh = render_png(frame_axes(other, dpi=DPI), other, 4)
    assert render_png(layout, other, 4) == fresh


def test_the_curves_keep_their_limits_from_frame_to_frame():
    bare = make_fake_history(**SMALL, with_manifold=False, metric_names=())
    layout = frame_axes([bare], dpi=DPI)
    limits = []
    for frame in (0, 5, -1):
        render_png(layout, [bare], frame)
        limits.append(layout.losses[0].get_xlim())
    assert limits[0] == limits[1] == limits[2]


def test_metrics_are_drawn_in_rows_of_pairs_known_pairs_first():
    runs = [make_fake_history(**SMALL, metric_names=("kl", "high_quality")),
            make_fake_history(**SMALL, metric_names=())]
    runs[1].metrics = {"modes_covered": runs[0].metrics["kl"], "energy": runs[0].metrics["kl"]}
    assert metric_rows(runs) == [("modes_covered", "high_quality"), ("kl",), ("energy",)]
    layout = frame_axes(runs, dpi=DPI)
    draw_frame(layout, runs, 2)
    assert len(layout.figure.axes) == 2 * (2 + 2 * 3)  # per run: panel, losses, 3 rows of twin axes


def test_runs_that_recorded_different_steps_are_refused(two_runs):
    shorter = make_fake_history(**{**SMALL, "frames": 6})
    with pytest.raises(ValueError, match="must record the same steps"):
        Player([two_runs[0], shorter])


def test_unknown_layers_are_refused(two_runs):
    with pytest.raises(ValueError, match="unknown layers"):
        draw_frame(frame_axes(two_runs, dpi=DPI), two_runs, 0, layers={"heatmap", "arrows"})


# --- the lab -------------------------------------------------------------------

def test_lab_lists_the_datasets_and_the_losses():
    lab = Lab(train_fn=fake_train_fn(), config_class=FakeGANConfig)
    assert list(lab.controls["dataset"].options) == list(NAMED)
    assert {"ring", "grid", "moons", "swiss_roll", "gaussian", "line", "disjoint"} <= set(NAMED)
    assert list(lab.controls["loss"].options) == list(GAN_LOSSES)
    assert {"minimax", "non_saturating", "wasserstein"} <= set(lab.controls["loss"].options)


def test_train_button_trains_with_the_chosen_settings_and_shows_a_player():
    calls = []
    lab = Lab(train_fn=fake_train_fn(calls), config_class=FakeGANConfig, dpi=DPI)
    chosen = {"dataset": "line", "loss": "hinge", "lr_disc": 3e-4, "lr_gen": 2e-4, "n_disc": 5,
              "n_gen": 2, "noise_dim": 1, "width": 32, "depth": 3, "steps": 400, "seed": 7}
    for name, value in chosen.items():
        lab.controls[name].value = value
    progress_seen = []
    lab.progress.observe(lambda change: progress_seen.append(change["new"]), names="value")

    lab.train_button.click()

    assert lab.status.value.startswith("trained 400 steps"), lab.status.value
    (call,) = calls
    assert isinstance(call["data"], Line)
    assert call["steps"] == 400
    assert call["progress"] is False  # the lab shows its own progress bar
    for name in CONFIG_FIELDS:
        assert getattr(call["config"], name) == chosen[name]
    assert len(set(progress_seen)) > 2  # moved during training, not only at the end
    assert lab.progress.value == lab.progress.max == 400
    assert bytes(lab.live_image.value).startswith(PNG_SIGNATURE)
    (shown,) = lab.view.children  # the player, its frame on top where the live frame was
    assert shown.children[0] is lab.player.image
    rows = [row.children for row in lab.player.widget.children if row is not lab.player.image]
    assert [row.children for row in shown.children[1:]] == rows  # the controls, wrapped below
    assert lab.player.slider.value == lab.player.slider.max  # the end of the run
    assert lab.history is lab.player.histories[0]
    assert not lab.train_button.disabled


def test_training_again_keeps_the_last_run_in_view_until_the_first_live_frame():
    views = []

    def watching_train(data, config, steps, callback, progress):
        views.append(lab.view.children)  # what shows while training starts
        return fake_train_fn()(data, config, steps=steps, callback=callback, progress=progress)

    lab = Lab(train_fn=fake_train_fn(), config_class=FakeGANConfig, dpi=DPI)
    lab.train_button.click()
    after_first_run = lab.view.children
    lab._train_fn = watching_train
    lab.train_button.click()
    assert views == [after_first_run]  # no collapse to the placeholder in between


def test_a_failed_training_says_why_next_to_the_button():
    def failing_train(data, config, steps, callback, progress):
        raise ValueError("the losses became NaN; lower the learning rates")

    lab = Lab(train_fn=failing_train, config_class=FakeGANConfig)
    lab.train_button.click()
    assert "became NaN" in lab.status.value
    assert not lab.train_button.disabled


def test_the_live_figure_draws_a_partial_history():
    partial = first_frames(make_fake_history(**SMALL), 1)
    png = render_png(frame_axes([partial], dpi=DPI), [partial], -1)
    assert png.startswith(PNG_SIGNATURE)


# --- animations ----------------------------------------------------------------

def test_an_animation_is_stored_as_an_inline_gif_without_scripts(one_run):
    from PIL import Image

    animation = export_animation(one_run, frames=3)
    bundle = animation._repr_mimebundle_()
    html = bundle["text/html"]
    assert html.startswith('<img src="data:image/gif;base64,') and "<script" not in html
    gif = base64.b64decode(html.split("base64,")[1].split('"')[0])
    assert gif == animation.gif
    assert Image.open(io.BytesIO(gif)).n_frames == 3


def test_export_to_gif_writes_a_small_file(two_runs, tmp_path):
    frames = 4
    export_animation(two_runs, tmp_path / "run.gif", frames=frames)
    data = (tmp_path / "run.gif").read_bytes()
    assert data.startswith(b"GIF8")
    # A few frames keep the test fast; the stored size grows about linearly in frames.
    assert len(data) / frames * MAX_ANIMATION_FRAMES < MAX_STORED_BYTES


def test_animations_subsample_to_at_most_thirty_frames_keeping_both_ends():
    indices = animation_frames(201)
    assert len(indices) == MAX_ANIMATION_FRAMES
    assert indices[0] == 0 and indices[-1] == 200
    assert animation_frames(5) == [0, 1, 2, 3, 4]
    assert animation_frames(5, frames=[0, -1]) == [0, 4]


# --- the two new toy distributions (to move to data.toy) -------------------------

@pytest.mark.parametrize("distribution", [Line(), DisjointRegions()])
def test_new_toy_densities_integrate_to_one_and_match_their_samples(distribution):
    ticks = torch.linspace(-3, 3, 301)
    grid_x, grid_y = torch.meshgrid(ticks, ticks, indexing="xy")
    points = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)
    cell_area = float(ticks[1] - ticks[0]) ** 2
    total = float(distribution.log_prob(points).double().exp().sum()) * cell_area
    assert math.isclose(total, 1.0, abs_tol=0.02)
    samples = distribution.sample(2000, rng=torch.Generator().manual_seed(0))
    assert samples.shape == (2000, 2)
    assert bool(torch.isfinite(distribution.log_prob(samples)).all())


def test_every_lab_dataset_samples_2d_points():
    for name in NAMED:
        assert named(name).sample(5).shape == (5, 2)
    with pytest.raises(ValueError, match="unknown toy distribution"):
        named("spiral")


def test_a_critic_up_to_a_constant_is_drawn_centred_at_its_mean_and_other_outputs_are_not():
    # f and f + 5 are the same Wasserstein critic; a least-squares output's zero means "fake"
    def drawn_range(loss, critic_up_to_constant):
        history = make_fake_history(frames=2, config=FakeGANConfig(loss=loss),
                                    disc_is_probability=False,
                                    critic_up_to_constant=critic_up_to_constant)
        history.disc = history.disc * 0.01 + 5.0  # a narrow range far from zero
        fig = Figure()
        ax = fig.add_subplot()
        draw_heatmap(ax, history, 0)
        return ax.images[0].norm.vmin, ax.images[0].norm.vmax, history.disc[0]

    low, high, values = drawn_range("wasserstein", critic_up_to_constant=True)
    assert high == pytest.approx(float((values - values.mean()).abs().max()), rel=1e-5)
    assert high < 1.0
    low, high, values = drawn_range("least_squares", critic_up_to_constant=False)
    assert high == pytest.approx(float(values.abs().max()), rel=1e-5)


def test_a_player_of_many_runs_fits_the_notebook_and_is_shown_pixel_for_pixel():
    from gan_course.widgets.player import MAX_PLAYER_WIDTH

    runs = [make_fake_history(**SMALL) for _ in range(4)]
    player = Player(runs)
    width = int(player.image.layout.width.removesuffix("px"))
    assert width <= MAX_PLAYER_WIDTH
    assert player.image.layout.min_width == player.image.layout.width  # never stretched
    assert Player(runs[:1]).image.layout.width == f"{round(3.4 * 90)}px"  # few runs: 90 dpi
