"""How small an error in one gradient entry does ``symbp grade`` catch, and
how small does ``torch.autograd.gradcheck`` (its defaults) catch?

Run ``python scripts/grade_sensitivity.py``.  On a sigmoid network (and a
tanh/softmax one) a correct backward (symbp's NumPy backprop) is perturbed in
one entry by ``r`` times that gradient's largest entry; a bisection over
log10(r) finds the smallest r each checker flags.  For gradcheck the same
perturbed backward is wrapped in a ``torch.autograd.Function`` whose forward
is the network's total loss in float64.  torch is optional (skipped when not
installed) and never a dependency of symbp.  Prints measurements only.
"""

from __future__ import annotations

import math

import numpy as np

from symbp import Network, backprop, grade

NETWORKS = [
    Network(layers=[3, 4, 2], hidden="sigmoid", output="sigmoid", loss="half_sse", batch=2),
    Network(layers=[4, 5, 5, 3], hidden="tanh", output="softmax", loss="cce", batch=3,
            layout="row", reduction="sum"),
]


def perturbed_backward(net, key, index, r):
    """A correct backward with entry ``index`` of ``key`` off by r * its largest entry."""
    def func(params, x, y):
        point = dict(params, x=x, y=y)
        grads = backprop(net, point)
        grads[key][index] += r * np.max(np.abs(grads[key]))
        return grads
    return func


def smallest_detected(detects, low=-16.0, high=0.0, steps=40) -> float:
    """The smallest r = 10**e (low <= e <= high) with ``detects(r)``, by bisection."""
    if not detects(10.0 ** high):
        return math.inf
    for _ in range(steps):
        middle = (low + high) / 2
        low, high = (low, middle) if detects(10.0 ** middle) else (middle, high)
        if high - low < 0.01:
            break
    return 10.0 ** high


def grade_detects(net, point, key, index):
    return lambda r: not grade(perturbed_backward(net, key, index, r), net, point).ok


def gradcheck_detects(net, point, key, index):
    import torch

    keys = net.param_keys()

    def detects(r):
        backward = perturbed_backward(net, key, index, r)

        class Loss(torch.autograd.Function):
            @staticmethod
            def forward(ctx, *tensors):
                ctx.save_for_backward(*tensors)
                values = dict(zip(keys, (t.detach().numpy() for t in tensors), strict=True))
                return torch.tensor(net.total_loss(dict(values, x=point["x"], y=point["y"])),
                                    dtype=torch.float64)

            @staticmethod
            def backward(ctx, upstream):
                values = {k: t.detach().numpy().copy() for k, t in zip(keys, ctx.saved_tensors, strict=True)}
                grads = backward(values, point["x"], point["y"])
                return tuple(upstream * torch.from_numpy(np.ascontiguousarray(grads[k]))
                             for k in keys)

        inputs = tuple(torch.tensor(point[k], dtype=torch.float64, requires_grad=True)
                       for k in keys)
        return not torch.autograd.gradcheck(Loss.apply, inputs, raise_exception=False)
    return detects


def main():
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("torch is not installed: gradcheck is skipped (pip install torch)")
    print(f"{'network':<70} {'key':<4} {'entry':<7} {'grade':>9} {'gradcheck':>10}")
    worst = {"grade": 0.0, "gradcheck": 0.0}
    for net in NETWORKS:
        point = net.sample(0)
        truth = net.gradient(point)
        for key in net.param_keys():
            # the gradient's largest entry: where a relative tolerance is most lenient
            index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(truth[key])),
                                                            truth[key].shape))
            ours = smallest_detected(grade_detects(net, point, key, index))
            theirs = (smallest_detected(gradcheck_detects(net, point, key, index))
                      if have_torch else math.nan)
            worst["grade"] = max(worst["grade"], ours)
            worst["gradcheck"] = max(worst["gradcheck"], theirs) if have_torch else math.nan
            print(f"{net!s:<70} {key:<4} {index!s:<7} {ours:>9.1e} {theirs:>10.1e}")
    print(f"smallest relative error caught in every entry tried: grade {worst['grade']:.1e}, "
          f"gradcheck (defaults) {worst['gradcheck']:.1e}")


if __name__ == "__main__":
    main()
