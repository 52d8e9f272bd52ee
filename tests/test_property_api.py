"""The property API of contract section 6: ``networks()`` varies the shape
only, every field takes a value or a strategy, a one-unit softmax is never
drawn, and the contract's own example passes as written under Hypothesis's
default settings (its 200 ms deadline included) for a correct backprop.
"""

import os
import re
import subprocess
import sys

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from symbp.network import Network
from symbp.strategies import all_networks, networks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MY_GRADS = '''
import numpy as np


def my_grads(params, x, y):
    """A textbook backprop: column layout, tanh hidden layers, identity output,
    half_sse, mean over the batch, with biases."""
    L = sum(1 for key in params if key.startswith("W"))
    m = x.shape[1]
    acts = [x]
    for l in range(1, L + 1):
        z = params[f"W{l}"] @ acts[-1] + params[f"b{l}"]
        acts.append(np.tanh(z) if l < L else z)
    delta = (acts[L] - y) / m
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = delta @ acts[l - 1].T
        grads[f"b{l}"] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (params[f"W{l}"].T @ delta) * (1 - acts[l - 1] ** 2)
    return grads

'''


def contract_example(path: str) -> str:
    """The property-based example of a contract's section 6, as written there."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("## 6.")[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    return next(block for block in blocks if "@given(networks(" in block)


def test_docs_contract_has_the_shared_contracts_example():
    shared = "/work/shared/spec/contract.md"
    if not os.path.exists(shared):
        pytest.skip("the shared contract is not on this machine")
    assert contract_example(os.path.join(ROOT, "docs", "contract.md")) == \
        contract_example(shared)


def test_the_contracts_example_passes_as_written_under_plain_pytest(tmp_path):
    example = contract_example(os.path.join(ROOT, "docs", "contract.md"))
    assert "settings" not in example       # Hypothesis's defaults, deadline included
    (tmp_path / "test_example.py").write_text(MY_GRADS + example)
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("CI", None)   # not Hypothesis's ci profile either: its defaults
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-W", "ignore::DeprecationWarning", "test_example.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout


@settings(max_examples=40)
@given(networks(hidden="tanh", output="identity", loss="half_sse", layout="column"))
def test_networks_vary_the_shape_only(net):
    defaults = Network(layers=[1, 1])
    assert (net.hidden, net.output, str(net.loss), net.layout) == \
        ("tanh", "identity", "half_sse", "column")
    for field in ("reduction", "bias", "targets", "l2"):
        assert getattr(net, field) == getattr(defaults, field)
    assert 1 <= net.depth <= 4 and max(net.layers) <= 5 and net.batch <= 4


@settings(max_examples=30)
@given(networks(hidden=st.sampled_from(["tanh", "relu"]), depth=2, max_width=8,
                batch=st.integers(2, 3), l2=st.sampled_from([0.0, 0.5])))
def test_every_field_takes_a_value_or_a_strategy(net):
    assert net.hidden in ("tanh", "relu") and net.depth == 2
    assert max(net.layers) <= 8 and net.batch in (2, 3) and net.l2 in (0.0, 0.5)


def test_the_drawn_fields_cover_what_they_may_be():
    seen = set()

    @settings(max_examples=60, database=None)
    @given(networks(hidden=st.sampled_from(["tanh", "relu"])))
    def collect(net):
        seen.add(net.hidden)
    collect()
    assert seen == {"tanh", "relu"}


@settings(max_examples=60)
@given(all_networks(max_width=2, output="softmax"))
def test_a_one_unit_softmax_is_never_drawn(net):
    assert net.layers[-1] >= 2 and net.untestable() is None


def test_unknown_fields_are_a_type_error():
    with pytest.raises(TypeError, match="unknown fields"):
        find(networks(hiden="tanh"), lambda _net: True)
