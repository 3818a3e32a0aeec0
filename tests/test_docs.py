"""Every snippet in the README and docs/ runs as written.

```python blocks are executed (each file's blocks in order, in one namespace, in
a scratch directory that has the repository's examples/); ```console blocks
are run line by line as shell commands with this interpreter's ``fastinit``
on the PATH. Indented blocks (the Quick start's set-up commands) are what
.ci/run executes itself.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(path, lang):
    return [body for kind, body in FENCE.findall(path.read_text()) if kind == lang]


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_python_snippets_run(doc, scratch):
    code = blocks(doc, "python")
    # Snippets of the optional adapters need their peers (the test extra has them).
    for marker, module in (("fastinit.dask", "dask"), ("keras", "keras"), ("jax", "jax"),
                           ("flax", "flax")):
        if any(marker in c for c in code):
            pytest.importorskip(module)
    namespace = {}
    for i, block in enumerate(code):
        exec(compile(block, f"{doc.name}[python {i}]", "exec"), namespace)


@pytest.mark.parametrize("doc", [d for d in DOCS if blocks(d, "console")], ids=lambda p: p.name)
def test_console_snippets_run(doc, scratch):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    for block in blocks(doc, "console"):
        for line in block.splitlines():
            r = subprocess.run(line, shell=True, capture_output=True, text=True, env=env,
                               timeout=600)
            assert r.returncode == 0, f"{line}\n{r.stderr[-2000:]}"


def test_the_readme_has_python_and_console_snippets():
    # The two tests above must have something to run.
    readme = ROOT / "README.md"
    assert len(blocks(readme, "python")) >= 3 and blocks(readme, "console")


def test_readme_is_short_and_links_the_internals():
    text = (ROOT / "README.md").read_text()
    assert len(text.encode()) <= 14_000
    for link in re.findall(r"\]\(((?:docs/)?[\w./-]+)\)", text):
        assert (ROOT / link).exists(), link
