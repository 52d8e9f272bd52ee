"""What ``scripts/fuzz_cli.py`` draws from: option values, formulas, claims
files, user files for ``grade`` and ``grade-layers``, output targets, all as
a hostile or careless user would give them.

Each pool mixes values symbp should accept with values it must refuse in
one sentence; the runner judges only the outcome (exit status, stderr,
time), never which of the two a value was meant to be.
"""

from __future__ import annotations

import os
import random

# -- option values -------------------------------------------------------------------

NUMBERS = ["0", "1", "2", "3", "-1", "-0", "1.5", "nan", "NaN", "-nan", "inf", "-inf",
           "1e400", "-1e400", "1e-400", "1e308", "5e-324", "0x10", "1_000", " 3 ", "",
           "١٢", "１２", "²", "3/0", "0/0", "1/3", "1e6", "1000000", "10**9", "1e9",
           "99999999999999999999999999", "9223372036854775808", "18446744073709551616",
           "-9223372036854775809", "4294967296", "2147483648", "1" * 5000, "True", "none",
           "\x1b[31mred", "3\n4", "3\x00", "é", "∞"]
WORDS = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "softmax", "identity",
         "half_sse", "sse", "mse", "l1", "bce", "cce", "sum", "mean", "row", "column",
         "soft", "onehot", "", "SIGMOID", "relu ", "sigmoid\x1b[2J", "x" * 100_000,
         "__import__('os')", "../../etc/passwd", "ñ", "α"]
LAYER_LISTS = ["2,2", "2,3,2", "1,1", "4,1,3,2,4", "3,4,2", "2", "", ",", "2,,2", "0,2",
               "-1,2", "2,0", "100000,100000", "1000000,1", "1,1000000", "50000,1",
               ",".join(["1"] * 14), ",".join(["2"] * 200), ",".join(["1"] * 1001),
               ",".join(["1"] * 100_000), "2,4,4,4,4,2", "9223372036854775807,3",
               "99999999999999999999999,3", "2.5,2", "nan,2", "2;3", "2 3", "١,٢",
               "3,4,3,4,1", "256,512,256", "2,2,2,2,2,2"]
BATCHES = ["1", "2", "5", "0", "-3", "1000000000", "10000000", "100000", "1000000",
           "99999999999999999999", "nan", "2.0", "1e3"]
SEEDS = ["0", "7", "-1", "nan", "inf", "1e400", "2**32", "4294967296", "18446744073709551616",
         "99999999999999999999999999", "١٢", "0x7f", " 5", "1_0"]

# -- formulas ------------------------------------------------------------------------

NETWORK_FORMULAS = [
    "delta[L] = a[L] - y",
    "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])",
    "dW[l] = delta[l] @ a[l-1].T / m",
    "db[l] = sum(delta[l], axis=1) / m",
    "dW[1] = 0 * delta[1] @ a[0].T",
    "log(-a[L]) = sqrt(-a[L])",
    "x = x + 0*sum(ones(4096,4096))",
    "x = x + 0*sum(ones(m,m))",
    "x = x + 0*sum(eye(100000))",
    "delta[L] = " + "(" * 3000 + "a[L]" + ")" * 3000 + " - y",
    "delta[L] = " + "-" * 5000 + "a[L] - y",
    "delta[L] = a[L] - y" + " + 0*a[L]" * 3000,
    "delta[L] = a[L]**" + "**".join(["2"] * 50) + " - y",
    "delta[L] = a[L] ** 1e308 - y",
    "delta[L] = a[L] - y + 1e999999",
    "delta[L] = a[L] - y + " + "9" * 10_000,
    "delta[L] = a[L] - y + 0*" + "x" * 1_000_000,
    "delta[99999999999999999999] = a[L] - y",
    "delta[L-99999999999999999999] = a[L] - y",
    "delta[L] = a[L] - y; import os",
    "delta[L] = a[L].__class__",
    "delta[L] = sum(a[L], axis=99999999999)",
    "delta[L] = ones(99999999999, 1)",
    "delta[L] = ones(-1, 1)",
    "delta[L] = \x1b[2Ja[L] - y",
    "",
    "=",
    "delta[L]",
    "delta[L] = a[L] = y",
]
LAYER_FORMULAS = [
    "dx = dout * (x > 0)",
    "dx = dout * step(x)",
    ("dx = (1/N) * gamma / sqrt(var + eps) * (N*dout - sum(dout, axis=0) - xhat * "
     "sum(dout*xhat, axis=0))"),
    "dgamma = sum(dout * xhat, axis=0)",
    "dbeta = sum(dout, axis=0)",
    "dx = dout * mask / p",
    "dw = x.T @ dout",
    "dscores = (softmax(scores) - onehot(y)) / N",
    "dw = lambda * w",
    "dx = dout @ w.T",
    "dx = dout ** " + "**".join(["2"] * 40),
    "dx = ones(N, 100000000)",
    "dx = sum(ones(100000, 100000))",
    "dx = " + "(" * 2000 + "dout" + ")" * 2000,
    "dgamma = sum(dout * xhat, axis=2)",
    "dx = dout / 0",
    "dx = log(-abs(dout))",
]
GRAPH_EXPRESSIONS = [
    "price = (apple*apple_num + orange*orange_num) * tax",
    "f = x**y", "f = 1/((x + y) - z)", "f = relu((x + y) - z)", "f = log(x)",
    "f = sqrt(x - y)", "f = x ** " + " ** ".join(["x"] * 25), "f = " + " * ".join(
        f"v{i}" for i in range(200)), "f = " + "+".join(["x"] * 5000),
    "f = " + "exp(" * 500 + "x" + ")" * 500, "f = " + "(" * 5000 + "x" + ")" * 5000,
    "f = x / 0", "f = exp(exp(exp(x)))", "f = x**-1e308", "f = " + "n" * 1_000_000 + " + x",
    "f = ñ + α", "f = x\x1b[31m", "f = x; import os", "f = x.__class__", "f = x = y", "",
    "f = 1e999999 * x", "f = x ** 1e12", "f = x ** y ** y",
]
GRAPH_VALUES = ["x=1,y=2,z=3", "x=0.5,y=1e12", "x=1.0000001,y=1e9", "x=0.1,y=0.2,z=0.3",
                "x=0.1,y=0.7,z=0.7999999999999999", "x=nan,y=1", "x=inf,y=1", "x=1e400",
                "x=", "=1", "x=1,x=2", "x=1e-400", "x=١", "x=0x10", "x=1.4,y=1.4,z=1.4",
                "x=-1", "x=0", "apple=100,apple_num=2,orange=150,orange_num=3,tax=1.1",
                ",".join(f"v{i}=1.01" for i in range(200)) + ",x=1.01,y=2,z=3,n=1",
                "x=1," * 20_000 + "y=2"]

# -- claims files --------------------------------------------------------------------

_LAYER_TABLES = [
    '[layer]\nname = "batchnorm"\nN = 4\nD = 3\neps = 1e-5\n',
    '[layer]\nname = "dropout"\nN = 2\nD = 2\np = 0.5\n',
    '[layer]\nname = "affine"\nN = 2\nD = 3\nM = 2\n',
    '[layer]\nname = "softmax_loss"\nN = 2\nC = 3\n',
    '[layer]\nname = "conv"\nN = 1000000\n',
    '[layer]\nname = "batchnorm"\nN = 1000000000\nD = 3\n',
    '[layer]\nname = "batchnorm"\nN = 99999999999999999999999\n',
    '[layer]\nname = "batchnorm"\neps = nan\n',
    '[layer]\nname = "batchnorm"\neps = inf\n',
    '[layer]\nname = "batchnorm"\neps = -1.0\n',
    '[layer]\nname = "batchnorm"\neps = 0.0\nN = 1\n',
    '[layer]\nname = "batchnorm"\nN = "4"\n',
    '[layer]\nname = "batchnorm"\nN = 4.5\n',
    '[layer]\nname = "batchnorm"\nN = true\n',
    '[layer]\nname = "dropout"\np = 1.0\n',
    '[layer]\nname = "dropout"\np = 0.0\n',
    '[layer]\nname = ["batchnorm"]\n',
    '[layer]\nname = "nope"\n',
    '[layer]\nname = "weight_decay"\nlambda = 1e308\n',
    '[layer]\n',
    'layer = 3\n',
    '[layer]\nname = "l2"\nlambda = -0.5\n',
]
_NETWORK_TABLES = [
    '[network]\nlayers = [2, 3, 2]\n',
    '[network]\nlayers = [2, 2]\nbatch = 3\nreduction = "sum"\n',
    '[network]\nlayers = [99999999999999999999999, 3]\n',
    '[network]\nlayers = [9223372036854775807, 3]\n',
    '[network]\nlayers = [100000, 100000]\n',
    '[network]\nlayers = [2, 2]\nbatch = 1000000000\n',
    '[network]\nlayers = []\n',
    '[network]\nlayers = "2,2"\n',
    '[network]\nlayers = [2, 2]\nl2 = nan\n',
    '[network]\nlayers = [2, 2]\nl2 = inf\n',
    '[network]\nlayers = [2, 2]\nloss = "cce"\noutput = "softmax"\ntargets = "onehot"\n',
    '[network]\nlayers = [' + ", ".join(["1"] * 2000) + ']\n',
    '',
]


def _claim(rng: random.Random, layer: bool) -> str:
    formula = rng.choice(LAYER_FORMULAS if layer else NETWORK_FORMULAS)
    name = rng.choice(["c", "BP1", "", "x" * 100_000, "a\x1b[2Jb", "r\rs"])
    lines = ["[[claim]]", f"name = {_toml_string(name)}", f"formula = {_toml_string(formula)}"]
    if rng.random() < 0.3:
        expect = rng.choice(["holds", "proved", "refuted", "maybe", ""])
        lines.append(f"expect = {_toml_string(expect)}")
    if rng.random() < 0.2:
        lines.append(f"expect_general = {_toml_string(rng.choice(['holds', 'refuted', 'x']))}")
    if rng.random() < 0.2:
        lines.append(rng.choice(_LAYER_TABLES if layer else _NETWORK_TABLES)
                     .replace("[layer]", "[claim.layer]").replace("[network]", "[claim.network]"))
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def claims_file(rng: random.Random) -> bytes:
    """A claims file: a [network] or [layer] table (or both, or neither) and claims."""
    layer = rng.random() < 0.5
    parts = []
    if rng.random() < 0.3:
        parts.append(f"title = {_toml_string(rng.choice(['t', 'x' * 50_000, 'é']))}\n")
    if rng.random() < 0.9:
        parts.append(rng.choice(_LAYER_TABLES if layer else _NETWORK_TABLES))
    if rng.random() < 0.1:
        parts.append(rng.choice(_NETWORK_TABLES if layer else _LAYER_TABLES))
    parts += [_claim(rng, layer) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
    text = "\n".join(parts).encode()
    if rng.random() < 0.1:
        cut = rng.randrange(len(text) + 1)
        text = text[:cut] + rng.choice([b"", b"\xff\xfe", b"\x00", b"[[", b"= ="]) + text[cut:]
    return text


# -- users' code ---------------------------------------------------------------------

# a body replaces the backward's (or FUNC's) return; `right` is what a right one returns
BODIES = [
    "return {right}",
    "while True: pass",
    "import time; time.sleep(10**6)",
    "import os; os._exit(0)",
    "import os; os._exit(7)",
    "import sys; sys.exit(3)",
    "raise SystemExit",
    "raise KeyboardInterrupt",
    "raise GeneratorExit",
    "raise MemoryError",
    "raise RecursionError('deep')",
    "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
    "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)",
    "import os\n    if os.fork() == 0:\n        os._exit(0)\n    return {right}",
    "import os\n    os.fork()\n    return {right}",
    "def f(n): return f(n + 1)\n    return f(0)",
    "import numpy as np; return np.zeros(10**11)",
    "import numpy as np; return np.ones(2 * 10**8)",
    "return (v for v in [{right}])",
    "return {{'dx': [{right}]}}",
    "return 'dx'",
    "import numpy as np; return np.full_like({right}, np.nan)",
    "import numpy as np; return np.full_like({right}, np.inf)",
    "import numpy as np; return np.asarray({right}, dtype=object)",
    "import numpy as np; return np.asarray({right}, dtype=complex)",
    "import numpy as np; return np.asarray({right}, dtype=np.int8)",
    "import numpy as np; return np.asarray({right}, dtype=np.float16)",
    "import numpy as np; return np.asarray({right}, dtype=np.longdouble)",
    "import numpy as np; return np.float64(np.sum({right}))",
    "import numpy as np; return np.array(1.0)",
    "return None",
    "pass",
    "raise NotImplementedError",
    "l = []; l.append(l); return l",
    "return [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "class A:\n        def __array__(self, *a, **k): raise RuntimeError('no')\n    return A()",
    "class B:\n        def __reduce__(self): raise RuntimeError('no pickle')\n    return B()",
    "print('x' * 10_000_000); return {right}",
    "import sys; sys.stdout.write('\\x1b[2J' * 1000); return {right}",
    "import sys; sys.stdout.close(); return {right}",
    "import os; os.close(1); os.close(2); return {right}",
    "open('fuzz-written.txt', 'w').write('x'); return {right}",
    "import numpy as np; np.abs = lambda v: 0 * v; return {right}",
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); return {right}",
    "import signal; signal.alarm(1); return {right}",
    "import sys; sys.setrecursionlimit(10); return {right}",
]

_RELU_FILE = """\
import numpy as np


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    x = cache
    {mutate}{body}
"""
_AFFINE_FILE = """\
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    {mutate}{body}
"""
_AFFINE_RIGHT = "dout @ w.T .reshape(x.shape) if False else (dout @ w.T).reshape(x.shape), " \
                "x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)"
_GRADE_FILE = """\
import numpy as np


def gradients(params, x, y):
    {mutate}{body}
"""
# a right backprop for a 2-layer sigmoid column-layout net with half_sse and mean
# reduction (the fuzz's grade cases use such networks; others are simply wrong)
_GRADE_RIGHT = ("(lambda s: (lambda z1, a1: (lambda a2: (lambda d2: (lambda d1: "
                "{'W1': d1 @ x.T / x.shape[1], 'b1': d1.mean(axis=1, keepdims=True), "
                "'W2': d2 @ a1.T / x.shape[1], 'b2': d2.mean(axis=1, keepdims=True)})"
                "((params['W2'].T @ d2) * a1 * (1 - a1)))((a2 - y) * a2 * (1 - a2)))"
                "(s(params['W2'] @ a1 + params['b2'])))(None, s(params['W1'] @ x + "
                "params['b1'])))(lambda v: 1 / (1 + np.exp(-v)))")
_MUTATIONS = ["", "", "", "dout[...] = 0\n    ", "x[...] = 1.0\n    ", "dout += 1\n    ",
              "params['W1'][...] = 0\n    ", "x.flags.writeable = True\n    "]
TOPS = ["", "", "", "", "raise ImportError('no module named torch')\n",
        "import nonexistent_module_xyz\n", "def broken(:\n", "while True: pass\n",
        "import os; os._exit(0)\n", "import sys; sys.exit(0)\n", "raise KeyboardInterrupt\n",
        "import sys; sys.stdout.close()\n", "print('hello ' * 100_000)\n",
        "import sys; sys.modules['numpy'] = None\n", "import sys; sys.path.clear()\n",
        "x = " + "[" * 200 + "]" * 200 + "\n", "from . import sibling\n"]


def user_file(rng: random.Random, kind: str, body: str | None = None, top: str | None = None,
              mutate: str | None = None) -> bytes:
    """A user's file for ``grade`` (kind "grade") or ``grade-layers`` ("layers",
    "relu", "affine"); ``body``, ``top`` and ``mutate`` drawn unless given."""
    body = rng.choice(BODIES) if body is None else body
    mutate = rng.choice(_MUTATIONS) if mutate is None else mutate
    if kind == "layers":
        kind = "relu" if rng.random() < 0.5 else "affine"
    if kind == "grade":
        text = _GRADE_FILE.format(body=body.format(right=_GRADE_RIGHT), mutate=mutate
                                  .replace("dout", "x"))
    elif kind == "relu":
        text = _RELU_FILE.format(body=body.format(right="dout * (x > 0)"), mutate=mutate
                                 .replace("params['W1']", "x"))
    else:
        text = _AFFINE_FILE.format(body=body.format(right=_AFFINE_RIGHT), mutate=mutate
                                   .replace("params['W1']", "w"))
    text = (rng.choice(TOPS) if top is None else top) + text
    data = text.encode()
    if top is not None:
        return data
    if rng.random() < 0.05:
        data = b"# \xff\xfe not utf-8\n" + data
    if rng.random() < 0.03:
        data = b"\xef\xbb\xbf" + data  # a BOM
    return data


FILE_NAMES = ["user.py", "my file.py", "ñandú.py", "numpy.py", "symbp.py", "hypothesis.py",
              "sympy.py", "os.py", "a.b.py", "a:b.py", "-dash.py", "x" * 250 + ".py", "user.txt",
              "user", ".hidden.py", "types.py", "user.PY"]

# -- targets of -o --------------------------------------------------------------------


def output_target(rng: random.Random, folder: str) -> str:
    """A path to write a derivation to, some of them traps (made in ``folder``)."""
    choice = rng.choice(["plain", "dir", "readonly_dir", "readonly_file", "devnull", "devfull",
                         "symlink", "dangling", "missing_dir", "spaces", "fifo", "long", "empty"])
    if choice == "plain":
        return os.path.join(folder, "out.tex")
    if choice == "dir":
        return folder
    if choice == "readonly_dir":
        path = os.path.join(folder, "ro")
        os.makedirs(path, exist_ok=True)
        os.chmod(path, 0o555)
        return os.path.join(path, "out.tex")
    if choice == "readonly_file":
        path = os.path.join(folder, "ro.tex")
        with open(path, "w") as handle:
            handle.write("keep me")
        os.chmod(path, 0o444)
        return path
    if choice == "devnull":
        return "/dev/null"
    if choice == "devfull":
        return "/dev/full"
    if choice == "symlink":
        target = os.path.join(folder, "target.tex")
        with open(target, "w") as handle:
            handle.write("old")
        link = os.path.join(folder, "link.tex")
        if not os.path.lexists(link):
            os.symlink(target, link)
        return link
    if choice == "dangling":
        link = os.path.join(folder, "dangling.tex")
        if not os.path.lexists(link):
            os.symlink(os.path.join(folder, "nowhere", "x.tex"), link)
        return link
    if choice == "missing_dir":
        return os.path.join(folder, "no", "such", "dir", "out.tex")
    if choice == "spaces":
        return os.path.join(folder, "a file ñ.tex")
    if choice == "fifo":
        path = os.path.join(folder, "fifo")
        if not os.path.exists(path):
            os.mkfifo(path)
        return path
    if choice == "long":
        return os.path.join(folder, "x" * 300 + ".tex")
    return ""


# -- probes: one case each, the hostile inputs tried by hand ---------------------------
# ``{file}`` in an argument is a user file written from the probe's body (a
# relu layer for grade-layers, FUNC for grade); ``{fifo}`` a named pipe.

_LOOP = "while True: pass"
PROBES = [
    (["check", "--layer", "conv", "--config", "N=1000000"], None),
    (["check", "--layer", "rnn", "--config", "T=1000000000"], None),
    (["check", "--layer", "tanh", "--config", "N=0x10"], None),
    (["check", "--layer", "batchnorm", "--config", "D=nan"], None),
    (["check", "--layer", "dropout", "--config", "p=0"], None),
    (["verify", "--layer", "dropout", "--p", "0", "--formula", "dx = dout"], None),
    (["derive", "--layer", "dropout", "--p", "0"], None),
    (["derive", "--layer", "weight_decay", "--lambda", "1e308"], None),
    (["check", "--layer", "batchnorm", "--config", "N=1,eps=0"], None),
    (["check", "--layer", "batchnorm", "--config", "eps=0"], None),
    (["check", "--layer", "batchnorm", "--seed", "99999999999999999999999999"], None),
    (["check", "--layer", "batchnorm", "--seed", "nan"], None),
    (["check", "--layer", "batchnorm", "--config", "eps=1e400"], None),
    (["verify", "--layer", "batchnorm", "--eps", "-1", "--formula", "dx = dout"], None),
    (["verify", "--formula", "delta[L] = a[L] - y", "--layers", "1,100000"], None),
    (["derive", "--layers", "1,1000000"], None),
    (["derive", "--layers", "2,200", "--output", "softmax", "--loss", "cce"], None),
    (["derive", "--layers", "2,2", "-o", "{fifo}"], None),
    (["verify", "--formula", "delta[L] = a[L] - y", "--layers", "2,2", "--random",
      "1000000000000"], None),
    (["grade-layers", "{file}", "--random", "1000000000000"], "return dout * (cache > 0)"),
    (["grade-layers", "{file}", "--random", "-1"], "return dout * (cache > 0)"),
    (["grade-layers", "{file}", "--timeout", "0"], "return dout * (cache > 0)"),
    (["grade-layers", "{file}", "--timeout", "inf"], "return dout * (cache > 0)"),
    (["grade-layers", "{file}"], _LOOP),
    (["grade-layers", "{file}:relu_backward"], "return dout * (cache > 0)"),
    (["grade-layers", "/dev/null"], None),
    (["grade-layers", "{fifo}"], None),
    (["grade-layers", "{file}", "--random", "3"],
     ("import os, time\n    if os.fork() == 0:\n        time.sleep(1000)\n"
      "    return dout * (cache > 0)")),
    (["grade-layers", "{file}", "--random", "2"],
     "import numpy as np; return np.ones(2 * 10**8)"),
    (["grade-layers", "{file}", "--random", "2"],
     "import numpy as np; return (dout * (cache > 0)).astype(np.float16)"),
    (["grade", "{file}:gradients", "--layers", "3,4,2", "--random", "1000000000000"],
     "return {right}"),
    (["grade", "{file}:gradients", "--layers", "3,4,2", "--random", "50", "--max-width",
      "1000000000"], "return {right}"),
    (["check", "--layer", "x" * 100_000], None),
    (["verify", "--formula", "delta[L] = " + "q" * 100_000, "--layers", "2,2"], None),
]
