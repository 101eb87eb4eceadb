"""Allow ``python -m socialhub``."""

from socialhub.cli.main import main

if __name__ == "__main__":
    main()
