"""Allow ``python -m socialhub``."""

from socialhub.cli.entry import main

if __name__ == "__main__":
    main()
