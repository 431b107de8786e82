"""``python -m gan_course``: the ``gan-course`` command line (see ``gan_course.experiments.cli``)."""

from gan_course.experiments.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
