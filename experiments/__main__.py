"""``python -m experiments STUDY [options]``: run one study (its ``main(argv)``)."""
import importlib
import sys

from . import STUDIES


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in STUDIES:
        print(f"usage: python -m experiments STUDY [options]   (STUDY: {', '.join(STUDIES)}; STUDY --help)",
              file=sys.stderr if argv and argv[0] not in ("-h", "--help") else sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return importlib.import_module(f"experiments.{argv[0]}").main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
