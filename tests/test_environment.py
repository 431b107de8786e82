"""The three dependency lists stay in step: pyproject.toml, environment.yml, constraints.txt."""

import re
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}  # PyPI name -> conda-forge name
NOT_PACKAGES = {"python", "pip"}  # conda entries with no pyproject counterpart

# name, then an optional single lower bound such as ">=2.4" (pip) or ">=2.4" (conda)
SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:(>=|==|=)\s*([0-9][0-9A-Za-z.+]*))?\s*$")


def normalize(name: str) -> str:
    """PEP 503 style: lowercase, with runs of '-', '_' and '.' made one '-'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(spec: str) -> tuple[str, str | None, str | None]:
    match = SPEC.match(spec)
    assert match, f"cannot parse the requirement {spec!r}"
    name, operator, version = match.groups()
    return normalize(name), operator, version


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0]))


@pytest.fixture(scope="module")
def pyproject_specs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])


@pytest.fixture(scope="module")
def pyproject_bounds(pyproject_specs):
    """{normalized conda-side name: lower bound} from pyproject.toml."""
    bounds = {}
    for spec in pyproject_specs:
        name, operator, version = parse(spec)
        assert operator == ">=", f"pyproject.toml should give a lower bound: {spec!r}"
        assert name not in bounds, f"{name} is listed twice in pyproject.toml"
        bounds[name] = version
    return bounds


@pytest.fixture(scope="module")
def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


@pytest.fixture(scope="module")
def conda_bounds(environment):
    bounds = {}
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):  # the pip: sub-list
            continue
        name, operator, version = parse(entry)
        if name in NOT_PACKAGES:
            continue
        assert operator == ">=", f"environment.yml should give a lower bound: {entry!r}"
        assert name not in bounds, f"{name} is listed twice in environment.yml"
        bounds[name] = version
    return bounds


@pytest.fixture(scope="module")
def constraints():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, operator, version = parse(line)
        assert operator == "==", f"constraints.txt should pin exactly: {line!r}"
        assert name not in pins, f"{name} is pinned twice in constraints.txt"
        pins[name] = version
    return pins


def to_conda(name: str) -> str:
    return CONDA_NAMES.get(name, name)


def test_parse_helpers():
    assert parse("torch>=2.4") == ("torch", ">=", "2.4")
    assert parse("python=3.11") == ("python", "=", "3.11")
    assert parse("PyYAML==6.0.3") == ("pyyaml", "==", "6.0.3")
    assert parse("pip") == ("pip", None, None)
    assert normalize("ipython_pygments_lexers") == normalize("IPython-Pygments.Lexers")
    assert version_tuple("2.13.0+cpu") == (2, 13, 0)
    assert version_tuple("2.4") < version_tuple("2.13.0")


def test_pyproject_and_environment_name_the_same_packages(pyproject_bounds, conda_bounds):
    from_pyproject = {to_conda(name) for name in pyproject_bounds}
    assert from_pyproject == set(conda_bounds), (
        f"only in pyproject.toml: {sorted(from_pyproject - set(conda_bounds))}; "
        f"only in environment.yml: {sorted(set(conda_bounds) - from_pyproject)}"
    )


def test_pyproject_and_environment_have_the_same_lower_bounds(pyproject_bounds, conda_bounds):
    mismatched = {
        name: (version, conda_bounds.get(to_conda(name)))
        for name, version in pyproject_bounds.items()
        if conda_bounds.get(to_conda(name)) != version
    }
    assert not mismatched, f"pyproject vs environment.yml lower bounds differ: {mismatched}"


def test_torch_is_called_pytorch_in_conda(pyproject_bounds, conda_bounds):
    assert "torch" in pyproject_bounds and "pytorch" in conda_bounds
    assert "torch" not in conda_bounds
    assert pyproject_bounds["torch"] == conda_bounds["pytorch"] == "2.4"


def test_environment_installs_the_package_with_pip(environment):
    names = [entry for entry in environment["dependencies"] if isinstance(entry, str)]
    assert "pip" in names
    pip_lists = [entry["pip"] for entry in environment["dependencies"] if isinstance(entry, dict)]
    assert pip_lists == [["-e ."]]
    assert environment["channels"] == ["conda-forge"]


def test_environment_python_meets_requires_python(environment):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floor = version_tuple(project["requires-python"])
    entries = [parse(e) for e in environment["dependencies"] if isinstance(e, str)]
    pythons = [entry for entry in entries if entry[0] == "python"]
    assert len(pythons) == 1
    assert version_tuple(pythons[0][2]) >= floor


def test_constraints_pin_torch_exactly(constraints):
    assert constraints["torch"] == "2.13.0"


def test_constraints_pin_every_direct_dependency(pyproject_bounds, constraints):
    missing = sorted(name for name in pyproject_bounds if name not in constraints)
    assert not missing, f"not pinned in constraints.txt: {missing}"


def test_constraints_satisfy_the_lower_bounds(pyproject_bounds, constraints):
    too_old = {
        name: (constraints[name], bound)
        for name, bound in pyproject_bounds.items()
        if name in constraints and version_tuple(constraints[name]) < version_tuple(bound)
    }
    assert not too_old, f"pins below pyproject's lower bounds (pin, bound): {too_old}"
