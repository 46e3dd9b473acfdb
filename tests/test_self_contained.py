import re

from .conftest import ROOT

OUTSIDE = re.compile(r"\.\./shared|[\"']shared[\"']\s*/|/\s*[\"']shared[\"']|parents\[[3-9]\]")


def test_no_test_reads_anything_beside_the_clone():
    # A clone of the repository alone must pass `make test`: nothing from the shared folder or
    # any other folder above the repository.
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path.name != "test_self_contained.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []
