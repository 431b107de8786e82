"""What every check shares: the failure type, calling the learner's code, plain display.

A check compares the learner's function with the course's reference on fixed
inputs. It prints one line when the answer is right. When it is wrong, it
raises :class:`CheckFailed` with one plain sentence: what differs, on which
input, and a hint. When the task is still blank, it raises
``NotImplementedError`` saying so. In a notebook these show as that one
sentence, not as a traceback, and so does a blank reached from any other cell:
it names the function still to write. So does the ``NameError`` that follows in
the next cells, for a value that the stopped cell never set.
"""

from __future__ import annotations

import ast
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


def raised_in_notebook_code(shell, tb) -> bool:
    """Whether the innermost frame of ``tb`` runs code the notebook defined (a cell or its
    functions), not a library's."""
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals is getattr(shell, "user_ns", None)


def blank_left_in_notebook(shell, value: NotImplementedError, tb) -> NotImplementedError | None:
    """The one sentence for an exercise's blank, a bare ``raise NotImplementedError()`` written in
    a notebook cell, reached from any cell (a check, a demonstration that uses the learner's
    functions, the learner's own); None for any other NotImplementedError, such as a library's,
    which has a message or is raised outside the notebook."""
    if value.args or not raised_in_notebook_code(shell, tb):
        return None
    while tb.tb_next is not None:  # the frame that raised
        tb = tb.tb_next
    frame = tb.tb_frame
    if frame.f_code.co_name == "<module>":  # the blank is in the cell that was run
        return plain(NotImplementedError(
            "this cell's task is not answered yet: replace `raise NotImplementedError()` with your "
            "code, then run the cell again."))
    return not_implemented(frame.f_code.co_name, rerun="this cell")


def names_a_cell_sets(source: str) -> set[str]:
    """The names that running ``source`` as a notebook cell defines in the notebook: assigned,
    looped over, imported, or defined by ``def`` and ``class``, not those local to a function,
    class or comprehension inside it. Empty for a cell with a syntax error."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return  # what the body assigns is its own
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def unset_by_a_stopped_cell(shell, value: NameError, tb) -> NameError | None:
    """The one sentence for a name that an earlier cell, already run, would have set had it not
    stopped with an error (the demonstration after a blank task, say); None for any other
    NameError, such as a typo or a cell not run yet, which keeps its traceback."""
    name = getattr(value, "name", None)
    if (isinstance(value, UnboundLocalError) or name is None or not raised_in_notebook_code(shell, tb)
            or name in shell.user_ns):
        return None
    ran_before = shell.user_ns.get("In", [])[:-1]  # IPython's inputs, this cell last
    if not any(name in names_a_cell_sets(source) for source in ran_before):
        return None
    return plain(NameError(
        f"`{name}` is not set: the cell that sets it stopped with an error before it got there; "
        "mend that error, run that cell again, then this one."))


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
    elif isinstance(value, NameError):
        value = unset_by_a_stopped_cell(shell, value, tb) or value
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
        shell.set_custom_exc((CheckFailed, NotImplementedError, NameError), show_plainly)


