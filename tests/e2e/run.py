#!/usr/bin/env python3
"""Runs pail's end-to-end suite with the image's python3 (boto3, awscli) plus
Debian's pytest/pandas, which live in /usr/lib/python3/dist-packages.

That directory is APPENDED to sys.path (never PYTHONPATH, which prepends it:
Debian's older urllib3/requests/boto3 would then shadow the image's).

    PAIL_BIN=/abs/path/build/asan/pail python3 tests/e2e/run.py tests/e2e [pytest args]
    PAIL_TEST_ENDPOINT=http://127.0.0.1:9000 PAIL_TEST_ACCESS_KEY=... \
        PAIL_TEST_SECRET_KEY=... python3 tests/e2e/run.py tests/e2e -k multipart

Exits with pytest's code (5 when nothing was collected).
"""
import re
import sys

DIST = "/usr/lib/python3/dist-packages"
if DIST not in sys.path:
    sys.path.append(DIST)


def _version(text):
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


def main(argv):
    try:
        import boto3
    except ImportError:
        sys.exit("run.py: boto3 is missing: run this with the image's python3 "
                 "(pyenv), not /usr/bin/python3")
    if boto3.__file__.startswith(DIST) or _version(boto3.__version__) < (1, 36):
        sys.exit("run.py: need boto3 >= 1.36 from the image's python3, got %s at %s"
                 " (is python3-boto3 installed or PYTHONPATH set?)"
                 % (boto3.__version__, boto3.__file__))
    try:
        import pytest
    except ImportError:
        sys.exit("run.py: pytest is missing: apt-get install python3-pytest "
                 "python3-pytest-timeout python3-pandas")
    args = ["-p", "no:cacheprovider", "-q", "-rfE", "--timeout=300"] + argv
    return int(pytest.main(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
