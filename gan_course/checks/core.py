"""What every check shares: the failure type, calling the learner's code, plain display.

A check compares the learner's function with the course's reference on fixed
inputs. It prints one line when the answer is right. When it is wrong, it
raises :class:`CheckFailed` with one plain sentence: what differs, on which
input, and a hint. When the task is still blank, it raises
``NotImplementedError`` saying so. In a notebook these show as that one
sentence, not as a traceback, and so does a blank reached from any other cell:
it names the function still to write.
"""

from __future__ import annotations

import math

import torch

from gan_course import losses

Tensor = torch.Tensor


class CheckFailed(AssertionError):
    """A learner's answer differs from the reference."""


def plain(error: BaseException) -> BaseException:
    error.gan_course_plain = True  # shown without a traceback in IPython
    return error


def not_implemented(name: str, rerun: str = "this check") -> NotImplementedError:
    return plain(NotImplementedError(
        f"`{name}` is not implemented yet: replace `raise NotImplementedError()` with your code, "
        f"run that cell, then run {rerun} again."))


def blank_left_in_notebook(shell, value: NotImplementedError, tb) -> NotImplementedError | None:
    """The one sentence for an exercise's blank, a bare ``raise NotImplementedError()`` written in
    a notebook cell, reached from any cell (a check, a demonstration that uses the learner's
    functions, the learner's own); None for any other NotImplementedError, such as a library's,
    which has a message or is raised outside the notebook."""
    if value.args or tb is None:
        return None
    while tb.tb_next is not None:  # the frame that raised
        tb = tb.tb_next
    frame = tb.tb_frame
    if frame.f_globals is not getattr(shell, "user_ns", None):  # not code the notebook defined
        return None
    if frame.f_code.co_name == "<module>":  # the blank is in the cell that was run
        return plain(NotImplementedError(
            "this cell's task is not answered yet: replace `raise NotImplementedError()` with your "
            "code, then run the cell again."))
    return not_implemented(frame.f_code.co_name, rerun="this cell")


def failed(message: str) -> CheckFailed:
    return plain(CheckFailed(message))


def call(function, name: str, *args):
    """Call the learner's function, turning its crashes into one sentence.

    Tensors go in as copies (still in the autograd graph of the originals), so that an answer
    that changes its input in place cannot change the inputs the check then computes from."""
    try:
        return function(*(arg.clone() if torch.is_tensor(arg) else arg for arg in args))
    except NotImplementedError:
        raise not_implemented(name) from None
    except Exception as error:  # the learner's code, any failure
        raise failed(f"`{name}` raised {type(error).__name__}: {first_line(error)} "
                      f"(inputs: {describe(args)}).") from None


SHOWN_VALUES = 8        # a tensor with more values is described by its shape
SHOWN_CHARACTERS = 160  # an error's own message, cut to this many characters


def first_line(error: BaseException) -> str:
    """An error's message on one line: PyTorch's run on over several, with advice of its own."""
    lines = str(error).strip().splitlines() or [""]
    text = lines[0].rstrip(".")
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS - 1] + "…"


def describe(args) -> str:
    """The inputs a message names, each short and on one line: a small tensor's values, to four
    significant digits (so that 1e-06 does not read as 0), a larger one's shape, a network or an
    optimiser by its type."""
    parts = []
    for arg in args:
        if torch.is_tensor(arg):
            values = arg.detach().flatten().tolist()
            parts.append(f"tensor([{', '.join(f'{v:.4g}' for v in values)}])" if len(values) <= SHOWN_VALUES
                         else f"a tensor of shape {tuple(arg.shape)}")
        elif isinstance(arg, (torch.nn.Module, torch.optim.Optimizer)):
            parts.append(f"a {type(arg).__name__}")
        else:
            text = " ".join(repr(arg).split())
            parts.append(text if len(text) <= 60 else text[:59] + "…")
    return ", ".join(parts)


def as_number(value, name: str) -> float:
    if isinstance(value, losses.Loss):
        value = value.discriminator
    if torch.is_tensor(value):
        if value.numel() != 1:
            raise failed(f"`{name}` returned a tensor of shape {tuple(value.shape)}; "
                          "it should return one number: average over the samples with .mean().")
        return float(value.detach())
    if isinstance(value, (int, float)):
        return float(value)
    raise failed(f"`{name}` returned {type(value).__name__}; it should return a scalar tensor.")


def must_carry_gradients(value, name: str, inputs: str, use: str) -> None:
    """Fail unless the learner's right number is still a tensor in the autograd graph of ``inputs``:
    ``use`` (what training does with it) needs its gradient."""
    if not (torch.is_tensor(value) and value.requires_grad):
        raise failed(f"`{name}` returns the right number, but detached from {inputs}, so {use}. "
                     "Hint: return the tensor itself, without .item(), float() or .detach().")


def must_match_gradients(value, reference: Tensor, inputs: dict, name: str, use: str,
                         exact: bool = False) -> None:
    """Fail unless a gradient reaches each input that the reference's gradient reaches (with
    ``exact``, unless the gradients are the reference's: for weights that both terms share).

    A term right in value but cut from its input (a .detach() on one of two terms) leaves the
    loss in the graph of the other, so ``must_carry_gradients`` passes it; its gradient, zero
    where the reference's is not, shows it. (Only zero against non-zero: at a kink, such as the
    hinge's, a right answer may pick another subgradient.) ``value`` and ``reference`` are
    scalars computed from the same ``inputs``, {name: a tensor or a list of tensors} that
    require grad.
    """
    value = value.discriminator if isinstance(value, losses.Loss) else value
    if not (torch.is_tensor(value) and value.requires_grad):
        return  # must_carry_gradients says so
    groups = {label: list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
              for label, tensors in inputs.items()}
    flat = [tensor for tensors in groups.values() for tensor in tensors]
    got = torch.autograd.grad(value, flat, allow_unused=True, retain_graph=True)
    expected = torch.autograd.grad(reference, flat, allow_unused=True, retain_graph=True)
    reaches = [gradient is not None and bool(gradient.abs().sum() > 0) for gradient in got]
    needed = [gradient is not None and bool(gradient.abs().sum() > 0) for gradient in expected]
    position = 0
    for label, tensors in groups.items():
        count = len(tensors)
        differs = exact and not all(
            torch.allclose(torch.zeros_like(tensor) if mine is None else mine,
                           torch.zeros_like(tensor) if right is None else right, rtol=1e-4, atol=1e-6)
            for tensor, mine, right in zip(tensors, got[position:position + count],
                                           expected[position:position + count]))
        cut = any(needed[position:position + count]) and not any(reaches[position:position + count])
        if differs or cut:
            what = "not the right gradient" if differs else "no gradient"
            raise failed(f"`{name}` gives the right number, but {what} reaches {label}, so "
                         f"{use}. Hint: every term computed from {label} must stay in the autograd "
                         "graph (no .detach(), .item() or float() on it).")
        position += count


def close(got: float, expected: float, tolerance: float = 1e-4) -> bool:
    return math.isfinite(got) and abs(got - expected) <= tolerance * max(1.0, abs(expected))


def show_plainly(shell, etype, value, tb, tb_offset=None):
    """IPython handler: one sentence for the course's check messages, a traceback otherwise.

    IPython ignores a custom handler's return value, so the handler displays the
    error itself; ``_showtraceback`` is what the kernel uses to send an error.
    """
    if isinstance(value, NotImplementedError) and not getattr(value, "gan_course_plain", False):
        value = blank_left_in_notebook(shell, value, tb) or value
        etype = type(value)
    if getattr(value, "gan_course_plain", False):
        shell._showtraceback(etype, value, [f"{etype.__name__}: {value}"])
    else:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def install_plain_display() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((CheckFailed, NotImplementedError), show_plainly)


