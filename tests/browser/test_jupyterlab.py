"""The course in a real JupyterLab, driven by headless Chromium as a learner drives it.

``make browser-test`` runs these (``make test`` does not; see conftest.py for what they
need). Each test saves screenshots into one folder, named at the end of the run and in
every failure's message, so that a person can look at what the test saw.
"""

import re
import time
from pathlib import Path

import nbformat
import pytest
from lab_page import NotebookPage

pytestmark = pytest.mark.browser

LESSON_00 = "notebooks/00_welcome.ipynb"
LESSON_04 = "notebooks/04_generator.ipynb"
LESSON_08 = "notebooks/08_many_paths.ipynb"
EXERCISE_01 = "exercises/01_density_ratio_exercises.ipynb"
UNRUN_LESSON_04 = "unrun/04_generator.ipynb"  # a second copy of lesson 04 (conftest.py)

# What shows where a notebook stored a widget without a picture of it, a widget that
# cannot load, or a progress bar stored unfinished (a bar at 0%, not the 0 of 100%).
BAD_STORED_TEXT = {
    "an interact widget's text": re.compile(r"interactive\(children="),
    "a box widget's text": re.compile(r"[HV]?Box\(children="),
    "a slider's text": re.compile(r"(Int|Float)\w*Slider\("),
    "a widget that cannot load": re.compile(r"Error displaying widget|Loading widget"),
    "an unfinished progress bar": re.compile(r"(?<![0-9])0%\|"),
}

ANSWER_HEADER = "def bernoulli_loss(logits_real, logits_fake, prior=0.5):\n"
# Naive logs of σ: -log(1 - σ(100)) is -log(0) = inf in float32.
WRONG_ANSWER = ("    return prior * -torch.log(torch.sigmoid(logits_real)).mean() "
                "+ (1 - prior) * -torch.log(1 - torch.sigmoid(logits_fake)).mean()\n")
RIGHT_ANSWER = ("    return prior * F.softplus(-logits_real).mean() "
                "+ (1 - prior) * F.softplus(logits_fake).mean()\n")


def stem(path: str) -> str:
    return Path(path).stem


def stored_images(path: Path) -> int:
    """How many images the notebook file stores in its outputs (PNG, or HTML with an <img>)."""
    count = 0
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if any(mime.startswith("image/") for mime in data):
                count += 1
            elif "<img" in data.get("text/html", ""):
                count += 1
    return count


def bad_text_in(text: str) -> list[str]:
    return [f"{what}: {match.group(0)!r}" for what, pattern in BAD_STORED_TEXT.items()
            for match in [pattern.search(text)] if match]


def image_report(image) -> dict:
    """Whether an <img> loaded, its own size and the size it is shown at."""
    return image.evaluate("""async image => {
      try { await image.decode(); } catch (error) { /* a broken image: naturalWidth stays 0 */ }
      return {natural: [image.naturalWidth, image.naturalHeight],
              shown: [image.clientWidth, image.clientHeight],
              src: image.src.slice(0, 40)};
    }""")


def test_stored_lesson_shows_its_figures_without_running(lab_server, browser_context, screenshots):
    """Lesson 04 as stored, not run: every figure is an image that loads, and no widget
    or progress bar shows as text."""
    path = UNRUN_LESSON_04
    notebook = NotebookPage.open(browser_context, lab_server, path)
    page = notebook.page
    with screenshots.on_failure(page, "stored_04"):
        screenshots.take(page, "stored_04_top")
        images = page.locator(".jp-NotebookPanel .jp-OutputArea-output img")
        expected = stored_images(lab_server.root / path)
        assert expected >= 7, f"lesson 04 stores only {expected} images"
        assert images.count() == expected, (
            f"{images.count()} <img> elements for the {expected} stored images")
        broken = []
        for index in range(images.count()):
            images.nth(index).scroll_into_view_if_needed()
            report = image_report(images.nth(index))
            if report["natural"][0] == 0:
                broken.append(report)
        assert not broken, f"broken images: {broken}"
        assert page.locator(".jp-OutputArea-output .jupyter-widgets").count() == 0, (
            "a stored output shows a live widget view")
        bad = bad_text_in(notebook.output_text())
        assert not bad, f"stored outputs show {bad}"
        screenshots.take(page, "stored_04_player", notebook.code_cell("player = Player("))
        lab = notebook.code_cell("Lab()")
        assert "GAN lab: run this cell in Jupyter" in lab.locator(".jp-OutputArea").text_content()
        screenshots.take(page, "stored_04_lab", lab)
    page.close()


@pytest.mark.parametrize("path", [LESSON_00, LESSON_04, LESSON_08], ids=stem)
def test_lesson_runs_in_quick_mode(executed, screenshots, path):
    """Run All from the menu: every code cell runs once, in order, without an error."""
    notebook, seconds = executed(path)
    page = notebook.page
    with screenshots.on_failure(page, f"ran_{stem(path)}"):
        errors = notebook.errors()
        assert not errors, f"{path} failed in {seconds:.0f} s: {errors}"
        cells = [cell for cell in notebook.state()["cells"] if cell["source"].strip()]
        counts = [cell["executionCount"] for cell in cells]
        assert counts == list(range(1, len(cells) + 1)), f"execution counts {counts}"
        first_output = page.locator(".jp-NotebookPanel .jp-OutputArea-output").first
        assert "mode=quick" in first_output.text_content(), (
            "the kernel did not inherit GAN_COURSE_QUICK=1: " + first_output.text_content())
        bad = bad_text_in(notebook.output_text())
        assert not bad, f"outputs show {bad}"
    setup_cell = page.locator(".jp-NotebookPanel .jp-CodeCell").first
    screenshots.take(page, f"ran_{stem(path)}_in_{seconds:.0f}s_setup", setup_cell)
    last_picture = page.locator(".jp-NotebookPanel .jp-CodeCell").filter(
        has=page.locator(".jp-OutputArea-output img, .jp-OutputArea-output .jupyter-widgets")).last
    screenshots.take(page, f"ran_{stem(path)}_last_picture", last_picture)


def displayed_player(notebook: NotebookPage, cell_text: str):
    """The output of the cell showing a Player, with its frame slider, image and step label."""
    output = notebook.code_cell(cell_text).locator(".jp-OutputArea-output")
    frame_label = notebook.page.locator("label.widget-label", has_text=re.compile(r"^frame$"))
    slider = output.locator(".widget-slider").filter(has=frame_label)
    step_label = output.locator("div.widget-label").filter(
        has_text=re.compile(r"^step [\d,]+ of [\d,]+$"))
    return output, slider, output.locator("img.widget-image"), step_label


def wait_for_change(read, before, timeout_s: float = 30):
    """Poll ``read()`` until it differs from ``before``; return the new value."""
    deadline = time.monotonic() + timeout_s
    while (value := read()) == before:
        assert time.monotonic() < deadline, f"still {before!r} after {timeout_s} s"
        time.sleep(0.2)
    return value


def assert_shown_pixel_for_pixel(image, what: str) -> None:
    report = image_report(image)
    assert report["natural"][0] > 0, f"{what}: a broken image {report}"
    assert report["shown"] == report["natural"], (
        f"{what}: a {report['natural']} frame is shown at {report['shown']} pixels, "
        "so it is rescaled (blurry)")


@pytest.mark.parametrize("path", [LESSON_04, LESSON_08], ids=stem)
def test_player_slider_changes_the_frame(executed, screenshots, path):
    """Drag a Player's frame slider with the mouse: the frame and the step label follow."""
    notebook, _ = executed(path)
    page = notebook.page
    with screenshots.on_failure(page, f"player_{stem(path)}"):
        assert not notebook.errors(), notebook.errors()
        output, slider, image, step_label = displayed_player(notebook, "player = Player(")
        handle, track = slider.locator(".noUi-handle"), slider.locator(".noUi-target")
        assert handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax"), (
            "the player should start at its last frame")
        src_before, step_before = image.get_attribute("src"), step_label.text_content()
        screenshots.take(page, f"player_{stem(path)}_last_frame", output)

        slider.scroll_into_view_if_needed()
        box = track.bounding_box()
        handle.drag_to(track, target_position={"x": box["width"] * 0.3, "y": box["height"] / 2})
        wait_for_change(lambda: image.get_attribute("src"), src_before)
        step_after = wait_for_change(step_label.text_content, step_before)
        frame = int(float(handle.get_attribute("aria-valuenow")))
        last = int(float(handle.get_attribute("aria-valuemax")))
        assert 0 < frame < last, f"the slider went to frame {frame} of {last}"
        assert step_after != step_before

        assert_shown_pixel_for_pixel(image, "the player's frame")
        clipped = step_label.evaluate("label => label.scrollWidth > label.clientWidth")
        assert not clipped, f"the step label {step_after!r} is clipped"
        controls_bottom = slider.bounding_box()["y"] + slider.bounding_box()["height"]
        assert image.bounding_box()["y"] >= controls_bottom, "the frame overlaps the controls"
    screenshots.take(page, f"player_{stem(path)}_moved_to_frame_{frame}", output)


# Records, while the lab trains, every image source and label text that shows in its output,
# and how far below the output's top each image shows.
_WATCH_JS = """
(output) => {
  window.labSeen = {sources: [], labels: [], tops: []};
  const note = (list, value) => { if (value && !list.includes(value)) list.push(value); };
  const look = () => {
    for (const image of output.querySelectorAll('img')) {
      note(window.labSeen.sources, image.src);
      const top = image.getBoundingClientRect().top - output.getBoundingClientRect().top;
      note(window.labSeen.tops, String(Math.round(top)));
    }
    for (const label of output.querySelectorAll('div.widget-label'))
      note(window.labSeen.labels, label.textContent);
  };
  new MutationObserver(records => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.tagName === 'IMG') note(window.labSeen.sources, node.src);
        if (node.querySelectorAll)
          for (const image of node.querySelectorAll('img')) note(window.labSeen.sources, image.src);
      }
    }
    look();
  }).observe(output, {subtree: true, childList: true, attributes: true, characterData: true});
}
"""


def test_lab_trains_and_shows_the_run(executed, screenshots):
    """Lesson 04's lab: Train shows a live frame while it trains, then the run in a player."""
    notebook, _ = executed(LESSON_04)
    page = notebook.page
    with screenshots.on_failure(page, "lab_04"):
        assert not notebook.errors(), notebook.errors()
        output = notebook.code_cell("Lab()").locator(".jp-OutputArea-output")
        status = output.locator("div.widget-label").filter(
            has_text=re.compile(r"^(choose the settings|training|trained)"))
        assert status.text_content() == "choose the settings and press Train"
        assert output.locator("img").count() == 0, "the lab shows an image before training"
        steps = output.locator(".widget-slider").filter(
            has=page.locator("label.widget-label", has_text=re.compile(r"^steps$")))
        assert steps.locator(".widget-readout").text_content() == "200", "quick mode: 200 steps"
        screenshots.take(page, "lab_04_before_training", output)

        output.evaluate(_WATCH_JS)
        output.get_by_role("button", name="Train").click()
        # "training stopped: ..." is how the lab reports an exception
        status.filter(has_text=re.compile(r"^(trained|training stopped)")).wait_for(timeout=120_000)
        final = status.text_content()
        assert re.fullmatch(r"trained 200 steps in [\d.]+ s", final), final
        seen = page.evaluate("() => window.labSeen")
        assert "training for 200 steps…" in seen["labels"], f"status texts seen: {seen['labels']}"
        assert len(seen["sources"]) >= 2, (
            f"expected a live frame, then the player's: saw {len(seen['sources'])} image(s)")

        tops = [int(top) for top in seen["tops"]]
        assert max(tops) - min(tops) <= 2, f"the figure moved while training ended: tops {tops} px"

        output, slider, image, step_label = displayed_player(notebook, "Lab()")
        assert image.count() == 1 and slider.count() == 1, "no player after training"
        assert step_label.text_content() == "step 200 of 200"
        assert_shown_pixel_for_pixel(image, "the lab's frame")
        bar = output.locator(".widget-hprogress .progress-bar")
        assert bar.evaluate("bar => bar.style.width") == "100%"
    screenshots.take(page, "lab_04_after_training", output)


def test_exercise_check_explains_a_wrong_answer_then_accepts_the_right_one(
        lab_server, browser_context, screenshots):
    """Exercise 01, task 1: type a naive answer, read the check's sentence; type the right one."""
    notebook = NotebookPage.open(browser_context, lab_server, EXERCISE_01)
    page = notebook.page
    with screenshots.on_failure(page, "exercise_01"):
        setup = page.locator(".jp-NotebookPanel .jp-CodeCell").first
        notebook.run_cell(setup)
        assert "mode=quick" in setup.locator(".jp-OutputArea").text_content()
        answer = notebook.code_cell("def bernoulli_loss(")
        check = notebook.code_cell("checks.check_scoring_rule(bernoulli_loss")

        def answer_with(body: str) -> str:
            typed = notebook.replace_source(answer, ANSWER_HEADER + body)
            assert typed.rstrip() == (ANSWER_HEADER + body).rstrip(), f"the editor holds {typed!r}"
            notebook.run_cell(answer)
            notebook.run_cell(check)
            return "\n".join(check.locator(".jp-OutputArea-output").all_text_contents()).strip()

        message = answer_with(WRONG_ANSWER)
        errors = notebook.errors()
        assert len(errors) == 1 and "CheckFailed" in errors[0], errors
        assert "bernoulli_loss" in message and "large logits" in message and "overflows" in message, (
            f"the check should say the loss overflows on large logits: {message!r}")
        assert "Traceback" not in message and "\n" not in message, (
            f"the check should print one sentence, not a traceback: {message!r}")
        answer.evaluate("cell => cell.scrollIntoView({block: 'start'})")
        screenshots.take(page, "exercise_01_wrong_answer")

        message = answer_with(RIGHT_ANSWER)
        assert not notebook.errors(), notebook.errors()
        assert message.startswith("✓"), message
        answer.evaluate("cell => cell.scrollIntoView({block: 'start'})")
        screenshots.take(page, "exercise_01_right_answer")
    page.close()
