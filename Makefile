# The course's commands. `make lab` to learn, `make test` to check everything.
# Both build .venv from scratch on first use; later runs reuse it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := gan-course
PORT   ?= 8888
LAB_ARGS ?=

# Jupyter refuses to run as root unless told that this is intended.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

NOTEBOOKS := $(wildcard notebooks/*.ipynb) $(wildcard solutions/*.ipynb)

.PHONY: lab test browser-test exercises course notebooks bench install lint clean

# Reinstall only when the declared or pinned dependencies change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (gan-course)"
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter-lab --ip=127.0.0.1 --port=$(PORT) $(ROOT_FLAG) $(LAB_ARGS) \
		--ServerApp.default_url=/lab/tree/notebooks/00_welcome.ipynb

test: $(STAMP)
	GAN_COURSE_QUICK=1 $(BIN)/python -m pytest tests notebooks solutions -m "not browser" \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=300 -p no:cacheprovider

# JupyterLab in headless Chromium (/usr/bin/chromium, from apt): lessons 00, 04 and 08,
# the player, the lab and exercise 01, on copies of the notebooks (tests/browser).
browser-test: $(STAMP)
	$(BIN)/python -m pytest tests/browser -m browser -p no:cacheprovider

# An nbgrader course folder (course/) built from solutions/: see the README's instructor notes.
course: $(STAMP)
	$(BIN)/python -m gan_course.authoring course course

# exercises/ is generated from solutions/ by nbgrader's preprocessors.
exercises: $(STAMP)
	$(BIN)/python -m gan_course.authoring exercises

# Re-execute lectures and solutions in full mode and store their outputs.
notebooks: $(STAMP)
	$(BIN)/python -m gan_course.authoring execute $(NOTEBOOKS)
	$(MAKE) exercises

bench: $(STAMP)
	$(BIN)/python benchmarks/notebook_times.py

lint: $(STAMP)
	$(BIN)/ruff check gan_course tests benchmarks pilots

clean:
	rm -rf $(VENV) .pytest_cache
