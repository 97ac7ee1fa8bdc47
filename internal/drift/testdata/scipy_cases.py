#!/usr/bin/python3
"""Reference values for the drift statistics from SciPy / NumPy.

Run with a Python that has numpy and scipy (the values committed were made with
numpy 1.24.2 and scipy 1.10.1):

    python3 scipy_cases.py > scipy_cases.json

Samples are not stored: each is described by a spec and generated here and in
the Go test by the same integer generator (splitmix64), so both sides see
bit-identical inputs:
    k > 0:  v = float(u % k) * scale + shift          (ties, like integer data)
    k == 0: v = (u >> 11) * 2**-53 * scale + shift    (continuous)

Evidently's statistics (Z-test, chi-square, normed Wasserstein, PSI with its
zero fill, JS with its binning) are written out below exactly as the Evidently
sources compute them, on top of the NumPy/SciPy calls they make.
"""
import json
import sys

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance
from scipy.stats import _stats_py

M64 = (1 << 64) - 1


def splitmix(seed, n):
    state = seed & M64
    out = []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        out.append(z ^ (z >> 31))
    return out


def gen(spec):
    us = splitmix(spec["seed"], spec["n"])
    k, scale, shift = spec["k"], spec["scale"], spec["shift"]
    if k > 0:
        return np.array([float(u % k) * scale + shift for u in us])
    return np.array([(float(u >> 11) * 2.0 ** -53) * scale + shift for u in us])


def S(seed, n, k=0, scale=1.0, shift=0.0):
    return {"seed": seed, "n": n, "k": k, "scale": scale, "shift": shift}


def f(x):
    x = float(x)
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return x


# --- Evidently, transcribed -------------------------------------------------

def ev_z(ref, cur):
    if len(np.unique(ref)) == 1 and len(np.unique(cur)) == 1 and ref[0] == cur[0]:
        return 1.0
    keys = sorted(set(ref) | set(cur))
    r = np.where(ref == keys[0], 0, 1)
    c = np.where(cur == keys[0], 0, 1)
    n1, n2 = len(r), len(c)
    p1 = float(sum(r)) / n1
    p2 = float(sum(c)) / n2
    P = float(p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
    return 2 * (1 - stats.norm.cdf(np.abs(z)))


def ev_chi(ref, cur):
    keys = sorted(set(ref) | set(cur))
    rc = {k: 0 for k in keys}
    cc = {k: 0 for k in keys}
    for v in ref:
        rc[v] += 1
    for v in cur:
        cc[v] += 1
    k_norm = len(cur) / len(ref)
    f_exp = [rc[k] * k_norm for k in keys]
    f_obs = [cc[k] for k in keys]
    with np.errstate(divide="ignore", invalid="ignore"):
        return stats.chisquare(f_obs, f_exp)


def ev_binned(ref, cur, numerical, feel_zeroes):
    n_vals = len(np.unique(ref))
    if numerical and n_vals > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        rp = np.histogram(ref, bins)[0] / len(ref)
        cp = np.histogram(cur, bins)[0] / len(cur)
    else:
        keys = sorted(set(ref) | set(cur))
        rp = np.array([np.sum(ref == k) / len(ref) for k in keys])
        cp = np.array([np.sum(cur == k) / len(cur) for k in keys])
    if feel_zeroes:
        for a in (rp, cp):
            m = min(a[a != 0])
            np.place(a, a == 0, m / 10 ** 6 if m <= 0.0001 else 0.0001)
    return rp, cp


def ev_psi(ref, cur, numerical):
    rp, cp = ev_binned(ref, cur, numerical, True)
    return float(np.sum((rp - cp) * np.log(rp / cp)))


def ev_js(ref, cur, numerical):
    rp, cp = ev_binned(ref, cur, numerical, False)
    return float(distance.jensenshannon(rp, cp))


def ev_wass(ref, cur):
    norm = max(np.std(ref), 0.001)
    return float(stats.wasserstein_distance(ref, cur) / norm)


# --- cases ------------------------------------------------------------------

def main():
    out = {"numpy": np.__version__, "scipy": scipy.__version__}

    pairs = [
        (S(1, 5, 0), S(2, 5, 0)),
        (S(3, 8, 0), S(4, 13, 0, 1.0, 0.2)),
        (S(5, 40, 6), S(6, 55, 6)),
        (S(7, 100, 0), S(8, 100, 0, 1.0, 0.15)),
        (S(9, 303, 40, 1.0, 29.0), S(10, 294, 40, 1.0, 31.0)),
        (S(11, 1000, 0), S(12, 200, 0, 1.2)),
        (S(13, 1000, 80, 0.5), S(14, 10000, 80, 0.5, 0.5)),
        (S(15, 999, 0), S(16, 10000, 0, 1.0, 0.02)),
        (S(17, 10000, 0), S(18, 10000, 0, 1.0, 0.01)),
        (S(19, 10001, 300), S(20, 500, 300)),
        (S(21, 20000, 0), S(22, 15000, 0, 1.0, 0.01)),
        (S(23, 137, 0), S(24, 140, 0, 1.0, 0.1)),
        (S(25, 600, 3), S(26, 900, 3)),
        (S(27, 2, 0), S(28, 3, 0, 1.0, 5.0)),
        (S(29, 1, 0), S(30, 1, 0)),
        (S(31, 50, 0), S(32, 50, 0, 1.0, 3.0)),
        (S(33, 5000, 0), S(34, 7000, 0, 1.0, 0.03)),
        (S(35, 4000, 20), S(36, 4000, 20)),
        (S(37, 300, 0), S(38, 40000, 0, 1.0, 0.05)),
        (S(39, 130, 0), S(40, 50000, 0, 1.0, 0.1)),
        (S(41, 100000, 1000, 0.1), S(42, 100000, 1000, 0.1, 0.2)),
    ]
    ks = []
    for a, b in pairs:
        x, y = gen(a), gen(b)
        r = stats.ks_2samp(x, y)
        w = stats.wasserstein_distance(x, y)
        ks.append({"x": a, "y": b, "statistic": f(r.statistic), "pvalue": f(r.pvalue),
                   "location": f(r.statistic_location), "sign": int(r.statistic_sign),
                   "wasserstein": f(w), "wasserstein_normed": ev_wass(x, y),
                   "std_x": f(np.std(x))})
    out["ks_2samp"] = ks

    kstwo = []
    for n in [1, 2, 3, 5, 10, 37, 100, 140, 141, 200, 1000, 5000, 50000, 100000, 100001, 250000, 500000]:
        ds = set()
        for z in [0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.868, 0.9, 1.0, 1.05, 1.2, 1.3, 1.5, 1.7, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0, 13.0, 19.0, 25.0]:
            d = z / np.sqrt(n)
            if 0 < d < 1:
                ds.add(float(d))
        for d in [0.3 / n, 0.5 / n, 0.7 / n, 1.0 / n, 1.5 / n, 0.45, 0.5, 0.6, 0.9, 0.999, 1 - 1.0 / n, 1 - 0.5 / n]:
            if 0 < d < 1:
                ds.add(float(d))
        for d in sorted(ds):
            kstwo.append({"n": n, "d": d, "sf": f(stats.kstwo.sf(d, n))})
    out["kstwo_sf"] = kstwo

    smirnov = []
    for n in [1, 2, 3, 5, 9, 10, 50, 100, 1000, 1012, 1013, 10000, 100000, 500000, 1000000, 1000001, 3000000]:
        ds = set()
        for z in [0.05, 0.1, 0.3, 0.5, 0.8, 1.0, 1.3, 1.7, 2.0, 3.0, 5.0, 8.0, 15.0, 20.0]:
            d = z / np.sqrt(n)
            if 0 < d < 1:
                ds.add(float(d))
        for d in [0.5 / n, 1.0 / n, 2.0 / n, 3.0 / n, 0.25, 0.5, 0.75, 0.95, 1 - 1.0 / n, 1 - 0.3 / n]:
            if 0 < d < 1:
                ds.add(float(d))
        for d in sorted(ds):
            smirnov.append({"n": n, "d": d, "sf": f(special.smirnov(n, d))})
    out["smirnov"] = smirnov

    square = []
    for n in [1, 2, 5, 10, 50, 303, 1000, 10000]:
        for h in sorted({1, 2, max(1, n // 50), max(1, n // 10), max(1, n // 4), max(1, n // 2), n}):
            square.append({"n": n, "h": h, "p": f(_stats_py._compute_prob_outside_square(n, h))})
    out["outside_square"] = square

    inside = []
    for m, n in [(2, 3), (5, 7), (10, 15), (40, 55), (303, 294), (1000, 200), (1000, 10000), (999, 10000), (7000, 5000), (137, 140)]:
        g = np.gcd(m, n)
        lcm = (m // g) * n
        for frac in [0.001, 0.01, 0.03, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0]:
            h = max(1, int(round(frac * lcm)))
            p = _stats_py._compute_outer_prob_inside_method(m, n, g, h)
            inside.append({"m": m, "n": n, "g": int(g), "h": h, "p": f(p)})
    out["outside_inside"] = inside

    chi2sf = []
    for dof in [1, 2, 3, 4, 7, 12, 30, 100]:
        for x in [0.0, 1e-6, 0.01, 0.5, 1.0, 2.0, 3.84, 5.0, 10.0, 25.0, 60.0, 150.0, 400.0, 1500.0]:
            chi2sf.append({"dof": dof, "x": x, "sf": f(stats.chi2.sf(x, dof))})
    out["chi2_sf"] = chi2sf

    gof = []
    for obs, exp in [
        ([10, 20, 30], [20.0, 20.0, 20.0]),
        ([16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]),
        ([5, 0, 7], [4.0, 4.0, 4.0]),
        ([3, 4, 5], [6.0, 6.0, 0.0]),
        ([100, 250, 650], [120.5, 240.25, 639.25]),
    ]:
        with np.errstate(divide="ignore", invalid="ignore"):
            st, p = stats.chisquare(obs, exp)
        gof.append({"obs": obs, "exp": [float(e) for e in exp], "statistic": f(st), "pvalue": f(p)})
    out["chisquare"] = gof

    cont = []
    for table in [
        [[10, 20], [30, 25]],
        [[1, 2], [3, 400]],
        [[12, 12], [12, 12]],
        [[100, 200, 300], [110, 190, 310]],
        [[5, 0, 7, 9], [3, 4, 0, 12]],
        [[49000, 51000], [48000, 52000]],
    ]:
        for yates in (True, False):
            r = stats.chi2_contingency(table, correction=yates)
            cont.append({"table": table, "yates": yates, "statistic": f(r[0]), "pvalue": f(r[1]), "dof": int(r[2])})
    out["chi2_contingency"] = cont

    ndtr = [{"x": x, "cdf": f(special.ndtr(x))} for x in
            [-40.0, -8.5, -5.0, -1.0, -0.3, 0.0, 0.2, 0.7071, 0.75, 1.0, 1.96, 3.0, 5.0, 7.0, 8.2, 9.0]]
    out["ndtr"] = ndtr

    samples = [
        (S(101, 300, 2), S(102, 250, 2)),
        (S(103, 300, 2), S(104, 310, 2, 1.0, 0.0)),
        (S(105, 50, 1), S(106, 40, 1)),
        (S(107, 50, 1), S(108, 40, 1, 1.0, 1.0)),
        (S(109, 900, 5), S(110, 800, 6)),
        (S(111, 2000, 3, 2.0), S(112, 1500, 4, 2.0)),
        (S(113, 5000, 0, 10.0), S(114, 3000, 0, 10.0, 1.0)),
        (S(115, 1024, 0, 3.0), S(116, 1024, 0, 3.0, 0.1)),
        (S(117, 777, 60), S(118, 1333, 60, 1.0, 4.0)),
        (S(119, 1000000, 0, 1.0), S(120, 1, 0)),
        (S(121, 100, 25), S(122, 28, 30)),
        (S(123, 200, 15), S(124, 150, 15)),
    ]
    ev = []
    for a, b in samples:
        x, y = gen(a), gen(b)
        if len(x) > 100000:
            x = x[:100000]
            a = dict(a, n=100000)
        rec = {"x": a, "y": b}
        with np.errstate(divide="ignore", invalid="ignore"):
            rec["z_pvalue"] = f(ev_z(x, y))
            st, p = ev_chi(x, y)
        rec["chi_statistic"], rec["chi_pvalue"] = f(st), f(p)
        for num in (True, False):
            key = "numerical" if num else "categorical"
            rec["psi_" + key] = f(ev_psi(x, y, num))
            rec["js_" + key] = f(ev_js(x, y, num))
        both = np.concatenate([x, y])
        edges = np.histogram_bin_edges(both, bins="sturges")
        rec["sturges_edges"] = [f(e) for e in edges]
        rec["hist_x"] = [int(c) for c in np.histogram(x, edges)[0]]
        rec["hist_y"] = [int(c) for c in np.histogram(y, edges)[0]]
        rec["deciles_x"] = [f(e) for e in np.unique(np.quantile(x, np.linspace(0, 1, 11)[1:-1]))]
        rec["wasserstein_normed"] = f(ev_wass(x, y))
        ev.append(rec)
    out["evidently"] = ev

    sturges = []
    for vals in [[], [3.0], [2.0, 2.0, 2.0], [0.0, 1.0], list(range(8)), list(range(1024)), [0.1 * i for i in range(1000)]]:
        a = np.array(vals, dtype=float)
        e = np.histogram_bin_edges(a, bins="sturges")
        sturges.append({"values": vals, "edges": [f(v) for v in e]})
    out["sturges"] = sturges

    json.dump(out, sys.stdout, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
