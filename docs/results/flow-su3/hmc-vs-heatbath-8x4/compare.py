"""t^2 E(t) (clover) of the heat-bath and HMC chains: mean and binned error, difference in sigma.

Run from this directory: python compare.py (needs numpy, pandas)."""

import numpy as np
import pandas as pd


def stats(path, nbin):
    table = pd.read_csv(path)
    out = {}
    for t, g in table.groupby("t"):
        y = g.sort_values("config")["t2e_clover"].to_numpy()
        n = len(y) // nbin * nbin
        blocks = y[:n].reshape(-1, nbin).mean(1)
        out[round(t, 3)] = (y.mean(), blocks.std(ddof=1) / np.sqrt(len(blocks)))
    return out


for nbin in (1, 5, 10):
    hb, hmc = stats("heatbath_flow.csv.gz", nbin), stats("hmc_flow.csv.gz", nbin)
    print(f"bins of {nbin} configurations")
    for t in (0.4, 1.0, 1.4, 2.0):
        (a, da), (b, db) = hb[t], hmc[t]
        print(f"  t/a^2 = {t}: heat bath {a:.5f}({da:.5f})  HMC {b:.5f}({db:.5f})  "
              f"HMC - HB = {(b / a - 1) * 100:+.2f} % = {(b - a) / np.hypot(da, db):+.2f} sigma")
