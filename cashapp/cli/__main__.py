"""``python -m cashapp.cli``: the same entry point as the ``cashapp`` console script."""

from cashapp.cli import main

if __name__ == "__main__":
    main()
