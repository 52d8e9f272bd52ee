"""Time ``symbp verify`` on 50 claims over 5 networks: cold, then with the caches.

Cold is the first pass in a fresh process (every network derived, every point
sampled, every proof's symbols built); the second pass over the same claims
finds the derivations, points and symbolic matrices cached.  Run:

    python scripts/bench_verify.py
"""

import time

from symbp.verification.claims import Claims, check_claims, claims_from_dict

NETWORKS = [
    {"layers": [2, 4, 3, 2], "hidden": "sigmoid", "output": "sigmoid", "loss": "half_sse"},
    {"layers": [3, 3, 3, 3], "hidden": "tanh", "output": "identity", "loss": "mse", "batch": 2},
    {"layers": [2, 4, 3], "hidden": "relu", "output": "softmax", "loss": "cce", "batch": 3, "layout": "row"},
    {"layers": [4, 3, 2, 2, 1], "hidden": "softplus", "output": "sigmoid", "loss": "bce", "batch": 2,
         "reduction": "sum"},
    {"layers": [2, 5, 3], "hidden": "leaky_relu", "output": "sigmoid", "loss": "sse", "batch": 4},
]
COLUMN = [
    "delta[L] = da[L] * sigma_prime(z[L])",
    "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(z[l])",
    "dW[l] = {scale}delta[l] @ a[l-1].T",
    "db[l] = {scale}sum(delta[l], axis=1)",
    "z[l] = W[l] @ a[l-1] + b[l]",
    "da[l-1] = W[l].T @ delta[l]",
    "delta[l] = (W[l+1] @ delta[l+1]) * sigma_prime(z[l])",
    "delta[l] = (W[l+1].T @ delta[l+1]) * sigma_prime(a[l])",
    "dW[l] = 2 * {scale}delta[l] @ a[l-1].T",
    "db[l] = {scale}mean(delta[l], axis=0)",
]
ROW = [
    "delta[L] = a[L] - y",
    "delta[l] = (delta[l+1] @ W[l+1].T) * sigma_prime(z[l])",
    "dW[l] = {scale}a[l-1].T @ delta[l]",
    "db[l] = {scale}sum(delta[l], axis=0)",
    "z[l] = a[l-1] @ W[l] + b[l]",
    "da[l-1] = delta[l] @ W[l].T",
    "delta[l] = (delta[l+1] @ W[l+1]) * sigma_prime(z[l])",
    "delta[L] = da[L] * sigma_prime(z[L])",
    "dW[l] = -{scale}a[l-1].T @ delta[l]",
    "db[l] = {scale}mean(delta[l], axis=1)",
]


def claims() -> Claims:
    entries = []
    for number, network in enumerate(NETWORKS):
        scale = "" if network.get("reduction") == "sum" else "(1/m) * "
        formulas = ROW if network.get("layout") == "row" else COLUMN
        for index, formula in enumerate(formulas):
            entries.append({"name": f"net{number}-{index}",
                            "formula": formula.format(scale=scale), "network": network})
    return claims_from_dict({"claim": entries})


def main():
    file = claims()
    passes = []
    for label in ("cold", "cached"):
        start = time.perf_counter()
        results = check_claims(file)
        passes.append(time.perf_counter() - start)
        verdicts = {}
        for r in results:
            verdicts[r.result.verdict] = verdicts.get(r.result.verdict, 0) + 1
        print(f"{label:7} {len(results)} claims over {len(NETWORKS)} networks: "
              f"{passes[-1]:.2f} s  {verdicts}")


if __name__ == "__main__":
    main()
