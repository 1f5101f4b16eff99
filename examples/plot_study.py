"""
A tiny study and its report
===========================

A study sweeps data sets × methods × hyper-parameters × seeds, trains and evaluates every run, and gathers
one tidy results table; the report draws the reference study's kinds of figures from it. This one is tiny
— six runs of 40 steps on the in-memory ``toy`` set with reduced metric sizes — so its numbers say nothing
about the methods; it shows the spec, the table and the figures. ``gtdata study run quick`` is the smallest
study whose numbers mean something (minutes on a CPU).
"""

import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image

import gtdata

spec = {
    "name": "tiny",
    "datasets": ["toy"],
    "methods": [{"method": "beta_vae", "beta": [1, 8]}, {"method": "ada_gvae", "beta": 1}],
    "seeds": 2,
    "steps": 40,
    "batch_size": 16,
    "metrics": ["mig", "sap"],
    "metric_options": {"mig": {"num_train": 500}, "sap": {"num_train": 500, "num_test": 250}},
}
out = Path(tempfile.gettempdir()) / "gtdata-gallery" / "tiny_study"
shutil.rmtree(out, ignore_errors=True)
gtdata.run_study(spec, out, progress=False)

# %%
# The results table: one row per run and representation, hyper-parameters and scores as columns.
table = gtdata.load_results(out)
print(table[["run_id", "method", "regularization", "seed", "status", "mig.discrete_mig", "sap.SAP_score"]])

# %%
# The report: figures and a Markdown summary in ``<out>/report``.
report = gtdata.write_report(out, progress=False)
print(report.read_text()[:800])


def show(path: Path) -> None:
    image = Image.open(path)
    fig, ax = plt.subplots(figsize=(image.width / 110, image.height / 110), dpi=110)
    ax.imshow(image)
    ax.set_axis_off()
    fig.subplots_adjust(0, 0, 1, 1)


# %%
# Each metric per method and hyper-parameter value; every model is a dot (too few for boxes).
show(report.parent / "distributions_toy.png")

# %%
# Weakly supervised against unsupervised methods.
show(report.parent / "weak_vs_unsupervised.png")

# %%
# Each metric against β for the method whose strength is swept.
show(report.parent / "regularization.png")
plt.show()
