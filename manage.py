#!/usr/bin/env python
"""Django's manage.py, for developers used to it; `tutela` is the same thing."""

from tutela.cli import main

if __name__ == "__main__":
    main()
