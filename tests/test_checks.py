"""The exercise checks: a ✓ for right answers, one plain sentence otherwise."""

import math

import nbformat
import pytest
import torch
import torch.nn.functional as F

from gan_course import checks, losses
from gan_course.authoring import run_in_kernel


def reference_bernoulli(logits_real, logits_fake, prior=0.5):
    return losses.bernoulli(logits_real, logits_fake, prior).discriminator


def naive_bernoulli(logits_real, logits_fake, prior=0.5):
    # log(1 + e^l) overflows to inf for large l in float32
    return (prior * torch.log1p(torch.exp(-logits_real)).mean()
            + (1 - prior) * torch.log1p(torch.exp(logits_fake)).mean())


def unweighted_bernoulli(logits_real, logits_fake, prior=0.5):
    return 0.5 * F.softplus(-logits_real).mean() + 0.5 * F.softplus(logits_fake).mean()


def blank(*args):
    raise NotImplementedError()


def crashes(logits_real, logits_fake, prior=0.5):
    return logits_real + "oops"


def one_sentence(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("rule", ["bernoulli", "brier", "hinge", "exponential", "spherical"])
def test_reference_rules_pass_visible_and_hidden_checks(rule, capsys):
    function = lambda a, b, p: losses.get_scoring_rule(rule)(a, b, p).discriminator  # noqa: E731
    checks.check_scoring_rule(function, rule)
    checks.check_scoring_rule(function, rule, hidden=True)
    assert capsys.readouterr().out.count("✓") == 2


def test_wrong_prior_weighting_is_caught_with_the_input_and_a_hint():
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_scoring_rule(unweighted_bernoulli, "bernoulli")
    message = one_sentence(failed.value)
    assert "prior=0.8" in message and "Hint" in message


def naive_log_sigmoid_bernoulli(logits_real, logits_fake, prior=0.5):
    # what the task says not to write: 1 - σ(l) rounds to 0 for large l in float32
    return (prior * -torch.log(torch.sigmoid(logits_real)).mean()
            + (1 - prior) * -torch.log(1 - torch.sigmoid(logits_fake)).mean())


@pytest.mark.parametrize("naive", [naive_bernoulli, naive_log_sigmoid_bernoulli])
@pytest.mark.parametrize("hidden", [False, True])
def test_overflowing_implementations_fail_the_visible_and_the_hidden_check(naive, hidden):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_scoring_rule(naive, "bernoulli", hidden=hidden)
    assert "overflow" in one_sentence(failed.value) and "softplus" in str(failed.value)


@pytest.mark.parametrize("wrong", [
    lambda a, b, p: p * F.softplus(-a).sum() + (1 - p) * F.softplus(b).sum(),  # sums
    lambda a, b, p: p * F.softplus(b).mean() + (1 - p) * F.softplus(-a).mean(),  # swapped
    lambda a, b, p: (1 - p) * F.softplus(-a).mean() + p * F.softplus(b).mean(),  # prior swapped
    lambda a, b, p: p * F.softplus(a).mean() + (1 - p) * F.softplus(-b).mean(),  # signs
])
def test_the_visible_check_catches_common_wrong_bernoulli_losses(wrong):
    with pytest.raises(checks.CheckFailed):
        checks.check_scoring_rule(wrong, "bernoulli")


def test_blank_task_says_not_implemented_yet():
    with pytest.raises(NotImplementedError) as raised:
        checks.check_scoring_rule(blank, "brier")
    assert "not implemented yet" in one_sentence(raised.value)
    assert raised.value.gan_course_plain


def test_crashing_code_becomes_one_sentence():
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_scoring_rule(crashes, "hinge")
    assert "raised" in one_sentence(failed.value)


def test_a_per_sample_tensor_instead_of_a_mean_is_explained():
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_scoring_rule(lambda a, b, p: F.softplus(-a), "bernoulli")
    assert ".mean()" in one_sentence(failed.value)


def test_log_ratio_check():
    checks.check_log_ratio_from_logits(losses.ratio_from_logits)
    checks.check_log_ratio_from_logits(losses.ratio_from_logits, hidden=True)
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_log_ratio_from_logits(lambda logits, prior: logits)
    assert "prior odds" in one_sentence(failed.value)


@pytest.mark.parametrize("rule", ["bernoulli", "hinge"])
def test_a_right_loss_detached_from_the_logits_fails_the_visible_check(rule):
    def detached(a, b, p):
        return losses.get_scoring_rule(rule)(a, b, p).discriminator.item()

    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_scoring_rule(detached, rule)
    assert "detached from the logits" in one_sentence(failed.value)


def test_a_bulk_error_that_ignores_its_threshold_fails_the_visible_check():
    def default_threshold(estimated, true, threshold=3.0):
        return (estimated - true)[true.abs() <= 3.0].abs().mean()

    with pytest.raises(checks.CheckFailed):
        checks.check_bulk_error(default_threshold)


def test_bulk_error_check_recognises_averaging_over_everything():
    def everywhere(estimated, true, threshold=3.0):
        return (estimated - true).abs().mean()

    def correct(estimated, true, threshold=3.0):
        return (estimated - true)[true.abs() <= threshold].abs().mean()

    checks.check_bulk_error(correct)
    checks.check_bulk_error(correct, hidden=True)
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_bulk_error(everywhere)
    assert "every point" in one_sentence(failed.value)


def test_ratio_estimate_check_uses_the_tolerance():
    true = torch.linspace(-2.0, 2.0, 100)
    checks.check_ratio_estimate(true + 0.1, true)
    with pytest.raises(checks.CheckFailed):
        checks.check_ratio_estimate(true + 0.5, true)


def test_plain_display_shows_one_line_for_course_errors_only():
    class RecordingShell:
        def __init__(self):
            self.shown = []

        def _showtraceback(self, etype, value, stb):
            self.shown.append(stb)

        def showtraceback(self, exc_tuple, tb_offset=None):
            self.shown.append("full traceback")

    shell = RecordingShell()
    plain = checks.core.failed("answer differs")
    checks.core.show_plainly(shell, type(plain), plain, None)
    checks.core.show_plainly(shell, ValueError, ValueError("a bug"), None)
    assert shell.shown == [["CheckFailed: answer differs"], "full traceback"]


def errors_in_a_kernel(cells: list[str], folder) -> list[list]:
    """Run ``cells`` as one notebook in ``folder``, errors allowed; each cell's error outputs."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in cells])
    run_in_kernel(notebook, folder, timeout=120, allow_errors=True)
    return [[o for o in cell.outputs if o.output_type == "error"] for cell in notebook.cells]


def test_a_blank_reached_from_any_cell_shows_one_sentence_naming_its_function(tmp_path):
    """A cell that uses a learner's blank function (a demonstration, the learner's own cell), or
    a blank at a cell's top level, shows one sentence; a library's NotImplementedError keeps its
    traceback."""
    cells = ["import gan_course.checks",
             "def bernoulli_loss(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
             "def demonstration():\n    return bernoulli_loss(1.0)\n\ndemonstration()",
             "r = 1e-3\n# YOUR CODE HERE\nraise NotImplementedError()",
             "raise NotImplementedError('a library says why')",
             "import library\nlibrary.abstract()"]
    (tmp_path / "library.py").write_text("def abstract():\n    raise NotImplementedError()\n")
    errors = errors_in_a_kernel(cells, tmp_path)
    assert [len(e) for e in errors] == [0, 0, 1, 1, 1, 1]
    assert errors[2][0].traceback == [
        "NotImplementedError: `bernoulli_loss` is not implemented yet: replace `raise NotImplementedError()` "
        "with your code, run that cell, then run this cell again."]
    assert errors[3][0].traceback == [
        "NotImplementedError: this cell's task is not answered yet: replace `raise NotImplementedError()` "
        "with your code, then run the cell again."]
    assert len(errors[4][0].traceback) > 1 and errors[4][0].evalue == "a library says why"
    assert len(errors[5][0].traceback) > 1 and "library.py" in "".join(errors[5][0].traceback)


def test_a_value_a_stopped_cell_never_set_is_named_in_one_sentence(tmp_path):
    """After a blank stops a demonstration, the next cells' NameError for what it would have set
    says so; a name no cell ran to set, a library's NameError and an unbound local keep their
    traceback."""
    cells = ["import gan_course.checks",
             "def bernoulli_loss(x):\n    raise NotImplementedError()",
             "with open('library.py') as f:\n    loss, (first, *rest) = bernoulli_loss(1.0), [1, 2]",
             "print(loss)",
             "print(rest)",
             "print(typo)",
             "import library\nlibrary.uses_a_global()",
             "def local():\n    loss += 1\n\nlocal()"]
    (tmp_path / "library.py").write_text("def uses_a_global():\n    return loss\n")
    errors = errors_in_a_kernel(cells, tmp_path)
    assert [len(e) for e in errors] == [0, 0, 1, 1, 1, 1, 1, 1]
    for cell, name in ((3, "loss"), (4, "rest")):
        assert errors[cell][0].traceback == [
            f"NameError: `{name}` is not set: the cell that sets it stopped with an error before it got "
            "there; mend that error, run that cell again, then this one."]
    for cell in (5, 6, 7):
        assert len(errors[cell][0].traceback) > 1, errors[cell][0].traceback


@pytest.mark.parametrize(("source", "names"), [
    ("a = 1\nb, (c, *d) = f()\ne += 1\nf: int = 2", {"a", "b", "c", "d", "e", "f"}),
    ("for i in range(3):\n    with g() as h:\n        j = i", {"i", "h", "j"}),
    ("import numpy.linalg\nimport torch as th\nfrom math import pi, tau as t", {"numpy", "th", "pi", "t"}),
    ("def k(x):\n    y = x\n\nclass L:\n    z = 1\n\nw = [v for v in range(2)]\nu = lambda q: q",
     {"k", "L", "w", "u"}),
    ("if (n := 3) > 2:\n    pass", {"n"}),
    ("a = (", set()),
])
def test_names_a_cell_sets_are_those_it_defines_in_the_notebook(source, names):
    assert checks.core.names_a_cell_sets(source) == names


def bernoulli_from_probabilities(logits_real, logits_fake, prior=0.5):
    """Binary cross-entropy on σ(l): finite, as PyTorch clamps its logs at −100, but 100 at l = −150."""
    real, fake = torch.sigmoid(logits_real), torch.sigmoid(logits_fake)
    return (prior * F.binary_cross_entropy(real, torch.ones_like(real))
            + (1 - prior) * F.binary_cross_entropy(fake, torch.zeros_like(fake)))


@pytest.mark.parametrize("side", ["real", "fake"])
def test_a_loss_with_one_class_detached_fails_the_visible_check(side):
    def one_detached(a, b, p):
        a, b = (a.detach(), b) if side == "real" else (a, b.detach())
        return reference_bernoulli(a, b, p)

    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_scoring_rule(one_detached, "bernoulli")
    assert f"no gradient reaches logits_{side}" in one_sentence(failed.value)


def test_binary_cross_entropy_on_probabilities_fails_the_visible_check():
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_scoring_rule(bernoulli_from_probabilities, "bernoulli")
    assert "clamped" in one_sentence(failed.value)


def test_an_answer_that_changes_its_input_in_place_is_judged_on_what_it_returns():
    def in_place(logits, prior):
        logits -= math.log(prior / (1 - prior))
        return logits

    checks.check_log_ratio_from_logits(in_place)


def test_a_crash_on_large_inputs_is_one_short_sentence():
    def crashes_on_a_network(generator, discriminator, optimizer, loss, noise):
        return discriminator(noise @ torch.ones(3, 3))

    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_generator_step(crashes_on_a_network)
    message = one_sentence(failed.value)
    assert "raised RuntimeError" in message and "a Sequential" in message and len(message) < 400


def test_a_hinge_loss_with_another_subgradient_at_its_kink_passes():
    def hinge_by_clamp(logits_real, logits_fake, prior=0.5):  # clamp's gradient at the kink is 1, relu's 0
        return (prior * (1 - logits_real).clamp(min=0).mean()
                + (1 - prior) * (1 + logits_fake).clamp(min=0).mean())

    checks.check_scoring_rule(hinge_by_clamp, "hinge")
    checks.check_scoring_rule(hinge_by_clamp, "hinge", hidden=True)
