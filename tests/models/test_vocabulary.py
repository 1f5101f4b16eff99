"""The method vocabulary (gtdata.models.vocabulary) is the one list of method names and kinds: the torch
implementations match it, and the study reads it without loading torch."""

import subprocess
import sys

from gtdata.models.methods import METHODS, method_names
from gtdata.models.vocabulary import LABEL_METHODS, METHOD_NAMES, UNSUPERVISED_METHODS, WEAK_METHODS


def test_implementations_match_the_vocabulary():
    assert tuple(METHODS) == METHOD_NAMES and method_names() == list(METHOD_NAMES)
    assert tuple(n for n, cls in METHODS.items() if not cls.weak) == UNSUPERVISED_METHODS
    assert tuple(n for n, cls in METHODS.items() if cls.weak) == WEAK_METHODS
    assert tuple(n for n, cls in METHODS.items() if cls.weak and not cls.adaptive) == LABEL_METHODS


def test_the_study_derives_from_it():
    from gtdata.study import catalog, presets

    assert catalog.WEAK_METHODS == frozenset(WEAK_METHODS) and catalog.LABEL_METHODS == frozenset(LABEL_METHODS)
    assert set(catalog.REGULARIZATION_PARAM) == set(METHOD_NAMES)
    for method, param in catalog.REGULARIZATION_PARAM.items():
        assert param in METHODS[method].defaults, (method, param)
    weak_reference = [entry["method"] for entry in presets.PRESETS["weak_reference"]["methods"]]
    assert tuple(weak_reference) == WEAK_METHODS


def test_validating_a_study_loads_no_torch():
    code = "import sys, gtdata.study.spec, gtdata.study.report, gtdata.models.vocabulary; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
