"""What a study spec may name: data sets, methods with their hyper-parameters, metrics.

The names come from the packages that implement them (registry, trainer, metric suite), looked up
lazily so that importing ``gtdata.study`` stays cheap. A :class:`Catalog` can also be built by hand,
which is how the spec is validated against a fixed vocabulary in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gtdata.models import vocabulary

# The hyper-parameter each method's strength is swept over in the studies; the report plots metrics
# against it ("regularization strength").
REGULARIZATION_PARAM: dict[str, str] = {
    "beta_vae": "beta",
    "annealed_vae": "c_max",
    "factor_vae": "gamma",
    "dip_vae_i": "lambda_od",
    "dip_vae_ii": "lambda_od",
    "beta_tc_vae": "beta",
    "ada_gvae": "beta",
    "ada_ml_vae": "beta",
    "group_vae": "beta",
    "ml_vae": "beta",
}

WEAK_METHODS = frozenset(vocabulary.WEAK_METHODS)
# The weak methods told which factors changed (the others estimate it); a spec's label_mode applies to these.
LABEL_METHODS = frozenset(vocabulary.LABEL_METHODS)


@dataclass(frozen=True)
class Catalog:
    """The vocabulary a spec is validated against.

    ``methods`` maps each method name to the hyper-parameters it accepts; ``metric_options`` maps a metric
    to the options ``gtdata.metrics.evaluate`` accepts for it (sample sizes, bins); ``check_hparams``, when
    given, validates one grid point's values (``check_hparams(method, hparams)`` raises ValueError).

    Specs are checked against this installation's catalog (registered data sets, the trainer's methods, the
    metric suite) unless a catalog is passed, e.g. to :func:`load_spec`.

    Parameters
    ----------
    datasets : frozenset of str
        Data set names and aliases a spec may list; a path to a prepared data set on disk is accepted too.
    methods : mapping of str to frozenset of str
        Method name -> the names of its hyper-parameters.
    metrics : frozenset of str
        Metric names a spec may list.
    metric_options : mapping of str to frozenset of str, optional
        Metric name -> the option names it takes; a metric not in it takes any option.
    check_hparams : callable, optional
        ``check_hparams(method, hparams)`` raises ValueError for invalid values of one grid point; None: names
        are checked, values are not.

    Examples
    --------
    >>> from gtdata.study import Catalog, load_spec
    >>> catalog = Catalog(datasets=frozenset({"toy"}), methods={"beta_vae": frozenset({"beta"})},
    ...                   metrics=frozenset({"mig"}))
    >>> catalog.is_dataset("toy"), catalog.is_dataset("dsprites")
    (True, False)
    >>> spec = load_spec({"datasets": ["toy"], "methods": [{"method": "beta_vae", "beta": [1, 4]}],
    ...                   "seeds": 2, "steps": 10, "metrics": ["mig"]}, catalog)
    >>> spec.num_runs
    4
    """

    datasets: frozenset[str]
    methods: Mapping[str, frozenset[str]]
    metrics: frozenset[str]
    metric_options: Mapping[str, frozenset[str]] = field(default_factory=dict)
    check_hparams: Callable[[str, Mapping[str, Any]], None] | None = None

    def is_dataset(self, name: str) -> bool:
        """A registered name or alias, or a path to a prepared data set on disk."""
        return name in self.datasets or Path(name).expanduser().exists()


def _check_hparams(method: str, hparams: Mapping[str, Any]) -> None:
    from gtdata.models.methods import make_method

    make_method(method, **dict(hparams))


def default_catalog() -> Catalog:
    """The catalog of this installation: registry names, the trainer's methods, the metric suite."""
    from gtdata import registry
    from gtdata.metrics.evaluate import METRICS
    from gtdata.models.methods import METHODS

    names: set[str] = set()
    for info in registry.list_datasets():
        names.add(info.name)
        names.update(info.aliases)
    return Catalog(
        datasets=frozenset(names),
        methods={name: frozenset(cls.defaults) for name, cls in METHODS.items()},
        metrics=frozenset(METRICS),
        metric_options={name: frozenset(spec.defaults) for name, spec in METRICS.items()},
        check_hparams=_check_hparams,
    )
